import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { firstMoment, secondMoment } from './rules.js'

/**
 * NAdam (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"), as torch.optim.NAdam, with
 * its momentum schedule μ_t = b1·(1 − ½·0.96^(t·ψ)) (ψ = momentumDecay, t = i + 1):
 *
 *     m ← lerp(g, m, b1);  v ← lerp(g², v, b2)
 *     Π_t = μ_1·…·μ_t
 *     x ← x − stepSize(i) · [ (1 − μ_t)/(1 − Π_t) · g + μ_{t+1}/(1 − Π_t·μ_{t+1}) · m ] / (√(v / (1 − b2^t)) + eps)
 *
 * The scalars (μ_t, μ_{t+1}, Π_t) are computed on the host from the step index alone, so a
 * loaded state resumes exactly. (torch 1.13's single-tensor NAdam multiplied Π by μ_t twice in
 * the second coefficient; its foreach path and torch ≥ 2.0 compute the formula above.)
 * Defaults are PyTorch's: b1 0.9, b2 0.999, eps 1e-8, momentumDecay 4e-3. Options:
 * `momentumDecay`, `weightDecay` (coupled), `maximize`.
 *
 * @example
 * const opt = nadam(2e-3)                      // nadam(stepSize, b1, b2, eps, { momentumDecay })
 */
export const nadam = optimizer('nadam', (stepSize: ScheduleLike, b1: number = 0.9, b2: number = 0.999, eps: number = 1e-8, options?: { momentumDecay?: number; weightDecay?: number; maximize?: boolean }) => {
  const lr = checkStepSize('nadam', stepSize)
  checkRange('nadam', 'b1', b1, 0, 1)
  checkRange('nadam', 'b2', b2, 0, 1)
  checkNonNegative('nadam', 'eps', eps)
  const o = readOptions('nadam', options, { momentumDecay: 4e-3, weightDecay: 0, maximize: false })
  checkNonNegative('nadam', 'momentumDecay', o.momentumDecay)
  const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay))
  // Π_t = μ_1·…·μ_t, multiplied in the same order every time (so a resumed run gets the same
  // bits); the last product is remembered so that consecutive steps cost one multiplication.
  let memoT = 0
  let memoProduct = 1
  const product = (t: number) => {
    if (t < memoT) (memoT = 0), (memoProduct = 1)
    for (; memoT < t; ) memoProduct *= mu(++memoT)
    return memoProduct
  }
  return {
    slots: ['m', 'v'],
    scalars: (i: number) => {
      const t = i + 1
      const muT = mu(t)
      const muNext = mu(t + 1)
      const prod = product(t)
      return { b1, b2, eps, cg: (lr(i) * (1 - muT)) / (1 - prod), cm: (lr(i) * muNext) / (1 - prod * muNext), invBias2: 1 / (1 - b2 ** t) }
    },
    rules: [rule('m', ['g', 'm', 'b1'], firstMoment), rule('v', ['g', 'v', 'b2'], secondMoment), rule('x', ['x', 'g', 'm', 'v', 'cg', 'cm', 'invBias2', 'eps'], nadamStep)],
    stepSize: lr,
    hyper: { stepSize, b1, b2, eps, ...o },
    weightDecay: o.weightDecay,
    maximize: o.maximize,
  }
})

/** x ← x − (cg·g + cm·m)/(√(v/(1 − b2^t)) + eps). */
function nadamStep(x: number, g: number, m: number, v: number, cg: number, cm: number, invBias2: number, eps: number) {
  return x - (cg * g + cm * m) / (Math.sqrt(v * invBias2) + eps)
}
