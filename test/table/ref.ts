/**
 * Independent references for the op table: plain loops over nested arrays, with broadcasting
 * written out by explicit index arithmetic (no library code involved).
 */
import { tensor, type NestedArray, type Tensor } from '../../src/index.js'

/** A float64 tensor from nested arrays (gradcheck inputs). */
export function f64(values: NestedArray): Tensor {
  return tensor(values, { dtype: 'float64' })
}

/** Deterministic pseudo-random float64 tensor in [lo, hi) (an LCG, independent of src/random). */
export function det(shape: number[], lo = -1, hi = 1, salt = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const d = new Float64Array(n)
  let s = (salt * 2654435761) >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    d[i] = lo + ((s >>> 8) / 16777216) * (hi - lo)
  }
  return tensor(d, { shape, dtype: 'float64' })
}

/** Row-major strides. */
function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1)
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]
  return s
}

/** Rebuilds nested arrays of `shape` from flat values. */
export function nest(values: ArrayLike<number>, shape: number[]): NestedArray {
  if (shape.length === 0) return values[0]
  const st = strides(shape)
  const rec = (axis: number, off: number): NestedArray =>
    Array.from({ length: shape[axis] }, (_, i) =>
      axis === shape.length - 1 ? values[off + i] : rec(axis + 1, off + i * st[axis]),
    )
  return rec(0, 0)
}

/** The NumPy broadcast of shapes, computed independently. */
export function bshape(...shapes: number[][]): number[] {
  const n = Math.max(...shapes.map((s) => s.length))
  return Array.from({ length: n }, (_, i) =>
    Math.max(...shapes.map((s) => (i < n - s.length ? 1 : s[i - (n - s.length)]))),
  )
}

/** Value of `t` at output multi-index `idx` under broadcasting. */
function at(t: Tensor, idx: number[]): number {
  const lead = idx.length - t.shape.length
  const st = strides(t.shape)
  let off = 0
  for (let i = 0; i < t.shape.length; i++) off += (t.shape[i] === 1 ? 0 : idx[i + lead]) * st[i]
  return t.data[off]
}

/** Elementwise reference over any number of broadcast inputs. */
export function ew(fn: (...v: number[]) => number, ...ts: Tensor[]): NestedArray {
  const shape = bshape(...ts.map((t) => t.shape))
  const n = shape.reduce((a, b) => a * b, 1)
  const st = strides(shape)
  const out = new Float64Array(n)
  for (let k = 0; k < n; k++) {
    const idx = shape.map((_, i) => Math.floor(k / st[i]) % shape[i])
    out[k] = fn(...ts.map((t) => at(t, idx)))
  }
  return nest(out, shape)
}

/**
 * erf(x) = 2/√π ∫₀ˣ e^(−t²) dt by Simpson's rule on n intervals (n even), independent of the
 * series in src/math.ts.
 */
export function erfRef(x: number, n = 4000): number {
  const h = x / n
  let s = 1 + Math.exp(-x * x)
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-(i * h) * (i * h))
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3
}
