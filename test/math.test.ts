import { erf } from '../src/math.js'

/** erf reference by Simpson integration of 2/√π e^(−t²) (independent of the series in math.ts). */
function erfRef(x: number): number {
  const n = 4000
  const h = x / n
  let s = 1 + Math.exp(-x * x)
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-(i * h) * (i * h))
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3
}

test('erf matches numerical integration to 1e-12', () => {
  for (const x of [-5.5, -3, -1, -0.2, 0, 1e-8, 0.5, 1, 2.5, 4, 5.9]) {
    expect(Math.abs(erf(x) - erfRef(x))).toBeLessThan(1e-12)
  }
})

test('erf is odd, saturates at ±1 and keeps known values', () => {
  expect(erf(0)).toBe(0)
  expect(erf(-0.7)).toBe(-erf(0.7))
  expect(erf(10)).toBe(1)
  expect(erf(-10)).toBe(-1)
  expect(erf(1)).toBeCloseTo(0.8427007929497149, 15)
})
