/**
 * The reliability sweep's search for silent wrong answers (issue 11), the way `grad(grad(f))`
 * once returned zeros: each case below gets the correct result or a clear error that names the
 * function, never a plausible-looking number. (In-place changes to saved tensors have their own
 * file, saved-values.test.ts.)
 *
 * What the search found and fixed, each pinned by a test here:
 * - `grad`/`valueAndGrad`/`vjp` of an f with an int32 result returned zeros;
 * - optimizers took int32 parameters and gradients into their float32 state;
 * - a `.grad` assigned by hand with another shape or dtype was overrun ([2, 2, NaN]) or truncated
 *   by the next backward, and copied partially by `attach`;
 * - `trainer.zeroGrad()` after a `createGraph` backward (which gives `.grad` a new tensor) copied
 *   the old gradient back instead of zeroing it;
 * - a cotangent of another dtype was refused by `mul`, not by `backward`;
 * - int32 given to a composite (softmax, mean, sub, …) was refused in the name of a primitive
 *   inside it (max, sum, add, …).
 */
import * as T from '../src/index.js'
import * as Ops from '../src/ops/index.js'
import { argmax, backward, grad, noGrad, seed, Tensor, tensor, valueAndGrad, vjp, zeros } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import * as O from '../optimizers/index.js'
import { definedOps } from '../src/op.js'

const I = () =>
  tensor(
    [
      [1, 0],
      [1, 1],
    ],
    { dtype: 'int32' },
  )
const F = () =>
  tensor([
    [1, 2],
    [3, 4],
  ])
const bits = (t: Tensor) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.size)).join(',')

