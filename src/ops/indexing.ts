/**
 * Indexing ops: slice, gather / indexSelect, concat, stack, split.
 *
 * Three primitives, each with its transpose as a primitive too, so that their backward rules can
 * be differentiated again. `slice` reads a strided ndarray view of x (offset + per-axis strides,
 * the same view `.lo/.hi/.step/.pick` would build, made in one construction) and copies it to
 * contiguous storage; its backward, `unslice`, writes g through the same view into zeros of x's
 * shape. `gather` copies rows picked by integer indices; its backward, `scatterAdd`, adds them
 * back, so an index that appears twice receives both gradients (what an embedding table needs).
 * `concat` copies blocks; its backward slices g back into them. `indexSelect`, `stack` and
 * `split` are composites.
 *
 * Common contiguous cases skip the strided machinery: a slice that is one contiguous block
 * (`x[2:5]`, `x[i]`, a split along axis 0) is one `TypedArray.slice`; gather and concat copy whole
 * rows/blocks with `TypedArray.set`.
 */
import {
  allocate,
  fmt,
  gatherStrided,
  normalizeAxis,
  scatterStrided,
  sizeOf,
  stridesOf,
  type TypedArray,
} from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { checkTensor } from '../check.js'
import { Tensor, tensor, type NestedArray } from '../tensor.js'
import { unsqueeze } from './shape.js'

/**
 * How one axis is sliced, NumPy style:
 * - `null` (or a missing trailing spec): the whole axis;
 * - a number i: that one index (negative counts from the end); the axis is DROPPED, as x[i] in NumPy;
 * - `[start, stop, step]`: Python's start:stop:step — any part may be omitted or null, negative
 *   start/stop count from the end, out-of-range bounds are clipped, step ≠ 0 (negative reverses).
 */
export type SliceSpec = null | number | [start?: number | null, stop?: number | null, step?: number]

/**
 * Integer indices: a Tensor (any shape, integer values), a plain or nested array, a typed array,
 * or a single number (a 0-d index, which drops the axis).
 */
export type IndexLike = Tensor | NestedArray | Int32Array | ArrayLike<number>

/** dst[d…d+n) = src[s…s+n): a plain loop for short runs, `set` (memcpy) for long ones. */
function copyRun(src: TypedArray, s: number, dst: TypedArray, d: number, n: number): void {
  if (n >= 64) dst.set(src.subarray(s, s + n), d)
  else for (let j = 0; j < n; j++) dst[d + j] = src[s + j]
}

// ---- slice ---------------------------------------------------------------------------------
/** Where a slice reads in x's storage: out[i₀…] = x.data[offset + Σ iₖ·strides[k]]. */
interface SlicePlan {
  shape: number[]
  strides: number[]
  offset: number
  /** The elements read form one contiguous block starting at offset. */
  block: boolean
}

function describeSpec(s: unknown): string {
  if (Array.isArray(s)) return `[${s.map(String).join(', ')}]`
  return typeof s === 'string' ? `'${s}'` : String(s)
}

