import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { secondMoment } from './rules.js'

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
 * const opt = adadelta()                       // adadelta(stepSize = 1, rho = 0.9, eps = 1e-6)
 */
export const adadelta = optimizer('adadelta', (stepSize: ScheduleLike = 1, rho: number = 0.9, eps: number = 1e-6, options?: { weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('adadelta', stepSize)
  checkRange('adadelta', 'rho', rho, 0, 1)
  checkNonNegative('adadelta', 'eps', eps)
  const { weightDecay, maximize } = readOptions('adadelta', options, { weightDecay: 0, maximize: false })
  return {
    slots: ['avg', 'u'],
    scalars: (i: number) => ({ lr: lr(i), rho, eps }),
    // x before u: both use Δ from the update average u of the previous step.
    rules: [rule('avg', ['g', 'avg', 'rho'], secondMoment), rule('x', ['x', 'g', 'avg', 'u', 'lr', 'eps'], adadeltaStep), rule('u', ['u', 'g', 'avg', 'rho', 'eps'], updateAverage)],
    stepSize: lr,
    hyper: { stepSize, rho, eps, weightDecay, maximize },
    weightDecay,
    maximize,
  }
})

/** x ← x − lr·Δ, Δ = √(u + eps)/√(a + eps)·g. */
function adadeltaStep(x: number, g: number, avg: number, u: number, lr: number, eps: number) {
  return x - lr * ((Math.sqrt(u + eps) / Math.sqrt(avg + eps)) * g)
}

/** u ← rho·u + (1 − rho)·Δ². */
function updateAverage(u: number, g: number, avg: number, rho: number, eps: number) {
  const delta = (Math.sqrt(u + eps) / Math.sqrt(avg + eps)) * g
  return rho * u + (1 - rho) * delta * delta
}
