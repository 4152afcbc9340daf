import { arange, eye, full, linspace, ones, rand, randn, seed, Tensor, tensor, zeros } from '../src/index.js'

describe('tensor()', () => {
  test('nested arrays give shape, float32 by default, row-major data', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(x.shape).toEqual([2, 3])
    expect(x.dtype).toBe('float32')
    expect(x.size).toBe(6)
    expect(x.ndim).toBe(2)
    expect(x.data).toBeInstanceOf(Float32Array)
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6])
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ])
  })

  test('a number is a 0-d tensor; item() reads it', () => {
    const x = tensor(3.5)
    expect(x.shape).toEqual([])
    expect(x.item()).toBe(3.5)
    expect(x.toArray()).toBe(3.5)
  })

  test('typed arrays are copied; Float64Array keeps float64; shape option reshapes', () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6])
    const x = tensor(src, { shape: [3, 2] })
    expect(x.dtype).toBe('float64')
    expect(x.shape).toEqual([3, 2])
    src[0] = 99
    expect(x.data[0]).toBe(1)
    expect(tensor([1, 2], { dtype: 'float64' }).data).toBeInstanceOf(Float64Array)
  })

  test('errors: ragged arrays, wrong shape, bad dtype, non-finite with checkFinite', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array: at \[1\] expected length 2, found length 1/)
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/ragged/)
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values do not fit shape [2,2] (4 elements)')
    expect(() => tensor([1], { dtype: 'int8' as never })).toThrow(/unsupported dtype 'int8'/)
    expect(() => tensor([1, NaN], { checkFinite: true })).toThrow(
      'tensor: non-finite value NaN at flat index 1 of shape [2] (checkFinite)',
    )
    expect(tensor([1, Infinity]).data[1]).toBe(Infinity) // allowed unless asked
    expect(() => tensor(['a'] as never)).toThrow(/element 0 is string/)
    expect(() => tensor(null as never)).toThrow(/expected nested arrays/)
  })

  test('item() on a non-scalar names the shape', () => {
    expect(() => tensor([1, 2]).item()).toThrow(
      'item: only one-element tensors can be converted to a number, got shape [2]',
    )
  })

  test('the ndarray view is over the same storage and cached', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ])
    expect(x.nd.get(1, 0)).toBe(3)
    expect(x.nd.data).toBe(x.data)
    expect(x.nd).toBe(x.nd)
  })
})

describe('creation functions', () => {
  test('zeros, ones, full, eye', () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ])
    expect(ones([3], { dtype: 'float64' }).data).toEqual(new Float64Array([1, 1, 1]))
    expect(full([2], 7).toArray()).toEqual([7, 7])
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ])
    expect(() => zeros([2, -1])).toThrow('zeros: invalid shape [2,-1]: sizes must be non-negative integers')
  })

  test('arange and linspace follow NumPy', () => {
    expect(arange(4).toArray()).toEqual([0, 1, 2, 3])
    expect(arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75])
    expect(arange(5, 1, -2).toArray()).toEqual([5, 3])
    expect(() => arange(0, 1, 0)).toThrow(/step must be a non-zero/)
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1])
    expect(linspace(2, 2, 1).toArray()).toEqual([2])
  })

  test('seed makes rand/randn bit-identical; different seeds differ', () => {
    seed(42)
    const a = randn([100])
    const u = rand([50], { low: -1, high: 1 })
    seed(42)
    const b = randn([100])
    const v = rand([50], { low: -1, high: 1 })
    expect(b.data).toEqual(a.data)
    expect(v.data).toEqual(u.data)
    seed(43)
    expect(randn([100]).data).not.toEqual(a.data)
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...u.data)).toBeLessThan(1)
  })

  test('randn has roughly zero mean and unit variance', () => {
    seed(1)
    const x = Array.from(randn([20000], { dtype: 'float64' }).data)
    const mean = x.reduce((s, v) => s + v, 0) / x.length
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(variance - 1)).toBeLessThan(0.05)
  })
})

describe('printing', () => {
  test('prints like NumPy with shape and dtype', () => {
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toString(),
    ).toBe('tensor([[1, 2],\n        [3, 4]], shape=[2,2], dtype=float32)')
    expect(tensor(0.5, { dtype: 'float64' }).toString()).toBe('tensor(0.5, shape=[], dtype=float64)')
    expect(tensor([0.1]).toString()).toBe('tensor([0.1], shape=[1], dtype=float32)')
  })

  test('large tensors are elided', () => {
    const s = arange(2000).toString()
    expect(s).toBe('tensor([0, 1, 2, ..., 1997, 1998, 1999], shape=[2000], dtype=float32)')
  })
})

describe('Tensor basics', () => {
  test('clone copies, detach shares storage and drops history', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const y = x.mul(2)
    const d = y.detach()
    expect(d.requiresGrad).toBe(false)
    expect(d.entry).toBeNull()
    expect(d.data).toBe(y.data)
    const c = y.clone()
    expect(c.data).not.toBe(y.data)
    expect(Array.from(c.data)).toEqual([2, 4])
  })

  test('constructor checks that storage fits the shape', () => {
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(
      'Tensor: storage of 3 elements does not fit shape [2,2] (4 elements)',
    )
  })
})
