import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverage } from './rules.js'

/**
 * AdaMax (Kingma & Ba, 2015, Algorithm 2): Adam with the infinity norm in place of the root
 * mean square, in JAX's form (`jax.example_libraries.optimizers.adamax`):
 *
 *     m ← lerp(g, m, b1)
 *     u ← max(b2·u, |g|)
 *     x ← x − stepSize(i) / (1 − b1^(i+1)) · m / (u + eps)
 *
 * torch.optim.Adamax puts eps inside the max instead (u ← max(b2·u, |g| + eps), x ← … m/u):
 * the two differ only where |g| is comparable to eps (1e-8). Options: `weightDecay` (coupled),
 * `maximize`.
 *
 * @example
 * import { adamax } from 'tapegrad/optimizers'
 *
 * const opt = adamax(2e-3)                     // adamax(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 * opt.hyper   // { stepSize: 0.002, b1: 0.9, b2: 0.999, eps: 1e-8 }
 */
export const adamax = optimizer(
  'adamax',
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.999, eps = 1e-8, options?: Options) => ({ stepSize, b1, b2, eps, options }),
  ({ stepSize, b1 }) => ({
    scalars: (i) => ({ correctedLr: stepSize(i) / (1 - b1 ** (i + 1)) }),
    rules: [
      rule('m', ['g', 'm', 'b1'], movingAverage),
      rule('u', ['g', 'u', 'b2'], infinityNorm),
      rule('x', ['x', 'm', 'u', 'correctedLr', 'eps'], adamaxStep),
    ],
  }),
)

/** u ← max(b2·u, |g|): the exponentially weighted infinity norm. */
function infinityNorm(g: number, u: number, b2: number) {
  return Math.max(b2 * u, Math.abs(g))
}

/** x ← x − correctedLr·m/(u + eps), correctedLr = stepSize(i)/(1 − b1^(i+1)). */
function adamaxStep(x: number, m: number, u: number, correctedLr: number, eps: number) {
  return x - (correctedLr * m) / (u + eps)
}
