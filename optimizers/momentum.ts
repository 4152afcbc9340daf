import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { descend, accumulateVelocity } from './rules.js'

/**
 * SGD with (heavy-ball) momentum in JAX's form (`jax.example_libraries.optimizers.momentum`):
 *
 *     v ← mass·v + g
 *     x ← x − stepSize(i)·v
 *
 * Same as torch.optim.SGD(momentum = mass, dampening = 0). `mass` defaults to 0.9 (JAX has no
 * default; 0.9 is what almost everyone uses). Options: `weightDecay` (coupled), `maximize`.
 *
 * @example
 * import { momentum } from 'tapegrad/optimizers'
 *
 * const opt = momentum(0.01, 0.9)
 */
export const momentum = optimizer(
  'momentum',
  (stepSize: ScheduleLike, mass = 0.9, options?: Options) => ({ stepSize, mass, options }),
  () => ({ rules: [rule('v', ['v', 'g', 'mass'], accumulateVelocity), rule('x', ['x', 'v', 'lr'], descend)] }),
)
