/**
 * Rows of the op table for src/ops/composite.ts. References are plain loops over the inputs'
 * values using the textbook (naive) formulas, which are exact enough for the moderate values
 * used there; the ±1000 cases are worked out by hand (e.g. log softmax([1000, 0]) = [0, −1000]).
 */
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  logSoftmax,
  mse,
  softmax,
  tensor,
  type NestedArray,
  type Tensor,
} from '../../src/index.js'
import { values } from './reduce.rows.js'
import type { OpRow } from './types.js'

const f64 = { dtype: 'float64' as const }

/** Rows of a [N, C] tensor as plain arrays. */
function rowsOf(x: Tensor): number[][] {
  return x.toArray() as number[][]
}

function softmaxRef(v: number[]): number[] {
  const e = v.map(Math.exp)
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((a) => a / s)
}

function logSoftmaxRef(v: number[]): number[] {
  const s = Math.log(v.map(Math.exp).reduce((a, b) => a + b, 0))
  return v.map((a) => a - s)
}

/** Applies `fn` to every 1-D fibre of a 3-D tensor along axis 1, returning nested arrays. */
function alongAxis1(x: Tensor, fn: (v: number[]) => number[]): NestedArray {
  const t = x.toArray() as number[][][]
  return t.map((plane) => {
    const cols = plane[0].map((_, j) => fn(plane.map((r) => r[j])))
    return plane.map((_, i) => cols.map((col) => col[i]))
  })
}

const sigma = (x: number) => 1 / (1 + Math.exp(-x))
const bceRef = (x: number, t: number) => -t * Math.log(sigma(x)) - (1 - t) * Math.log(1 - sigma(x))

