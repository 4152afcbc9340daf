/**
 * RNNCell, LSTMCell, GRUCell, RNN, LSTM, GRU: layout, equivalences (a sequence layer is its cell
 * in a loop; batchFirst is a transpose; unbatched is a batch of one), gradients through 100 steps
 * by gradcheck in float64, a 1,000-step sequence, errors, state dicts, training.
 * (Values against PyTorch are in nn-torch.test.ts.)
 */
import {
  gradcheck,
  gradgradcheck,
  jvp,
  noGrad,
  permute,
  Random,
  randn,
  seed,
  slice,
  stack,
  tensor,
  Tensor,
  valueAndGrad,
  zeros,
  type Tree,
} from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'

const f64 = { dtype: 'float64' } as const

function expectClose(a: Tensor, b: Tensor, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape)
  for (let i = 0; i < a.size; i++) {
    if (!(Math.abs(a.data[i] - b.data[i]) <= tol * Math.max(1, Math.abs(b.data[i])))) {
      throw new Error(`element ${i}: ${a.data[i]} vs ${b.data[i]}`)
    }
  }
}

/** The state dict as one string (compared whole: a deep equal of 100k numbers is slow in jest). */
function snapshot(m: nn.Module<unknown>): string {
  return Object.entries(m.stateDict())
    .map(([k, t]) => `${k}:${Buffer.from(t.data.buffer).toString('base64')}`)
    .join(';')
}

/** The cell of layer k of a sequence layer, holding the very same tensors. */
function cellOf<C extends nn.RNNCell | nn.LSTMCell | nn.GRUCell>(cell: C, layer: nn.Recurrent<unknown>, k: number): C {
  cell.weightIh = layer[`weightIhL${k}`]!
  cell.weightHh = layer[`weightHhL${k}`]!
  cell.biasIh = layer[`biasIhL${k}`]
  cell.biasHh = layer[`biasHhL${k}`]
  return cell
}

