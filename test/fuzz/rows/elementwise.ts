/**
 * Fuzz rows of the elementwise ops (src/ops/elementwise.ts, trig.ts, activations.ts). The
 * references are the C / NumPy / PyTorch definitions in float64: IEEE special values included
 * (log(−0) = −∞, sqrt(−0) = −0, max with a NaN is NaN, pow(1, NaN) = 1, relu(NaN) = NaN).
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import type { DType, Tensor } from '../../../src/index.js'
import { anyDtype, stored, tensorArb } from '../arbitraries.js'
import {
  binary,
  broadcastCase,
  numberParam,
  operandsArb,
  unary,
  unaryWith,
  withJunk,
  type RefOptions,
} from '../builders.js'
import { erfc, powC, refuse, result } from '../reference.js'
import type { FuzzCase, FuzzRow } from '../types.js'

const exact: RefOptions = { signedZeros: true }

/** NumPy's round: half to even, keeping the sign of a zero result. */
function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x
  const f = Math.floor(x)
  const d = x - f
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))
/** ln(1 + e^(βx))/β, with the large-x branch written as x + e^(−βx)/β. */
const softplus = (x: number, beta: number) =>
  beta * x > 30 ? x + Math.exp(-beta * x) / beta : Math.log1p(Math.exp(beta * x)) / beta
const clampRef = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi)

/** min and max of clamp: a number, null or undefined each. */
const bound = fc.constantFrom<number | null | undefined>(undefined, null, -1, 0, 0.5, 2, -Infinity, Infinity, NaN)

export const rows: FuzzRow[] = [
  unary('abs', 'unary', ops.abs, Math.abs, exact),
  unary('neg', 'unary', ops.neg, (x) => -x, exact),
  unary('sign', 'unary', ops.sign, (x) => (x > 0 ? 1 : x < 0 ? -1 : x), exact), // ±0 and NaN kept (tapegrad's documented rule)
  unary('floor', 'unary', ops.floor, Math.floor, exact),
  unary('ceil', 'unary', ops.ceil, Math.ceil, exact),
  unary('round', 'unary', ops.round, roundHalfEven, exact),
  unary('square', 'unary', ops.square, (x) => x * x),
  unary('sqrt', 'unary', ops.sqrt, Math.sqrt, exact),
  unary('exp', 'unary', ops.exp, Math.exp),
  unary('expm1', 'unary', ops.expm1, Math.expm1, exact),
  unary('log', 'unary', ops.log, Math.log),
  unary('log1p', 'unary', ops.log1p, Math.log1p, exact),
  unary('sin', 'unary', ops.sin, Math.sin, exact),
  unary('cos', 'unary', ops.cos, Math.cos),
  unary('tan', 'unary', ops.tan, Math.tan, exact),
  unary('atan', 'unary', ops.atan, Math.atan, exact),
  unary('sinh', 'unary', ops.sinh, Math.sinh, exact),
  unary('cosh', 'unary', ops.cosh, Math.cosh),
  unary('asinh', 'unary', ops.asinh, Math.asinh, exact),
  unary('tanh', 'unary', ops.tanh, Math.tanh, exact),
  unary('sigmoid', 'unary', ops.sigmoid, sigmoid),
  unary('relu', 'unary', ops.relu, (x) => Math.max(x, 0)),
  unary('gelu', 'unary', ops.gelu, (x) => 0.5 * x * erfc(-x / Math.SQRT2), { rtol: 1e-6 }),
  unary('silu', 'unary', ops.silu, (x) => x * sigmoid(x)),
  unary('softsign', 'unary', ops.softsign, (x) => x / (1 + Math.abs(x))),
  unaryWith(
    'leakyRelu',
    'unary',
    numberParam([0.01, 0.2, -0.5, 1.5]),
    ops.leakyRelu,
    () => null,
    (x, s) => (x > 0 ? x : s * x),
  ),
  unaryWith(
    'elu',
    'unary',
    numberParam([1, 0.5, -1, 2]),
    ops.elu,
    (a) => (Number.isFinite(a) ? null : 'alpha must be finite'),
    (x, a) => (x > 0 ? x : a * Math.expm1(x)),
  ),
  unaryWith(
    'softplus',
    'unary',
    numberParam([1, 2, 0.5, -1]),
    ops.softplus,
    (b) => (b > 0 && Number.isFinite(b) ? null : 'beta must be positive and finite'),
    softplus,
  ),
  unaryWith(
    'hardtanh',
    'unary',
    fc.tuple(numberParam([-1, -2, 0]), numberParam([1, 0.5, 0])),
    (x, p) => ops.hardtanh(x, p?.[0], p?.[1]),
    ([lo, hi]) => (lo < hi ? null : 'min must be below max'),
    (x, [lo, hi]) => clampRef(x, lo, hi),
  ),
  unaryWith(
    'clamp',
    'unary',
    fc.tuple(bound, bound),
    (x, p) => ops.clamp(x, p?.[0], p?.[1]),
    // NumPy's clip accepts min > max (every element becomes max); tapegrad refuses it by name.
    ([lo, hi]) =>
      Number.isNaN(lo) || Number.isNaN(hi) || (lo ?? -Infinity) > (hi ?? Infinity) ? 'invalid bounds' : null,
    (x, [lo, hi]) => clampRef(x, lo ?? -Infinity, hi ?? Infinity),
  ),
  astypeRow(),

  binary('add', ops.add, (a, b) => a + b, exact),
  binary('sub', ops.sub, (a, b) => a - b, exact),
  binary('mul', ops.mul, (a, b) => a * b, exact),
  binary('div', ops.div, (a, b) => a / b, exact),
  binary('pow', ops.pow, powC),
  binary('maximum', ops.maximum, Math.max), // NaN propagates, as NumPy's maximum and torch.maximum
  binary('minimum', ops.minimum, Math.min),
  binary('atan2', ops.atan2, Math.atan2, exact),
  binary('xlogy', ops.xlogy, (x, y) => (x === 0 && !Number.isNaN(y) ? 0 : x * Math.log(y))),
  binary('logaddexp', ops.logaddexp, logaddexp),
  whereRow(),
]

