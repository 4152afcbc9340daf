import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { firstMoment, secondMoment } from './rules.js'

/**
 * RAdam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond"), as
 * torch.optim.RAdam: Adam whose adaptive step is switched on only once the variance of v can be
 * estimated, and then scaled by a rectification term r_t.
 *
 *     m ← lerp(g, m, b1);  v ← lerp(g², v, b2);  t = i + 1
 *     ρ∞ = 2/(1 − b2) − 1,   ρ_t = ρ∞ − 2t·b2^t/(1 − b2^t)
 *     ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
 *               x ← x − stepSize(i)·r_t·√(1 − b2^t) · (m/(1 − b1^t)) / (√v + eps)
 *     else:     x ← x − stepSize(i) · m/(1 − b1^t)                (SGD with momentum)
 *
 * ρ_t and r_t depend only on the step index: they are host scalars; the choice between the two
 * branches is a scalar flag read by the rule. Defaults are PyTorch's. Options: `weightDecay`
 * (coupled), `maximize`.
 *
 * @example
 * const opt = radam(1e-3)                      // radam(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 */
export const radam = optimizer('radam', (stepSize: ScheduleLike, b1: number = 0.9, b2: number = 0.999, eps: number = 1e-8, options?: { weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('radam', stepSize)
  checkRange('radam', 'b1', b1, 0, 1)
  checkRange('radam', 'b2', b2, 0, 1)
  checkNonNegative('radam', 'eps', eps)
  const { weightDecay, maximize } = readOptions('radam', options, { weightDecay: 0, maximize: false })
  const rhoInf = 2 / (1 - b2) - 1
  return {
    slots: ['m', 'v'],
    scalars: (i: number) => {
      const t = i + 1
      const bias1 = 1 - b1 ** t
      const bias2 = 1 - b2 ** t
      const rho = rhoInf - (2 * t * b2 ** t) / bias2
      const adaptive = rho > 5 ? 1 : 0
      const rect = adaptive ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0
      return { b1, b2, eps, adaptive, plain: lr(i) / bias1, scaled: adaptive ? (lr(i) / bias1) * rect * Math.sqrt(bias2) : 0 }
    },
    rules: [rule('m', ['g', 'm', 'b1'], firstMoment), rule('v', ['g', 'v', 'b2'], secondMoment), rule('x', ['x', 'm', 'v', 'adaptive', 'plain', 'scaled', 'eps'], radamStep)],
    stepSize: lr,
    hyper: { stepSize, b1, b2, eps, weightDecay, maximize },
    weightDecay,
    maximize,
  }
})

/** The rectified step when `adaptive` is 1, else the bias-corrected momentum step. */
function radamStep(x: number, m: number, v: number, adaptive: number, plain: number, scaled: number, eps: number) {
  if (adaptive > 0.5) return x - (scaled * m) / (Math.sqrt(v) + eps)
  return x - plain * m
}
