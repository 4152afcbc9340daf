/**
 * safetensors round trips with PyTorch, from the committed fixtures (test/fixtures/README.md):
 * - tapegrad → torch: the js_*.safetensors files are what test/fixtures/write_js_safetensors.ts
 *   writes today; torch loaded them into the equivalent `torch.nn` models (`load_state_dict`,
 *   strict) and its outputs on fixed inputs equal tapegrad's; the state_dict torch saved back loads
 *   into tapegrad bit for bit;
 * - torch → tapegrad: a torch MLP's file gives torch's outputs in tapegrad; F64/I32/I64, 0-d, 0-size
 *   tensors and metadata read as torch wrote them.
 * And `stateDict({ format: 'torch' })` / `loadStateDict(d, { format: 'torch' })` themselves: names,
 * layouts, the per-module hook, errors that name the parameter and both shapes, nothing half-changed.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { loadSafetensors, noGrad, ones, saveSafetensors, seed, tensor, Tensor, zeros } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { jsCnn, jsFixtures, jsMixedTensors, jsMlp, jsSeq } from './fixtures/write_js_safetensors.js'

const FIXTURES = path.join(__dirname, 'fixtures')
const fixtures = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'safetensors.json'), 'utf8'))
const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'safetensors', name)))
type Packed = { dtype: string; shape: number[]; data: number[] }
const fromJson = (t: Packed) =>
  new Tensor(t.dtype === 'float64' ? Float64Array.from(t.data) : Float32Array.from(t.data), t.shape)
const bitsOf = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')
const snapshot = (m: nn.Module) =>
  m
    .namedParameters()
    .map(([k, t]) => `${k}:${bitsOf(t)}`)
    .join('|')

/** |a − b| ≤ atol + rtol·|b| elementwise, as numpy.allclose; the error names the worst element. */
function expectAllClose(actual: Tensor, expected: Packed, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.shape).toEqual(expected.shape)
  let worst = -1
  let excess = 0
  expected.data.forEach((b, i) => {
    const over = Math.abs(actual.data[i] - b) - (atol + rtol * Math.abs(b))
    if (over > excess) [worst, excess] = [i, over]
  })
  if (worst >= 0) throw new Error(`element ${worst}: tapegrad ${actual.data[worst]}, torch ${expected.data[worst]}`)
}

describe('tapegrad → torch', () => {
  test('the committed js_*.safetensors files are exactly what write_js_safetensors.ts writes today', () => {
    for (const [name, bytes] of Object.entries(jsFixtures())) {
      expect(`${name} ${Buffer.from(read(name)).equals(Buffer.from(bytes))}`).toBe(`${name} true`)
    }
  })

  test.each([
    ['js_mlp', jsMlp],
    ['js_seq', jsSeq],
    ['js_cnn', jsCnn],
  ] as const)("%s: torch loaded the file into its nn.Sequential and gives tapegrad's outputs", (name, make) => {
    const fx = fixtures[name]
    const net = make()
    expect(Object.keys(net.stateDict({ format: 'torch' })).sort()).toEqual(fx.keys) // what torch's strict load accepted
    expect(fx.metadata).toEqual({ producer: 'tapegrad' })
    const y = noGrad(() => net.eval().forward(fromJson(fx.inputs)))
    expectAllClose(y, fx.outputs)
  })

  test.each([
    ['js_mlp', jsMlp],
    ['js_seq', jsSeq],
    ['js_cnn', jsCnn],
  ] as const)('%s: the state_dict torch saved back loads into tapegrad bit for bit', (name, make) => {
    const fx = fixtures[name]
    const original = make()
    const fresh = make()
    for (const [, t] of fresh.namedParameters()) t.data.set(Float32Array.from(t.data, (_, i) => Math.sin(i + 1)))
    expect(snapshot(fresh)).not.toBe(snapshot(original))
    const back = loadSafetensors(read(fx.saved_back))
    expect(back.metadata).toEqual({ producer: 'torch' })
    fresh.loadStateDict(back.tensors, { format: 'torch' })
    expect(snapshot(fresh)).toBe(snapshot(original))
  })

  test('js_mixed: torch and NumPy read every dtype, the 0-d and the 0-size tensor, and the metadata as written', () => {
    const fx = fixtures.js_mixed
    expect(fx.metadata).toEqual({ 'note ✓': 'one key: the Rust writer orders several at random' })
    const written = jsMixedTensors()
    const torchName: Record<string, string> = { Float32Array: 'float32', Float64Array: 'float64', Int32Array: 'int32' }
    expect(Object.keys(fx.tensors).sort()).toEqual(Object.keys(written).sort())
    for (const [k, t] of Object.entries(written)) {
      const got = fx.tensors[k] as Packed
      expect([k, got.dtype, got.shape]).toEqual([k, torchName[t.data.constructor.name], t.shape])
      const want = Array.from(t.data)
      const f32 = t.data instanceof Float32Array
      const same = (v: number, i: number) => Object.is(v, want[i]) || (f32 && Math.fround(v) === want[i])
      got.data.forEach((v, i) => expect([k, i, same(v, i)]).toEqual([k, i, true]))
    }
  })
})

