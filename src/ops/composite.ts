/**
 * Composite ops: softmax, logSoftmax and the losses. None has a backward of its own — each is a
 * plain function of primitives, so its gradient is whatever the chain rule through those
 * primitives gives (tinygrad's rule: few primitives, everything else composes them).
 *
 * Every function here is written in a numerically stable form and stays finite, with finite and
 * correct gradients, at logits of ±1000.
 */
import { checkFloat, checkTarget } from '../check.js'
import { allocate, fmt, sizeOf } from '../nd.js'
import { Tensor, type TensorLike } from '../tensor.js'
import { add, exp, log, mul, neg, pow, square, sub, where } from './elementwise.js'
import { max, mean, sum } from './reduce.js'
import { softplus } from './activations.js'
import { noGrad } from '../recording.js'

/** How a loss reduces its per-element values: their mean (default), their sum, or not at all. */
export type Reduction = 'mean' | 'sum' | 'none'

/** Integer class labels: an array, a typed array, or a tensor holding integer values. */
export type Labels = Tensor | readonly number[] | ArrayLike<number>

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** 'mean' (default): mean over samples; 'sum'; 'none': one loss per sample. */
  reduction?: Reduction
  /** The class axis of the logits (default −1, the last). */
  axis?: number
}

/** One axis of `shape`, negative counting from the end. */
function oneAxis(op: string, shape: readonly number[], axis: number): number {
  const nd = shape.length
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new Error(`${op}: axis must be an integer, got ${String(axis)} (shape ${fmt(shape)})`)
  if (axis < -nd || axis >= nd) {
    const range = nd === 0 ? 'a 0-d tensor has no axes' : `valid axes are ${-nd}..${nd - 1}`
    throw new Error(`${op}: axis ${axis} is out of range for shape ${fmt(shape)} (${range})`)
  }
  return axis < 0 ? axis + nd : axis
}

