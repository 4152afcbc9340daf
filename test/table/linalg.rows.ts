/**
 * Table rows for src/ops/linalg.ts (matmul, transpose, permute). References: `refMatmul` below —
 * a triple loop over explicit multi-indices with the NumPy rules (1-D promotion, batch
 * broadcasting) written out independently of the library — `refPermute` (index arithmetic), and
 * small cases worked out by hand.
 */
import { matmul, permute, transpose, zeros, type NestedArray, type Tensor } from '../../src/index.js'
import { bshape, det, f64, nest } from './ref.js'
import type { OpRow } from './types.js'

/** Row-major strides of a shape. */
function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1)
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1]
  return s
}

/** Splits flat index k into a multi-index over `shape`. */
function unravel(k: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length)
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = k % shape[a]
    k = Math.floor(k / shape[a])
  }
  return idx
}

/** numpy.matmul by brute force: 1-D operands promoted (row for a, column for b) and dropped. */
function refMatmul(a: Tensor, b: Tensor): NestedArray {
  const A = a.shape.length === 1 ? [1, a.shape[0]] : a.shape
  const B = b.shape.length === 1 ? [b.shape[0], 1] : b.shape
  const M = A[A.length - 2]
  const K = A[A.length - 1]
  const N = B[B.length - 1]
  const aBatch = A.slice(0, -2)
  const bBatch = B.slice(0, -2)
  const batch = bshape(aBatch, bBatch)
  const sa = strides(A)
  const sb = strides(B)
  const count = batch.reduce((x, y) => x * y, 1)
  const out: number[] = []
  for (let t = 0; t < count; t++) {
    const idx = unravel(t, batch)
    // Offset of this batch position in each operand (size-1 / missing axes read at 0).
    let oa = 0
    for (let i = 0; i < aBatch.length; i++) oa += (aBatch[i] === 1 ? 0 : idx[i + batch.length - aBatch.length]) * sa[i]
    let ob = 0
    for (let i = 0; i < bBatch.length; i++) ob += (bBatch[i] === 1 ? 0 : idx[i + batch.length - bBatch.length]) * sb[i]
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0
        for (let k = 0; k < K; k++) s += a.data[oa + i * K + k] * b.data[ob + k * N + j]
        out.push(s)
      }
    }
  }
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])]
  return nest(out, shape)
}

/** out.shape[i] = x.shape[axes[i]]; out[idx] = x[j] with j[axes[i]] = idx[i]. */
function refPermute(x: Tensor, axes: number[]): NestedArray {
  const n = x.shape.length
  const ax = axes.map((a) => (a < 0 ? a + n : a))
  const shape = ax.map((a) => x.shape[a])
  const sx = strides(x.shape)
  const size = shape.reduce((p, q) => p * q, 1)
  const out: number[] = []
  for (let k = 0; k < size; k++) {
    const idx = unravel(k, shape)
    let off = 0
    for (let i = 0; i < n; i++) off += idx[i] * sx[ax[i]]
    out.push(x.data[off])
  }
  return nest(out, shape)
}

const pairOf =
  (sa: number[], sb: number[], salt = 1) =>
  () => [det(sa, -1, 1, salt), det(sb, -1, 1, salt + 7)]
const mm = (a: Tensor, b: Tensor) => matmul(a, b)

