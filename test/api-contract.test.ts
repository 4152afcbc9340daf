/**
 * The public API contract of DESIGN §3, exercised exactly as written there: the names, the
 * argument orders, the comments' claims (shapes, dtypes, values, in-place updates, views).
 * If this file needs to change, the contract changed: update DESIGN §3 with it.
 */
import {
  tensor,
  zeros,
  ones,
  randn,
  rand,
  arange,
  seed,
  Tensor,
  grad,
  valueAndGrad,
  noGrad,
  gradcheck,
  nn,
  setBackend,
  getBackend,
} from '../src/index.js'
import {
  adam,
  sgd,
  momentum,
  nesterov,
  adagrad,
  rmsprop,
  adamw,
  adamax,
  nadam,
  radam,
  optimizer,
  exponentialDecay,
  cosineDecay,
  warmupCosineDecay,
  piecewiseConstant,
  clipGradNorm,
  clipGradValue,
  saveState,
  loadState,
  type OptState,
} from '../optimizers/index.js'

test('every name of the contract is exported, with the kind the contract uses it as', () => {
  const fromCore = {
    tensor,
    zeros,
    ones,
    randn,
    rand,
    arange,
    seed,
    grad,
    valueAndGrad,
    noGrad,
    gradcheck,
    setBackend,
    getBackend,
  }
  for (const [name, v] of Object.entries(fromCore)) expect([name, typeof v]).toEqual([name, 'function'])
  expect(typeof Tensor).toBe('function') // a class
  expect(typeof nn).toBe('object') // a namespace
  expect(typeof nn.MLP).toBe('function')
  expect(typeof nn.mse).toBe('function')
  const fromOptimizers = {
    adam,
    sgd,
    momentum,
    nesterov,
    adagrad,
    rmsprop,
    adamw,
    adamax,
    nadam,
    radam,
    optimizer,
    exponentialDecay,
    cosineDecay,
    warmupCosineDecay,
    piecewiseConstant,
    clipGradNorm,
    clipGradValue,
    saveState,
    loadState,
  }
  for (const [name, v] of Object.entries(fromOptimizers)) expect([name, typeof v]).toEqual([name, 'function'])
})

test('tensors: float32 by default, float64 on request; shape, dtype, size, toArray, item, data', () => {
  const x = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  )
  expect(x).toBeInstanceOf(Tensor)
  expect(x.shape).toEqual([2, 2])
  expect(x.dtype).toBe('float32')
  expect(x.size).toBe(4)
  expect(x.toArray()).toEqual([
    [1, 2],
    [3, 4],
  ])
  expect(x.data).toBeInstanceOf(Float32Array)
  expect(Array.from(x.data)).toEqual([1, 2, 3, 4]) // contiguous, row-major
  expect(tensor([2.5]).item()).toBe(2.5) // item() on size-1 tensors
  expect(() => x.item()).toThrow(/item/)
  const d = tensor([1, 2], { dtype: 'float64' })
  expect(d.dtype).toBe('float64')
  expect(d.data).toBeInstanceOf(Float64Array)
})

test('fluent ops, and every op also a function; y.backward() fills x.grad and accumulates', () => {
  const x = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  )
  const y = x.mul(x).sum()
  expect(y.item()).toBe(30)
  y.backward()
  expect(x.grad!.toArray()).toEqual([
    [2, 4],
    [6, 8],
  ])
  // accumulates (PyTorch style)
  x.mul(x).sum().backward()
  expect(x.grad!.toArray()).toEqual([
    [4, 8],
    [12, 16],
  ])
  // the function form of an op computes what the method does
  expect(tensor([1, 2]).add(3).toArray()).toEqual([4, 5])
})

