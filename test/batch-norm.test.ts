/**
 * BatchNorm1d/2d, Dropout2d and the buffers they rely on (Module.registerBuffer): modes, the
 * running statistics, errors that change nothing, state dict round trips with buffers, gradients.
 * (Values against PyTorch are in nn-torch.test.ts.)
 */
import {
  gradcheck,
  gradgradcheck,
  noGrad,
  ones,
  randn,
  seed,
  tensor,
  Tensor,
  valueAndGrad,
  zeros,
  type Tree,
} from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'

function snapshot(m: nn.Module<unknown>): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = Array.from(t.data)
  return out
}

/** Per-channel mean and biased variance of x [N, C, …], by plain loops. */
function channelStats(x: Tensor): { mean: number[]; variance: number[] } {
  const [N, C] = x.shape
  const inner = x.size / (N * C)
  const mean: number[] = []
  const variance: number[] = []
  for (let c = 0; c < C; c++) {
    const vals: number[] = []
    for (let n = 0; n < N; n++) for (let j = 0; j < inner; j++) vals.push(x.data[(n * C + c) * inner + j])
    const m = vals.reduce((a, b) => a + b, 0) / vals.length
    mean.push(m)
    variance.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length)
  }
  return { mean, variance }
}

describe('Module buffers', () => {
  class Counter extends nn.Module {
    scale = tensor([2], { requiresGrad: true })
    count!: Tensor
    constructor() {
      super()
      this.registerBuffer('count', zeros([]))
    }
    override forward(x: Tensor) {
      this.count.data[0]++
      return x.mul(this.scale)
    }
  }

  test('a buffer is in stateDict and namedBuffers, not in parameters, grads or optimizers', () => {
    const m = new Counter()
    m.forward(ones([2]))
      .sum()
      .backward()
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale'])
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['count'])
    expect(Object.keys(m.parameters())).toEqual(['scale'])
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'count'])
    expect(m.stateDict().count.item()).toBe(1)
    expect(m.count.grad).toBeNull()
    expect(m.numParameters()).toBe(1)
    expect(m.isBuffer('count')).toBe(true)
    expect(m.isBuffer('scale')).toBe(false)
    const [, g] = valueAndGrad((p: Tree) => m.apply(p, ones([2])).sum())(m.parameters())
    expect(Object.keys(g as object)).toEqual(['scale'])
  })

  test('a buffer assigned a new tensor stays a buffer; a non-tensor is refused', () => {
    const m = new Counter()
    m.count = tensor(41)
    expect(m.namedBuffers().map(([n, t]) => [n, t.item()])).toEqual([['count', 41]])
    class Bad extends nn.Module {
      constructor() {
        super()
        this.registerBuffer('x', [1, 2] as never)
      }
      override forward(x: Tensor) {
        return x
      }
    }
    expect(() => new Bad()).toThrow("registerBuffer (Bad): 'x' must be a Tensor, got an array")
  })

  test('stateDict order is field order with buffers in place (PyTorch order for a Sequential)', () => {
    const net = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), nn.relu, new nn.Linear(4, 2))
    expect(Object.keys(net.stateDict())).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.1.runningMean',
      'layers.1.runningVar',
      'layers.1.numBatchesTracked',
      'layers.3.weight',
      'layers.3.bias',
    ])
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.3.weight',
      'layers.3.bias',
    ])
  })

  test('loadStateDict restores buffers, insists on them in strict mode, and changes nothing on an error', () => {
    seed(1)
    const a = new nn.BatchNorm2d(3)
    a.forward(randn([4, 3, 2, 2], { std: 3 })) // moves the running statistics
    const saved = JSON.parse(JSON.stringify(nn.serializeStateDict(a.stateDict())))
    const b = new nn.BatchNorm2d(3)
    b.loadStateDict(saved)
    expect(snapshot(b)).toEqual(snapshot(a))
    const x = randn([2, 3, 2, 2])
    expect(b.eval().forward(x).toArray()).toEqual(a.eval().forward(x).toArray())

    const c = new nn.BatchNorm2d(3)
    const before = snapshot(c)
    const { runningVar: _, ...partial } = saved
    expect(() => c.loadStateDict(partial)).toThrow(/missing 'runningVar'.*Nothing was loaded/)
    expect(() => c.loadStateDict({ ...saved, runningMean: { shape: [4], data: [0, 0, 0, 0] } })).toThrow(
      "'runningMean' has shape [4], expected [3]",
    )
    expect(snapshot(c)).toEqual(before)
    c.loadStateDict({ runningMean: saved.runningMean }, { strict: false })
    expect(Array.from(c.runningMean!.data)).toEqual(saved.runningMean.data)
  })

  test('an optimizer attached to the parameters never touches the buffers', () => {
    seed(2)
    const bn = new nn.BatchNorm1d(2)
    const opt = adam(0.1).attach(bn.parameters())
    const loss = bn
      .forward(randn([6, 2]))
      .square()
      .mul(tensor([1, 3]))
      .sum()
    const afterForward = Array.from(bn.runningMean!.data)
    loss.backward()
    opt.step()
    expect(Array.from(bn.runningMean!.data)).toEqual(afterForward)
    expect(bn.weight!.data[0]).not.toBe(1)
  })
})

