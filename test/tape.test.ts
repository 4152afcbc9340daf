import { backward, grad, noGrad, setDebug, tapeOf, tensor, Tensor, valueAndGrad, zeroGrad } from '../src/index.js'

describe('backward()', () => {
  test('fills .grad of leaves and accumulates across calls (like PyTorch)', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    )
    x.mul(x).sum().backward()
    expect(x.grad!.toArray()).toEqual([
      [2, 4],
      [6, 8],
    ])
    x.mul(x).sum().backward()
    expect(x.grad!.toArray()).toEqual([
      [4, 8],
      [12, 16],
    ])
    x.zeroGrad()
    expect(x.grad!.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ])
  })

  test('a reused input accumulates: d(x·x + x)/dx = 2x + 1', () => {
    const x = tensor([3], { requiresGrad: true })
    x.mul(x).add(x).sum().backward()
    expect(x.grad!.toArray()).toEqual([7])
  })

  test('a diamond graph adds both paths', () => {
    const x = tensor([2], { requiresGrad: true })
    const y = x.mul(3)
    const z = y.mul(y).add(y.exp()) // dz/dy = 2y + e^y, dy/dx = 3
    z.sum().backward()
    expect(x.grad!.data[0]).toBeCloseTo(3 * (2 * 6 + Math.exp(6)), 2)
  })

  test('broadcast inputs get gradients summed back to their shape', () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    )
    const b = tensor([10, 20, 30], { requiresGrad: true })
    const c = tensor(2, { requiresGrad: true })
    a.add(b).mul(c).sum().backward()
    expect(b.grad!.toArray()).toEqual([4, 4, 4])
    expect(c.grad!.toArray()).toBe(21 + 120)
    expect(a.grad!.toArray()).toEqual([
      [2, 2, 2],
      [2, 2, 2],
    ])
  })

  test('a cotangent gives vector-Jacobian products; a non-scalar without one is an error', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true })
    const y = x.mul(x)
    expect(() => y.backward()).toThrow(
      'backward: called on a non-scalar tensor of shape [3] without a cotangent; reduce it first (e.g. .sum()) or pass a cotangent of shape [3]',
    )
    y.backward(tensor([1, 0, 2]))
    expect(x.grad!.toArray()).toEqual([2, 0, 12])
    const z = x.mul(2)
    expect(() => z.backward(tensor([1, 2]))).toThrow(
      'backward: cotangent of shape [2] does not match the output shape [3]',
    )
  })

  test('backward twice over a freed graph is an error, never a double count', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const loss = x.mul(x).sum()
    loss.backward()
    expect(() => loss.backward()).toThrow(/already freed by an earlier backward\(\); pass \{ retainGraph: true \}/)
    expect(x.grad!.toArray()).toEqual([2, 4])
  })

  test('retainGraph allows a second pass, which accumulates', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const loss = x.mul(x).sum()
    loss.backward(undefined, { retainGraph: true })
    loss.backward()
    expect(x.grad!.toArray()).toEqual([4, 8])
  })

  test('backward on a tensor that needs no gradient is an error', () => {
    expect(() => tensor([1]).mul(2).sum().backward()).toThrow(/does not require a gradient/)
  })

  test('a 100,000-op chain does not overflow the stack', () => {
    const x = tensor(1, { requiresGrad: true, dtype: 'float64' })
    let y: Tensor = x
    for (let i = 0; i < 100000; i++) y = y.mul(1.00001)
    y.backward()
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.00001, 100000), 6)
  })

  test('leaf gradients are never aliased (add returns g for both inputs)', () => {
    const a = tensor([1, 2], { requiresGrad: true })
    const b = tensor([3, 4], { requiresGrad: true })
    a.add(b).sum().backward()
    a.grad!.data[0] = 100
    expect(b.grad!.toArray()).toEqual([1, 1])
  })

  test('astype casts the gradient back to the input dtype', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const y = x.astype('float64')
    expect(y.dtype).toBe('float64')
    y.mul(tensor([3, 4], { dtype: 'float64' }))
      .sum()
      .backward()
    expect(x.grad!.dtype).toBe('float32')
    expect(x.grad!.toArray()).toEqual([3, 4])
  })

  test('the backward module function works like the method', () => {
    const x = tensor([3], { requiresGrad: true })
    backward(x.square().sum())
    expect(x.grad!.toArray()).toEqual([6])
  })
})

