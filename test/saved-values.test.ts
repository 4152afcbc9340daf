/**
 * Values saved for backward must be the values the op saw (src/saved-values.ts). Changing a
 * tensor in place between recording an op and differentiating it would otherwise give the
 * gradient of a function that was never evaluated — PyTorch's "one of the variables needed for
 * gradient computation has been modified by an inplace operation", which tapegrad used to accept
 * silently (`y = x.mul(w); w.data = …; y.backward()` used the new w).
 *
 * - Every library mutator stamps the tensors it changes (Tensor.version); backward refuses an
 *   entry whose saved tensors were stamped after it was recorded, and changes no `.grad`.
 * - Nothing else is refused: re-pointing a tensor at a copy of its values (attach), mutating
 *   before recording, mutating what no entry on the path saved, the ordinary training loop.
 * - setDebug({ checkInPlace: true }) also catches undeclared element writes into `.data`.
 */
import { grad, noGrad, seed, setDebug, Tensor, tensor, vjp, zeros } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam, loadState, saveState, sgd } from '../optimizers/index.js'

const refused = (input: string, op = 'mul', who = 'backward') =>
  new RegExp(
    `^${who}: '${op}' \\(%\\d+\\) was recorded with ${input}, .* which was modified in place after the op was recorded`,
  )

/** A leaf w and an input x, with y = Σ x·w recorded and not yet differentiated. */
function recorded() {
  const x = tensor([1, 2], { requiresGrad: true })
  const w = tensor([3, 4], { requiresGrad: true })
  const y = x.mul(w).sum()
  return { x, w, y }
}

describe('every library mutator between recording and backward makes backward refuse', () => {
  const cases: [string, (w: Tensor) => void][] = [
    [
      'an optimizer step (attach)',
      (w) => {
        const train = sgd(0.1).attach({ w })
        w.square().sum().backward()
        train.step()
      },
    ],
    [
      'an optimizer update (the JAX triple, on its own parameter views)',
      (w) => {
        // update writes into the state's buffer; getParams' views are what changed
        const opt = sgd(0.1)
        const state = opt.init({ w })
        const view = opt.getParams(state).w
        w.data = view.data // w now shares the state's buffer, as after attach
        opt.update(0, { w: tensor([1, 1]) }, state)
        expect(view.version).toBeGreaterThan(0)
        w.markModified() // what attach arranges by making w itself the view
      },
    ],
    [
      'loadState into an attached state',
      (w) => {
        const opt = adam(0.1)
        const train = opt.attach({ w })
        const saved = saveState(train.state)
        w.square().sum().backward()
        train.step()
        loadState(saved, opt, train.state) // back to the saved values, in place
      },
    ],
    [
      "loadStateDict (tapegrad's format)",
      (w) => {
        class Holder extends nn.Module {
          constructor(readonly p: Tensor) {
            super()
          }
          override forward(x: Tensor) {
            return x
          }
        }
        new Holder(w).loadStateDict({ p: tensor([5, 6]) })
      },
    ],
    [
      'loadStateDict (torch format, through a TorchEntry)',
      (w) => {
        class Holder extends nn.Module {
          constructor(readonly p: Tensor) {
            super()
          }
          override forward(x: Tensor) {
            return x
          }
        }
        new Holder(w).loadStateDict({ p: tensor([5, 6]) }, { format: 'torch' })
      },
    ],
    [
      'assigning new storage to .data',
      (w) => {
        w.data = new Float32Array([5, 6])
      },
    ],
    [
      'an element write declared with markModified()',
      (w) => {
        w.data[0] = 5
        w.markModified()
      },
    ],
  ]
  test.each(cases)('%s', (_, mutate) => {
    const { x, w, y } = recorded()
    mutate(w)
    const before = [x.grad, w.grad?.data.slice()]
    expect(() => y.backward()).toThrow(refused('its input 1'))
    expect([x.grad, w.grad?.data.slice()]).toEqual(before) // no gradient was delivered
  })

  test("an output (exp's backward reads it), an intermediate and the input of a view all count", () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const e = x.exp()
    e.markModified()
    expect(() => e.backward(tensor([1, 1]))).toThrow(refused('its output', 'exp'))
    const e2 = x.exp()
    const y = e2.sum()
    e2.markModified() // seen first by the newest entry that holds it, the sum
    expect(() => y.backward()).toThrow(refused('its input 0', 'sum'))
    // w reaches the matmul through a reshape (shared storage): the reshape's entry saved w.
    const w = tensor([1, 2, 3, 4], { requiresGrad: true })
    const z = tensor([[1, 1]])
      .matmul(w.reshape([2, 2]))
      .sum()
    const train = sgd(0.1).attach({ w })
    w.square().sum().backward()
    train.step()
    expect(() => z.backward()).toThrow(refused('its input 0', 'reshape'))
  })

  test('zeroGrad and gradient accumulation stamp the .grad they change', () => {
    // A .grad used as a value in a later graph (a gradient penalty, say) is a saved tensor too.
    const w = tensor([1, 2], { requiresGrad: true })
    const train = sgd(0.1).attach({ w })
    w.square().sum().backward()
    const v = tensor([1, 1], { requiresGrad: true })
    const penalty = w.grad!.mul(v).sum()
    train.zeroGrad()
    expect(() => penalty.backward()).toThrow(refused('its input 0'))

    const x = tensor([1, 2], { requiresGrad: true })
    x.square().sum().backward()
    const uses = x.grad!.mul(v).sum()
    x.mul(3).sum().backward() // adds 3 into x.grad in place
    expect(() => uses.backward()).toThrow(refused('its input 0'))

    const t = tensor([1, 2], { requiresGrad: true })
    t.square().sum().backward()
    const alsoUses = t.grad!.mul(v).sum()
    t.zeroGrad()
    expect(() => alsoUses.backward()).toThrow(refused('its input 0'))
  })

  test('a retained graph cannot be differentiated again after a step: it saw the old weights', () => {
    seed(1)
    const net = new nn.MLP([3, 4, 1])
    const train = adam(0.01).attach(net.parameters())
    const loss = net.forward(tensor([[1, 2, 3]])).sum()
    loss.backward({ retainGraph: true })
    train.step()
    expect(() => loss.backward()).toThrow(refused('its input 1', 'add'))
  })

  test('grad and vjp refuse the same way (a constant of f changed before its gradient is taken)', () => {
    const w = tensor([3, 4])
    const f = (p: Tensor) => {
      const y = p.mul(w).sum()
      w.markModified()
      return y
    }
    expect(() => grad(f)(tensor([1, 1]))).toThrow(refused('its input 1', 'mul', 'valueAndGrad'))
    const [, pullback] = vjp((p) => p.mul(w), [tensor([1, 1])])
    expect(pullback(tensor([1, 1]))[0].toArray()).toEqual([3, 4]) // may be called again and again…
    w.data = new Float32Array([5, 6])
    expect(() => pullback(tensor([1, 1]))).toThrow(refused('its input 1', 'mul', 'vjp')) // …until w changes
  })
})

