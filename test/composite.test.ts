/**
 * softmax, logSoftmax and the losses beyond the op table: stability at logits ±1000 (finite
 * values, finite and correct gradients, float32 and float64), label validation, shape and
 * reduction errors, float32 behaviour.
 */
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  logSoftmax,
  mse,
  softmax,
  tensor,
  zeros,
  type Tensor,
} from '../src/index.js'
import { values } from './table/reduce.rows.js'
import { expectClose, numericGrad, tapeGrad } from './numeric-grad.js'

const f64 = { dtype: 'float64' as const }
const dtypes = ['float32', 'float64'] as const

function allFinite(xs: ArrayLike<number>): boolean {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) return false
  return true
}

const tolFor = (dtype: 'float32' | 'float64') => (dtype === 'float32' ? 1e-6 : 1e-14)

describe('stable at logits ±1000', () => {
  const logits = [
    [1000, -1000, 0],
    [-1000, 1000, 1000],
    [-1000, -1000, -1000],
  ]

  test.each(dtypes)('softmax (%s): values and gradient by hand', (dtype) => {
    const x = tensor(logits, { dtype })
    const p = softmax(x)
    expectClose(p.data, [1, 0, 0, 0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3], tolFor(dtype))
    // d/dx Σ w·softmax(x) = p ⊙ (w − Σ p·w); with w = [1, 2, 3] on every row.
    const w = tensor([1, 2, 3], { dtype })
    const g = tapeGrad((t) => softmax(t).mul(w).sum(), x)
    expect(allFinite(g)).toBe(true)
    expectClose(g, [0, 0, 0, 0, -0.25, 0.25, -1 / 3, 0, 1 / 3], tolFor(dtype))
  })

  test.each(dtypes)('logSoftmax (%s): values and gradient by hand', (dtype) => {
    const x = tensor(logits, { dtype })
    const l = logSoftmax(x)
    expect(allFinite(l.data)).toBe(true)
    expectClose(
      l.data,
      [0, -2000, -1000, -2000 - Math.LN2, -Math.LN2, -Math.LN2, -Math.log(3), -Math.log(3), -Math.log(3)],
      tolFor(dtype),
    )
    // d/dx Σ logSoftmax(x) = 1 − C·softmax(x) per row (C = 3).
    const g = tapeGrad((t) => logSoftmax(t).sum(), x)
    expectClose(g, [-2, 1, 1, 1, -0.5, -0.5, 0, 0, 0], tolFor(dtype))
  })

  test.each(dtypes)('crossEntropy with labels (%s): loss and gradient (softmax − onehot)/N', (dtype) => {
    const x = tensor(logits, { dtype })
    const labels = [1, 2, 0]
    const loss = crossEntropy(x, labels, { reduction: 'none' })
    expectClose(loss.data, [2000, Math.LN2, Math.log(3)], tolFor(dtype))
    const g = tapeGrad((t) => crossEntropy(t, labels), x)
    const p = [
      [1, 0, 0],
      [0, 0.5, 0.5],
      [1 / 3, 1 / 3, 1 / 3],
    ]
    const want = p.flatMap((row, i) => row.map((v, j) => (v - (j === labels[i] ? 1 : 0)) / 3))
    expectClose(g, want, tolFor(dtype))
  })

  test.each(dtypes)('crossEntropy with probabilities (%s)', (dtype) => {
    const x = tensor(logits, { dtype })
    const q = tensor(
      [
        [0, 0.5, 0.5],
        [0.5, 0.5, 0],
        [1, 0, 0],
      ],
      { dtype },
    )
    expectClose(crossEntropy(x, q, { reduction: 'none' }).data, [1500, 1000 + Math.LN2, Math.log(3)], tolFor(dtype))
    // ∂/∂x (sum reduction) = softmax(x) − q (q sums to 1 per row).
    const g = tapeGrad((t) => crossEntropy(t, q, { reduction: 'sum' }), x)
    expectClose(g, [1, -0.5, -0.5, -0.5, 0, 0.5, 1 / 3 - 1, 1 / 3, 1 / 3], tolFor(dtype))
  })

  test.each(dtypes)('binaryCrossEntropyWithLogits (%s): loss and gradient σ(x) − t', (dtype) => {
    const x = tensor([1000, -1000, 1000, -1000, 1000, 0], { dtype })
    const t = tensor([1, 1, 0, 0, 0.25, 0.25], { dtype })
    const loss = binaryCrossEntropyWithLogits(x, t, 'none')
    expectClose(loss.data, [0, 1000, 1000, 0, 750, Math.LN2], tolFor(dtype))
    const g = tapeGrad((v) => binaryCrossEntropyWithLogits(v, t, 'sum'), x)
    expectClose(g, [0, -1, 1, 0, 0.75, 0.25], tolFor(dtype))
  })

  test('float64 gradients near ±1000 match finite differences', () => {
    const x = tensor(
      [
        [1000, 999.7, -1000],
        [-1000.2, -999.9, 1000],
      ],
      f64,
    )
    const check = (f: (t: Tensor) => Tensor) => expectClose(tapeGrad(f, x), numericGrad(f, x), 1e-6)
    check((t) => crossEntropy(t, [1, 0]))
    check((t) =>
      softmax(t)
        .mul(tensor([1, -2, 3], f64))
        .sum(),
    )
    check((t) =>
      logSoftmax(t, 0)
        .mul(
          tensor(
            [
              [1, 2, 3],
              [4, 5, 6],
            ],
            f64,
          ),
        )
        .sum(),
    )
    check((t) =>
      binaryCrossEntropyWithLogits(
        t.mul(0.01),
        tensor(
          [
            [0, 1, 0.5],
            [1, 0, 0.5],
          ],
          f64,
        ),
      ),
    )
  })
})

