/**
 * Regression tests for the elementwise bugs the fuzz table (test/fuzz.test.ts) found: IEEE special
 * values, denormals and errors of composites, each checked against NumPy's answer.
 */
import { astype, div, logSoftmax, maximum, minimum, pow, relu, softmax, sub, sum, tensor, zeros } from '../src/index.js'

test('relu keeps NaN (NumPy maximum(NaN, 0) and torch.relu give NaN)', () => {
  expect(relu(tensor([NaN, -1, 2])).toArray()).toEqual([NaN, 0, 2])
})

test('maximum and minimum propagate a NaN on either side', () => {
  expect(maximum(tensor([NaN, 0]), tensor([0, NaN])).toArray()).toEqual([NaN, NaN])
  expect(minimum(tensor([NaN, 0]), tensor([0, NaN])).toArray()).toEqual([NaN, NaN])
  expect(minimum(NaN, tensor([1, 2])).toArray()).toEqual([NaN, NaN])
})

test('sub and div name themselves in dtype and broadcast errors (not add / mul)', () => {
  const f32 = tensor([1, 2])
  const f64 = tensor([1, 2], { dtype: 'float64' })
  expect(() => sub(f32, f64)).toThrow(/^sub: dtype mismatch/)
  expect(() => div(f32, f64)).toThrow(/^div: dtype mismatch/)
  expect(() => sub(f32, tensor([1, 2, 3]))).toThrow(/^sub: shapes \[2\] and \[3\] cannot be broadcast/)
  expect(() => div(f32, tensor([1, 2, 3]))).toThrow(/^div: shapes \[2\] and \[3\] cannot be broadcast/)
})

test('div by a denormal is a quotient, not a · (1/b) = 0 · ∞', () => {
  const q = div(tensor([0, 1e-310], { dtype: 'float64' }), tensor([5e-324, 1e-310], { dtype: 'float64' }))
  expect(q.toArray()).toEqual([0, 1])
})

test('astype to int32 refuses NaN, ±∞ and values beyond int32 instead of storing 0', () => {
  expect(() => astype(tensor([1, NaN]), 'int32')).toThrow(/^astype: element 1 .* not representable in int32/)
  expect(() => astype(tensor([Infinity]), 'int32')).toThrow(/^astype:/)
  expect(() => astype(tensor([3e9], { dtype: 'float64' }), 'int32')).toThrow(/^astype:/)
  expect(astype(tensor([2147483647.5, -2147483648], { dtype: 'float64' }), 'int32').toArray()).toEqual([
    2147483647, -2147483648,
  ])
})

test('pow rounds a number exponent to float32 like other number operands, and follows C for 1^NaN', () => {
  expect(pow(tensor([0, 2]), -5e-324).toArray()).toEqual([1, 1]) // −5e−324 is −0 in float32
  expect(pow(tensor([1, -1]), NaN).toArray()).toEqual([1, NaN])
  expect(pow(tensor([-1]), Infinity).toArray()).toEqual([1])
})

test('softmax and logSoftmax over an empty axis stay on the tape (gave a tensor with no gradient)', () => {
  for (const f of [softmax, logSoftmax]) {
    const x = zeros([2, 0]).setRequiresGrad()
    const y = f(x, -1)
    expect(y.shape).toEqual([2, 0])
    expect(y.requiresGrad).toBe(true)
    sum(y).backward()
    expect(x.grad?.shape).toEqual([2, 0])
  }
})
