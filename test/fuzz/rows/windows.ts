/**
 * Fuzz rows of conv1d and the pools, each against a direct float64 loop over its window, written
 * from PyTorch's definitions (F.conv1d, F.max_pool2d, F.avg_pool2d with count_include_pad,
 * F.adaptive_avg_pool2d's windows ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ − 1), with random geometry: stride,
 * padding ('same' and 'valid' too), dilation, groups, bias, kernels larger than the padded
 * input, padding over half the kernel, wrong ranks and channel counts, int32 and mixed dtypes.
 *
 * Max pooling propagates NaN (PyTorch's `val > max || isnan(val)`; tapegrad documents the same),
 * ties go to the first maximum, so the sign of a zero maximum is checked too. Choices where
 * PyTorch is not followed (tapegrad's documented contract): a max-pool window that holds only
 * padding (possible with dilation) is refused, where PyTorch gives −∞; zero channels (C = 0) give
 * an empty result, where PyTorch refuses. Sums whose Σ|terms| overflow are not value-checked.
 * These rows run half the suite's cases (weight 0.5): every case is a direct loop.
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import type { DType, Tensor } from '../../../src/index.js'
import { anyDtype, floatDtype, tensorOf, type TSpec } from '../arbitraries.js'
import { int32Refused, withJunk } from '../builders.js'
import { indices, ravel, refuse, result } from '../reference.js'
import type { Expected, FuzzCase, FuzzRow } from '../types.js'

const overflowAt = (d: DType) => (d === 'float32' ? 3.4e38 : 1.7e308)
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)

/** A window argument read as PyTorch does: one integer ≥ min for every axis, or one per axis. */
function perAxis(v: unknown, dims: number, min: number): number[] | null {
  if (isInt(v) && v >= min) return new Array<number>(dims).fill(v)
  if (Array.isArray(v) && v.length === dims && v.every((e) => isInt(e) && e >= min)) return v.slice()
  return null
}

/** A sum over a window, null (not checked) when Σ|terms| overflows the dtype and it is not NaN. */
function windowSum(terms: number[], dtype: DType): { s: number | null; scale: number } {
  const s = terms.reduce((a, b) => a + b, 0)
  const scale = terms.reduce((a, b) => a + Math.abs(b), 0)
  return { s: Number.isNaN(s) || scale <= overflowAt(dtype) ? s : null, scale }
}

// ---- conv1d ------------------------------------------------------------------------------------

interface Conv1dArgs {
  stride?: unknown
  padding?: unknown
  dilation?: unknown
  groups?: unknown
  bias: 'none' | 'tensor' | 'wrong'
}

const convArb = fc
  .record({
    N: fc.integer({ min: 0, max: 2 }),
    groups: fc.oneof(
      { weight: 18, arbitrary: fc.constantFrom<unknown>(undefined, 1, 2) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 1.5) },
    ),
    Cg: fc.integer({ min: 1, max: 2 }),
    Og: fc.integer({ min: 1, max: 2 }),
    channelClash: fc.oneof({ weight: 10, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, -1) }),
    L: fc.integer({ min: 0, max: 6 }),
    k: fc.integer({ min: 1, max: 4 }),
    rank: fc.oneof({ weight: 20, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constantFrom(2, 4) }),
    stride: fc.oneof(
      { weight: 18, arbitrary: fc.constantFrom<unknown>(undefined, 1, 2, [2]) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(0, [1, 1]) },
    ),
    padding: fc.oneof(
      { weight: 18, arbitrary: fc.constantFrom<unknown>(undefined, 0, 1, 2, 'same', 'valid') },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 'full') },
    ),
    dilation: fc.oneof(
      { weight: 18, arbitrary: fc.constantFrom<unknown>(undefined, 1, 2) },
      { weight: 1, arbitrary: fc.constant<unknown>(0) },
    ),
    bias: fc.oneof(
      { weight: 18, arbitrary: fc.constantFrom<Conv1dArgs['bias']>('none', 'tensor') },
      { weight: 1, arbitrary: fc.constant<Conv1dArgs['bias']>('wrong') },
    ),
    dtype: floatDtype,
    // The weight's (or bias') dtype: the input's mostly; another float dtype or int32 now and then.
    other: fc.oneof(
      { weight: 10, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.tuple(anyDtype, fc.boolean()) },
    ),
  })
  .chain((g) => {
    const groups = isInt(g.groups) && g.groups > 0 ? g.groups : 1
    const C = g.Cg * groups + g.channelClash
    const O = g.Og * groups
    const xShape =
      g.rank === 3 ? [g.N, Math.max(C, 0), g.L] : g.rank === 2 ? [Math.max(C, 0), g.L] : [g.N, Math.max(C, 0), 1, g.L]
    const wd = g.other && !g.other[1] ? g.other[0] : g.dtype
    const bd = g.other && g.other[1] ? g.other[0] : g.dtype
    const b = g.bias === 'none' ? fc.constant(null) : tensorOf([g.bias === 'wrong' ? O + 1 : O], bd)
    return fc
      .tuple(tensorOf(xShape, g.dtype), tensorOf([O, g.Cg, g.k], wd), b)
      .map(([x, w, bias]): [TSpec[], Conv1dArgs] => [
        bias ? [x, w, bias] : [x, w],
        { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups, bias: g.bias },
      ])
  })

