/** Scalar special functions that JavaScript's Math lacks. */

/**
 * The error function erf(x) = 2/√π · ∫₀ˣ e^(−t²) dt, by its everywhere-convergent series
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx²ⁿ⁺¹/(1·3·…·(2n+1)): all terms positive (no cancellation),
 * float64-accurate; erf(±6) is ±1 to double precision.
 * @example
 * import { erf } from 'tapegrad'
 * erf(1) // 0.842700792949715
 * erf(-6) // -1
 */
export function erf(x: number): number {
  const ax = Math.abs(x)
  if (ax >= 6) return x > 0 ? 1 : -1
  const x2 = ax * ax
  let term = ax
  let sum = ax
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * x2) / (2 * n + 1)
    sum += term
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum
  return x < 0 ? -r : r
}
