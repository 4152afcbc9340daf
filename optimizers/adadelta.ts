import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverageOfSquare } from './rules.js'

/**
 * Adadelta (Zeiler, 2012): the step is the ratio of two running root mean squares — of past
 * updates and of gradients — so its units match the parameters', and no step size is needed.
 *
 *     a ← rho·a + (1 − rho)·g²
 *     Δ = √(u + eps) / √(a + eps) · g             (u: running mean square of past Δ, before this step)
 *     x ← x − stepSize(i)·Δ
 *     u ← rho·u + (1 − rho)·Δ²
 *
 * Defaults are PyTorch's and optax's: stepSize 1 (the paper has none), rho 0.9, eps 1e-6.
 * Options: `weightDecay` (coupled), `maximize`.
 *
 * @example
 * import { adadelta } from 'tapegrad/optimizers'
 *
 * const opt = adadelta()                       // adadelta(stepSize = 1, rho = 0.9, eps = 1e-6)
 * opt.hyper   // { stepSize: 1, rho: 0.9, eps: 1e-6 }
 */
export const adadelta = optimizer(
  'adadelta',
  (stepSize: ScheduleLike = 1, rho = 0.9, eps = 1e-6, options?: Options) => ({ stepSize, rho, eps, options }),
  () => ({
    // x before u: both use Δ from the update average u of the previous step.
    rules: [
      rule('avg', ['g', 'avg', 'rho'], movingAverageOfSquare),
      rule('x', ['x', 'g', 'avg', 'u', 'lr', 'eps'], adadeltaStep),
      rule('u', ['u', 'g', 'avg', 'rho', 'eps'], updateAverage),
    ],
  }),
)

/** x ← x − lr·Δ, Δ = √(u + eps)/√(a + eps)·g. */
function adadeltaStep(x: number, g: number, avg: number, u: number, lr: number, eps: number) {
  return x - lr * ((Math.sqrt(u + eps) / Math.sqrt(avg + eps)) * g)
}

/** u ← rho·u + (1 − rho)·Δ²: the running mean square of the updates. */
function updateAverage(u: number, g: number, avg: number, rho: number, eps: number) {
  const delta = (Math.sqrt(u + eps) / Math.sqrt(avg + eps)) * g
  return rho * u + (1 - rho) * delta * delta
}