function planSlice(x: Tensor, ranges: readonly SliceSpec[]): SlicePlan {
  if (!Array.isArray(ranges))
    throw new Error(`slice: ranges must be an array with one spec per axis, got ${describeSpec(ranges)}`)
  if (ranges.length > x.ndim) {
    throw new Error(
      `slice: ${ranges.length} spec${ranges.length === 1 ? '' : 's'} given for shape ${fmt(x.shape)}, which has ${x.ndim} axes`,
    )
  }
  const xs = stridesOf(x.shape)
  const shape: number[] = []
  const strides: number[] = []
  let offset = 0
  for (let k = 0; k < x.ndim; k++) {
    const spec = ranges[k]
    const n = x.shape[k]
    if (spec === null || spec === undefined) {
      shape.push(n)
      strides.push(xs[k])
    } else if (typeof spec === 'number') {
      if (!Number.isInteger(spec))
        throw new Error(`slice: index ${spec} for axis ${k} is not an integer (shape ${fmt(x.shape)})`)
      if (spec < -n || spec >= n) {
        throw new Error(`slice: index ${spec} is out of range for axis ${k} of size ${n} (shape ${fmt(x.shape)})`)
      }
      offset += (spec < 0 ? spec + n : spec) * xs[k]
    } else if (Array.isArray(spec) && spec.length <= 3) {
      // An omitted or null step is 1, as Python's None.
      const [start, stop] = spec
      const step = spec[2] ?? 1
      for (const v of [start, stop]) {
        if (v !== null && v !== undefined && !Number.isInteger(v)) {
          throw new Error(
            `slice: bounds must be integers or null, got ${describeSpec(spec)} for axis ${k} (shape ${fmt(x.shape)})`,
          )
        }
      }
      if (!Number.isInteger(step) || step === 0) {
        throw new Error(
          `slice: step must be a non-zero integer, got ${describeSpec(spec)} for axis ${k} (shape ${fmt(x.shape)})`,
        )
      }
      // Python's rules (slice.indices): negative bounds count from the end, then clip.
      let lo: number
      let hi: number
      if (step > 0) {
        lo = start == null ? 0 : clip(start < 0 ? start + n : start, 0, n)
        hi = stop == null ? n : clip(stop < 0 ? stop + n : stop, 0, n)
      } else {
        lo = start == null ? n - 1 : clip(start < 0 ? start + n : start, -1, n - 1)
        hi = stop == null ? -1 : clip(stop < 0 ? stop + n : stop, -1, n - 1)
      }
      const len = Math.max(0, Math.ceil((hi - lo) / step))
      if (len > 0) offset += lo * xs[k]
      shape.push(len)
      strides.push(xs[k] * step)
    } else {
      throw new Error(
        `slice: spec for axis ${k} must be null, an integer index or [start, stop, step], got ${describeSpec(spec)} (shape ${fmt(x.shape)})`,
      )
    }
  }
  // Contiguous when, skipping axes of size 1, each stride is the row-major stride of the output.
  let block = true
  if (sizeOf(shape) > 0) {
    let expect = 1
    for (let k = shape.length - 1; k >= 0; k--) {
      if (shape[k] !== 1 && strides[k] !== expect) block = false
      expect *= shape[k]
    }
  } else offset = 0
  return { shape, strides, offset, block }
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v
}

/**
 * The primitive behind {@link slice}: out = x read through the plan, copied;  x̄ = unslice(g)
 * (g written back through the plan into zeros of x's shape);  ȯut = slice(ẋ).
 * @example
 * import { slice, sliceOp, tapeOf, tensor } from 'tapegrad'
 * // slice turns its ranges into a plan (shape, strides and offset into x) and records this primitive:
 * const x = tensor([[0, 1, 2], [3, 4, 5]], { requiresGrad: true })
 * const [entry] = tapeOf(slice(x, [null, [1]])).entries
 * entry.op // 'slice'
 * entry.attrs // { shape: [2, 2], strides: [3, 1], offset: 1 }
 * sliceOp([x], entry.attrs as Parameters<typeof sliceOp>[1]).toArray() // [[1, 2], [4, 5]]
 */
export const sliceOp: Op<SlicePlan> = defineOp<SlicePlan>({
  name: 'slice',
  integers: true,
  forward: ([x], p) => {
    const n = sizeOf(p.shape)
    if (p.block) return new Tensor(x.data.slice(p.offset, p.offset + n), p.shape.slice())
    return new Tensor(gatherStrided(x.data, p.shape, p.strides, p.offset), p.shape.slice())
  },
  backward: (g, [x], _out, p) => [unsliceOp([g], { plan: p, shape: x.shape })],
  tangent: ([dx], _x, _out, p) => sliceOp([dx], p),
})

/** Attributes of `unsliceOp`: the slice plan and the shape of the sliced tensor. */
interface UnslicePlan {
  plan: SlicePlan
  shape: number[]
}