/**
 * F.conv1d: y[n, o, p] = b[o] + Σ_{c < C/groups, j < k} w[o, c, j] · x[n, g·C/groups + c, p·s − pad + j·d]
 * with g = ⌊o / (O/groups)⌋; positions outside x read 0 (and a NaN or ∞ weight times that 0 is NaN).
 */
function conv1dRef([x, w, b]: TSpec[], a: Conv1dArgs): Expected {
  if ([x, w, b].some((t) => t && t.dtype === 'int32')) return int32Refused
  if (x.shape.length !== 3) return refuse('input must be 3-D')
  const groups = a.groups ?? 1
  if (!isInt(groups) || groups < 1) return refuse('bad groups')
  const [N, C, L] = x.shape
  const [O, Cg, K] = w.shape
  if (C % groups !== 0 || O % groups !== 0 || Cg * groups !== C) return refuse('channels do not fit the groups')
  if (b && b.shape[0] !== O) return refuse('bias shape')
  if (w.dtype !== x.dtype || (b && b.dtype !== x.dtype)) return refuse('dtype mismatch')
  const stride = perAxis(a.stride ?? 1, 1, 1)
  const dilation = perAxis(a.dilation ?? 1, 1, 1)
  if (!stride || !dilation) return refuse('bad stride or dilation')
  const [s] = stride
  const [d] = dilation
  let before: number
  let after: number
  if (a.padding === 'same') {
    if (s !== 1) return refuse("'same' needs stride 1")
    const total = d * (K - 1)
    before = Math.floor(total / 2)
    after = total - before
  } else if (a.padding === 'valid') before = after = 0
  else {
    const p = perAxis(a.padding ?? 0, 1, 0)
    if (!p) return refuse('bad padding')
    before = after = p[0]
  }
  const Lo = Math.floor((L + before + after - d * (K - 1) - 1) / s) + 1
  if (d * (K - 1) + 1 > L + before + after) return refuse('kernel larger than the padded input')
  const vals: (number | null)[] = []
  const scale: number[] = []
  for (const [n, o, p] of indices([N, O, Lo])) {
    const g = Math.floor(o / (O / groups))
    const terms = b ? [b.values[o]] : []
    for (let c = 0; c < Cg; c++)
      for (let j = 0; j < K; j++) {
        const q = p * s - before + j * d
        const xv = q >= 0 && q < L ? x.values[ravel([n, g * Cg + c, q], x.shape)] : 0
        terms.push(w.values[ravel([o, c, j], w.shape)] * xv)
      }
    const ws = windowSum(terms, x.dtype)
    vals.push(ws.s)
    scale.push(ws.scale)
  }
  return result([N, O, Lo], x.dtype, vals, { scale, rtol: 1e-5 })
}

// ---- pools -------------------------------------------------------------------------------------

interface PoolArgs {
  kernel: unknown
  stride?: unknown
  padding?: unknown
  dilation?: unknown
}

/** A spatial size: mostly 1..5, now and then 0 (which no window fits). */
const spatial = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 5 }) },
  { weight: 1, arbitrary: fc.constant(0) },
)

