/**
 * Errors and edge cases of src/ops/indexing.ts (forward values and gradients of the usual cases
 * are in the op table, test/table/indexing.rows.ts).
 */
import { arange, tensor, zeros, type Tensor } from '../src/index.js'
import { concat, gather, indexSelect, slice, split, stack, type SliceSpec } from '../src/ops/index.js'

/** [[0,1,2,3],[10,11,12,13],[20,21,22,23]]: each value names its position. */
const grid = () =>
  tensor(
    [
      [0, 1, 2, 3],
      [10, 11, 12, 13],
      [20, 21, 22, 23],
    ],
    { dtype: 'float64' },
  )
function leaf(t: Tensor): Tensor {
  t.requiresGrad = true
  return t
}

describe('slice', () => {
  test('bad specs name the op, the axis and the shape', () => {
    const x = grid()
    expect(() => slice(x, [0, 0, 0])).toThrow('slice: 3 specs given for shape [3,4], which has 2 axes')
    expect(() => slice(x, [3])).toThrow('slice: index 3 is out of range for axis 0 of size 3 (shape [3,4])')
    expect(() => slice(x, [null, -5])).toThrow('slice: index -5 is out of range for axis 1 of size 4 (shape [3,4])')
    expect(() => slice(x, [1.5])).toThrow('slice: index 1.5 for axis 0 is not an integer (shape [3,4])')
    expect(() => slice(x, [[0, 2, 0]])).toThrow(
      'slice: step must be a non-zero integer, got [0, 2, 0] for axis 0 (shape [3,4])',
    )
    expect(() => slice(x, [[0.5, 2]])).toThrow('slice: bounds must be integers or null, got [0.5, 2] for axis 0')
    expect(() => slice(x, ['1:2' as unknown as SliceSpec])).toThrow(
      "slice: spec for axis 0 must be null, an integer index or [start, stop, step], got '1:2'",
    )
    expect(() => slice(x, 1 as unknown as SliceSpec[])).toThrow('slice: ranges must be an array')
    expect(() => slice(tensor(1), [0])).toThrow('slice: 1 spec given for shape [], which has 0 axes')
  })
  test('empty results keep the other axes, and their gradient is zeros', () => {
    const x = leaf(grid())
    const y = slice(x, [null, [3, 1]])
    expect(y.shape).toEqual([3, 0])
    expect(y.size).toBe(0)
    y.sum().backward()
    expect(x.grad!.shape).toEqual([3, 4])
    expect(Array.from(x.grad!.data)).toEqual(new Array(12).fill(0))
    expect(slice(zeros([0, 2]), [[1, 5]]).shape).toEqual([0, 2])
  })
  test('the result is a copy: writing into x later does not change it', () => {
    const x = grid()
    const y = slice(x, [[0, 2]]) // a contiguous block (fast path)
    const z = slice(x, [null, [1, 3]]) // strided
    x.data.fill(-1)
    expect(y.toArray()).toEqual([
      [0, 1, 2, 3],
      [10, 11, 12, 13],
    ])
    expect(z.toArray()).toEqual([
      [1, 2],
      [11, 12],
      [21, 22],
    ])
  })
  test('the gradient lands where the values were read, by hand', () => {
    const x = leaf(grid())
    slice(x, [[1], [null, null, 2]])
      .sum()
      .backward()
    expect(x.grad!.toArray()).toEqual([
      [0, 0, 0, 0],
      [1, 0, 1, 0],
      [1, 0, 1, 0],
    ])
  })
  test('reversed slices', () => {
    expect(slice(arange(5), [[null, null, -1]]).toArray()).toEqual([4, 3, 2, 1, 0])
    expect(slice(arange(5), [[-2, null, -2]]).toArray()).toEqual([3, 1])
    expect(slice(arange(5), [[1, 3, -1]]).toArray()).toEqual([])
    expect(slice(arange(5), [[10, -10, -3]]).toArray()).toEqual([4, 1])
  })
  test('0-d in, 0-d out; picking every axis gives 0-d', () => {
    expect(slice(tensor(4), []).item()).toBe(4)
    const p = slice(grid(), [2, -1])
    expect(p.shape).toEqual([])
    expect(p.item()).toBe(23)
  })
  test('keeps float32; undefined counts as a whole axis', () => {
    const y = slice(zeros([2, 3]), [undefined as unknown as SliceSpec, [1]])
    expect(y.dtype).toBe('float32')
    expect(y.shape).toEqual([2, 2])
  })
})

