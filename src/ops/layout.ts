/**
 * Layout ops: where the elements of x go, not what they are — pad, flip, tile, tril, triu.
 *
 * One primitive: `pad`, whose transpose is a slice (x̄ = g with the padding cut off). The others
 * are composites of existing primitives, so their derivatives of every order come for free:
 * flip is a slice with step −1, tile is a reshape + broadcastTo + reshape (its gradient sums the
 * copies), tril/triu pick x or 0 through a constant mask with `where` (so an ∞ or a NaN above
 * the diagonal is dropped, not turned into NaN as a multiplication by 0 would).
 */
import { allocate, fmt, scatterStrided, sizeOf, stridesOf } from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { checkTensor, describeArg, normalizeAxes, type AxisLike } from '../check.js'
import { Tensor } from '../tensor.js'
import { where } from './elementwise.js'
import { broadcastTo, reshape } from './shape.js'
import { slice, type SliceSpec } from './indexing.js'

// ---- pad: out = x surrounded by `value`;  x̄ = g with the padding sliced off;  ȯut = pad(ẋ, 0) ----
/** Attributes of `padOp`: [before, after] per axis (non-negative integers) and the fill value. */
export interface PadAttrs {
  widths: [number, number][]
  value: number
}

/** The slice of a padded tensor where x sits. */
function interior(shape: readonly number[], widths: readonly [number, number][]): SliceSpec[] {
  return shape.map((n, k): SliceSpec => [widths[k][0], widths[k][0] + n])
}

/**
 * The primitive behind {@link pad}: out = `value` everywhere, x in the interior;
 * x̄ = slice of g over the interior;  ȯut = ẋ padded with 0 (the fill value is a constant).
 * @example
 * import { pad, padOp, tensor } from 'tapegrad'
 * const x = tensor([1, 2])
 * padOp([x], { widths: [[1, 1]], value: 0 }).toArray() // [0, 1, 2, 0]
 * pad(x, [[1, 1]]).toArray()                           // [0, 1, 2, 0]
 */
export const padOp: Op<PadAttrs> = defineOp<PadAttrs>({
  name: 'pad',
  integers: true,
  forward: ([x], { widths, value }) => {
    const shape = x.shape.map((n, k) => widths[k][0] + n + widths[k][1])
    const out = allocate(x.dtype, sizeOf(shape))
    if (!Object.is(value, 0)) out.fill(value) // −0 too: a fresh buffer holds +0
    if (x.ndim === 0) out.set(x.data)
    else if (x.size > 0) {
      // x is written through a strided view of out that starts at the first interior element.
      const strides = stridesOf(shape)
      let offset = 0
      for (let k = 0; k < shape.length; k++) offset += widths[k][0] * strides[k]
      scatterStrided(out, x.shape, strides, offset, x.data)
    }
    return new Tensor(out, shape)
  },
  backward: (g, [x], _out, { widths }) => [slice(g, interior(x.shape, widths))],
  tangent: ([dx], _x, _out, { widths }) => padOp([dx], { widths, value: 0 }),
})

/** Checks pad's widths: exactly one [before, after] pair of non-negative integers per axis. */
function checkWidths(x: Tensor, widths: unknown): [number, number][] {
  const n = x.ndim
  const example = `[${x.shape.map(() => '[before, after]').join(', ')}]`
  if (!Array.isArray(widths)) {
    throw new Error(
      `pad: widths must be one [before, after] pair per axis, ${example} for shape ${fmt(x.shape)}; ` +
        `got ${describeArg(widths)}`,
    )
  }
  if (widths.length > 0 && widths.every((w) => typeof w === 'number')) {
    // PyTorch's F.pad reads a flat list from the last axis; NumPy reads a flat pair as the
    // widths of every axis. Rather than guess, ask for the unambiguous form.
    throw new Error(
      `pad: widths [${widths.join(', ')}] is a flat list; give one [before, after] pair per axis, ` +
        `${example} for shape ` +
        `${fmt(x.shape)} (NumPy's form; PyTorch's flat F.pad form, last axis first, is not accepted: ` +
        `F.pad(x, (1, 2)) on a 2-D x is [[0, 0], [1, 2]] here)`,
    )
  }
  if (widths.length !== n) {
    throw new Error(
      `pad: widths has ${widths.length} pair${widths.length === 1 ? '' : 's'} for shape ${fmt(x.shape)}, ` +
        `which has ${n} axes (expected ${example})`,
    )
  }
  return widths.map((w, k): [number, number] => {
    const ok = Array.isArray(w) && w.length === 2 && w.every((v) => Number.isInteger(v) && v >= 0)
    if (!ok) {
      const got = Array.isArray(w) ? `[${w.map(String).join(', ')}]` : describeArg(w)
      throw new Error(
        `pad: widths for axis ${k} must be [before, after], two non-negative integers, ` +
          `got ${got} (shape ${fmt(x.shape)})`,
      )
    }
    return [w[0], w[1]]
  })
}

