import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { secondMoment, firstMoment, descend } from './rules.js'

/**
 * RMSprop (Tieleman & Hinton, 2012, Lecture 6.5): divide the step by a running root mean square
 * of the gradient.
 *
 *     a ← gamma·a + (1 − gamma)·g²
 *     c ← gamma·c + (1 − gamma)·g;  a' = a − c²    (centered: subtract the squared mean)
 *     d = g / √(a' + eps)        (epsInSqrt, the default: JAX's and optax's form)
 *     d = g / (√a' + eps)        (epsInSqrt: false: PyTorch's and Keras' form)
 *     x ← x − lr·d,   or with momentum μ:  b ← μ·b + d;  x ← x − lr·b   (PyTorch's buffer)
 *
 * Positional arguments and defaults are JAX's: rmsprop(stepSize, gamma = 0.9, eps = 1e-8).
 * (PyTorch's defaults are alpha = 0.99 and eps outside the root; pass them to match it:
 * `rmsprop(lr, 0.99, 1e-8, { epsInSqrt: false })`.) Options: `centered`, `momentum`,
 * `epsInSqrt`, `weightDecay` (coupled), `maximize`. For JAX's rmsprop_momentum, whose buffer
 * holds lr·d, see rmspropMomentum.ts.
 *
 * @example
 * const opt = rmsprop(1e-3)
 * const torchLike = rmsprop(1e-2, 0.99, 1e-8, { epsInSqrt: false, centered: true })
 */
export const rmsprop = optimizer('rmsprop', (stepSize: ScheduleLike, gamma: number = 0.9, eps: number = 1e-8, options?: { centered?: boolean; momentum?: number; epsInSqrt?: boolean; weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('rmsprop', stepSize)
  checkRange('rmsprop', 'gamma', gamma, 0, 1)
  checkNonNegative('rmsprop', 'eps', eps)
  const o = readOptions('rmsprop', options, { centered: false, momentum: 0, epsInSqrt: true, weightDecay: 0, maximize: false })
  checkRange('rmsprop', 'momentum', o.momentum, 0, 1)
  const mean = o.centered ? 'mg' : 'zero'
  // One scalar is eps and the other 0: √(a + epsIn) + epsOut covers both placements.
  const scalars = (i: number) => ({ lr: lr(i), gamma, epsIn: o.epsInSqrt ? eps : 0, epsOut: o.epsInSqrt ? 0 : eps, momentum: o.momentum, zero: 0 })
  const averages = [rule('avg', ['g', 'avg', 'gamma'], secondMoment), ...(o.centered ? [rule('mg', ['g', 'mg', 'gamma'], firstMoment)] : [])]
  const direction = ['g', 'avg', mean, 'epsIn', 'epsOut']
  return {
    slots: [...(o.centered ? ['avg', 'mg'] : ['avg']), ...(o.momentum > 0 ? ['buf'] : [])],
    scalars,
    rules: o.momentum > 0
      ? [...averages, rule('buf', ['buf', ...direction, 'momentum'], rmsMomentum), rule('x', ['x', 'buf', 'lr'], descend)]
      : [...averages, rule('x', ['x', ...direction, 'lr'], rmsStep)],
    stepSize: lr,
    hyper: { stepSize, gamma, eps, ...o },
    weightDecay: o.weightDecay,
    maximize: o.maximize,
  }
})

/**
 * x ← x − lr·g/(√(a − c² + epsIn) + epsOut): RMSprop's step, eps inside the root (epsIn) or
 * outside (epsOut), c the running mean of g when centered (else 0).
 * @example rule('x', ['x', 'g', 'avg', 'zero', 'epsIn', 'epsOut', 'lr'], rmsStep) // as rmsprop uses it
 */
export function rmsStep(x: number, g: number, avg: number, mean: number, epsIn: number, epsOut: number, lr: number) {
  return x - (lr * g) / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}

/** b ← μ·b + g/(√(a − c² + epsIn) + epsOut). */
function rmsMomentum(buf: number, g: number, avg: number, mean: number, epsIn: number, epsOut: number, momentum: number) {
  return momentum * buf + g / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}
