/**
 * Table rows for src/ops/shape.ts. References: a reshape is the same row-major values nested
 * under another shape (`nest` over the input's flat values); a broadcast is computed by explicit
 * index arithmetic below; small cases are written out by hand.
 */
import * as tg from '../../src/index.js'
// The ops module, not the public surface: there `flatten` is the tree flatten (src/tree.ts).
import * as ops from '../../src/ops/index.js'
import { det, f64, nest } from './ref.js'
import type { NestedArray } from '../../src/index.js'
import type { OpRow } from './types.js'

type T = tg.Tensor

/** The same flat values under `shape` (what every reshape-like op must produce). */
const as =
  (shape: number[]) =>
  (x: T): NestedArray =>
    nest(Array.from(x.data), shape)

/** x broadcast to `target`: out[i] = x[i with size-1 axes of x read at 0], by hand. */
function broadcastRef(x: T, target: number[]): NestedArray {
  const n = target.reduce((a, b) => a * b, 1)
  const lead = target.length - x.shape.length
  const out: number[] = []
  for (let k = 0; k < n; k++) {
    // unravel k over target, then ravel over x's shape (size-1 axes read index 0)
    let rest = k
    const idx = new Array<number>(target.length)
    for (let a = target.length - 1; a >= 0; a--) {
      idx[a] = rest % target[a]
      rest = Math.floor(rest / target[a])
    }
    let off = 0
    for (let a = 0; a < x.shape.length; a++) off = off * x.shape[a] + (x.shape[a] === 1 ? 0 : idx[a + lead])
    out.push(x.data[off])
  }
  return nest(out, target)
}

