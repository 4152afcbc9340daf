/**
 * Reduction loops over contiguous storage: sum, max and min over any set of axes, the inverse
 * `expand` (repeat along reduced axes) and `unbroadcast`, the engine's sum of a gradient back to an
 * input's shape. One routine sums everything — `sum()` and the gradients summed over broadcast
 * axes alike — so both accumulate the same way: in float64, rounded once at the end.
 *
 * The loops view the input as [outer, n, inner] around each contiguous run of reduced axes:
 * reducing the last axis of a [B, N] array is a row loop with independent accumulators, reducing
 * the first axis (a bias gradient) adds whole rows. Non-adjacent axes are reduced one run at a
 * time, the last run first.
 */
import { allocate, broadcastTo, dtypeOf, sameShape, sizeOf, type TypedArray } from './nd.js'

/** The shape after reducing `axes` (kept as size 1 with keepdims). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = []
  let k = 0
  for (let i = 0; i < shape.length; i++) {
    if (k < axes.length && axes[k] === i) {
      k++
      if (keepdims) out.push(1)
    } else out.push(shape[i])
  }
  return out
}

/** Number of elements each output element is reduced from. */
export function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  let n = 1
  for (const a of axes) n *= shape[a]
  return n
}

/**
 * Maximal runs [first, last] of reduced axes that are contiguous in memory: two reduced axes
 * belong to one run when every axis between them has size 1. Axes of size 1 reduce nothing and
 * are left out. Returned last run first.
 */
export function runsOf(shape: readonly number[], axes: readonly number[]): [number, number][] {
  const runs: [number, number][] = []
  for (const a of axes) {
    if (shape[a] === 1) continue
    const last = runs[runs.length - 1]
    let joins = last !== undefined
    if (last) for (let i = last[1] + 1; i < a; i++) if (shape[i] !== 1) joins = false
    if (joins) last[1] = a
    else runs.push([a, a])
  }
  return runs.reverse()
}

export function product(shape: readonly number[], from: number, to: number): number {
  let n = 1
  for (let i = from; i < to; i++) n *= shape[i]
  return n
}

/** Which reduction `reduceData` runs. */
export const SUM = 0
export const MAX = 1
export const MIN = 2
/** One of SUM, MAX, MIN. */
export type ReduceKind = typeof SUM | typeof MAX | typeof MIN

/**
 * Sums [outer, n, inner] over n, accumulating in float64 (float32 input is rounded once).
 * Both loops keep several independent adds in flight: four accumulators along a row, or four
 * rows at a time into the row accumulator — a single dependent chain of adds runs ~3× slower.
 */
function sumRun(data: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const out = allocate(dtypeOf(data), outer * inner)
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0
      let k = 0
      for (; k + 3 < n; k += 4) {
        s0 += data[base + k]
        s1 += data[base + k + 1]
        s2 += data[base + k + 2]
        s3 += data[base + k + 3]
      }
      for (; k < n; k++) s0 += data[base + k]
      out[o] = s0 + s1 + (s2 + s3)
    }
    return out
  }
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(0)
    let k = 0
    for (; k + 3 < n; k += 4) {
      const b0 = (o * n + k) * inner
      const b1 = b0 + inner
      const b2 = b1 + inner
      const b3 = b2 + inner
      for (let j = 0; j < inner; j++) acc[j] += data[b0 + j] + data[b1 + j] + (data[b2 + j] + data[b3 + j])
    }
    for (; k < n; k++) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) acc[j] += data[base + j]
    }
    out.set(acc, o * inner)
  }
  return out
}

// max and min use Math.max/Math.min: NaN propagates through them (as in NumPy and PyTorch) with
// no extra test per element. Along a long row, four independent running maxima (~2–3× faster
// than one chain, measured); across rows (inner > 1) a plain row-update loop measured fastest.
// maxRun and minRun are two copies on purpose: one function taking Math.max/Math.min as a
// parameter measured 7–13× slower once both were in use (the call in the inner loop turns
// polymorphic and is no longer inlined).

/** Max of [outer, n, inner] over n (n ≥ 1). */
function maxRun(data: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const out = allocate(dtypeOf(data), outer * inner)
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n
      let m0 = data[base]
      let k = 1
      if (n >= 32) {
        let m1 = m0,
          m2 = m0,
          m3 = m0
        for (; k + 3 < n; k += 4) {
          m0 = Math.max(m0, data[base + k])
          m1 = Math.max(m1, data[base + k + 1])
          m2 = Math.max(m2, data[base + k + 2])
          m3 = Math.max(m3, data[base + k + 3])
        }
        m0 = Math.max(Math.max(m0, m1), Math.max(m2, m3))
      }
      for (; k < n; k++) m0 = Math.max(m0, data[base + k])
      out[o] = m0
    }
    return out
  }
  for (let o = 0; o < outer; o++) {
    const ob = o * inner
    const b = o * n * inner
    out.set(data.subarray(b, b + inner), ob)
    for (let k = 1; k < n; k++) {
      const base = b + k * inner
      for (let j = 0; j < inner; j++) out[ob + j] = Math.max(out[ob + j], data[base + j])
    }
  }
  return out
}