const poolArb = (withDilation: boolean) =>
  fc
    .record({
      shape: fc.oneof(
        {
          weight: 20,
          arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), spatial, spatial),
        },
        { weight: 1, arbitrary: fc.constantFrom<number[]>([2, 3], [1, 3, 3], [1, 1, 1, 2, 2]) },
      ),
      dtype: anyDtype,
      args: fc.record({
        kernel: fc.oneof(
          {
            weight: 24,
            arbitrary: fc.oneof(
              fc.integer({ min: 1, max: 3 }),
              fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map((p) => p as unknown),
            ),
          },
          { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 1.5, [2], null) },
        ),
        stride: fc.oneof(
          { weight: 24, arbitrary: fc.constantFrom<unknown>(undefined, 1, 2, [1, 2]) },
          { weight: 1, arbitrary: fc.constantFrom<unknown>(0, [1]) },
        ),
        padding: fc.oneof(
          { weight: 24, arbitrary: fc.constantFrom<unknown>(undefined, undefined, 0, 1, [0, 1]) },
          { weight: 1, arbitrary: fc.constantFrom<unknown>(2, -1) },
        ),
        // avgPool2d has no dilation: passing one (rarely) must be refused.
        dilation: withDilation
          ? fc.oneof(
              { weight: 24, arbitrary: fc.constantFrom<unknown>(undefined, 1, 2, [2, 1]) },
              { weight: 1, arbitrary: fc.constant<unknown>(0) },
            )
          : fc.oneof(
              { weight: 20, arbitrary: fc.constant<unknown>(undefined) },
              { weight: 1, arbitrary: fc.constant<unknown>(1) },
            ),
      }),
    })
    .chain(({ shape, dtype, args }) => tensorOf(shape, dtype).map((x): [TSpec, PoolArgs] => [x, args]))

interface Geometry {
  N: number
  C: number
  H: number
  W: number
  k: number[]
  s: number[]
  p: number[]
  d: number[]
  out: number[]
}

/** PyTorch's checks and output size for a 2-D pool; the reason for a refusal otherwise. */
function poolGeometry(x: TSpec, a: PoolArgs, dilated: boolean): Geometry | string {
  if (x.dtype === 'int32') return 'int32 given to a float op'
  if (x.shape.length !== 4) return 'input must be 4-D'
  if (!dilated && a.dilation !== undefined) return 'avgPool2d has no dilation'
  const k = perAxis(a.kernel, 2, 1)
  const s = perAxis(a.stride ?? a.kernel, 2, 1)
  const p = perAxis(a.padding ?? 0, 2, 0)
  const d = perAxis(a.dilation ?? 1, 2, 1)
  if (!k || !s || !p || !d) return 'bad window argument'
  if (p.some((v, i) => 2 * v > k[i])) return 'padding over half the kernel'
  const [N, C, H, W] = x.shape
  const padded = [H + 2 * p[0], W + 2 * p[1]]
  const eff = k.map((v, i) => d[i] * (v - 1) + 1)
  if (eff.some((v, i) => v > padded[i])) return 'kernel larger than the padded input'
  return { N, C, H, W, k, s, p, d, out: padded.map((v, i) => Math.floor((v - eff[i]) / s[i]) + 1) }
}

/** The window of output (y, x): the input positions inside x, row by row (padding left out). */
function windowOf(g: Geometry, oy: number, ox: number): [number, number][] {
  const at: [number, number][] = []
  for (let i = 0; i < g.k[0]; i++)
    for (let j = 0; j < g.k[1]; j++) {
      const r = oy * g.s[0] - g.p[0] + i * g.d[0]
      const c = ox * g.s[1] - g.p[1] + j * g.d[1]
      if (r >= 0 && r < g.H && c >= 0 && c < g.W) at.push([r, c])
    }
  return at
}

/** F.max_pool2d: the first maximum of each window, NaN if the window holds one. */
function maxPoolRef(x: TSpec, a: PoolArgs): Expected {
  const g = poolGeometry(x, a, true)
  if (typeof g === 'string') return refuse(g)
  const vals: number[] = []
  for (const [n, c, oy, ox] of indices([g.N, g.C, g.out[0], g.out[1]])) {
    const win = windowOf(g, oy, ox).map(([r, q]) => x.values[ravel([n, c, r, q], x.shape)])
    if (win.length === 0) return refuse('a window holds only padding (tapegrad refuses; PyTorch gives −∞)')
    let best = win[0]
    for (const v of win) if (Number.isNaN(v) || v > best) best = Number.isNaN(best) ? best : v
    vals.push(best)
  }
  return result([g.N, g.C, g.out[0], g.out[1]], x.dtype, vals, { signedZeros: true })
}

/** F.avg_pool2d (count_include_pad): the window's sum, zeros in the padding, over kH·kW. */
function avgPoolRef(x: TSpec, a: PoolArgs): Expected {
  const g = poolGeometry(x, a, false)
  if (typeof g === 'string') return refuse(g)
  const area = g.k[0] * g.k[1]
  const vals: (number | null)[] = []
  const scale: number[] = []
  for (const [n, c, oy, ox] of indices([g.N, g.C, g.out[0], g.out[1]])) {
    const ws = windowSum(
      windowOf(g, oy, ox).map(([r, q]) => x.values[ravel([n, c, r, q], x.shape)]),
      x.dtype,
    )
    vals.push(ws.s === null ? null : ws.s / area)
    scale.push(ws.scale / area)
  }
  return result([g.N, g.C, g.out[0], g.out[1]], x.dtype, vals, { scale })
}

