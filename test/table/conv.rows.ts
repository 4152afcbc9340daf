/**
 * Table rows for src/ops/conv.ts and src/ops/pool.ts (conv2d, conv1d, maxPool2d, avgPool2d,
 * adaptiveAvgPool2d). References: `refConv` below — the convolution sum written out term by term
 * over explicit indices, with PyTorch's output size and 'same' padding rule — and `refPool`
 * (max or mean over each window, by index arithmetic), small cases worked out by hand, and the
 * adaptive windows ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ of PyTorch. None of them calls the library.
 */
import {
  adaptiveAvgPool2d,
  avgPool2d,
  conv1d,
  conv2d,
  maxPool2d,
  type NestedArray,
  type Tensor,
} from '../../src/index.js'
import { det, f64, nest } from './ref.js'
import type { OpRow } from './types.js'

interface RefConvOptions {
  stride?: number[]
  /** Padding before and after each spatial axis. */
  before?: number[]
  after?: number[]
  dilation?: number[]
  groups?: number
}

/**
 * conv over d spatial axes (1 or 2): x [N, C, ...size], w [O, C/groups, ...kernel], b [O] or null;
 * y[n, o, p…] = b[o] + Σ_{c, t…} w[o, c, t…] · x[n, g·Cg + c, p·s − before + t·dil] (0 outside).
 */
function refConv(x: Tensor, w: Tensor, b: Tensor | null, o: RefConvOptions = {}): NestedArray {
  const d = x.shape.length - 2
  const [N, C, ...size] = x.shape
  const [O, Cg, ...kernel] = w.shape
  const groups = o.groups ?? 1
  const stride = o.stride ?? new Array(d).fill(1)
  const dil = o.dilation ?? new Array(d).fill(1)
  const before = o.before ?? new Array(d).fill(0)
  const after = o.after ?? before
  const out = size.map((s, i) => Math.floor((s + before[i] + after[i] - dil[i] * (kernel[i] - 1) - 1) / stride[i]) + 1)
  const Og = O / groups
  // Flat offsets of row-major arrays.
  const xAt = (n: number, c: number, pos: number[]): number => {
    let k = n * C + c
    for (let i = 0; i < d; i++) {
      if (pos[i] < 0 || pos[i] >= size[i]) return 0
      k = k * size[i] + pos[i]
    }
    return x.data[k]
  }
  const wAt = (oc: number, c: number, t: number[]): number => {
    let k = oc * Cg + c
    for (let i = 0; i < d; i++) k = k * kernel[i] + t[i]
    return w.data[k]
  }
  const tuples = (dims: number[]): number[][] =>
    dims.reduce<number[][]>((acc, n) => acc.flatMap((t) => Array.from({ length: n }, (_, i) => [...t, i])), [[]])
  const values: number[] = []
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < O; oc++) {
      const grp = Math.floor(oc / Og)
      for (const p of tuples(out)) {
        let s = b ? b.data[oc] : 0
        for (let c = 0; c < Cg; c++) {
          for (const t of tuples(kernel)) {
            const pos = p.map((pi, i) => pi * stride[i] - before[i] + t[i] * dil[i])
            s += wAt(oc, c, t) * xAt(n, grp * Cg + c, pos)
          }
        }
        values.push(s)
      }
    }
  }
  return nest(values, [N, O, ...out])
}

/** PyTorch's 'same' padding: d·(k − 1) in all, the smaller half before. */
function same(kernel: number[], dilation: number[] = kernel.map(() => 1)): { before: number[]; after: number[] } {
  const total = kernel.map((k, i) => dilation[i] * (k - 1))
  const before = total.map((t) => Math.floor(t / 2))
  return { before, after: total.map((t, i) => t - before[i]) }
}

/**
 * Max or mean (divisor kH·kW, padding counted as 0) over each window of a [N, C, H, W] input,
 * with padding p on both sides (−∞ for max) and dilation dil.
 */
function refPool(kind: 'max' | 'avg', x: Tensor, k: number[], s: number[], p: number[], dil = [1, 1]): NestedArray {
  const [N, C, H, W] = x.shape
  const out = [0, 1].map((i) => Math.floor(([H, W][i] + 2 * p[i] - dil[i] * (k[i] - 1) - 1) / s[i]) + 1)
  const values: number[] = []
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < out[0]; oh++)
        for (let ow = 0; ow < out[1]; ow++) {
          let best = -Infinity
          let total = 0
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const ih = oh * s[0] - p[0] + i * dil[0]
              const iw = ow * s[1] - p[1] + j * dil[1]
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue
              const v = x.data[((n * C + c) * H + ih) * W + iw]
              best = Math.max(best, v)
              total += v
            }
          values.push(kind === 'max' ? best : total / (k[0] * k[1]))
        }
  return nest(values, [N, C, ...out])
}

