/**
 * Fuzz rows of the reductions (src/ops/reduce.ts, scan.ts prod): axes None, one, a list (empty,
 * negative, repeated, out of range, non-integer), keepdims. References in float64 with NumPy's
 * rules: max/min over a 0-size axis are refused (no identity), sum → 0, prod → 1, mean and
 * variance → NaN, logsumexp → −∞; NaN propagates through max/min as np.max does.
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import type { DType, Tensor } from '../../../src/index.js'
import { anyDtype, axisArb, floatDtype, shapeArb, tensorOf, type TSpec } from '../arbitraries.js'
import { int32Refused, withJunk } from '../builders.js'
import { absSum, groups, normalizeAxes, reducedShape, refuse, result } from '../reference.js'
import type { FuzzCase, FuzzRow } from '../types.js'

type Reduce = (x: Tensor, axis: number | number[] | null | undefined, keepdims: boolean) => unknown

interface ReductionSpec {
  op: string
  fn: Reduce
  /** The reduced value of one group (float64). */
  ref: (vs: number[]) => number
  /** The error scale of one group (default |result|). */
  scale?: (vs: number[]) => number
  /** Refused over a 0-size axis (max, min). */
  noIdentity?: boolean
  /** The dtypes drawn: float ops also get int32 (which they refuse). */
  dtypes: fc.Arbitrary<DType>
  intRefused?: boolean
}

function reduction(s: ReductionSpec): FuzzRow {
  const cases = fc
    .tuple(shapeArb(4), s.dtypes)
    .chain(([shape, dtype]) => fc.tuple(tensorOf(shape, dtype), axisArb(shape.length), fc.boolean()))
    .map(([x, axis, keepdims]: [TSpec, number | number[] | null | undefined, boolean]): FuzzCase => ({
      tensors: [x],
      args: [axis, keepdims],
      call: (t) => s.fn(t(0), axis, keepdims),
      expected: () => {
        if (s.intRefused && x.dtype === 'int32') return int32Refused
        const axes = normalizeAxes(axis, x.shape.length)
        if (typeof axes === 'string') return refuse(axes)
        if (s.noIdentity && axes.some((a) => x.shape[a] === 0)) return refuse('zero-size reduction without identity')
        const gs = groups(x, axes)
        return result(reducedShape(x.shape, axes, keepdims), x.dtype, gs.map(s.ref), {
          scale: s.scale ? gs.map(s.scale) : undefined,
        })
      },
    }))
  return { op: s.op, family: 'reduction', cases: withJunk(cases, (j) => s.fn(j as Tensor, undefined, false)) }
}

const nanMax = (vs: number[]) => (vs.some(Number.isNaN) ? NaN : Math.max(...vs))
const nanMin = (vs: number[]) => (vs.some(Number.isNaN) ? NaN : Math.min(...vs))
const total = (vs: number[]) => vs.reduce((a, b) => a + b, 0)
const meanOf = (vs: number[]) => total(vs) / vs.length
function lse(vs: number[]): number {
  const m = nanMax(vs)
  if (vs.length === 0) return -Infinity
  if (!Number.isFinite(m)) return m === -Infinity ? -Infinity : m // +∞ or NaN
  return m + Math.log(total(vs.map((v) => Math.exp(v - m))))
}
function varianceOf(vs: number[]): number {
  const mu = meanOf(vs)
  return total(vs.map((v) => (v - mu) * (v - mu))) / vs.length
}

export const rows: FuzzRow[] = [
  reduction({ op: 'sum', fn: ops.sum, ref: total, scale: absSum, dtypes: floatDtype }),
  reduction({
    op: 'mean',
    fn: ops.mean,
    ref: meanOf,
    scale: (vs) => absSum(vs) / vs.length,
    dtypes: anyDtype,
    intRefused: true,
  }),
  reduction({ op: 'max', fn: ops.max, ref: nanMax, noIdentity: true, dtypes: floatDtype }),
  reduction({ op: 'min', fn: ops.min, ref: nanMin, noIdentity: true, dtypes: floatDtype }),
  reduction({
    op: 'prod',
    fn: ops.prod,
    dtypes: floatDtype,
    ref: (vs) => vs.reduce((a, b) => a * b, 1),
    // The product's rounding error grows with the number of factors: n ulps of |result|.
    scale: (vs) => (vs.length + 1) * Math.abs(vs.reduce((a, b) => a * b, 1)),
  }),
  reduction({
    op: 'logsumexp',
    fn: ops.logsumexp,
    ref: lse,
    dtypes: anyDtype,
    intRefused: true,
    scale: (vs) => Math.max(1, ...vs.filter(Number.isFinite).map(Math.abs)),
  }),
  reduction({
    op: 'variance',
    fn: (x, a, k) => ops.variance(x, a, k),
    ref: varianceOf,
    dtypes: anyDtype,
    intRefused: true,
    scale: (vs) => 4 * meanOf(vs.map((v) => v * v)),
  }),
]
