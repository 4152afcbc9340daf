/**
 * Fuzz rows of concatenation, argmax, tile, flatten, norm, mse, einsum and conv2d. einsum and
 * conv2d are checked against direct float64 loops (every output element as an explicit sum over
 * the contracted indices / the window), for a fixed set of einsum specs and random conv geometry.
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import { floatDtype, oneAxisArb, positiveDim, shapeArb, sizeOf, tensorOf, type TSpec } from '../arbitraries.js'
import { int32Refused, oneTensor, row } from '../builders.js'
import { absSum, indices, ravel, refuse, result } from '../reference.js'
import type { Expected, FuzzRow } from '../types.js'

/** 1..3 tensors sharing a shape except (mostly) along one axis. */
const concatArb = fc
  .tuple(shapeArb(3), fc.integer({ min: 1, max: 3 }), floatDtype, fc.nat(), fc.boolean())
  .chain(([s, n, d, ax, clash]) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) => {
          const sh = s.slice()
          if (sh.length > 0) sh[ax % sh.length] = (sh[ax % sh.length] + i) % 4
          if (clash && i === 1 && sh.length > 1) sh[(ax + 1) % sh.length] += 1
          return tensorOf(sh, d)
        }),
      ),
      oneAxisArb(s.length + 1),
    ),
  )
  .map(([xs, a]): [TSpec[], number] => [xs, a])

function concatRef(xs: TSpec[], axis: number, stack: boolean): Expected {
  const n = xs[0].shape.length + (stack ? 1 : 0)
  if (!Number.isInteger(axis) || axis < -n || axis >= n) return refuse('axis out of range')
  if (n === 0) return refuse('0-d tensors cannot be concatenated')
  const a = axis < 0 ? axis + n : axis
  const parts = stack ? xs.map((x) => ({ ...x, shape: [...x.shape.slice(0, a), 1, ...x.shape.slice(a)] })) : xs
  const base = parts[0].shape
  if (parts.some((p) => p.shape.length !== base.length || p.shape.some((v, i) => i !== a && v !== base[i])))
    return refuse('shapes differ')
  if (stack && xs.some((x) => x.shape.join() !== xs[0].shape.join())) return refuse('shapes differ')
  const shape = base.map((v, i) => (i === a ? parts.reduce((acc, p) => acc + p.shape[a], 0) : v))
  const vals = indices(shape).map((idx) => {
    let j = idx[a]
    for (const p of parts) {
      if (j < p.shape[a])
        return p.values[
          ravel(
            idx.map((v, i) => (i === a ? j : v)),
            p.shape,
          )
        ]
      j -= p.shape[a]
    }
    throw new Error('unreachable')
  })
  return result(shape, xs[0].dtype, vals, { signedZeros: true })
}

/** NumPy's argmax: the first maximum, a NaN counting as the maximum (its first occurrence). */
function argmaxOf(vs: number[]): number {
  let best = 0
  for (let i = 1; i < vs.length; i++) {
    if (Number.isNaN(vs[best])) break
    if (Number.isNaN(vs[i]) || vs[i] > vs[best]) best = i
  }
  return best
}

