/**
 * The CNN layers: Conv2d, Conv1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten — shapes,
 * parameters (PyTorch's names, layouts and initialisation), loading PyTorch weights, a small CNN
 * trained in a Sequential, and errors that leave the module unchanged.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { conv1d, conv2d, Random, seed, tensor, zeros, ones, randn, Tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import * as optim from '../optimizers/index.js'

interface Packed {
  shape: number[]
  data: number[]
}
const fixtures: { cases: { name: string; inputs: Packed[]; float32: { out: Packed } }[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'conv.json'), 'utf8'),
)

function snapshot(m: nn.Module): number[][] {
  return m.namedParameters().map(([, t]) => Array.from(t.data))
}

describe('Conv2d', () => {
  test("PyTorch's parameter names, layout and defaults", () => {
    seed(0)
    const conv = new nn.Conv2d(3, 8, 5)
    expect(conv.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual(['weight 8x3x5x5', 'bias 8'])
    expect(conv.weight.requiresGrad && conv.bias!.requiresGrad).toBe(true)
    expect(conv.forward(zeros([2, 3, 28, 28])).shape).toEqual([2, 8, 24, 24])
    expect(new nn.Conv2d(1, 8, 5, { padding: 'same' }).forward(zeros([2, 1, 28, 28])).shape).toEqual([2, 8, 28, 28])
    expect(new nn.Conv2d(4, 6, [3, 1], { stride: [2, 1], groups: 2, bias: false }).weight.shape).toEqual([6, 2, 3, 1])
    expect(new nn.Conv2d(4, 6, [3, 1], { groups: 2, bias: false }).bias).toBeUndefined()
  })

  test('init: weight and bias U(±1/√fanIn) as PyTorch (kaiming_uniform, a = √5), seeded', () => {
    seed(1)
    const conv = new nn.Conv2d(16, 64, 3) // fanIn 16·9 = 144, bound 1/12
    const bound = 1 / 12
    const w = Array.from(conv.weight.data)
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound)
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * bound) // 9,216 draws fill the interval
    const meanSq = w.reduce((s, v) => s + v * v, 0) / w.length
    expect(meanSq).toBeCloseTo((bound * bound) / 3, 4) // variance of U(−b, b)
    expect(Math.max(...Array.from(conv.bias!.data, Math.abs))).toBeLessThanOrEqual(bound)
    seed(1)
    expect(Array.from(new nn.Conv2d(16, 64, 3).weight.data)).toEqual(w)
    // fanIn counts the channels of one group only
    const grouped = new nn.Conv2d(16, 64, 3, { groups: 4 }) // fanIn 4·9 = 36
    expect(Math.max(...Array.from(grouped.weight.data, Math.abs))).toBeLessThanOrEqual(1 / 6)
    expect(Math.max(...Array.from(grouped.weight.data, Math.abs))).toBeGreaterThan(0.9 / 6)
  })

  test('options rng, dtype and a named init with the conv fans', () => {
    const a = new nn.Conv2d(2, 3, 3, { rng: new Random(7), dtype: 'float64' })
    const b = new nn.Conv2d(2, 3, 3, { rng: new Random(7), dtype: 'float64' })
    expect(a.weight.dtype).toBe('float64')
    expect(a.bias!.dtype).toBe('float64')
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data))
    seed(2)
    const he = new nn.Conv2d(8, 32, 3, { init: 'heUniform' }) // √(6/fanIn), fanIn = 72
    const m = Math.max(...Array.from(he.weight.data, Math.abs))
    expect(m).toBeLessThanOrEqual(Math.sqrt(6 / 72))
    expect(m).toBeGreaterThan(0.95 * Math.sqrt(6 / 72))
    expect(he.weight.requiresGrad).toBe(true)
  })

  test('forward is conv2d with the layer’s parameters and options; toString', () => {
    seed(3)
    const conv = new nn.Conv2d(2, 4, [3, 2], { stride: 2, padding: [1, 0], dilation: [1, 2] })
    const x = randn([2, 2, 7, 6])
    const want = conv2d(x, conv.weight, conv.bias, { stride: 2, padding: [1, 0], dilation: [1, 2] })
    expect(Array.from(conv.forward(x).data)).toEqual(Array.from(want.data))
    expect(conv.toString()).toBe('Conv2d(2 → 4, 3×2, stride 2, padding 1×0, dilation 1×2)')
    expect(new nn.Conv2d(1, 8, 5, { padding: 'same', bias: false }).toString()).toBe(
      'Conv2d(1 → 8, 5×5, padding same, no bias)',
    )
    expect(new nn.Conv2d(4, 4, 3, { groups: 4 }).toString()).toBe('Conv2d(4 → 4, 3×3, groups 4)')
  })

  test('a PyTorch state dict loads as it is (same names and layout) and gives PyTorch’s output', () => {
    const c = fixtures.cases.find((k) => k.name === 'conv2d [2,3,6,6] * [4,3,3,3] + bias')!
    const [x, w, b] = c.inputs
    const conv = new nn.Conv2d(3, 4, 3)
    conv.loadStateDict({ weight: w, bias: b })
    const y = conv.forward(tensor(x.data, { shape: x.shape }))
    expect(y.shape).toEqual(c.float32.out.shape)
    c.float32.out.data.forEach((v, i) => expect(Math.abs(y.data[i] - v)).toBeLessThan(1e-5 + 1e-4 * Math.abs(v)))
  })

  test.each<[string, () => unknown, string]>([
    ['inChannels 0', () => new nn.Conv2d(0, 8, 3), 'Conv2d: inChannels must be a positive integer, got 0'],
    [
      'groups not dividing inChannels',
      () => new nn.Conv2d(3, 8, 3, { groups: 2 }),
      'Conv2d: groups 2 does not divide inChannels 3',
    ],
    [
      'groups not dividing outChannels',
      () => new nn.Conv2d(4, 6, 3, { groups: 4 }),
      'Conv2d: groups 4 does not divide outChannels 6',
    ],
    [
      'kernel size 0',
      () => new nn.Conv2d(1, 8, 0),
      'Conv2d: kernelSize must be a positive integer or a list of 2 of them, got number 0',
    ],
    [
      'kernel size of 3 axes',
      () => new nn.Conv2d(1, 8, [3, 3, 3]),
      'Conv2d: kernelSize must be a positive integer or a list of 2 of them, got [3, 3, 3]',
    ],
    [
      'bad stride',
      () => new nn.Conv2d(1, 8, 3, { stride: -1 }),
      'Conv2d: stride must be a positive integer or a list of 2 of them, got number -1',
    ],
    [
      'bad padding',
      () => new nn.Conv2d(1, 8, 3, { padding: 0.5 }),
      'Conv2d: padding must be a non-negative integer or a list of 2 of them, got number 0.5',
    ],
    [
      'bad dilation',
      () => new nn.Conv2d(1, 8, 3, { dilation: [1, 0] }),
      'Conv2d: dilation must be a positive integer or a list of 2 of them, got [1, 0]',
    ],
    [
      "'same' with a stride",
      () => new nn.Conv2d(1, 8, 3, { padding: 'same', stride: 2 }),
      "Conv2d: padding 'same' needs stride 1 (as in PyTorch), got stride [2,2]",
    ],
  ])('constructor error: %s', (_label, f, message) => {
    expect(f).toThrow(message)
  })

  test('forward errors name the op and the shapes and change nothing', () => {
    seed(4)
    const conv = new nn.Conv2d(1, 8, 5)
    const before = snapshot(conv)
    expect(() => conv.forward(zeros([1, 3, 28, 28]))).toThrow(
      'conv2d: input has 3 channels, weight expects 1 (weight [8,1,5,5])',
    )
    expect(() => conv.forward(zeros([1, 1, 3, 3]))).toThrow(
      'conv2d: kernel 5×5 is larger than the padded input 3×3 (input [1,1,3,3], weight [8,1,5,5], padding [0,0])',
    )
    expect(() => conv.forward(zeros([1, 28, 28]))).toThrow(
      'conv2d: input must be 4-D [N, C, H, W], got shape [1,28,28]',
    )
    expect(snapshot(conv)).toEqual(before)
    expect(conv.weight.grad).toBeNull()
  })
})

describe('Conv1d', () => {
  test('shapes, parameters, init and forward', () => {
    seed(5)
    const conv = new nn.Conv1d(4, 6, 3, { padding: 1, groups: 2 })
    expect(conv.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual(['weight 6x2x3', 'bias 6'])
    const bound = 1 / Math.sqrt(2 * 3)
    expect(Math.max(...Array.from(conv.weight.data, Math.abs))).toBeLessThanOrEqual(bound)
    const x = randn([2, 4, 10])
    const y = conv.forward(x)
    expect(y.shape).toEqual([2, 6, 10])
    expect(Array.from(y.data)).toEqual(Array.from(conv1d(x, conv.weight, conv.bias, { padding: 1, groups: 2 }).data))
    expect(conv.toString()).toBe('Conv1d(4 → 6, 3, padding 1, groups 2)')
  })

  test('errors', () => {
    expect(() => new nn.Conv1d(2, 2, [3, 3])).toThrow(
      'Conv1d: kernelSize must be a positive integer (or a list of one), got [3, 3]',
    )
    const conv = new nn.Conv1d(2, 4, 3)
    const before = snapshot(conv)
    expect(() => conv.forward(zeros([1, 3, 10]))).toThrow(
      'conv1d: input has 3 channels, weight expects 2 (weight [4,2,3])',
    )
    expect(() => conv.forward(zeros([1, 2, 2]))).toThrow(
      'conv1d: kernel 3 is larger than the padded input 2 (input [1,2,2], weight [4,2,3], padding [0])',
    )
    expect(snapshot(conv)).toEqual(before)
  })
})

describe('pooling layers and Flatten', () => {
  test('MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: the ops, no parameters', () => {
    const x = tensor([
      [
        [
          [1, 2, 5, 6],
          [3, 4, 7, 8],
          [9, 10, 13, 14],
          [11, 12, 15, 16],
        ],
      ],
    ])
    const max = new nn.MaxPool2d(2)
    expect(max.forward(x).toArray()).toEqual([
      [
        [
          [4, 8],
          [12, 16],
        ],
      ],
    ])
    expect(max.numParameters()).toBe(0)
    expect(new nn.MaxPool2d(3, { stride: 1 }).forward(x).toArray()).toEqual([
      [
        [
          [13, 14],
          [15, 16],
        ],
      ],
    ])
    expect(new nn.MaxPool2d(2, { stride: 1, padding: 1, dilation: 1 }).forward(x).shape).toEqual([1, 1, 5, 5])
    expect(new nn.AvgPool2d(2).forward(x).toArray()).toEqual([
      [
        [
          [2.5, 6.5],
          [10.5, 14.5],
        ],
      ],
    ])
    expect(new nn.AvgPool2d(2, { stride: 1, padding: 1 }).forward(ones([1, 1, 2, 2])).toArray()).toEqual([
      [
        [
          [0.25, 0.5, 0.25],
          [0.5, 1, 0.5],
          [0.25, 0.5, 0.25],
        ],
      ],
    ])
    expect(new nn.AdaptiveAvgPool2d(1).forward(x).toArray()).toEqual([[[[8.5]]]])
    expect(new nn.AdaptiveAvgPool2d([2, null]).forward(x).shape).toEqual([1, 1, 2, 4])
    expect([
      max.toString(),
      new nn.AvgPool2d([2, 3]).toString(),
      new nn.AdaptiveAvgPool2d([1, null]).toString(),
    ]).toEqual(['MaxPool2d(2×2)', 'AvgPool2d(2×3)', 'AdaptiveAvgPool2d(1×same)'])
  })

  test.each<[string, () => unknown, string]>([
    [
      'MaxPool2d padding over half the kernel',
      () => new nn.MaxPool2d(2, { padding: 2 }),
      'MaxPool2d: padding [2,2] must be at most half the kernel size 2×2 (as in PyTorch)',
    ],
    [
      'MaxPool2d bad stride',
      () => new nn.MaxPool2d(2, { stride: 0 }),
      'MaxPool2d: stride must be a positive integer or a list of 2 of them, got number 0',
    ],
    [
      'AvgPool2d kernel size',
      () => new nn.AvgPool2d([2, 0]),
      'AvgPool2d: kernelSize must be a positive integer or a list of 2 of them, got [2, 0]',
    ],
    [
      'AvgPool2d dilation',
      () => new nn.AvgPool2d(2, { dilation: 2 } as object),
      "AvgPool2d: there is no dilation option (PyTorch's AvgPool2d has none)",
    ],
    [
      'AdaptiveAvgPool2d size',
      () => new nn.AdaptiveAvgPool2d([0, 1]),
      'AdaptiveAvgPool2d: outputSize must be a positive integer or a pair of them (null keeps a size), got [0,1]',
    ],
    [
      'MaxPool2d 3-D input',
      () => new nn.MaxPool2d(2).forward(zeros([1, 4, 4])),
      'maxPool2d: input must be 4-D [N, C, H, W], got shape [1,4,4]',
    ],
    [
      'Flatten startDim out of range',
      () => new nn.Flatten(2).forward(zeros([4, 5])),
      'Flatten: startDim 2 is out of range for input [4,5] (2 axes)',
    ],
    [
      'Flatten endDim before startDim',
      () => new nn.Flatten(2, 1).forward(zeros([2, 3, 4])),
      'Flatten: startDim 2 comes after endDim 1 for input [2,3,4]',
    ],
    ['Flatten startDim not an integer', () => new nn.Flatten(0.5), 'Flatten: startDim must be an integer, got 0.5'],
  ])('%s', (_label, f, message) => {
    expect(f).toThrow(message)
  })

  test('Flatten keeps the batch axis by default (startDim 1, endDim −1), like torch', () => {
    expect(new nn.Flatten().forward(zeros([64, 16, 7, 7])).shape).toEqual([64, 784])
    expect(new nn.Flatten(0).forward(zeros([2, 3])).shape).toEqual([6])
    expect(new nn.Flatten(1, 2).forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5])
    expect(new nn.Flatten(-2).forward(zeros([2, 3, 4])).shape).toEqual([2, 12])
    const x = randn([2, 3, 2], { requiresGrad: true })
    new nn.Flatten().forward(x).sum().backward()
    expect(x.grad!.shape).toEqual([2, 3, 2])
    expect(new nn.Flatten().toString()).toBe('Flatten(1, -1)')
  })
})

test('a small CNN in a Sequential: parameter names by position, and Adam lowers its loss', () => {
  seed(6)
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    nn.relu,
    new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 1 }),
    nn.relu,
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(8 * 2 * 2, 3),
  )
  expect(net.namedParameters().map(([n]) => n)).toEqual([
    'layers.0.weight',
    'layers.0.bias',
    'layers.3.weight',
    'layers.3.bias',
    'layers.7.weight',
    'layers.7.bias',
  ])
  const x = randn([12, 1, 8, 8])
  const y = tensor(Array.from({ length: 12 }, (_, i) => i % 3))
  const train = optim.adam(1e-2).attach(net.parameters())
  const losses: number[] = []
  for (let step = 0; step < 30; step++) {
    const loss = nn.crossEntropy(net.forward(x), y)
    train.zeroGrad()
    loss.backward()
    train.step()
    losses.push(loss.item())
  }
  expect(losses[29]).toBeLessThan(0.5 * losses[0])
  expect(net.toString()).toContain('Conv2d(1 → 4, 3×3, padding 1)')
  // PyTorch's names for the same nn.Sequential: conv weights as they are, the Linear transposed.
  const torch = net.stateDict({ format: 'torch' })
  expect(Object.entries(torch).map(([k, t]) => `${k} ${t.shape.join('x')}`)).toEqual([
    '0.weight 4x1x3x3',
    '0.bias 4',
    '3.weight 8x4x3x3',
    '3.bias 8',
    '7.weight 3x32',
    '7.bias 3',
  ])
  expect(Array.from(torch['3.weight'].data)).toEqual(Array.from((net.layers[3] as nn.Conv2d).weight.data))
  expect(net.forward(zeros([1, 1, 8, 8]))).toBeInstanceOf(Tensor)
})

test('a CNN training loop keeps its memory flat (scratch buffers reused, graphs freed)', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  const retained = () => {
    for (let i = 0; i < 3; i++) gc()
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  seed(8)
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }),
    nn.relu,
    new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3, { padding: 'same' }),
    nn.relu,
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32, 3),
  )
  const train = optim.adam(1e-3).attach(net.parameters())
  const x = randn([8, 1, 8, 8])
  const y = Array.from({ length: 8 }, (_, i) => i % 3)
  const step = () => {
    const loss = nn.crossEntropy(net.forward(x), y)
    train.zeroGrad()
    loss.backward()
    train.step()
  }
  for (let i = 0; i < 300; i++) step() // JIT, scratch buffers at their size
  const before = retained()
  for (let i = 0; i < 300; i++) step()
  const after = retained()
  // Measured: +0.1–0.25 MB, shrinking with every further interval (V8 settling: 257, 150, 70 KB
  // over three intervals of 400 steps). Keeping one [8,4,8,8] activation of every step alive
  // would retain 300 × 8 KB = 2.4 MB here.
  expect(after - before).toBeLessThan(0.5 * 2 ** 20)
})