/**
 * The transpose of a slice (its backward): out = zeros of `shape` with g written through the
 * plan;  ḡ = slice(out̄);  ȯut = unslice(ġ). Not exported: only slice's rules use it.
 */
const unsliceOp: Op<UnslicePlan> = defineOp<UnslicePlan>({
  name: 'unslice',
  forward: ([g], { plan: p, shape }) => {
    const gx = allocate(g.dtype, sizeOf(shape))
    if (g.size === 0) return new Tensor(gx, shape.slice())
    if (p.block) gx.set(g.data, p.offset)
    else scatterStrided(gx, p.shape, p.strides, p.offset, g.data)
    return new Tensor(gx, shape.slice())
  },
  backward: (gg, _g, _out, { plan }) => [sliceOp([gg], plan)],
  tangent: ([dg], _g, _out, attrs) => unsliceOp([dg], attrs),
})

/**
 * NumPy-style basic slicing, one spec per axis (see `SliceSpec`): x[s₀, s₁, …].
 * A number picks one index and drops the axis; `[start, stop, step]` keeps it; missing trailing
 * specs take whole axes. The result is a copy. ∂x = g placed back where it was read, zeros elsewhere.
 * @example
 * import { arange, reshape, slice } from 'tapegrad'
 * const x = reshape(arange(6), [2, 3])      // [[0, 1, 2], [3, 4, 5]]
 * slice(x, [null, [1]]).toArray()           // [[1, 2], [4, 5]]
 * slice(x, [0, [null, null, -1]]).toArray() // [2, 1, 0]
 */
export function slice(x: Tensor, ranges: SliceSpec[]): Tensor {
  checkTensor('slice', x)
  return sliceOp([x], planSlice(x, ranges))
}

// ---- gather ---------------------------------------------------------------------------------
interface GatherAttrs {
  axis: number
  /** Indices made non-negative. */
  idx: Int32Array
  idxShape: number[]
}

/** Checks and normalises indices against an axis of size `n`. */
function readIndices(
  op: string,
  indices: IndexLike,
  axis: number,
  shape: readonly number[],
): { idx: Int32Array; shape: number[] } {
  let values: ArrayLike<unknown>
  let idxShape: number[]
  if (typeof indices === 'number') {
    values = [indices]
    idxShape = []
  } else if (indices instanceof Tensor) {
    values = indices.data
    idxShape = indices.shape.slice()
  } else if (Array.isArray(indices) && indices.length > 0 && Array.isArray(indices[0])) {
    // Nested arrays of indices ([[1, 2], [0, 3]]) give a multi-dimensional index shape; a ragged
    // one is refused under this op's name (tensor() would name itself).
    let t: Tensor
    try {
      t = tensor(indices as NestedArray, { dtype: 'float64' })
    } catch (e) {
      throw new Error(`${op}: indices ${(e as Error).message.replace(/^tensor: /, '')}`, { cause: e })
    }
    values = t.data
    idxShape = t.shape
  } else if (
    // The same array-like test as crossEntropy's labels (ops/composite.ts), on this op's argument.
    indices !== null &&
    typeof indices === 'object' &&
    typeof (indices as ArrayLike<number>).length === 'number'
  ) {
    values = indices as ArrayLike<unknown>
    idxShape = [values.length]
  } else {
    throw new Error(
      `${op}: indices must be a Tensor, an array or a typed array of integers, got ${indices === null ? 'null' : typeof indices}`,
    )
  }
  const n = shape[axis]
  const idx = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new Error(`${op}: index ${describeSpec(v)} at position ${i} of indices ${fmt(idxShape)} is not an integer`)
    }
    if (v < -n || v >= n) {
      throw new Error(`${op}: index ${v} is out of range for axis ${axis} of size ${n} (shape ${fmt(shape)})`)
    }
    idx[i] = v < 0 ? v + n : v
  }
  return { idx, shape: idxShape }
}

/** x seen as [outer, n, inner] around `axis`. */
function around(shape: readonly number[], axis: number): [outer: number, n: number, inner: number] {
  let outer = 1
  for (let i = 0; i < axis; i++) outer *= shape[i]
  let inner = 1
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]
  return [outer, shape[axis], inner]
}

