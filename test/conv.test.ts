/**
 * The conv/pool ops beyond the op table: their argument errors, the primitives their backwards
 * are made of (each gradchecked as a function in its own right, which is what second derivatives
 * go through), the adjoint identities that tie the three convolution primitives together, and
 * float32 against float64.
 */
import {
  adaptiveAvgPool2d,
  avgPool2d,
  conv1d,
  conv2d,
  conv2dInputGradOp,
  conv2dOp,
  conv2dWeightGradOp,
  gradcheck,
  maxPool2d,
  maxPool2dBackwardOp,
  maxPool2dOp,
  ones,
  randn,
  seed,
  tensor,
  zeros,
  type Tensor,
} from '../src/index.js'
import type { Conv2dGeometry } from '../src/kernels/conv.js'

const f64 = { dtype: 'float64' as const }

describe('errors name the op and the shapes', () => {
  const x = zeros([1, 3, 28, 28])
  const w = zeros([8, 1, 5, 5])
  test.each<[string, () => unknown, string | RegExp]>([
    ['channel mismatch', () => conv2d(x, w), 'conv2d: input has 3 channels, weight expects 1 (weight [8,1,5,5])'],
    [
      'channel mismatch with groups',
      () => conv2d(zeros([1, 6, 8, 8]), zeros([4, 2, 3, 3]), null, { groups: 2 }),
      'conv2d: input has 6 channels, weight expects 4 (weight [4,2,3,3], groups 2)',
    ],
    [
      'groups do not divide the input channels',
      () => conv2d(zeros([1, 3, 8, 8]), zeros([4, 1, 3, 3]), null, { groups: 2 }),
      'conv2d: groups 2 does not divide the 3 input channels of input [1,3,8,8]',
    ],
    [
      'groups do not divide the output channels',
      () => conv2d(zeros([1, 4, 8, 8]), zeros([3, 2, 3, 3]), null, { groups: 2 }),
      'conv2d: groups 2 does not divide the 3 output channels of weight [3,2,3,3]',
    ],
    [
      'groups not a positive integer',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { groups: 0 }),
      'conv2d: groups must be a positive integer, got number 0',
    ],
    [
      'kernel larger than the padded input',
      () => conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 5, 5]), null, { padding: 1 }),
      'conv2d: kernel 5×5 is larger than the padded input 4×4 (input [1,1,2,2], weight [1,1,5,5], padding [1,1])',
    ],
    [
      'dilated kernel larger than the input',
      () => conv2d(zeros([1, 1, 4, 4]), zeros([1, 1, 3, 3]), null, { dilation: 2 }),
      'conv2d: kernel 3×3 (5×5 dilated) is larger than the padded input 4×4 (input [1,1,4,4], weight [1,1,3,3], padding [0,0])',
    ],
    [
      'stride 0',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { stride: 0 }),
      'conv2d: stride must be a positive integer or a list of 2 of them, got number 0',
    ],
    [
      'stride list of 3',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { stride: [1, 2, 3] }),
      'conv2d: stride must be a positive integer or a list of 2 of them, got [1, 2, 3]',
    ],
    [
      'negative padding',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { padding: -1 }),
      'conv2d: padding must be a non-negative integer or a list of 2 of them, got number -1',
    ],
    [
      'fractional dilation',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { dilation: 1.5 }),
      'conv2d: dilation must be a positive integer or a list of 2 of them, got number 1.5',
    ],
    [
      'unknown padding word',
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { padding: 'full' as 'same' }),
      "conv2d: padding must be a number, a list of 2, 'same' or 'valid', got string 'full'",
    ],
    [
      "'same' with stride 2",
      () => conv2d(x, zeros([8, 3, 5, 5]), null, { padding: 'same', stride: 2 }),
      "conv2d: padding 'same' needs stride 1 (as in PyTorch), got stride [2,2]",
    ],
    [
      '3-D input',
      () => conv2d(zeros([3, 28, 28]), w),
      'conv2d: input must be 4-D [N, C, H, W], got shape [3,28,28] (one sample: add the batch axis with unsqueeze(x, 0))',
    ],
    ['2-D weight', () => conv2d(x, zeros([8, 3])), 'conv2d: weight must be 4-D [O, C/groups, kH, kW], got shape [8,3]'],
    [
      'bias of the wrong shape',
      () => conv2d(x, zeros([8, 3, 5, 5]), zeros([3])),
      'conv2d: bias must have shape [8] (one value per output channel of weight [8,3,5,5]), got [3]',
    ],
    [
      'not a tensor',
      () => conv2d([1, 2] as unknown as Tensor, w),
      'conv2d: input must be a Tensor [N, C, H, W], got an array',
    ],
    [
      'dtype mismatch',
      () => conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3], f64)),
      /conv2d: dtype mismatch: float32 \[1,1,5,5\] and float64 \[1,1,3,3\]/,
    ],
    [
      'conv1d channel mismatch',
      () => conv1d(zeros([2, 3, 10]), zeros([4, 2, 3])),
      'conv1d: input has 3 channels, weight expects 2 (weight [4,2,3])',
    ],
    [
      'conv1d kernel too large',
      () => conv1d(zeros([1, 1, 4]), zeros([1, 1, 7]), null, { padding: 1 }),
      'conv1d: kernel 7 is larger than the padded input 6 (input [1,1,4], weight [1,1,7], padding [1])',
    ],
    [
      'conv1d stride pair',
      () => conv1d(zeros([1, 1, 9]), zeros([1, 1, 3]), null, { stride: [1, 2] }),
      'conv1d: stride must be a positive integer (or a list of one), got [1, 2]',
    ],
    [
      'conv1d 4-D input',
      () => conv1d(zeros([1, 1, 9, 9]), zeros([1, 1, 3])),
      'conv1d: input must be 3-D [N, C, L], got shape [1,1,9,9]',
    ],
    [
      'maxPool2d padding over half the kernel',
      () => maxPool2d(x, 3, { padding: 2 }),
      'maxPool2d: padding [2,2] must be at most half the kernel size 3×3 (as in PyTorch)',
    ],
    [
      'maxPool2d window larger than the input',
      () => maxPool2d(zeros([1, 1, 2, 2]), 3),
      'maxPool2d: kernel 3×3 is larger than the padded input 2×2 (input [1,1,2,2], padding [0,0])',
    ],
    [
      'maxPool2d window of padding only',
      () => maxPool2d(zeros([1, 1, 1, 1]), 2, { padding: 1, dilation: 2 }),
      'maxPool2d: with kernel 2×2, dilation [2,2] and padding [1,1], some windows of input [1,1,1,1] hold only padding',
    ],
    [
      'maxPool2d kernel 0',
      () => maxPool2d(x, 0),
      'maxPool2d: kernelSize must be a positive integer or a list of 2 of them, got number 0',
    ],
    [
      'maxPool2d 3-D input',
      () => maxPool2d(zeros([3, 4, 4]), 2),
      'maxPool2d: input must be 4-D [N, C, H, W], got shape [3,4,4] (one sample: add the batch axis with unsqueeze(x, 0))',
    ],
    [
      'avgPool2d padding over half the kernel',
      () => avgPool2d(x, [2, 4], { padding: [2, 1] }),
      'avgPool2d: padding [2,1] must be at most half the kernel size 2×4 (as in PyTorch)',
    ],
    [
      'avgPool2d dilation',
      () => avgPool2d(x, 2, { dilation: 2 } as object),
      "avgPool2d: there is no dilation option (PyTorch's avg_pool2d has none)",
    ],
    [
      'adaptiveAvgPool2d size 0',
      () => adaptiveAvgPool2d(x, 0),
      'adaptiveAvgPool2d: outputSize must be a positive integer or a list of 2 of them, got number 0',
    ],
    [
      'adaptiveAvgPool2d 2-D input',
      () => adaptiveAvgPool2d(zeros([4, 4]), 1),
      'adaptiveAvgPool2d: input must be 4-D [N, C, H, W], got shape [4,4]',
    ],
  ])('%s', (_label, f, message) => {
    expect(f).toThrow(message)
  })
})

