/**
 * Table rows for src/ops/norm.ts. References: reduce.rows.ts' brute-force `refReduce` with the
 * textbook formula of each ord written as a plain loop, and `Math.hypot` (which scales
 * internally) where squares would overflow. Inputs stay away from 0 and from ties (where the
 * norms have kinks that finite differences cannot see); the gradient at exactly 0 has its own
 * test in test/norm.test.ts, and here only the value.
 */
import { norm, tensor, zeros, type Tensor } from '../../src/index.js'
import { refReduce } from './reduce.rows.js'
import { det, f64 } from './ref.js'
import type { OpRow } from './types.js'

const two = (v: number[]) => Math.sqrt(v.reduce((s, a) => s + a * a, 0))
const one = (v: number[]) => v.reduce((s, a) => s + Math.abs(a), 0)
const largest = (v: number[]) => Math.max(...v.map(Math.abs))
const smallest = (v: number[]) => Math.min(...v.map(Math.abs))
const pth = (p: number) => (v: number[]) => v.reduce((s, a) => s + Math.abs(a) ** p, 0) ** (1 / p)

/** Distinct magnitudes in [0.3, 1.5] with alternating signs: no zeros, no ties. */
function away(shape: number[], salt: number): Tensor {
  const t = det(shape, 0.3, 1.5, salt)
  for (let i = 0; i < t.size; i++) if (i % 2 === 1) t.data[i] = -t.data[i]
  return t
}
const a = (shape: number[], salt: number) => () => [away(shape, salt)]

export const rows: OpRow[] = [
  {
    op: 'norm',
    cases: [
      { label: 'by hand ‖[3, 4]‖ = 5', inputs: () => [f64([3, 4])], f: (x) => norm(x), expected: 5, shape: [] },
      {
        label: 'by hand ord 1 axis 1',
        inputs: () => [
          f64([
            [1, -2],
            [3, -4],
          ]),
        ],
        f: (x) => norm(x, 1, 1),
        expected: [3, 7],
      },
      {
        label: 'by hand ord Infinity',
        inputs: () => [f64([3, -4])],
        f: (x) => norm(x, Infinity),
        expected: 4,
        shape: [],
      },
      {
        label: '[2,3] default (2-norm of all elements)',
        inputs: a([2, 3], 1),
        f: (x) => norm(x),
        expected: (x) => refReduce(x, null, false, two),
        shape: [],
      },
      {
        label: "[3,3] 'fro' = the 2-norm of the flattened matrix",
        inputs: a([3, 3], 2),
        f: (x) => norm(x, 'fro'),
        expected: (x) => refReduce(x, null, false, two),
        shape: [],
      },
      {
        label: '[3,4] ord 2 axis 1 keepdims',
        inputs: a([3, 4], 3),
        f: (x) => norm(x, 2, 1, true),
        expected: (x) => refReduce(x, 1, true, two),
        shape: [3, 1],
      },
      {
        label: '[2,3,2] ord 2 axes [0,2]',
        inputs: a([2, 3, 2], 4),
        f: (x) => norm(x, 2, [0, 2]),
        expected: (x) => refReduce(x, [0, 2], false, two),
        shape: [3],
      },
      {
        label: '[3,4] ord 1 axis 0',
        inputs: a([3, 4], 5),
        f: (x) => norm(x, 1, 0),
        expected: (x) => refReduce(x, 0, false, one),
      },
      {
        label: '[3,4] ord Infinity axis -1',
        inputs: a([3, 4], 6),
        f: (x) => norm(x, Infinity, -1),
        expected: (x) => refReduce(x, -1, false, largest),
      },
      {
        label: '[3,4] ord -Infinity axis 0',
        inputs: a([3, 4], 7),
        f: (x) => norm(x, -Infinity, 0),
        expected: (x) => refReduce(x, 0, false, smallest),
      },
      {
        label: '[2,3] ord 3',
        inputs: a([2, 3], 8),
        f: (x) => norm(x, 3),
        expected: (x) => refReduce(x, null, false, pth(3)),
        shape: [],
      },
      {
        label: '[2,4] ord 0.5 axis 1',
        inputs: a([2, 4], 9),
        f: (x) => norm(x, 0.5, 1),
        expected: (x) => refReduce(x, 1, false, pth(0.5)),
      },
      {
        label: '[3,2] ord 1.5 axis 0 keepdims',
        inputs: a([3, 2], 10),
        f: (x) => norm(x, 1.5, 0, true),
        expected: (x) => refReduce(x, 0, true, pth(1.5)),
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: a([2, 3], 11),
        f: (x) => norm(x.mul(x), 2, 1),
        expected: (x) => refReduce(x, 1, false, (v) => two(v.map((e) => e * e))),
      },
      { label: '0-d: |x|', inputs: () => [f64(-2)], f: (x) => norm(x), expected: 2, shape: [] },
      { label: '0-d ord 3: |x|', inputs: () => [f64(-2)], f: (x) => norm(x, 3), expected: 2, shape: [] },
      {
        label: 'axis [] is |x| elementwise',
        inputs: a([3], 12),
        f: (x) => norm(x, 2, []),
        expected: (x) => Array.from(x.data).map(Math.abs),
      },
      {
        // m·‖x/m‖ with m = max|x|: Σx² would overflow float64 here; the derivative is checked at
        // ordinary values (finite differences cannot resolve a step of 1e-6 at 1e200).
        label: 'no overflow at 1e200 (float64)',
        inputs: () => [f64([1e200, -2e200, 3e200])],
        f: (x) => norm(x),
        expected: Math.hypot(1e200, 2e200, 3e200),
        gradcheck: false,
      },
      {
        label: 'no underflow at 1e-200 (float64)',
        inputs: () => [f64([3e-200, 4e-200])],
        f: (x) => norm(x),
        expected: 5e-200,
        atol: 0,
        gradcheck: false,
      },
      {
        label: 'no overflow at 1e30 in float32',
        inputs: () => [tensor([3e30, 4e30])],
        f: (x) => norm(x),
        expected: 5e30,
        atol: 5e30 * 2e-7,
        gradcheck: false,
      },
      {
        label: 'ord 3 at 1e200 (float64)',
        inputs: () => [f64([1e200, 1e200])],
        f: (x) => norm(x, 3),
        expected: 2 ** (1 / 3) * 1e200,
        gradcheck: false,
      },
      // At 0 the norm is not differentiable: value only here (the gradient, 0, is tested in norm.test.ts).
      {
        label: 'zero vector: 0',
        inputs: () => [f64([0, 0, 0])],
        f: (x) => norm(x),
        expected: 0,
        shape: [],
        gradcheck: false,
      },
      {
        label: 'zero lane: [[0,0],[3,4]] axis 1',
        inputs: () => [
          f64([
            [0, 0],
            [3, 4],
          ]),
        ],
        f: (x) => norm(x, 2, 1),
        expected: [0, 5],
        gradcheck: false,
      },
      {
        label: 'empty [0,3] axis 0: 0',
        inputs: () => [zeros([0, 3], { dtype: 'float64' })],
        f: (x) => norm(x, 2, 0),
        expected: [0, 0, 0],
      },
      {
        label: 'empty [0,3] ord 1 axis 0: 0',
        inputs: () => [zeros([0, 3], { dtype: 'float64' })],
        f: (x) => norm(x, 1, 0),
        expected: [0, 0, 0],
      },
    ],
  },
]
