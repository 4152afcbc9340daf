/**
 * Gradient references for the tests beyond the op table: central differences, the tape's own
 * answer on a fresh leaf, and a tolerance check that names the first element that is off.
 */
import { tensor, type Tensor } from '../src/index.js'

/**
 * ∂f/∂x by central differences, (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε, for scalar-valued f and
 * float64 x (changed during the call and restored afterwards).
 * @example numericGrad((x) => x.square().sum(), f64([1, 2])) // ≈ [2, 4]
 */
export function numericGrad(f: (x: Tensor) => Tensor, x: Tensor, eps = 1e-6): number[] {
  const out: number[] = []
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i]
    x.data[i] = v + eps
    const hi = f(x).item()
    x.data[i] = v - eps
    const lo = f(x).item()
    x.data[i] = v
    out.push((hi - lo) / (2 * eps))
  }
  return out
}

/**
 * ∂f/∂x from the tape, on a fresh leaf with x's values.
 * @example tapeGrad((x) => x.square().sum(), tensor([1, 2])) // [2, 4]
 */
export function tapeGrad(f: (x: Tensor) => Tensor, x: Tensor): number[] {
  const leaf = tensor(x.data.slice(), { shape: x.shape, dtype: x.dtype, requiresGrad: true })
  f(leaf).backward()
  return Array.from(leaf.grad!.data)
}

/**
 * Fails unless |got − want| ≤ tol·(1 + |want|) element by element, naming the first element off.
 * @example expectClose(tapeGrad(f, x), numericGrad(f, x), 1e-6)
 */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length)
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      throw new Error(`element ${i}: got ${got[i]}, expected ${want[i]} (tol ${tol})`)
    }
  }
}
