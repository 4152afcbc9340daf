/**
 * Fuzz rows of shape, layout, scan, softmax and linear-algebra ops. The references move elements
 * by explicit index arithmetic (NumPy's rules for axes, −1 in reshape, broadcasting) and compute
 * products and sums in float64; nothing here calls tapegrad.
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import { floatDtype, oneAxisArb, positiveDim, shapeArb, sizeOf, tensorOf, type TSpec } from '../arbitraries.js'
import { int32Refused, oneTensor, row } from '../builders.js'
import { absSum, broadcast, fmt, indices, normalizeAxes, ravel, readBroadcast, refuse, result } from '../reference.js'
import type { Expected, FuzzRow } from '../types.js'

/** out[idx] = x[src(idx)], or 0 where src gives null. */
function moved(x: TSpec, shape: number[], src: (idx: number[]) => number[] | null): Expected {
  return result(
    shape,
    x.dtype,
    indices(shape).map((idx) => {
      const s = src(idx)
      return s === null ? 0 : x.values[ravel(s, x.shape)]
    }),
    { signedZeros: true },
  )
}

/** A permutation of 0..n−1, or sometimes a broken one (repeated, out of range, too short). */
const permArb = (n: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: -n - 1, max: n }), { maxLength: n + 1 }) },
  )
function permRef(x: TSpec, perm: number[]): Expected {
  const n = x.shape.length
  if (perm.length !== n) return refuse('not a permutation')
  const norm = normalizeAxes(perm, n)
  if (typeof norm === 'string' || norm.length !== n) return refuse('not a permutation')
  const p = perm.map((a) => (a < 0 ? a + n : a))
  return moved(
    x,
    p.map((a) => x.shape[a]),
    (idx) => {
      const s = new Array<number>(n)
      p.forEach((a, i) => (s[a] = idx[i]))
      return s
    },
  )
}

const softmaxRef =
  (log: boolean) =>
  ([x]: TSpec[], axis: number): Expected => {
    if (x.dtype === 'int32') return int32Refused
    const n = x.shape.length
    // A 0-d tensor has no axis to normalise over: refused, as scipy.special.softmax (PyTorch accepts it).
    if (!Number.isInteger(axis) || axis < -n || axis >= n) return refuse('axis out of range')
    const a = axis < 0 ? axis + n : axis
    const out = x.values.map((_, k) => {
      const idx = indices(x.shape)[k]
      const line = Array.from(
        { length: x.shape[a] },
        (_, j) =>
          x.values[
            ravel(
              idx.map((v, i) => (i === a ? j : v)),
              x.shape,
            )
          ],
      )
      const m = Math.max(...line)
      // A line with +∞ (and no NaN): NumPy / PyTorch give NaN everywhere (∞ − ∞); tapegrad does not
      // subtract an infinite max and gives NaN at the ∞ and its limit elsewhere. Not checked there.
      if (m === Infinity) return null
      const s = line.reduce((acc, v) => acc + Math.exp(v - m), 0)
      return log ? x.values[k] - m - Math.log(s) : Math.exp(x.values[k] - m) / s
    })
    return result(x.shape, x.dtype, out, { rtol: 1e-4 })
  }

function cumsumRef([x]: TSpec[], axis: number | undefined): Expected {
  const n = x.shape.length
  if (axis === undefined) {
    let acc = 0
    return result(
      [x.values.length],
      x.dtype,
      x.values.map((v) => (acc += v)),
      { scale: cumScale(x.values) },
    )
  }
  if (!Number.isInteger(axis) || axis < -n || axis >= n) return refuse('axis out of range')
  const a = axis < 0 ? axis + n : axis
  const vals: number[] = []
  const scale: number[] = []
  for (const idx of indices(x.shape)) {
    const line = Array.from(
      { length: idx[a] + 1 },
      (_, j) =>
        x.values[
          ravel(
            idx.map((v, i) => (i === a ? j : v)),
            x.shape,
          )
        ],
    )
    vals.push(line.reduce((p, q) => p + q, 0))
    scale.push(absSum(line))
  }
  return result(x.shape, x.dtype, vals, { scale })
}
function cumScale(vs: number[]): number[] {
  let acc = 0
  return vs.map((v) => (acc += Math.abs(v)))
}

function reshapeRef([x]: TSpec[], shape: number[]): Expected {
  const free = shape.filter((s) => s === -1).length
  if (free > 1 || shape.some((s) => !Number.isInteger(s) || s < -1)) return refuse('bad shape')
  const known = sizeOf(shape.filter((s) => s !== -1))
  let out = shape
  if (free === 1) {
    if (known === 0 || x.values.length % known !== 0) return refuse('cannot infer -1')
    out = shape.map((s) => (s === -1 ? x.values.length / known : s))
  }
  if (sizeOf(out) !== x.values.length) return refuse('size mismatch')
  return result(out, x.dtype, x.values, { signedZeros: true })
}

