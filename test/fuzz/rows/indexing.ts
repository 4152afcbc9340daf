/**
 * Fuzz rows of slice, gather, indexSelect, split and pad. The references pick elements by
 * explicit index arithmetic with NumPy's rules (Python's slice.indices for start:stop:step,
 * np.take for gather, torch.split for split, np.pad(mode='constant') for pad); nothing here calls
 * tapegrad.
 *
 * Indices are given every way tapegrad accepts them (a number, a flat or nested array, an
 * Int32Array, an int32 Tensor, a float Tensor): out of range on either side, negative, not
 * integers (0.5, NaN, ∞), ragged. A float Tensor of integer values is accepted, as tapegrad
 * documents ("a Tensor (any shape, integer values)"), where NumPy and PyTorch refuse float indices.
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import type { Tensor } from '../../../src/index.js'
import {
  anyDtype,
  mostlyValidAxis,
  rankedShapeArb,
  shapeArb,
  sizeOf,
  stored,
  tensorOf,
  type TSpec,
} from '../arbitraries.js'
import { withJunk } from '../builders.js'
import { indices, ravel, refuse, result, sliceIndices } from '../reference.js'
import type { Expected, FuzzCase, FuzzRow, Result } from '../types.js'

/** A tensor (rank ≤ maxRank) and arguments drawn from its shape. */
const oneTensor = <A>(args: (shape: number[]) => fc.Arbitrary<A>, dtypes = anyDtype, maxRank = 4) =>
  fc.tuple(rankedShapeArb(maxRank), dtypes).chain(([s, d]) => fc.tuple(tensorOf(s, d), args(s)))

/** A copy of x's elements: out[idx] = x[src(idx)], zeros signed. */
function picked(x: TSpec, shape: number[], src: (idx: number[]) => number[], dtype = x.dtype): Result {
  return result(
    shape,
    dtype,
    indices(shape).map((idx) => x.values[ravel(src(idx), x.shape)]),
    { signedZeros: true },
  )
}

// ---- slice ------------------------------------------------------------------------------------

/** A bound of a slice: omitted, null, or an integer a little past either end; rarely not an integer. */
const boundArb = (n: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(undefined, null) },
    { weight: 24, arbitrary: fc.integer({ min: -n - 2, max: n + 2 }) },
    { weight: 1, arbitrary: fc.constantFrom(0.5, NaN) },
  )
/** One axis' spec: whole axis, one index (in range or one past either end) or [start, stop, step]. */
const specArb = (n: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: fc.integer({ min: -n - 1, max: n }) },
    {
      weight: 24,
      arbitrary: fc
        .tuple(
          boundArb(n),
          boundArb(n),
          fc.oneof(
            { weight: 16, arbitrary: fc.constantFrom(1, 2, 3, -1, -2) },
            // An omitted or null step is 1 (Python's None); 0 and 1.5 are refused.
            { weight: 6, arbitrary: fc.constantFrom(undefined, null) },
            { weight: 1, arbitrary: fc.constantFrom(0, 1.5) },
          ),
          fc.integer({ min: 0, max: 3 }),
        )
        .map(([a, b, s, len]) => [a, b, s].slice(0, len)),
    },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(0.5, 'x', [0, 1, 1, 1], {}) },
  )
/** One spec per axis; sometimes fewer (the rest take whole axes) or one more than the axes. */
const sliceArb = oneTensor((s) =>
  fc
    .tuple(fc.tuple(...s.map((n) => specArb(n))), fc.constantFrom(0, 0, 0, 0, 0, 0, 1, -1), specArb(2))
    .map(([specs, more, extra]) => (more > 0 ? [...specs, extra] : more < 0 ? specs.slice(0, -1) : specs)),
)

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
const isBound = (v: unknown) => v === null || v === undefined || isInt(v)

/** NumPy's basic indexing x[s₀, s₁, …]: what each axis picks, and which axes remain. */
function sliceRef(x: TSpec, specs: unknown[]): Expected {
  if (specs.length > x.shape.length) return refuse('too many indices')
  const picks: number[][] = []
  const kept: boolean[] = []
  for (let k = 0; k < x.shape.length; k++) {
    const n = x.shape[k]
    const s = specs[k]
    if (s === null || s === undefined) {
      picks.push([...Array(n).keys()])
      kept.push(true)
    } else if (typeof s === 'number') {
      if (!isInt(s) || s < -n || s >= n) return refuse(`index ${s} not an integer in range for size ${n}`)
      picks.push([s < 0 ? s + n : s])
      kept.push(false)
    } else if (Array.isArray(s) && s.length <= 3) {
      const step = s[2] ?? 1
      if (!isBound(s[0]) || !isBound(s[1]) || !isInt(step) || step === 0) return refuse('bad slice')
      picks.push(sliceIndices(n, s[0], s[1], step))
      kept.push(true)
    } else return refuse('not a slice spec')
  }
  const shape = picks.flatMap((p, k) => (kept[k] ? [p.length] : []))
  return picked(x, shape, (idx) => {
    let j = 0
    return picks.map((p, k) => p[kept[k] ? idx[j++] : 0])
  })
}