/**
 * The primitive behind {@link gather} and {@link indexSelect}: out[o, k, j] = x[o, idx[k], j];
 * x̄ = scatterAdd(g): x̄[o, i, j] = Σ_{k : idx[k] = i} g[o, k, j] (repeated indices accumulate);
 * ȯut = gather(ẋ).
 * @example
 * import { gather, gatherOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 2], [3, 4], [5, 6]])
 * gatherOp([x], { axis: 0, idx: new Int32Array([2, 0]), idxShape: [2] }).toArray() // [[5, 6], [1, 2]]
 * gather(x, [2, 0]).toArray() // [[5, 6], [1, 2]]
 */
export const gatherOp: Op<GatherAttrs> = defineOp<GatherAttrs>({
  name: 'gather',
  integers: true,
  forward: ([x], { axis, idx, idxShape }) => {
    const [outer, n, inner] = around(x.shape, axis)
    const m = idx.length
    const out = allocate(x.dtype, outer * m * inner)
    const d = x.data
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < m; k++) copyRun(d, (o * n + idx[k]) * inner, out, (o * m + k) * inner, inner)
    }
    return new Tensor(out, [...x.shape.slice(0, axis), ...idxShape, ...x.shape.slice(axis + 1)])
  },
  backward: (g, [x], _out, attrs) => [scatterAddOp([g], { ...attrs, shape: x.shape })],
  tangent: ([dx], _x, _out, attrs) => gatherOp([dx], attrs),
})

/**
 * The transpose of a gather (its backward): zeros of `shape` into which g's rows are added at the
 * gathered indices;  ḡ = gather(out̄);  ȯut = scatterAdd(ġ). Not exported: only gather's rules
 * use it.
 */
const scatterAddOp: Op<GatherAttrs & { shape: number[] }> = defineOp<GatherAttrs & { shape: number[] }>({
  name: 'scatterAdd',
  forward: ([g], { axis, idx, shape }) => {
    const [outer, n, inner] = around(shape, axis)
    const m = idx.length
    const gx = allocate(g.dtype, sizeOf(shape))
    const gd = g.data
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < m; k++) {
        const s = (o * m + k) * inner
        const t = (o * n + idx[k]) * inner
        for (let j = 0; j < inner; j++) gx[t + j] += gd[s + j]
      }
    }
    return new Tensor(gx, shape.slice())
  },
  backward: (gg, _g, _out, { axis, idx, idxShape }) => [gatherOp([gg], { axis, idx, idxShape })],
  tangent: ([dg], _g, _out, attrs) => scatterAddOp([dg], attrs),
})

/**
 * Picks entries of x along `axis` by integer indices (NumPy's `take`):
 * out[a…, k…, b…] = x[a…, indices[k…], b…], shape x.shape[:axis] + indices.shape + x.shape[axis+1:].
 * Negative indices count from the end. ∂x scatter-adds g, so repeated indices accumulate — an
 * embedding lookup is `gather(table, tokenIds)`.
 * @example
 * import { gather, tensor } from 'tapegrad'
 * gather(tensor([[1, 2], [3, 4], [5, 6]]), [2, 0, 2]) // [[5, 6], [1, 2], [5, 6]]
 */
export function gather(x: Tensor, indices: IndexLike, axis = 0): Tensor {
  checkTensor('gather', x)
  const a = normalizeAxis('gather', axis, x.shape)
  const { idx, shape } = readIndices('gather', indices, a, x.shape)
  return gatherOp([x], { axis: a, idx, idxShape: shape })
}

/**
 * PyTorch's `index_select`: the entries of x at the 1-D `indices` along `axis`; the axis keeps
 * its place with size indices.length. Same primitive (and gradient) as `gather`.
 * @example
 * import { indexSelect, tensor } from 'tapegrad'
 * const x = tensor([[1, 2, 3], [4, 5, 6]])
 * indexSelect(x, 1, [0, 2]).toArray() // [[1, 3], [4, 6]]
 */
