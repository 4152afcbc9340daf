import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverage, movingAverageOfSquare } from './rules.js'

/**
 * NAdam (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"), as torch.optim.NAdam, with
 * its momentum schedule μ_t = b1·(1 − ½·0.96^(t·ψ)) (ψ = momentumDecay, t = i + 1):
 *
 *     m ← lerp(g, m, b1);  v ← lerp(g², v, b2)
 *     Π_t = μ_1·…·μ_t
 *     c_g = (1 − μ_t)/(1 − Π_t),   c_m = μ_{t+1}/(1 − Π_t·μ_{t+1})
 *     x ← x − stepSize(i) · (c_g·g + c_m·m) / (√(v / (1 − b2^t)) + eps)
 *
 * The scalars (μ_t, μ_{t+1}, Π_t) are computed on the host from the step index alone, so a
 * loaded state resumes exactly. (torch 1.13's single-tensor NAdam multiplied Π by μ_t twice in
 * the second coefficient; its foreach path and torch ≥ 2.0 compute the formula above.)
 * Defaults are PyTorch's: b1 0.9, b2 0.999, eps 1e-8, momentumDecay 4e-3. Options:
 * `momentumDecay`, `weightDecay` (coupled), `maximize`.
 *
 * @example
 * import { nadam } from 'tapegrad/optimizers'
 *
 * const opt = nadam(2e-3)                      // nadam(stepSize, b1, b2, eps, { momentumDecay })
 * opt.hyper   // { b1: 0.9, b2: 0.999, eps: 1e-8, momentumDecay: 0.004 }
 */
export const nadam = optimizer(
  'nadam',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.999, eps = 1e-8, options?: Options<{ momentumDecay: number }>) =>
    ({ stepSize, b1, b2, eps, options }),
  ({ stepSize, b1, b2, momentumDecay }) => {
    const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** (t * momentumDecay))
    const product = momentumProduct(mu)
    return {
      scalars: (i) => {
        const t = i + 1
        const muNext = mu(t + 1)
        return {
          gradientCoefficient: (stepSize(i) * (1 - mu(t))) / (1 - product(t)),
          momentumCoefficient: (stepSize(i) * muNext) / (1 - product(t) * muNext),
          invBias2: 1 / (1 - b2 ** t),
        }
      },
      rules: [
        rule('m', ['g', 'm', 'b1'], movingAverage),
        rule('v', ['g', 'v', 'b2'], movingAverageOfSquare),
        rule('x', ['x', 'g', 'm', 'v', 'gradientCoefficient', 'momentumCoefficient', 'invBias2', 'eps'], nadamStep),
      ],
    }
  },
  { options: { momentumDecay: 4e-3 } },
)

/**
 * t ↦ Π_t = μ_1·…·μ_t, multiplied in the same order every time (so a resumed run gets the same
 * bits); the last product is remembered so that consecutive steps cost one multiplication.
 */
function momentumProduct(mu: (t: number) => number): (t: number) => number {
  let memoT = 0
  let memoProduct = 1
  return (t) => {
    if (t < memoT) {
      memoT = 0
      memoProduct = 1
    }
    for (; memoT < t;) memoProduct *= mu(++memoT)
    return memoProduct
  }
}

/** x ← x − (c_g·g + c_m·m)/(√(v/(1 − b2^t)) + eps), with the two coefficients from the host. */
function nadamStep(
  x: number,
  g: number,
  m: number,
  v: number,
  gradientCoefficient: number,
  momentumCoefficient: number,
  invBias2: number,
  eps: number,
) {
  return x - (gradientCoefficient * g + momentumCoefficient * m) / (Math.sqrt(v * invBias2) + eps)
}
