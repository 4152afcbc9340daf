/**
 * Rows of the op table for src/ops/reduce.ts. Expected values come from `refReduce` below — a
 * plain loop over every multi-index that groups the input's values by their output position —
 * or from numbers worked out by hand; never from the library's own reduction code.
 */
import {
  argmax,
  logsumexp,
  max,
  mean,
  min,
  sum,
  tensor,
  variance,
  add,
  type NestedArray,
  type Tensor,
} from '../../src/index.js'
import type { OpRow } from './types.js'

const f64 = { dtype: 'float64' as const }

/**
 * Deterministic, pairwise-distinct test values of `shape` (no ties, so max/min are smooth
 * there): a scrambled walk through [-3, 3].
 */
export function values(shape: number[], salt = 0): Tensor {
  let n = 1
  for (const s of shape) n *= s
  const out: number[] = []
  for (let i = 0; i < n; i++)
    out.push(Math.round((((((i + salt) * 37 + 11) % 101) / 101) * 6 - 3) * 1e4) / 1e4 + i * 1e-6)
  return tensor(out, { shape, dtype: 'float64' })
}

/** The flat values of a tensor as a plain array. */
function flat(x: Tensor): number[] {
  return Array.from(x.data)
}

/**
 * Reference reduction by brute force: every element's multi-index is computed by division, the
 * reduced axes are dropped (or set to 0 with keepdims) to find its output position, and `fn`
 * is applied to the list of values that land on each position, in row-major order.
 */
export function refReduce(
  x: Tensor,
  axis: number | number[] | null,
  keepdims: boolean,
  fn: (vals: number[]) => number,
): NestedArray {
  const shape = x.shape
  const nd = shape.length
  const axes =
    axis === null ? shape.map((_, i) => i) : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + nd : a))
  const outShape: number[] = []
  for (let i = 0; i < nd; i++) {
    if (!axes.includes(i)) outShape.push(shape[i])
    else if (keepdims) outShape.push(1)
  }
  const groups = new Map<string, number[]>()
  const data = flat(x)
  for (let i = 0; i < data.length; i++) {
    let rest = i
    const idx = new Array<number>(nd)
    for (let d = nd - 1; d >= 0; d--) {
      idx[d] = rest % shape[d]
      rest = Math.floor(rest / shape[d])
    }
    const key: number[] = []
    for (let d = 0; d < nd; d++) {
      if (!axes.includes(d)) key.push(idx[d])
      else if (keepdims) key.push(0)
    }
    const k = key.join(',')
    if (!groups.has(k)) groups.set(k, [])
    groups.get(k)!.push(data[i])
  }
  const build = (prefix: number[]): NestedArray => {
    if (prefix.length === outShape.length) return fn(groups.get(prefix.join(',')) ?? [])
    const out: NestedArray[] = []
    for (let i = 0; i < outShape[prefix.length]; i++) out.push(build([...prefix, i]))
    return out
  }
  return build([])
}

export const total = (v: number[]) => v.reduce((s, a) => s + a, 0)
export const average = (v: number[]) => total(v) / v.length
export const largest = (v: number[]) => v.reduce((m, a) => (a > m ? a : m), -Infinity)
export const smallest = (v: number[]) => v.reduce((m, a) => (a < m ? a : m), Infinity)
export const lse = (v: number[]) => Math.log(total(v.map(Math.exp)))
export const varianceOf = (correction: number) => (v: number[]) => {
  const mu = average(v)
  return total(v.map((a) => (a - mu) * (a - mu))) / (v.length - correction)
}
const firstMaxAt = (v: number[]) => {
  let at = 0
  for (let i = 1; i < v.length; i++) if (v[i] > v[at]) at = i
  return at
}

type Reducer = (x: Tensor, axis?: number | number[] | null, keepdims?: boolean) => Tensor