describe('torch → tapegrad', () => {
  test("torch_mlp: a torch nn.Sequential MLP, its own init, gives torch's outputs in tapegrad", () => {
    const fx = fixtures.torch_mlp
    const { tensors, metadata } = loadSafetensors(read(fx.file))
    expect(metadata).toEqual({ producer: 'torch' })
    seed(0)
    const net = new nn.MLP([5, 16, 8, 3])
    net.loadStateDict(tensors, { format: 'torch' })
    // the layout: tapegrad's [in, out] weight is the transpose of torch's [out, in]
    expect(net.layers[0].weight.shape).toEqual([5, 16])
    expect(net.layers[0].weight.data[1]).toBe(Math.fround(fx.state['0.weight'].data[5])) // W[0][1] = torch W[1][0]
    const y = noGrad(() => net.forward(fromJson(fx.inputs)))
    expectAllClose(y, fx.outputs)
    // and it goes back as torch wrote it
    const again = net.stateDict({ format: 'torch' })
    for (const [k, t] of Object.entries(fx.state as Record<string, Packed>)) {
      expect([k, bitsOf(again[k])]).toEqual([k, bitsOf(fromJson(t))])
    }
    expect(Buffer.from(saveSafetensors(again, metadata)).equals(Buffer.from(read(fx.file)))).toBe(true)
  })

  test('torch_recurrent: BatchNorm1d (with running statistics), a 2-layer LSTM and a GRUCell load by PyTorch names and run as in torch', () => {
    const fx = fixtures.torch_recurrent
    class Holder extends nn.Module<Tensor> {
      bn = new nn.BatchNorm1d(4)
      lstm = new nn.LSTM(4, 5, { numLayers: 2 })
      cell = new nn.GRUCell(5, 3)
      override forward(x: Tensor) {
        return x
      }
    }
    seed(0)
    const m = new Holder()
    expect(Object.keys(m.stateDict({ format: 'torch' }))).toEqual(fx.keys) // torch's own names, in torch's order
    m.loadStateDict(loadSafetensors(read(fx.file)).tensors, { format: 'torch' })
    m.eval()
    const x = fromJson(fx.inputs) // [T, N, in]
    const [T, N] = x.shape
    const y = noGrad(() => m.bn.forward(x.reshape([T * N, 4])).reshape([T, N, 4]))
    const [out] = noGrad(() => m.lstm.forward(y))
    expectAllClose(out, fx.lstm_out)
    const z = noGrad(() => m.cell.forward(out.slice([T - 1])))
    expectAllClose(z, fx.cell_out)
    expect(m.bn.numBatchesTracked!.item()).toBe(3) // torch's I64 counter, read as int32
  })

  test("torch_cnn: a torch Conv2d/MaxPool2d/Flatten/Linear net gives torch's outputs in tapegrad", () => {
    const fx = fixtures.torch_cnn
    const net = jsCnn()
    net.loadStateDict(loadSafetensors(read(fx.file)).tensors, { format: 'torch' })
    expectAllClose(
      noGrad(() => net.forward(fromJson(fx.inputs))),
      fx.outputs,
    )
    const again = net.stateDict({ format: 'torch' })
    expect(Object.keys(again).sort()).toEqual(Object.keys(fx.state).sort())
    for (const [k, t] of Object.entries(fx.state as Record<string, Packed>)) {
      expect([k, bitsOf(again[k])]).toEqual([k, bitsOf(fromJson(t))])
    }
  })

  test('torch_mixed: F64, I32, I64 (as int32), 0-d, 0-size, unicode names and several metadata keys', () => {
    const fx = fixtures.torch_mixed
    const { tensors, metadata } = loadSafetensors(read(fx.file))
    expect(metadata).toEqual(fx.metadata)
    expect(JSON.parse(metadata.json)).toEqual({ lr: 0.001, betas: [0.9, 0.999] })
    const kind: Record<string, string> = {
      float32: 'Float32Array',
      float64: 'Float64Array',
      int32: 'Int32Array',
      int64: 'Int32Array',
    }
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(fx.tensors).sort())
    for (const [k, t] of Object.entries(fx.tensors as Record<string, Packed>)) {
      const got = tensors[k]
      expect([k, got.shape, got.data.constructor.name]).toEqual([k, t.shape, kind[t.dtype]])
      const want = t.dtype === 'float32' ? Array.from(Float32Array.from(t.data)) : t.data
      expect([k, Array.from(got.data)]).toEqual([k, want])
    }
    expect(Array.from(tensors['bn.num_batches_tracked'].data)).toEqual([7])
    const dtypes = ['labels.i32', 'ids.i64', 'weight.f64'].map((k) => tensors[k].dtype)
    expect(dtypes).toEqual(['int32', 'int32', 'float64'])
  })

  test("an int32 tensor of a module (a counter like num_batches_tracked) loads torch's I64 exactly", () => {
    class Counter extends nn.Module {
      count = tensor(0, { dtype: 'int32' })
      override forward(x: Tensor) {
        return x
      }
      override torchEntries() {
        return [nn.torchEntry('num_batches_tracked', this.count)]
      }
    }
    const c = new Counter()
    const fromTorch = loadSafetensors(read(fixtures.torch_mixed.file)).tensors['bn.num_batches_tracked']
    c.loadStateDict({ num_batches_tracked: fromTorch }, { format: 'torch' })
    expect([c.count.dtype, c.count.item()]).toEqual(['int32', 7])
    const back = loadSafetensors(saveSafetensors(c.stateDict({ format: 'torch' }))).tensors.num_batches_tracked
    expect([back.dtype, back.item()]).toEqual(['int32', 7]) // written as I32, which torch copies into its int64 buffer
    for (const bad of [2.5, 2 ** 31, NaN]) {
      expect(() =>
        c.loadStateDict({ num_batches_tracked: tensor(bad, { dtype: 'float64' }) }, { format: 'torch' }),
      ).toThrow(new RegExp(`'num_batches_tracked' has ${bad} at flat index 0, which int32 cannot hold exactly`))
    }
    expect(c.count.item()).toBe(7)
  })
})