describe('nothing else is refused', () => {
  test('re-pointing a tensor at a copy of its values (attach) between recording and backward', () => {
    const { x, w, y } = recorded()
    sgd(0.1).attach({ w })
    expect(w.version).toBe(0)
    y.backward()
    expect(x.grad!.toArray()).toEqual([3, 4])
    expect(w.grad!.toArray()).toEqual([1, 2])
  })

  test('changes before recording, and changes to tensors no entry on the path saved', () => {
    const { x, w, y } = recorded()
    const unused = tensor([1], { requiresGrad: true })
    const other = unused.mul(2)
    unused.markModified()
    x.grad = null
    y.backward()
    expect(x.grad!.toArray()).toEqual([3, 4])
    w.markModified()
    const y2 = x.mul(w).sum()
    y2.backward()
    expect(x.grad!.toArray()).toEqual([6, 8])
    expect(other.requiresGrad).toBe(true)
  })

  test('the training loop: forward, backward, step, zeroGrad for 50 steps, PyTorch and JAX style', () => {
    seed(2)
    const net = new nn.MLP([2, 8, 1])
    const train = adam(0.01).attach(net.parameters())
    const X = tensor([
      [0, 1],
      [1, 0],
      [1, 1],
      [0, 0],
    ])
    const Y = tensor([[1], [1], [0], [0]])
    for (let i = 0; i < 50; i++) {
      const loss = nn.mse(net.forward(X), Y)
      train.zeroGrad()
      loss.backward()
      train.step()
    }
    const opt = sgd(0.1)
    let state = opt.init({ w: tensor([1, 2]) })
    for (let i = 0; i < 50; i++) {
      const p = opt.getParams(state)
      const g = grad((q: { w: Tensor }) => q.w.square().sum())(p)
      state = opt.update(i, g, state)
    }
    expect(opt.getParams(state).w.data[0]).toBeCloseTo(0.8 ** 50, 6)
  })

  test('createGraph gradients (grad of grad) never trip the check', () => {
    const x = tensor([2], { requiresGrad: true })
    x.pow(3).sum().backward({ createGraph: true })
    const g = x.grad!
    x.grad = null
    g.sum().backward()
    expect(x.grad!.item()).toBe(12) // d/dx 3x² = 6x
  })
})

