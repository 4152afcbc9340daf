import { optimizer, rule, checkStepSize, checkRange, readOptions, type ScheduleLike } from './optimizer.js'
import { heavyBall, nesterovStep } from './rules.js'

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
 * const opt = nesterov(0.01, 0.9)
 */
export const nesterov = optimizer('nesterov', (stepSize: ScheduleLike, mass: number = 0.9, options?: { weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('nesterov', stepSize)
  checkRange('nesterov', 'mass', mass, 0, 1, true)
  const { weightDecay, maximize } = readOptions('nesterov', options, { weightDecay: 0, maximize: false })
  return {
    slots: ['v'],
    scalars: (i: number) => ({ lr: lr(i), mass }),
    rules: [rule('v', ['v', 'g', 'mass'], heavyBall), rule('x', ['x', 'g', 'v', 'lr', 'mass'], nesterovStep)],
    stepSize: lr,
    hyper: { stepSize, mass, weightDecay, maximize },
    weightDecay,
    maximize,
  }
})