describe('gather', () => {
  test('an out-of-range index names the op, the index, the axis and the shape', () => {
    expect(() => gather(grid(), [0, 3])).toThrow('gather: index 3 is out of range for axis 0 of size 3 (shape [3,4])')
    expect(() => gather(grid(), [-5], 1)).toThrow('gather: index -5 is out of range for axis 1 of size 4 (shape [3,4])')
  })
  test('non-integer indices and bad index containers', () => {
    expect(() => gather(grid(), [0, 1.5])).toThrow('gather: index 1.5 at position 1 of indices [2] is not an integer')
    expect(() => gather(grid(), tensor([0, NaN]))).toThrow(
      'gather: index NaN at position 1 of indices [2] is not an integer',
    )
    expect(() => gather(grid(), ['1'] as unknown as number[])).toThrow(
      "gather: index '1' at position 0 of indices [1] is not an integer",
    )
    expect(() => gather(grid(), null as unknown as number[])).toThrow(
      'gather: indices must be a Tensor, an array or a typed array of integers, got null',
    )
  })
  test('axis errors, and 0-d x', () => {
    expect(() => gather(grid(), [0], 2)).toThrow(
      'gather: axis 2 is out of range for shape [3,4] (expected an integer in [-2, 1])',
    )
    expect(() => gather(tensor(1), [0])).toThrow(
      'gather: axis 0 is out of range for shape [] (a 0-d tensor has no axes)',
    )
  })
  test('repeated indices accumulate their gradients (embedding)', () => {
    const table = leaf(
      tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
        { dtype: 'float64' },
      ),
    )
    gather(table, [1, 1, 3, -3]).sum().backward()
    expect(table.grad!.toArray()).toEqual([
      [0, 0],
      [3, 3],
      [0, 0],
      [1, 1],
    ])
  })
  test('index containers: number, Int32Array, Float32 tensor, nested arrays', () => {
    const x = grid()
    expect(gather(x, 2).toArray()).toEqual([20, 21, 22, 23])
    expect(gather(x, new Int32Array([2, 0])).toArray()).toEqual([
      [20, 21, 22, 23],
      [0, 1, 2, 3],
    ])
    expect(gather(x, tensor([[1], [0]]), 1).toArray()).toEqual([
      [[1], [0]],
      [[11], [10]],
      [[21], [20]],
    ])
    expect(
      gather(
        x,
        [
          [0, 0],
          [2, 1],
        ],
        0,
      ).shape,
    ).toEqual([2, 2, 4])
  })
  test('no gradient flows to the indices, and nothing is recorded without requiresGrad', () => {
    const idx = leaf(tensor([0, 1], { dtype: 'float64' }))
    const y = gather(grid(), idx)
    expect(y.entry).toBeNull()
    expect(y.requiresGrad).toBe(false)
  })
})

describe('indexSelect', () => {
  test('indices must be 1-D', () => {
    expect(() => indexSelect(grid(), 0, [[0, 1]])).toThrow(
      'indexSelect: indices must be 1-D, got shape [1,2] (use gather for more)',
    )
    expect(() => indexSelect(grid(), 0, 1)).toThrow('indexSelect: indices must be 1-D, got shape []')
  })
  test('errors name indexSelect', () => {
    expect(() => indexSelect(grid(), 1, [4])).toThrow(
      'indexSelect: index 4 is out of range for axis 1 of size 4 (shape [3,4])',
    )
    expect(() => indexSelect(grid(), -3, [0])).toThrow('indexSelect: axis -3 is out of range for shape [3,4]')
  })
})