/** matmul's reference: NumPy's rules for 1-d operands and broadcast batch axes, sums in float64. */
function matmulRef([a, b]: TSpec[]): Expected {
  if (a.dtype !== b.dtype) return refuse('dtype mismatch')
  if (a.dtype === 'int32') return int32Refused
  if (a.shape.length === 0 || b.shape.length === 0) return refuse('0-d operand')
  const A = a.shape.length === 1 ? [1, a.shape[0]] : a.shape
  const B = b.shape.length === 1 ? [b.shape[0], 1] : b.shape
  const [m, k] = A.slice(-2)
  const [k2, n] = B.slice(-2)
  if (k !== k2) return refuse('inner sizes differ')
  const batch = broadcast(A.slice(0, -2), B.slice(0, -2))
  if (batch === null) return refuse('batch axes do not broadcast')
  const full = [...batch, m, n]
  const as: TSpec = { ...a, shape: A }
  const bs: TSpec = { ...b, shape: B }
  const vals: number[] = []
  const scale: number[] = []
  for (const idx of indices(full)) {
    const bi = idx.slice(0, -2)
    let s = 0
    let sa = 0
    for (let j = 0; j < k; j++) {
      const p = readBroadcast(as, [...bi, idx[idx.length - 2], j]) * readBroadcast(bs, [...bi, j, idx[idx.length - 1]])
      s += p
      sa += Math.abs(p)
    }
    vals.push(s)
    scale.push(sa)
  }
  let shape = full
  if (a.shape.length === 1) shape = shape.filter((_, i) => i !== full.length - 2)
  if (b.shape.length === 1) shape = shape.slice(0, -1)
  return result(shape, a.dtype, vals, { scale, rtol: 1e-5 })
}

/** Operands of matmul: matching inner sizes mostly, batch axes that broadcast mostly. */
const matmulArb: fc.Arbitrary<[TSpec[], undefined]> = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 3 }),
    positiveDim,
    positiveDim,
    positiveDim,
    fc.option(positiveDim, { freq: 8 }),
    shapeArb(2),
    floatDtype,
    fc.option(floatDtype, { freq: 12 }),
  )
  .chain(([ra, rb, m, k, n, k2, batch, d, d2]) => {
    const sa = ra === 0 ? [] : ra === 1 ? [k] : [...batch.slice(0, ra - 2), m, k]
    const sb =
      rb === 0 ? [] : rb === 1 ? [k2 ?? k] : [...batch.slice(0, rb - 2).map((v, i) => (i % 2 ? 1 : v)), k2 ?? k, n]
    return fc.tuple(tensorOf(sa, d), tensorOf(sb, d2 ?? d))
  })
  .map(([a, b]) => [[a, b], undefined])

const kArb = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(0.5))
// int32 is kept (as NumPy's tril on integers).
const triRef =
  (upper: boolean) =>
  ([x]: TSpec[], k: number): Expected => {
    if (x.shape.length < 2) return refuse('needs 2 axes (as PyTorch)')
    if (!Number.isInteger(k)) return refuse('k must be an integer')
    const n = x.shape.length
    return moved(x, x.shape, (idx) => {
      const d = idx[n - 1] - idx[n - 2]
      return (upper ? d >= k : d <= k) ? idx : null
    })
  }

