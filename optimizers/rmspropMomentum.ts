import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { secondMoment, firstMoment } from './rules.js'

/**
 * RMSprop with momentum in JAX's form (`jax.example_libraries.optimizers.rmsprop_momentum`):
 *
 *     a ← gamma·a + (1 − gamma)·g²
 *     b ← momentum·b + stepSize(i)·g / √(a + eps)     (the buffer holds the step itself)
 *     x ← x − b
 *
 * With a constant step size this is PyTorch's RMSprop(momentum) (whose buffer holds g/√a and is
 * scaled by lr afterwards); with a schedule the two differ: here a change of step size reaches
 * the parameters gradually, through the buffer. Defaults are JAX's: gamma 0.9, eps 1e-8,
 * momentum 0.9. Options: `centered`, `epsInSqrt` (default true, JAX), `weightDecay`, `maximize`.
 *
 * @example
 * const opt = rmspropMomentum(1e-3)          // rmspropMomentum(stepSize, gamma, eps, momentum)
 */
export const rmspropMomentum = optimizer('rmspropMomentum', (stepSize: ScheduleLike, gamma: number = 0.9, eps: number = 1e-8, momentum: number = 0.9, options?: { centered?: boolean; epsInSqrt?: boolean; weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('rmspropMomentum', stepSize)
  checkRange('rmspropMomentum', 'gamma', gamma, 0, 1)
  checkNonNegative('rmspropMomentum', 'eps', eps)
  checkRange('rmspropMomentum', 'momentum', momentum, 0, 1)
  const o = readOptions('rmspropMomentum', options, { centered: false, epsInSqrt: true, weightDecay: 0, maximize: false })
  return {
    slots: o.centered ? ['avg', 'mg', 'mom'] : ['avg', 'mom'],
    scalars: (i: number) => ({ lr: lr(i), gamma, momentum, epsIn: o.epsInSqrt ? eps : 0, epsOut: o.epsInSqrt ? 0 : eps, zero: 0 }),
    rules: [
      rule('avg', ['g', 'avg', 'gamma'], secondMoment),
      ...(o.centered ? [rule('mg', ['g', 'mg', 'gamma'], firstMoment)] : []),
      rule('mom', ['mom', 'g', 'avg', o.centered ? 'mg' : 'zero', 'epsIn', 'epsOut', 'lr', 'momentum'], rmsStepMomentum),
      rule('x', ['x', 'mom'], subtract),
    ],
    stepSize: lr,
    hyper: { stepSize, gamma, eps, momentum, ...o },
    weightDecay: o.weightDecay,
    maximize: o.maximize,
  }
})

/** b ← μ·b + lr·g/(√(a − c² + epsIn) + epsOut). */
function rmsStepMomentum(mom: number, g: number, avg: number, mean: number, epsIn: number, epsOut: number, lr: number, momentum: number) {
  return momentum * mom + (lr * g) / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}

/** x ← x − b. */
function subtract(x: number, b: number) {
  return x - b
}