/** The common axis cases for a reduction, each checked against refReduce with `fn`. */
function axisCases(op: Reducer, fn: (v: number[]) => number): OpRow['cases'] {
  const c = (
    label: string,
    shape: number[],
    axis: number | number[] | null,
    keepdims: boolean,
    outShape: number[],
  ) => ({
    label,
    inputs: () => [values(shape)],
    f: (x: Tensor) => op(x, axis, keepdims),
    expected: (x: Tensor) => refReduce(x, axis, keepdims, fn),
    shape: outShape,
  })
  return [
    c('[2,3] all axes (null)', [2, 3], null, false, []),
    c('[2,3] axis 0 (bias-gradient shape)', [2, 3], 0, false, [3]),
    c('[2,3] axis -1 keepdims', [2, 3], -1, true, [2, 1]),
    c('[3,4,5] middle axis 1', [3, 4, 5], 1, false, [3, 5]),
    c('[2,3,4] axes [0,2]', [2, 3, 4], [0, 2], false, [3]),
    c('[2,3,4] axes [-1,-3] keepdims', [2, 3, 4], [-1, -3], true, [1, 3, 1]),
    c('[2,3,4] axes [1,2] (one contiguous run)', [2, 3, 4], [1, 2], false, [2]),
    c('[2,1,4] axes [0,2] across a size-1 axis', [2, 1, 4], [0, 2], false, [1]),
    c('[2,3,1] axis 2 of size 1', [2, 3, 1], 2, false, [2, 3]),
    c('[4] all axes keepdims', [4], null, true, [1]),
    c('[2,2,3,2] axes [0,2,3]', [2, 2, 3, 2], [0, 2, 3], false, [2]),
  ]
}