/**
 * Constant padding, as NumPy's `pad(x, widths, constant_values=value)`: axis k gets
 * `widths[k][0]` elements of `value` before and `widths[k][1]` after, so
 * out.shape[k] = before + x.shape[k] + after. `widths` has one [before, after] pair per axis, in
 * axis order. PyTorch's flat form (F.pad's last-axis-first list) is refused with an error that
 * shows the pairs to write: a flat pair means different things in NumPy and PyTorch. Negative
 * widths (cropping in F.pad) are refused too: use `slice`. ∂x = the interior of g (a slice).
 * @example
 * import { pad, tensor } from 'tapegrad'
 * pad(tensor([1, 2]), [[1, 2]])                      // [0, 1, 2, 0, 0]
 * pad(tensor([[1, 2], [3, 4]]), [[0, 1], [1, 0]], 9) // [[9, 1, 2], [9, 3, 4], [9, 9, 9]]
 */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  checkTensor('pad', x)
  const w = checkWidths(x, widths)
  if (typeof value !== 'number') {
    throw new Error(`pad: value must be a number, got ${describeArg(value)} (shape ${fmt(x.shape)})`)
  }
  if (x.dtype === 'int32' && !Number.isInteger(value)) {
    throw new Error(`pad: value ${value} is not an integer, but x is int32 ${fmt(x.shape)}`)
  }
  if (x.dtype === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) {
    // Int32Array would store it modulo 2³² (1e300 as 0): refused, as astype refuses it.
    throw new Error(`pad: value ${value} does not fit in int32 (x is int32 ${fmt(x.shape)})`)
  }
  return padOp([x], { widths: w, value })
}

// ---- flip: out[…, i, …] = x[…, n − 1 − i, …] — a slice with step −1 ----------------------------
/**
 * Reverses the order of the elements along `axis` (a number, a list, or null/undefined for every
 * axis, as NumPy's `flip`; PyTorch's `flip(x, dims)`). The result is a copy; ∂x = g flipped the
 * same way. Composite: a slice with step −1 on each flipped axis.
 * @example
 * import { flip, tensor } from 'tapegrad'
 * flip(tensor([[1, 2], [3, 4]]), 1) // [[2, 1], [4, 3]]
 * flip(tensor([[1, 2], [3, 4]]))    // [[4, 3], [2, 1]]
 */
export function flip(x: Tensor, axis?: AxisLike): Tensor {
  checkTensor('flip', x)
  const axes = normalizeAxes('flip', x.shape, axis)
  const specs = x.shape.map((_, k): SliceSpec => (axes.includes(k) ? [null, null, -1] : null))
  return slice(x, specs)
}

// ---- tile: x repeated reps[k] times along axis k ------------------------------------------------
/**
 * Repeats x `reps[k]` times along axis k, with NumPy's `tile` rules: when reps is longer than
 * x.ndim, x gets leading axes of size 1; when shorter, reps gets leading 1s. So
 * out.shape[k] = x.shape[k] · reps[k] and out[…, i, …] = x[…, i mod x.shape[k], …]. A rep of 0
 * gives an empty axis (as NumPy and PyTorch). ∂x = Σ of g over the copies. Composite: x is read
 * as [1, s₀, 1, s₁, …], broadcast to [r₀, s₀, r₁, s₁, …] and reshaped to [r₀s₀, r₁s₁, …] (a view
 * of x when every rep is 1).
 * @example
 * import { tensor, tile } from 'tapegrad'
 * tile(tensor([1, 2]), 2)          // [1, 2, 1, 2]
 * tile(tensor([1, 2]), [2, 1])     // [[1, 2], [1, 2]]
 * tile(tensor([[1], [2]]), [1, 3]) // [[1, 1, 1], [2, 2, 2]]
 */