export const rows: OpRow[] = [
  {
    op: 'reshape',
    cases: [
      {
        label: '[2,3] -> [3,2] (by hand)',
        inputs: () => [
          f64([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ],
        f: (x) => ops.reshape(x, [3, 2]),
        expected: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      {
        label: '[2,3,4] -> [4,-1]',
        inputs: () => [det([2, 3, 4], -1, 1, 1)],
        f: (x) => ops.reshape(x, [4, -1]),
        expected: as([4, 6]),
        shape: [4, 6],
      },
      {
        label: '[6] -> [-1,1,2]',
        inputs: () => [det([6], -1, 1, 2)],
        f: (x) => ops.reshape(x, [-1, 1, 2]),
        expected: as([3, 1, 2]),
      },
      { label: '0-d -> [1,1]', inputs: () => [f64(2.5)], f: (x) => ops.reshape(x, [1, 1]), expected: [[2.5]] },
      { label: '[1] -> 0-d', inputs: () => [f64([-4])], f: (x) => ops.reshape(x, []), expected: -4, shape: [] },
      {
        label: 'empty [0,3] -> [3,0]',
        inputs: () => [tg.zeros([0, 3], { dtype: 'float64' })],
        f: (x) => ops.reshape(x, [3, 0]),
        expected: [[], [], []],
        shape: [3, 0],
      },
      {
        label: 'view used twice in a product (gradients through shared storage)',
        inputs: () => [det([2, 3], -1, 1, 3)],
        f: (x) => ops.mul(ops.reshape(x, [3, 2]), ops.reshape(x, [-1, 2])),
        expected: (x) =>
          nest(
            Array.from(x.data, (v) => v * v),
            [3, 2],
          ),
      },
      {
        label: 'fluent x.reshape',
        inputs: () => [det([4], -1, 1, 4)],
        f: (x) => x.reshape([2, 2]),
        expected: as([2, 2]),
      },
    ],
  },
  {
    op: 'flatten',
    cases: [
      {
        label: '[2,3,4] default -> [24]',
        inputs: () => [det([2, 3, 4], -1, 1, 5)],
        f: (x) => ops.flatten(x),
        expected: as([24]),
      },
      {
        label: '[2,3,4] from axis 1 -> [2,12]',
        inputs: () => [det([2, 3, 4], -1, 1, 6)],
        f: (x) => ops.flatten(x, 1),
        expected: as([2, 12]),
      },
      {
        label: '[2,3,4] axes 0..1 -> [6,4]',
        inputs: () => [det([2, 3, 4], -1, 1, 7)],
        f: (x) => ops.flatten(x, 0, 1),
        expected: as([6, 4]),
      },
      {
        label: 'negative axes -2..-1 of [2,3,4] -> [2,12]',
        inputs: () => [det([2, 3, 4], -1, 1, 8)],
        f: (x) => ops.flatten(x, -2, -1),
        expected: as([2, 12]),
      },
      {
        label: 'single axis 1..1 is unchanged',
        inputs: () => [det([2, 3], -1, 1, 9)],
        f: (x) => ops.flatten(x, 1, 1),
        expected: as([2, 3]),
      },
      { label: '0-d -> [1]', inputs: () => [f64(3)], f: (x) => x.flatten(), expected: [3] },
    ],
  },
  {
    op: 'squeeze',
    cases: [
      {
        label: 'all size-1 axes of [1,3,1]',
        inputs: () => [det([1, 3, 1], -1, 1, 10)],
        f: (x) => ops.squeeze(x),
        expected: as([3]),
      },
      {
        label: 'axis -1 of [1,3,1]',
        inputs: () => [det([1, 3, 1], -1, 1, 11)],
        f: (x) => ops.squeeze(x, -1),
        expected: as([1, 3]),
      },
      {
        label: 'axes [0,2] of [1,3,1,1]',
        inputs: () => [det([1, 3, 1, 1], -1, 1, 12)],
        f: (x) => ops.squeeze(x, [0, 2]),
        expected: as([3, 1]),
      },
      { label: '[1] -> 0-d', inputs: () => [f64([7])], f: (x) => x.squeeze(), expected: 7, shape: [] },
      {
        label: 'nothing to squeeze in [2,3]',
        inputs: () => [det([2, 3], -1, 1, 13)],
        f: (x) => ops.squeeze(x),
        expected: as([2, 3]),
      },
    ],
  },
  {
    op: 'unsqueeze',
    cases: [
      {
        label: '[3] at 0 -> [1,3]',
        inputs: () => [f64([1, 2, 3])],
        f: (x) => ops.unsqueeze(x, 0),
        expected: [[1, 2, 3]],
      },
      {
        label: '[3] at -1 -> [3,1]',
        inputs: () => [f64([1, 2, 3])],
        f: (x) => ops.unsqueeze(x, -1),
        expected: [[1], [2], [3]],
      },
      {
        label: '[2,3] at 1 -> [2,1,3]',
        inputs: () => [det([2, 3], -1, 1, 14)],
        f: (x) => ops.unsqueeze(x, 1),
        expected: as([2, 1, 3]),
      },
      {
        label: '[2,3] at -2 -> [2,1,3]',
        inputs: () => [det([2, 3], -1, 1, 15)],
        f: (x) => ops.unsqueeze(x, -2),
        expected: as([2, 1, 3]),
      },
      {
        label: '[2,3] at -3 -> [1,2,3]',
        inputs: () => [det([2, 3], -1, 1, 16)],
        f: (x) => ops.unsqueeze(x, -3),
        expected: as([1, 2, 3]),
      },
      { label: '0-d at 0 -> [1]', inputs: () => [f64(5)], f: (x) => x.unsqueeze(0), expected: [5] },
    ],
  },
  {
    op: 'broadcastTo',
    cases: [
      {
        label: '[3] -> [2,3] (by hand)',
        inputs: () => [f64([1, 2, 3])],
        f: (x) => ops.broadcastTo(x, [2, 3]),
        expected: [
          [1, 2, 3],
          [1, 2, 3],
        ],
      },
      {
        label: '[3,1] -> [2,3,4]',
        inputs: () => [det([3, 1], -1, 1, 17)],
        f: (x) => ops.broadcastTo(x, [2, 3, 4]),
        expected: (x) => broadcastRef(x, [2, 3, 4]),
      },
      {
        label: '0-d -> [2,2]',
        inputs: () => [f64(1.5)],
        f: (x) => ops.broadcastTo(x, [2, 2]),
        expected: [
          [1.5, 1.5],
          [1.5, 1.5],
        ],
      },
      {
        label: '[1,1] -> [3,1,2]',
        inputs: () => [f64([[0.25]])],
        f: (x) => ops.broadcastTo(x, [3, 1, 2]),
        expected: (x) => broadcastRef(x, [3, 1, 2]),
      },
      {
        label: '[2,1,3] -> [2,4,3] (middle axis)',
        inputs: () => [det([2, 1, 3], -1, 1, 18)],
        f: (x) => x.broadcastTo([2, 4, 3]),
        expected: (x) => broadcastRef(x, [2, 4, 3]),
      },
      {
        label: 'same shape [2,3]',
        inputs: () => [det([2, 3], -1, 1, 19)],
        f: (x) => ops.broadcastTo(x, [2, 3]),
        expected: as([2, 3]),
      },
      {
        label: '[1] -> [0] (empty)',
        inputs: () => [f64([2])],
        f: (x) => ops.broadcastTo(x, [0]),
        expected: [],
        shape: [0],
      },
    ],
  },
]