/** A float64 geometry for the primitives (what conv2d would compute for these options). */
function geometry(over: Partial<Conv2dGeometry>): Conv2dGeometry {
  return {
    batch: 2,
    inChannels: 4,
    height: 5,
    width: 6,
    outChannels: 6,
    kernelH: 3,
    kernelW: 2,
    strideH: 2,
    strideW: 1,
    padTop: 1,
    padLeft: 1,
    dilationH: 1,
    dilationW: 2,
    groups: 2,
    outH: 3,
    outW: 6,
    ...over,
  }
}

describe('the primitives the backward passes are made of have gradients of their own', () => {
  const geo = geometry({})
  const xShape = [geo.batch, geo.inChannels, geo.height, geo.width]
  const wShape = [geo.outChannels, geo.inChannels / geo.groups, geo.kernelH, geo.kernelW]
  const yShape = [geo.batch, geo.outChannels, geo.outH, geo.outW]
  test('the geometry is the one conv2d works out', () => {
    seed(1)
    const y = conv2d(randn(xShape, f64), randn(wShape, f64), null, {
      stride: [2, 1],
      padding: 1,
      dilation: [1, 2],
      groups: 2,
    })
    expect(y.shape).toEqual(yShape)
    expect(y.shape).toEqual(conv2dOp([randn(xShape, f64), randn(wShape, f64)], geo).shape)
  })
  test('conv2dInputGrad(dy, w): gradcheck in dy and w (the second derivative of conv2d in x and w)', () => {
    seed(2)
    const r = gradcheck((dy, w) => conv2dInputGradOp([dy, w], geo), [randn(yShape, f64), randn(wShape, f64)])
    expect(r.message).toMatch(/passed/)
  })
  test('conv2dWeightGrad(x, dy): gradcheck in x and dy', () => {
    seed(3)
    const r = gradcheck((x, dy) => conv2dWeightGradOp([x, dy], geo), [randn(xShape, f64), randn(yShape, f64)])
    expect(r.message).toMatch(/passed/)
  })
  test('adjoint identities: ⟨conv2d(x, w), dy⟩ = ⟨x, inputGrad(dy, w)⟩ = ⟨w, weightGrad(x, dy)⟩', () => {
    seed(4)
    const [x, w, dy] = [randn(xShape, f64), randn(wShape, f64), randn(yShape, f64)]
    const dot = (a: Tensor, b: Tensor) => a.mul(b).sum().item()
    const t = dot(conv2dOp([x, w], geo), dy)
    expect(dot(x, conv2dInputGradOp([dy, w], geo))).toBeCloseTo(t, 10)
    expect(dot(w, conv2dWeightGradOp([x, dy], geo))).toBeCloseTo(t, 10)
  })
  test('maxPool2dBackward (scatter to the argmax) and the gather it is the adjoint of: gradcheck both', () => {
    const x = tensor(
      [
        [
          [
            [1, 5, 2, 0],
            [3, 4, 9, 1],
            [0, 2, 8, 7],
            [6, 1, 3, 2],
          ],
        ],
      ],
      f64,
    )
    // 3×3 windows, stride 1: 9 is the max of all four windows and gets four gradients.
    const y = maxPool2d(x, 3, { stride: 1 })
    expect(y.toArray()).toEqual([
      [
        [
          [9, 9],
          [9, 9],
        ],
      ],
    ])
    const at = { idx: new Int32Array([6, 6, 6, 6]), inShape: [1, 1, 4, 4], outShape: [1, 1, 2, 2] }
    const dx = maxPool2dBackwardOp(
      [
        tensor(
          [
            [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ],
          f64,
        ),
      ],
      at,
    )
    expect(dx.toArray()).toEqual([
      [
        [
          [0, 0, 0, 0],
          [0, 0, 10, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      ],
    ])
    const g = randn([1, 1, 2, 2], f64)
    expect(gradcheck((t) => maxPool2dBackwardOp([t], at), [g]).message).toMatch(/passed/)
    expect(gradcheck((t) => maxPool2dOp([t], at), [randn([1, 1, 4, 4], f64)]).message).toMatch(/passed/)
  })
  test('maxPool2d: overlapping windows sharing a max send it both gradients', () => {
    const x = tensor(
      [
        [
          [
            [1, 5, 2, 0],
            [3, 4, 9, 1],
            [0, 2, 8, 7],
            [6, 1, 3, 2],
          ],
        ],
      ],
      { requiresGrad: true },
    )
    maxPool2d(x, 3, { stride: 1 }).sum().backward()
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [0, 0, 0, 0],
          [0, 0, 4, 0],
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      ],
    ])
  })
  test('maxPool2d: a tie inside a window sends the gradient to the first maximum (row-major)', () => {
    const x = tensor(
      [
        [
          [
            [7, 7],
            [7, 7],
          ],
        ],
      ],
      { requiresGrad: true },
    )
    maxPool2d(x, 2).sum().backward()
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [1, 0],
          [0, 0],
        ],
      ],
    ])
  })
  test('maxPool2d propagates NaN and sends it the gradient', () => {
    const x = tensor(
      [
        [
          [
            [1, NaN],
            [3, 2],
          ],
        ],
      ],
      { requiresGrad: true },
    )
    const y = maxPool2d(x, 2)
    expect(Number.isNaN(y.item())).toBe(true)
    y.sum().backward()
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [0, 1],
          [0, 0],
        ],
      ],
    ])
  })
})