describe('gradients match finite differences at ordinary values', () => {
  test('crossEntropy over class axis 1 of a [2,3,4] tensor', () => {
    const x = values([2, 3, 4])
    const labels = [0, 2, 1, 1, 2, 2, 0, 1]
    const f = (t: Tensor) => crossEntropy(t, labels, { axis: 1 })
    expectClose(tapeGrad(f, x), numericGrad(f, x), 1e-6)
  })
  test('crossEntropy with probabilities: gradient to the target is −logSoftmax(x)/N', () => {
    const x = values([2, 3])
    const q = tensor(
      [
        [0.2, 0.3, 0.5],
        [0.1, 0.1, 0.8],
      ],
      f64,
    )
    const g = tapeGrad((t) => crossEntropy(x, t), q)
    const l = logSoftmax(x)
    expectClose(
      g,
      Array.from(l.data).map((v) => -v / 2),
      1e-14,
    )
  })
  test('mse', () => {
    const t = values([3, 2], 5)
    const f = (p: Tensor) => mse(p, t)
    expectClose(tapeGrad(f, values([3, 2])), numericGrad(f, values([3, 2])), 1e-6)
  })
})

describe('label validation names the op and the shapes', () => {
  const x = zeros([2, 4])
  test('out-of-range class', () => {
    expect(() => crossEntropy(x, [0, 4])).toThrow(
      /^crossEntropy: label 4 at index 1 is out of range for 4 classes \(logits \[2,4\], class axis 1\)/,
    )
    expect(() => crossEntropy(x, [-1, 0])).toThrow(/^crossEntropy: label -1 at index 0 is out of range for 4 classes/)
    expect(() => crossEntropy(x, tensor([0, 9]))).toThrow(/label 9 at index 1 is out of range/)
  })
  test('non-integer label', () => {
    expect(() => crossEntropy(x, [0, 1.5])).toThrow(
      /^crossEntropy: label 1.5 at index 1 is not an integer class index \(logits \[2,4\]\)/,
    )
    expect(() => crossEntropy(x, [NaN, 1])).toThrow(/^crossEntropy: label NaN at index 0 is not an integer/)
    expect(() => crossEntropy(x, tensor([0.5, 1]))).toThrow(/label 0.5 at index 0 is not an integer/)
  })
  test('wrong label count or shape', () => {
    expect(() => crossEntropy(x, [0, 1, 2])).toThrow(
      /^crossEntropy: got 3 labels for logits \[2,4\] with class axis 1: expected 2 \(labels of shape \[2\]\)/,
    )
    expect(() => crossEntropy(x, Int32Array.from([1]))).toThrow(/got 1 labels for logits \[2,4\]/)
    expect(() => crossEntropy(x, tensor([1, 2, 3]))).toThrow(
      /^crossEntropy: labels of shape \[3\] do not fit logits \[2,4\] with class axis 1: expected labels of shape \[2\] or probabilities of shape \[2,4\]/,
    )
    expect(() => crossEntropy(x, zeros([2, 1]))).toThrow(
      /^crossEntropy: target \[2,1\] fits neither reading for logits \[2,4\]/,
    )
    expect(() => crossEntropy(values([2, 3, 4]), [0, 1], { axis: 1 })).toThrow(
      /got 2 labels for logits \[2,3,4\] with class axis 1: expected 8 \(labels of shape \[2,4\]\)/,
    )
  })
  test('other bad arguments', () => {
    expect(() => crossEntropy(x, [0, 1], { axis: 2 })).toThrow(
      /^crossEntropy: axis 2 is out of range for shape \[2,4\]/,
    )
    expect(() => crossEntropy(x, [0, 1], { reduction: 'avg' as 'mean' })).toThrow(
      /^crossEntropy: reduction must be 'mean', 'sum' or 'none', got 'avg'/,
    )
    expect(() => crossEntropy(tensor(1), [0])).toThrow(/^crossEntropy: logits must have a class axis, got a 0-d tensor/)
    expect(() => crossEntropy(x, 'cat' as unknown as number[])).toThrow(/^crossEntropy: target must be labels/)
    expect(() => crossEntropy(x, zeros([2, 4], f64))).toThrow(
      /^crossEntropy: dtype mismatch: input float32 \[2,4\] and target float64 \[2,4\]/,
    )
  })
})