describe('parameters: PyTorch names, layout and initialisation', () => {
  test('cells: weightIh [G·H, in], weightHh [G·H, H], biasIh, biasHh [G·H], in U(±1/√H)', () => {
    seed(0)
    for (const [cell, G] of [
      [new nn.RNNCell(3, 16), 1],
      [new nn.LSTMCell(3, 16), 4],
      [new nn.GRUCell(3, 16), 3],
    ] as const) {
      expect(cell.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual([
        `weightIh ${G * 16}x3`,
        `weightHh ${G * 16}x16`,
        `biasIh ${G * 16}`,
        `biasHh ${G * 16}`,
      ])
      const all = cell.namedParameters().flatMap(([, t]) => Array.from(t.data))
      expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25) // 1/√16
      expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.2)
      expect(cell.namedParameters().every(([, t]) => t.requiresGrad)).toBe(true)
    }
    expect(new nn.LSTMCell(3, 4, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weightIh', 'weightHh'])
  })

  test('layers: weightIhL{k} … in PyTorch order; layer k > 0 reads H inputs', () => {
    const lstm = new nn.LSTM(5, 4, { numLayers: 2 })
    expect(lstm.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual([
      'weightIhL0 16x5',
      'weightHhL0 16x4',
      'biasIhL0 16',
      'biasHhL0 16',
      'weightIhL1 16x4',
      'weightHhL1 16x4',
      'biasIhL1 16',
      'biasHhL1 16',
    ])
    expect(new nn.GRU(2, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weightIhL0', 'weightHhL0'])
    expect(lstm.toString()).toBe('LSTM(5, 4, numLayers: 2)')
    expect(new nn.GRU(2, 3, { batchFirst: true, bias: false }).toString()).toBe('GRU(2, 3, batchFirst, bias: false)')
    expect(new nn.LSTMCell(2, 3).toString()).toBe('LSTMCell(2, 3)')
  })

  test('rng and dtype options: the same generator gives the same weights', () => {
    const a = new nn.GRU(3, 4, { rng: new Random(5), dtype: 'float64' })
    const b = new nn.GRU(3, 4, { rng: new Random(5), dtype: 'float64' })
    expect(snapshot(a)).toEqual(snapshot(b))
    expect(a.weightIhL0!.dtype).toBe('float64')
  })
})

describe('equivalences', () => {
  test('a missing state is zeros; the unbatched form is a batch of one', () => {
    seed(1)
    const lstm = new nn.LSTMCell(3, 4, f64)
    const x = randn([2, 3], f64)
    const [h, c] = lstm.forward(x)
    const [h2, c2] = lstm.forward(x, [zeros([2, 4], f64), zeros([2, 4], f64)])
    expectClose(h, h2)
    expectClose(c, c2)
    const [hu, cu] = lstm.forward(slice(x, [0]), [slice(h, [0]), slice(c, [0])])
    const [hb] = lstm.forward(slice(x, [[0, 1]]), [slice(h, [[0, 1]]), slice(c, [[0, 1]])])
    expect(hu.shape).toEqual([4])
    expect(cu.shape).toEqual([4])
    expectClose(hu, hb.reshape([4]))
    const gru = new nn.GRU(3, 5, f64)
    const seq = randn([6, 3], f64)
    const [out, hN] = gru.forward(seq)
    expect(out.shape).toEqual([6, 5])
    expect(hN.shape).toEqual([1, 5])
    expectClose(out, gru.forward(seq.reshape([6, 1, 3]))[0].reshape([6, 5]))
  })

  test('LSTM over a sequence is LSTMCell in a loop, layer over layer; hN, cN are the last states', () => {
    seed(2)
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, ...f64 })
    const x = randn([5, 2, 3], f64)
    const h0 = randn([2, 2, 4], f64)
    const c0 = randn([2, 2, 4], f64)
    const [out, [hN, cN]] = lstm.forward(x, [h0, c0])
    let inputs = Array.from({ length: 5 }, (_, t) => slice(x, [t]))
    const hs: Tensor[] = []
    const cs: Tensor[] = []
    for (let k = 0; k < 2; k++) {
      const cell = cellOf(new nn.LSTMCell(k === 0 ? 3 : 4, 4, f64), lstm, k)
      let state: [Tensor, Tensor] = [slice(h0, [k]), slice(c0, [k])]
      inputs = inputs.map((xt) => (state = cell.forward(xt, state))[0])
      hs.push(state[0])
      cs.push(state[1])
    }
    expectClose(out, stack(inputs))
    expectClose(hN, stack(hs))
    expectClose(cN, stack(cs))
  })

  test('GRU and RNN are their cells in a loop', () => {
    seed(3)
    const x = randn([4, 3, 2], f64)
    for (const [layer, cell] of [
      [new nn.GRU(2, 5, f64), new nn.GRUCell(2, 5, f64)],
      [new nn.RNN(2, 5, { nonlinearity: 'relu', ...f64 }), new nn.RNNCell(2, 5, { nonlinearity: 'relu', ...f64 })],
      [new nn.RNN(2, 5, f64), new nn.RNNCell(2, 5, f64)],
    ] as const) {
      const [out, hN] = layer.forward(x)
      const c = cellOf(cell, layer, 0)
      let h: Tensor | undefined
      const outs = Array.from({ length: 4 }, (_, t) => (h = c.forward(slice(x, [t]), h)))
      expectClose(out, stack(outs))
      expectClose(hN, stack([h!]))
    }
  })

  test('batchFirst reads and writes [N, T, ·]: the same numbers, transposed', () => {
    seed(4)
    const tm = new nn.LSTM(3, 4, { numLayers: 2, ...f64 })
    const bf = new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, ...f64 })
    bf.loadStateDict(tm.stateDict())
    const x = randn([5, 2, 3], f64)
    const [a, [ha, ca]] = tm.forward(x)
    const [b, [hb, cb]] = bf.forward(permute(x, [1, 0, 2]))
    expect(b.shape).toEqual([2, 5, 4])
    expectClose(b, permute(a, [1, 0, 2]))
    expectClose(hb, ha)
    expectClose(cb, ca)
  })
})