export const rows: OpRow[] = [
  {
    op: 'matmul',
    cases: [
      {
        label: '1-D · 1-D = dot, 0-d (by hand)',
        inputs: () => [f64([1, 2, 3]), f64([4, 5, 6])],
        f: mm,
        expected: 32,
        shape: [],
      },
      {
        label: '2-D · 2-D (by hand)',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
          ]),
          f64([[5], [6]]),
        ],
        f: mm,
        expected: [[17], [39]],
      },
      { label: '[3,4] · [4,5]', inputs: pairOf([3, 4], [4, 5]), f: mm, expected: refMatmul },
      {
        label: '1-D · 2-D: [4] · [4,3] -> [3]',
        inputs: pairOf([4], [4, 3], 2),
        f: mm,
        expected: refMatmul,
        shape: [3],
      },
      {
        label: '2-D · 1-D: [3,4] · [4] -> [3]',
        inputs: pairOf([3, 4], [4], 3),
        f: mm,
        expected: refMatmul,
        shape: [3],
      },
      {
        label: '1-D · 3-D: [4] · [2,4,3] -> [2,3]',
        inputs: pairOf([4], [2, 4, 3], 4),
        f: mm,
        expected: refMatmul,
        shape: [2, 3],
      },
      {
        label: '3-D · 1-D: [2,3,4] · [4] -> [2,3]',
        inputs: pairOf([2, 3, 4], [4], 5),
        f: mm,
        expected: refMatmul,
        shape: [2, 3],
      },
      {
        label: 'batched, same batch: [2,3,4] · [2,4,5]',
        inputs: pairOf([2, 3, 4], [2, 4, 5], 6),
        f: mm,
        expected: refMatmul,
        shape: [2, 3, 5],
      },
      {
        label: 'batched · 2-D (weights shared): [2,3,4] · [4,5]',
        inputs: pairOf([2, 3, 4], [4, 5], 7),
        f: mm,
        expected: refMatmul,
        shape: [2, 3, 5],
      },
      {
        label: '2-D · batched (a shared): [3,4] · [2,4,5]',
        inputs: pairOf([3, 4], [2, 4, 5], 8),
        f: mm,
        expected: refMatmul,
        shape: [2, 3, 5],
      },
      {
        label: 'broadcast batch: [2,1,3,4] · [3,4,2] -> [2,3,3,2]',
        inputs: pairOf([2, 1, 3, 4], [3, 4, 2], 9),
        f: mm,
        expected: refMatmul,
        shape: [2, 3, 3, 2],
      },
      {
        label: 'broadcast size-1 batch: [1,3,4] · [2,4,2]',
        inputs: pairOf([1, 3, 4], [2, 4, 2], 10),
        f: mm,
        expected: refMatmul,
        shape: [2, 3, 2],
      },
      {
        label: 'broadcast both ways: [3,1,2,3] · [1,2,3,2]',
        inputs: pairOf([3, 1, 2, 3], [1, 2, 3, 2], 11),
        f: mm,
        expected: refMatmul,
        shape: [3, 2, 2, 2],
      },
      {
        label: '4-D · 4-D, same batch: [2,2,3,2] · [2,2,2,3]',
        inputs: pairOf([2, 2, 3, 2], [2, 2, 2, 3], 12),
        f: mm,
        expected: refMatmul,
      },
      {
        label: 'odd sizes through the blocked kernel: [20,13] · [13,21]',
        inputs: pairOf([20, 13], [13, 21], 13),
        f: mm,
        expected: refMatmul,
      },
      {
        label: 'vector times a wide matrix: [1,2] · [2,16] (the tiny-MLP layer)',
        inputs: pairOf([1, 2], [2, 16], 14),
        f: mm,
        expected: refMatmul,
      },
      {
        label: 'same tensor twice: X · X',
        inputs: () => [det([3, 3], -1, 1, 15)],
        f: (x) => matmul(x, x),
        expected: (x) => refMatmul(x, x),
      },
      {
        label: 'chain A·B·C',
        inputs: () => [det([2, 3], -1, 1, 16), det([3, 4], -1, 1, 17), det([4, 2], -1, 1, 18)],
        f: (a, b, c) => matmul(matmul(a, b), c),
        expected: (a, b, c) => refMatmul(f64(refMatmul(a, b)), c),
      },
      {
        label: 'K = 0: [2,0] · [0,3] is zeros',
        inputs: () => [zeros([2, 0], { dtype: 'float64' }), zeros([0, 3], { dtype: 'float64' })],
        f: mm,
        expected: [
          [0, 0, 0],
          [0, 0, 0],
        ],
      },
      {
        label: 'empty batch: [0,2,3] · [3,2]',
        inputs: () => [zeros([0, 2, 3], { dtype: 'float64' }), det([3, 2], -1, 1, 19)],
        f: mm,
        expected: [],
        shape: [0, 2, 2],
      },
    ],
  },
  {
    op: 'transpose',
    cases: [
      {
        label: '2-D default (by hand)',
        inputs: () => [
          f64([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ],
        f: (x) => transpose(x),
        expected: [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
      },
      {
        label: '3-D default swaps the last two axes',
        inputs: () => [det([2, 3, 4], -1, 1, 20)],
        f: (x) => transpose(x),
        expected: (x) => refPermute(x, [0, 2, 1]),
        shape: [2, 4, 3],
      },
      { label: '1-D unchanged', inputs: () => [f64([1, 2, 3])], f: (x) => transpose(x), expected: [1, 2, 3] },
      { label: '0-d unchanged', inputs: () => [f64(7)], f: (x) => transpose(x), expected: 7, shape: [] },
      {
        label: 'explicit axes [1,0,2]',
        inputs: () => [det([2, 3, 4], -1, 1, 21)],
        f: (x) => transpose(x, [1, 0, 2]),
        expected: (x) => refPermute(x, [1, 0, 2]),
        shape: [3, 2, 4],
      },
      {
        label: 'used in a product: Xᵀ·X',
        inputs: () => [det([3, 2], -1, 1, 22)],
        f: (x) => matmul(transpose(x), x),
        expected: (x) => refMatmul(permuteCopy(x, [1, 0]), x),
      },
    ],
  },
  {
    op: 'permute',
    cases: [
      {
        label: '2-D [1,0] (by hand)',
        inputs: () => [
          f64([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
        ],
        f: (x) => permute(x, [1, 0]),
        expected: [
          [1, 3, 5],
          [2, 4, 6],
        ],
      },
      {
        label: '3-D [2,0,1]',
        inputs: () => [det([2, 3, 4], -1, 1, 23)],
        f: (x) => permute(x, [2, 0, 1]),
        expected: (x) => refPermute(x, [2, 0, 1]),
        shape: [4, 2, 3],
      },
      {
        label: 'negative axes [-1,0,-2]',
        inputs: () => [det([2, 3, 4], -1, 1, 24)],
        f: (x) => permute(x, [-1, 0, -2]),
        expected: (x) => refPermute(x, [2, 0, 1]),
        shape: [4, 2, 3],
      },
      {
        label: 'identity',
        inputs: () => [det([2, 3], -1, 1, 25)],
        f: (x) => permute(x, [0, 1]),
        expected: (x) => refPermute(x, [0, 1]),
      },
      {
        label: '4-D [3,1,0,2]',
        inputs: () => [det([2, 3, 1, 4], -1, 1, 26)],
        f: (x) => permute(x, [3, 1, 0, 2]),
        expected: (x) => refPermute(x, [3, 1, 0, 2]),
        shape: [4, 3, 2, 1],
      },
      { label: '1-D [0]', inputs: () => [f64([4, 5])], f: (x) => permute(x, [0]), expected: [4, 5] },
      {
        label: 'result used twice (x·permute(x) elementwise)',
        inputs: () => [det([2, 2], -1, 1, 27)],
        f: (x) => x.mul(permute(x, [1, 0])),
        expected: (x) => [
          [x.data[0] * x.data[0], x.data[1] * x.data[2]],
          [x.data[2] * x.data[1], x.data[3] * x.data[3]],
        ],
      },
    ],
  },
]

/** A float64 tensor holding the permuted values (built by the reference, not the library). */
function permuteCopy(x: Tensor, axes: number[]): Tensor {
  const values = refPermute(x, axes)
  return f64(values)
}
