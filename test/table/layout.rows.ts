/**
 * Table rows for src/ops/layout.ts (pad, flip, tile, tril, triu). Each reference says, for every
 * output multi-index, which input element (or constant) lands there — index arithmetic only,
 * written from the NumPy definitions; small cases are also written out by hand.
 */
import { flip, pad, tensor, tile, tril, triu, zeros, type NestedArray, type Tensor } from '../../src/index.js'
import { det, f64, nest } from './ref.js'
import type { OpRow } from './types.js'

/** The nested array of `shape` whose element at multi-index idx is value(idx). */
function build(shape: number[], value: (idx: number[]) => number): NestedArray {
  const size = shape.reduce((p, q) => p * q, 1)
  const out: number[] = []
  for (let k = 0; k < size; k++) {
    const idx = new Array<number>(shape.length)
    let rest = k
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = rest % shape[a]
      rest = Math.floor(rest / shape[a])
    }
    out.push(value(idx))
  }
  return nest(out, shape)
}

/** x's element at multi-index idx (row-major). */
function at(x: Tensor, idx: number[]): number {
  let off = 0
  for (let a = 0; a < x.shape.length; a++) off = off * x.shape[a] + idx[a]
  return x.data[off]
}

function padRef(x: Tensor, widths: [number, number][], value = 0): NestedArray {
  const shape = x.shape.map((n, k) => widths[k][0] + n + widths[k][1])
  return build(shape, (idx) => {
    const src = idx.map((i, k) => i - widths[k][0])
    return src.every((i, k) => i >= 0 && i < x.shape[k]) ? at(x, src) : value
  })
}

function flipRef(x: Tensor, axes: number[]): NestedArray {
  const n = x.shape.length
  const ax = axes.map((a) => (a < 0 ? a + n : a))
  return build(x.shape, (idx) =>
    at(
      x,
      idx.map((i, k) => (ax.includes(k) ? x.shape[k] - 1 - i : i)),
    ),
  )
}

function tileRef(x: Tensor, reps: number[]): NestedArray {
  const d = Math.max(x.shape.length, reps.length)
  const s = [...new Array(d - x.shape.length).fill(1), ...x.shape]
  const r = [...new Array(d - reps.length).fill(1), ...reps]
  return build(
    s.map((n, k) => n * r[k]),
    (idx) => at(x, idx.map((i, k) => i % s[k]).slice(d - x.shape.length)),
  )
}

/** x where keep(row, column) over the last two axes, else 0. */
function triRef(x: Tensor, keep: (i: number, j: number) => boolean): NestedArray {
  const n = x.shape.length
  return build(x.shape, (idx) => (keep(idx[n - 2], idx[n - 1]) ? at(x, idx) : 0))
}
const trilRef = (x: Tensor, k = 0) => triRef(x, (i, j) => j - i <= k)
const triuRef = (x: Tensor, k = 0) => triRef(x, (i, j) => j - i >= k)

const u = (shape: number[], salt: number) => () => [det(shape, -1, 1, salt)]
const i32 = { dtype: 'int32' as const }

