/**
 * The first-order backward pass sums gradients in place and recycles dead buffers
 * (src/grad-buffers.ts). These tests check its ownership rule: the engine writes into, recycles,
 * or hands out as `.grad`, only buffers it owns outright — never one an op kept, shared, or that
 * the caller passed in — and an error part-way leaves nothing stale behind.
 */
import { defineOp, Tensor, tensor, setDebug } from '../src/index.js'
import { allocate, recycle, recycleStats, type TypedArray } from '../src/nd.js'
import { freshGradient } from '../src/grad-buffers.js'

// ---------------------------------------------------------------------------------------------
// Ownership: the engine writes into, or recycles, only buffers it owns outright.

const BIG = 20000 // above the recycling threshold of nd.ts (16384 elements)

/** out = x; backward returns a copy of g that the op declares fresh (freshGradient). */
const freshIdentity = defineOp({
  name: 'freshIdentity',
  forward: ([x]) => new Tensor(x.data.slice(), x.shape.slice()),
  backward: (g) => [g],
  tangent: ([dx]) => dx,
  fastBackward: (g) => {
    lastFresh = g.data.slice()
    return [freshGradient(new Tensor(lastFresh, g.shape.slice()))]
  },
})
let lastFresh: TypedArray | null = null

/** out = x; backward always returns the same constant tensor K (kept, so NOT fresh). */
function constantGradientOp(K: Tensor) {
  return defineOp({
    name: 'constantGradient',
    forward: ([x]) => new Tensor(x.data.slice(), x.shape.slice()),
    backward: () => [K],
    tangent: ([dx]) => dx,
  })
}

describe('gradient buffer ownership', () => {
  test('a fresh gradient becomes .grad without a copy, and is recycled once added into an existing .grad', () => {
    const x = tensor(new Float32Array(BIG).fill(1), { requiresGrad: true })
    freshIdentity([x]).sum().backward()
    expect(x.grad!.data).toBe(lastFresh) // taken over, not copied
    expect(x.grad!.data[0]).toBe(1)

    freshIdentity([x]).sum().backward() // now added into the existing .grad
    expect(x.grad!.data[BIG - 1]).toBe(2)
    const dead = lastFresh!
    expect(dead).not.toBe(x.grad!.data)
    // The next allocation of that size reuses the dead buffer, zeroed.
    dead[5] = 123
    expect(recycleStats().buffers).toBeGreaterThan(0)
    recycle(dead) // already waiting: must not be queued twice
    const again = allocate('float32', BIG)
    expect(again).toBe(dead)
    expect(again[5]).toBe(0)
    expect(allocate('float32', BIG)).not.toBe(dead) // handed out once only
  })

  test('a gradient the op keeps is never written into, aliased or recycled, even when summed', () => {
    const K = tensor(new Float32Array(BIG).fill(0.5))
    const op = constantGradientOp(K)
    const x = tensor(new Float32Array(BIG).fill(3), { requiresGrad: true })
    for (let pass = 1; pass <= 3; pass++) {
      // x is used three times: sums of K with K, then with an engine-owned sum.
      op([x])
        .add(op([x]))
        .add(op([x]))
        .sum()
        .backward()
      expect(x.grad!.data[0]).toBe(1.5 * pass)
      expect(x.grad!.data[BIG - 1]).toBe(1.5 * pass)
    }
    expect(K.data.every((v) => v === 0.5)).toBe(true)
    expect(x.grad!.data).not.toBe(K.data)
    for (let i = 0; i < 10; i++) expect(allocate('float32', BIG)).not.toBe(K.data)
  })

  test('add (g returned for both inputs) and reshape (shared storage) stay correct with large tensors', () => {
    const a = tensor(
      Float32Array.from({ length: BIG }, (_, i) => i % 7),
      { requiresGrad: true },
    )
    const b = tensor(new Float32Array(BIG).fill(2), { requiresGrad: true })
    for (let pass = 1; pass <= 2; pass++) {
      // d/da Σ (a + b)·3 + reshape(a)·a = 3 + 2a;  d/db = 3 (b used once, a three times)
      const s = a
        .add(b)
        .mul(3)
        .sum()
        .add(a.reshape([100, 200]).reshape([BIG]).mul(a).sum())
      s.backward()
      for (const i of [0, 1, 6, BIG - 1]) expect(a.grad!.data[i]).toBe(pass * (3 + 2 * (i % 7)))
      expect(b.grad!.data[0]).toBe(3 * pass)
      expect(a.grad!.data).not.toBe(b.grad!.data)
    }
    const taken = new Set([a.data, b.data, a.grad!.data, b.grad!.data])
    for (let i = 0; i < 10; i++) expect(taken.has(allocate('float32', BIG))).toBe(false)
  })

  test("a caller's cotangent is neither kept as .grad nor written into", () => {
    const x = tensor(new Float32Array(BIG).fill(1), { requiresGrad: true })
    const v = tensor(new Float32Array(BIG).fill(4))
    x.backward(v)
    x.backward(v)
    expect(x.grad!.data).not.toBe(v.data)
    expect(x.grad!.data[0]).toBe(8)
    expect(v.data.every((t) => t === 4)).toBe(true)
  })

  test('an error in the middle of backward leaves no stale partial gradient for the next pass', () => {
    const boom = defineOp({
      name: 'boom',
      forward: ([x]) => new Tensor(x.data.slice(), x.shape.slice()),
      backward: () => {
        throw new Error('boom (backward): failed on purpose')
      },
      tangent: ([dx]) => dx,
    })
    const x = tensor([1, 2, 3], { requiresGrad: true })
    // The mul(2) branch reaches x first (newest entries run first), then boom throws.
    const y = boom([x]).sum().add(x.mul(2).sum())
    expect(() => y.backward()).toThrow('boom (backward): failed on purpose')
    x.mul(5).sum().backward()
    expect(x.grad!.toArray()).toEqual([5, 5, 5])
  })

  test('setDebug({ checkFinite }) still checks a gradient declared fresh', () => {
    const nanGrad = defineOp({
      name: 'nanGrad',
      forward: ([x]) => new Tensor(x.data.slice(), x.shape.slice()),
      backward: (g) => [g],
      tangent: ([dx]) => dx,
      fastBackward: (g) => [
        freshGradient(
          new Tensor(
            g.data.map(() => NaN),
            g.shape.slice(),
          ),
        ),
      ],
    })
    const x = tensor([1, 2], { requiresGrad: true })
    setDebug({ checkFinite: true })
    try {
      expect(() => nanGrad([x]).sum().backward()).toThrow(
        'nanGrad (backward): produced NaN at flat index 0 of output [2] from finite inputs of shapes [2]',
      )
    } finally {
      setDebug({ checkFinite: false })
    }
  })
})
