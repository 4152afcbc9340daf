/**
 * cumsum and prod beyond the op table: prod's derivatives at zeros written out by hand (first and
 * second order, one zero and two), the first-order fast path against the recorded rule, float32
 * accumulation, fluent forms and errors.
 */
import { cumsum, grad, hessian, prod, tensor, zeros, type Tensor } from '../src/index.js'

const f64 = { dtype: 'float64' as const }
const flat = (t: Tensor) => Array.from(t.data, (v) => (v === 0 ? 0 : v)) // -0 and 0 alike

describe('prod with zeros', () => {
  test('one zero: only that element gets a gradient, the product of the others', () => {
    expect(flat(grad((x: Tensor) => prod(x))(tensor([2, 0, 5], f64)))).toEqual([0, 10, 0])
  })

  test('two zeros: the gradient is 0, the Hessian is not', () => {
    const x = tensor([2, 0, 5, 0], f64)
    expect(flat(grad((z: Tensor) => prod(z))(x))).toEqual([0, 0, 0, 0])
    // ∂²/∂xᵢ∂xⱼ Π x = Π_{k≠i,j} x_k: non-zero only for the pair of zeros (1, 3): 2·5 = 10.
    const H = hessian((z: Tensor) => prod(z))(x)
    const want = [
      [0, 0, 0, 0],
      [0, 0, 0, 10],
      [0, 0, 0, 0],
      [0, 10, 0, 0],
    ]
    expect(H.toArray()).toEqual(want)
  })

  test('one zero: the Hessian row of the zero holds the products of the remaining pairs', () => {
    // x = [2, 0, 5]: ∂²/∂x₀∂x₁ = 5, ∂²/∂x₁∂x₂ = 2, ∂²/∂x₀∂x₂ = x₁ = 0.
    expect(hessian((z: Tensor) => prod(z))(tensor([2, 0, 5], f64)).toArray()).toEqual([
      [0, 5, 0],
      [5, 0, 2],
      [0, 2, 0],
    ])
  })

  test('the first-order fast path and the recorded rule agree, zeros or not', () => {
    const x = tensor(
      [
        [1.5, 0, 2, -1],
        [0, 3, 0, 2],
        [0.5, -2, 4, 1],
      ],
      f64,
    )
    const fast = grad((z: Tensor) =>
      prod(z, 1)
        .mul(tensor([1, -2, 3], f64))
        .sum(),
    )(x)
    const leaf = x.clone().setRequiresGrad()
    prod(leaf, 1)
      .mul(tensor([1, -2, 3], f64))
      .sum()
      .backward({ createGraph: true })
    expect(flat(leaf.grad!)).toEqual(flat(fast))
    expect(flat(fast)).toEqual([0, -3, 0, 0, 0, 0, 0, 0, -24, 6, -3, -12])
  })

  test('float32 products accumulate in float64 and round once', () => {
    const x = tensor(new Float32Array(30).fill(1.1))
    let p = 1
    for (let i = 0; i < 30; i++) p *= Math.fround(1.1) // in float64
    expect(prod(x).item()).toBe(Math.fround(p))
  })

  test('the fluent form is the same function', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .prod(0)
        .toArray(),
    ).toEqual([3, 8])
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .prod(null, true)
        .toArray(),
    ).toEqual([[24]])
  })
})

describe('cumsum', () => {
  test('its gradient is the reverse cumulative sum of g', () => {
    const w = tensor([1, 10, 100], f64)
    expect(flat(grad((x: Tensor) => cumsum(x, 0).mul(w).sum())(zeros([3], f64)))).toEqual([111, 110, 100])
  })

  test('float32 running sums accumulate in float64', () => {
    const x = tensor([1e8, 1, 1, 1, 1, -1e8])
    expect(cumsum(x, 0).data[5]).toBe(4) // a float32 accumulator would give 0
  })

  test('the fluent form is the same function', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .cumsum(0)
        .toArray(),
    ).toEqual([
      [1, 2],
      [4, 6],
    ])
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .cumsum()
        .toArray(),
    ).toEqual([1, 3, 6, 10])
  })
})

describe('errors name the op, the axis and the shape', () => {
  const x = zeros([2, 3])
  test('cumsum', () => {
    expect(() => cumsum(x, 2)).toThrow(
      /^cumsum: axis 2 is out of range for shape \[2,3\] \(expected an integer in \[-2, 1\]\)/,
    )
    expect(() => cumsum(x, [0] as unknown as number)).toThrow(
      /^cumsum: axis must be one integer, got an array \(shape \[2,3\]\)/,
    )
    expect(() => cumsum(x, 0.5)).toThrow(/^cumsum: axis 0.5 is not an integer for shape \[2,3\]/)
    expect(() => cumsum(tensor(1), 0)).toThrow(
      /^cumsum: axis 0 is out of range for shape \[\] \(a 0-d tensor has no axes\)/,
    )
    expect(() => cumsum(tensor([1, 2], { dtype: 'int32' }), 0)).toThrow(
      /^cumsum: int32 tensor \[2\] given to a float op/,
    )
  })
  test('prod', () => {
    expect(() => prod(x, -3)).toThrow(/^prod: axis -3 is out of range for shape \[2,3\]/)
    expect(() => prod(x, [1, -1])).toThrow(/^prod: axis -1 appears more than once in \[1,-1\] \(shape \[2,3\]\)/)
    expect(() => prod('x' as unknown as Tensor)).toThrow(/^prod: x must be a Tensor, got string x/)
  })
})