describe('int32 tensors in float ops are refused, by the name of the function called', () => {
  /** Ops whose int32 inputs are legitimate: they move, select or compare values, or are indices. */
  const INTEGER_OPS = new Set([
    'argmax',
    'astype',
    'broadcastTo',
    'concat',
    'flatten',
    'flip',
    'gather',
    'indexSelect',
    'permute',
    'pad',
    'reshape',
    'slice',
    'split',
    'squeeze',
    'stack',
    'tile',
    'transpose',
    'tril',
    'triu',
    'unsqueeze',
    'where',
  ])
  const functions = Object.entries(Ops).filter(([, f]) => typeof f === 'function' && !('def' in f))

  test('every exported op function (the fluent methods call these)', () => {
    expect(functions.length).toBeGreaterThan(70)
    const wrong: string[] = []
    for (const [name, f] of functions) {
      if (INTEGER_OPS.has(name)) continue
      // Calls whose first tensor is int32; whichever argument check fires first, none may return.
      const attempts = [[I()], [I(), I()], [I(), F()], [I(), 1], ['ij,jk->ik', I(), I()]]
      let named = false
      for (const args of attempts) {
        try {
          const out = (f as (...a: unknown[]) => unknown)(...args)
          const call = `${name}(${args.map((a) => (a instanceof Tensor ? a.dtype : typeof a)).join(', ')})`
          wrong.push(`${call} returned ${String(out)}`)
        } catch (e) {
          if (new RegExp(`^${name}: int32 tensor \\[2,2\\] given to a float op`).test((e as Error).message))
            named = true
        }
      }
      if (!named) wrong.push(`${name}: no call was refused with "${name}: int32 tensor [2,2] given to a float op"`)
    }
    expect(wrong).toEqual([])
  })

  test('every primitive without `integers: true`, called directly', () => {
    const primitives = Object.values(T).filter((f) => typeof f === 'function' && (f as { def?: unknown }).def)
    const floatOnly = primitives.filter((op) => !(op as unknown as T.Op<unknown>).def.integers)
    expect(floatOnly.length).toBeGreaterThan(40)
    for (const op of floatOnly) {
      const { name } = (op as unknown as T.Op<unknown>).def
      expect(() => (op as unknown as T.Op<unknown>)([I(), I(), I()], undefined)).toThrow(
        new RegExp(
          `^${name}: int32 tensor \\[2,2\\] given to a float op; convert it first with \\.astype\\('float32'\\)`,
        ),
      )
    }
    // The registry holds the same rules (an op made by defineOp but not exported is engine-internal).
    expect(definedOps().length).toBeGreaterThanOrEqual(primitives.length)
  })

  test('modules, losses and optimizers', () => {
    seed(0)
    const x = tensor([[1, 2, 3, 4]], { dtype: 'int32' })
    const modules: [string, nn.Module<unknown>, Tensor][] = [
      ['Linear', new nn.Linear(4, 2), x],
      ['MLP', new nn.MLP([4, 3, 2]), x],
      ['LayerNorm', new nn.LayerNorm(4), x],
      [
        'BatchNorm1d',
        new nn.BatchNorm1d(4),
        tensor(
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
          ],
          { dtype: 'int32' },
        ),
      ],
      ['LSTMCell', new nn.LSTMCell(4, 2), x],
      ['GRU', new nn.GRU(4, 2), tensor([[[1, 2, 3, 4]]], { dtype: 'int32' })],
    ]
    for (const [name, m, input] of modules) {
      let message = ''
      try {
        m.forward(input)
      } catch (e) {
        message = (e as Error).message
      }
      // Refused by the module (it checks its input) or by its first op.
      expect([name, message]).toEqual([
        name,
        expect.stringMatching(
          new RegExp(
            '^(\\w+: int32 tensor \\[[\\d,]+\\] given to a float op|' +
              '\\w+: input \\[[\\d,]+\\] is int32 but the (module|weights) (is|are) float32; ' +
              "convert it \\(x\\.astype\\('float32'\\)\\))",
          ),
        ),
      ])
    }
    // Embedding takes indices: int32 works, fractional floats do not.
    expect(new nn.Embedding(4, 2).forward(tensor([3], { dtype: 'int32' })).shape).toEqual([1, 2])
    expect(() => new nn.Embedding(4, 2).forward(tensor([1.5]))).toThrow(/is not an integer/)
    // Losses: int32 predictions refused by the loss; integer class labels are what crossEntropy wants.
    expect(() => nn.mse(I(), I())).toThrow(/^mse: int32 tensor/)
    expect(() => nn.crossEntropy(I(), [0, 1])).toThrow(/^crossEntropy: int32 tensor/)
    expect(() => nn.hinge(F(), I())).toThrow(/^hinge: int32 tensor/)
    expect(() => nn.huber(F(), I())).toThrow(/^huber: int32 tensor/)
    expect(nn.crossEntropy(F(), tensor([1, 0], { dtype: 'int32' })).item()).toBeCloseTo(0.8133, 4)

    const factories = Object.entries(O).filter(([, f]) => typeof f === 'function' && 'optimizerName' in f)
    expect(factories.length).toBeGreaterThanOrEqual(14)
    for (const [name, factory] of factories) {
      const opt = (factory as (lr: number) => O.Optimizer)(0.1)
      expect(() => opt.init({ w: tensor([1, 2], { dtype: 'int32' }) })).toThrow(
        `${name}.init: the parameter 'w' [2] is int32; parameters must be float tensors ` +
          "(convert it with .astype('float32'))",
      )
      const state = opt.init({ w: tensor([1, 2]) })
      const before = bits(state.views[0])
      expect(() => opt.update(0, { w: tensor([1, 1], { dtype: 'int32' }) }, state)).toThrow(
        `${name}.update: the gradient 'w' [2] is int32; gradients must be float tensors`,
      )
      expect([bits(state.views[0]), state.step]).toEqual([before, 0])
      expect(() => opt.attach({ w: tensor([1, 2], { dtype: 'int32' }) })).toThrow(`${name}.attach: 'w' [2] is int32`)
    }
  })
})

describe('gradients of what has none', () => {
  test('an f with an int32 result is refused by grad, valueAndGrad and vjp (it used to give zeros)', () => {
    const f = (x: Tensor) => argmax(x)
    expect(() => grad(f as never)(tensor([1, 3, 2]))).toThrow(
      'valueAndGrad: f returned an int32 tensor []; integers carry no gradient ' +
        "(an .astype('int32') or argmax inside f?)",
    )
    expect(() => valueAndGrad((x: Tensor) => x.astype('int32').reshape([]))(tensor([1.5]))).toThrow(
      /^valueAndGrad: f returned an int32/,
    )
    expect(() => vjp((x) => x.astype('int32'), [tensor([1.5])])).toThrow(/^vjp: f returned an int32 tensor \[1\]/)
    const x = tensor([1.5], { requiresGrad: true })
    expect(() => x.mul(2).astype('int32').backward()).toThrow(
      'backward: the tensor [1] does not require a gradient (it is int32: integers carry no gradient)',
    )
  })

  test('argmax, sign, floor, ceil, round: piecewise constant, so they contribute exactly zero (as PyTorch)', () => {
    // d/dx Σ x·floor(x) = floor(x) + x·0; argmax's int32 result is not on the tape at all.
    const x = tensor([1.5, -0.5, 2.25], { requiresGrad: true })
    expect(argmax(x).requiresGrad).toBe(false)
    for (const [op, expected] of [
      ['floor', [1, -1, 2]],
      ['ceil', [2, 0, 3]],
      ['round', [2, 0, 2]],
      ['sign', [1, -1, 1]],
    ] as const) {
      const g = grad((v: Tensor) => v.mul((T[op] as (t: Tensor) => Tensor)(v)).sum())(x)
      expect([op, Array.from(g.data)]).toEqual([op, expected])
    }
    const picked = grad((v: Tensor) => T.gather(v, argmax(v).reshape([1])).sum())(x)
    expect(picked.toArray()).toEqual([0, 0, 1]) // through the value picked, not through the index
  })
})