// ---- gather / indexSelect ----------------------------------------------------------------------

/** Indices in one of the forms tapegrad accepts; a tensor form is built by the case. */
type IndexArg =
  | { kind: 'number'; v: number }
  | { kind: 'array'; vs: number[] }
  | { kind: 'nested'; rows: number[][] }
  | { kind: 'int32array'; vs: number[] }
  | { kind: 'tensor'; t: TSpec }

/** An index value for an axis of size n: mostly in [−n, n), one past either end, rarely not an integer. */
const indexValue = (n: number, integers: boolean) => {
  const inRange = n > 0 ? fc.integer({ min: -n, max: n - 1 }) : fc.constant(0)
  const outside = fc.constantFrom(-n - 1, n)
  return integers
    ? fc.oneof({ weight: 30, arbitrary: inRange }, { weight: 1, arbitrary: outside })
    : fc.oneof(
        { weight: 30, arbitrary: inRange },
        { weight: 1, arbitrary: outside },
        { weight: 1, arbitrary: fc.constantFrom(0.5, NaN, Infinity, -0) },
      )
}

/** Indices in every form; `oneD` (indexSelect) draws the 1-D forms more often. */
const indexArb = (n: number, oneD: boolean): fc.Arbitrary<IndexArg> => {
  const list = (integers: boolean, max = 4) => fc.array(indexValue(n, integers), { maxLength: max })
  const w = oneD ? 3 : 1
  return fc.oneof(
    fc.record({ kind: fc.constant('number' as const), v: indexValue(n, false) }),
    { weight: w, arbitrary: fc.record({ kind: fc.constant('array' as const), vs: list(false) }) },
    { weight: w, arbitrary: fc.record({ kind: fc.constant('int32array' as const), vs: list(true) }) },
    // Rows of one length, or ragged ones now and then (which NumPy refuses too).
    fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean())
      .chain(([r, c, ragged, ints]) =>
        fc.tuple(
          ...Array.from({ length: r }, (_, i) =>
            fc.array(indexValue(n, ints), {
              minLength: ragged && i === r - 1 ? c + 1 : c,
              maxLength: ragged && i === r - 1 ? c + 1 : c,
            }),
          ),
        ),
      )
      .map((rows): IndexArg => ({ kind: 'nested', rows })),
    fc
      .tuple(
        shapeArb(2, fc.integer({ min: 0, max: 3 })),
        fc.constantFrom('int32' as const, 'int32' as const, 'float32' as const, 'float64' as const),
      )
      .chain(([s, d]) =>
        fc
          .array(indexValue(n, d === 'int32'), { minLength: sizeOf(s), maxLength: sizeOf(s) })
          .map((vs): IndexArg => ({ kind: 'tensor', t: { shape: s, dtype: d, values: vs.map((v) => stored(v, d)) } })),
      ),
  )
}

/** The indices as flat values and a shape, or the reason NumPy refuses them (ragged). */
function readIndex(ix: IndexArg): { vs: number[]; shape: number[] } | string {
  switch (ix.kind) {
    case 'number':
      return { vs: [ix.v], shape: [] }
    case 'array':
    case 'int32array':
      return { vs: ix.vs, shape: [ix.vs.length] }
    case 'nested':
      if (ix.rows.some((r) => r.length !== ix.rows[0].length)) return 'ragged indices'
      return { vs: ix.rows.flat(), shape: [ix.rows.length, ix.rows[0].length] }
    case 'tensor':
      return { vs: ix.t.values, shape: ix.t.shape }
  }
}

/** The indices as the call passes them (`t(1)` builds the tensor form). */
function passIndex(ix: IndexArg, t: (i: number) => Tensor): unknown {
  switch (ix.kind) {
    case 'number':
      return ix.v
    case 'array':
      return ix.vs.slice()
    case 'int32array':
      return Int32Array.from(ix.vs)
    case 'nested':
      return ix.rows.map((r) => r.slice())
    case 'tensor':
      return t(1)
  }
}