/** Min of [outer, n, inner] over n (n ≥ 1). */
function minRun(data: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const out = allocate(dtypeOf(data), outer * inner)
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n
      let m0 = data[base]
      let k = 1
      if (n >= 32) {
        let m1 = m0,
          m2 = m0,
          m3 = m0
        for (; k + 3 < n; k += 4) {
          m0 = Math.min(m0, data[base + k])
          m1 = Math.min(m1, data[base + k + 1])
          m2 = Math.min(m2, data[base + k + 2])
          m3 = Math.min(m3, data[base + k + 3])
        }
        m0 = Math.min(Math.min(m0, m1), Math.min(m2, m3))
      }
      for (; k < n; k++) m0 = Math.min(m0, data[base + k])
      out[o] = m0
    }
    return out
  }
  for (let o = 0; o < outer; o++) {
    const ob = o * inner
    const b = o * n * inner
    out.set(data.subarray(b, b + inner), ob)
    for (let k = 1; k < n; k++) {
      const base = b + k * inner
      for (let j = 0; j < inner; j++) out[ob + j] = Math.min(out[ob + j], data[base + j])
    }
  }
  return out
}

/**
 * Reduces `axes` (normalised) of contiguous `data` of `shape`; the result is in row-major order
 * of the reduced shape (the same with or without keepdims). Always fresh storage.
 */
export function reduceData(
  kind: ReduceKind,
  data: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
): TypedArray {
  const runs = runsOf(shape, axes)
  if (runs.length === 0) return data.slice()
  let cur = data
  const curShape = shape.slice()
  for (const [first, last] of runs) {
    const outer = product(curShape, 0, first)
    const n = product(curShape, first, last + 1)
    const inner = product(curShape, last + 1, curShape.length)
    cur =
      kind === SUM
        ? sumRun(cur, outer, n, inner)
        : kind === MAX
          ? maxRun(cur, outer, n, inner)
          : minRun(cur, outer, n, inner)
    for (let i = first; i <= last; i++) curShape[i] = 1
  }
  return cur
}

/**
 * Copies `data`, laid out in the keepdims shape of a reduction of `axes`, back out to `shape`
 * (every reduced axis repeated). One run is a plain loop; anything else goes through a stride-0
 * ndarray view.
 */
export function expand(data: TypedArray, shape: readonly number[], axes: readonly number[]): TypedArray {
  const size = sizeOf(shape)
  if (data.length === size) return data
  if (data.length === 1) return allocate(dtypeOf(data), size).fill(data[0])
  const runs = runsOf(shape, axes)
  if (runs.length === 1) {
    const [first, last] = runs[0]
    const outer = product(shape, 0, first)
    const n = product(shape, first, last + 1)
    const inner = product(shape, last + 1, shape.length)
    const out = allocate(dtypeOf(data), size)
    if (inner === 1) {
      for (let o = 0; o < outer; o++) out.fill(data[o], o * n, (o + 1) * n)
    } else {
      for (let o = 0; o < outer; o++) {
        const row = data.subarray(o * inner, (o + 1) * inner)
        for (let k = 0; k < n; k++) out.set(row, (o * n + k) * inner)
      }
    }
    return out
  }
  return broadcastTo(data, reducedShape(shape, axes, true), shape)
}

/**
 * Sums a gradient of shape `shape` back to `target` (the input's shape before broadcasting):
 * leading axes that broadcasting added are summed away, and so are axes where the input had
 * size 1. This is the engine's single un-broadcast, so op authors never write one. Returns `data`
 * itself when nothing needs summing (the shapes agree, or only leading 1-axes differ).
 * @example
 * import { unbroadcast } from './src/reductions'
 * unbroadcast(new Float32Array([1, 2, 3, 4]), [2, 2], [2]) // [4, 6]
 * unbroadcast(new Float32Array([1, 2, 3, 4]), [2, 2], [2, 1]) // [3, 7]
 */
export function unbroadcast(data: TypedArray, shape: readonly number[], target: readonly number[]): TypedArray {
  if (sameShape(shape, target)) return data
  const lead = shape.length - target.length
  const axes: number[] = []
  for (let i = 0; i < shape.length; i++) {
    const want = i < lead ? 1 : target[i - lead]
    if (shape[i] !== want && shape[i] !== 1) axes.push(i) // a size-1 axis sums nothing
  }
  return axes.length === 0 ? data : reduceData(SUM, data, shape, axes)
}