describe('backward on views (reshape shares storage)', () => {
  test('through a view, from a view, and with a view as the cotangent', () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true })
    const v = x.reshape([2, 2])
    expect(v.data).toBe(x.data)
    v.matmul(tensor([[1], [10]]))
      .sum()
      .backward()
    expect(x.grad!.toArray()).toEqual([1, 10, 1, 10])
    expect(v.grad).toBeNull() // not a leaf
    x.grad = null
    const root = x.mul(2).reshape([2, 2])
    root.backward(tensor([1, 0, 0, 1]).reshape([2, 2]))
    expect(x.grad!.toArray()).toEqual([2, 0, 0, 2])
    // A detached view shares storage but not the tape: nothing flows through it.
    const d = x.detach()
    expect(d.data).toBe(x.data)
    expect(() => d.mul(2).sum().backward()).toThrow(/does not require a gradient/)
  })
})

describe('a tensor reused across tapes', () => {
  test('after a backward freed its graph: a clear error, and retainGraph to go through it again', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const h = x.square()
    h.sum().backward()
    expect(() => h.mul(3).sum().backward()).toThrow(
      "backward: the graph through 'square' (output [2]) was already freed by an earlier backward(); " +
        'pass { retainGraph: true }',
    )
    expect(() => grad((p: Tensor) => p.mul(h).sum())(tensor([1, 1]))).toThrow(
      /^valueAndGrad: the graph through 'square'/,
    )
    x.grad = null
    const k = x.square()
    const a = k.sum()
    const b = k.mul(3).sum()
    a.backward({ retainGraph: true })
    b.backward()
    expect(x.grad!.toArray()).toEqual([8, 16]) // 2x + 6x: both graphs, each once
  })

  test('a leaf in two graphs at once accumulates both; retainGraph twice counts twice, as asked', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const a = x.square().sum()
    const b = x.mul(3).sum()
    a.backward()
    b.backward()
    expect(x.grad!.toArray()).toEqual([5, 7])
    const c = x.mul(x).sum()
    x.grad = null
    c.backward({ retainGraph: true })
    c.backward()
    expect(x.grad!.toArray()).toEqual([4, 8])
    expect(() => c.backward()).toThrow(/already freed/)
  })
})

describe('.grad and cotangents that do not fit are refused before anything is summed', () => {
  test('a hand-assigned .grad of another shape or dtype (it was overrun: [2, 2, NaN], or truncated)', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    for (const wrong of [zeros([3]), zeros([2, 1]), zeros([2], { dtype: 'int32' }), zeros([2], { dtype: 'float64' })]) {
      x.grad = wrong
      const before = Array.from(wrong.data)
      expect(() => x.mul(2.5).sum().backward()).toThrow(
        new RegExp(
          `^backward: the \\.grad of the leaf float32 \\[2\\] is ${wrong.dtype} \\[${wrong.shape.join(',')}\\]; ` +
            'the gradient is added into it, so it must be float32 \\[2\\] ' +
            '\\(set \\.grad to null to start from zero\\)$',
        ),
      )
      expect(Array.from(wrong.data)).toEqual(before)
    }
    x.grad = null
    x.mul(2.5).sum().backward()
    expect(x.grad!.toArray()).toEqual([2.5, 2.5])
  })

  test('a cotangent of another dtype is refused by backward and vjp', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    expect(() => x.mul(2).backward(tensor([1, 1], { dtype: 'float64' }))).toThrow(
      "backward: the cotangent is float64 but the output [2] is float32; convert it with .astype('float32')",
    )
    const [, pullback] = vjp((a) => a.mul(2), [tensor([1])])
    expect(() => pullback(tensor([1], { dtype: 'int32' }))).toThrow(
      /^vjp: the cotangent is int32 but the output \[1\] is float32/,
    )
  })

  test('attach and step() refuse a hand-assigned .grad that does not fit (attach copied it partially)', () => {
    const w = tensor([1, 2], { requiresGrad: true })
    w.grad = zeros([3])
    expect(() => O.sgd(0.1).attach({ w })).toThrow(
      "sgd.attach: the .grad of 'w' [2] is float32 [3]; expected a float tensor of its shape",
    )
    w.grad = null
    const train = O.sgd(0.1).attach({ w })
    w.grad = zeros([1])
    expect(() => train.step()).toThrow(
      "sgd step(): the .grad of 'w' [2] is float32 [1]; expected a float tensor of its shape",
    )
    expect(w.toArray()).toEqual([1, 2])
  })
})

