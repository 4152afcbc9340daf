import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { firstMoment, secondMoment, runningMax } from './rules.js'
import { adamStep } from './adam.js'

/**
 * AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"): Adam whose weight
 * decay shrinks the parameters directly instead of being added to the gradient (where Adam's
 * normalisation would scale it away):
 *
 *     x ← x·(1 − stepSize(i)·weightDecay)                  decoupled decay, as torch.optim.AdamW
 *     m ← lerp(g, m, b1);  v ← lerp(g², v, b2)
 *     x ← x − stepSize(i) · velocity / (speed + eps)        as in adam.ts
 *
 * Positional order is optax's: adamw(stepSize, b1, b2, eps, weightDecay). The default decay is
 * PyTorch's 1e-2 (optax's is 1e-4): code ported from PyTorch gets the same training. Options:
 * `amsgrad`, `maximize`.
 *
 * @example
 * const opt = adamw(1e-3)                      // weightDecay 1e-2
 * const opt2 = adamw(1e-3, 0.9, 0.95, 1e-8, 0.1)
 */
export const adamw = optimizer('adamw', (stepSize: ScheduleLike, b1: number = 0.9, b2: number = 0.999, eps: number = 1e-8, weightDecay: number = 1e-2, options?: { amsgrad?: boolean; maximize?: boolean }) => {
  const lr = checkStepSize('adamw', stepSize)
  checkRange('adamw', 'b1', b1, 0, 1)
  checkRange('adamw', 'b2', b2, 0, 1)
  checkNonNegative('adamw', 'eps', eps)
  checkNonNegative('adamw', 'weightDecay', weightDecay)
  const { amsgrad, maximize } = readOptions('adamw', options, { amsgrad: false, maximize: false })
  const bias = (i: number, beta: number) => 1 - beta ** (i + 1)
  return {
    slots: amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'],
    scalars: (i: number) => ({ lr: lr(i), keep: 1 - lr(i) * weightDecay, b1, b2, eps, invBias1: 1 / bias(i, b1), invBias2: 1 / bias(i, b2) }),
    rules: [
      rule('x', ['x', 'keep'], shrink),
      rule('m', ['g', 'm', 'b1'], firstMoment),
      rule('v', ['g', 'v', 'b2'], secondMoment),
      ...(amsgrad ? [rule('vmax', ['vmax', 'v'], runningMax)] : []),
      rule('x', ['x', 'm', amsgrad ? 'vmax' : 'v', 'lr', 'invBias1', 'invBias2', 'eps'], adamStep),
    ],
    stepSize: lr,
    hyper: { stepSize, b1, b2, eps, weightDecay, amsgrad, maximize },
    maximize,
  }
})

/** x ← x·keep, keep = 1 − lr·weightDecay. */
function shrink(x: number, keep: number) {
  return x * keep
}