// ---------------------------------------------------------------------------------------------

describe("stateDict({ format: 'torch' }) and loadStateDict(d, { format: 'torch' })", () => {
  test('names and layouts of every built-in layer, as torch.nn has them', () => {
    seed(0)
    const net = new nn.Sequential(
      new nn.Linear(3, 4),
      nn.relu,
      new nn.LayerNorm([4]),
      new nn.Dropout(0.1),
      new nn.Linear(4, 2, { bias: false }),
      new nn.MLP([2, 5, 1]),
    )
    const sd = net.stateDict({ format: 'torch' })
    expect(Object.entries(sd).map(([k, t]) => `${k} [${t.shape}]`)).toEqual([
      '0.weight [4,3]',
      '0.bias [4]',
      '2.weight [4]',
      '2.bias [4]',
      '4.weight [2,4]',
      '5.0.weight [5,2]',
      '5.0.bias [5]',
      '5.2.weight [1,5]',
      '5.2.bias [1]',
    ])
    const lin = net.layers[0] as nn.Linear
    expect(sd['0.weight'].toArray()).toEqual(noGrad(() => lin.weight.transpose()).toArray())
    const emb = new nn.Embedding(6, 3)
    expect(Object.keys(emb.stateDict({ format: 'torch' }))).toEqual(['weight']) // torch's [num, dim] too
    // copies with no history: changing them changes nothing
    expect(sd['0.bias'].requiresGrad).toBe(false)
    sd['0.weight'].data.fill(7)
    expect(lin.weight.data[0]).not.toBe(7)
  })

  test('the default format is unchanged; an unknown format is refused', () => {
    const m = new nn.Linear(2, 3)
    expect(Object.entries(m.stateDict()).map(([k, t]) => `${k} [${t.shape}]`)).toEqual(['weight [2,3]', 'bias [3]'])
    expect(Object.keys(m.stateDict({ format: 'tapegrad' }))).toEqual(['weight', 'bias'])
    expect(() => m.stateDict({ format: 'jax' as never })).toThrow(
      /stateDict \(Linear\): format must be 'tapegrad' or 'torch', got 'jax'/,
    )
    expect(() => m.loadStateDict({}, { format: 'keras' as never })).toThrow(
      /loadStateDict \(Linear\): format must be 'tapegrad' or 'torch', got 'keras'/,
    )
  })

  test('a round trip through safetensors restores the module exactly; optimizers attached keep their tensors', () => {
    seed(1)
    const a = new nn.MLP([4, 8, 2])
    seed(2)
    const b = new nn.MLP([4, 8, 2])
    const w = b.layers[0].weight
    const wData = w.data
    b.loadStateDict(loadSafetensors(saveSafetensors(a.stateDict({ format: 'torch' }))).tensors, { format: 'torch' })
    expect(snapshot(b)).toBe(snapshot(a))
    expect(b.layers[0].weight).toBe(w) // in place: the same tensor and storage
    expect(b.layers[0].weight.data).toBe(wData)
  })

  test('errors name the parameter and both shapes, list every problem, and load nothing', () => {
    seed(0)
    const net = new nn.MLP([3, 4, 2])
    const before = snapshot(net)
    const good = net.stateDict({ format: 'torch' })
    const bad = { ...good, '0.weight': zeros([3, 4]), '2.bias': zeros([3]), extra: zeros([1]) }
    delete (bad as Record<string, Tensor>)['0.bias']
    expect(() => net.loadStateDict(bad, { format: 'torch' })).toThrow(
      "loadStateDict (MLP, format 'torch'): the state dict does not fit: missing '0.bias'; unexpected 'extra'; " +
        "'0.weight' has shape [3,4], expected [4,3]; '2.bias' has shape [3], expected [2]. Nothing was loaded. " +
        'Expected: 0.weight [4,3], 0.bias [4], 2.weight [2,4], 2.bias [2]',
    )
    expect(snapshot(net)).toBe(before)
    // a tapegrad-format dict given as torch, and the other way round
    expect(() => net.loadStateDict(net.stateDict(), { format: 'torch' })).toThrow(
      /missing '0\.weight'.*unexpected 'layers\.0\.weight'/,
    )
    expect(() => net.loadStateDict(good)).toThrow(/loadStateDict \(MLP\): .*missing 'layers\.0\.weight'/)
    // strict: false ignores names but still checks shapes, and loads nothing on a bad one
    expect(() =>
      net.loadStateDict({ '2.bias': ones([2]), '0.bias': ones([5]) }, { format: 'torch', strict: false }),
    ).toThrow(/'0\.bias' has shape \[5\], expected \[4\]/)
    expect(snapshot(net)).toBe(before)
    net.loadStateDict({ '2.bias': ones([2]), unknown: ones([9]) }, { format: 'torch', strict: false })
    expect(Array.from(net.layers[1].bias!.data)).toEqual([1, 1])
  })

  test('values take the parameter dtype (F64 into float32, as torch); integers where floats belong are refused', () => {
    const lin = new nn.Linear(2, 1)
    const f64 = { weight: tensor([[0.1, 0.2]], { dtype: 'float64' }), bias: tensor([1], { dtype: 'float64' }) }
    lin.loadStateDict(f64, { format: 'torch' })
    expect(Array.from(lin.weight.data)).toEqual([Math.fround(0.1), Math.fround(0.2)])
    const ints = tensor([[1, 2]], { dtype: 'int32' })
    expect(() => lin.loadStateDict({ weight: ints, bias: tensor([1]) }, { format: 'torch' })).toThrow(
      /'weight' is int32, expected floating-point values \(float32\)/,
    )
  })

  test('a module of your own: the default maps fields as they are; torchEntries() renames and re-lays out', () => {
    class Block extends nn.Module {
      scale = ones([3], { requiresGrad: true })
      inner = { proj: new nn.Linear(3, 2) }
      override forward(x: Tensor) {
        return this.inner.proj.forward(x.mul(this.scale))
      }
    }
    expect(Object.entries(new Block().stateDict({ format: 'torch' })).map(([k, t]) => `${k} [${t.shape}]`)).toEqual([
      'scale [3]',
      'inner.proj.weight [2,3]',
      'inner.proj.bias [2]',
    ])
    class Renamed extends Block {
      override torchEntries() {
        return [nn.torchEntry('gamma', this.scale), ...nn.prefixEntries('proj', this.inner.proj.torchEntries())]
      }
    }
    const r = new Renamed()
    const sd = r.stateDict({ format: 'torch' })
    expect(Object.keys(sd)).toEqual(['gamma', 'proj.weight', 'proj.bias'])
    sd.gamma = tensor([1, 2, 3])
    r.loadStateDict(sd, { format: 'torch' })
    expect(Array.from(r.scale.data)).toEqual([1, 2, 3])
    class Twice extends Block {
      override torchEntries() {
        return [nn.torchEntry('w', this.scale), nn.torchEntry('w', this.scale)]
      }
    }
    expect(() => new Twice().stateDict({ format: 'torch' })).toThrow(
      /torchEntries \(Twice\): the name 'w' is given twice/,
    )
  })
})