describe('zeroGrad and optimizer steps in odd orders', () => {
  const setup = () => {
    const w = tensor([1, 2], { requiresGrad: true })
    return { w, train: O.sgd(0.5).attach({ w }) }
  }
  test('step before any backward, zeroGrad twice, step twice, backward twice', () => {
    let { w, train } = setup()
    train.step() // no gradient yet: counts as zero
    expect(w.toArray()).toEqual([1, 2])
    train.zeroGrad()
    train.zeroGrad()
    w.sum().backward()
    train.step()
    train.step() // the same gradient twice: two steps, as PyTorch
    expect(w.toArray()).toEqual([0, 1])
    ;({ w, train } = setup())
    w.sum().backward()
    w.sum().backward() // accumulates
    expect(w.grad!.toArray()).toEqual([2, 2])
    train.step()
    expect(w.toArray()).toEqual([0, 1])
    expect(train.stepCount).toBe(1)
  })

  test('zeroGrad after a createGraph backward (which replaced .grad) zeroes it (it copied it back)', () => {
    const { w, train } = setup()
    w.square().sum().backward({ createGraph: true })
    expect(w.grad!.requiresGrad).toBe(true)
    train.zeroGrad()
    expect(w.grad!.toArray()).toEqual([0, 0])
    w.sum().backward()
    train.step()
    expect(w.toArray()).toEqual([0.5, 1.5])
  })

  test('.grad set to null, or to a new tensor, between backward and step', () => {
    let { w, train } = setup()
    w.sum().backward()
    w.grad = null
    train.step()
    expect(w.toArray()).toEqual([1, 2])
    ;({ w, train } = setup())
    w.grad = tensor([2, 4])
    train.step()
    expect(w.toArray()).toEqual([0, 0])
    expect(w.grad!.toArray()).toEqual([2, 4]) // now a view of the optimizer's gradient buffer
  })

  test('Tensor.zeroGrad, Module.zeroGrad and zeroGrad(tree) on attached tensors agree with trainer.zeroGrad', () => {
    seed(4)
    const net = new nn.MLP([2, 3, 1])
    const train = O.adam(0.1).attach(net.parameters())
    const run = () =>
      net
        .forward(tensor([[1, 2]]))
        .sum()
        .backward()
    for (const zero of [
      () => train.zeroGrad(),
      () => net.zeroGrad(),
      () => T.zeroGrad(net.parameters()),
      () => net.namedParameters().forEach(([, t]) => t.zeroGrad()),
    ]) {
      run()
      zero()
      expect(net.namedParameters().every(([, t]) => t.grad!.data.every((g) => g === 0))).toBe(true)
    }
    expect(train.state.grad.every((g) => g === 0)).toBe(true)
  })
})

describe('attach, then valueAndGrad on the same tensors', () => {
  test('valueAndGrad reads the attached values, writes no .grad, and its gradients drive the optimizer', () => {
    const w = tensor([1, 2], { requiresGrad: true })
    const train = O.sgd(0.1).attach({ w })
    const loss = (p: { w: Tensor }) => p.w.square().sum()
    for (let i = 0; i < 3; i++) {
      const before = w.grad!.data.slice()
      const [value, g] = valueAndGrad(loss)({ w })
      expect(value.item()).toBeCloseTo(5 * 0.8 ** (2 * i), 5)
      expect(w.grad!.data).toEqual(before) // valueAndGrad writes no .grad
      train.optimizer.update(train.stepCount, g, train.state)
      // update gathers g into the state's flat gradient buffer, which attach's .grad views are:
      // .grad shows the gradient of the step just taken (zeroGrad before the next backward).
      expect(w.grad!.data).toEqual(g.w.data)
    }
    train.zeroGrad()
    expect(w.data[0]).toBeCloseTo(0.8 ** 3, 6)
    expect(train.stepCount).toBe(3)
    // and the PyTorch-style loop carries on from there
    loss({ w }).backward()
    train.step()
    expect(w.data[0]).toBeCloseTo(0.8 ** 4, 6)
  })
})