export const rows: OpRow[] = [
  {
    op: 'softmax',
    cases: [
      {
        label: 'by hand [0, ln 3] = [1/4, 3/4]',
        inputs: () => [tensor([0, Math.log(3)], f64)],
        f: (x) => softmax(x),
        expected: [0.25, 0.75],
      },
      {
        label: '[3,4] last axis',
        inputs: () => [values([3, 4])],
        f: (x) => softmax(x),
        expected: (x) => rowsOf(x).map(softmaxRef),
      },
      {
        label: '[3,4] axis 0',
        inputs: () => [values([3, 4])],
        f: (x) => softmax(x, 0),
        expected: (x) => {
          const r = rowsOf(x)
          const cols = r[0].map((_, j) => softmaxRef(r.map((row) => row[j])))
          return r.map((_, i) => cols.map((c) => c[i]))
        },
      },
      {
        label: '[2,3,4] axis 1',
        inputs: () => [values([2, 3, 4])],
        f: (x) => softmax(x, 1),
        expected: (x) => alongAxis1(x, softmaxRef),
      },
      {
        label: '[2,3,4] axis -2',
        inputs: () => [values([2, 3, 4], 9)],
        f: (x) => softmax(x, -2),
        expected: (x) => alongAxis1(x, softmaxRef),
      },
      {
        label: 'logits ±1000: [[1000, 0, -1000], [-1000, -1000, 0]] by hand',
        inputs: () => [
          tensor(
            [
              [1000, 0, -1000],
              [-1000, -1000, 0],
            ],
            f64,
          ),
        ],
        f: (x) => softmax(x),
        expected: [
          [1, 0, 0],
          [0, 0, 1],
        ],
      },
      {
        label: 'equal logits [1000, 1000]',
        inputs: () => [tensor([1000, 1000], f64)],
        f: (x) => softmax(x),
        expected: [0.5, 0.5],
      },
    ],
  },
  {
    op: 'logSoftmax',
    cases: [
      {
        label: 'by hand [0, ln 3] = [ln 1/4, ln 3/4]',
        inputs: () => [tensor([0, Math.log(3)], f64)],
        f: (x) => logSoftmax(x),
        expected: [Math.log(0.25), Math.log(0.75)],
      },
      {
        label: '[3,4] last axis',
        inputs: () => [values([3, 4])],
        f: (x) => logSoftmax(x),
        expected: (x) => rowsOf(x).map(logSoftmaxRef),
      },
      {
        label: '[2,3,4] axis 1',
        inputs: () => [values([2, 3, 4])],
        f: (x) => logSoftmax(x, 1),
        expected: (x) => alongAxis1(x, logSoftmaxRef),
      },
      {
        label: 'logits ±1000 by hand: [1000, 0] → [0, -1000]',
        inputs: () => [tensor([1000, 0], f64)],
        f: (x) => logSoftmax(x),
        expected: [0, -1000],
      },
      {
        label: 'logits ±1000 by hand: [[-1000, 1000], [1000, 1000]]',
        inputs: () => [
          tensor(
            [
              [-1000, 1000],
              [1000, 1000],
            ],
            f64,
          ),
        ],
        f: (x) => logSoftmax(x),
        expected: [
          [-2000, 0],
          [-Math.LN2, -Math.LN2],
        ],
      },
    ],
  },
  {
    op: 'crossEntropy',
    cases: [
      {
        label: 'labels number[], mean',
        inputs: () => [values([3, 4])],
        f: (x) => crossEntropy(x, [0, 3, 1]),
        expected: (x) => {
          const l = rowsOf(x).map(logSoftmaxRef)
          return -(l[0][0] + l[1][3] + l[2][1]) / 3
        },
      },
      {
        label: 'labels Int32Array, sum',
        inputs: () => [values([3, 4], 2)],
        f: (x) => crossEntropy(x, Int32Array.from([2, 2, 0]), { reduction: 'sum' }),
        expected: (x) => {
          const l = rowsOf(x).map(logSoftmaxRef)
          return -(l[0][2] + l[1][2] + l[2][0])
        },
      },
      {
        label: 'labels tensor, none',
        inputs: () => [values([3, 4], 4)],
        f: (x) => crossEntropy(x, tensor([1, 0, 3]), { reduction: 'none' }),
        expected: (x) => {
          const l = rowsOf(x).map(logSoftmaxRef)
          return [-l[0][1], -l[1][0], -l[2][3]]
        },
        shape: [3],
      },
      {
        label: 'class axis 1 of [2,3,2] (segmentation layout), none',
        inputs: () => [values([2, 3, 2])],
        f: (x) =>
          crossEntropy(
            x,
            [
              [2, 0],
              [1, 1],
            ].flat(),
            { axis: 1, reduction: 'none' },
          ),
        expected: (x) => {
          const l = alongAxis1(x, logSoftmaxRef) as number[][][]
          return [
            [-l[0][2][0], -l[0][0][1]],
            [-l[1][1][0], -l[1][1][1]],
          ]
        },
        shape: [2, 2],
      },
      {
        label: '1-D logits, one label',
        inputs: () => [tensor([0, Math.log(3)], f64)],
        f: (x) => crossEntropy(x, [1]),
        expected: -Math.log(0.75),
        shape: [],
      },
      {
        label: 'probability targets (gradient to both), mean',
        inputs: () => [
          values([2, 3]),
          tensor(
            [
              [0.2, 0.3, 0.5],
              [1, 0, 0],
            ],
            f64,
          ),
        ],
        f: (x, p) => crossEntropy(x, p),
        expected: (x, p) => {
          const l = rowsOf(x).map(logSoftmaxRef)
          const q = rowsOf(p)
          const per = l.map((row, i) => -row.reduce((s, v, j) => s + v * q[i][j], 0))
          return (per[0] + per[1]) / 2
        },
      },
      {
        label: 'logits ±1000 by hand',
        inputs: () => [
          tensor(
            [
              [1000, -1000],
              [1000, -1000],
              [0, 0],
            ],
            f64,
          ),
        ],
        f: (x) => crossEntropy(x, [0, 1, 1], { reduction: 'none' }),
        expected: [0, 2000, Math.LN2],
      },
    ],
  },
  {
    op: 'mse',
    cases: [
      {
        label: 'by hand [1,2] vs [0,0] = 2.5',
        inputs: () => [tensor([1, 2], f64), tensor([0, 0], f64)],
        f: (p, t) => mse(p, t),
        expected: 2.5,
      },
      {
        label: '[3,2] sum',
        inputs: () => [values([3, 2]), values([3, 2], 5)],
        f: (p, t) => mse(p, t, 'sum'),
        expected: (p, t) => Array.from(p.data).reduce((s, v, i) => s + (v - t.data[i]) ** 2, 0),
      },
      {
        label: '[2,2] none',
        inputs: () => [values([2, 2]), values([2, 2], 3)],
        f: (p, t) => mse(p, t, 'none'),
        expected: (p, t) => rowsOf(p).map((r, i) => r.map((v, j) => (v - rowsOf(t)[i][j]) ** 2)),
      },
      { label: 'number target', inputs: () => [tensor([1, 3], f64)], f: (p) => mse(p, 1), expected: 2 },
    ],
  },
  {
    op: 'binaryCrossEntropyWithLogits',
    cases: [
      {
        label: '[2,3] soft targets, mean (naive formula reference)',
        inputs: () => [
          values([2, 3]),
          tensor(
            [
              [0, 1, 0.5],
              [0.2, 1, 0],
            ],
            f64,
          ),
        ],
        f: (x, t) => binaryCrossEntropyWithLogits(x, t),
        expected: (x, t) => Array.from(x.data).reduce((s, v, i) => s + bceRef(v, t.data[i]), 0) / 6,
      },
      {
        label: 'logit exactly 0 (gradient σ(0) − t = ½ − t)',
        inputs: () => [tensor([0, 0, 1.5], f64), tensor([1, 0.25, 0], f64)],
        f: (x, t) => binaryCrossEntropyWithLogits(x, t, 'none'),
        expected: (x, t) => Array.from(x.data).map((v, i) => bceRef(v, t.data[i])),
      },
      {
        label: 'sum, number target',
        inputs: () => [tensor([-1, 2], f64)],
        f: (x) => binaryCrossEntropyWithLogits(x, 1, 'sum'),
        expected: bceRef(-1, 1) + bceRef(2, 1),
      },
      {
        label: 'logits ±1000 by hand',
        inputs: () => [tensor([1000, -1000, 1000, -1000, 1000], f64), tensor([1, 1, 0, 0, 0.5], f64)],
        f: (x, t) => binaryCrossEntropyWithLogits(x, t, 'none'),
        expected: [0, 1000, 1000, 0, 500],
      },
    ],
  },
]