/**
 * np.take(x, indices, axis): out[a…, k…, b…] = x[a…, indices[k…], b…], shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]; every index an integer in [−n, n).
 */
function takeRef(x: TSpec, ix: IndexArg, axis: number, oneD: boolean): Expected {
  const nd = x.shape.length
  if (!isInt(axis) || axis < -nd || axis >= nd) return refuse('axis out of range (a 0-d tensor has none)')
  const a = axis < 0 ? axis + nd : axis
  const read = readIndex(ix)
  if (typeof read === 'string') return refuse(read)
  const n = x.shape[a]
  if (read.vs.some((v) => !isInt(v) || v < -n || v >= n)) return refuse('index not an integer in range')
  // index_select takes a 1-D index (tapegrad refuses a 0-d one, which PyTorch reads as [i]).
  if (oneD && read.shape.length !== 1) return refuse('indices must be 1-D')
  const m = read.shape.length
  const shape = [...x.shape.slice(0, a), ...read.shape, ...x.shape.slice(a + 1)]
  return picked(x, shape, (idx) => {
    const k = ravel(idx.slice(a, a + m), read.shape)
    const i = read.vs[k]
    return [...idx.slice(0, a), i < 0 ? i + n : i, ...idx.slice(a + m)]
  })
}

function takeRow(op: 'gather' | 'indexSelect'): FuzzRow {
  const cases = fc
    .tuple(rankedShapeArb(3), anyDtype)
    .chain(([s, d]) => fc.tuple(tensorOf(s, d), mostlyValidAxis(s.length)))
    .chain(([x, axis]) => {
      const nd = x.shape.length
      const n = Number.isInteger(axis) && axis >= -nd && axis < nd ? x.shape[axis < 0 ? axis + nd : axis] : 2
      return fc.tuple(fc.constant(x), fc.constant(axis), indexArb(n, op === 'indexSelect'))
    })
    .map(([x, axis, ix]): FuzzCase => ({
      tensors: ix.kind === 'tensor' ? [x, ix.t] : [x],
      args: [axis, ix.kind === 'tensor' ? 't1' : ix],
      call: (t) => {
        const i = passIndex(ix, t) as number[]
        return op === 'gather' ? ops.gather(t(0), i, axis) : ops.indexSelect(t(0), axis, i)
      },
      expected: () => takeRef(x, ix, axis, op === 'indexSelect'),
      differentiable: [true, false],
    }))
  const junk = (j: unknown) => (op === 'gather' ? ops.gather(j as Tensor, [0]) : ops.indexSelect(j as Tensor, 0, [0]))
  return { op, family: 'indexing', cases: withJunk(cases, junk) }
}

// ---- split -------------------------------------------------------------------------------------

/** A piece size (positive; 0, −1 and 1.5 refused) or a list of sizes that mostly adds up to n. */
const sectionsArb = (n: number): fc.Arbitrary<number | number[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, NaN) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: n }), { maxLength: 3 }),
          fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, -1),
        )
        .map(([cuts, off]) => {
          // Sizes between sorted cut points sum to n; `off` breaks the sum now and then.
          const c = [0, ...cuts.sort((p, q) => p - q), n]
          const sizes = c.slice(1).map((v, i) => v - c[i])
          sizes[sizes.length - 1] += off
          return sizes
        }),
    },
    { weight: 1, arbitrary: fc.constantFrom<number[]>([-1, 1], [0.5], []) },
  )

/** torch.split(x, sections, axis): pieces of the given sizes along the axis, in order. */
function splitRef(x: TSpec, sections: number | number[], axis: number): Expected {
  const nd = x.shape.length
  if (!isInt(axis) || axis < -nd || axis >= nd) return refuse('axis out of range')
  const a = axis < 0 ? axis + nd : axis
  const n = x.shape[a]
  let sizes: number[]
  if (typeof sections === 'number') {
    if (!isInt(sections) || sections <= 0) return refuse('piece size must be a positive integer')
    sizes = []
    for (let at = 0; at < n; at += sections) sizes.push(Math.min(sections, n - at))
    if (n === 0) sizes.push(0) // torch.split of an empty axis gives one empty piece
  } else {
    if (sections.some((s) => !isInt(s) || s < 0)) return refuse('sizes must be non-negative integers')
    if (sections.reduce((p, q) => p + q, 0) !== n) return refuse('sizes do not add up to the axis')
    sizes = sections
  }
  let at = 0
  return sizes.map((s) => {
    const from = at
    at += s
    return picked(
      x,
      x.shape.map((v, i) => (i === a ? s : v)),
      (idx) => idx.map((v, i) => (i === a ? v + from : v)),
    )
  })
}

