/**
 * Reductions beyond the op table: axis errors, empty reductions, tie-splitting gradients, NaN,
 * stability of logsumexp at ±1000, float32 accumulation, keepdims shapes and the fast paths
 * against a brute-force reference on larger arrays.
 */
import { argmax, logsumexp, max, mean, min, sum, tensor, variance, zeros, type Tensor } from '../src/index.js'
import { average, largest, lse, refReduce, smallest, total, values, varianceOf } from './table/reduce.rows.js'
import { expectClose, numericGrad, tapeGrad } from './numeric-grad.js'

const f64 = { dtype: 'float64' as const }

/** Flattens nested arrays. */
function flatOf(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flatOf) : [x as number]
}

type Reducer = (x: Tensor, axis?: number | number[] | null, keepdims?: boolean) => Tensor
const reducers: [string, Reducer][] = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['min', min],
  ['logsumexp', logsumexp],
  ['variance', (x, a, k) => variance(x, a, k)],
]

describe('axis errors name the op, the axis and the shape', () => {
  const x = zeros([2, 3])
  test.each(reducers)('%s', (name, op) => {
    expect(() => op(x, 2)).toThrow(new RegExp(`^${name}: axis 2 is out of range for shape \\[2,3\\]`))
    expect(() => op(x, -3)).toThrow(new RegExp(`^${name}: axis -3 is out of range for shape \\[2,3\\]`))
    expect(() => op(x, [1, -1])).toThrow(
      new RegExp(`^${name}: axis -1 appears more than once in \\[1,-1\\] \\(shape \\[2,3\\]\\)`),
    )
    expect(() => op(x, [0, 0])).toThrow(/appears more than once/)
    expect(() => op(x, 0.5)).toThrow(new RegExp(`^${name}: axis 0.5 is not an integer for shape \\[2,3\\]`))
    expect(() => op(x, [0, 5])).toThrow(/axis 5 is out of range/)
    expect(() => op(tensor(1), 0)).toThrow(
      new RegExp(`^${name}: axis 0 is out of range for shape \\[\\] \\(a 0-d tensor has no axes\\)`),
    )
  })

  test('argmax', () => {
    expect(() => argmax(x, 2)).toThrow(/^argmax: axis 2 is out of range for shape \[2,3\]/)
    expect(() => argmax(x, -3)).toThrow(/^argmax: axis -3 is out of range/)
    expect(() => argmax(x, [0, 1] as unknown as number)).toThrow(
      /^argmax: axis must be one number or null, got \[0,1\] \(shape \[2,3\]\)/,
    )
  })

  test('not a tensor', () => {
    expect(() => sum([1, 2] as unknown as Tensor)).toThrow(/^sum: x must be a Tensor, got an array/)
    expect(() => variance(x, 0, false, NaN)).toThrow(
      /^variance: correction must be a finite number, got NaN \(shape \[2,3\]\)/,
    )
  })

  test('a failed call records nothing and leaves the input alone', () => {
    const a = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    )
    expect(() => sum(a, 7)).toThrow()
    expect(a.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(a.entry).toBeNull()
  })
})

describe('keepdims and output shapes', () => {
  const x = values([2, 3, 4])
  const cases: [number | number[] | null | undefined, number[], number[]][] = [
    [undefined, [], [1, 1, 1]],
    [null, [], [1, 1, 1]],
    [0, [3, 4], [1, 3, 4]],
    [-1, [2, 3], [2, 3, 1]],
    [[0, 2], [3], [1, 3, 1]],
    [[2, 0], [3], [1, 3, 1]],
    [[-2, -1], [2], [2, 1, 1]],
    [[], [2, 3, 4], [2, 3, 4]],
  ]
  test.each(reducers)('%s', (_name, op) => {
    for (const [axis, plain, kept] of cases) {
      expect(op(x, axis).shape).toEqual(plain)
      expect(op(x, axis, true).shape).toEqual(kept)
    }
  })
  test('argmax', () => {
    expect(argmax(x).shape).toEqual([])
    expect(argmax(x, null, true).shape).toEqual([1, 1, 1])
    expect(argmax(x, 1).shape).toEqual([2, 4])
    expect(argmax(x, -1, true).shape).toEqual([2, 3, 1])
  })
  test('keepdims output broadcasts back against the input', () => {
    const m = mean(x, [0, 2], true)
    const centred = x.sub(m)
    expectClose(sum(centred, [0, 2]).data, [0, 0, 0], 1e-12)
  })
})

