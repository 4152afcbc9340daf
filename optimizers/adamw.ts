import { optimizer, rule, type ScheduleLike } from './optimizer.js'
import { adam } from './adam.js'

/**
 * AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization"): Adam whose weight
 * decay shrinks the parameters directly instead of being added to the gradient (where Adam's
 * normalisation would scale it away):
 *
 *     x ← x·(1 − stepSize(i)·weightDecay)                  decoupled decay, as torch.optim.AdamW
 *     m ← lerp(g, m, b1);  v ← lerp(g², v, b2)
 *     x ← x − stepSize(i) · velocity / (speed + eps)        Adam's rules (adam.ts), unchanged
 *
 * Positional order is optax's: adamw(stepSize, b1, b2, eps, weightDecay). The default decay is
 * PyTorch's 1e-2 (optax's is 1e-4): code ported from PyTorch gets the same training. Options:
 * `amsgrad`, `maximize` (weightDecay is positional, so it is not also an option).
 *
 * @example
 * import { adamw } from 'tapegrad/optimizers'
 *
 * const opt = adamw(1e-3)                      // weightDecay 1e-2
 * opt.hyper.weightDecay   // 0.01
 * const opt2 = adamw(1e-3, 0.9, 0.95, 1e-8, 0.1)
 */
export const adamw = optimizer(
  'adamw',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 1e-2, options?: AdamWOptions) =>
    ({ stepSize, b1, b2, eps, weightDecay, options }),
  (hyper) => {
    const { scalars, rules } = adam.spec(hyper)
    return {
      scalars: (i) => ({ ...scalars(i), shrinkFactor: 1 - hyper.stepSize(i) * hyper.weightDecay }),
      rules: [rule('x', ['x', 'shrinkFactor'], decayWeights), ...rules],
    }
  },
  { options: { amsgrad: false } },
)

/** adamw's options: Adam's, without `weightDecay` (a positional hyper-parameter here). */
type AdamWOptions = { amsgrad?: boolean; maximize?: boolean }

/** x ← x·shrinkFactor, shrinkFactor = 1 − stepSize(i)·weightDecay. */
function decayWeights(x: number, shrinkFactor: number) {
  return x * shrinkFactor
}