describe('BatchNorm', () => {
  test('training: each channel is normalised by its batch statistics; running stats move by momentum', () => {
    seed(3)
    const bn = new nn.BatchNorm2d(3, { dtype: 'float64' })
    const x = randn([4, 3, 5, 5], { dtype: 'float64', std: 2, mean: 1 })
    const y = bn.forward(x)
    const { mean, variance } = channelStats(y)
    for (let c = 0; c < 3; c++) {
      expect(mean[c]).toBeCloseTo(0, 10)
      expect(variance[c]).toBeCloseTo(1 / (1 + 1e-5 / channelStats(x).variance[c]), 8)
    }
    const s = channelStats(x)
    const n = 4 * 5 * 5
    for (let c = 0; c < 3; c++) {
      expect(bn.runningMean!.data[c]).toBeCloseTo(0.1 * s.mean[c], 12)
      expect(bn.runningVar!.data[c]).toBeCloseTo(0.9 + 0.1 * s.variance[c] * (n / (n - 1)), 12) // unbiased
    }
    expect(bn.numBatchesTracked!.item()).toBe(1)
    expect(bn.numBatchesTracked!.dtype).toBe('int32') // an integer count, as PyTorch's int64
  })

  test('eval: the running statistics normalise, as constants, and nothing moves', () => {
    const bn = new nn.BatchNorm1d(2)
    bn.loadStateDict({ ...bn.stateDict(), runningMean: tensor([1, -2]), runningVar: tensor([4, 0.25]) })
    bn.eval()
    const x = tensor(
      [
        [3, -2],
        [1, -1.5],
      ],
      { requiresGrad: true },
    )
    const y = bn.forward(x)
    const s0 = 1 / Math.sqrt(4 + 1e-5)
    const s1 = 1 / Math.sqrt(0.25 + 1e-5)
    const expected = [(3 - 1) * s0, 0, 0, 0.5 * s1]
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5))
    y.sum().backward()
    expect(Array.from(x.grad!.data).map((v) => +v.toFixed(4))).toEqual([
      +s0.toFixed(4),
      +s1.toFixed(4),
      +s0.toFixed(4),
      +s1.toFixed(4),
    ])
    expect(Array.from(bn.runningMean!.data)).toEqual([1, -2])
    expect(bn.numBatchesTracked!.item()).toBe(0)
    // The mode matters: train() again uses batch statistics and moves the running ones.
    bn.train().forward(x)
    expect(bn.numBatchesTracked!.item()).toBe(1)
  })

  test('trackRunningStats: false has no buffers and uses batch statistics in eval too; affine: false has no parameters', () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false })
    expect(bn.namedParameters()).toEqual([])
    expect(bn.namedBuffers()).toEqual([])
    expect(bn.toString()).toBe('BatchNorm2d(2, affine: false, trackRunningStats: false)')
    const x = randn([3, 2, 2, 2])
    expect(bn.eval().forward(x).toArray()).toEqual(bn.train().forward(x).toArray())
  })

  test('momentum null is the cumulative average of the batch statistics', () => {
    seed(4)
    const bn = new nn.BatchNorm1d(1, { momentum: null, dtype: 'float64' })
    const means: number[] = []
    for (let k = 0; k < 3; k++) {
      const x = randn([5, 1], { dtype: 'float64', mean: k })
      means.push(channelStats(x).mean[0])
      bn.forward(x)
    }
    expect(bn.runningMean!.data[0]).toBeCloseTo((means[0] + means[1] + means[2]) / 3, 12)
  })

  test('gradients through the batch statistics pass gradcheck (train mode, float64)', () => {
    seed(5)
    const bn = new nn.BatchNorm2d(2, { dtype: 'float64' })
    const w = randn([2, 2, 3, 3], { dtype: 'float64' })
    const x = randn([2, 2, 3, 3], { dtype: 'float64' })
    const f = (xx: Tensor, g: Tensor, b: Tensor) => bn.apply({ weight: g, bias: b }, xx).mul(w).sum()
    const report = gradcheck(f, [
      x,
      tensor([1.5, 0.5], { dtype: 'float64' }),
      tensor([0.1, -0.2], { dtype: 'float64' }),
    ])
    expect(report.message).toMatch(/passed/)
    // Second derivatives through the batch statistics (the engine's recorded backward).
    const w2 = randn([3, 2, 2, 2], { dtype: 'float64' })
    expect(
      gradgradcheck((xx) => bn.forward(xx).mul(w2).tanh().sum(), [randn([3, 2, 2, 2], { dtype: 'float64' })]).message,
    ).toMatch(/passed/)
  })

  test('errors name the layer and the shapes and change no state', () => {
    const bn = new nn.BatchNorm2d(3)
    bn.forward(randn([2, 3, 2, 2]))
    const before = snapshot(bn)
    expect(() => bn.forward(randn([1, 3, 1, 1]))).toThrow(
      'BatchNorm2d: expected more than 1 value per channel when training, got input [1,3,1,1]',
    )
    expect(() => bn.forward(randn([2, 4, 2, 2]))).toThrow(
      'BatchNorm2d(3): input [2,4,2,2] has 4 channels (axis 1), expected 3',
    )
    expect(() => bn.forward(randn([2, 3, 4]))).toThrow('BatchNorm2d: expected an input [N, C, H, W], got [2,3,4]')
    expect(() => bn.forward(randn([2, 3, 2, 2], { dtype: 'float64' }))).toThrow(
      /BatchNorm2d: input \[2,3,2,2\] is float64 but the module is float32/,
    )
    expect(() => bn.forward([1, 2] as never)).toThrow('BatchNorm2d: input must be a Tensor, got an array')
    expect(snapshot(bn)).toEqual(before)
    // One value per channel is fine in eval mode, which uses the running statistics.
    expect(bn.eval().forward(randn([1, 3, 1, 1])).shape).toEqual([1, 3, 1, 1])
    const one = new nn.BatchNorm1d(2, { trackRunningStats: false })
    expect(() => one.eval().forward(randn([1, 2]))).toThrow(
      'BatchNorm1d: expected more than 1 value per channel when using batch statistics (trackRunningStats: false), got input [1,2]',
    )
    expect(() => new nn.BatchNorm1d(2, { dtype: 'int32' as never })).toThrow(
      "BatchNorm1d: dtype must be 'float32' or 'float64', got int32",
    )
    expect(() => new nn.BatchNorm1d(0)).toThrow('BatchNorm1d: numFeatures must be a positive integer, got 0')
    expect(() => new nn.BatchNorm1d(2, { momentum: 1.5 })).toThrow(
      'BatchNorm1d: momentum must be a number in [0, 1] or null, got 1.5',
    )
    expect(() => new nn.BatchNorm1d(2).forward(randn([2, 2, 2, 2]))).toThrow(
      'BatchNorm1d: expected an input [N, C] or [N, C, L], got [2,2,2,2]',
    )
  })

  test('a net with BatchNorm trains, and eval mode gives the same answer as after a reload', () => {
    seed(6)
    const net = new nn.Sequential(new nn.Linear(2, 8), new nn.BatchNorm1d(8), nn.relu, new nn.Linear(8, 1))
    const { X, y } = nn.moons(64, { seed: 1 })
    const opt = adam(0.02).attach(net.parameters())
    let first = 0
    let last = 0
    for (let i = 0; i < 100; i++) {
      const loss = nn.binaryCrossEntropyWithLogits(net.forward(X).squeeze(1), y)
      if (i === 0) first = loss.item()
      last = loss.item()
      opt.zeroGrad()
      loss.backward()
      opt.step()
    }
    expect(last).toBeLessThan(0.5 * first)
    net.eval()
    const copy = new nn.Sequential(new nn.Linear(2, 8), new nn.BatchNorm1d(8), nn.relu, new nn.Linear(8, 1))
    copy.loadStateDict(net.stateDict())
    copy.eval()
    expect(noGrad(() => copy.forward(X)).toArray()).toEqual(noGrad(() => net.forward(X)).toArray())
  })
})