export const rows: OpRow[] = [
  {
    op: 'pad',
    cases: [
      {
        label: 'by hand [1,2] with [[1,2]]',
        inputs: () => [f64([1, 2])],
        f: (x) => pad(x, [[1, 2]]),
        expected: [0, 1, 2, 0, 0],
      },
      {
        label: 'by hand 2-D with value 9',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) =>
          pad(
            x,
            [
              [0, 1],
              [1, 0],
            ],
            9,
          ),
        expected: [
          [9, 1, 2],
          [9, 3, 4],
          [9, 9, 9],
        ],
      },
      {
        label: '[2,3] [[1,1],[2,0]]',
        inputs: u([2, 3], 1),
        f: (x) =>
          pad(x, [
            [1, 1],
            [2, 0],
          ]),
        expected: (x) =>
          padRef(x, [
            [1, 1],
            [2, 0],
          ]),
        shape: [4, 5],
      },
      {
        label: '[2,3,2] with zero widths on some axes, value -1',
        inputs: u([2, 3, 2], 2),
        f: (x) =>
          pad(
            x,
            [
              [0, 0],
              [1, 2],
              [0, 1],
            ],
            -1,
          ),
        expected: (x) =>
          padRef(
            x,
            [
              [0, 0],
              [1, 2],
              [0, 1],
            ],
            -1,
          ),
        shape: [2, 6, 3],
      },
      {
        label: 'all widths 0 (a copy)',
        inputs: u([2, 2], 3),
        f: (x) =>
          pad(x, [
            [0, 0],
            [0, 0],
          ]),
        expected: (x) => x.toArray(),
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([3], 4),
        f: (x) => pad(x.mul(x), [[2, 1]], 0.5),
        expected: (x) => padRef(f64(Array.from(x.data).map((v) => v * v)), [[2, 1]], 0.5),
      },
      { label: '0-d with no widths', inputs: () => [f64(3)], f: (x) => pad(x, []), expected: 3, shape: [] },
      {
        label: 'empty axis [0,2] padded to [2,2]',
        inputs: () => [zeros([0, 2], { dtype: 'float64' })],
        f: (x) =>
          pad(
            x,
            [
              [1, 1],
              [0, 0],
            ],
            7,
          ),
        expected: [
          [7, 7],
          [7, 7],
        ],
      },
      {
        label: 'int32 (no gradient)',
        inputs: () => [tensor([1, 2], i32)],
        f: (x) => pad(x, [[1, 0]], 5),
        expected: [5, 1, 2],
        gradcheck: false,
      },
    ],
  },
  {
    op: 'flip',
    cases: [
      {
        label: 'by hand axis 1',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => flip(x, 1),
        expected: [
          [2, 1],
          [4, 3],
        ],
      },
      {
        label: 'by hand every axis (null)',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => flip(x),
        expected: [
          [4, 3],
          [2, 1],
        ],
      },
      {
        label: '[2,3,4] axes [0,2]',
        inputs: u([2, 3, 4], 5),
        f: (x) => flip(x, [0, 2]),
        expected: (x) => flipRef(x, [0, 2]),
      },
      { label: '[2,3,4] axis -2', inputs: u([2, 3, 4], 6), f: (x) => flip(x, -2), expected: (x) => flipRef(x, [-2]) },
      { label: '[5] (1-D)', inputs: u([5], 7), f: (x) => flip(x), expected: (x) => flipRef(x, [0]) },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([2, 3], 8),
        f: (x) => flip(x.mul(x), 1),
        expected: (x) =>
          flipRef(
            f64(
              nest(
                Array.from(x.data).map((v) => v * v),
                [2, 3],
              ),
            ),
            [1],
          ),
      },
      { label: '0-d', inputs: () => [f64(4)], f: (x) => flip(x), expected: 4, shape: [] },
      {
        label: 'empty [0,2] axis 0',
        inputs: () => [zeros([0, 2], { dtype: 'float64' })],
        f: (x) => flip(x, 0),
        expected: [],
        shape: [0, 2],
      },
      {
        label: 'int32 (no gradient)',
        inputs: () => [tensor([1, 2, 3], i32)],
        f: (x) => flip(x),
        expected: [3, 2, 1],
        gradcheck: false,
      },
    ],
  },
  {
    op: 'tile',
    cases: [
      { label: 'by hand [1,2] x 2', inputs: () => [f64([1, 2])], f: (x) => tile(x, 2), expected: [1, 2, 1, 2] },
      {
        label: 'by hand [1,2] x [2,1] (reps longer: a new leading axis)',
        inputs: () => [f64([1, 2])],
        f: (x) => tile(x, [2, 1]),
        expected: [
          [1, 2],
          [1, 2],
        ],
      },
      {
        label: 'by hand [[1],[2]] x [1,3]',
        inputs: () => [f64([[1], [2]])],
        f: (x) => tile(x, [1, 3]),
        expected: [
          [1, 1, 1],
          [2, 2, 2],
        ],
      },
      {
        label: '[2,3] x [2,2]',
        inputs: u([2, 3], 9),
        f: (x) => tile(x, [2, 2]),
        expected: (x) => tileRef(x, [2, 2]),
        shape: [4, 6],
      },
      {
        label: '[2,1,3] x [3] (reps shorter: leading 1s)',
        inputs: u([2, 1, 3], 10),
        f: (x) => tile(x, [3]),
        expected: (x) => tileRef(x, [3]),
        shape: [2, 1, 9],
      },
      {
        label: '[2,2] x [2,1,3] (x gets a leading axis)',
        inputs: u([2, 2], 11),
        f: (x) => tile(x, [2, 1, 3]),
        expected: (x) => tileRef(x, [2, 1, 3]),
        shape: [2, 2, 6],
      },
      { label: 'reps all 1', inputs: u([2, 3], 12), f: (x) => tile(x, [1, 1]), expected: (x) => x.toArray() },
      {
        label: 'a rep of 0 gives an empty axis',
        inputs: u([2, 3], 13),
        f: (x) => tile(x, [0, 2]),
        expected: [],
        shape: [0, 6],
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([3], 14),
        f: (x) => tile(x.mul(x), [2]),
        expected: (x) => tileRef(f64(Array.from(x.data).map((v) => v * v)), [2]),
      },
      { label: '0-d x [3]', inputs: () => [f64(5)], f: (x) => tile(x, [3]), expected: [5, 5, 5] },
      {
        label: 'int32 (no gradient)',
        inputs: () => [tensor([1, 2], i32)],
        f: (x) => tile(x, 2),
        expected: [1, 2, 1, 2],
        gradcheck: false,
      },
    ],
  },
  {
    op: 'tril',
    cases: [
      {
        label: 'by hand',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => tril(x),
        expected: [
          [1, 0],
          [3, 4],
        ],
      },
      {
        label: 'by hand k = -1',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => tril(x, -1),
        expected: [
          [0, 0],
          [3, 0],
        ],
      },
      { label: '[3,4] k = 1', inputs: u([3, 4], 15), f: (x) => tril(x, 1), expected: (x) => trilRef(x, 1) },
      { label: '[4,3] k = -2', inputs: u([4, 3], 16), f: (x) => tril(x, -2), expected: (x) => trilRef(x, -2) },
      { label: 'batch [2,3,3]', inputs: u([2, 3, 3], 17), f: (x) => tril(x), expected: (x) => trilRef(x) },
      {
        label: 'k = 5 beyond the matrix keeps everything',
        inputs: u([2, 3], 18),
        f: (x) => tril(x, 5),
        expected: (x) => x.toArray(),
      },
      {
        label: 'Infinity above the diagonal is dropped, not NaN',
        inputs: () => [
          f64([
            [1, Infinity],
            [3, 4],
          ]),
        ],
        f: (x) => tril(x),
        expected: [
          [1, 0],
          [3, 4],
        ],
        gradcheck: false,
      },
      {
        label: 'int32 (no gradient)',
        inputs: () => [
          tensor(
            [
              [1, 2],
              [3, 4],
            ],
            i32,
          ),
        ],
        f: (x) => tril(x),
        expected: [
          [1, 0],
          [3, 4],
        ],
        gradcheck: false,
      },
    ],
  },
  {
    op: 'triu',
    cases: [
      {
        label: 'by hand',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => triu(x),
        expected: [
          [1, 2],
          [0, 4],
        ],
      },
      {
        label: 'by hand k = 1',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
        ],
        f: (x) => triu(x, 1),
        expected: [
          [0, 2],
          [0, 0],
        ],
      },
      { label: '[3,4] k = -1', inputs: u([3, 4], 19), f: (x) => triu(x, -1), expected: (x) => triuRef(x, -1) },
      {
        label: 'batch [2,2,3,3] k = 1',
        inputs: u([2, 2, 3, 3], 20),
        f: (x) => triu(x, 1),
        expected: (x) => triuRef(x, 1),
      },
      {
        label: 'of its own square (cotangent depends on x)',
        inputs: u([3, 3], 21),
        f: (x) => triu(x.mul(x)),
        expected: (x) =>
          triuRef(
            f64(
              nest(
                Array.from(x.data).map((v) => v * v),
                [3, 3],
              ),
            ),
          ),
      },
      {
        label: 'empty [0,3]',
        inputs: () => [zeros([0, 3], { dtype: 'float64' })],
        f: (x) => triu(x),
        expected: [],
        shape: [0, 3],
      },
    ],
  },
]
