import { optimizer, rule, checkStepSize, checkRange, readOptions, type ScheduleLike } from './optimizer.js'
import { descend, heavyBall } from './rules.js'

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
 * const opt = momentum(0.01, 0.9)
 */
export const momentum = optimizer('momentum', (stepSize: ScheduleLike, mass: number = 0.9, options?: { weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('momentum', stepSize)
  checkRange('momentum', 'mass', mass, 0, 1, true)
  const { weightDecay, maximize } = readOptions('momentum', options, { weightDecay: 0, maximize: false })
  return {
    slots: ['v'],
    scalars: (i: number) => ({ lr: lr(i), mass }),
    rules: [rule('v', ['v', 'g', 'mass'], heavyBall), rule('x', ['x', 'v', 'lr'], descend)],
    stepSize: lr,
    hyper: { stepSize, mass, weightDecay, maximize },
    weightDecay,
    maximize,
  }
})
