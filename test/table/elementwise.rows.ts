/** Table rows for src/ops/elementwise.ts. References are plain Math.* over broadcast indices. */
import * as tg from '../../src/index.js'
import { det, erfRef, ew, f64 } from './ref.js'
import type { OpCase, OpRow } from './types.js'

type T = tg.Tensor

/** Standard cases for a binary op: same shape, row/column/scalar/both-sides broadcasting, numbers. */
export function binary(
  op: (a: T, b: T | number) => T,
  ref: (a: number, b: number) => number,
  lo = -2,
  hi = 2,
): OpCase[] {
  const pairs: [string, number[], number[]][] = [
    ['same shape [2,3]', [2, 3], [2, 3]],
    ['row broadcast [2,3] & [3]', [2, 3], [3]],
    ['column broadcast [3,2] & [3,1]', [3, 2], [3, 1]],
    ['scalar [2,2] & []', [2, 2], []],
    ['both sides [2,1,3] & [4,1]', [2, 1, 3], [4, 1]],
    ['leading [1,3] & [2,1]', [1, 3], [2, 1]],
  ]
  const cases: OpCase[] = pairs.map(([label, sa, sb], k) => ({
    label,
    inputs: () => [det(sa, lo, hi, 11 + k), det(sb, lo, hi, 29 + k)],
    f: (a, b) => op(a, b),
    expected: (a, b) => ew(ref, a, b),
  }))
  cases.push({
    label: 'number operand',
    inputs: () => [det([3], lo, hi, 5)],
    f: (a) => op(a, 1.5),
    expected: (a) => ew((x) => ref(x, 1.5), a),
  })
  return cases
}

/** Standard cases for a unary op at several shapes (values in [lo, hi]). */
export function unary(op: (x: T) => T, ref: (x: number) => number, lo = -2, hi = 2, extra: OpCase[] = []): OpCase[] {
  return [
    { label: '0-d', inputs: () => [f64((0.7 * (hi - lo)) / 2 + (lo + hi) / 2)], f: op, expected: (x) => ew(ref, x) },
    { label: '[5]', inputs: () => [det([5], lo, hi, 3)], f: op, expected: (x) => ew(ref, x) },
    { label: '[2,3,2]', inputs: () => [det([2, 3, 2], lo, hi, 7)], f: op, expected: (x) => ew(ref, x) },
    ...extra,
  ]
}

const sigmoidRef = (x: number) => 1 / (1 + Math.exp(-x))