export function tile(x: Tensor, reps: number | readonly number[]): Tensor {
  checkTensor('tile', x)
  const list = typeof reps === 'number' ? [reps] : reps
  if (!Array.isArray(list) || !list.every((r) => Number.isInteger(r) && r >= 0)) {
    const got = Array.isArray(list) ? `[${list.map(String).join(', ')}]` : describeArg(reps)
    throw new Error(`tile: reps must be a non-negative integer or a list of them, got ${got} (shape ${fmt(x.shape)})`)
  }
  const d = Math.max(x.ndim, list.length)
  const shape = [...new Array<number>(d - x.ndim).fill(1), ...x.shape]
  const r = [...new Array<number>(d - list.length).fill(1), ...list]
  const spread = shape.flatMap((s) => [1, s])
  const target = shape.flatMap((s, k) => [r[k], s])
  const result = shape.map((s, k) => s * r[k])
  return reshape(broadcastTo(reshape(x, spread), target), result)
}

// ---- tril / triu: x kept on one side of the k-th diagonal, 0 elsewhere --------------------------
const lower = (i: number, j: number, k: number) => j - i <= k
const upper = (i: number, j: number, k: number) => j - i >= k

/** where(mask, x, 0) with the constant [M, N] mask keep(i, j, k), over the last two axes of x. */
function triangle(op: string, x: Tensor, k: number, keep: (i: number, j: number, k: number) => boolean): Tensor {
  checkTensor(op, x)
  if (x.ndim < 2) {
    throw new Error(`${op}: x must have at least 2 axes (a matrix, or a batch of them), got shape ${fmt(x.shape)}`)
  }
  if (!Number.isInteger(k)) {
    throw new Error(`${op}: k must be an integer (the diagonal offset), got ${describeArg(k)} (shape ${fmt(x.shape)})`)
  }
  const M = x.shape[x.ndim - 2]
  const N = x.shape[x.ndim - 1]
  const mask = allocate('int32', M * N)
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) mask[i * N + j] = keep(i, j, k) ? 1 : 0
  return where(new Tensor(mask, [M, N]), x, 0)
}

/**
 * The lower triangle: out[…, i, j] = x[…, i, j] where j − i ≤ k, else 0, over the last two axes
 * (leading axes are a batch). k = 0 keeps the main diagonal, k > 0 diagonals above it, k < 0
 * drops diagonals below it (NumPy's `tril(m, k)`, PyTorch's `tril(x, diagonal)`).
 * ∂x = tril(g, k). Composite: `where` with a constant mask.
 * @example
 * import { tensor, tril } from 'tapegrad'
 * tril(tensor([[1, 2], [3, 4]]))     // [[1, 0], [3, 4]]
 * tril(tensor([[1, 2], [3, 4]]), -1) // [[0, 0], [3, 0]]
 */
export function tril(x: Tensor, k = 0): Tensor {
  return triangle('tril', x, k, lower)
}

/**
 * The upper triangle: out[…, i, j] = x[…, i, j] where j − i ≥ k, else 0, over the last two axes
 * (NumPy's `triu(m, k)`, PyTorch's `triu(x, diagonal)`). ∂x = triu(g, k).
 * @example
 * import { tensor, triu } from 'tapegrad'
 * triu(tensor([[1, 2], [3, 4]]))    // [[1, 2], [0, 4]]
 * triu(tensor([[1, 2], [3, 4]]), 1) // [[0, 2], [0, 0]]
 */
export function triu(x: Tensor, k = 0): Tensor {
  return triangle('triu', x, k, upper)
}
