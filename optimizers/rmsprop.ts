import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverageOfSquare, movingAverage, descend } from './rules.js'

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
 * import { rmsprop } from 'tapegrad/optimizers'
 *
 * const opt = rmsprop(1e-3)
 * const torchLike = rmsprop(1e-2, 0.99, 1e-8, { epsInSqrt: false, centered: true })
 * torchLike.hyper   // { gamma: 0.99, eps: 1e-8, centered: true, epsInSqrt: false, momentum: 0 }
 */
export const rmsprop = optimizer(
  'rmsprop',
  (stepSize: ScheduleLike, gamma = 0.9, eps = 1e-8, options?: RmspropOptions) => ({ stepSize, gamma, eps, options }),
  ({ eps, centered, momentum, epsInSqrt }) => {
    const direction = ['g', 'avg', centered ? 'mg' : 'zero', 'epsInsideRoot', 'epsOutsideRoot']
    return {
      scalars: () => epsPlacement(eps, epsInSqrt),
      rules: [
        rule('avg', ['g', 'avg', 'gamma'], movingAverageOfSquare),
        centered && rule('mg', ['g', 'mg', 'gamma'], movingAverage),
        ...(momentum > 0
          ? [rule('buf', ['buf', ...direction, 'momentum'], rmspropVelocity), rule('x', ['x', 'buf', 'lr'], descend)]
          : [rule('x', ['x', ...direction, 'lr'], rmspropStep)]),
      ],
    }
  },
  { options: { centered: false, momentum: 0, epsInSqrt: true } },
)

type RmspropOptions = Options<{ centered: boolean; momentum: number; epsInSqrt: boolean }>

/**
 * Where eps goes, as two scalars of which one is eps and the other 0: √(a + epsInsideRoot) +
 * epsOutsideRoot covers both placements; `zero` stands for the mean of an uncentered RMSprop.
 * @example
 * import { epsPlacement } from './optimizers/rmsprop'   // internal: rmsprop's scalars
 *
 * epsPlacement(1e-8, true)   // { epsInsideRoot: 1e-8, epsOutsideRoot: 0, zero: 0 }
 */
export function epsPlacement(eps: number, epsInSqrt: boolean) {
  return { epsInsideRoot: epsInSqrt ? eps : 0, epsOutsideRoot: epsInSqrt ? 0 : eps, zero: 0 }
}

/**
 * x ← x − lr·g/(√(a − c² + epsInsideRoot) + epsOutsideRoot): RMSprop's step, c the running mean
 * of g when centered (else 0). RMSprop's rule without momentum:
 * `rule('x', ['x', 'g', 'avg', 'zero', 'epsInsideRoot', 'epsOutsideRoot', 'lr'], rmspropStep)`.
 */
function rmspropStep(x: number, g: number, avg: number, mean: number, epsIn: number, epsOut: number, lr: number) {
  return x - (lr * g) / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}

/** b ← μ·b + g/(√(a − c² + epsInsideRoot) + epsOutsideRoot): PyTorch's momentum buffer. */
function rmspropVelocity(
  buf: number,
  g: number,
  avg: number,
  mean: number,
  epsIn: number,
  epsOut: number,
  momentum: number,
) {
  return momentum * buf + g / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}