export const rows: FuzzRow[] = [
  row(
    'permute',
    'shape',
    oneTensor((s) => permArb(s.length)),
    ([x], p) => ops.permute(x, p),
    ([x], p) => permRef(x, p),
  ),
  row(
    'transpose',
    'shape',
    oneTensor((s) => fc.option(permArb(s.length), { nil: undefined })),
    // Without axes tapegrad swaps the last two axes (its documented Aᵀ), where NumPy reverses them all.
    ([x], p) => ops.transpose(x, p),
    ([x], p) => permRef(x, p ?? swapLastTwo(x.shape.length)),
  ),
  row(
    'flip',
    'shape',
    oneTensor((s) => fc.option(fc.array(oneAxisArb(s.length), { maxLength: s.length }), { nil: undefined })),
    ([x], axis) => ops.flip(x, axis),
    ([x], axis) => {
      const axes = normalizeAxes(axis, x.shape.length)
      if (typeof axes === 'string') return refuse(axes)
      return moved(x, x.shape, (idx) => idx.map((v, i) => (axes.includes(i) ? x.shape[i] - 1 - v : v)))
    },
  ),
  row(
    'tril',
    'shape',
    oneTensor(() => kArb),
    ([x], k) => ops.tril(x, k),
    triRef(false),
  ),
  row(
    'triu',
    'shape',
    oneTensor(() => kArb),
    ([x], k) => ops.triu(x, k),
    triRef(true),
  ),
  row(
    'cumsum',
    'reduction',
    oneTensor((s) => fc.option(oneAxisArb(s.length), { nil: undefined }), floatDtype),
    ([x], a) => ops.cumsum(x, a),
    cumsumRef,
  ),
  row(
    'softmax',
    'composite',
    oneTensor((s) => oneAxisArb(s.length)),
    ([x], a) => ops.softmax(x, a),
    softmaxRef(false),
  ),
  row(
    'logSoftmax',
    'composite',
    oneTensor((s) => oneAxisArb(s.length)),
    ([x], a) => ops.logSoftmax(x, a),
    softmaxRef(true),
  ),
  row(
    'unsqueeze',
    'shape',
    oneTensor((s) => fc.integer({ min: -s.length - 2, max: s.length + 1 })),
    ([x], a) => ops.unsqueeze(x, a),
    ([x], a) => {
      const n = x.shape.length
      if (a < -n - 1 || a > n) return refuse('axis out of range')
      const k = a < 0 ? a + n + 1 : a
      return result([...x.shape.slice(0, k), 1, ...x.shape.slice(k)], x.dtype, x.values, { signedZeros: true })
    },
  ),
  row(
    'squeeze',
    'shape',
    oneTensor((s) =>
      fc.option(fc.oneof(oneAxisArb(s.length), fc.array(oneAxisArb(s.length), { maxLength: 2 })), { nil: undefined }),
    ),
    ([x], a) => ops.squeeze(x, a),
    ([x], a) => {
      if (a === undefined)
        return result(
          x.shape.filter((s) => s !== 1),
          x.dtype,
          x.values,
          { signedZeros: true },
        )
      const axes = normalizeAxes(a, x.shape.length)
      if (typeof axes === 'string') return refuse(axes)
      if (axes.some((k) => x.shape[k] !== 1)) return refuse('squeezed axis is not of size 1 (NumPy refuses)')
      return result(
        x.shape.filter((_, i) => !axes.includes(i)),
        x.dtype,
        x.values,
        { signedZeros: true },
      )
    },
  ),
  row(
    'reshape',
    'shape',
    oneTensor(() =>
      fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(-1), fc.constant(-2)), { maxLength: 4 }),
    ),
    ([x], s) => ops.reshape(x, s),
    reshapeRef,
  ),
  row(
    'broadcastTo',
    'shape',
    oneTensor((s) =>
      fc
        .tuple(shapeArb(2), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }))
        .map(([lead, keep]) => [...lead, ...s.map((v, i) => (keep[i] || v !== 1 ? v : 3))]),
    ),
    ([x], s) => ops.broadcastTo(x, s),
    ([x], s) => {
      const b = broadcast(x.shape, s)
      if (b === null || fmt(b) !== fmt(s)) return refuse(`cannot broadcast ${fmt(x.shape)} to ${fmt(s)}`)
      return result(
        s,
        x.dtype,
        indices(s).map((idx) => readBroadcast(x, idx)),
        { signedZeros: true },
      )
    },
  ),
  row('matmul', 'linalg', matmulArb, ([a, b]) => ops.matmul(a, b), matmulRef),
  row(
    'dot',
    'linalg',
    fc
      .tuple(dimPair(), floatDtype)
      .chain(([[p, q], d]) => fc.tuple(tensorOf([p], d), tensorOf([q], d)))
      .map(([a, b]) => [[a, b], undefined]),
    ([a, b]) => ops.dot(a, b),
    ([a, b]) => {
      if (a.values.length !== b.values.length) return refuse('lengths differ')
      const ps = a.values.map((v, i) => v * b.values[i])
      return result([], a.dtype, [ps.reduce((s, v) => s + v, 0)], { scale: [absSum(ps)] })
    },
  ),
  row(
    'outer',
    'linalg',
    fc
      .tuple(dimPair(), floatDtype)
      .chain(([[p, q], d]) => fc.tuple(tensorOf([p], d), tensorOf([q], d)))
      .map(([a, b]) => [[a, b], undefined]),
    ([a, b]) => ops.outer(a, b),
    ([a, b]) =>
      result(
        [a.values.length, b.values.length],
        a.dtype,
        a.values.flatMap((u) => b.values.map((v) => u * v)),
      ),
  ),
]

function dimPair(): fc.Arbitrary<[number, number]> {
  return fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }))
    .map(([p, q]) => [p, q ?? p])
}

function swapLastTwo(n: number): number[] {
  const p = [...Array(n).keys()]
  if (n >= 2) [p[n - 2], p[n - 1]] = [p[n - 1], p[n - 2]]
  return p
}