function reduce(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean':
      return mean(loss)
    case 'sum':
      return sum(loss)
    case 'none':
      return loss
    default:
      throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`)
  }
}

/**
 * x − m along axis `a`, with m = max x (keepdims) held constant: the shift that makes exp safe.
 * Rows whose maximum is ±∞ are shifted by 0 instead, so that x − m is not NaN (∞ − ∞).
 */
function shiftByMax(x: Tensor, a: number): Tensor {
  const m = noGrad(() => max(x, a, true))
  for (let i = 0; i < m.data.length; i++) if (m.data[i] === Infinity || m.data[i] === -Infinity) m.data[i] = 0
  return sub(x, m.detach())
}

/**
 * softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along `axis` (default −1), with m = max x held
 * constant: the shift cancels exactly, and exp never overflows (finite at x = ±1000).
 * @example
 * import { softmax, tensor } from 'tapegrad'
 * softmax(tensor([1, 2, 3])) // [0.0900, 0.2447, 0.6652]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkFloat('softmax', x)
  const a = oneAxis('softmax', x.shape, axis)
  // Nothing to normalise; mul by 1 keeps the empty shape and, unlike clone(), the tape (x's gradient).
  if (x.shape[a] === 0) return mul(x, 1)
  const e = exp(shiftByMax(x, a))
  return mul(e, pow(sum(e, a, true), -1))
}

/**
 * log softmax(x) = (x − m) − log Σ exp(x − m) along `axis` (default −1), m = max x held constant.
 * Stable: never forms softmax and takes its log, so log-probabilities of −2000 come out as −2000,
 * not −∞; and the shift comes first, so at logits ≈ ±1000 no digits cancel (x − logsumexp(x)
 * would lose the ~3 digits that 1000 occupies). Gradient: 1 − softmax(x) per unit cotangent.
 * @example
 * import { logSoftmax, tensor } from 'tapegrad'
 * logSoftmax(tensor([1000, 0])) // [0, -1000]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkFloat('logSoftmax', x)
  const a = oneAxis('logSoftmax', x.shape, axis)
  if (x.shape[a] === 0) return mul(x, 1)
  const shifted = shiftByMax(x, a)
  return sub(shifted, log(sum(exp(shifted), a, true)))
}

/**
 * Cross-entropy between logits and targets along the class axis `axis` (default −1):
 *   integer labels yᵢ:            lossᵢ = −log softmax(xᵢ)[yᵢ]
 *   probabilities p (x's shape):  lossᵢ = −Σ_c p_c · log softmax(xᵢ)_c
 * then reduced by `reduction` ('mean' over samples by default, 'sum', or 'none' → one loss per
 * sample, of the logits' shape without the class axis). Labels are an array, an Int32Array or a
 * tensor of integer values with the logits' shape minus the class axis; a target tensor with the
 * logits' full shape is read as probabilities (and receives a gradient if it requires one).
 * Labels pick their log-probability through a constant one-hot mask (no gather), so this stays a
 * composite; its gradient is (softmax(x) − onehot(y)) / N for 'mean'.
 * @example
 * import { crossEntropy, tensor } from 'tapegrad'
 * // the mean of −log softmax(logits)[target] over the rows, as PyTorch's F.cross_entropy
 * crossEntropy(tensor([[2, 0, -1], [0, 3, 0]]), [0, 1]).item() // 0.1324
 */
export function crossEntropy(logits: Tensor, target: Labels, options: CrossEntropyOptions = {}): Tensor {
  checkFloat('crossEntropy', logits, 'logits')
  if (logits.ndim === 0) throw new Error(`crossEntropy: logits must have a class axis, got a 0-d tensor`)
  const a = oneAxis('crossEntropy', logits.shape, options.axis ?? -1)
  const reduction = options.reduction ?? 'mean'
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`crossEntropy: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`)
  }
  const C = logits.shape[a]
  const labelShape = logits.shape.filter((_, i) => i !== a)
  let weights: Tensor
  const probabilities = target instanceof Tensor && target.ndim === logits.ndim
  if (probabilities) {
    // Probabilities. (Labels have one axis fewer, so the two readings never overlap.)
    if (target.shape.some((s, i) => s !== logits.shape[i])) {
      throw new Error(
        `crossEntropy: target ${fmt(target.shape)} fits neither reading for logits ${fmt(logits.shape)} with class axis ${a}: ` +
          `probabilities must have shape ${fmt(logits.shape)}, labels shape ${fmt(labelShape)}`,
      )
    }
    weights = checkTarget('crossEntropy', logits, target as Tensor)
  } else {
    weights = oneHot(logits, a, C, labelShape, target)
  }
  const logp = logSoftmax(logits, a)
  // Labels select with the mask rather than multiply by it: 0 · (−∞) at another class whose
  // logit is −∞ would make the loss NaN, where PyTorch's gather gives the label's own term.
  const picked = probabilities ? mul(logp, weights) : where(weights, logp, 0)
  return reduce('crossEntropy', neg(sum(picked, a)), reduction)
}

/** The constant one-hot mask of the labels, in the logits' shape and dtype. */
function oneHot(logits: Tensor, a: number, C: number, labelShape: number[], target: Labels): Tensor {
  let values: ArrayLike<number>
  if (target instanceof Tensor) {
    const ls = target.shape
    if (ls.length !== labelShape.length || ls.some((s, i) => s !== labelShape[i])) {
      throw new Error(
        `crossEntropy: labels of shape ${fmt(ls)} do not fit logits ${fmt(logits.shape)} with class axis ${a}: ` +
          `expected labels of shape ${fmt(labelShape)} or probabilities of shape ${fmt(logits.shape)}`,
      )
    }
    values = target.data
  } else if (
    // An array-like test of the same shape as gather's in ops/indexing.ts: each names its own
    // argument and goes on to its own checks, so the three lines stay inline.
    target !== null &&
    typeof target === 'object' &&
    typeof (target as ArrayLike<number>).length === 'number'
  ) {
    values = target as ArrayLike<number>
    if (values.length !== sizeOf(labelShape)) {
      throw new Error(
        `crossEntropy: got ${values.length} labels for logits ${fmt(logits.shape)} with class axis ${a}: ` +
          `expected ${sizeOf(labelShape)} (labels of shape ${fmt(labelShape)})`,
      )
    }
  } else {
    throw new Error(
      `crossEntropy: target must be labels (an array, Int32Array or Tensor) or a probability Tensor, got ${target === null ? 'null' : typeof target}`,
    )
  }
  // logits seen as [outer, C, inner]; label p = o·inner + j marks element (o·C + c)·inner + j.
  let inner = 1
  for (let i = a + 1; i < logits.ndim; i++) inner *= logits.shape[i]
  const mask = allocate(logits.dtype, logits.size)
  for (let p = 0; p < values.length; p++) {
    const c = values[p]
    if (typeof c !== 'number' || !Number.isInteger(c)) {
      throw new Error(
        `crossEntropy: label ${String(c)} at index ${p} is not an integer class index (logits ${fmt(logits.shape)})`,
      )
    }
    if (c < 0 || c >= C) {
      throw new Error(
        `crossEntropy: label ${c} at index ${p} is out of range for ${C} classes (logits ${fmt(logits.shape)}, class axis ${a})`,
      )
    }
    const o = Math.floor(p / inner)
    const j = p - o * inner
    mask[(o * C + c) * inner + j] = 1
  }
  return new Tensor(mask, logits.shape.slice())
}

/**
 * Mean squared error: (pred − target)² reduced by `reduction` ('mean' default, 'sum', 'none').
 * `target` must have pred's shape (no silent broadcasting, a classic bug with [N,1] against
 * [N]), or be a number.
 * @example
 * import { mse, tensor } from 'tapegrad'
 * // ((1 − 0)² + (2 − 0)²) / 2
 * mse(tensor([1, 2]), tensor([0, 0])).item() // 2.5
 */
export function mse(pred: Tensor, target: TensorLike, reduction: Reduction = 'mean'): Tensor {
  checkFloat('mse', pred, 'pred')
  const t = checkTarget('mse', pred, target)
  return reduce('mse', square(sub(pred, t)), reduction)
}

/**
 * Binary cross-entropy on logits x with targets t ∈ [0, 1] (same shape, or a number):
 *   loss = −t·log σ(x) − (1 − t)·log(1 − σ(x)) = softplus(x) − x·t
 * softplus is computed stably (src/ops/activations.ts), so the loss is finite for any x; its
 * gradient is σ(x) − t and its second derivative σ(x)·(1 − σ(x)), smooth everywhere.
 * @example
 * import { binaryCrossEntropyWithLogits, tensor } from 'tapegrad'
 * // a logit of 0 is p = 0.5, whose loss is ln 2
 * binaryCrossEntropyWithLogits(tensor([0]), tensor([1])).item() // 0.6931
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: TensorLike,
  reduction: Reduction = 'mean',
): Tensor {
  checkFloat('binaryCrossEntropyWithLogits', logits, 'logits')
  const t = checkTarget('binaryCrossEntropyWithLogits', logits, target)
  // Not max(x, 0) + ln(1 + e^(−|x|)) − x·t: that spelling has kinks at 0 (max and |x|) that
  // break the second derivative there.
  // The two spellings softplus(x) − x·t and (1 − t)·x + softplus(−x) are equal, but at x = +∞
  // the first is ∞ − ∞ and at x = −∞ the second is: each is taken on the side where it is the
  // limit (∞ for t = 0 at x = +∞, as PyTorch), with a constant mask. Both are smooth, so the
  // gradient σ(x) − t and second derivative are unchanged.
  const positive = allocate(logits.dtype, logits.size)
  for (let i = 0; i < positive.length; i++) positive[i] = logits.data[i] >= 0 ? 1 : 0
  const loss = where(
    new Tensor(positive, logits.shape.slice()),
    add(mul(sub(1, t), logits), softplus(neg(logits))),
    sub(softplus(logits), mul(logits, t)),
  )
  return reduce('binaryCrossEntropyWithLogits', loss, reduction)
}