/** outputSize: a number, a pair (null keeps that axis), rarely 0, 1.5 or a list of one. */
const outputSizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.option(fc.integer({ min: 1, max: 4 }), { freq: 4 }),
      fc.option(fc.integer({ min: 1, max: 4 }), { freq: 4 }),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 1.5, [2], [0, 1], null) },
)

/** F.adaptive_avg_pool2d: output (p, q) is the mean of rows ⌊p·H/oh⌋…⌈(p+1)·H/oh⌉−1 and likewise columns. */
function adaptiveRef(x: TSpec, size: unknown): Expected {
  if (x.dtype === 'int32') return int32Refused
  if (x.shape.length !== 4) return refuse('input must be 4-D')
  const [N, C, H, W] = x.shape
  const given = Array.isArray(size) && size.length === 2 ? [size[0] ?? H, size[1] ?? W] : size
  const o = perAxis(given, 2, 1)
  if (!o) return refuse('bad output size')
  if (H === 0 || W === 0) return refuse('empty spatial axis')
  const span = (i: number, n: number, m: number) => [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)]
  const vals: (number | null)[] = []
  const scale: number[] = []
  for (const [n, c, p, q] of indices([N, C, o[0], o[1]])) {
    const [r0, r1] = span(p, H, o[0])
    const [c0, c1] = span(q, W, o[1])
    const terms: number[] = []
    for (let r = r0; r < r1; r++) for (let k = c0; k < c1; k++) terms.push(x.values[ravel([n, c, r, k], x.shape)])
    const ws = windowSum(terms, x.dtype)
    vals.push(ws.s === null ? null : ws.s / terms.length)
    scale.push(ws.scale / terms.length)
  }
  return result([N, C, o[0], o[1]], x.dtype, vals, { scale })
}

function poolRow(
  op: string,
  arb: fc.Arbitrary<[TSpec, PoolArgs]>,
  call: (x: Tensor, a: PoolArgs) => unknown,
  ref: (x: TSpec, a: PoolArgs) => Expected,
): FuzzRow {
  const cases = arb.map(([x, a]): FuzzCase => ({
    tensors: [x],
    args: [a],
    call: (t) => call(t(0), a),
    expected: () => ref(x, a),
  }))
  return { op, family: 'conv', cases: withJunk(cases, (j) => call(j as Tensor, { kernel: 1 })), weight: 0.5 }
}

/** The options object as the call passes it: only the arguments drawn. */
function poolOptions(a: PoolArgs): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  if (a.stride !== undefined) o.stride = a.stride
  if (a.padding !== undefined) o.padding = a.padding
  if (a.dilation !== undefined) o.dilation = a.dilation
  return o
}

export const rows: FuzzRow[] = [
  {
    op: 'conv1d',
    family: 'conv',
    weight: 0.5,
    cases: withJunk(
      convArb.map(([xs, a]): FuzzCase => ({
        tensors: xs,
        args: [a],
        call: (t) =>
          ops.conv1d(t(0), t(1), xs.length > 2 ? t(2) : null, {
            stride: a.stride,
            padding: a.padding,
            dilation: a.dilation,
            groups: a.groups,
          } as ops.ConvOptions),
        expected: () => conv1dRef(xs, a),
      })),
      (j) => ops.conv1d(j as Tensor, j as Tensor),
    ),
  },
  poolRow('maxPool2d', poolArb(true), (x, a) => ops.maxPool2d(x, a.kernel as number, poolOptions(a)), maxPoolRef),
  poolRow('avgPool2d', poolArb(false), (x, a) => ops.avgPool2d(x, a.kernel as number, poolOptions(a)), avgPoolRef),
  {
    op: 'adaptiveAvgPool2d',
    family: 'conv',
    weight: 0.5,
    cases: withJunk(
      poolArb(false).chain(([x]) =>
        outputSizeArb.map((size): FuzzCase => ({
          tensors: [x],
          args: [size],
          call: (t) => ops.adaptiveAvgPool2d(t(0), size as number),
          expected: () => adaptiveRef(x, size),
        })),
      ),
      (j) => ops.adaptiveAvgPool2d(j as Tensor, 1),
    ),
  },
]