// ---- pad ---------------------------------------------------------------------------------------

/** Widths: mostly one [before, after] pair per axis; sometimes too few or many, negative, 1.5, flat. */
const widthsArb = (nd: number): fc.Arbitrary<unknown> => {
  const w = fc.integer({ min: 0, max: 2 })
  const pair = fc.tuple(w, w)
  return fc.oneof(
    { weight: 10, arbitrary: fc.array(pair, { minLength: nd, maxLength: nd }) },
    { weight: 1, arbitrary: fc.array(pair, { maxLength: nd + 1 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.array(pair, { minLength: nd, maxLength: nd }),
          fc.nat(),
          fc.constantFrom<unknown>([-1, 0], [1.5, 0], [1], [0, 0, 0], 2, null),
        )
        .map(([ws, k, bad]) => (nd === 0 ? [bad] : ws.map((p, i) => (i === k % nd ? bad : p)))),
    },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([1, 2], [1], 'x') },
  )
}
/** The fill value: default, ordinary, special, or beyond int32's range (refused for int32 x). */
const padValueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(0, 1, -2, 7) },
  { weight: 2, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 1.5, 1e300, 2 ** 31, -(2 ** 31), 5e-324) },
)

/** np.pad(x, widths, constant_values=value): x in the interior, the value (in x's dtype) around it. */
function padRef(x: TSpec, widths: unknown, value: number | undefined): Expected {
  const nd = x.shape.length
  if (!Array.isArray(widths) || widths.length !== nd) return refuse('one [before, after] pair per axis')
  if (widths.some((p) => !Array.isArray(p) || p.length !== 2 || !p.every((v) => isInt(v) && v >= 0)))
    return refuse('bad pair')
  const v = value ?? 0
  // An int32 tensor cannot hold a non-integer or a value outside [−2³¹, 2³¹) (NumPy: unsafe cast).
  if (x.dtype === 'int32' && (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31))
    return refuse('value does not fit int32')
  const ws = widths as [number, number][]
  const shape = x.shape.map((n, k) => ws[k][0] + n + ws[k][1])
  return result(
    shape,
    x.dtype,
    indices(shape).map((idx) => {
      const src = idx.map((i, k) => i - ws[k][0])
      return src.every((i, k) => i >= 0 && i < x.shape[k]) ? x.values[ravel(src, x.shape)] : stored(v, x.dtype)
    }),
    { signedZeros: true },
  )
}

export const rows: FuzzRow[] = [
  {
    op: 'slice',
    family: 'indexing',
    cases: withJunk(
      sliceArb.map(([x, specs]): FuzzCase => ({
        tensors: [x],
        args: [specs],
        call: (t) => ops.slice(t(0), specs as ops.SliceSpec[]),
        expected: () => sliceRef(x, specs),
      })),
      (j) => ops.slice(j as Tensor, []),
    ),
  },
  takeRow('gather'),
  takeRow('indexSelect'),
  {
    op: 'split',
    family: 'indexing',
    cases: withJunk(
      oneTensor((s) => mostlyValidAxis(s.length), anyDtype, 3)
        .chain(([x, axis]) => {
          // The sizes are drawn for the axis split (for an invalid axis, any will do).
          const nd = x.shape.length
          const n = Number.isInteger(axis) && axis >= -nd && axis < nd ? x.shape[axis < 0 ? axis + nd : axis] : 2
          return fc.tuple(fc.constant(x), sectionsArb(n), fc.constant(axis))
        })
        .map(([x, sec, axis]): FuzzCase => ({
          tensors: [x],
          args: [sec, axis],
          call: (t) => ops.split(t(0), Array.isArray(sec) ? sec.slice() : sec, axis),
          expected: () => splitRef(x, sec, axis),
        })),
      (j) => ops.split(j as Tensor, 1),
    ),
  },
  {
    op: 'pad',
    family: 'shape',
    cases: withJunk(
      oneTensor((s) => fc.tuple(widthsArb(s.length), padValueArb), anyDtype, 3).map(
        ([x, [widths, value]]): FuzzCase => ({
          tensors: [x],
          args: [widths, value],
          call: (t) => ops.pad(t(0), widths as [number, number][], value),
          expected: () => padRef(x, widths, value),
        }),
      ),
      (j) => ops.pad(j as Tensor, []),
    ),
  },
]
