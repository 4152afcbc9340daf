/**
 * Table rows for src/ops/indexing.ts. References work on nested arrays (`x.toArray()`), with no
 * strides involved: slicing picks list elements by Python's rules, take/concat/stack recurse
 * down to the axis. Cases on a grid whose values name their position (23 = row 2, column 3) are
 * also written out by hand.
 */
import * as tg from '../../src/index.js'
import { det, f64 } from './ref.js'
import type { NestedArray, SliceSpec } from '../../src/index.js'
import type { OpRow } from './types.js'

type N = NestedArray

/** Rows 0..2, columns 0..3: the value 10·row + column. */
const grid = () =>
  f64([
    [0, 1, 2, 3],
    [10, 11, 12, 13],
    [20, 21, 22, 23],
  ])

/** The indices Python's list[start:stop:step] visits for a list of length n. */
function pyIndices(n: number, [start, stop, step = 1]: [number?, number?, number?]): number[] {
  const norm = (v: number) => (v < 0 ? v + n : v)
  const out: number[] = []
  if (step > 0) {
    const a = Math.min(Math.max(start == null ? 0 : norm(start), 0), n)
    const b = Math.min(Math.max(stop == null ? n : norm(stop), 0), n)
    for (let i = a; i < b; i += step) out.push(i)
  } else {
    const a = Math.min(Math.max(start == null ? n - 1 : norm(start), -1), n - 1)
    const b = Math.min(Math.max(stop == null ? -1 : norm(stop), -1), n - 1)
    for (let i = a; i > b; i += step) out.push(i)
  }
  return out
}

/** x[s₀, s₁, …] on nested arrays. */
function sliceRef(v: N, specs: readonly (SliceSpec | undefined)[]): N {
  if (specs.length === 0) return v
  const arr = v as N[]
  const [s, ...rest] = specs
  if (s === null || s === undefined) return arr.map((e) => sliceRef(e, rest))
  if (typeof s === 'number') return sliceRef(arr[s < 0 ? s + arr.length : s], rest)
  return pyIndices(arr.length, s as [number?, number?, number?]).map((i) => sliceRef(arr[i], rest))
}

/** NumPy take(v, idx, axis) on nested arrays. */
function takeRef(v: N, idx: N, axis: number): N {
  const arr = v as N[]
  if (axis > 0) return arr.map((e) => takeRef(e, idx, axis - 1))
  const pick = (i: N): N => (Array.isArray(i) ? i.map(pick) : arr[i < 0 ? i + arr.length : i])
  return pick(idx)
}

/** Concatenation of nested arrays along `axis`. */
function concatRef(vs: N[], axis: number): N {
  if (axis === 0) return vs.flatMap((v) => v as N[])
  return (vs[0] as N[]).map((_, i) =>
    concatRef(
      vs.map((v) => (v as N[])[i]),
      axis - 1,
    ),
  )
}

/** Stacking of nested arrays along a new `axis`. */
function stackRef(vs: N[], axis: number): N {
  if (axis === 0) return vs
  return (vs[0] as N[]).map((_, i) =>
    stackRef(
      vs.map((v) => (v as N[])[i]),
      axis - 1,
    ),
  )
}

const sliceCase = (label: string, shape: number[], specs: SliceSpec[], salt: number) => ({
  label,
  inputs: () => [det(shape, -1, 1, salt)],
  f: (x: tg.Tensor) => tg.slice(x, specs),
  expected: (x: tg.Tensor) => sliceRef(x.toArray(), specs),
})

