/**
 * One sum routine (src/reductions.ts) serves `sum()` and the engine's un-broadcast of gradients,
 * so both accumulate the same way: in float64, rounded once. On a long broadcast a float32 running
 * sum would drift by about 1% (0.1 added 10⁶ times in float32 gives 100958.34); here both come
 * out at the float32 nearest to the exact sum, bit for bit the same.
 */
import { add, backward, full, sum, tensor, zeros } from '../src/index.js'
import { unbroadcast } from '../src/reductions.js'

const N = 1_000_000
const exact = Math.fround(Math.fround(0.1) * N) // Σ of N float32(0.1), exact in float64, rounded once

test('sum() of 10⁶ float32 values accumulates in float64', () => {
  expect(sum(full([N], 0.1)).item()).toBe(exact)
})

test('the gradient summed back over a 10⁶-long broadcast axis is the same number', () => {
  const x = tensor([0], { requiresGrad: true })
  backward(add(x, zeros([N])), full([N], 0.1)) // ∂/∂x of ⟨0.1, x + 0⟩ over the broadcast
  expect(x.grad!.item()).toBe(exact)
  // and a float32 running sum would not have been (so this test can fail)
  let f32 = Math.fround(0)
  for (let i = 0; i < N; i++) f32 = Math.fround(f32 + Math.fround(0.1))
  expect(Math.abs(f32 - exact) / exact).toBeGreaterThan(1e-3)
})

test('unbroadcast and sum agree bit for bit on a [1000, 1000] → [1000] reduction', () => {
  const g = full([1000, 1000], 0.1)
  const a = unbroadcast(g.data, g.shape, [1000])
  const b = sum(g, 0).data
  expect(Array.from(a)).toEqual(Array.from(b))
  expect(a[0]).toBe(Math.fround(Math.fround(0.1) * 1000))
})