test('creation functions: zeros, ones, rand, randn, arange; seed makes rand/randn repeat', () => {
  expect(zeros([2, 3]).toArray()).toEqual([
    [0, 0, 0],
    [0, 0, 0],
  ])
  expect(ones([2]).toArray()).toEqual([1, 1])
  expect(arange(4).toArray()).toEqual([0, 1, 2, 3])
  seed(7)
  const a = [rand([3]).toArray(), randn([3]).toArray()]
  seed(7)
  expect([rand([3]).toArray(), randn([3]).toArray()]).toEqual(a)
  const u = rand([100]).toArray() as number[]
  expect(u.every((v) => v >= 0 && v < 1)).toBe(true)
  expect(noGrad(() => tensor([1], { requiresGrad: true }).mul(2)).requiresGrad).toBe(false)
})

test('JAX style: valueAndGrad over a params tree with nn.mse; grads shaped like the first argument', () => {
  const model = (p: { w: Tensor; b: Tensor }, X: Tensor) => X.matmul(p.w).add(p.b)
  const params = { w: tensor([[1], [2]]), b: tensor([0.5]) }
  const X = tensor([
    [1, 0],
    [0, 1],
    [1, 1],
  ])
  const Y = tensor([[1], [1], [1]])
  const [loss, grads] = valueAndGrad((p: { w: Tensor; b: Tensor }, X: Tensor, Y: Tensor) => nn.mse(model(p, X), Y))(
    params,
    X,
    Y,
  )
  // pred = [1.5, 2.5, 3.5], r = pred − Y = [0.5, 1.5, 2.5], loss = mean(r²) = 8.75/3
  expect(loss.item()).toBeCloseTo(8.75 / 3, 5)
  // ∂loss/∂pred = 2r/3; ∂w = Xᵀ·(2r/3) = [2·(0.5 + 2.5)/3, 2·(1.5 + 2.5)/3]; ∂b = Σ 2r/3 = 3
  expect(Object.keys(grads)).toEqual(['w', 'b'])
  expect(grads.w.shape).toEqual([2, 1])
  expect(grads.b.shape).toEqual([1])
  expect((grads.w.toArray() as number[][]).map(([v]) => v)).toEqual([2, 8 / 3].map((v) => expect.closeTo(v, 5)))
  expect(grads.b.data[0]).toBeCloseTo(3, 5)
  expect(params.w.grad).toBeNull() // the JAX style leaves .grad alone
  expect(grad((p: { w: Tensor; b: Tensor }) => nn.mse(model(p, X), Y))(params).b.data[0]).toBeCloseTo(3, 5)
})

test("optimizers in the seed's form: adam(stepSize, b1, b2, eps) gives init / update(i, grads, state) / getParams views", () => {
  type Params = { w: Tensor; b: Tensor }
  const model = (p: Params, X: Tensor) => X.matmul(p.w).add(p.b)
  let params: Params = { w: tensor([[0.5], [-0.5]]), b: tensor([0]) }
  const X = tensor([
    [1, 0],
    [0, 1],
    [1, 1],
  ])
  const Y = tensor([[1], [2], [3]])
  const lossOf = (p: Params, X: Tensor, Y: Tensor) => nn.mse(model(p, X), Y)
  const opt = adam(1e-3) // adam(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
  expect(opt.hyper).toMatchObject({ stepSize: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 })
  expect(adam(1e-3, 0.5, 0.6, 1e-4).hyper).toMatchObject({ b1: 0.5, b2: 0.6, eps: 1e-4 })
  let state = opt.init(params)
  const first = lossOf(params, X, Y).item()
  for (let i = 0; i < 200; i++) {
    const [, grads] = valueAndGrad(lossOf)(params, X, Y)
    const before = state
    state = opt.update(i, grads, state) // i is the 0-based step; state updated in place and returned
    expect(state).toBe(before)
    params = opt.getParams(state) // typed as the tree init was given (checked by tsc)
  }
  expect(state.step).toBe(200)
  expect(lossOf(params, X, Y).item()).toBeLessThan(first)
  // A state loaded from JSON has the type the caller asks for.
  const resumed: OptState<Params> = loadState(JSON.stringify(saveState(state)), adam(1e-3))
  expect(Array.from(opt.getParams(resumed).w.data)).toEqual(Array.from(params.w.data))
  // The first Adam step moves every parameter by stepSize·sign(g) (velocity = g, speed = |g|).
  const s0 = opt.init({ w: tensor([[0.5], [-0.5]]) })
  opt.update(0, { w: tensor([[3], [-0.01]]) }, s0)
  const { w } = opt.getParams(s0)
  expect(Array.from(w.data)).toEqual([0.5 - 1e-3, -0.5 + 1e-3].map((v) => expect.closeTo(v, 7)))
  // getParams returns Tensors that are views of the state's flat buffer
  expect(w.data.buffer).toBe(s0.params.buffer)
  s0.params[0] = 42
  expect(w.data[0]).toBe(42)
})