describe('gradients', () => {
  const T = 100
  test.each([
    ['LSTM', () => new nn.LSTM(2, 3, f64)],
    ['GRU', () => new nn.GRU(2, 3, f64)],
    ['RNN', () => new nn.RNN(2, 3, f64)],
  ] as const)('%s: gradcheck through a 100-step sequence (float64), parameters and initial state', (_name, make) => {
    seed(5)
    const layer = make()
    const x = randn([T, 1, 2], f64)
    const w = randn([T, 1, 3], f64)
    const names = layer.namedParameters().map(([n]) => n)
    const lstm = layer instanceof nn.LSTM
    const f = (...ts: Tensor[]) => {
      const params = Object.fromEntries(names.map((n, i) => [n, ts[i]]))
      const h0 = ts[names.length]
      const out = lstm
        ? (layer as nn.LSTM).apply(params, x, [h0, ts[names.length + 1]])
        : (layer as nn.GRU).apply(params, x, h0)
      const [o, hN] = out as [Tensor, Tensor | Tensor[]]
      const last = Array.isArray(hN) ? hN[0].add(hN[1]) : hN
      return o.mul(w).sum().add(last.sum())
    }
    const state = lstm ? [randn([1, 1, 3], f64), randn([1, 1, 3], f64)] : [randn([1, 1, 3], f64)]
    const report = gradcheck(f, [...layer.namedParameters().map(([, t]) => t), ...state])
    expect(report.message).toMatch(/passed/)
    expect(report.maxAbsError).toBeLessThan(1e-6)
  })

  test('gradcheck of the cells with respect to x and the state', () => {
    seed(6)
    const lstm = new nn.LSTMCell(3, 2, f64)
    const gru = new nn.GRUCell(3, 2, f64)
    const rnn = new nn.RNNCell(3, 2, { nonlinearity: 'tanh', bias: false, ...f64 })
    const x = randn([2, 3], f64)
    const h = randn([2, 2], f64)
    const c = randn([2, 2], f64)
    expect(
      gradcheck(
        (a, b, d) => {
          const [h2, c2] = lstm.forward(a, [b, d])
          return h2.mul(c2).sum()
        },
        [x, h, c],
      ).message,
    ).toMatch(/passed/)
    expect(gradcheck((a, b) => gru.forward(a, b).square().sum(), [x, h]).message).toMatch(/passed/)
    expect(gradcheck((a, b) => rnn.forward(a, b).square().sum(), [x, h]).message).toMatch(/passed/)
  })

  test('second derivatives and forward mode come with the composites (gradgradcheck, jvp vs finite differences)', () => {
    seed(11)
    const lstm = new nn.LSTM(2, 3, f64)
    const gru = new nn.GRUCell(2, 3, f64)
    const x = randn([4, 1, 2], f64)
    const f = (w: Tensor, xx: Tensor) =>
      lstm
        .apply({ ...lstm.parameters(), weightHhL0: w }, xx)[0]
        .square()
        .sum()
    expect(gradgradcheck(f, [lstm.weightHhL0!, x]).message).toMatch(/passed/)
    expect(
      gradgradcheck((a, h) => gru.forward(a, h).tanh().sum(), [randn([2, 2], f64), randn([2, 3], f64)]).message,
    ).toMatch(/passed/)
    const t = randn([4, 1, 2], f64)
    const g = (xx: Tensor) => lstm.forward(xx)[0].sum()
    const [, dy] = jvp(g, [x], [t])
    const eps = 1e-6
    const numeric = (g(x.add(t.mul(eps))).item() - g(x.sub(t.mul(eps))).item()) / (2 * eps)
    expect(dy.item()).toBeCloseTo(numeric, 7)
  })

  test('a 1,000-step sequence runs forward and backward without overflowing the stack', () => {
    seed(7)
    const lstm = new nn.LSTM(3, 4)
    const x = randn([1000, 2, 3], { requiresGrad: true })
    const [out, [hN]] = lstm.forward(x)
    expect(out.shape).toEqual([1000, 2, 4])
    out.sum().add(hN.sum()).backward()
    expect(x.grad!.shape).toEqual([1000, 2, 3])
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true)
    expect(Array.from(lstm.weightHhL0!.grad!.data).every(Number.isFinite)).toBe(true)
    expect(lstm.weightHhL0!.grad!.data.some((v) => v !== 0)).toBe(true)
  })

  test('JAX style: valueAndGrad over the parameter tree gives what backward() gives', () => {
    seed(8)
    const gru = new nn.GRU(2, 3, { numLayers: 2 })
    const x = randn([4, 2, 2])
    const loss = (p: Tree) => gru.apply(p, x)[0].square().mean()
    const [value, grads] = valueAndGrad(loss)(gru.parameters())
    gru.forward(x)[0].square().mean().backward()
    expect(value.item()).toBeCloseTo(gru.forward(x)[0].square().mean().item(), 6)
    const g = grads as Record<string, Tensor>
    for (const [name, t] of gru.namedParameters()) expectClose(g[name], t.grad!, 1e-6)
  })
})

