/**
 * Table rows for src/ops/einsum.ts (einsum, outer, dot). The reference, `refEinsum`, is the
 * definition itself: loop over every assignment of values to all the spec's letters and add the
 * product of the operands' elements into the output element those letters name — no permute,
 * no matmul. Implicit outputs are written out by hand in the labels.
 */
import { dot, einsum, outer, zeros, type NestedArray, type Tensor } from '../../src/index.js'
import { det, f64, nest } from './ref.js'
import type { OpRow } from './types.js'

/** Σ over all letters not in `out` of Π operands, by brute force (explicit '->' specs only). */
function refEinsum(spec: string, ...xs: Tensor[]): NestedArray {
  const [lhs, out] = spec.split('->')
  const inputs = lhs.split(',')
  const size = new Map<string, number>()
  inputs.forEach((letters, k) => [...letters].forEach((c, i) => size.set(c, xs[k].shape[i])))
  const letters = [...size.keys()]
  const outShape = [...out].map((c) => size.get(c)!)
  const result = new Array<number>(outShape.reduce((p, q) => p * q, 1)).fill(0)
  const value = new Map<string, number>()
  const offset = (ls: string, shape: number[]) => [...ls].reduce((off, c, i) => off * shape[i] + value.get(c)!, 0)
  const visit = (d: number): void => {
    if (d === letters.length) {
      let p = 1
      inputs.forEach((ls, k) => (p *= xs[k].data[offset(ls, xs[k].shape)]))
      result[offset(out, outShape)] += p
      return
    }
    for (let i = 0; i < size.get(letters[d])!; i++) {
      value.set(letters[d], i)
      visit(d + 1)
    }
  }
  visit(0)
  return nest(result, outShape)
}

const ops =
  (...shapes: number[][]) =>
  () =>
    shapes.map((s, k) => det(s, -1, 1, 10 + k))
function spec(s: string, ...shapes: number[][]) {
  return {
    label: `'${s}' on ${shapes.map((sh) => `[${sh}]`).join(', ')}`,
    inputs: ops(...shapes),
    f: (...xs: Tensor[]) => einsum(s, xs[0], xs[1]),
    expected: (...xs: Tensor[]) => refEinsum(s, ...xs),
  }
}
/** An implicit spec, checked against the explicit one NumPy's rule gives. */
function implicit(s: string, explicit: string, ...shapes: number[][]) {
  const f = (...xs: Tensor[]) => einsum(s, xs[0], xs[1])
  return { ...spec(explicit, ...shapes), label: `implicit '${s}' = '${explicit}'`, f }
}

export const rows: OpRow[] = [
  {
    op: 'einsum',
    cases: [
      {
        label: 'by hand matmul',
        inputs: () => [f64([[1, 2]]), f64([[3], [4]])],
        f: (a, b) => einsum('ij,jk->ik', a, b),
        expected: [[11]],
      },
      {
        label: 'by hand dot',
        inputs: () => [f64([1, 2, 3]), f64([4, 5, 6])],
        f: (a, b) => einsum('i,i->', a, b),
        expected: 32,
        shape: [],
      },
      spec('ij,jk->ik', [2, 3], [3, 4]),
      spec('bij,bjk->bik', [2, 2, 3], [2, 3, 2]),
      spec('i,i->', [4], [4]),
      spec('ij->ji', [2, 3]),
      spec('bi,bi->b', [3, 4], [3, 4]),
      spec('i,j->ij', [3], [2]),
      spec('ij,ij->ij', [2, 3], [2, 3]),
      spec('ij,ij->', [2, 3], [2, 3]),
      spec('ij,jk->ki', [2, 3], [3, 4]),
      spec('bij,bkj->bik', [2, 2, 3], [2, 4, 3]),
      spec('ij,j->i', [3, 4], [4]),
      spec('i,ij->j', [3], [3, 2]),
      spec('bi,bij->bj', [2, 3], [2, 3, 2]),
      spec('ijk,jl->lik', [2, 3, 2], [3, 2]),
      spec('ij,kl->ijkl', [2, 2], [2, 3]),
      spec('ij,k->ik', [2, 3], [2]),
      spec('abc,cba->b', [2, 3, 2], [2, 3, 2]),
      spec('ij->i', [3, 4]),
      spec('ij->', [3, 4]),
      spec('ijk->kij', [2, 3, 2]),
      spec('i->i', [3]),
      implicit('ij,jk', 'ij,jk->ik', [2, 3], [3, 2]),
      implicit('ji', 'ji->ij', [2, 3]),
      implicit('ij', 'ij->ij', [2, 3]),
      implicit('i,i', 'i,i->', [3], [3]),
      implicit('bi,bi', 'bi,bi->', [2, 3], [2, 3]),
      implicit('ba,ac', 'ba,ac->bc', [2, 3], [3, 2]),
      {
        ...spec('ij,jk->ik', [2, 3], [3, 2]),
        label: "spaces are ignored: ' ij , jk -> ik '",
        f: (a: Tensor, b: Tensor) => einsum(' ij , jk -> ik ', a, b),
      },
      {
        label: "of its own square: 'ij,ij->i' of x² and x (cotangent depends on x)",
        inputs: ops([2, 3]),
        f: (x) => einsum('ij,ij->i', x.mul(x), x),
        expected: (x) =>
          refEinsum(
            'ij,ij->i',
            f64(
              nest(
                Array.from(x.data).map((v) => v * v),
                [2, 3],
              ),
            ),
            x,
          ),
      },
      {
        label: 'contracting an empty index: [2,0]·[0,3] is zeros',
        inputs: () => [zeros([2, 0], { dtype: 'float64' }), zeros([0, 3], { dtype: 'float64' })],
        f: (a, b) => einsum('ij,jk->ik', a, b),
        expected: [
          [0, 0, 0],
          [0, 0, 0],
        ],
      },
    ],
  },
  {
    op: 'outer',
    cases: [
      {
        label: 'by hand',
        inputs: () => [f64([1, 2]), f64([3, 4, 5])],
        f: outer,
        expected: [
          [3, 4, 5],
          [6, 8, 10],
        ],
      },
      { label: '[4] and [3]', inputs: ops([4], [3]), f: outer, expected: (a, b) => refEinsum('i,j->ij', a, b) },
      { label: 'x with itself', inputs: ops([3]), f: (x) => outer(x, x), expected: (x) => refEinsum('i,j->ij', x, x) },
      {
        label: 'empty [0] and [2]',
        inputs: () => [zeros([0], { dtype: 'float64' }), f64([1, 2])],
        f: outer,
        expected: [],
        shape: [0, 2],
      },
    ],
  },
  {
    op: 'dot',
    cases: [
      { label: 'by hand', inputs: () => [f64([1, 2, 3]), f64([4, 5, 6])], f: dot, expected: 32, shape: [] },
      { label: '[5] · [5]', inputs: ops([5], [5]), f: dot, expected: (a, b) => refEinsum('i,i->', a, b), shape: [] },
      {
        label: 'x · x = ‖x‖²',
        inputs: ops([4]),
        f: (x) => dot(x, x),
        expected: (x) => refEinsum('i,i->', x, x),
        shape: [],
      },
      {
        label: 'empty vectors: 0',
        inputs: () => [zeros([0], { dtype: 'float64' }), zeros([0], { dtype: 'float64' })],
        f: dot,
        expected: 0,
        shape: [],
      },
    ],
  },
]
