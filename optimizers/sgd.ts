import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { descend, nesterovStep } from './rules.js'

/**
 * Stochastic gradient descent, with PyTorch's options (torch.optim.SGD):
 *
 *     plain:     x ← x − lr·g
 *     momentum:  b ← μ·b + (1 − τ)·g        (τ = dampening; the first step takes b = g, as PyTorch)
 *                x ← x − lr·b               or, with nesterov, x ← x − lr·(g + μ·b)
 *
 * with g already including `maximize` (g ← −g) and coupled `weightDecay` (g ← g + λ·x).
 * JAX's `sgd(step_size)` is the plain case; JAX's `momentum` and `nesterov` are also their own
 * files here (momentum.ts, nesterov.ts), with the mass as a positional argument.
 *
 * @example
 * const opt = sgd(0.1, { momentum: 0.9, nesterov: true })
 */
export const sgd = optimizer('sgd', (stepSize: ScheduleLike, options?: { momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('sgd', stepSize)
  const o = readOptions('sgd', options, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false })
  checkRange('sgd', 'momentum', o.momentum, 0, 1, true)
  checkNonNegative('sgd', 'dampening', o.dampening)
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error('sgd: nesterov momentum requires a momentum > 0 and zero dampening')
  const hyper = { stepSize, ...o }
  if (o.momentum === 0) {
    return { scalars: (i: number) => ({ lr: lr(i) }), rules: [rule('x', ['x', 'g', 'lr'], descend)], stepSize: lr, hyper, weightDecay: o.weightDecay, maximize: o.maximize }
  }
  return {
    slots: ['buf'],
    // PyTorch starts the buffer at g (no dampening on the first step): keep = 1 at i = 0.
    scalars: (i: number) => ({ lr: lr(i), momentum: o.momentum, keep: i === 0 ? 1 : 1 - o.dampening }),
    rules: [
      rule('buf', ['buf', 'g', 'momentum', 'keep'], dampedMomentum),
      o.nesterov ? rule('x', ['x', 'g', 'buf', 'lr', 'momentum'], nesterovStep) : rule('x', ['x', 'buf', 'lr'], descend),
    ],
    stepSize: lr,
    hyper,
    weightDecay: o.weightDecay,
    maximize: o.maximize,
  }
})

/** b ← μ·b + keep·g (keep = 1 − dampening). */
function dampedMomentum(buf: number, g: number, momentum: number, keep: number) {
  return momentum * buf + keep * g
}
