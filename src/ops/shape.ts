/**
 * Shape ops: reshape, flatten, squeeze, unsqueeze, broadcastTo.
 *
 * Two primitives carry them all. `reshape` only reinterprets the row-major storage, so its
 * output is a view (the same typed array under a new shape, no copy) and its backward reshapes
 * g back. `flatten`, `squeeze` and `unsqueeze` are reshapes with friendlier arguments (one
 * `reshape` entry on the tape each). `broadcastTo` materialises a broadcast through stride-0
 * ndarray views (nd.broadcastTo); its backward returns g unchanged, because the engine's single
 * un-broadcast sums g back over the broadcast axes.
 *
 * Views and in-place writes: ops never write into their inputs, so sharing storage is safe inside
 * the graph. Code that writes into `.data` in place (an optimizer's step, a user) changes every
 * view of that storage too — as with PyTorch's `view`. Use `.clone()` for an independent copy.
 */
import { allocate, broadcastTo as materialise, fmt, normalizeAxis, sameShape, sizeOf } from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { checkTensor } from '../check.js'
import { Tensor } from '../tensor.js'

// ---- reshape: out = x read with another shape (a view);  x̄ = g read with x's shape -----------
/**
 * The primitive behind {@link reshape}, {@link flatten}, {@link squeeze} and {@link unsqueeze}:
 * the same storage read with another shape;  x̄ = g read with x's shape;  ȯut = ẋ reshaped.
 * @example
 * import { arange, reshape, reshapeOp } from 'tapegrad'
 * const x = arange(6)
 * reshapeOp([x], [3, 2]).toArray() // [[0, 1], [2, 3], [4, 5]]
 * reshape(x, [3, 2]).toArray()     // [[0, 1], [2, 3], [4, 5]]
 */
export const reshapeOp: Op<number[]> = defineOp<number[]>({
  name: 'reshape',
  integers: true,
  forward: ([x], shape) => new Tensor(x.data, shape.slice()),
  backward: (g, [x]) => [reshapeOp([g], x.shape)],
  tangent: ([dx], _x, _out, shape) => reshapeOp([dx], shape),
})

/**
 * Gives x a new shape with the same number of elements, read in row-major order. One size may be
 * −1: it is inferred as size(x) / ∏(other sizes).
 *
 * The result is a view: it shares x's storage (no copy), so writing into one's `.data` changes
 * the other. Ops never write into their inputs; `.clone()` gives an independent copy.
 * @example
 * import { arange, reshape } from 'tapegrad'
 * reshape(arange(6), [2, -1]).toArray() // [[0, 1, 2], [3, 4, 5]]
 */
export function reshape(x: Tensor, shape: number[]): Tensor {
  checkTensor('reshape', x)
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array of sizes, got ${String(shape)}`)
  let infer = -1
  let known = 1
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i]
    if (s === -1) {
      if (infer >= 0) throw new Error(`reshape: only one size may be -1, got shape ${fmt(shape)}`)
      infer = i
    } else if (!Number.isInteger(s) || s < 0) {
      throw new Error(`reshape: invalid shape ${fmt(shape)}: sizes must be non-negative integers or a single -1`)
    } else known *= s
  }
  const out = shape.slice()
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      const why = known === 0 ? 'the -1 is ambiguous next to a size 0' : `${x.size} is not a multiple of ${known}`
      throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}: ${why}`)
    }
    out[infer] = x.size / known
  } else if (known !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)} (${known} elements)`)
  }
  return reshapeOp([x], out)
}

/**
 * Merges axes startAxis…endAxis (inclusive, negative counted from the end) into one of size
 * ∏ shape[startAxis..endAxis]. With the defaults, the result is 1-D; a 0-d tensor becomes [1].
 * A reshape, so the result shares x's storage.
 * @example
 * import { flatten, zeros } from 'tapegrad'
 * flatten(zeros([2, 3, 4]), 1).shape  // [2, 12]
 */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  checkTensor('flatten', x)
  if (x.ndim === 0) {
    // As PyTorch: a 0-d tensor flattens to one element; only axis 0 / -1 make sense.
    for (const a of [startAxis, endAxis]) {
      if (a !== 0 && a !== -1) throw new Error(`flatten: axis ${a} is out of range for shape [] (use 0 or -1)`)
    }
    return reshapeOp([x], [1])
  }
  const s = normalizeAxis('flatten', startAxis, x.shape, 'startAxis')
  const e = normalizeAxis('flatten', endAxis, x.shape, 'endAxis')
  if (s > e) throw new Error(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis} for shape ${fmt(x.shape)}`)
  const shape = x.shape.slice(0, s)
  shape.push(sizeOf(x.shape.slice(s, e + 1)))
  for (let i = e + 1; i < x.ndim; i++) shape.push(x.shape[i])
  return reshapeOp([x], shape)
}

