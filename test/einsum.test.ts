/**
 * einsum, outer and dot beyond the op table: every spec error names the spec and the shapes;
 * the listed specs agree with the ops they stand for; the fluent forms.
 */
import { dot, einsum, matmul, ones, outer, permute, randn, sum, tensor, type Tensor } from '../src/index.js'

const flat = (t: Tensor) => Array.from(t.data)

describe('einsum errors name the spec and the shapes', () => {
  const A = ones([2, 3])
  const B = ones([4, 5])
  const C = ones([3, 5])
  test('a shared index with two sizes', () => {
    expect(() => einsum('ij,jk->ik', A, B)).toThrow(
      "einsum: index j has size 3 in operand 0 and 4 in operand 1 ('ij,jk->ik', shapes [2,3] and [4,5])",
    )
  })
  test('unknown letters in the output, bad characters', () => {
    expect(() => einsum('ij,jk->iz', A, C)).toThrow(
      "einsum: output index z does not appear in any operand ('ij,jk->iz', shapes [2,3] and [3,5])",
    )
    expect(() => einsum('i1,jk->ik', A, C)).toThrow(
      /^einsum: '1' in operand 0 is not an index letter \(a–z, A–Z\) \('i1,jk->ik'/,
    )
    expect(() => einsum('ij->i_', A)).toThrow(/^einsum: '_' in the output is not an index letter/)
    expect(() => einsum('ij->ii', A)).toThrow("einsum: output index i appears twice ('ij->ii', shape [2,3])")
  })
  test('operand counts and axis counts', () => {
    expect(() => einsum('ij,jk->ik', A)).toThrow("einsum: the spec names 2 operands, got 1 ('ij,jk->ik', shape [2,3])")
    expect(() => einsum('ij->ij', A, C)).toThrow(
      "einsum: the spec names 1 operand, got 2 ('ij->ij', shapes [2,3] and [3,5])",
    )
    expect(() => einsum('ij,jk,kl->il', A, C)).toThrow(/^einsum: at most two operands are supported, the spec names 3/)
    expect(() => einsum('ijk,jk->i', A, C)).toThrow(
      "einsum: operand 0 has 2 axes but 3 indices 'ijk' ('ijk,jk->i', shapes [2,3] and [3,5])",
    )
  })
  test('unsupported forms: repeated indices, ellipsis, several arrows', () => {
    expect(() => einsum('ii->i', ones([2, 2]))).toThrow(
      "einsum: index i appears twice in operand 0; diagonals and traces are not supported ('ii->i', shape [2,2])",
    )
    expect(() => einsum('...ij->...ji', A)).toThrow(/^einsum: ellipsis '\.\.\.' is not supported/)
    expect(() => einsum('ij->ji->ij', A)).toThrow(/^einsum: spec has more than one '->'/)
  })
  test('arguments that are not a spec or tensors, mixed dtypes', () => {
    expect(() => einsum(3 as never, A)).toThrow(/^einsum: spec must be a string such as 'ij,jk->ik', got number 3/)
    expect(() => einsum('ij', [1] as never)).toThrow(/^einsum: the first operand must be a Tensor, got an array/)
    expect(() => einsum('ij,jk', A, C.astype('float64'))).toThrow(
      /^einsum: dtype mismatch: float32 \[2,3\] and float64 \[3,5\]/,
    )
  })
})

describe('the common specs are the ops they name', () => {
  const a = randn([3, 4], { dtype: 'float64' })
  const b = randn([4, 2], { dtype: 'float64' })
  const close = (x: Tensor, y: Tensor) => {
    expect(x.shape).toEqual(y.shape)
    flat(x).forEach((v, i) => expect(v).toBeCloseTo(y.data[i], 12))
  }
  test("'ij,jk->ik' and implicit 'ij,jk' are matmul", () => {
    close(einsum('ij,jk->ik', a, b), matmul(a, b))
    close(einsum('ij,jk', a, b), matmul(a, b))
  })
  test("'bij,bjk->bik' is a batched matmul", () => {
    const x = randn([2, 3, 4], { dtype: 'float64' })
    const y = randn([2, 4, 5], { dtype: 'float64' })
    close(einsum('bij,bjk->bik', x, y), matmul(x, y))
  })
  test("'ij->ji' and implicit 'ji' are a transpose, 'bi,bi->b' row-wise dots, 'i,i->' dot", () => {
    close(einsum('ij->ji', a), permute(a, [1, 0]))
    close(einsum('ji', a), permute(a, [1, 0]))
    close(einsum('bi,bi->b', a, a), sum(a.mul(a), 1))
    const v = randn([5], { dtype: 'float64' })
    close(einsum('i,i->', v, v), dot(v, v))
  })
})

describe('outer and dot', () => {
  test('errors', () => {
    expect(() => outer(ones([2, 2]), ones([2]))).toThrow(
      'outer: expected two 1-D tensors, got shapes [2,2] and [2] (flatten them first, or use einsum)',
    )
    expect(() => dot(ones([2, 3]), ones([3]))).toThrow(
      'dot: expected two 1-D tensors, got shapes [2,3] and [3] (use matmul for matrices)',
    )
    expect(() => dot(ones([3]), ones([4]))).toThrow('dot: the vectors differ in length: shapes [3] and [4]')
    expect(() => dot(ones([3]), ones([3], { dtype: 'float64' }))).toThrow(
      /^dot: dtype mismatch: float32 \[3\] and float64 \[3\]/,
    )
    expect(() => outer(ones([3]), 2 as never)).toThrow(/^outer: the second operand must be a Tensor, got number 2/)
  })
  test('fluent forms', () => {
    expect(
      tensor([1, 2])
        .outer(tensor([3, 4]))
        .toArray(),
    ).toEqual([
      [3, 4],
      [6, 8],
    ])
    expect(
      tensor([1, 2])
        .dot(tensor([3, 4]))
        .item(),
    ).toBe(11)
  })
})
