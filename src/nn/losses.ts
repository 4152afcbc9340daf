/**
 * Losses under `nn`. mse, crossEntropy and binaryCrossEntropyWithLogits are the core's composites
 * (src/ops/composite.ts); `hinge` and `huber` are written here, the same way: plain functions of
 * primitives, with no backward of their own.
 */
import { mean, sum } from '../ops/reduce.js'
import { abs, add, minimum, relu, square, sub, mul } from '../ops/elementwise.js'
import { checkFloat, checkTarget } from '../check.js'
import { Tensor, type TensorLike } from '../tensor.js'
import type { Reduction } from '../ops/composite.js'

export {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mse,
  type CrossEntropyOptions,
  type Labels,
  type Reduction,
} from '../ops/composite.js'

/**
 * Hinge (max-margin, SVM) loss for scores s and targets y ∈ {−1, +1} of the same shape:
 *   lossᵢ = max(0, margin − yᵢ·sᵢ)
 * reduced by `reduction` ('mean' by default, 'sum', 'none'). Zero once a sample is on the right
 * side with a margin; its gradient is −y where the margin is violated and 0 elsewhere. This is the
 * loss of micrograd's moons demo.
 * @example
 * import { nn, tensor } from 'tapegrad'
 * nn.hinge(tensor([2, -0.5]), tensor([1, 1])) // 0.75
 */
export function hinge(
  scores: Tensor,
  target: TensorLike,
  options: { reduction?: Reduction; margin?: number } = {},
): Tensor {
  // Checked and reduced as huber below and the core's losses do (composite.ts, whose reduce() is
  // private to src/ops): each loss names itself in its errors.
  checkFloat('hinge', scores, 'scores')
  const t = checkTarget('hinge', scores, target, 'scores')
  const margin = options.margin ?? 1
  const loss = relu(sub(margin, mul(scores, t)))
  const reduction = options.reduction ?? 'mean'
  if (reduction === 'mean') return mean(loss)
  if (reduction === 'sum') return sum(loss)
  if (reduction === 'none') return loss
  throw new Error(`hinge: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`)
}

/**
 * Huber loss of predictions p against targets y (the same shape, or a number), elementwise on
 * the error d = p − y with threshold δ > 0:
 *   lossᵢ = ½·dᵢ²              where |dᵢ| ≤ δ
 *   lossᵢ = δ·(|dᵢ| − ½·δ)     elsewhere
 * reduced by `reduction` ('mean' by default, 'sum', 'none'). Quadratic near 0 and linear far
 * away: its gradient is d clipped to [−δ, δ], so one wild target cannot blow up a step. This is
 * the error clipping of DQN (Mnih et al., 2015) and `torch.nn.functional.huber_loss(p, y,
 * delta=δ)`. Written with q = min(|d|, δ) as ½·q² + δ·(|d| − q), which is the same piecewise
 * function and needs no branch.
 * @example
 * import { nn, tensor } from 'tapegrad'
 * nn.huber(tensor([0.5, 3]), tensor([0, 0])) // 1.3125
 */
export function huber(
  pred: Tensor,
  target: TensorLike,
  options: { delta?: number; reduction?: Reduction } = {},
): Tensor {
  // The same checks as hinge above; the reduction is checked before any tensor work is done.
  checkFloat('huber', pred, 'predictions')
  const t = checkTarget('huber', pred, target, 'predictions')
  const delta = options.delta ?? 1
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta))
    throw new Error(`huber: delta must be a positive finite number, got ${String(delta)}`)
  const reduction = options.reduction ?? 'mean'
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`huber: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`)
  }
  const a = abs(sub(pred, t))
  const q = minimum(a, delta)
  const loss = add(mul(square(q), 0.5), mul(sub(a, q), delta))
  if (reduction === 'mean') return mean(loss)
  if (reduction === 'sum') return sum(loss)
  return loss
}
