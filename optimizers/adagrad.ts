import { optimizer, rule, checkStepSize, checkRange, readOptions, type ScheduleLike } from './optimizer.js'
import { descend } from './rules.js'

/**
 * Adagrad (Duchi, Hazan & Singer, 2011): every parameter's step is divided by the root of the
 * sum of all its squared gradients so far.
 *
 *     s ← s + g²                                  (s starts at initialAccumulatorValue)
 *     d = g / (√s + eps)                          (0 where s = 0, as JAX's `where`)
 *     m ← momentum·m + (1 − momentum)·d           (only when momentum > 0)
 *     x ← x − lr(i) / (1 + i·lrDecay) · (momentum > 0 ? m : d)
 *
 * Defaults — momentum 0, eps 1e-10, lrDecay 0, initialAccumulatorValue 0 — are PyTorch's
 * (torch.optim.Adagrad), which is also the classic algorithm and optax's, so code ported from
 * PyTorch or the paper behaves the same. JAX's `example_libraries` adagrad differs in one
 * default: it mixes in momentum 0.9 and has no eps; `adagrad(lr, 0.9, { eps: 0 })` is exactly it.
 * Positional order is JAX's: adagrad(stepSize, momentum).
 *
 * @example
 * const opt = adagrad(0.01)                        // PyTorch's Adagrad
 * const jaxAdagrad = adagrad(0.01, 0.9, { eps: 0 }) // JAX's example_libraries adagrad
 */
export const adagrad = optimizer('adagrad', (stepSize: ScheduleLike, momentum: number = 0, options?: { eps?: number; lrDecay?: number; initialAccumulatorValue?: number; weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('adagrad', stepSize)
  checkRange('adagrad', 'momentum', momentum, 0, 1)
  const o = readOptions('adagrad', options, { eps: 1e-10, lrDecay: 0, initialAccumulatorValue: 0, weightDecay: 0, maximize: false })
  for (const k of ['eps', 'lrDecay', 'initialAccumulatorValue'] as const) checkRange('adagrad', k, o[k], 0, Infinity)
  const scaled = momentum > 0
  return {
    slots: (scaled ? { sum: o.initialAccumulatorValue, m: 0 } : { sum: o.initialAccumulatorValue }) as Record<string, number>,
    scalars: (i: number) => ({ lr: lr(i) / (1 + i * o.lrDecay), eps: o.eps, momentum }),
    rules: [
      rule('sum', ['sum', 'g'], accumulateSquare),
      ...(scaled
        ? [rule('m', ['m', 'g', 'sum', 'eps', 'momentum'], adagradMomentum), rule('x', ['x', 'm', 'lr'], descend)]
        : [rule('x', ['x', 'g', 'sum', 'lr', 'eps'], adagradStep)]),
    ],
    stepSize: lr,
    hyper: { stepSize, momentum, ...o },
    weightDecay: o.weightDecay,
    maximize: o.maximize,
  }
})

/** s ← s + g². */
function accumulateSquare(sum: number, g: number) {
  return sum + g * g
}

/** x ← x − lr·g/(√s + eps). */
function adagradStep(x: number, g: number, sum: number, lr: number, eps: number) {
  if (sum > 0) return x - (lr * g) / (Math.sqrt(sum) + eps)
  return x
}

/** m ← momentum·m + (1 − momentum)·g/(√s + eps). */
function adagradMomentum(m: number, g: number, sum: number, eps: number, momentum: number) {
  let d = 0
  if (sum > 0) d = g / (Math.sqrt(sum) + eps)
  return (1 - momentum) * d + momentum * m
}