describe('fast paths agree with the brute-force reference on larger arrays', () => {
  const shapes: [number[], (number | number[] | null)[]][] = [
    [
      [7, 13],
      [0, 1, -1, null],
    ],
    [
      [5, 6, 7],
      [0, 1, 2, [0, 1], [1, 2], [0, 2], null],
    ],
    [
      [3, 1, 4, 1, 5],
      [
        [0, 2],
        [2, 4],
        [0, 4],
        [1, 3],
        [0, 2, 4],
      ],
    ],
    [
      [2, 3, 4, 5],
      [
        [0, 2],
        [1, 3],
        [0, 3],
        [0, 1, 3],
      ],
    ],
    // long rows and many rows: the unrolled loops (4 accumulators, 4 rows at a time)
    [
      [3, 70],
      [0, 1, -1, null],
    ],
    [
      [70, 3],
      [0, 1],
    ],
    [
      [4, 37, 2],
      [1, [0, 1]],
    ],
  ]
  const refs: [string, Reducer, (v: number[]) => number][] = [
    ['sum', sum, total],
    ['mean', mean, average],
    ['max', max, largest],
    ['min', min, smallest],
    ['logsumexp', logsumexp, lse],
    ['variance', (x, a, k) => variance(x, a, k), varianceOf(0)],
  ]
  test.each(refs)('%s', (_name, op, fn) => {
    for (const [shape, axes] of shapes) {
      const x = values(shape, 3)
      for (const axis of axes) {
        for (const keepdims of [false, true]) {
          expectClose(op(x, axis, keepdims).data, flatOf(refReduce(x, axis, keepdims, fn)), 1e-12)
        }
      }
    }
  })
})

describe('gradients match finite differences', () => {
  const axes: (number | number[] | null)[] = [null, 0, -1, [0, 2], [1, 2], 1]
  test.each(reducers)('%s over several axis patterns', (_name, op) => {
    const x = values([2, 3, 4], 1)
    for (const axis of axes) {
      // Weight the output so that every output element gets a different cotangent.
      const f = (t: Tensor) => {
        const y = op(t, axis)
        const w = tensor(
          Array.from({ length: y.size }, (_, i) => 1 + 0.5 * i),
          { shape: y.shape, dtype: 'float64' },
        )
        return sum(y.mul(w))
      }
      expectClose(tapeGrad(f, x), numericGrad(f, x), 1e-6)
    }
  })
})

describe('max and min gradients at ties: split equally (PyTorch amax/amin)', () => {
  test('max([1, 3, 3]) sends ½ to each 3', () => {
    expect(tapeGrad((x) => max(x), tensor([1, 3, 3]))).toEqual([0, 0.5, 0.5])
  })
  test('min over an axis with a three-way tie', () => {
    const g = tapeGrad(
      (x) =>
        min(x, 1)
          .mul(tensor([3, 1]))
          .sum(),
      tensor([
        [2, 2, 2],
        [0, 5, -1],
      ]),
    )
    expect(g).toEqual([1, 1, 1, 0, 0, 1])
  })
  test('max over several axes with ties across them', () => {
    // [[[4, 1], [4, 0]], [[2, 7], [7, 7]]] max over axes [1, 2]: 4 twice, 7 three times.
    const g = tapeGrad(
      (x) => max(x, [1, 2]).sum(),
      tensor([
        [
          [4, 1],
          [4, 0],
        ],
        [
          [2, 7],
          [7, 7],
        ],
      ]),
    )
    expectClose(g, [0.5, 0, 0.5, 0, 0, 1 / 3, 1 / 3, 1 / 3], 1e-7)
  })
  test('max over the first axis (inner > 1) with ties in each column', () => {
    const g = tapeGrad(
      (x) =>
        max(x, 0)
          .mul(tensor([2, 4]))
          .sum(),
      tensor([
        [1, 5],
        [1, 2],
        [0, 5],
      ]),
    )
    expect(g).toEqual([1, 2, 1, 0, 0, 2])
  })
  test('max over non-adjacent axes [0, 2] with ties', () => {
    // x[i][j][k]: for j = 0 the values are {3, 3, 1, 3}, for j = 1 {0, 2, 2, -1}.
    const g = tapeGrad(
      (x) => max(x, [0, 2]).sum(),
      tensor([
        [
          [3, 3],
          [0, 2],
        ],
        [
          [1, 3],
          [2, -1],
        ],
      ]),
    )
    expectClose(g, [1 / 3, 1 / 3, 0, 0.5, 0, 1 / 3, 0.5, 0], 1e-7)
  })
})