export const rows: OpRow[] = [
  { op: 'add', cases: binary(tg.add, (a, b) => a + b) },
  { op: 'sub', cases: binary(tg.sub, (a, b) => a - b) },
  { op: 'mul', cases: binary(tg.mul, (a, b) => a * b) },
  { op: 'div', cases: binary(tg.div, (a, b) => a / b, 0.5, 2) },
  { op: 'maximum', cases: binary(tg.maximum, Math.max) },
  { op: 'minimum', cases: binary(tg.minimum, Math.min) },
  {
    op: 'pow',
    cases: [
      ...binary(tg.pow, Math.pow, 0.5, 2),
      {
        label: 'constant exponent 3',
        inputs: () => [det([4], -2, 2, 9)],
        f: (x) => tg.pow(x, 3),
        expected: (x) => ew((v) => v ** 3, x),
      },
      {
        label: 'constant exponent -0.5',
        inputs: () => [det([4], 0.5, 2, 9)],
        f: (x) => tg.pow(x, -0.5),
        expected: (x) => ew((v) => v ** -0.5, x),
      },
      {
        label: 'number base 2^x',
        inputs: () => [det([3], -1, 1, 4)],
        f: (x) => tg.pow(2, x),
        expected: (x) => ew((v) => 2 ** v, x),
      },
    ],
  },
  {
    op: 'xlogy',
    cases: [
      ...binary(tg.xlogy, (a, b) => a * Math.log(b), 0.5, 2),
      {
        label: 'x = 0 gives 0 even at y = 0',
        inputs: () => [f64([0, 0, 2]), f64([0, 3, 5])],
        f: (x, y) => tg.xlogy(x, y),
        expected: [0, 0, 2 * Math.log(5)],
        gradcheck: false,
      },
    ],
  },
  {
    op: 'logaddexp',
    cases: [
      ...binary(tg.logaddexp, (a, b) => Math.log(Math.exp(a) + Math.exp(b))),
      {
        label: 'large equal arguments stay finite',
        inputs: () => [f64([1000, -1000])],
        f: (a) => tg.logaddexp(a, a),
        expected: [1000 + Math.LN2, -1000 + Math.LN2],
        atol: 1e-12,
      },
      {
        label: 'one side dominates',
        inputs: () => [f64([800, -5])],
        f: (a) => tg.logaddexp(a, tg.tensor([0], { dtype: 'float64' })),
        expected: [800, Math.log1p(Math.exp(-5))],
        atol: 1e-12,
      },
    ],
  },
  {
    op: 'log1p',
    cases: unary(tg.log1p, Math.log1p, -0.5, 2, [
      {
        label: 'tiny x keeps its digits',
        inputs: () => [f64([1e-12])],
        f: tg.log1p,
        expected: [1e-12 - 5e-25],
        atol: 1e-27,
      },
    ]),
  },
  {
    op: 'expm1',
    cases: unary(tg.expm1, Math.expm1, -2, 2, [
      {
        label: 'tiny x keeps its digits',
        inputs: () => [f64([1e-12])],
        f: tg.expm1,
        expected: [1e-12 + 5e-25],
        atol: 1e-27,
      },
    ]),
  },
  {
    op: 'sign',
    cases: unary(tg.sign, Math.sign, -2, 2, [
      {
        label: 'zeros and NaN kept',
        inputs: () => [f64([-0, 0, NaN, -3])],
        f: tg.sign,
        expected: [-0, 0, NaN, -1],
        gradcheck: false,
      },
    ]),
  },
  { op: 'floor', cases: unary(tg.floor, Math.floor, -3, 3) },
  { op: 'ceil', cases: unary(tg.ceil, Math.ceil, -3, 3) },
  {
    op: 'round',
    cases: unary(tg.round, Math.round, -3, 3, [
      {
        label: 'ties to even',
        inputs: () => [f64([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999])],
        f: tg.round,
        expected: [0, 2, 2, -0, -2, -2, 2],
        gradcheck: false,
      },
    ]),
  },
  { op: 'neg', cases: unary(tg.neg, (x) => -x) },
  { op: 'exp', cases: unary(tg.exp, Math.exp) },
  { op: 'log', cases: unary(tg.log, Math.log, 0.2, 3) },
  { op: 'sqrt', cases: unary(tg.sqrt, Math.sqrt, 0.2, 3) },
  { op: 'abs', cases: unary(tg.abs, Math.abs) },
  { op: 'square', cases: unary(tg.square, (x) => x * x) },
  { op: 'tanh', cases: unary(tg.tanh, Math.tanh) },
  {
    op: 'sigmoid',
    cases: unary(tg.sigmoid, sigmoidRef, -3, 3, [
      {
        label: 'saturated ±50',
        inputs: () => [f64([-50, 50])],
        f: tg.sigmoid,
        expected: [1 / (1 + Math.exp(50)), 1 / (1 + Math.exp(-50))],
        atol: 1e-15,
      },
    ]),
  },
  { op: 'relu', cases: unary(tg.relu, (x) => (x > 0 ? x : 0)) },
  {
    op: 'leakyRelu',
    cases: [
      ...unary(tg.leakyRelu, (x) => (x > 0 ? x : 0.01 * x)),
      {
        label: 'slope 0.2',
        inputs: () => [det([6], -2, 2, 8)],
        f: (x) => tg.leakyRelu(x, 0.2),
        expected: (x) => ew((v) => (v > 0 ? v : 0.2 * v), x),
      },
    ],
  },
  {
    op: 'gelu',
    cases: unary(tg.gelu, (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2, 2000)), -3, 3).map((c) => ({
      ...c,
      atol: 1e-9,
    })),
  },
  {
    op: 'clamp',
    cases: [
      {
        label: 'both bounds',
        inputs: () => [det([7], -2, 2, 12)],
        f: (x) => tg.clamp(x, -0.5, 0.7),
        expected: (x) => ew((v) => Math.min(Math.max(v, -0.5), 0.7), x),
      },
      {
        label: 'min only',
        inputs: () => [det([2, 3], -2, 2, 13)],
        f: (x) => tg.clamp(x, 0),
        expected: (x) => ew((v) => Math.max(v, 0), x),
      },
      {
        label: 'max only',
        inputs: () => [det([4], -2, 2, 14)],
        f: (x) => tg.clamp(x, null, 0.25),
        expected: (x) => ew((v) => Math.min(v, 0.25), x),
      },
    ],
  },
  {
    op: 'where',
    cases: [
      {
        label: 'condition [2,3], a [2,3], b [3]',
        inputs: () => [
          f64([
            [1, 0, 1],
            [0, 0, 1],
          ]),
          det([2, 3], -1, 1, 15),
          det([3], -1, 1, 16),
        ],
        f: (c, a, b) => tg.where(c, a, b),
        expected: (c, a, b) => ew((cv, av, bv) => (cv !== 0 ? av : bv), c, a, b),
        wrt: [1, 2],
      },
      {
        label: 'condition [3,1] broadcast, number b',
        inputs: () => [f64([[1], [0], [1]]), det([3, 2], -1, 1, 17)],
        f: (c, a) => tg.where(c, a, 0),
        expected: (c, a) => ew((cv, av) => (cv !== 0 ? av : 0), c, a),
        wrt: [1],
      },
    ],
  },
  {
    op: 'astype',
    cases: [
      {
        label: 'float64 -> float64 (identity)',
        inputs: () => [f64([0.5, -1.25, 3])],
        f: (x) => tg.astype(x, 'float64'),
        expected: [0.5, -1.25, 3],
      },
      {
        label: 'float64 -> float32 rounds',
        inputs: () => [f64([0.1, -1 / 3, 1e-50])],
        f: (x) => tg.astype(tg.astype(x, 'float32'), 'float64'),
        expected: [Math.fround(0.1), Math.fround(-1 / 3), 0],
        // finite differences cannot see through float32 rounding; the cast's gradient is
        // tested in test/tape.test.ts ('astype casts the gradient back')
        gradcheck: false,
      },
      {
        label: 'float64 -> int32 truncates toward zero (no gradient)',
        inputs: () => [f64([1.7, -1.7, 3])],
        f: (x) => tg.astype(tg.astype(x, 'int32'), 'float64'),
        expected: [1, -1, 3],
        gradcheck: false,
      },
    ],
  },
]