describe('shape and argument errors of the other losses', () => {
  test('mse needs equal shapes (no silent [N,1] vs [N] broadcast)', () => {
    expect(() => mse(zeros([3, 1]), zeros([3]))).toThrow(
      /^mse: input \[3,1\] and target \[3\] must have the same shape/,
    )
    expect(() => mse(zeros([3]), zeros([3]), 'avg' as 'mean')).toThrow(
      /^mse: reduction must be 'mean', 'sum' or 'none', got 'avg'/,
    )
    expect(() => mse(zeros([3]), zeros([3], f64))).toThrow(/^mse: dtype mismatch/)
  })
  test('binaryCrossEntropyWithLogits needs equal shapes', () => {
    expect(() => binaryCrossEntropyWithLogits(zeros([2, 2]), zeros([4]))).toThrow(
      /^binaryCrossEntropyWithLogits: input \[2,2\] and target \[4\] must have the same shape/,
    )
  })
  test('softmax / logSoftmax axes', () => {
    expect(() => softmax(zeros([2, 3]), 2)).toThrow(/^softmax: axis 2 is out of range for shape \[2,3\]/)
    expect(() => logSoftmax(zeros([2, 3]), -3)).toThrow(/^logSoftmax: axis -3 is out of range for shape \[2,3\]/)
    expect(() => softmax(zeros([2, 3]), [0, 1] as unknown as number)).toThrow(/^softmax: axis must be an integer/)
  })
})

describe('reductions of the losses', () => {
  const x = values([3, 4])
  const labels = [3, 0, 2]
  test('mean = sum / N and none has one loss per sample', () => {
    const none = crossEntropy(x, labels, { reduction: 'none' })
    expect(none.shape).toEqual([3])
    const s = Array.from(none.data).reduce((a, b) => a + b, 0)
    expect(crossEntropy(x, labels, { reduction: 'sum' }).item()).toBeCloseTo(s, 12)
    expect(crossEntropy(x, labels).item()).toBeCloseTo(s / 3, 12)
  })
  test('a label tensor of any dtype is read as integers', () => {
    const a = crossEntropy(x, tensor([3, 0, 2], f64)).item()
    const b = crossEntropy(x, tensor([3, 0, 2])).item()
    expect(a).toBe(b)
  })
})

describe('float32', () => {
  test('softmax rows sum to 1 and keep float32', () => {
    const x = values([5, 7]).astype('float32')
    const p = softmax(x)
    expect(p.dtype).toBe('float32')
    for (let i = 0; i < 5; i++) {
      let s = 0
      for (let j = 0; j < 7; j++) s += p.data[i * 7 + j]
      expect(Math.abs(s - 1)).toBeLessThan(1e-6)
    }
  })
  test('losses keep float32 and the labels mask follows the logits dtype', () => {
    const x = values([3, 4]).astype('float32')
    expect(crossEntropy(x, [0, 1, 2]).dtype).toBe('float32')
    expect(mse(x, 0).dtype).toBe('float32')
    expect(binaryCrossEntropyWithLogits(x, 1).dtype).toBe('float32')
  })
  test('float32 crossEntropy agrees with float64 to float32 precision', () => {
    const x = values([4, 6])
    const labels = [5, 0, 3, 3]
    const a = crossEntropy(x, labels).item()
    const b = crossEntropy(x.astype('float32'), labels).item()
    expect(Math.abs(a - b)).toBeLessThan(1e-6 * (1 + Math.abs(a)))
  })
})

describe('edge values', () => {
  test('softmax with -∞ logits gives them probability 0', () => {
    expect(softmax(tensor([0, -Infinity, 0])).toArray()).toEqual([0.5, 0, 0.5])
  })
})