describe('float32 agrees with float64', () => {
  test.each<[string, number[], (x: Tensor, w: Tensor) => Tensor]>([
    [
      'conv2d groups 2, stride 2, dilation 2',
      [6, 2, 3, 3],
      (x, w) => conv2d(x, w, null, { groups: 2, stride: 2, dilation: 2, padding: 2 }),
    ],
    ['conv2d same', [5, 4, 4, 3], (x, w) => conv2d(x, w, null, { padding: 'same' })],
    [
      'maxPool2d of conv2d',
      [6, 4, 3, 3],
      (x, w) => maxPool2d(conv2d(x, w, null, { padding: 1 }), 3, { stride: 2, padding: 1 }),
    ],
    ['avgPool2d of conv2d', [6, 4, 3, 3], (x, w) => avgPool2d(conv2d(x, w, null, { padding: 1 }), 2)],
  ])('%s, forward and both gradients', (_label, wShape, f) => {
    seed(5)
    const x64 = randn([3, 4, 12, 11], f64).setRequiresGrad()
    const w64 = randn(wShape, f64).setRequiresGrad()
    const x32 = x64.astype('float32').detach().setRequiresGrad()
    const w32 = w64.astype('float32').detach().setRequiresGrad()
    const y64 = f(x64, w64)
    const cot = tensor(
      Array.from({ length: y64.size }, (_, i) => Math.sin(i)),
      { shape: y64.shape, dtype: 'float64' },
    )
    y64.backward(cot)
    const y32 = f(x32, w32)
    y32.backward(cot.astype('float32'))
    const close = (a: Tensor, b: Tensor) => {
      let scale = 1
      for (const v of b.data) scale = Math.max(scale, Math.abs(v))
      for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i] - b.data[i])).toBeLessThan(1e-5 * scale)
    }
    close(y32, y64)
    close(x32.grad!, x64.grad!)
    close(w32.grad!, w64.grad!)
  })
})

test('an all-ones example: avgPool2d of ones is ones, adaptiveAvgPool2d(1) of ones is ones', () => {
  expect(avgPool2d(ones([1, 2, 4, 4]), 2).toArray()).toEqual([
    [
      [
        [1, 1],
        [1, 1],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ],
  ])
  expect(adaptiveAvgPool2d(ones([2, 3, 5, 5]), 1).shape).toEqual([2, 3, 1, 1])
})