describe('empty reductions', () => {
  test('sum of nothing is 0', () => {
    expect(sum(zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0])
    expect(sum(zeros([0])).item()).toBe(0)
    expect(sum(zeros([3, 0]), 1).toArray()).toEqual([0, 0, 0])
  })
  test('sum over a non-empty axis of an empty tensor stays empty', () => {
    expect(sum(zeros([0, 3]), 1).shape).toEqual([0])
    expect(max(zeros([0, 3]), 1).shape).toEqual([0])
  })
  test('max/min of nothing is an error naming the op and the shape', () => {
    expect(() => max(zeros([0, 3]), 0)).toThrow(
      /^max: cannot reduce over zero elements \(axes \[0\] of shape \[0,3\]\)/,
    )
    expect(() => min(zeros([0]))).toThrow(/^min: cannot reduce over zero elements .*shape \[0\]/)
    expect(() => argmax(zeros([2, 0]), 1)).toThrow(
      /^argmax: cannot take the argmax of zero elements \(shape \[2,0\], axis 1\)/,
    )
  })
  test('mean of nothing is NaN, logsumexp of nothing is -∞ (as NumPy/SciPy)', () => {
    expect(mean(zeros([0])).item()).toBeNaN()
    expect(logsumexp(zeros([0, 2]), 0).toArray()).toEqual([-Infinity, -Infinity])
  })
})

describe('NaN and infinities', () => {
  test('max/min propagate NaN', () => {
    expect(max(tensor([1, NaN, 3])).item()).toBeNaN()
    expect(
      min(
        tensor([
          [NaN, 1],
          [2, 3],
        ]),
        1,
      ).toArray(),
    ).toEqual([NaN, 2])
  })
  test('NaN propagates through the unrolled long-row and row-update loops', () => {
    const row = Array.from({ length: 100 }, (_, i) => i)
    row[57] = NaN
    expect(max(tensor(row)).item()).toBeNaN()
    expect(min(tensor(row)).item()).toBeNaN()
    const cols = tensor(row, { shape: [50, 2] })
    expect(max(cols, 0).toArray()).toEqual([98, NaN])
    expect(min(cols, 0).toArray()).toEqual([0, NaN])
  })
  test('argmax returns the first NaN (NumPy)', () => {
    expect(argmax(tensor([1, NaN, 3, NaN])).item()).toBe(1)
  })
  test('logsumexp with -∞ and +∞ entries', () => {
    expect(logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity)
    expect(logsumexp(tensor([-Infinity, 0])).item()).toBe(0)
    expect(logsumexp(tensor([Infinity, 0])).item()).toBe(Infinity)
  })
})