export function indexSelect(x: Tensor, axis: number, indices: IndexLike): Tensor {
  checkTensor('indexSelect', x)
  const a = normalizeAxis('indexSelect', axis, x.shape)
  const { idx, shape } = readIndices('indexSelect', indices, a, x.shape)
  if (shape.length !== 1)
    throw new Error(`indexSelect: indices must be 1-D, got shape ${fmt(shape)} (use gather for more)`)
  return gatherOp([x], { axis: a, idx, idxShape: shape })
}

// ---- concat ---------------------------------------------------------------------------------
/**
 * The primitive behind {@link concat} and {@link stack}: out = [x₀ | x₁ | …] along axis;
 * x̄ᵢ = the block of g where xᵢ was copied (a slice);  ȯut = concat of the ẋᵢ.
 * @example
 * import { concat, concatOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3])
 * concatOp([a, b], 0).toArray() // [1, 2, 3]
 * concat([a, b], 0).toArray()   // [1, 2, 3]
 */
export const concatOp: Op<number> = defineOp<number>({
  name: 'concat',
  integers: true,
  forward: (xs, axis) => {
    const shape = xs[0].shape.slice()
    let total = 0
    for (const t of xs) total += t.shape[axis]
    shape[axis] = total
    const out = allocate(xs[0].dtype, sizeOf(shape))
    const [outer, , inner] = around(shape, axis)
    const row = total * inner
    let at = 0 // where this input's block starts within an output row
    for (const t of xs) {
      const chunk = t.shape[axis] * inner
      if (outer === 1) out.set(t.data, at)
      else for (let o = 0; o < outer; o++) copyRun(t.data, o * chunk, out, o * row + at, chunk)
      at += chunk
    }
    return new Tensor(out, shape)
  },
  backward: (g, xs, _out, axis) => {
    const lead: SliceSpec[] = new Array(axis).fill(null)
    let at = 0
    return xs.map((t) => {
      const from = at
      at += t.shape[axis]
      return t.requiresGrad ? slice(g, [...lead, [from, at]]) : null
    })
  },
  tangent: (dxs, _xs, _out, axis) => concatOp(dxs, axis),
  fastBackward: (g, xs, _out, axis) => {
    const [outer, , inner] = around(g.shape, axis)
    const row = g.shape[axis] * inner
    let at = 0
    return xs.map((t) => {
      const chunk = t.shape[axis] * inner
      let gi: Tensor | null = null
      if (t.requiresGrad) {
        const d = allocate(g.dtype, t.size)
        for (let o = 0; o < outer; o++) copyRun(g.data, o * row + at, d, o * chunk, chunk)
        gi = new Tensor(d, t.shape.slice())
      }
      at += chunk
      return gi
    })
  },
})

function checkList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(
      `${op}: expected a non-empty array of Tensors, got ${Array.isArray(tensors) ? 'an empty array' : typeof tensors}`,
    )
  }
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new Error(`${op}: element ${i} is ${t === null ? 'null' : typeof t}, expected a Tensor`)
  })
  return tensors as Tensor[]
}

function allShapes(xs: Tensor[]): string {
  return xs.length > 2 ? `; all shapes: ${xs.map((t) => fmt(t.shape)).join(', ')}` : ''
}

/**
 * Joins tensors along an existing axis; every other axis must match.
 * out.shape[axis] = Σ xᵢ.shape[axis];  ∂xᵢ = the matching block of g.
 * @example
 * import { concat, ones, zeros } from 'tapegrad'
 * concat([zeros([2, 3]), ones([1, 3])]).shape // [3, 3]
 */
