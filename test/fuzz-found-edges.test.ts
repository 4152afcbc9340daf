/**
 * Regression tests for what the fuzz rows of slice, gather, indexSelect, pad, crossEntropy,
 * binaryCrossEntropyWithLogits, conv1d and adaptiveAvgPool2d found (test/fuzz.test.ts lists each
 * with what it did before the fix). Expected values are PyTorch's / NumPy's.
 */
import {
  adaptiveAvgPool2d,
  binaryCrossEntropyWithLogits,
  conv1d,
  crossEntropy,
  gather,
  indexSelect,
  pad,
  slice,
  sum,
  Tensor,
} from '../src/index.js'

const f32 = (values: number[], shape: number[]) => new Tensor(Float32Array.from(values), shape)
const f64 = (values: number[], shape: number[]) => new Tensor(Float64Array.from(values), shape)

test('slice: a null step is 1, as Python None (x[::None] in NumPy)', () => {
  const x = f64([0, 1, 2, 3, 4], [5])
  expect(Array.from(slice(x, [[1, null, null] as unknown as [number, null, number]]).data)).toEqual([1, 2, 3, 4])
  expect(Array.from(slice(x, [[null, 3, undefined]]).data)).toEqual([0, 1, 2])
})

test('gather / indexSelect: ragged nested indices are refused under the op name', () => {
  const x = f32([1, 2, 3], [3])
  expect(() => gather(x, [[], [0]])).toThrow(/^gather: indices ragged nested array/)
  expect(() => indexSelect(x, 0, [[0], [1, 2]])).toThrow(/^indexSelect: indices ragged nested array/)
})

test('pad: a fill value of −0 is −0 (np.pad with constant_values=-0.0)', () => {
  const out = pad(f64([0, 0, 0], [3]), [[0, 1]], -0)
  expect(Object.is(out.data[3], -0)).toBe(true)
})

test('pad: an int32 tensor refuses a fill value outside int32 (it was stored modulo 2³²)', () => {
  const x = new Tensor(Int32Array.from([1, 2]), [2])
  expect(() => pad(x, [[1, 0]], 1e300)).toThrow(/^pad: value 1e\+300 does not fit in int32/)
  expect(() => pad(x, [[1, 0]], 2 ** 31)).toThrow(/^pad: value 2147483648 does not fit in int32/)
  expect(Array.from(pad(x, [[1, 0]], -(2 ** 31)).data)).toEqual([-(2 ** 31), 1, 2])
})

test('crossEntropy: a −∞ logit at another class does not make the label loss NaN', () => {
  // PyTorch: F.cross_entropy(tensor([[0., 0., -inf]]), tensor([0])) = log 2.
  const x = f32([0, 0, -Infinity], [1, 3])
  expect(crossEntropy(x, [0]).item()).toBeCloseTo(Math.LN2, 6)
  const y = f32([0, 0, -Infinity], [1, 3]).setRequiresGrad()
  crossEntropy(y, [1]).backward()
  expect(Array.from(y.grad!.data, (v) => v + 0)).toEqual([0.5, -0.5, 0])
})

test('binaryCrossEntropyWithLogits: infinite logits give the limit, not ∞ − ∞', () => {
  const x = f32([Infinity, Infinity, -Infinity, -Infinity, 3], [5])
  const t = f32([0, 0.5, 1, 0.25, 1], [5])
  const got = Array.from(binaryCrossEntropyWithLogits(x, t, 'none').data)
  // PyTorch gives ∞ at (+∞, 0) and (+∞, 0.5); at x = −∞ its spelling is NaN, the limit −t·x = ∞.
  expect(got.slice(0, 4)).toEqual([Infinity, Infinity, Infinity, Infinity])
  expect(got[4]).toBeCloseTo(Math.log1p(Math.exp(-3)), 6)
  // The gradient stays σ(x) − t on finite logits.
  const z = f64([-2, 0, 5], [3]).setRequiresGrad()
  sum(binaryCrossEntropyWithLogits(z, f64([1, 0.5, 0], [3]), 'none')).backward()
  const sig = (v: number) => 1 / (1 + Math.exp(-v))
  expect(Array.from(z.grad!.data).map((v) => +v.toFixed(12) + 0)).toEqual(
    [sig(-2) - 1, 0, sig(5)].map((v) => +v.toFixed(12) + 0),
  )
})

test('conv1d: mixed dtypes are refused by conv1d, not by the conv2d inside it', () => {
  const x = f64([1, 2, 3], [1, 1, 3])
  expect(() => conv1d(x, f32([1, 1], [1, 1, 2]))).toThrow(
    /^conv1d: dtype mismatch: float64 \[1,1,3\] and float32 \[1,1,2\]/,
  )
  expect(() => conv1d(x, f64([1, 1], [1, 1, 2]), f32([0], [1]))).toThrow(
    /^conv1d: dtype mismatch: float64 \[1,1,3\] and bias float32 \[1\]/,
  )
})

test('adaptiveAvgPool2d: an ∞ or NaN stays in its own windows', () => {
  // PyTorch: F.adaptive_avg_pool2d(tensor([[[[1, inf, 3], [4, 5, 6], [7, 8, 9]]]]), 2) = [[inf, inf], [6, 7]].
  const x = f32([1, Infinity, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3])
  expect(Array.from(adaptiveAvgPool2d(x, 2).data)).toEqual([Infinity, Infinity, 6, 7])
  const y = f32([NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 5, 2])
  expect(Array.from(adaptiveAvgPool2d(y, [2, 1]).data)).toEqual([NaN, 0])
})
