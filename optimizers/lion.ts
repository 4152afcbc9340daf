import { optimizer, rule, type ScheduleLike } from './optimizer.js'
import { interval } from './hyper-parameters.js'
import { movingAverage } from './rules.js'

/**
 * Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2; optax.lion):
 * every parameter moves by exactly ±stepSize — the sign of an interpolated momentum.
 *
 *     c = lerp(g, m, b1) = b1·m + (1 − b1)·g
 *     x ← x − stepSize(i)·(sign(c) + weightDecay·x)      (decoupled decay)
 *     m ← lerp(g, m, b2)
 *
 * Defaults: b1 0.9, b2 0.99 (paper and optax), weightDecay 0 — optax defaults to 1e-3, but decay
 * that nobody asked for silently shrinks the weights; the paper tunes λ per task (typically
 * 3–10× AdamW's, since Lion's step size is 3–10× smaller). Positional order is optax's:
 * lion(stepSize, b1, b2, weightDecay). Options: `maximize`. (PyTorch has no Lion: checked
 * against the formulas above.)
 *
 * @example
 * import { lion } from 'tapegrad/optimizers'
 *
 * const opt = lion(1e-4)
 */
export const lion = optimizer(
  'lion',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.99, weightDecay = 0, options?: { maximize?: boolean }) =>
    ({ stepSize, b1, b2, weightDecay, options }),
  () => ({
    // x before m: the step uses the momentum of the previous step.
    rules: [
      rule('x', ['x', 'g', 'm', 'b1', 'lr', 'weightDecay'], lionStep),
      rule('m', ['g', 'm', 'b2'], movingAverage),
    ],
  }),
  { constraints: { b1: interval(0, 1, true), b2: interval(0, 1, true) } },
)

/** x ← x − lr·(sign(lerp(g, m, b1)) + λ·x). */
function lionStep(x: number, g: number, m: number, b1: number, lr: number, weightDecay: number) {
  return x - lr * (Math.sign((m - g) * b1 + g) + weightDecay * x)
}