/** NumPy's npy_logaddexp. */
function logaddexp(x: number, y: number): number {
  if (x === y) return x + Math.LN2
  const d = x - y
  if (d > 0) return x + Math.log1p(Math.exp(-d))
  if (d <= 0) return y + Math.log1p(Math.exp(d))
  return d
}

function astypeRow(): FuzzRow {
  const target = fc.constantFrom<unknown>(
    'float32',
    'float64',
    'int32',
    'float32',
    'float64',
    'int32',
    'float16',
    undefined,
  )
  const cases = fc.tuple(tensorArb(4, anyDtype), target).map(([x, dtype]): FuzzCase => ({
    tensors: [x],
    args: [dtype],
    call: (t) => ops.astype(t(0), dtype as DType),
    expected: () => {
      if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') return refuse('unsupported dtype')
      if (dtype !== 'int32')
        return result(
          x.shape,
          dtype,
          x.values.map((v) => stored(v, dtype)),
          { signedZeros: true },
        )
      // NumPy's cast of NaN, ±∞ or a value beyond int32 is undefined (it gives INT_MIN with a
      // warning); tapegrad refuses it rather than store a wrong integer.
      if (x.values.some((v) => !(Math.abs(Math.trunc(v)) <= 2147483647))) return refuse('not representable in int32')
      return result(x.shape, 'int32', x.values.map(Math.trunc))
    },
  }))
  return { op: 'astype', family: 'unary', cases: withJunk(cases, (j) => ops.astype(j as Tensor, 'float32')) }
}

function whereRow(): FuzzRow {
  const cases = fc.tuple(operandsArb(3), anyDtype).map(([operands, condDtype]) => {
    const [c0, ...rest] = operands
    // The condition is a tensor of its own dtype (any); a number there must be refused.
    const cond =
      'tensor' in c0
        ? { tensor: { ...c0.tensor, dtype: condDtype, values: c0.tensor.values.map((v) => stored(v, condDtype)) } }
        : c0
    const c = broadcastCase(
      [cond, ...rest],
      ([k, a, b]) => ops.where(k as Tensor, a, b),
      ([k, a, b]) => (k !== 0 ? a : b),
      { integers: true, conditionFirst: true, signedZeros: true },
    )
    if ('number' in cond) return { ...c, expected: () => refuse('the condition must be a tensor') }
    return c
  })
  return { op: 'where', family: 'binary', cases }
}
