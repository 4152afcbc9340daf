/**
 * Plain-JS references for the fuzz table: NumPy's rules (broadcasting, axes, slicing) and its
 * values written out with explicit index arithmetic, in float64, never calling tapegrad.
 */
import type { DType } from '../../src/index.js'
import { sizeOf, stored, type TSpec } from './arbitraries.js'
import type { Refusal, Result } from './types.js'

export const refuse = (error: string): Refusal => ({ error })
export const isRefusal = (e: unknown): e is Refusal => typeof e === 'object' && e !== null && 'error' in e
export const fmt = (s: readonly number[]): string => `[${s.join(',')}]`

/** The multi-index of flat position k. */
function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length)
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = k % shape[a]
    k = Math.floor(k / shape[a])
  }
  return idx
}

/** The flat position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let off = 0
  for (let a = 0; a < shape.length; a++) off = off * shape[a] + idx[a]
  return off
}

/** Every multi-index of `shape`, in row-major order. */
export function indices(shape: readonly number[]): number[][] {
  const n = sizeOf(shape)
  const out: number[][] = []
  for (let k = 0; k < n; k++) out.push(unravel(k, shape))
  return out
}

/** NumPy's broadcast of several shapes, or null when they do not broadcast. */
export function broadcast(...shapes: (readonly number[])[]): number[] | null {
  const n = Math.max(0, ...shapes.map((s) => s.length))
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    let size = 1
    for (const s of shapes) {
      const d = i < n - s.length ? 1 : s[i - (n - s.length)]
      if (d === 1) continue
      if (size !== 1 && d !== size) return null
      size = d
    }
    out.push(size)
  }
  return out
}

/** The element of `t` that broadcasting reads at output index `idx` (right-aligned, size-1 axes at 0). */
export function readBroadcast(t: TSpec, idx: readonly number[]): number {
  const lead = idx.length - t.shape.length
  let off = 0
  for (let a = 0; a < t.shape.length; a++) off = off * t.shape[a] + (t.shape[a] === 1 ? 0 : idx[a + lead])
  return t.values[off]
}

/**
 * NumPy's axis argument: sorted distinct non-negative axes, or the reason it is refused (out of
 * range, repeated, not an integer). null/undefined is every axis; [] is none.
 */
export function normalizeAxes(axis: unknown, nd: number): number[] | string {
  if (axis === null || axis === undefined) return [...Array(nd).keys()]
  const list = typeof axis === 'number' ? [axis] : (axis as unknown[])
  const seen = new Set<number>()
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a)) return `axis ${String(a)} is not an integer`
    if (a < -nd || a >= nd) return `axis ${a} is out of range for ${nd} axes`
    const k = a < 0 ? a + nd : a
    if (seen.has(k)) return `axis ${a} is repeated`
    seen.add(k)
  }
  return [...seen].sort((p, q) => p - q)
}

/** The shape after reducing `axes` (kept as 1 with keepdims). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  return shape.flatMap((s, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [s]))
}

/** For every output element of a reduction over `axes`, the input values it reduces, in row-major order. */
export function groups(t: TSpec, axes: readonly number[]): number[][] {
  const out = reducedShape(t.shape, axes, true)
  const gs: number[][] = Array.from({ length: sizeOf(out) }, () => [])
  for (let k = 0; k < t.values.length; k++) {
    const idx = unravel(k, t.shape)
    const o = idx.map((v, i) => (axes.includes(i) ? 0 : v))
    gs[ravel(o, out)].push(t.values[k])
  }
  return gs
}

/** The default relative tolerance of a dtype. */
export function defaultRtol(dtype: DType): number {
  return dtype === 'float32' ? 1e-5 : dtype === 'float64' ? 1e-12 : 0
}

/** A result of `shape` and `dtype` with `values` rounded to the dtype. */
export function result(shape: number[], dtype: DType, values?: (number | null)[], extra: Partial<Result> = {}): Result {
  return { shape, dtype, values: values?.map((v) => (v === null ? null : stored(v, dtype))), ...extra }
}

/** The sum of |x| (the error scale of a sum). */
export const absSum = (vs: readonly number[]): number => vs.reduce((s, v) => s + Math.abs(v), 0)

/**
 * Python's slice.indices(n) for a [start, stop, step] spec (missing or null parts take defaults):
 * the indices the slice picks, in order.
 */
export function sliceIndices(
  n: number,
  start: number | null | undefined,
  stop: number | null | undefined,
  step: number,
): number[] {
  let lo: number
  let hi: number
  if (step > 0) {
    lo = start == null ? 0 : start < 0 ? Math.max(start + n, 0) : Math.min(start, n)
    hi = stop == null ? n : stop < 0 ? Math.max(stop + n, 0) : Math.min(stop, n)
  } else {
    lo = start == null ? n - 1 : start < 0 ? Math.max(start + n, -1) : Math.min(start, n - 1)
    hi = stop == null ? -1 : stop < 0 ? Math.max(stop + n, -1) : Math.min(stop, n - 1)
  }
  const out: number[] = []
  for (let i = lo; step > 0 ? i < hi : i > hi; i += step) out.push(i)
  return out
}

/**
 * C99's pow (which NumPy and PyTorch follow), where it differs from JavaScript's Math.pow:
 * pow(1, y) = 1 for every y, even NaN, and pow(−1, ±∞) = 1.
 */
export function powC(a: number, b: number): number {
  if (a === 1) return 1
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1
  return Math.pow(a, b)
}

/**
 * The complementary error function, from Numerical Recipes' erfcc (Chebyshev fit, fractional
 * error below 1.2e-7 everywhere): independent of the erf in src/math.ts.
 */
export function erfc(x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const poly =
    -z * z -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  const r = t * Math.exp(poly)
  return x >= 0 ? r : 2 - r
}
