import {
  flattenTree as flatten,
  gradcheck,
  Random,
  seed,
  tensor,
  Tensor,
  valueAndGrad,
  type Tree,
} from '../src/index.js'
import * as nn from '../src/nn/index.js'

/** x·W + b by plain loops, for checking Linear against something that is not the library. */
function affine(x: number[][], W: Tensor, b: Tensor): number[][] {
  const [nin, nout] = W.shape
  return x.map((row) =>
    Array.from({ length: nout }, (_, j) => {
      let s = b.data[j]
      for (let i = 0; i < nin; i++) s += row[i] * W.data[i * nout + j]
      return s
    }),
  )
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol * Math.max(1, Math.abs(expected[i]))) {
      throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]}`)
    }
  }
}

describe('Module: parameters, names, modes', () => {
  test('MLP parameters form a tree named layers.i.weight/bias, holding the very tensors', () => {
    seed(0)
    const net = new nn.MLP([3, 5, 2])
    const names = net.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)
    expect(names).toEqual(['layers.0.weight 3x5', 'layers.0.bias 5', 'layers.1.weight 5x2', 'layers.1.bias 2'])
    const flat = flatten(net.parameters())
    expect(flat.paths).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias'])
    expect(flat.leaves[0]).toBe(net.layers[0].weight)
    expect(flat.leaves[3]).toBe(net.layers[1].bias)
    expect(net.numParameters()).toBe(3 * 5 + 5 + 5 * 2 + 2)
    expect(flat.leaves.every((t) => t.requiresGrad)).toBe(true)
  })

  test('Sequential numbers layers by position, functions included (as PyTorch)', () => {
    const net = new nn.Sequential(new nn.Linear(2, 4), nn.relu, new nn.Linear(4, 1))
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
      'layers.2.bias',
    ])
    expect(flatten(net.parameters()).paths).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.2.weight',
      'layers.2.bias',
    ])
    expect(() => new nn.Sequential(new nn.Linear(2, 2), 3 as never)).toThrow(
      /Sequential: layer 1 must be a Module or a function/,
    )
  })

  test('a hand-written module finds tensors in fields, nested objects and arrays; skips other state', () => {
    class Custom extends nn.Module {
      scale = 3 // not a parameter
      rng = new Random(1) // not a parameter
      head = new nn.Linear(2, 2)
      extra = { gamma: tensor([1, 2], { requiresGrad: true }), list: [tensor([3], { requiresGrad: true })] }
      override forward(x: Tensor) {
        return this.head.forward(x).mul(this.extra.gamma)
      }
    }
    const m = new Custom()
    expect(m.namedParameters().map(([n]) => n)).toEqual(['head.weight', 'head.bias', 'extra.gamma', 'extra.list.0'])
  })

  test('a module shared in two places is refused with a clear error', () => {
    const shared = new nn.Linear(2, 2)
    const net = new nn.Sequential(shared, shared)
    expect(() => net.parameters()).toThrow(/reached twice/)
  })

  test('train()/eval() reach every submodule', () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.Dropout(0.5), new nn.Sequential(new nn.Dropout(0.1)))
    net.eval()
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true)
    net.train()
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true)
    expect(net.namedModules().map(([p]) => p)).toEqual(['', 'layers.0', 'layers.1', 'layers.2', 'layers.2.layers.0'])
  })

  test('zeroGrad clears every parameter gradient', () => {
    const net = new nn.MLP([2, 3, 1])
    net
      .forward(tensor([[1, 2]]))
      .sum()
      .backward()
    expect(net.namedParameters().some(([, t]) => t.grad!.data.some((v) => v !== 0))).toBe(true)
    net.zeroGrad()
    expect(net.namedParameters().every(([, t]) => t.grad!.data.every((v) => v === 0))).toBe(true)
  })

  test('apply(params, x) runs with other parameters, puts its own back, and works under valueAndGrad', () => {
    seed(3)
    const net = new nn.MLP([3, 4, 2], { activation: 'tanh' })
    const x = tensor([
      [0.5, -1, 2],
      [1, 0, -0.5],
    ])
    const y = tensor([
      [1, 0],
      [0, 1],
    ])
    const own = net.forward(x).toArray()
    const other = new nn.MLP([3, 4, 2], { activation: 'tanh' })
    expect(net.apply(other.parameters(), x).toArray()).toEqual(other.forward(x).toArray())
    expect(net.forward(x).toArray()).toEqual(own)

    // JAX style gradients equal the PyTorch-style ones.
    const [value, grads] = valueAndGrad((p: Tree) => nn.mse(net.apply(p, x), y))(net.parameters())
    const loss = nn.mse(net.forward(x), y)
    loss.backward()
    expect(value.item()).toBeCloseTo(loss.item(), 6)
    const g = flatten(grads).leaves
    net.namedParameters().forEach(([, t], i) => expectClose(g[i].data, t.grad!.data))

    expect(() => net.apply({ layers: [] }, x)).toThrow(/apply \(MLP\): tree structure mismatch/)
  })

  test('apply puts its own parameters back even when forward throws', () => {
    seed(0)
    const net = new nn.MLP([2, 3, 1])
    const own = net.namedParameters().map(([, t]) => t)
    const other = new nn.MLP([2, 3, 1]).parameters()
    expect(() => net.apply(other, tensor([[1, 2, 3]]))).toThrow(
      'Linear(2 → 3): input of shape [1,3] must end with 2 features',
    )
    expect(net.namedParameters().map(([, t]) => t)).toEqual(own)
    net.namedParameters().forEach(([, t], i) => expect(t).toBe(own[i]))
  })
})

describe('stateDict / loadStateDict', () => {
  const input = tensor([
    [0.1, 0.2, 0.3],
    [-1, 0.5, 2],
  ])

  test('round-trips through tensors and through JSON, restoring the outputs exactly', () => {
    seed(1)
    const a = new nn.MLP([3, 8, 2])
    seed(2)
    const b = new nn.MLP([3, 8, 2])
    expect(b.forward(input).toArray()).not.toEqual(a.forward(input).toArray())
    b.loadStateDict(a.stateDict())
    expect(b.forward(input).toArray()).toEqual(a.forward(input).toArray())

    seed(4)
    const c = new nn.MLP([3, 8, 2])
    c.loadStateDict(JSON.parse(JSON.stringify(nn.serializeStateDict(a.stateDict()))))
    expect(c.forward(input).toArray()).toEqual(a.forward(input).toArray())
  })

  test('the state dict is a snapshot: later training does not change it', () => {
    const net = new nn.Linear(2, 2)
    const sd = net.stateDict()
    const before = Array.from(sd.weight.data)
    net.weight.data[0] += 1
    expect(Array.from(sd.weight.data)).toEqual(before)
    expect(Object.keys(sd)).toEqual(['weight', 'bias'])
  })

  test('loading writes in place (tensor identity kept, so attached optimizers keep working)', () => {
    const net = new nn.Linear(2, 3)
    const w = net.weight
    const data = w.data
    net.loadStateDict({
      weight: tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      bias: tensor([7, 8, 9]),
    })
    expect(net.weight).toBe(w)
    expect(net.weight.data).toBe(data)
    expect(Array.from(net.weight.data)).toEqual([1, 2, 3, 4, 5, 6])
  })

  const bad: [string, (good: Record<string, Tensor>) => unknown, RegExp][] = [
    [
      'a wrong shape',
      (g) => ({ ...g, 'layers.0.weight': tensor([[1, 2]]) }),
      /'layers\.0\.weight' has shape \[1,2\], expected \[3,4\]/,
    ],
    [
      'a missing name',
      (g) => Object.fromEntries(Object.entries(g).filter(([k]) => k !== 'layers.1.bias')),
      /missing 'layers\.1\.bias'/,
    ],
    ['an unexpected name', (g) => ({ ...g, 'layers.2.weight': tensor([1]) }), /unexpected 'layers\.2\.weight'/],
    [
      'wrong number of values',
      (g) => ({ ...g, 'layers.0.bias': { shape: [4], data: [1, 2, 3] } }),
      /'layers\.0\.bias' has 3 values for shape \[4\]/,
    ],
    [
      'a non-number value',
      (g) => ({ ...g, 'layers.0.bias': { shape: [4], data: [1, 2, 'x', 4] } }),
      /non-number value .* at flat index 2/,
    ],
    ['no shape', (g) => ({ ...g, 'layers.0.bias': { data: [1, 2, 3, 4] } }), /'layers\.0\.bias' has no valid shape/],
    ['a number instead of a tensor', (g) => ({ ...g, 'layers.0.bias': 5 }), /'layers\.0\.bias' is number/],
    ['an array instead of a dict', () => [1, 2], /expected an object of parameter name → tensor, got an array/],
    ['null', () => null, /got null/],
  ]
  test.each(bad)('refuses %s with a clear error and changes nothing', (_label, make, message) => {
    seed(5)
    const net = new nn.MLP([3, 4, 2])
    seed(6)
    const good = new nn.MLP([3, 4, 2]).stateDict()
    const before = net.namedParameters().map(([, t]) => Array.from(t.data))
    const dict = make(good)
    expect(() => net.loadStateDict(dict as never)).toThrow(message)
    expect(() => net.loadStateDict(dict as never)).toThrow(/loadStateDict \(MLP\)/)
    expect(net.namedParameters().map(([, t]) => Array.from(t.data))).toEqual(before)
  })

  test('an error lists every problem at once and says nothing was loaded', () => {
    const net = new nn.MLP([3, 4, 2])
    const sd: Record<string, unknown> = net.stateDict()
    delete sd['layers.1.bias']
    sd['layers.0.weight'] = tensor([1, 2])
    sd.extra = tensor([1])
    expect(() => net.loadStateDict(sd as never)).toThrow(
      /missing 'layers\.1\.bias'; unexpected 'extra'; 'layers\.0\.weight' has shape \[2\], expected \[3,4\]\. Nothing was loaded/,
    )
  })

  test('strict: false loads the names that fit and ignores the others; shapes are still checked', () => {
    const net = new nn.Linear(2, 2)
    net.loadStateDict({ bias: tensor([5, 6]), other: tensor([1]) }, { strict: false })
    expect(Array.from(net.bias!.data)).toEqual([5, 6])
    expect(() => net.loadStateDict({ bias: tensor([5, 6, 7]) }, { strict: false })).toThrow(
      /'bias' has shape \[3\], expected \[2\]/,
    )
    // one bad shape: the names that fit are not loaded either
    const weight = Array.from(net.weight.data)
    expect(() =>
      net.loadStateDict(
        {
          weight: tensor([
            [1, 2],
            [3, 4],
          ]),
          bias: tensor([1]),
        },
        { strict: false },
      ),
    ).toThrow(/Nothing was loaded/)
    expect(Array.from(net.weight.data)).toEqual(weight)
    expect(Array.from(net.bias!.data)).toEqual([5, 6])
  })
})

describe('layers', () => {
  test('Linear computes x·W + b (checked against plain loops) on any leading batch axes', () => {
    seed(0)
    const layer = new nn.Linear(3, 2)
    layer.bias!.data.set([0.5, -0.25])
    const x = [
      [1, 2, 3],
      [-1, 0.5, 0],
    ]
    expectClose(layer.forward(tensor(x)).data, affine(x, layer.weight, layer.bias!).flat())
    expect(layer.forward(tensor([x, x])).shape).toEqual([2, 2, 2])
    expect(new nn.Linear(3, 2, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight'])
    expect(() => layer.forward(tensor([[1, 2]]))).toThrow(
      'Linear(3 → 2): input of shape [1,2] must end with 3 features',
    )
    expect(() => new nn.Linear(0, 2)).toThrow(/inFeatures must be a positive integer/)
    expect(() => new nn.Linear(2, 2, { init: 'nope' as never })).toThrow(/unknown init 'nope'/)
  })

  test('Linear gradients match finite differences (float64)', () => {
    seed(0)
    const layer = new nn.Linear(3, 2, { dtype: 'float64' })
    const x = tensor(
      [
        [1, 2, 3],
        [-1, 0.5, 0],
      ],
      { dtype: 'float64' },
    )
    const report = gradcheck((W, b) => layer.apply({ weight: W, bias: b }, x).tanh().sum(), [layer.weight, layer.bias!])
    expect(report.message).toMatch(/./)
    expect(report.ok).toBe(true)
  })

  test('MLP applies the activation between layers only, and the output activation last', () => {
    seed(0)
    const net = new nn.MLP([2, 3, 2], { activation: 'relu' })
    const x = [
      [1, -2],
      [0.5, 0.25],
    ]
    const [l0, l1] = net.layers
    const h = affine(x, l0.weight, l0.bias!).map((r) => r.map((v) => Math.max(0, v)))
    expectClose(net.forward(tensor(x)).data, affine(h, l1.weight, l1.bias!).flat())
    seed(0)
    const sig = new nn.MLP([2, 3, 2], { activation: 'relu', outputActivation: 'sigmoid' })
    expectClose(
      sig.forward(tensor(x)).data,
      affine(h, l1.weight, l1.bias!)
        .flat()
        .map((v) => 1 / (1 + Math.exp(-v))),
    )
    expect(String(net)).toBe('MLP(2 → 3 → 2, relu)')
    expect(() => new nn.MLP([3])).toThrow(/at least an input and an output size/)
    expect(() => new nn.MLP([3, 2], { activation: 'swish' as never })).toThrow(/unknown activation 'swish'/)
  })

  test('Dropout: seeded masks, kept values scaled by 1/(1−p), identity in eval, gradient through kept elements', () => {
    const x = tensor(
      Array.from({ length: 4000 }, () => 1),
      { requiresGrad: true },
    )
    const a = new nn.Dropout(0.25, { seed: 7 }).forward(x)
    const b = new nn.Dropout(0.25, { seed: 7 }).forward(x)
    expect(Array.from(a.data)).toEqual(Array.from(b.data))
    const zeros = Array.from(a.data).filter((v) => v === 0).length
    expect(zeros / 4000).toBeGreaterThan(0.22)
    expect(zeros / 4000).toBeLessThan(0.28)
    expect(Array.from(a.data).every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true)
    a.sum().backward()
    expect(Array.from(x.grad!.data)).toEqual(Array.from(a.data))
    const d = new nn.Dropout(0.5).eval()
    expect(d.forward(x)).toBe(x)
    expect(() => new nn.Dropout(1)).toThrow(/p must be in \[0, 1\)/)
  })

  test('Embedding looks rows up and scatter-adds gradients for repeated ids', () => {
    seed(0)
    const emb = new nn.Embedding(5, 3)
    const out = emb.forward([
      [1, 4],
      [1, 0],
    ])
    expect(out.shape).toEqual([2, 2, 3])
    const row = (i: number) => Array.from(emb.weight.data.slice(i * 3, i * 3 + 3))
    expectClose(out.data, [...row(1), ...row(4), ...row(1), ...row(0)])
    out.sum().backward()
    expect(Array.from(emb.weight.grad!.data)).toEqual([1, 1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1])
  })

  test('LayerNorm normalises the last axes (checked by hand) and has correct gradients', () => {
    const ln = new nn.LayerNorm(4)
    const y = ln.forward(
      tensor([
        [1, 2, 3, 4],
        [2, 2, 2, 6],
      ]),
    )
    const norm = (r: number[]) => {
      const m = r.reduce((a, b) => a + b) / r.length
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length
      return r.map((x) => (x - m) / Math.sqrt(v + 1e-5))
    }
    expectClose(y.data, [...norm([1, 2, 3, 4]), ...norm([2, 2, 2, 6])], 1e-4)
    const ln64 = new nn.LayerNorm([2, 3], { dtype: 'float64' })
    ln64.weight!.data.set([1, 2, 3, 0.5, -1, 1])
    const x = tensor(
      [
        [
          [0.3, -1, 2],
          [1, 0.5, -0.2],
        ],
      ],
      { dtype: 'float64' },
    )
    const report = gradcheck(
      (xx, w, b) => ln64.apply({ weight: w, bias: b }, xx).pow(2).sum(),
      [x, ln64.weight!, ln64.bias!],
    )
    expect(report.ok).toBe(true)
    expect(() => ln.forward(tensor([[1, 2, 3]]))).toThrow('LayerNorm: input of shape [1,3] must end with [4]')
  })
})

describe('init', () => {
  const kinds = ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'] as const

  test.each(kinds)('%s: the same seed gives bit-identical weights; another seed does not', (kind) => {
    const f = nn.initializers[kind]
    seed(11)
    const a = f([30, 20])
    seed(11)
    const b = f([30, 20])
    seed(12)
    const c = f([30, 20])
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true)
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data))
    const r1 = f([30, 20], { rng: new Random(5) })
    const r2 = f([30, 20], { rng: new Random(5) })
    expect(Array.from(r1.data)).toEqual(Array.from(r2.data))
    expect(a.requiresGrad).toBe(true)
  })

  test('scales: uniform bounds and normal standard deviations follow the formulas', () => {
    const stats = (t: Tensor) => {
      const d = Array.from(t.data)
      const m = d.reduce((s, v) => s + v, 0) / d.length
      const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length)
      return { max: Math.max(...d.map(Math.abs)), sd }
    }
    seed(0)
    const xu = stats(nn.xavierUniform([300, 100]))
    const xa = Math.sqrt(6 / 400)
    expect(xu.max).toBeLessThanOrEqual(xa)
    expect(xu.max).toBeGreaterThan(0.99 * xa)
    const hu = stats(nn.heUniform([300, 100]))
    expect(hu.max).toBeLessThanOrEqual(Math.sqrt(6 / 300))
    expect(hu.max).toBeGreaterThan(0.99 * Math.sqrt(6 / 300))
    expect(stats(nn.xavierNormal([300, 100])).sd).toBeCloseTo(Math.sqrt(2 / 400), 3)
    expect(stats(nn.heNormal([300, 100])).sd).toBeCloseTo(Math.sqrt(2 / 300), 3)
    expect(stats(nn.xavierUniform([300, 100], { gain: nn.calculateGain('tanh') })).max).toBeGreaterThan(
      (5 / 3) * 0.99 * xa,
    )
  })

  test('fans, gains and errors', () => {
    expect(nn.fans([784, 128])).toEqual([784, 128])
    expect(nn.fans([7])).toEqual([7, 7])
    expect(nn.fans([4, 5, 3, 3])).toEqual([36, 45])
    expect(nn.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12)
    expect(nn.calculateGain('tanh')).toBeCloseTo(5 / 3, 12)
    expect(() => nn.heUniform([0, 3])).toThrow(/heUniform: fan-in 0 and fan-out 3 of shape \[0,3\] must be positive/)
    expect(() => nn.xavierNormal([2.5, 3])).toThrow(/invalid shape/)
    expect(nn.heNormal([4, 4], { dtype: 'float64' }).dtype).toBe('float64')
  })
})

describe('losses and activations under nn', () => {
  test('hinge = mean(max(0, 1 − y·s)), gradient −y/N where the margin is violated', () => {
    const s = tensor([2, -0.5, 0.3, -3], { requiresGrad: true })
    const y = tensor([1, 1, -1, -1])
    const loss = nn.hinge(s, y)
    expect(loss.item()).toBeCloseTo((0 + 1.5 + 1.3 + 0) / 4, 6)
    loss.backward()
    expect(Array.from(s.grad!.data, (v) => v + 0)).toEqual([0, -0.25, 0.25, 0]) // + 0 turns −0 into 0
    expect(nn.hinge(s, y, { reduction: 'sum' }).item()).toBeCloseTo(2.8, 6)
    expect(Array.from(nn.hinge(s, y, { reduction: 'none', margin: 2 }).data).map((v) => +v.toFixed(5))).toEqual([
      0, 2.5, 2.3, 0,
    ])
    expect(() => nn.hinge(s, tensor([1, 1]))).toThrow('hinge: scores [4] and target [2] must have the same shape')
    expect(() => nn.hinge(s, y, { reduction: 'max' as never })).toThrow(/reduction must be/)
  })

  test('the core losses and activations are reachable under nn', () => {
    const x = tensor([[-1, 0, 2]])
    expect(Array.from(nn.relu(x).data)).toEqual([0, 0, 2])
    expect(nn.softmax(x).sum().item()).toBeCloseTo(1, 6)
    expect(nn.crossEntropy(tensor([[0, 0]]), [1]).item()).toBeCloseTo(Math.LN2, 6)
    expect(nn.mse(tensor([1, 2]), tensor([0, 0])).item()).toBeCloseTo(2.5, 6)
    expect(nn.binaryCrossEntropyWithLogits(tensor([0]), tensor([1])).item()).toBeCloseTo(Math.LN2, 6)
    for (const f of [nn.tanh, nn.sigmoid, nn.gelu, nn.logSoftmax, nn.leakyRelu]) expect(f(x).shape).toEqual([1, 3])
  })
})

describe('data', () => {
  const X = tensor(Array.from({ length: 10 }, (_, i) => [i, 10 * i]))
  const Y = tensor(Array.from({ length: 10 }, (_, i) => i))

  test('batches cover every row once, keep X and Y rows together, and size the last batch', () => {
    for (const shuffle of [false, true]) {
      const got = [...nn.batches(X, Y, { batchSize: 4, shuffle, seed: 3 })]
      expect(got.map((b) => b.x.shape)).toEqual([
        [4, 2],
        [4, 2],
        [2, 2],
      ])
      const rows = got.flatMap((b) => Array.from(b.y.data))
      expect([...rows].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      for (const b of got) for (let i = 0; i < b.y.size; i++) expect(b.x.data[2 * i + 1]).toBe(10 * b.y.data[i])
      if (!shuffle) expect(rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }
    expect([...nn.batches(X, Y, { batchSize: 4, dropLast: true })].length).toBe(2)
    expect(nn.numBatches(10, 4)).toBe(3)
    expect(nn.numBatches(10, 4, true)).toBe(2)
  })

  test('shuffling with a seed is repeatable, and a different seed gives a different order', () => {
    const order = (s: number) => [...nn.batches(X, Y, { batchSize: 10, shuffle: true, seed: s })][0].indices
    expect(Array.from(order(1))).toEqual(Array.from(order(1)))
    expect(Array.from(order(1))).not.toEqual(Array.from(order(2)))
    expect(Array.from(order(1))).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  test('mismatched rows and bad sizes are refused', () => {
    expect(() => [...nn.batches(X, tensor([1, 2]))]).toThrow(
      'batches: X [10,2] and Y [2] must have the same number of rows (first axis)',
    )
    expect(() => [...nn.batches(X, Y, { batchSize: 0 })]).toThrow(/batchSize must be a positive integer/)
  })

  test('toy data sets: shapes, balance, seeds, geometry', () => {
    const m = nn.moons(101, { noise: 0, seed: 1 })
    expect(m.X.shape).toEqual([101, 2])
    expect(Array.from(m.y.data).filter((v) => v === 0).length).toBe(50)
    for (let i = 0; i < 101; i++) {
      const [x, y] = [m.X.data[2 * i], m.X.data[2 * i + 1]]
      // class 0: the upper unit half circle; class 1: the lower one centred at (1, 0.5)
      const r = m.y.data[i] === 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5)
      expect(r).toBeCloseTo(1, 5)
      expect(m.y.data[i] === 0 ? y >= -1e-6 : y <= 0.5 + 1e-6).toBe(true)
    }
    expect(Array.from(nn.moons(50, { seed: 9 }).X.data)).toEqual(Array.from(nn.moons(50, { seed: 9 }).X.data))
    expect(Array.from(nn.moons(50, { seed: 9 }).X.data)).not.toEqual(Array.from(nn.moons(50, { seed: 8 }).X.data))

    const x = nn.xor(200, { seed: 2 })
    for (let i = 0; i < 200; i++) expect(x.y.data[i]).toBe(x.X.data[2 * i] * x.X.data[2 * i + 1] < 0 ? 1 : 0)

    const s = nn.spirals(300, { classes: 3, seed: 0 })
    expect(s.classes).toBe(3)
    expect([0, 1, 2].map((k) => Array.from(s.y.data).filter((v) => v === k).length)).toEqual([100, 100, 100])
    for (let i = 0; i < 300; i++) expect(Math.hypot(s.X.data[2 * i], s.X.data[2 * i + 1])).toBeLessThanOrEqual(1 + 1e-6)

    const b = nn.blobs(300, {
      centers: [
        [-5, 0],
        [5, 0],
      ],
      std: 0.5,
      seed: 0,
    })
    for (let i = 0; i < 300; i++) expect(Math.sign(b.X.data[2 * i])).toBe(b.y.data[i] === 0 ? -1 : 1)
    expect(nn.blobs(30, { centers: 3, seed: 1 }).classes).toBe(3)
    expect(() => nn.spirals(10, { classes: 1 })).toThrow(/classes must be an integer ≥ 2/)
    expect(() => nn.moons(1)).toThrow(/moons: n must be an integer ≥ 2/)
  })
})