/** PyTorch's adaptive average pooling, window by window. */
function refAdaptive(x: Tensor, oh: number, ow: number): NestedArray {
  const [N, C, H, W] = x.shape
  const values: number[] = []
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const [h0, h1] = [Math.floor((i * H) / oh), Math.ceil(((i + 1) * H) / oh)]
          const [w0, w1] = [Math.floor((j * W) / ow), Math.ceil(((j + 1) * W) / ow)]
          let s = 0
          for (let a = h0; a < h1; a++) for (let b = w0; b < w1; b++) s += x.data[((n * C + c) * H + a) * W + b]
          values.push(s / ((h1 - h0) * (w1 - w0)))
        }
  return nest(values, [N, C, oh, ow])
}

/** x, w and (optionally) b, deterministic float64 values. */
const xwb = (xs: number[], ws: number[], bias: boolean, salt: number) => () => {
  const t = [det(xs, -1, 1, salt), det(ws, -1, 1, salt + 1)]
  if (bias) t.push(det([ws[0]], -1, 1, salt + 2))
  return t
}
const one = (shape: number[], salt: number) => () => [det(shape, -1, 1, salt)]

export const rows: OpRow[] = [
  {
    op: 'conv2d',
    cases: [
      {
        label: 'by hand: 3×3 box filter of ones on a 4×4 ramp',
        inputs: () => [
          f64([
            [
              [
                [0, 1, 2, 3],
                [4, 5, 6, 7],
                [8, 9, 10, 11],
                [12, 13, 14, 15],
              ],
            ],
          ]),
          f64([
            [
              [
                [1, 1, 1],
                [1, 1, 1],
                [1, 1, 1],
              ],
            ],
          ]),
        ],
        f: (x, w) => conv2d(x, w),
        expected: [
          [
            [
              [45, 54],
              [81, 90],
            ],
          ],
        ],
      },
      {
        label: '[2,3,5,5] * [4,3,3,3] + bias',
        inputs: xwb([2, 3, 5, 5], [4, 3, 3, 3], true, 1),
        f: (x, w, b) => conv2d(x, w, b),
        expected: (x, w, b) => refConv(x, w, b),
        shape: [2, 4, 3, 3],
      },
      {
        label: 'stride 2, padding 1, no bias',
        inputs: xwb([1, 2, 6, 5], [3, 2, 3, 3], false, 4),
        f: (x, w) => conv2d(x, w, null, { stride: 2, padding: 1 }),
        expected: (x, w) => refConv(x, w, null, { stride: [2, 2], before: [1, 1] }),
        shape: [1, 3, 3, 3],
      },
      {
        label: 'rectangular kernel [2,3], stride [2,1], padding [1,0]',
        inputs: xwb([2, 2, 5, 6], [3, 2, 2, 3], true, 7),
        f: (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [1, 0] }),
        expected: (x, w, b) => refConv(x, w, b, { stride: [2, 1], before: [1, 0] }),
        shape: [2, 3, 3, 4],
      },
      {
        label: 'dilation 2, padding 2',
        inputs: xwb([1, 2, 6, 6], [2, 2, 3, 3], true, 10),
        f: (x, w, b) => conv2d(x, w, b, { dilation: 2, padding: 2 }),
        expected: (x, w, b) => refConv(x, w, b, { dilation: [2, 2], before: [2, 2] }),
        shape: [1, 2, 6, 6],
      },
      {
        label: 'dilation [1,2], stride [1,2], rectangular [3,2]',
        inputs: xwb([1, 2, 5, 7], [2, 2, 3, 2], false, 13),
        f: (x, w) => conv2d(x, w, null, { dilation: [1, 2], stride: [1, 2] }),
        expected: (x, w) => refConv(x, w, null, { dilation: [1, 2], stride: [1, 2] }),
        shape: [1, 2, 3, 3],
      },
      {
        label: 'groups 2: [2,4,4,4] * [6,2,3,3]',
        inputs: xwb([2, 4, 4, 4], [6, 2, 3, 3], true, 16),
        f: (x, w, b) => conv2d(x, w, b, { groups: 2, padding: 1 }),
        expected: (x, w, b) => refConv(x, w, b, { groups: 2, before: [1, 1] }),
        shape: [2, 6, 4, 4],
      },
      {
        label: 'depthwise (groups = C = 3), stride 2',
        inputs: xwb([1, 3, 5, 5], [3, 1, 2, 2], true, 19),
        f: (x, w, b) => conv2d(x, w, b, { groups: 3, stride: 2 }),
        expected: (x, w, b) => refConv(x, w, b, { groups: 3, stride: [2, 2] }),
        shape: [1, 3, 2, 2],
      },
      {
        label: "padding 'same', odd kernel 3×5",
        inputs: xwb([1, 2, 4, 5], [2, 2, 3, 5], true, 22),
        f: (x, w, b) => conv2d(x, w, b, { padding: 'same' }),
        expected: (x, w, b) => refConv(x, w, b, same([3, 5])),
        shape: [1, 2, 4, 5],
      },
      {
        label: "padding 'same', even kernel 2×4 (the extra zero at the end), dilation [2,1]",
        inputs: xwb([1, 2, 5, 5], [2, 2, 2, 4], false, 25),
        f: (x, w) => conv2d(x, w, null, { padding: 'same', dilation: [2, 1] }),
        expected: (x, w) => refConv(x, w, null, { ...same([2, 4], [2, 1]), dilation: [2, 1] }),
        shape: [1, 2, 5, 5],
      },
      {
        label: "padding 'valid' = 0",
        inputs: xwb([1, 1, 4, 4], [2, 1, 2, 2], true, 28),
        f: (x, w, b) => conv2d(x, w, b, { padding: 'valid' }),
        expected: (x, w, b) => refConv(x, w, b),
        shape: [1, 2, 3, 3],
      },
      {
        label: 'pointwise 1×1 (no unfolding), groups 2',
        inputs: xwb([2, 4, 3, 2], [6, 2, 1, 1], true, 31),
        f: (x, w, b) => conv2d(x, w, b, { groups: 2 }),
        expected: (x, w, b) => refConv(x, w, b, { groups: 2 }),
        shape: [2, 6, 3, 2],
      },
      {
        label: 'kernel as large as the input: a 1×1 output',
        inputs: xwb([2, 2, 3, 3], [3, 2, 3, 3], true, 34),
        f: (x, w, b) => conv2d(x, w, b),
        expected: (x, w, b) => refConv(x, w, b),
        shape: [2, 3, 1, 1],
      },
      {
        label: 'two layers with a relu between (the graph of a small CNN)',
        inputs: () => [det([1, 1, 6, 6], -1, 1, 37), det([2, 1, 3, 3], -1, 1, 38), det([2, 2, 3, 3], -1, 1, 39)],
        f: (x, w1, w2) => conv2d(conv2d(x, w1, null, { padding: 1 }).relu(), w2),
        expected: (x, w1, w2) => refConv(f64(refConv(x, w1, null, { before: [1, 1] })).relu(), w2, null),
        shape: [1, 2, 4, 4],
      },
      {
        label: 'the same tensor as input and weight',
        inputs: () => [det([1, 1, 3, 3], -1, 1, 40)],
        f: (x) => conv2d(x, x, null, { padding: 1 }),
        expected: (x) => refConv(x, x, null, { before: [1, 1] }),
        shape: [1, 1, 3, 3],
      },
      {
        label: 'empty batch [0,2,4,4]',
        inputs: xwb([0, 2, 4, 4], [3, 2, 3, 3], true, 41),
        f: (x, w, b) => conv2d(x, w, b),
        expected: [],
        shape: [0, 3, 2, 2],
      },
    ],
  },
  {
    op: 'conv1d',
    cases: [
      {
        label: 'by hand: a difference filter',
        inputs: () => [f64([[[1, 2, 4, 8, 16]]]), f64([[[1, 0, -1]]])],
        f: (x, w) => conv1d(x, w),
        expected: [[[-3, -6, -12]]],
      },
      {
        label: '[2,3,7] * [4,3,3] + bias',
        inputs: xwb([2, 3, 7], [4, 3, 3], true, 50),
        f: (x, w, b) => conv1d(x, w, b),
        expected: (x, w, b) => refConv(x, w, b),
        shape: [2, 4, 5],
      },
      {
        label: 'stride 2, padding 2, dilation 2',
        inputs: xwb([1, 2, 9], [3, 2, 3], true, 53),
        f: (x, w, b) => conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2 }),
        expected: (x, w, b) => refConv(x, w, b, { stride: [2], before: [2], dilation: [2] }),
        shape: [1, 3, 5],
      },
      {
        label: "groups 2, padding 'same' with an even kernel",
        inputs: xwb([2, 4, 6], [2, 2, 4], false, 56),
        f: (x, w) => conv1d(x, w, null, { groups: 2, padding: 'same' }),
        expected: (x, w) => refConv(x, w, null, { groups: 2, ...same([4]) }),
        shape: [2, 2, 6],
      },
      {
        label: 'options as lists of one',
        inputs: xwb([1, 1, 8], [1, 1, 2], false, 59),
        f: (x, w) => conv1d(x, w, null, { stride: [3], padding: [1], dilation: [1] }),
        expected: (x, w) => refConv(x, w, null, { stride: [3], before: [1] }),
        shape: [1, 1, 3],
      },
    ],
  },
  {
    op: 'maxPool2d',
    cases: [
      {
        label: 'by hand: 2×2 windows',
        inputs: () => [
          f64([
            [
              [
                [1, 2, 5, 6],
                [3, 4, 7, 8],
                [9, 10, 13, 14],
                [11, 12, 15, 16],
              ],
            ],
          ]),
        ],
        f: (x) => maxPool2d(x, 2),
        expected: [
          [
            [
              [4, 8],
              [12, 16],
            ],
          ],
        ],
      },
      {
        label: '2×2 stride 2 on [2,3,6,6]',
        inputs: one([2, 3, 6, 6], 70),
        f: (x) => maxPool2d(x, 2),
        expected: (x) => refPool('max', x, [2, 2], [2, 2], [0, 0]),
        shape: [2, 3, 3, 3],
      },
      {
        label: 'overlapping 3×3 windows, stride 1 (shared maxima get both gradients)',
        inputs: one([1, 2, 5, 5], 71),
        f: (x) => maxPool2d(x, 3, { stride: 1 }),
        expected: (x) => refPool('max', x, [3, 3], [1, 1], [0, 0]),
        shape: [1, 2, 3, 3],
      },
      {
        label: 'overlapping 3×3 stride 2 with padding 1',
        inputs: one([1, 2, 6, 5], 72),
        f: (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }),
        expected: (x) => refPool('max', x, [3, 3], [2, 2], [1, 1]),
        shape: [1, 2, 3, 3],
      },
      {
        label: 'rectangular [2,3] windows, stride [1,2], padding [1,1]',
        inputs: one([2, 1, 4, 7], 73),
        f: (x) => maxPool2d(x, [2, 3], { stride: [1, 2], padding: [1, 1] }),
        expected: (x) => refPool('max', x, [2, 3], [1, 2], [1, 1]),
        shape: [2, 1, 5, 4],
      },
      {
        label: 'dilation 2',
        inputs: one([1, 1, 7, 7], 74),
        f: (x) => maxPool2d(x, 2, { stride: 1, dilation: 2 }),
        expected: (x) => refPool('max', x, [2, 2], [1, 1], [0, 0], [2, 2]),
        shape: [1, 1, 5, 5],
      },
      {
        label: 'odd size drops the last row and column (floor)',
        inputs: one([1, 2, 5, 5], 75),
        f: (x) => maxPool2d(x, 2),
        expected: (x) => refPool('max', x, [2, 2], [2, 2], [0, 0]),
        shape: [1, 2, 2, 2],
      },
      {
        label: 'squared after pooling (second derivatives go through the scatter, overlapping windows)',
        inputs: one([1, 2, 5, 5], 78),
        f: (x) => maxPool2d(x, 3, { stride: 1 }).square(),
        expected: (x) =>
          (refPool('max', x, [3, 3], [1, 1], [0, 0]) as number[][][][]).map((a) =>
            a.map((b) => b.map((c) => c.map((v) => v * v))),
          ),
        shape: [1, 2, 3, 3],
      },
      {
        label: 'conv, relu, pool (the mnist-core block)',
        inputs: () => [det([1, 1, 6, 6], -1, 1, 76), det([2, 1, 3, 3], -1, 1, 77)],
        f: (x, w) => maxPool2d(conv2d(x, w, null, { padding: 'same' }).relu(), 2),
        expected: (x, w) => refPool('max', f64(refConv(x, w, null, same([3, 3]))).relu(), [2, 2], [2, 2], [0, 0]),
        shape: [1, 2, 3, 3],
      },
    ],
  },
  {
    op: 'avgPool2d',
    cases: [
      {
        label: 'by hand: 2×2 windows',
        inputs: () => [
          f64([
            [
              [
                [1, 2, 5, 6],
                [3, 4, 7, 8],
                [9, 10, 13, 14],
                [11, 12, 15, 16],
              ],
            ],
          ]),
        ],
        f: (x) => avgPool2d(x, 2),
        expected: [
          [
            [
              [2.5, 6.5],
              [10.5, 14.5],
            ],
          ],
        ],
      },
      {
        label: 'by hand: padding counts in the divisor (count_include_pad)',
        inputs: () => [
          f64([
            [
              [
                [1, 1],
                [1, 1],
              ],
            ],
          ]),
        ],
        f: (x) => avgPool2d(x, 2, { stride: 1, padding: 1 }),
        expected: [
          [
            [
              [0.25, 0.5, 0.25],
              [0.5, 1, 0.5],
              [0.25, 0.5, 0.25],
            ],
          ],
        ],
      },
      {
        label: '3×3 stride 2 padding 1 on [2,2,5,6]',
        inputs: one([2, 2, 5, 6], 80),
        f: (x) => avgPool2d(x, 3, { stride: 2, padding: 1 }),
        expected: (x) => refPool('avg', x, [3, 3], [2, 2], [1, 1]),
        shape: [2, 2, 3, 3],
      },
      {
        label: 'rectangular [2,3], stride [2,1]',
        inputs: one([1, 3, 4, 5], 81),
        f: (x) => avgPool2d(x, [2, 3], { stride: [2, 1] }),
        expected: (x) => refPool('avg', x, [2, 3], [2, 1], [0, 0]),
        shape: [1, 3, 2, 3],
      },
    ],
  },
  {
    op: 'adaptiveAvgPool2d',
    cases: [
      {
        label: 'output 1: global average pooling',
        inputs: one([2, 3, 4, 5], 90),
        f: (x) => adaptiveAvgPool2d(x, 1),
        expected: (x) => refAdaptive(x, 1, 1),
        shape: [2, 3, 1, 1],
      },
      {
        label: 'output [1, 1] given as a pair',
        inputs: one([1, 2, 3, 3], 91),
        f: (x) => adaptiveAvgPool2d(x, [1, 1]),
        expected: (x) => refAdaptive(x, 1, 1),
        shape: [1, 2, 1, 1],
      },
      {
        label: 'output 2 on 4×6 (even windows)',
        inputs: one([1, 2, 4, 6], 92),
        f: (x) => adaptiveAvgPool2d(x, 2),
        expected: (x) => refAdaptive(x, 2, 2),
        shape: [1, 2, 2, 2],
      },
      {
        label: 'output [3, 2] on 5×7 (uneven, overlapping windows)',
        inputs: one([2, 1, 5, 7], 93),
        f: (x) => adaptiveAvgPool2d(x, [3, 2]),
        expected: (x) => refAdaptive(x, 3, 2),
        shape: [2, 1, 3, 2],
      },
      {
        label: 'output [null, 2] keeps the height',
        inputs: one([1, 1, 3, 5], 94),
        f: (x) => adaptiveAvgPool2d(x, [null, 2]),
        expected: (x) => refAdaptive(x, 3, 2),
        shape: [1, 1, 3, 2],
      },
      {
        label: 'output larger than the input (windows repeat)',
        inputs: one([1, 1, 2, 3], 95),
        f: (x) => adaptiveAvgPool2d(x, [3, 4]),
        expected: (x) => refAdaptive(x, 3, 4),
        shape: [1, 1, 3, 4],
      },
      {
        label: 'squared after pooling (second derivatives go through the adjoint primitive)',
        inputs: one([1, 2, 5, 7], 96),
        f: (x) => adaptiveAvgPool2d(x, [3, 2]).square(),
        expected: (x) =>
          (refAdaptive(x, 3, 2) as number[][][][]).map((a) => a.map((b) => b.map((c) => c.map((v) => v * v)))),
        shape: [1, 2, 3, 2],
      },
    ],
  },
]
