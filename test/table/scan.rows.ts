/**
 * Table rows for src/ops/scan.ts (cumsum, prod). References: `lanes` below walks every lane of an
 * axis by row-major index arithmetic and runs a plain loop over its values; prod's reductions
 * use reduce.rows.ts' brute-force `refReduce` with a plain product. Zeros are placed by hand:
 * one zero in a lane, two zeros in a lane, zeros in different lanes — each checked to the second
 * derivative (gradgradcheck) like every case.
 */
import { cumsum, prod, tensor, zeros, type NestedArray, type Tensor } from '../../src/index.js'
import { refReduce } from './reduce.rows.js'
import { det, f64, nest } from './ref.js'
import type { OpRow } from './types.js'

/** x's values with every lane along `axis` replaced by fn(lane) (same length), row-major. */
function lanes(x: Tensor, axis: number, fn: (lane: number[]) => number[]): NestedArray {
  const s = x.shape
  const a = axis < 0 ? axis + s.length : axis
  let outer = 1
  for (let i = 0; i < a; i++) outer *= s[i]
  let inner = 1
  for (let i = a + 1; i < s.length; i++) inner *= s[i]
  const n = s[a]
  const out = new Array<number>(x.size)
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => (o * n + k) * inner + j
      const lane: number[] = []
      for (let k = 0; k < n; k++) lane.push(x.data[at(k)])
      fn(lane).forEach((v, k) => (out[at(k)] = v))
    }
  }
  return nest(out, s)
}

const running = (lane: number[]) => {
  let acc = 0
  return lane.map((v) => (acc += v))
}
const product = (v: number[]) => v.reduce((p, q) => p * q, 1)

const u = (shape: number[], salt: number) => () => [det(shape, -1.5, 1.5, salt)]

