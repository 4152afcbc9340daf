import { erf } from '../src/math.js'
import { erfRef } from './table/ref.js'

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
