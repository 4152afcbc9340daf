import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { interval } from './hyper-parameters.js'
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
 * import { sgd } from 'tapegrad/optimizers'
 *
 * const opt = sgd(0.1, { momentum: 0.9, nesterov: true })
 */
export const sgd = optimizer(
  'sgd',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, options?: Options<{ momentum: number; dampening: number; nesterov: boolean }>) =>
    ({ stepSize, options }),
  ({ momentum, dampening, nesterov }) => {
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error('sgd: nesterov momentum requires a momentum > 0 and zero dampening')
    }
    if (momentum === 0) return { rules: [rule('x', ['x', 'g', 'lr'], descend)] }
    return {
      // PyTorch starts the buffer at g (no dampening on the first step).
      scalars: (i) => ({ gradientWeight: i === 0 ? 1 : 1 - dampening }),
      rules: [
        rule('buf', ['buf', 'g', 'momentum', 'gradientWeight'], dampedMomentum),
        nesterov
          ? rule('x', ['x', 'g', 'buf', 'lr', 'momentum'], nesterovStep)
          : rule('x', ['x', 'buf', 'lr'], descend),
      ],
    }
  },
  { options: { momentum: 0, dampening: 0, nesterov: false }, constraints: { momentum: interval(0, 1, true) } },
)

/** b ← μ·b + w·g, w = 1 − dampening (1 on the first step). */
function dampedMomentum(buf: number, g: number, momentum: number, gradientWeight: number) {
  return momentum * buf + gradientWeight * g
}