export const rows: OpRow[] = [
  {
    op: 'cumsum',
    cases: [
      {
        label: 'by hand [[1,2,3],[4,5,6]] axis 1',
        inputs: () => [
          f64([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ],
        f: (x) => cumsum(x, 1),
        expected: [
          [1, 3, 6],
          [4, 9, 15],
        ],
      },
      {
        label: 'by hand [[1,2],[3,4]] axis 0',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => cumsum(x, 0),
        expected: [
          [1, 2],
          [4, 6],
        ],
      },
      {
        label: 'no axis: flattened [2,3] -> [6]',
        inputs: u([2, 3], 1),
        f: (x) => cumsum(x),
        expected: (x) => running(Array.from(x.data)),
        shape: [6],
      },
      { label: '[5] axis 0', inputs: u([5], 2), f: (x) => cumsum(x, 0), expected: (x) => lanes(x, 0, running) },
      {
        label: '[3,4,2] middle axis 1',
        inputs: u([3, 4, 2], 3),
        f: (x) => cumsum(x, 1),
        expected: (x) => lanes(x, 1, running),
      },
      {
        label: '[2,3,4] axis -1',
        inputs: u([2, 3, 4], 4),
        f: (x) => cumsum(x, -1),
        expected: (x) => lanes(x, 2, running),
      },
      {
        label: '[2,3,4] axis -3',
        inputs: u([2, 3, 4], 5),
        f: (x) => cumsum(x, -3),
        expected: (x) => lanes(x, 0, running),
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([2, 4], 6),
        f: (x) => cumsum(x.mul(x), 1),
        expected: (x) => lanes(x, 1, (l) => running(l.map((v) => v * v))),
      },
      { label: '0-d, no axis -> [1]', inputs: () => [f64(2.5)], f: (x) => cumsum(x), expected: [2.5] },
      {
        label: 'empty [0,3] axis 0',
        inputs: () => [zeros([0, 3], { dtype: 'float64' })],
        f: (x) => cumsum(x, 0),
        expected: [],
        shape: [0, 3],
      },
      {
        label: 'empty [2,0] axis 1',
        inputs: () => [zeros([2, 0], { dtype: 'float64' })],
        f: (x) => cumsum(x, 1),
        expected: [[], []],
        shape: [2, 0],
      },
    ],
  },
  {
    op: 'prod',
    cases: [
      {
        label: 'by hand [[1,2],[3,4]] axis 1',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => prod(x, 1),
        expected: [2, 12],
      },
      {
        label: 'by hand [[1,2],[3,4]] all',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => prod(x),
        expected: 24,
        shape: [],
      },
      {
        label: 'one zero [2, 0, 5]: gradient [0, 10, 0]',
        inputs: () => [f64([2, 0, 5])],
        f: (x) => prod(x),
        expected: 0,
        shape: [],
      },
      {
        label: 'two zeros [2, 0, 5, 0] (gradient 0, second derivative not)',
        inputs: () => [f64([2, 0, 5, 0])],
        f: (x) => prod(x),
        expected: 0,
        shape: [],
      },
      {
        label: 'three zeros [0, 3, 0, 0]',
        inputs: () => [f64([0, 3, 0, 0])],
        f: (x) => prod(x),
        expected: 0,
        shape: [],
      },
      { label: 'all zeros [0, 0]', inputs: () => [f64([0, 0])], f: (x) => prod(x), expected: 0, shape: [] },
      {
        label: 'zeros in some lanes: [[1,0,2],[0,0,3],[4,5,6]] axis 1',
        inputs: () => [
          f64([
            [1, 0, 2],
            [0, 0, 3],
            [4, 5, 6],
          ]),
        ],
        f: (x) => prod(x, 1),
        expected: [0, 0, 120],
      },
      {
        label: 'zeros along axis 0 with keepdims: [[0,2],[3,0],[5,7]]',
        inputs: () => [
          f64([
            [0, 2],
            [3, 0],
            [5, 7],
          ]),
        ],
        f: (x) => prod(x, 0, true),
        expected: [[0, 0]],
      },
      {
        label: '[2,3] axis 0',
        inputs: u([2, 3], 11),
        f: (x) => prod(x, 0),
        expected: (x) => refReduce(x, 0, false, product),
      },
      {
        label: '[3,4,2] axis -2 keepdims',
        inputs: u([3, 4, 2], 12),
        f: (x) => prod(x, -2, true),
        expected: (x) => refReduce(x, -2, true, product),
        shape: [3, 1, 2],
      },
      {
        label: '[2,3,2] axes [0,2]',
        inputs: u([2, 3, 2], 13),
        f: (x) => prod(x, [0, 2]),
        expected: (x) => refReduce(x, [0, 2], false, product),
        shape: [3],
      },
      {
        label: '[2,3,2] all axes keepdims',
        inputs: u([2, 3, 2], 14),
        f: (x) => prod(x, null, true),
        expected: (x) => refReduce(x, null, true, product),
        shape: [1, 1, 1],
      },
      {
        label: 'lane of 7 (not a power of two)',
        inputs: u([2, 7], 15),
        f: (x) => prod(x, 1),
        expected: (x) => refReduce(x, 1, false, product),
      },
      {
        label: 'lane of 8',
        inputs: u([8], 16),
        f: (x) => prod(x),
        expected: (x) => refReduce(x, null, false, product),
        shape: [],
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([2, 3], 17),
        f: (x) => prod(x.mul(x), 1),
        expected: (x) => refReduce(x, 1, false, (v) => product(v) ** 2),
      },
      { label: '0-d', inputs: () => [f64(-1.5)], f: (x) => prod(x), expected: -1.5, shape: [] },
      {
        label: 'axis [] reduces nothing',
        inputs: u([2, 2], 18),
        f: (x) => prod(x, []),
        expected: (x) => x.toArray(),
        shape: [2, 2],
      },
      {
        label: 'empty lane: [2,0] axis 1 is the empty product 1',
        inputs: () => [zeros([2, 0], { dtype: 'float64' })],
        f: (x) => prod(x, 1),
        expected: [1, 1],
      },
      {
        label: 'empty [0,3] axis 1',
        inputs: () => [tensor([], { shape: [0, 3], dtype: 'float64' })],
        f: (x) => prod(x, 1),
        expected: [],
        shape: [0],
      },
    ],
  },
]
