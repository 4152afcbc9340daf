/**
 * norm beyond the op table: the derivatives at exactly 0 (finite, and 0 as documented — PyTorch's
 * subgradient), in every mode and to second order; a zero lane among non-zero ones; zero elements
 * for p < 1; the argument errors.
 */
import { grad, hessian, jvp, norm, tensor, zeros, type NormOrd, type Tensor } from '../src/index.js'

const f64 = { dtype: 'float64' as const }

function allFiniteZero(t: Tensor): void {
  for (const v of t.data) expect(v).toBe(0)
}

describe('the gradient of norm at exactly 0 is 0, never NaN', () => {
  const ords: NormOrd[] = [2, 'fro', 1, Infinity, -Infinity, 3, 1.5, 0.5]
  const cases = ords.map((o) => [String(o), o] as const)
  test.each(cases)('ord %s: grad, createGraph backward, hessian, jvp', (_name, ord) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = zeros([3], { dtype })
      expect(norm(x, ord).item()).toBe(0)
      allFiniteZero(grad((z: Tensor) => norm(z, ord))(x))
      // PyTorch style, with the backward pass recorded and differentiated again.
      const leaf = zeros([3], { dtype, requiresGrad: true })
      norm(leaf, ord).backward({ createGraph: true })
      const g = leaf.grad!
      allFiniteZero(g)
      const leaf2 = zeros([3], { dtype, requiresGrad: true })
      norm(leaf2, ord).backward({ createGraph: true })
      const gg = leaf2.grad!
      leaf2.grad = null
      gg.sum().backward()
      allFiniteZero(leaf2.grad!)
      // JAX style: the Hessian and a forward-mode tangent.
      allFiniteZero(hessian((z: Tensor) => norm(z, ord))(x))
      const [, t] = jvp((z: Tensor) => norm(z, ord), [x], [tensor([1, -2, 3], { dtype })])
      allFiniteZero(t)
    }
  })

  test('a zero lane gets gradient 0; the other lanes get x/‖x‖', () => {
    const g = grad((x: Tensor) => norm(x, 2, 1).sum())(
      tensor(
        [
          [0, 0],
          [3, 4],
        ],
        f64,
      ),
    )
    expect(Array.from(g.data.subarray(0, 2))).toEqual([0, 0])
    expect(g.data[2]).toBeCloseTo(0.6, 15)
    expect(g.data[3]).toBeCloseTo(0.8, 15)
  })

  test('elements equal to 0 get gradient 0 for p < 1 (|x|ᵖ has an infinite slope there)', () => {
    const g = grad((x: Tensor) => norm(x, 0.5))(tensor([0, 4], f64))
    // (Σ|x|^½)² = |x₁| + 2√|x₀x₁| + |x₀|; away from x₀ = 0 the gradient in x₁ is 1.
    expect(Array.from(g.data)).toEqual([0, 1])
  })

  test('at 0 for ord 2 the gradient is 0 even for a 0-d input and with keepdims', () => {
    expect(grad((x: Tensor) => norm(x))(tensor(0, f64)).item()).toBe(0)
    allFiniteZero(grad((x: Tensor) => norm(x, 2, 0, true).sum())(zeros([2, 3], f64)))
  })
})

describe('values', () => {
  test("'fro' is the 2-norm of all elements; matrices are not given induced norms", () => {
    const A = tensor(
      [
        [1, -2],
        [3, -4],
      ],
      f64,
    )
    expect(norm(A, 'fro').item()).toBeCloseTo(Math.sqrt(30), 14)
    expect(norm(A).item()).toBeCloseTo(Math.sqrt(30), 14)
    expect(norm(A, 1).item()).toBe(10) // entrywise, not NumPy's max column sum (6)
  })

  test('the fluent form is the same function', () => {
    const x = tensor(
      [
        [3, 4],
        [6, 8],
      ],
      f64,
    )
    expect(x.norm().item()).toBeCloseTo(Math.sqrt(125), 13)
    expect(x.norm(2, 1, true).toArray()).toEqual([[5], [10]])
  })

  test('Infinity norms split the gradient among ties, as PyTorch', () => {
    expect(Array.from(grad((x: Tensor) => norm(x, Infinity))(tensor([-3, 3, 1], f64)).data)).toEqual([-0.5, 0.5, 0])
  })
})

describe('errors name norm, the ord and the shape', () => {
  const x = zeros([2, 3])
  test.each([0, -1, -2.5, NaN])('ord %s', (ord) => {
    expect(() => norm(x, ord)).toThrow(
      new RegExp(`^norm: ord ${ord} is not supported for shape \\[2,3\\] \\(expected 2, 1, Infinity`),
    )
  })
  test("'nuc' and other strings", () => {
    expect(() => norm(x, 'nuc' as NormOrd)).toThrow(
      /^norm: ord 'nuc' is not supported for shape \[2,3\].*matrix norms such as 'nuc' are not provided/,
    )
  })
  test('bad axes', () => {
    expect(() => norm(x, 2, 2)).toThrow(/^norm: axis 2 is out of range for shape \[2,3\]/)
    expect(() => norm(x, 2, [0, 0])).toThrow(/^norm: axis 0 appears more than once/)
  })
  test('the ∞-norms of zero elements', () => {
    expect(() => norm(zeros([0, 2]), Infinity, 0)).toThrow(
      /^norm: the ∞-norm of zero elements is undefined \(axes \[0\] of shape \[0,2\]\)/,
    )
    expect(() => norm(zeros([0]), -Infinity)).toThrow(/^norm: the −∞-norm of zero elements is undefined/)
  })
  test('a non-tensor', () => {
    expect(() => norm([1, 2] as unknown as Tensor)).toThrow(/^norm: x must be a Tensor, got an array/)
  })
})

test('norm of denormals is finite (x/m, not x·(1/m), which overflowed: norm(5e-324) gave ∞) — found by the fuzz table', () => {
  expect(norm(tensor([5e-324], { dtype: 'float64' })).item()).toBe(5e-324)
  expect(norm(tensor([3e-310, 4e-310], { dtype: 'float64' })).item()).toBeCloseTo(5e-310, 320)
})
