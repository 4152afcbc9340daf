import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { accumulateVelocity, nesterovStep } from './rules.js'

/**
 * SGD with Nesterov momentum in JAX's form (`jax.example_libraries.optimizers.nesterov`):
 *
 *     v ← mass·v + g
 *     x ← x − stepSize(i)·(mass·v + g)          (step along the look-ahead direction)
 *
 * Same as torch.optim.SGD(momentum = mass, nesterov = True). `mass` defaults to 0.9.
 * Options: `weightDecay` (coupled), `maximize`.
 *
 * @example
 * import { nesterov } from 'tapegrad/optimizers'
 *
 * const opt = nesterov(0.01, 0.9)
 */
export const nesterov = optimizer(
  'nesterov',
  (stepSize: ScheduleLike, mass = 0.9, options?: Options) => ({ stepSize, mass, options }),
  () => ({
    rules: [rule('v', ['v', 'g', 'mass'], accumulateVelocity), rule('x', ['x', 'g', 'v', 'lr', 'mass'], nesterovStep)],
  }),
)