/**
 * Removes axes of size 1: all of them, or only the given axis / axes (an error if one of those
 * is not of size 1, as NumPy). A reshape, so the result shares x's storage.
 * @example
 * import { squeeze, zeros } from 'tapegrad'
 * squeeze(zeros([1, 3, 1])).shape     // [3]
 * squeeze(zeros([1, 3, 1]), -1).shape // [1, 3]
 */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  checkTensor('squeeze', x)
  let drop: boolean[]
  if (axis === undefined || axis === null) {
    drop = x.shape.map((s) => s === 1)
  } else {
    const axes = typeof axis === 'number' ? [axis] : axis
    if (!Array.isArray(axes))
      throw new Error(`squeeze: axis must be a number or an array of numbers, got ${typeof axis}`)
    drop = x.shape.map(() => false)
    for (const a of axes) {
      const k = normalizeAxis('squeeze', a, x.shape)
      if (drop[k]) throw new Error(`squeeze: axis ${a} repeated in ${fmt(axes)}`)
      if (x.shape[k] !== 1)
        throw new Error(`squeeze: cannot squeeze axis ${a} of shape ${fmt(x.shape)}: its size is ${x.shape[k]}, not 1`)
      drop[k] = true
    }
  }
  return reshapeOp(
    [x],
    x.shape.filter((_, i) => !drop[i]),
  )
}

/**
 * Inserts an axis of size 1 at position `axis` of the result; axis ∈ [−ndim−1, ndim], negative
 * counted from the end of the result (−1 appends). A reshape, so the result shares x's storage.
 * @example
 * import { unsqueeze, zeros } from 'tapegrad'
 * unsqueeze(zeros([3]), 0).shape  // [1, 3]
 * unsqueeze(zeros([3]), -1).shape // [3, 1]
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', x)
  const n = x.ndim
  if (!Number.isInteger(axis) || axis < -n - 1 || axis > n) {
    throw new Error(
      `unsqueeze: axis ${axis} is out of range for shape ${fmt(x.shape)} (expected an integer in [${-n - 1}, ${n}])`,
    )
  }
  const k = axis < 0 ? axis + n + 1 : axis
  const shape = x.shape.slice()
  shape.splice(k, 0, 1)
  return reshapeOp([x], shape)
}

// ---- broadcastTo: out[i] = x[i with broadcast axes at 0];  x̄ = Σ over broadcast axes of g -----
/**
 * The primitive behind {@link broadcastTo}: x repeated along broadcast axes;  x̄ = g summed over
 * them (by the engine's un-broadcast);  ȯut = ẋ repeated the same way.
 * @example
 * import { broadcastTo, broadcastToOp, tensor } from 'tapegrad'
 * const x = tensor([1, 2])
 * broadcastToOp([x], [3, 2]).toArray() // [[1, 2], [1, 2], [1, 2]]
 * broadcastTo(x, [3, 2]).toArray()     // [[1, 2], [1, 2], [1, 2]]
 */
export const broadcastToOp: Op<number[]> = defineOp<number[]>({
  name: 'broadcastTo',
  integers: true,
  forward: ([x], shape) =>
    new Tensor(sizeOf(shape) === 0 ? allocate(x.dtype, 0) : materialise(x.data, x.shape, shape), shape.slice()),
  // The engine sums g back over the broadcast axes (reductions.ts unbroadcast) to x's shape.
  backward: (g) => [g],
  tangent: ([dx], _x, _out, shape) => broadcastToOp([dx], shape),
})

/**
 * Repeats x along axes of size 1 (and new leading axes) to `shape`, by NumPy's rules: shapes are
 * aligned on the right, and each size of x must equal the target's or be 1.
 * out[i₀…iₙ] = x[…, iₖ if xₖ ≠ 1 else 0, …];  ∂x = g summed over the repeated axes.
 * The result is a fresh contiguous copy (a view of x when the shape does not change).
 * @example
 * import { broadcastTo, tensor } from 'tapegrad'
 * broadcastTo(tensor([1, 2, 3]), [2, 3]) // [[1, 2, 3], [1, 2, 3]]
 */
export function broadcastTo(x: Tensor, shape: number[]): Tensor {
  checkTensor('broadcastTo', x)
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(
      `broadcastTo: invalid target shape ${Array.isArray(shape) ? fmt(shape) : String(shape)}: sizes must be non-negative integers`,
    )
  }
  const lead = shape.length - x.ndim
  if (lead < 0) {
    throw new Error(
      `broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}: the target has fewer axes (${shape.length} < ${x.ndim})`,
    )
  }
  for (let i = 0; i < x.ndim; i++) {
    const from = x.shape[i]
    const to = shape[lead + i]
    if (from !== to && from !== 1) {
      throw new Error(
        `broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)} (axis ${i - x.ndim}: size ${from} cannot become ${to}; only axes of size 1 are repeated)`,
      )
    }
  }
  if (sameShape(x.shape, shape)) return reshapeOp([x], shape.slice())
  return broadcastToOp([x], shape.slice())
}