describe('errors name the layer and the shapes, and change nothing', () => {
  test('wrong hidden-state shapes', () => {
    const cell = new nn.LSTMCell(64, 128)
    const before = snapshot(cell)
    expect(() => cell.forward(randn([4, 64]), [randn([2, 64]), randn([4, 128])])).toThrow(
      'LSTMCell: h has shape [2,64], expected [4,128] (batch 4, hidden 128)',
    )
    expect(() => cell.forward(randn([4, 64]), [randn([4, 128]), randn([4, 12])])).toThrow(
      'LSTMCell: c has shape [4,12], expected [4,128] (batch 4, hidden 128)',
    )
    expect(() => cell.forward(randn([64]), [randn([4, 128]), randn([4, 128])])).toThrow(
      'LSTMCell: h has shape [4,128], expected [128] (unbatched input, hidden 128)',
    )
    expect(() => cell.forward(randn([4, 64]), [randn([4, 128])] as never)).toThrow(
      'LSTMCell: the state must be [h, c] (two tensors of shape [N, 128]), got an array of length 1',
    )
    expect(() => cell.forward(randn([4, 64]), randn([4, 128]) as never)).toThrow(
      /LSTMCell: the state must be \[h, c\].*got an object of class Tensor/,
    )
    const lstm = new nn.LSTM(8, 16, { numLayers: 2 })
    expect(() => lstm.forward(randn([5, 3, 8]), [randn([1, 3, 16]), randn([2, 3, 16])])).toThrow(
      'LSTM: h0 has shape [1,3,16], expected [2,3,16] (layers 2, batch 3, hidden 16)',
    )
    expect(() => new nn.GRU(8, 16, { batchFirst: true }).forward(randn([3, 5, 8]), randn([1, 5, 16]))).toThrow(
      'GRU: h0 has shape [1,5,16], expected [1,3,16] (layers 1, batch 3, hidden 16)',
    )
    expect(() => new nn.GRUCell(2, 3).forward(randn([4, 2]), 7 as never)).toThrow(
      'GRUCell: h must be a Tensor of shape [4,3], got number 7',
    )
    expect(snapshot(cell)).toEqual(before)
  })

  test('wrong input sizes and ranks', () => {
    expect(() => new nn.LSTMCell(8, 4).forward(randn([2, 7]))).toThrow(
      'LSTMCell: input has shape [2,7], expected [N, 8] or [8] with input size 8',
    )
    expect(() => new nn.RNNCell(8, 4).forward(randn([2, 3, 8]))).toThrow(
      'RNNCell: input has shape [2,3,8], expected [N, 8] or [8] with input size 8',
    )
    expect(() => new nn.LSTM(8, 4).forward(randn([5, 2, 6]))).toThrow(
      'LSTM: input has shape [5,2,6], expected [T, N, 8] or [T, 8] with input size 8',
    )
    expect(() => new nn.GRU(8, 4, { batchFirst: true }).forward(randn([8]))).toThrow(
      'GRU: input has shape [8], expected [N, T, 8] or [T, 8] with input size 8',
    )
    expect(() => new nn.RNN(8, 4).forward(randn([0, 2, 8]))).toThrow(
      'RNN: the sequence is empty (input [0,2,8], T = 0)',
    )
    expect(() => new nn.LSTM(8, 4).forward('abc' as never)).toThrow(
      'LSTM: input must be a Tensor [T, N, 8] or [T, 8], got string abc',
    )
  })

  test('dtype mismatches', () => {
    expect(() => new nn.LSTMCell(2, 3).forward(randn([1, 2], f64))).toThrow(
      "LSTMCell: input [1,2] is float64 but the weights are float32; convert one (x.astype('float32'), or create the module with { dtype: 'float64' })",
    )
    expect(() => new nn.GRU(2, 3, f64).forward(randn([4, 1, 2], f64), randn([1, 1, 3]))).toThrow(
      "GRU: h0 is float32 but the weights are float64; convert it with .astype('float64')",
    )
  })

  test('bad sizes and options', () => {
    expect(() => new nn.LSTM(0, 4)).toThrow('LSTM: inputSize must be a positive integer, got number 0')
    expect(() => new nn.GRUCell(3, 2.5)).toThrow('GRUCell: hiddenSize must be a positive integer, got number 2.5')
    expect(() => new nn.RNN(3, 4, { numLayers: 0 })).toThrow('RNN: numLayers must be a positive integer, got number 0')
    expect(() => new nn.LSTM(3, 4, { bidirectional: true } as never)).toThrow(
      "LSTM: unknown option 'bidirectional' (not supported); the options are numLayers, batchFirst, bias, rng, dtype",
    )
    expect(() => new nn.GRU(3, 4, { hidden: 3 } as never)).toThrow("GRU: unknown option 'hidden'; the options are")
    expect(() => new nn.RNNCell(3, 4, { nonlinearity: 'sigmoid' as never })).toThrow(
      "RNNCell: nonlinearity must be 'tanh' or 'relu', got string sigmoid",
    )
    expect(() => new nn.LSTM(3, 4, { batchFirst: 1 as never })).toThrow(
      'LSTM: batchFirst must be true or false, got number 1',
    )
  })
})