describe('noGrad and setRequiresGrad', () => {
  test('a leaf made to require a gradient inside noGrad works outside; nothing inside records', () => {
    let x!: Tensor
    const y = noGrad(() => {
      x = tensor([1, 2]).setRequiresGrad()
      return x.square()
    })
    expect([x.requiresGrad, y.requiresGrad]).toEqual([true, false])
    x.square().sum().backward()
    expect(x.grad!.toArray()).toEqual([2, 4])
    // A noGrad result made a leaf: the gradient stops there, as for any leaf.
    const z = noGrad(() => x.mul(3)).setRequiresGrad()
    z.sum().backward()
    expect(z.grad!.toArray()).toEqual([1, 1])
    expect(x.grad!.toArray()).toEqual([2, 4])
  })

  test('setRequiresGrad(false) on a leaf, and the refusals', () => {
    const x = tensor([1], { requiresGrad: true })
    expect(x.setRequiresGrad(false).requiresGrad).toBe(false)
    expect(() => x.setRequiresGrad(true).mul(2).setRequiresGrad(false)).toThrow(
      'setRequiresGrad: cannot turn gradients off on a tensor produced by an op; use detach()',
    )
    expect(() => tensor([1], { dtype: 'int32' }).setRequiresGrad()).toThrow(
      "setRequiresGrad: an int32 tensor [1] cannot have a gradient; convert it with .astype('float32')",
    )
    expect('requireGrad' in x).toBe(false) // the old name is gone (no documented example used it)
  })
})

describe('crossEntropy labels', () => {
  const logits = () =>
    tensor([
      [1, 2],
      [3, 1],
    ])
  test.each([
    ['NaN in an array', [NaN, 0], /label NaN at index 0 is not an integer class index/],
    ['NaN in a Float32Array', new Float32Array([1, NaN]), /label NaN at index 1 is not an integer class index/],
    ['NaN in a tensor', tensor([NaN, 1]), /label NaN at index 0/],
    ['Infinity', [Infinity, 0], /label Infinity at index 0 is not an integer class index/],
    ['a fraction', [0.5, 1], /label 0\.5 at index 0 is not an integer class index/],
    ['out of range', [2, 0], /label 2 at index 0 is out of range for 2 classes/],
    ['negative', [0, -1], /label -1 at index 1 is out of range for 2 classes/],
  ])('%s is refused', (_, labels, message) => {
    expect(() => nn.crossEntropy(logits(), labels as never)).toThrow(message)
  })
  test('NaN in probability targets propagates to the loss (visible), as in PyTorch', () => {
    expect(
      nn
        .crossEntropy(
          logits(),
          tensor([
            [NaN, 1],
            [0, 1],
          ]),
        )
        .item(),
    ).toBeNaN()
  })
})

describe('a mismatched tree to update is refused and changes nothing', () => {
  test.each([
    ['keys in another order', { b: tensor([1]), a: tensor([1, 1]) }, '{b: [1], a: [2]}'],
    ['a missing leaf', { a: tensor([1, 1]) }, '{a: [2]}'],
    ['an extra leaf', { a: tensor([1, 1]), b: tensor([1]), c: tensor([1]) }, '{a: [2], b: [1], c: [1]}'],
    ['a transposed leaf', { a: tensor([[1], [1]]), b: tensor([1]) }, '{a: [2,1], b: [1]}'],
    ['an array for an object', [tensor([1, 1]), tensor([1])], '[[2], [1]]'],
  ])('%s', (_, grads, shown) => {
    const opt = O.adam(0.1)
    const state = opt.init({ a: tensor([1, 2]), b: tensor([3]) })
    opt.update(0, { a: tensor([1, 1]), b: tensor([1]) }, state)
    const before = [bits(new Tensor(state.params, [state.size])), state.step]
    expect(() => opt.update(1, grads as never, state)).toThrow(
      'adam.update: the gradient tree does not have the structure of the parameters:\n' +
        `  parameters {a: [2], b: [1]}\n  gradients  ${shown}`,
    )
    expect([bits(new Tensor(state.params, [state.size])), state.step]).toEqual(before)
  })
})

test('backward() as a function refuses the same things as the method', () => {
  const x = tensor([1, 2], { requiresGrad: true })
  x.grad = zeros([3])
  expect(() => backward(x.sum())).toThrow(/^backward: the \.grad of the leaf/)
})
