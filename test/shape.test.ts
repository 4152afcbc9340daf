/**
 * Errors and edge cases of src/ops/shape.ts (forward values and gradients are in the op table,
 * test/table/shape.rows.ts).
 */
import { arange, tapeOf, tensor, zeros, type Tensor } from '../src/index.js'
import { broadcastTo, flatten, reshape, squeeze, unsqueeze } from '../src/ops/index.js'

const f64 = (shape: number[]) => arange(sizeOfShape(shape), undefined, 1, { dtype: 'float64' }).reshape(shape)
function sizeOfShape(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
function leaf(shape: number[]): Tensor {
  const x = f64(shape).clone()
  x.requiresGrad = true
  return x
}

describe('reshape', () => {
  test('a size mismatch names both shapes and both sizes', () => {
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrow(
      'reshape: cannot reshape [2,3] (6 elements) to [4,2] (8 elements)',
    )
  })
  test('-1 that cannot be inferred', () => {
    expect(() => reshape(zeros([2, 3]), [4, -1])).toThrow(
      'reshape: cannot reshape [2,3] (6 elements) to [4,-1]: 6 is not a multiple of 4',
    )
    expect(() => reshape(zeros([0, 3]), [0, -1])).toThrow(/reshape: cannot reshape \[0,3\].*ambiguous/)
    expect(() => reshape(zeros([2, 3]), [-1, -1])).toThrow('reshape: only one size may be -1, got shape [-1,-1]')
  })
  test('invalid sizes', () => {
    expect(() => reshape(zeros([4]), [2, 1.5])).toThrow('reshape: invalid shape [2,1.5]')
    expect(() => reshape(zeros([4]), [-2, -2])).toThrow('reshape: invalid shape [-2,-2]')
    expect(() => reshape(zeros([4]), 4 as unknown as number[])).toThrow('reshape: shape must be an array')
    expect(() => reshape([1, 2] as unknown as Tensor, [2])).toThrow('reshape: x must be a Tensor')
  })
  test('is a view of the same storage (documented), with the new shape', () => {
    const x = f64([2, 3])
    const y = reshape(x, [3, 2])
    expect(y.data).toBe(x.data)
    expect(y.shape).toEqual([3, 2])
    expect(x.shape).toEqual([2, 3])
    x.data[0] = 42 // an in-place write (what an optimizer step does) shows through the view
    expect(y.data[0]).toBe(42)
  })
  test('0-d and empty tensors', () => {
    expect(reshape(tensor(3), [1, 1, 1]).shape).toEqual([1, 1, 1])
    expect(reshape(tensor([[[5]]]), []).shape).toEqual([])
    expect(reshape(tensor([[[5]]]), []).item()).toBe(5)
    expect(reshape(zeros([0]), [2, 0, 3]).shape).toEqual([2, 0, 3])
    expect(reshape(zeros([2, 0]), [-1]).shape).toEqual([0])
  })
  test('keeps float32', () => {
    expect(reshape(zeros([4]), [2, 2]).dtype).toBe('float32')
  })
  test('the gradient is g read back in the input shape', () => {
    const x = leaf([2, 3])
    const w = f64([3, 2]) // weights 0..5 in the reshaped layout are 0..5 in x's layout too
    reshape(x, [3, 2]).mul(w).sum().backward()
    expect(x.grad!.shape).toEqual([2, 3])
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 2, 3, 4, 5])
  })
  test('records one reshape entry only when a gradient is needed', () => {
    expect(reshape(f64([4]), [2, 2]).entry).toBeNull()
    const y = reshape(leaf([4]), [2, 2])
    expect(tapeOf(y).entries.map((e) => e.op)).toEqual(['reshape'])
  })
})

describe('flatten', () => {
  test('axes out of range, in the wrong order, or on a 0-d tensor', () => {
    expect(() => flatten(zeros([2, 3]), 2)).toThrow(
      'flatten: startAxis 2 is out of range for shape [2,3] (expected an integer in [-2, 1])',
    )
    expect(() => flatten(zeros([2, 3]), 0, -3)).toThrow('flatten: endAxis -3 is out of range for shape [2,3]')
    expect(() => flatten(zeros([2, 3, 4]), 2, 1)).toThrow(
      'flatten: startAxis 2 comes after endAxis 1 for shape [2,3,4]',
    )
    expect(() => flatten(tensor(1), 1)).toThrow('flatten: axis 1 is out of range for shape []')
  })
  test('empty axes multiply to 0', () => {
    expect(flatten(zeros([2, 0, 3]), 1).shape).toEqual([2, 0])
  })
  test('is a view (a reshape)', () => {
    const x = f64([2, 2])
    expect(flatten(x).data).toBe(x.data)
  })
})