test('PyTorch style: new nn.MLP([784, 128, 10]); adam(1e-3).attach(net.parameters()); backward, step, zeroGrad', () => {
  seed(0)
  const net = new nn.MLP([784, 128, 10])
  const train = adam(1e-3).attach(net.parameters())
  const x = rand([4, 784])
  const labels = [3, 1, 4, 1]
  const w0 = net.namedParameters()[0][1]
  const before = Array.from(w0.data)
  const first = nn.crossEntropy(net.forward(x), labels).item()
  for (let i = 0; i < 5; i++) {
    const loss = nn.crossEntropy(net.forward(x), labels)
    loss.backward()
    train.step()
    train.zeroGrad()
  }
  // step() reads .grad and updates the model's own tensors in place
  expect(net.namedParameters()[0][1]).toBe(w0)
  expect(Array.from(w0.data)).not.toEqual(before)
  expect(nn.crossEntropy(net.forward(x), labels).item()).toBeLessThan(first)
  // zeroGrad() leaves every gradient at 0
  for (const [, p] of net.namedParameters()) expect((p.grad?.data ?? []).every((v) => v === 0)).toBe(true)
})

test('factories take positional hyper-parameters in JAX order and a last options object', () => {
  expect(momentum(0.1, 0.8).hyper).toMatchObject({ stepSize: 0.1, mass: 0.8 })
  expect(rmsprop(0.1, 0.7, 1e-3).hyper).toMatchObject({ stepSize: 0.1, gamma: 0.7, eps: 1e-3 })
  expect(adam(0.1, 0.9, 0.999, 1e-8, { weightDecay: 0.5, amsgrad: true }).hyper).toMatchObject({
    weightDecay: 0.5,
    amsgrad: true,
  })
  // stepSize is a number or a schedule (i) => number
  const s = exponentialDecay(0.1, 10, 0.5)
  expect(sgd(s).stepSize(10)).toBeCloseTo(0.05, 12)
  expect(sgd((i) => 1 / (i + 1)).stepSize(3)).toBe(0.25)
})

test('update with a tree of another structure throws an error that shows both structures', () => {
  const opt = adam(1e-3)
  const state = opt.init({ w: zeros([2, 3]), b: zeros([3]) })
  const before = Array.from(state.params)
  let message = ''
  try {
    opt.update(0, { w: zeros([2, 3]) }, state)
  } catch (e) {
    message = (e as Error).message
  }
  expect(message).toContain('{w: [2,3], b: [3]}')
  expect(message).toContain('{w: [2,3]}')
  expect(state.step).toBe(0)
  expect(Array.from(state.params)).toEqual(before)
})

test('gradcheck, setBackend and getBackend work as named', async () => {
  const report = gradcheck(
    (a, b) => a.mul(b).sum(),
    [tensor([1, 2], { dtype: 'float64' }), tensor([3, 4], { dtype: 'float64' })],
  )
  expect(report.ok).toBe(true)
  expect(getBackend().name).toBe('cpu') // the default
  const info = await setBackend('cpu')
  expect(info.name).toBe('cpu')
  expect(getBackend().requested).toBe('cpu')
})

test('errors name the op and the shapes: matmul [2,3]·[4,5]', () => {
  expect(() => zeros([2, 3]).matmul(zeros([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] do not align (3 ≠ 4)')
})
