import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { firstMoment } from './rules.js'

/**
 * AdaMax (Kingma & Ba, 2015, Algorithm 2): Adam with the infinity norm in place of the root
 * mean square, in JAX's form (`jax.example_libraries.optimizers.adamax`):
 *
 *     m ← lerp(g, m, b1)
 *     u ← max(b2·u, |g|)
 *     x ← x − stepSize(i) / (1 − b1^(i+1)) · m / (u + eps)
 *
 * torch.optim.Adamax puts eps inside the max instead (u ← max(b2·u, |g| + eps), x ← … m/u):
 * the two differ only where |g| is comparable to eps (1e-8). Options: `weightDecay` (coupled),
 * `maximize`.
 *
 * @example
 * const opt = adamax(2e-3)                     // adamax(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 */
export const adamax = optimizer('adamax', (stepSize: ScheduleLike, b1: number = 0.9, b2: number = 0.999, eps: number = 1e-8, options?: { weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('adamax', stepSize)
  checkRange('adamax', 'b1', b1, 0, 1)
  checkRange('adamax', 'b2', b2, 0, 1)
  checkNonNegative('adamax', 'eps', eps)
  const { weightDecay, maximize } = readOptions('adamax', options, { weightDecay: 0, maximize: false })
  return {
    slots: ['m', 'u'],
    scalars: (i: number) => ({ b1, b2, eps, clr: lr(i) / (1 - b1 ** (i + 1)) }),
    rules: [rule('m', ['g', 'm', 'b1'], firstMoment), rule('u', ['g', 'u', 'b2'], infinityNorm), rule('x', ['x', 'm', 'u', 'clr', 'eps'], adamaxStep)],
    stepSize: lr,
    hyper: { stepSize, b1, b2, eps, weightDecay, maximize },
    weightDecay,
    maximize,
  }
})

/** u ← max(b2·u, |g|). */
function infinityNorm(g: number, u: number, b2: number) {
  return Math.max(b2 * u, Math.abs(g))
}

/** x ← x − clr·m/(u + eps). */
function adamaxStep(x: number, m: number, u: number, clr: number, eps: number) {
  return x - (clr * m) / (u + eps)
}