/** The einsum specs fuzzed, each with its direct loop. */
const SPECS = ['ij,jk->ik', 'i,i->', 'i,j->ij', 'ij->ji', 'bij,bjk->bik', 'ij->', 'ij,ij->i', 'ii->i', 'ij,kj->ik']
function einsumRef(spec: string, xs: TSpec[]): Expected {
  const [lhs, out] = spec.split('->')
  const ins = lhs.split(',')
  if (xs.some((x) => x.dtype === 'int32')) return int32Refused
  if (xs.length > 1 && xs[0].dtype !== xs[1].dtype) return refuse('dtype mismatch')
  const size: Record<string, number> = {}
  // A repeated index in one operand (a diagonal or trace) is refused by tapegrad's documented contract.
  if (ins.some((s) => new Set(s).size !== s.length)) return refuse('diagonals are not supported')
  for (let k = 0; k < ins.length; k++) {
    if (ins[k].length !== xs[k].shape.length) return refuse('rank mismatch')
    for (let i = 0; i < ins[k].length; i++) {
      const c = ins[k][i]
      if (c in size && size[c] !== xs[k].shape[i]) return refuse(`size of ${c} differs`)
      size[c] = xs[k].shape[i]
    }
  }
  const letters = Object.keys(size)
  const shape = [...out].map((c) => size[c])
  const sums = new Map<number, number>()
  const scales = new Map<number, number>()
  for (const idx of indices(letters.map((c) => size[c]))) {
    const at = (c: string) => idx[letters.indexOf(c)]
    const p = xs.reduce((acc, x, k) => acc * x.values[ravel([...ins[k]].map(at), x.shape)], 1)
    const o = ravel([...out].map(at), shape)
    sums.set(o, (sums.get(o) ?? 0) + p)
    scales.set(o, (scales.get(o) ?? 0) + Math.abs(p))
  }
  const n = sizeOf(shape)
  return result(
    shape,
    xs[0].dtype,
    Array.from({ length: n }, (_, o) => sums.get(o) ?? 0),
    { scale: Array.from({ length: n }, (_, o) => scales.get(o) ?? 0) },
  )
}
const einsumArb = fc
  .tuple(
    fc.constantFrom(...SPECS),
    fc.dictionary(fc.constantFrom('i', 'j', 'k', 'b'), fc.integer({ min: 0, max: 3 })),
    fc.option(fc.integer({ min: 0, max: 3 }), { freq: 8 }),
    floatDtype,
  )
  .chain(([spec, sz, clash, d]) => {
    const ins = spec.split('->')[0].split(',')
    return fc.tuple(
      fc.constant(spec),
      fc.tuple(
        ...ins.map((s, k) =>
          tensorOf(
            [...s].map((c, i) => (k === 1 && i === 0 && clash !== null ? clash : (sz[c] ?? 2))),
            d,
          ),
        ),
      ),
    )
  })
  .map(([spec, xs]): [TSpec[], string] => [xs, spec])

interface ConvArgs {
  stride: number
  padding: number
}
/** conv2d: out[n, o, y, x] = b[o] + Σ_c,i,j w[o, c, i, j] · xpad[n, c, y·s + i, x·s + j], a direct loop. */
function convRef([x, w, b]: TSpec[], { stride, padding }: ConvArgs): Expected {
  if (x.shape.length !== 4 || w.shape.length !== 4) return refuse('conv2d needs 4-d input and weight')
  const [N, C, H, W] = x.shape
  const [O, C2, KH, KW] = w.shape
  if (C !== C2) return refuse('channels differ')
  const OH = Math.floor((H + 2 * padding - KH) / stride) + 1
  const OW = Math.floor((W + 2 * padding - KW) / stride) + 1
  if (OH <= 0 || OW <= 0) return refuse('kernel larger than the padded input')
  const vals: (number | null)[] = []
  const scale: number[] = []
  for (const [n, o, yy, xx] of indices([N, O, OH, OW])) {
    let s = b.values[o]
    let sa = Math.abs(s)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < KH; i++)
        for (let j = 0; j < KW; j++) {
          const r = yy * stride + i - padding
          const q = xx * stride + j - padding
          // Padding is zeros that are multiplied too (a NaN or ∞ weight there gives NaN, as PyTorch).
          const inside = r >= 0 && r < H && q >= 0 && q < W
          const p = w.values[ravel([o, c, i, j], w.shape)] * (inside ? x.values[ravel([n, c, r, q], x.shape)] : 0)
          s += p
          sa += Math.abs(p)
        }
    // Where Σ|terms| overflows the dtype, the result (∞, −∞ or NaN) depends on the summation order.
    vals.push(Number.isNaN(s) || sa <= (x.dtype === 'float32' ? 3.4e38 : 1.7e308) ? s : null)
    scale.push(sa)
  }
  return result([N, O, OH, OW], x.dtype, vals, { scale, rtol: 1e-5 })
}
const convArb = fc
  .tuple(
    fc.integer({ min: 0, max: 2 }),
    positiveDim,
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 5 }),
    positiveDim,
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 2 }),
    fc.integer({ min: 0, max: 1 }),
    floatDtype,
  )
  .chain(([N, C, H, W, O, KH, KW, stride, padding, d]) =>
    fc.tuple(
      fc.tuple(tensorOf([N, C, H, W], d), tensorOf([O, C, KH, KW], d), tensorOf([O], d)),
      fc.constant({ stride, padding }),
    ),
  )
  .map(([xs, a]): [TSpec[], ConvArgs] => [xs, a])

