import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverageOfSquare, movingAverage } from './rules.js'
import { epsPlacement } from './rmsprop.js'

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
 * import { rmspropMomentum } from 'tapegrad/optimizers'
 *
 * const opt = rmspropMomentum(1e-3)          // rmspropMomentum(stepSize, gamma, eps, momentum)
 * opt.hyper   // { gamma: 0.9, eps: 1e-8, momentum: 0.9 }
 */
export const rmspropMomentum = optimizer(
  'rmspropMomentum',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, gamma = 0.9, eps = 1e-8, momentum = 0.9, options?: RmspropMomentumOptions) =>
    ({ stepSize, gamma, eps, momentum, options }),
  ({ eps, centered, epsInSqrt }) => ({
    scalars: () => epsPlacement(eps, epsInSqrt),
    rules: [
      rule('avg', ['g', 'avg', 'gamma'], movingAverageOfSquare),
      centered && rule('mg', ['g', 'mg', 'gamma'], movingAverage),
      rule('mom', ['mom', 'g', 'avg', centered ? 'mg' : 'zero', ...EPS, 'lr', 'momentum'], scaledVelocity),
      rule('x', ['x', 'mom'], takeStep),
    ],
  }),
  { options: { centered: false, epsInSqrt: true } },
)

type RmspropMomentumOptions = Options<{ centered: boolean; epsInSqrt: boolean }>
const EPS = ['epsInsideRoot', 'epsOutsideRoot']

/** b ← μ·b + lr·g/(√(a − c² + epsInsideRoot) + epsOutsideRoot): the buffer holds the step. */
function scaledVelocity(
  mom: number,
  g: number,
  avg: number,
  mean: number,
  epsIn: number,
  epsOut: number,
  lr: number,
  momentum: number,
) {
  return momentum * mom + (lr * g) / (Math.sqrt(avg - mean * mean + epsIn) + epsOut)
}

/** x ← x − b. */
function takeStep(x: number, step: number) {
  return x - step
}