describe('recording', () => {
  test('nothing is recorded when no input needs a gradient', () => {
    const y = tensor([1, 2]).mul(3)
    expect(y.requiresGrad).toBe(false)
    expect(y.entry).toBeNull()
  })

  test('noGrad turns recording off and restores it, even on throw', () => {
    const x = tensor([1], { requiresGrad: true })
    const y = noGrad(() => x.mul(2))
    expect(y.requiresGrad).toBe(false)
    expect(() =>
      noGrad(() => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(x.mul(2).requiresGrad).toBe(true)
  })

  test('requiresGrad propagates; detach cuts the flow', () => {
    const x = tensor([2], { requiresGrad: true })
    const y = x.mul(x).detach().mul(x) // only the last factor is seen: d/dx = x² (held constant)
    y.sum().backward()
    expect(x.grad!.toArray()).toEqual([4])
  })

  test('tapeOf lists the recorded ops oldest first', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    x.label = 'x'
    const loss = x.mul(x).add(1).tanh().sum()
    const tape = tapeOf(loss)
    expect(tape.entries.map((e) => e.op)).toEqual(['mul', 'add', 'tanh', 'sum'])
    const text = tape.toString()
    expect(text.split('\n')[0]).toMatch(/^%\d+ = mul\(x\[2\], x\[2\]\) -> \[2\]$/)
    expect(text).toContain('tanh(%')
  })
})

describe('grad / valueAndGrad (JAX style)', () => {
  test('gradient w.r.t. a tree, returned in the same tree shape', () => {
    const params = { w: tensor([1, 2]), layers: [tensor([3]), { b: tensor(0.5) }] }
    const f = (p: typeof params, x: Tensor) =>
      p.w
        .mul(x)
        .sum()
        .add((p.layers[0] as Tensor).square().sum())
    const [value, g] = valueAndGrad(f)(params, tensor([10, 20]))
    expect(value.item()).toBe(10 + 40 + 9)
    expect(value.requiresGrad).toBe(false)
    expect(g.w.toArray()).toEqual([10, 20])
    expect((g.layers[0] as Tensor).toArray()).toEqual([6])
    // unused leaves get zeros, structure kept
    expect((g.layers[1] as { b: Tensor }).b.toArray()).toBe(0)
    // the caller's tensors are untouched
    expect(params.w.grad).toBeNull()
    expect(params.w.requiresGrad).toBe(false)
  })

  test('grad returns only the gradient; f must return a scalar tensor', () => {
    const g = grad((x: Tensor) => x.mul(x).sum())(tensor([1, 2]))
    expect(g.toArray()).toEqual([2, 4])
    expect(() => grad((x: Tensor) => x.mul(2))(tensor([1, 2]))).toThrow(
      'valueAndGrad: f must return a scalar, got shape [2]; reduce it (e.g. .sum() or .mean())',
    )
    expect(() => grad(((_x: Tensor) => 3) as never)(tensor([1]))).toThrow(/f must return a Tensor/)
  })

  test('a bad tree is a clear error naming the path', () => {
    expect(() => grad((p: any) => p.a.sum())({ a: tensor([1]), b: 3 } as never)).toThrow(
      "tree: expected a Tensor, an array or a plain object at 'b', got number 3",
    )
  })

  test('zeroGrad over a tree', () => {
    const a = tensor([1], { requiresGrad: true })
    const b = tensor([2], { requiresGrad: true })
    a.mul(b).sum().backward()
    zeroGrad({ a, list: [b] })
    expect(a.grad!.toArray()).toEqual([0])
    expect(b.grad!.toArray()).toEqual([0])
  })
})

describe('errors', () => {
  test('dtype mixes name the op and the shapes', () => {
    const a = tensor([1, 2])
    const b = tensor([[1, 2]], { dtype: 'float64' })
    expect(() => a.add(b)).toThrow(
      "add: dtype mismatch: float32 [2] and float64 [1,2]; convert one with .astype('float32')",
    )
  })

  test('a non-tensor, non-number operand names the op and what it got', () => {
    expect(() => tensor([1, 2]).add('x' as never)).toThrow(
      'add: expected tensors or numbers, got tensor [2] and string',
    )
    expect(() => tensor([1]).mul(null as never)).toThrow('mul: expected tensors or numbers, got tensor [1] and null')
    expect(() => tensor([1]).sub(undefined as never)).toThrow(
      'sub: expected tensors or numbers, got tensor [1] and undefined',
    )
    expect(() => tensor([1]).maximum({} as never)).toThrow(
      'maximum: expected tensors or numbers, got tensor [1] and an object of class Object',
    )
  })

  test('broadcast failures name both shapes', () => {
    expect(() => tensor([[1, 2, 3]]).add(tensor([1, 2]))).toThrow(
      'add: shapes [1,3] and [2] cannot be broadcast together (axis -1: 3 ≠ 2)',
    )
  })

  test('setDebug({ checkFinite }) names the first op that produced NaN/Inf', () => {
    setDebug({ checkFinite: true })
    try {
      const x = tensor([1, -1], { requiresGrad: true })
      const y = x.mul(2)
      expect(() => y.log()).toThrow(
        'log (forward): produced NaN at flat index 1 of output [2] from finite inputs of shapes [2]',
      )
      const z = tensor([0], { requiresGrad: true })
      const s = z.sqrt().sum() // forward finite (0), backward 1/(2·0) = Inf
      expect(() => s.backward()).toThrow(/sqrt \(backward\): produced Infinity/)
    } finally {
      setDebug({ checkFinite: false })
    }
    expect(() => tensor([-1]).log()).not.toThrow()
  })
})

describe('tapeOf(t).backwardSteps()', () => {
  test('stepping the tape one entry at a time ends with the gradients backward() gives, bit for bit', () => {
    const make = () => {
      const x = tensor([[0.3, -1.2, 2.0]], { requiresGrad: true })
      const W = tensor(
        [
          [0.5, -0.25],
          [1.5, 0.75],
          [-1, 2],
        ],
        { requiresGrad: true },
      )
      const b = tensor([0.1, -0.2], { requiresGrad: true })
      const y = x.matmul(W).add(b).tanh().square().add(1).log().sqrt().sum() // sqrt and log have fused rules
      return { x, W, b, y }
    }
    const a = make()
    const steps = tapeOf(a.y).backwardSteps()
    let n = 0
    while (steps.next()) n++
    expect(n).toBe(tapeOf(a.y).entries.length)
    expect(steps.done).toBe(true)
    const r = make()
    r.y.backward()
    for (const k of ['x', 'W', 'b'] as const) {
      expect(Array.from(steps.gradient(a[k])!.data)).toEqual(Array.from(r[k].grad!.data))
    }
    expect(a.x.grad).toBeNull() // stepping writes no .grad
  })
})