export const rows: FuzzRow[] = [
  row(
    'concat',
    'indexing',
    concatArb,
    (xs, a) => ops.concat(xs, a),
    (xs, a) => concatRef(xs, a, false),
  ),
  row(
    'stack',
    'indexing',
    concatArb,
    (xs, a) => ops.stack(xs, a),
    (xs, a) => concatRef(xs, a, true),
  ),
  row(
    'argmax',
    'reduction',
    oneTensor((s) => fc.option(oneAxisArb(s.length), { nil: undefined }), floatDtype),
    ([x], a) => ops.argmax(x, a),
    ([x], a) => {
      const n = x.shape.length
      if (a === undefined)
        return x.values.length === 0 ? refuse('argmax of an empty tensor') : result([], 'int32', [argmaxOf(x.values)])
      if (!Number.isInteger(a) || a < -n || a >= n) return refuse('axis out of range')
      const k = a < 0 ? a + n : a
      if (x.shape[k] === 0) return refuse('argmax over an empty axis')
      const shape = x.shape.filter((_, i) => i !== k)
      return result(
        shape,
        'int32',
        indices(shape).map((idx) =>
          argmaxOf(
            Array.from(
              { length: x.shape[k] },
              (_, j) => x.values[ravel([...idx.slice(0, k), j, ...idx.slice(k)], x.shape)],
            ),
          ),
        ),
      )
    },
  ),
  row(
    'tile',
    'shape',
    oneTensor(() =>
      fc.oneof(fc.integer({ min: 0, max: 3 }), fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 5 })),
    ),
    ([x], reps) => ops.tile(x, reps),
    ([x], reps) => {
      const r = typeof reps === 'number' ? [reps] : reps
      if (r.some((v) => v < 0)) return refuse('negative repetition')
      const n = Math.max(r.length, x.shape.length)
      const xs = [...Array(n - x.shape.length).fill(1), ...x.shape]
      const rs = [...Array(n - r.length).fill(1), ...r]
      const shape = xs.map((v, i) => v * rs[i])
      return result(
        shape,
        x.dtype,
        indices(shape).map(
          (idx) =>
            x.values[
              ravel(
                idx.map((v, i) => v % xs[i]),
                xs,
              )
            ],
        ),
        { signedZeros: true },
      )
    },
  ),
  row(
    'flatten',
    'shape',
    oneTensor((s) => fc.tuple(oneAxisArb(s.length), oneAxisArb(s.length))),
    ([x], p) => ops.flatten(x, p?.[0], p?.[1]),
    ([x], [a, b]) => {
      const n = Math.max(x.shape.length, 1) // a 0-d tensor flattens to [1], as torch.flatten
      const sh = x.shape.length === 0 ? [1] : x.shape
      if (![a, b].every((v) => Number.isInteger(v) && v >= -n && v < n)) return refuse('axis out of range')
      const s = a < 0 ? a + n : a
      const e = b < 0 ? b + n : b
      if (s > e) return refuse('start after end')
      return result([...sh.slice(0, s), sizeOf(sh.slice(s, e + 1)), ...sh.slice(e + 1)], x.dtype, x.values, {
        signedZeros: true,
      })
    },
  ),
  row(
    'norm',
    'reduction',
    oneTensor(() => fc.constantFrom<number>(1, 2, Infinity), floatDtype, 3),
    ([x], ord) => ops.norm(x, ord),
    ([x], ord) => {
      const a = x.values.map(Math.abs)
      if (ord === Infinity && a.length === 0) return refuse('max of zero elements (as NumPy)')
      const v =
        ord === Infinity
          ? a.length === 0
            ? 0
            : a.some(Number.isNaN)
              ? NaN
              : Math.max(...a)
          : ord === 1
            ? a.reduce((p, q) => p + q, 0)
            : Math.hypot(...a)
      // hypot(∞, NaN) is ∞ in JavaScript (and C); NumPy's sqrt(Σx²) gives NaN: NaN wins here.
      return result([], x.dtype, [a.some(Number.isNaN) ? NaN : v], { rtol: 1e-5 })
    },
  ),
  row(
    'mse',
    'composite',
    fc
      .tuple(shapeArb(3), floatDtype)
      .chain(([s, d]) => fc.tuple(tensorOf(s, d), tensorOf(s, d)))
      .map(([p, t]): [TSpec[], undefined] => [[p, t], undefined]),
    ([p, t]) => ops.mse(p, t),
    ([p, t]) => {
      const sq = p.values.map((v, i) => (v - t.values[i]) ** 2)
      return result([], p.dtype, [sq.reduce((a, b) => a + b, 0) / sq.length], { scale: [(absSum(sq) / sq.length) * 4] })
    },
  ),
  row(
    'einsum',
    'linalg',
    einsumArb,
    (xs, spec) => ops.einsum(spec, xs[0], xs[1]),
    (xs, spec) => einsumRef(spec, xs),
  ),
  { ...row('conv2d', 'conv', convArb, ([x, w, b], a) => ops.conv2d(x, w, b, a), convRef), weight: 0.5 },
]