describe('squeeze', () => {
  test('an axis that is not of size 1 is an error', () => {
    expect(() => squeeze(zeros([1, 3]), 1)).toThrow(
      'squeeze: cannot squeeze axis 1 of shape [1,3]: its size is 3, not 1',
    )
    expect(() => squeeze(zeros([1, 3]), [0, -1])).toThrow(
      'squeeze: cannot squeeze axis -1 of shape [1,3]: its size is 3, not 1',
    )
  })
  test('out-of-range and repeated axes', () => {
    expect(() => squeeze(zeros([1, 3]), 2)).toThrow('squeeze: axis 2 is out of range for shape [1,3]')
    expect(() => squeeze(zeros([1, 1]), [0, -2])).toThrow('squeeze: axis -2 repeated in [0,-2]')
    expect(() => squeeze(tensor(1), 0)).toThrow(
      'squeeze: axis 0 is out of range for shape [] (a 0-d tensor has no axes)',
    )
  })
  test('0-d stays 0-d; empty axes are not squeezed', () => {
    expect(squeeze(tensor(2)).shape).toEqual([])
    expect(squeeze(zeros([1, 0, 1])).shape).toEqual([0])
  })
  test('gradient of a squeezed tensor has the original shape', () => {
    const x = leaf([1, 3, 1])
    squeeze(x).sum().backward()
    expect(x.grad!.shape).toEqual([1, 3, 1])
    expect(Array.from(x.grad!.data)).toEqual([1, 1, 1])
  })
})

describe('unsqueeze', () => {
  test('range is [-ndim-1, ndim]', () => {
    expect(unsqueeze(zeros([2, 3]), 2).shape).toEqual([2, 3, 1])
    expect(unsqueeze(zeros([2, 3]), -3).shape).toEqual([1, 2, 3])
    expect(() => unsqueeze(zeros([2, 3]), 3)).toThrow(
      'unsqueeze: axis 3 is out of range for shape [2,3] (expected an integer in [-3, 2])',
    )
    expect(() => unsqueeze(zeros([2, 3]), -4)).toThrow('unsqueeze: axis -4 is out of range for shape [2,3]')
    expect(() => unsqueeze(zeros([2]), 0.5)).toThrow('unsqueeze: axis 0.5 is out of range')
  })
  test('0-d', () => {
    expect(unsqueeze(tensor(1), -1).shape).toEqual([1])
    expect(() => unsqueeze(tensor(1), 1)).toThrow(
      'unsqueeze: axis 1 is out of range for shape [] (expected an integer in [-1, 0])',
    )
  })
})

describe('broadcastTo', () => {
  test('incompatible shapes name both shapes and the axis', () => {
    expect(() => broadcastTo(zeros([2, 3]), [2, 4])).toThrow(
      'broadcastTo: cannot broadcast [2,3] to [2,4] (axis -1: size 3 cannot become 4; only axes of size 1 are repeated)',
    )
    expect(() => broadcastTo(zeros([2, 3]), [1, 3])).toThrow(
      'broadcastTo: cannot broadcast [2,3] to [1,3] (axis -2: size 2 cannot become 1',
    )
    expect(() => broadcastTo(zeros([2, 3]), [3])).toThrow(
      'broadcastTo: cannot broadcast [2,3] to [3]: the target has fewer axes (1 < 2)',
    )
    expect(() => broadcastTo(zeros([3]), [2, -3])).toThrow('broadcastTo: invalid target shape [2,-3]')
  })
  test('the result is a copy when the shape changes', () => {
    const x = f64([3])
    const y = broadcastTo(x, [2, 3])
    x.data[0] = 100
    expect(Array.from(y.data)).toEqual([0, 1, 2, 0, 1, 2])
  })
  test('gradient: g summed over the repeated axes (the multiplicity for a sum)', () => {
    const x = leaf([3, 1])
    broadcastTo(x, [2, 3, 4]).sum().backward()
    expect(x.grad!.shape).toEqual([3, 1])
    expect(Array.from(x.grad!.data)).toEqual([8, 8, 8])
  })
  test('gradient with a cotangent, summed by hand', () => {
    const x = leaf([1, 3])
    const g = f64([2, 3]) // [[0,1,2],[3,4,5]]
    broadcastTo(x, [2, 3]).backward(g)
    expect(Array.from(x.grad!.data)).toEqual([0 + 3, 1 + 4, 2 + 5])
  })
  test('0-d to empty and empty to empty', () => {
    expect(broadcastTo(tensor(1), [2, 0]).shape).toEqual([2, 0])
    expect(broadcastTo(zeros([0]), [3, 0]).shape).toEqual([3, 0])
  })
})
