import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverage, movingAverageOfSquare } from './rules.js'

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
 * import { radam } from 'tapegrad/optimizers'
 *
 * const opt = radam(1e-3)                      // radam(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 * opt.hyper   // { stepSize: 0.001, b1: 0.9, b2: 0.999, eps: 1e-8 }
 */
export const radam = optimizer(
  'radam',
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.999, eps = 1e-8, options?: Options) => ({ stepSize, b1, b2, eps, options }),
  ({ stepSize, b1, b2 }) => {
    const rhoInf = 2 / (1 - b2) - 1
    return {
      scalars: (i) => {
        const t = i + 1
        const bias1 = 1 - b1 ** t
        const bias2 = 1 - b2 ** t
        const rho = rhoInf - (2 * t * b2 ** t) / bias2
        const adaptive = rho > 5 ? 1 : 0
        const rect = adaptive ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0
        const momentumLr = stepSize(i) / bias1
        return { adaptive, momentumLr, adaptiveLr: adaptive ? momentumLr * rect * Math.sqrt(bias2) : 0 }
      },
      rules: [
        rule('m', ['g', 'm', 'b1'], movingAverage),
        rule('v', ['g', 'v', 'b2'], movingAverageOfSquare),
        rule('x', ['x', 'm', 'v', 'adaptive', 'momentumLr', 'adaptiveLr', 'eps'], radamStep),
      ],
    }
  },
)

/** The rectified step when `adaptive` is 1, else the bias-corrected momentum step. */
function radamStep(
  x: number,
  m: number,
  v: number,
  adaptive: number,
  momentumLr: number,
  adaptiveLr: number,
  eps: number,
) {
  if (adaptive > 0.5) return x - (adaptiveLr * m) / (Math.sqrt(v) + eps)
  return x - momentumLr * m
}