describe('logsumexp is stable at ±1000', () => {
  test.each(['float32', 'float64'] as const)('%s: value, finite and correct gradient', (dtype) => {
    const f = (x: Tensor) => logsumexp(x, 1).sum()
    const x = tensor(
      [
        [1000, 1000, -1000],
        [-1000, -1000, -1000],
        [1000, -1000, 0],
      ],
      { dtype },
    )
    const y = logsumexp(x, 1)
    expectClose(y.data, [1000 + Math.LN2, -1000 + Math.log(3), 1000], dtype === 'float32' ? 1e-7 : 1e-15)
    // ∂/∂x = softmax(x) along the axis, worked out by hand.
    expectClose(tapeGrad(f, x), [0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3, 1, 0, 0], dtype === 'float32' ? 1e-7 : 1e-15)
  })
  test('float64 gradient near ±1000 matches finite differences', () => {
    const x = tensor(
      [
        [1000, 999.5, -1000],
        [-1000.25, -999, -1000],
      ],
      f64,
    )
    const f = (t: Tensor) =>
      logsumexp(t, -1)
        .mul(tensor([1, 2], f64))
        .sum()
    expectClose(tapeGrad(f, x), numericGrad(f, x), 1e-6)
  })
})

describe('float32', () => {
  test('sums accumulate in float64 and round once (last axis and first axis)', () => {
    const n = 1_000_000
    const x = tensor(new Float32Array(n).fill(0.1))
    // A float32 running sum of 10⁶ × 0.1f drifts to ≈ 100958; float64 accumulation gives 100000.0015.
    expect(Math.abs(sum(x).item() - 100000)).toBeLessThan(0.01)
    const cols = tensor(new Float32Array(n).fill(0.1), { shape: [n / 2, 2] })
    expectClose(sum(cols, 0).data, [50000, 50000], 1e-7)
    expect(Math.abs(mean(x).item() - Math.fround(0.1))).toBeLessThan(1e-8)
  })
  test('results keep the input dtype', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ])
    for (const [, op] of reducers) expect(op(x, 0).dtype).toBe('float32')
    expect(argmax(x, 0).dtype).toBe('int32') // indices: int32 whatever the input's dtype
    expect(sum(tensor([1, 2], f64)).dtype).toBe('float64')
    expect(argmax(tensor([1, 2], f64)).dtype).toBe('int32')
  })
})

describe('argmax', () => {
  test('is not differentiable: requiresGrad false even when the input requires it', () => {
    const x = tensor(
      [
        [1, 5],
        [7, 2],
      ],
      { requiresGrad: true },
    )
    const i = argmax(x, 1)
    expect(i.requiresGrad).toBe(false)
    expect(i.entry).toBeNull()
    expect(i.toArray()).toEqual([1, 0])
  })
  test('flat index over all axes, first maximal index wins', () => {
    expect(
      argmax(
        tensor([
          [0, 4, 1],
          [4, 2, 0],
        ]),
      ).item(),
    ).toBe(1)
    expect(
      argmax(
        tensor([
          [0, 1, 1],
          [4, 2, 5],
        ]),
      ).item(),
    ).toBe(5)
    expect(argmax(tensor(3)).item()).toBe(0)
  })
})

describe('variance', () => {
  test('correction 0 (NumPy/JAX) by default, correction 1 is PyTorch’s unbiased', () => {
    const x = tensor([2, 4, 4, 4, 5, 5, 7, 9], f64)
    expect(variance(x).item()).toBe(4)
    expect(variance(x, 0, false, 1).item()).toBeCloseTo(32 / 7, 14)
  })
  test('n − correction ≤ 0 gives NaN or +∞ as NumPy', () => {
    expect(variance(tensor([5]), null, false, 1).item()).toBeNaN()
    expect(variance(tensor([1, 3]), null, false, 3).item()).toBe(Infinity)
  })
  test('the fluent .var() is the same function', () => {
    const x = values([3, 4])
    expect(Array.from(x.var(1, true, 1).data)).toEqual(Array.from(variance(x, 1, true, 1).data))
  })
})

test('argmax over a non-empty axis of an empty tensor is an empty result (as NumPy), not an error — found by the fuzz table', () => {
  const r = argmax(zeros([0, 1]), 1)
  expect(r.shape).toEqual([0])
  expect(r.dtype).toBe('int32')
  expect(() => argmax(zeros([1, 0]), 1)).toThrow(/^argmax: cannot take the argmax of zero elements/)
})