describe('setDebug({ checkInPlace: true }): undeclared element writes', () => {
  afterEach(() => setDebug({ checkInPlace: false }))

  test('a write into an input, an output or a detached alias is refused by its fingerprint', () => {
    setDebug({ checkInPlace: true })
    const fp = (input: string, op = 'mul') =>
      new RegExp(
        `^backward: '${op}' \\(%\\d+\\) was recorded with ${input}, ` +
          '.*\\(its fingerprint differs: a write into its \\.data\\)',
      )
    let r = recorded()
    r.w.data[0] = 5
    expect(() => r.y.backward()).toThrow(fp('its input 1'))
    r = recorded()
    r.w.detach().data[1] = 7 // shares the storage, off the tape: only the fingerprint sees it
    expect(() => r.y.backward()).toThrow(fp('its input 1'))
    const x = tensor([1, 2], { requiresGrad: true })
    const e = x.exp()
    e.data[0] = 100
    expect(() => e.backward(tensor([1, 1]))).toThrow(fp('its output', 'exp'))
  })

  test('no false alarm: unchanged NaN and −0 values, entries recorded before it was on, the normal loop', () => {
    const before = recorded()
    setDebug({ checkInPlace: true })
    const x = tensor([NaN, -0, 1], { requiresGrad: true })
    x.mul(tensor([NaN, -0, 2]))
      .sum()
      .backward()
    expect(Array.from(x.grad!.data)).toEqual([NaN, -0, 2])
    before.w.data[0] = 5 // recorded before checkInPlace: not fingerprinted (the version layer only)
    before.y.backward()
    expect(before.x.grad!.toArray()).toEqual([5, 4])
    seed(3)
    const net = new nn.MLP([2, 4, 1])
    const train = sgd(0.1).attach(net.parameters())
    const batch = zeros([4, 2])
    for (let i = 0; i < 10; i++) {
      batch.data.fill(i) // written before the forward pass: fine
      const loss = net.forward(batch).square().mean()
      train.zeroGrad()
      loss.backward()
      train.step()
    }
  })

  test('setDebug checks its options', () => {
    expect(() => setDebug({ checkInplace: true } as never)).toThrow(
      "setDebug: unknown option 'checkInplace' (the options are checkFinite and checkInPlace)",
    )
    expect(() => setDebug({ checkInPlace: 1 } as never)).toThrow(
      'setDebug: checkInPlace must be true or false, got number',
    )
    expect(() => setDebug(null as never)).toThrow(
      'setDebug: expected an object such as { checkFinite: true }, got null',
    )
  })
})

describe('Tensor.data: the setter is the one place storage changes', () => {
  test('new values move the version; the same values do not; the dtype and the ndarray view follow', () => {
    const t = tensor([1, 2, 3, 4], { shape: [2, 2] })
    expect(t.version).toBe(0)
    t.data = new Float32Array([1, 2, 3, 4])
    expect(t.version).toBe(0)
    const nd = t.nd
    t.data = new Float64Array([1, 2, 3, 5])
    expect(t.version).toBeGreaterThan(0)
    expect(t.dtype).toBe('float64')
    expect(t.nd).not.toBe(nd)
    expect(t.nd.get(1, 1)).toBe(5)
    const v = t.version
    t.data = new Float64Array([1, 2, 3, 5]) // same bits, new array
    expect(t.version).toBe(v)
    t.data = new Float32Array([1, 2, 3, 5]) // same numbers, another dtype: a change
    expect(t.version).toBeGreaterThan(v)
  })

  test('storage of another length or kind is refused, and the tensor is unchanged', () => {
    const t = tensor([1, 2])
    expect(() => (t.data = new Float32Array(3))).toThrow(
      'Tensor.data: the new storage has 3 elements, shape [2] needs 2',
    )
    expect(() => (t.data = [1, 2] as never)).toThrow(
      'Tensor.data: expected a Float32Array, Float64Array or Int32Array, got an array',
    )
    expect(() => (t.data = new Uint8Array(2) as never)).toThrow('got an object of class Uint8Array')
    expect(t.toArray()).toEqual([1, 2])
    expect(t.version).toBe(0)
  })

  test('markModified returns the tensor, and noGrad does not change any of this', () => {
    const w = tensor([1], { requiresGrad: true })
    const y = noGrad(() => w.mul(2))
    expect(w.markModified()).toBe(w)
    expect(y.requiresGrad).toBe(false)
  })
})