describe('Dropout2d', () => {
  test('drops whole channels, scales the kept ones by 1/(1 − p), and is the identity in eval', () => {
    const drop = new nn.Dropout2d(0.5, { seed: 1 })
    const y = drop.forward(ones([4, 8, 3, 3]))
    let kept = 0
    for (let nc = 0; nc < 32; nc++) {
      const block = Array.from(y.data.subarray(nc * 9, nc * 9 + 9))
      expect(new Set(block).size).toBe(1) // a channel is all 0 or all 2
      expect([0, 2]).toContain(block[0])
      if (block[0] === 2) kept++
    }
    expect(kept).toBeGreaterThan(8)
    expect(kept).toBeLessThan(24)
    expect(
      drop
        .eval()
        .forward(ones([1, 2, 2, 2]))
        .toArray(),
    ).toEqual(ones([1, 2, 2, 2]).toArray())
    expect(new nn.Dropout2d(0).forward(ones([1, 1, 1, 1])).item()).toBe(1)
  })

  test('a seed gives the same masks; the gradient flows through the kept channels only', () => {
    const a = new nn.Dropout2d(0.3, { seed: 7 }).forward(ones([2, 6, 2, 2]))
    const b = new nn.Dropout2d(0.3, { seed: 7 }).forward(ones([2, 6, 2, 2]))
    expect(a.toArray()).toEqual(b.toArray())
    const x = randn([2, 6, 2, 2], { requiresGrad: true })
    const y = new nn.Dropout2d(0.3, { seed: 7 }).forward(x)
    y.sum().backward()
    Array.from(x.grad!.data).forEach((g, i) => expect(g).toBeCloseTo(a.data[i], 6))
  })

  test('errors: p out of range, and inputs other than [N, C, H, W]', () => {
    expect(() => new nn.Dropout2d(1)).toThrow('Dropout2d: p must be in [0, 1), got 1')
    expect(() => new nn.Dropout2d().forward(ones([3, 4, 4]))).toThrow(
      'Dropout2d: expected an input [N, C, H, W], got [3,4,4] (for one sample [C, H, W], add the batch axis: x.unsqueeze(0))',
    )
    expect(() => new nn.Dropout2d().forward(ones([3, 4]))).toThrow(
      'Dropout2d: expected an input [N, C, H, W], got [3,4]',
    )
  })
})