export const rows: OpRow[] = [
  {
    op: 'sum',
    cases: [
      {
        label: 'by hand [[1,2],[3,4]] axis 0',
        inputs: () => [
          tensor(
            [
              [1, 2],
              [3, 4],
            ],
            f64,
          ),
        ],
        f: (x) => sum(x, 0),
        expected: [4, 6],
      },
      {
        label: 'by hand [[1,2],[3,4]] all',
        inputs: () => [
          tensor(
            [
              [1, 2],
              [3, 4],
            ],
            f64,
          ),
        ],
        f: (x) => sum(x),
        expected: 10,
        shape: [],
      },
      { label: '0-d tensor', inputs: () => [tensor(2.5, f64)], f: (x) => sum(x), expected: 2.5, shape: [] },
      {
        label: 'axis [] reduces nothing',
        inputs: () => [values([2, 3])],
        f: (x) => sum(x, []),
        expected: (x) => x.toArray(),
        shape: [2, 3],
      },
      {
        label: 'of a broadcast add [2,3] + [3], axis 0',
        inputs: () => [values([2, 3]), values([3], 5)],
        f: (x, b) => sum(add(x, b), 0),
        expected: (x, b) => {
          const xs = x.toArray() as number[][]
          const bs = b.toArray() as number[]
          return bs.map((bj, j) => xs[0][j] + bj + xs[1][j] + bj)
        },
      },
      ...axisCases(sum, total),
    ],
  },
  {
    op: 'mean',
    cases: [
      {
        label: 'by hand [[1,2],[3,4]] axis 1',
        inputs: () => [
          tensor(
            [
              [1, 2],
              [3, 4],
            ],
            f64,
          ),
        ],
        f: (x) => mean(x, 1),
        expected: [1.5, 3.5],
      },
      ...axisCases(mean, average),
    ],
  },
  {
    op: 'max',
    cases: [
      {
        label: 'by hand [[1,5],[7,2]] axis 1',
        inputs: () => [
          tensor(
            [
              [1, 5],
              [7, 2],
            ],
            f64,
          ),
        ],
        f: (x) => max(x, 1),
        expected: [5, 7],
      },
      ...axisCases(max, largest),
    ],
  },
  {
    op: 'min',
    cases: [
      {
        label: 'by hand [[1,5],[7,2]] axis 0',
        inputs: () => [
          tensor(
            [
              [1, 5],
              [7, 2],
            ],
            f64,
          ),
        ],
        f: (x) => min(x, 0),
        expected: [1, 2],
      },
      ...axisCases(min, smallest),
    ],
  },
  {
    op: 'logsumexp',
    cases: [
      {
        label: 'by hand [1000, 1000] = 1000 + ln 2',
        inputs: () => [tensor([1000, 1000], f64)],
        f: (x) => logsumexp(x),
        expected: 1000 + Math.LN2,
      },
      {
        label: 'by hand [-1000, -1000, -1000] = -1000 + ln 3',
        inputs: () => [tensor([-1000, -1000, -1000], f64)],
        f: (x) => logsumexp(x),
        expected: -1000 + Math.log(3),
      },
      {
        label: 'by hand [[1000, 0], [-1000, 0]] axis 1',
        inputs: () => [
          tensor(
            [
              [1000, 0],
              [-1000, 0],
            ],
            f64,
          ),
        ],
        f: (x) => logsumexp(x, 1),
        expected: [1000, 0],
      },
      ...axisCases(logsumexp, lse),
    ],
  },
  {
    op: 'variance',
    cases: [
      {
        label: 'by hand [1,2,3,4] = 1.25',
        inputs: () => [tensor([1, 2, 3, 4], f64)],
        f: (x) => variance(x),
        expected: 1.25,
      },
      {
        label: 'by hand [1,2,3,4] correction 1 = 5/3',
        inputs: () => [tensor([1, 2, 3, 4], f64)],
        f: (x) => variance(x, 0, false, 1),
        expected: 5 / 3,
      },
      {
        label: '[3,4] axis 0 correction 1 keepdims',
        inputs: () => [values([3, 4])],
        f: (x) => variance(x, 0, true, 1),
        expected: (x) => refReduce(x, 0, true, varianceOf(1)),
        shape: [1, 4],
      },
      {
        label: 'offset 1e6 + small spread (two-pass, no cancellation)',
        inputs: () => [tensor([1e6 + 1, 1e6 + 2, 1e6 + 3], f64)],
        f: (x) => variance(x),
        expected: 2 / 3,
        atol: 1e-8,
      },
      ...axisCases((x, a, k) => variance(x, a, k), varianceOf(0)),
    ],
  },
  {
    op: 'argmax',
    cases: [
      {
        label: 'by hand, ties: first wins',
        inputs: () => [
          tensor(
            [
              [1, 9, 9],
              [4, 0, 2],
            ],
            f64,
          ),
        ],
        f: (x) => argmax(x, 1),
        expected: [1, 0],
        gradcheck: false,
      },
      {
        label: 'flat index (axis null)',
        inputs: () => [
          tensor(
            [
              [1, 9],
              [4, 0],
            ],
            f64,
          ),
        ],
        f: (x) => argmax(x),
        expected: 1,
        shape: [],
        gradcheck: false,
      },
      {
        label: 'flat index keepdims',
        inputs: () => [
          tensor(
            [
              [1, 2],
              [9, 0],
            ],
            f64,
          ),
        ],
        f: (x) => argmax(x, null, true),
        expected: [[2]],
        shape: [1, 1],
        gradcheck: false,
      },
      {
        label: '[3,4,5] axis 1',
        inputs: () => [values([3, 4, 5])],
        f: (x) => argmax(x, 1),
        expected: (x) => refReduce(x, 1, false, firstMaxAt),
        shape: [3, 5],
        gradcheck: false,
      },
      {
        label: '[3,4] axis -1 keepdims',
        inputs: () => [values([3, 4], 7)],
        f: (x) => argmax(x, -1, true),
        expected: (x) => refReduce(x, -1, true, firstMaxAt),
        shape: [3, 1],
        gradcheck: false,
      },
      {
        label: '[3,4] axis 0',
        inputs: () => [values([3, 4], 3)],
        f: (x) => argmax(x, 0),
        expected: (x) => refReduce(x, 0, false, firstMaxAt),
        gradcheck: false,
      },
    ],
  },
]
