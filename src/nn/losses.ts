/**
 * Losses under `nn`. mse, crossEntropy and binaryCrossEntropyWithLogits are the core's composites
 * (src/ops/composite.ts); `hinge` is written here, the same way: a plain function of primitives,
 * with no backward of its own.
 */
import { mean, sum } from '../ops/reduce.js'
import { relu, sub, mul } from '../ops/elementwise.js'
import { fmt } from '../nd.js'
import { Tensor, type TensorLike } from '../tensor.js'
import type { Reduction } from '../ops/composite.js'

export { binaryCrossEntropyWithLogits, crossEntropy, mse, type CrossEntropyOptions, type Labels, type Reduction } from '../ops/composite.js'

/**
 * Hinge (max-margin, SVM) loss for scores s and targets y ∈ {−1, +1} of the same shape:
 *   lossᵢ = max(0, margin − yᵢ·sᵢ)
 * reduced by `reduction` ('mean' by default, 'sum', 'none'). Zero once a sample is on the right
 * side with a margin; its gradient is −y where the margin is violated and 0 elsewhere. This is the
 * loss of micrograd's moons demo.
 * @example hinge(tensor([2, -0.5]), tensor([1, 1])) // mean(max(0, 1−2), max(0, 1+0.5)) = 0.75
 */
export function hinge(scores: Tensor, target: TensorLike, options: { reduction?: Reduction; margin?: number } = {}): Tensor {
  if (!(scores instanceof Tensor)) throw new Error(`hinge: scores must be a Tensor, got ${scores === null ? 'null' : typeof scores}`)
  if (target instanceof Tensor) {
    if (target.shape.length !== scores.shape.length || target.shape.some((s, i) => s !== scores.shape[i])) {
      throw new Error(`hinge: scores ${fmt(scores.shape)} and target ${fmt(target.shape)} must have the same shape`)
    }
  } else if (typeof target !== 'number') {
    throw new Error(`hinge: target must be a Tensor or a number, got ${target === null ? 'null' : typeof target}`)
  }
  const margin = options.margin ?? 1
  const loss = relu(sub(margin, mul(scores, target)))
  const reduction = options.reduction ?? 'mean'
  if (reduction === 'mean') return mean(loss)
  if (reduction === 'sum') return sum(loss)
  if (reduction === 'none') return loss
  throw new Error(`hinge: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`)
}