describe('state dicts and training', () => {
  test('an LSTM saved as JSON and loaded into a fresh one gives the same outputs', () => {
    seed(9)
    const a = new nn.LSTM(3, 5, { numLayers: 2 })
    const json = JSON.parse(JSON.stringify(nn.serializeStateDict(a.stateDict())))
    expect(Object.keys(json)).toEqual(a.namedParameters().map(([n]) => n))
    const b = new nn.LSTM(3, 5, { numLayers: 2 })
    b.loadStateDict(json)
    const x = randn([4, 2, 3])
    expect(b.forward(x)[0].toArray()).toEqual(a.forward(x)[0].toArray())
    expect(() => new nn.LSTM(3, 6, { numLayers: 2 }).loadStateDict(json)).toThrow(
      /'weightIhL0' has shape \[20,3\], expected \[24,3\]/,
    )
  })

  test('an LSTM learns to predict the next symbol of a repeating pattern', () => {
    seed(10)
    const V = 4
    const pattern = [0, 1, 2, 3, 2, 1]
    const T = 12
    const N = 6
    const emb = new nn.Embedding(V, 6)
    const lstm = new nn.LSTM(6, 16)
    const head = new nn.Linear(16, V)
    const opt = adam(0.03).attach({ emb: emb.parameters(), lstm: lstm.parameters(), head: head.parameters() })
    const ids: number[][] = []
    const next: number[] = []
    for (let t = 0; t < T; t++) {
      ids.push(Array.from({ length: N }, (_, n) => pattern[(t + n) % 6]))
      for (let n = 0; n < N; n++) next.push(pattern[(t + n + 1) % 6])
    }
    const step = () => {
      const [out] = lstm.forward(emb.forward(ids))
      return nn.crossEntropy(head.forward(out.reshape([T * N, 16])), next)
    }
    const first = noGrad(step).item()
    for (let i = 0; i < 60; i++) {
      const loss = step()
      opt.zeroGrad()
      loss.backward()
      opt.step()
    }
    // After 0 and 2 the next symbol is certain; after 1 and 3 the LSTM must remember the one before.
    expect(first).toBeGreaterThan(1.2)
    expect(noGrad(step).item()).toBeLessThan(0.1)
  })
})

test('outputs are typed as PyTorch returns them', () => {
  const [out, [h, c]]: [Tensor, [Tensor, Tensor]] = new nn.LSTM(2, 3).forward(randn([2, 1, 2]))
  const [o2, h2]: [Tensor, Tensor] = new nn.GRU(2, 3).forward(randn([2, 1, 2]))
  const [h3, c3]: [Tensor, Tensor] = new nn.LSTMCell(2, 3).forward(randn([1, 2]))
  const h4: Tensor = new nn.RNNCell(2, 3).forward(tensor([[1, 2]]))
  expect([out, h, c, o2, h2, h3, c3, h4].map((t) => t.shape)).toEqual([
    [2, 1, 3],
    [1, 1, 3],
    [1, 1, 3],
    [2, 1, 3],
    [1, 1, 3],
    [1, 3],
    [1, 3],
    [1, 3],
  ])
})