describe('concat', () => {
  test('shapes that differ off the concat axis name the op and all shapes', () => {
    expect(() => concat([zeros([2, 3]), zeros([2, 4])])).toThrow(
      'concat: shapes [2,3] and [2,4] differ on axis 1 (not the concat axis 0)',
    )
    expect(() => concat([zeros([2, 3]), zeros([2, 3]), zeros([3, 4])], 1)).toThrow(
      'concat: shapes [2,3] and [3,4] differ on axis 0 (not the concat axis 1); all shapes: [2,3], [2,3], [3,4]',
    )
    expect(() => concat([zeros([2, 3]), zeros([3])])).toThrow(
      'concat: shapes [2,3] and [3] have different numbers of axes (2 ≠ 1)',
    )
  })
  test('bad arguments', () => {
    expect(() => concat([])).toThrow('concat: expected a non-empty array of Tensors, got an empty array')
    expect(() => concat([zeros([2]), [1, 2] as unknown as Tensor])).toThrow(
      'concat: element 1 is object, expected a Tensor',
    )
    expect(() => concat([tensor(1), tensor(2)])).toThrow(
      'concat: 0-d tensors cannot be concatenated (shape []); use stack',
    )
    expect(() => concat([zeros([2]), zeros([2])], 1)).toThrow('concat: axis 1 is out of range for shape [2]')
    expect(() => concat([zeros([2]), zeros([2], { dtype: 'float64' })])).toThrow(/^concat: dtype mismatch/)
  })
  test('the result is a new array; gradients split back per input', () => {
    const a = leaf(tensor([[1, 2]], { dtype: 'float64' }))
    const b = leaf(
      tensor(
        [
          [3, 4],
          [5, 6],
        ],
        { dtype: 'float64' },
      ),
    )
    const y = concat([a, b])
    expect(y.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    y.backward(
      tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { dtype: 'float64' },
      ),
    )
    expect(a.grad!.toArray()).toEqual([[1, 2]])
    expect(b.grad!.toArray()).toEqual([
      [3, 4],
      [5, 6],
    ])
  })
  test('along axis 1 with a constant (no-gradient) input', () => {
    const a = leaf(tensor([[1], [2]], { dtype: 'float64' }))
    const c = tensor(
      [
        [7, 8],
        [9, 10],
      ],
      { dtype: 'float64' },
    )
    const y = concat([c, a], -1)
    expect(y.toArray()).toEqual([
      [7, 8, 1],
      [9, 10, 2],
    ])
    y.backward(
      tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { dtype: 'float64' },
      ),
    )
    expect(a.grad!.toArray()).toEqual([[3], [6]])
    expect(c.grad).toBeNull()
  })
})

describe('stack', () => {
  test('shapes must be equal', () => {
    expect(() => stack([zeros([2, 3]), zeros([2, 4])])).toThrow(
      'stack: shapes [2,3] and [2,4] differ (stack needs equal shapes)',
    )
    expect(() => stack([zeros([2]), zeros([2, 1])])).toThrow('stack: shapes [2] and [2,1] differ')
  })
  test('axis range is [-ndim-1, ndim] and the list must be non-empty', () => {
    expect(stack([zeros([2, 3]), zeros([2, 3])], 2).shape).toEqual([2, 3, 2])
    expect(stack([zeros([2, 3]), zeros([2, 3])], -3).shape).toEqual([2, 2, 3])
    expect(() => stack([zeros([2, 3])], 3)).toThrow(
      'stack: axis 3 is out of range for stacking shape [2,3] (expected an integer in [-3, 2])',
    )
    expect(() => stack([])).toThrow('stack: expected a non-empty array of Tensors')
  })
  test('gradient goes back to each input', () => {
    const a = leaf(tensor([1, 2], { dtype: 'float64' }))
    const b = leaf(tensor([3, 4], { dtype: 'float64' }))
    stack([a, b], 1).backward(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'float64' },
      ),
    )
    expect(a.grad!.toArray()).toEqual([1, 3])
    expect(b.grad!.toArray()).toEqual([2, 4])
  })
})

describe('split', () => {
  test('piece sizes: a chunk size (last piece smaller) or a list', () => {
    expect(split(arange(7), 3).map((t) => t.toArray())).toEqual([[0, 1, 2], [3, 4, 5], [6]])
    expect(split(arange(6), 3).map((t) => t.shape)).toEqual([[3], [3]])
    expect(split(arange(6), 10).map((t) => t.shape)).toEqual([[6]])
    expect(split(zeros([2, 5]), [1, 0, 4], -1).map((t) => t.shape)).toEqual([
      [2, 1],
      [2, 0],
      [2, 4],
    ])
    expect(split(zeros([0, 2]), 2).map((t) => t.shape)).toEqual([[0, 2]])
  })
  test('errors', () => {
    expect(() => split(zeros([2, 5]), [2, 2], 1)).toThrow(
      'split: sizes [2,2] sum to 4, but axis 1 of shape [2,5] has size 5',
    )
    expect(() => split(zeros([4]), 0)).toThrow('split: piece size must be a positive integer, got 0')
    expect(() => split(zeros([4]), 1.5)).toThrow('split: piece size must be a positive integer, got 1.5')
    expect(() => split(zeros([4]), [5, -1])).toThrow('split: sizes [5,-1] must be non-negative integers')
    expect(() => split(zeros([4]), 2, 1)).toThrow('split: axis 1 is out of range for shape [4]')
    expect(() => split(tensor(1), 1)).toThrow('split: axis 0 is out of range for shape []')
  })
  test('gradients from several pieces add up in x', () => {
    const x = leaf(grid())
    const [a, b] = split(x, [1, 3], 1)
    a.mul(2).sum().add(b.sum()).backward()
    expect(x.grad!.toArray()).toEqual([
      [2, 1, 1, 1],
      [2, 1, 1, 1],
      [2, 1, 1, 1],
    ])
  })
})