export const rows: OpRow[] = [
  {
    op: 'slice',
    cases: [
      {
        label: 'x[:, 1:] (by hand)',
        inputs: () => [grid()],
        f: (x) => tg.slice(x, [null, [1]]),
        expected: [
          [1, 2, 3],
          [11, 12, 13],
          [21, 22, 23],
        ],
      },
      {
        label: 'x[1] picks and drops the axis',
        inputs: () => [grid()],
        f: (x) => tg.slice(x, [1]),
        expected: [10, 11, 12, 13],
      },
      { label: 'x[-1, -2] -> 0-d', inputs: () => [grid()], f: (x) => tg.slice(x, [-1, -2]), expected: 22, shape: [] },
      {
        label: 'x[::2, ::-1] negative step',
        inputs: () => [grid()],
        f: (x) =>
          tg.slice(x, [
            [null, null, 2],
            [null, null, -1],
          ]),
        expected: [
          [3, 2, 1, 0],
          [23, 22, 21, 20],
        ],
      },
      {
        label: 'x[-2:, 1:3] negative start',
        inputs: () => [grid()],
        f: (x) => tg.slice(x, [[-2], [1, 3]]),
        expected: [
          [11, 12],
          [21, 22],
        ],
      },
      {
        label: 'x[:, 3:0:-2]',
        inputs: () => [grid()],
        f: (x) => tg.slice(x, [null, [3, 0, -2]]),
        expected: [
          [3, 1],
          [13, 11],
          [23, 21],
        ],
      },
      {
        label: 'x[-10:10] clipped bounds',
        inputs: () => [grid()],
        f: (x) => tg.slice(x, [[-10, 10]]),
        expected: (x) => x.toArray(),
      },
      { label: 'x[2:1] empty', inputs: () => [grid()], f: (x) => tg.slice(x, [[2, 1]]), expected: [], shape: [0, 4] },
      {
        label: 'x[:, :, 0] on [2,3,1]',
        inputs: () => [det([2, 3, 1], -1, 1, 3)],
        f: (x) => tg.slice(x, [null, null, 0]),
        expected: (x) => sliceRef(x.toArray(), [null, null, 0]),
      },
      sliceCase('[2,3,4]: x[:, ::-2, 1:-1]', [2, 3, 4], [null, [null, null, -2], [1, -1]], 4),
      sliceCase('[2,3,4]: x[1:, 0] (missing trailing spec)', [2, 3, 4], [[1], 0], 5),
      sliceCase('[3,4,5]: x[::-1, 1::2, -3::]', [3, 4, 5], [[null, null, -1], [1, null, 2], [-3]], 6),
      sliceCase('[4,70]: x[1:3] contiguous rows', [4, 70], [[1, 3]], 7),
      sliceCase('[4,6]: x[:, 2:5] strided columns', [4, 6], [null, [2, 5]], 8),
      { label: '0-d with no specs', inputs: () => [f64(1.25)], f: (x) => x.slice([]), expected: 1.25, shape: [] },
      {
        // The cotangent reaching the slice depends on x here, so second-order checks differentiate
        // slice's backward (unslice) itself, in both modes.
        label: 'squared after a strided slice (unslice differentiated)',
        inputs: () => [det([4, 6], -1, 1, 12)],
        f: (x) =>
          tg.square(
            tg.slice(x, [
              [1, 4],
              [null, null, 2],
            ]),
          ),
        expected: (x) =>
          (
            sliceRef(x.toArray(), [
              [1, 4],
              [null, null, 2],
            ]) as number[][]
          ).map((r) => r.map((v) => v * v)),
      },
    ],
  },
  {
    op: 'gather',
    cases: [
      {
        label: 'embedding rows with repeats and -1 (by hand)',
        inputs: () => [grid()],
        f: (x) => tg.gather(x, [2, 0, 2, -1]),
        expected: [
          [20, 21, 22, 23],
          [0, 1, 2, 3],
          [20, 21, 22, 23],
          [20, 21, 22, 23],
        ],
      },
      {
        label: 'axis 1 of [3,4]',
        inputs: () => [grid()],
        f: (x) => tg.gather(x, [3, 0, 0], 1),
        expected: [
          [3, 0, 0],
          [13, 10, 10],
          [23, 20, 20],
        ],
      },
      {
        label: 'axis -1 with [2,2] index tensor on [2,3]',
        inputs: () => [det([2, 3], -1, 1, 9)],
        f: (x) =>
          tg.gather(
            x,
            tg.tensor([
              [0, 2],
              [1, 1],
            ]),
            -1,
          ),
        expected: (x) =>
          takeRef(
            x.toArray(),
            [
              [0, 2],
              [1, 1],
            ],
            1,
          ),
        shape: [2, 2, 2],
      },
      {
        label: 'axis 1 of [2,3,4] (outer and inner)',
        inputs: () => [det([2, 3, 4], -1, 1, 10)],
        f: (x) => x.gather(new Int32Array([2, 0]), 1),
        expected: (x) => takeRef(x.toArray(), [2, 0], 1),
      },
      {
        label: '0-d index drops the axis',
        inputs: () => [grid()],
        f: (x) => tg.gather(x, tg.tensor(1)),
        expected: [10, 11, 12, 13],
      },
      {
        label: 'token batch [2,3] into a [5,70] table (long rows)',
        inputs: () => [det([5, 70], -1, 1, 11)],
        f: (x) =>
          tg.gather(x, [
            [4, 1, 4],
            [0, 0, 3],
          ]),
        expected: (x) =>
          takeRef(
            x.toArray(),
            [
              [4, 1, 4],
              [0, 0, 3],
            ],
            0,
          ),
        shape: [2, 3, 70],
      },
      { label: 'empty indices', inputs: () => [grid()], f: (x) => tg.gather(x, []), expected: [], shape: [0, 4] },
      {
        // As for slice: the cotangent depends on x, so scatterAdd's own rules are exercised.
        label: 'squared after a gather with repeats (scatterAdd differentiated)',
        inputs: () => [det([3, 4], -1, 1, 13)],
        f: (x) => tg.square(tg.gather(x, [2, 0, 2])),
        expected: (x) => (takeRef(x.toArray(), [2, 0, 2], 0) as number[][]).map((r) => r.map((v) => v * v)),
      },
    ],
  },
  {
    op: 'indexSelect',
    cases: [
      {
        label: 'columns [2,0] of [3,4]',
        inputs: () => [grid()],
        f: (x) => tg.indexSelect(x, 1, [2, 0]),
        expected: [
          [2, 0],
          [12, 10],
          [22, 20],
        ],
      },
      {
        label: 'row 1 twice',
        inputs: () => [grid()],
        f: (x) => tg.indexSelect(x, 0, [1, -2]),
        expected: [
          [10, 11, 12, 13],
          [10, 11, 12, 13],
        ],
      },
      {
        label: 'axis -1 of [2,3,4]',
        inputs: () => [det([2, 3, 4], -1, 1, 12)],
        f: (x) => tg.indexSelect(x, -1, [3, 1, 1]),
        expected: (x) => takeRef(x.toArray(), [3, 1, 1], 2),
      },
    ],
  },
  {
    op: 'concat',
    cases: [
      {
        label: 'axis 0 [2,2] & [1,2] (by hand)',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
          f64([[5, 6]]),
        ],
        f: (a, b) => tg.concat([a, b]),
        expected: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      {
        label: 'axis 1 of [2,3], [2,1], [2,2]',
        inputs: () => [det([2, 3], -1, 1, 13), det([2, 1], -1, 1, 14), det([2, 2], -1, 1, 15)],
        f: (a, b, c) => tg.concat([a, b, c], 1),
        expected: (a, b, c) => concatRef([a.toArray(), b.toArray(), c.toArray()], 1),
      },
      {
        label: 'axis -1 of 3-D [2,2,3] & [2,2,1]',
        inputs: () => [det([2, 2, 3], -1, 1, 16), det([2, 2, 1], -1, 1, 17)],
        f: (a, b) => tg.concat([a, b], -1),
        expected: (a, b) => concatRef([a.toArray(), b.toArray()], 2),
      },
      {
        label: 'axis 1 of [2,70] & [2,65] (long blocks)',
        inputs: () => [det([2, 70], -1, 1, 18), det([2, 65], -1, 1, 19)],
        f: (a, b) => tg.concat([a, b], 1),
        expected: (a, b) => concatRef([a.toArray(), b.toArray()], 1),
      },
      {
        label: 'same input twice (gradients add up)',
        inputs: () => [det([3], -1, 1, 20)],
        f: (a) => tg.concat([a, a]),
        expected: (a) => concatRef([a.toArray(), a.toArray()], 0),
      },
      {
        label: 'gradient to one input only',
        inputs: () => [det([1, 3], -1, 1, 21), det([2, 3], -1, 1, 22)],
        f: (a, b) => tg.concat([a, b]),
        expected: (a, b) => concatRef([a.toArray(), b.toArray()], 0),
        wrt: [1],
      },
      {
        label: 'a single tensor',
        inputs: () => [det([2, 2], -1, 1, 23)],
        f: (a) => tg.concat([a], 1),
        expected: (a) => a.toArray(),
      },
      {
        label: 'with an empty piece [0,2]',
        inputs: () => [tg.zeros([0, 2], { dtype: 'float64' }), det([2, 2], -1, 1, 24)],
        f: (a, b) => tg.concat([a, b]),
        expected: (_a, b) => b.toArray(),
      },
    ],
  },
  {
    op: 'stack',
    cases: [
      {
        label: 'axis 0 (by hand)',
        inputs: () => [f64([1, 2]), f64([3, 4])],
        f: (a, b) => tg.stack([a, b]),
        expected: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        label: 'axis 1 (by hand)',
        inputs: () => [f64([1, 2]), f64([3, 4])],
        f: (a, b) => tg.stack([a, b], 1),
        expected: [
          [1, 3],
          [2, 4],
        ],
      },
      {
        label: 'axis -1 of three [2,3]',
        inputs: () => [det([2, 3], -1, 1, 25), det([2, 3], -1, 1, 26), det([2, 3], -1, 1, 27)],
        f: (a, b, c) => tg.stack([a, b, c], -1),
        expected: (a, b, c) => stackRef([a.toArray(), b.toArray(), c.toArray()], 2),
        shape: [2, 3, 3],
      },
      {
        label: 'axis 1 of two [2,3]',
        inputs: () => [det([2, 3], -1, 1, 28), det([2, 3], -1, 1, 29)],
        f: (a, b) => tg.stack([a, b], 1),
        expected: (a, b) => stackRef([a.toArray(), b.toArray()], 1),
        shape: [2, 2, 3],
      },
      {
        label: '0-d tensors -> [3]',
        inputs: () => [f64(1), f64(2), f64(3)],
        f: (a, b, c) => tg.stack([a, b, c]),
        expected: [1, 2, 3],
      },
    ],
  },
  {
    op: 'split',
    cases: [
      {
        label: 'chunks of 2 of [5]: last piece [4]',
        inputs: () => [f64([0, 1, 2, 3, 4])],
        f: (x) => tg.split(x, 2)[2],
        expected: [4],
      },
      {
        label: 'chunks of 2 of [5]: middle piece',
        inputs: () => [f64([0, 1, 2, 3, 4])],
        f: (x) => tg.split(x, 2)[1],
        expected: [2, 3],
      },
      {
        label: 'sizes [1,3] on axis 1, piece 1',
        inputs: () => [grid()],
        f: (x) => tg.split(x, [1, 3], 1)[1],
        expected: [
          [1, 2, 3],
          [11, 12, 13],
          [21, 22, 23],
        ],
      },
      {
        label: 'sizes [2,1] on axis -2, piece 0',
        inputs: () => [grid()],
        f: (x) => tg.split(x, [2, 1], -2)[0],
        expected: [
          [0, 1, 2, 3],
          [10, 11, 12, 13],
        ],
      },
      {
        label: 'all pieces weighted and joined again',
        inputs: () => [grid()],
        f: (x) =>
          tg.concat(
            tg.split(x, 3, 1).map((p, i) => p.mul(i + 1)),
            1,
          ),
        expected: [
          [0, 1, 2, 6],
          [10, 11, 12, 26],
          [20, 21, 22, 46],
        ],
      },
    ],
  },
]