export function concat(tensors: Tensor[], axis = 0): Tensor {
  const xs = checkList('concat', tensors)
  const first = xs[0]
  if (first.ndim === 0) throw new Error(`concat: 0-d tensors cannot be concatenated (shape []); use stack`)
  const a = normalizeAxis('concat', axis, first.shape)
  for (let i = 1; i < xs.length; i++) {
    const t = xs[i]
    if (t.ndim !== first.ndim) {
      throw new Error(
        `concat: shapes ${fmt(first.shape)} and ${fmt(t.shape)} have different numbers of axes (${first.ndim} ≠ ${t.ndim})${allShapes(xs)}`,
      )
    }
    for (let k = 0; k < first.ndim; k++) {
      if (k !== a && t.shape[k] !== first.shape[k]) {
        throw new Error(
          `concat: shapes ${fmt(first.shape)} and ${fmt(t.shape)} differ on axis ${k} (not the concat axis ${a})${allShapes(xs)}`,
        )
      }
    }
  }
  return concatOp(xs, a)
}

/**
 * Joins tensors of one shape along a new axis at position `axis` ∈ [−ndim−1, ndim].
 * Composite: unsqueeze each, then concat.
 * @example
 * import { stack, tensor } from 'tapegrad'
 * stack([tensor([1, 2]), tensor([3, 4])], 1) // [[1, 3], [2, 4]]
 */
export function stack(tensors: Tensor[], axis = 0): Tensor {
  const xs = checkList('stack', tensors)
  const first = xs[0]
  for (let i = 1; i < xs.length; i++) {
    const s = xs[i].shape
    if (s.length !== first.ndim || s.some((v, k) => v !== first.shape[k])) {
      throw new Error(
        `stack: shapes ${fmt(first.shape)} and ${fmt(s)} differ (stack needs equal shapes)${allShapes(xs)}`,
      )
    }
  }
  const n = first.ndim
  if (!Number.isInteger(axis) || axis < -n - 1 || axis > n) {
    throw new Error(
      `stack: axis ${axis} is out of range for stacking shape ${fmt(first.shape)} (expected an integer in [${-n - 1}, ${n}])`,
    )
  }
  return concat(
    xs.map((t) => unsqueeze(t, axis)),
    axis < 0 ? axis + n + 1 : axis,
  )
}

/**
 * Cuts x along `axis` into pieces, like torch.split: a number is the piece size (the last piece
 * may be smaller); an array lists the sizes, which must add up to the axis length. Each piece is
 * a `slice`, so gradients flow back to x.
 * @example
 * import { arange, split, zeros } from 'tapegrad'
 * split(arange(5), 2).map((t) => t.toArray())         // [[0, 1], [2, 3], [4]]
 * split(zeros([2, 5]), [1, 4], 1).map((t) => t.shape) // [[2, 1], [2, 4]]
 */
export function split(x: Tensor, sizesOrSections: number | number[], axis = 0): Tensor[] {
  checkTensor('split', x)
  const a = normalizeAxis('split', axis, x.shape)
  const n = x.shape[a]
  let sizes: number[]
  if (typeof sizesOrSections === 'number') {
    const s = sizesOrSections
    if (!Number.isInteger(s) || s <= 0) throw new Error(`split: piece size must be a positive integer, got ${s}`)
    sizes = []
    for (let at = 0; at < n; at += s) sizes.push(Math.min(s, n - at))
    if (n === 0) sizes.push(0)
  } else if (Array.isArray(sizesOrSections)) {
    sizes = sizesOrSections
    let total = 0
    for (const s of sizes) {
      if (!Number.isInteger(s) || s < 0) throw new Error(`split: sizes ${fmt(sizes)} must be non-negative integers`)
      total += s
    }
    if (total !== n) {
      throw new Error(
        `split: sizes ${fmt(sizes)} sum to ${total}, but axis ${a} of shape ${fmt(x.shape)} has size ${n}`,
      )
    }
  } else {
    throw new Error(`split: expected a piece size or an array of sizes, got ${typeof sizesOrSections}`)
  }
  const lead: SliceSpec[] = new Array(a).fill(null)
  const pieces: Tensor[] = []
  let at = 0
  for (const s of sizes) {
    pieces.push(slice(x, [...lead, [at, at + s]]))
    at += s
  }
  return pieces
}
