/**
 * The optimizer table (test/table/optimizers.rows.ts): every exported optimizer has a row, and
 * for every row: the JAX triple's contract (flat buffers, views, in place), tree-structure
 * errors, the PyTorch-style attach loop giving the same bits as the JAX style, and convergence
 * on a quadratic and on the Rosenbrock function. The lifter's own behaviour (rules, options,
 * argument checks) is at the end. Step-by-step values against PyTorch: optimizers-torch.test.ts.
 */
import * as O from '../optimizers/index.js'
import {
  optimizer,
  rule,
  OptState,
  interval,
  HYPER_PARAMETERS,
  type Optimizer,
  type Options,
  type ScheduleLike,
} from '../optimizers/index.js'
import { Tensor, tensor, zeros } from '../src/tensor.js'
import { describeTree, flatten } from '../src/tree.js'
import { rows, instances } from './table/optimizers.rows.js'
import * as fs from 'node:fs'
import * as path from 'node:path'

const params = () => ({
  layers: [
    {
      w: tensor([
        [0.5, -1, 2],
        [1.5, 0.25, -0.75],
      ]),
      b: tensor([0.1, -0.2, 0.3]),
    },
    { w: tensor([[1], [-1], [0.5]]), b: tensor([0.05]) },
  ],
  scale: tensor(2),
})
/** A deterministic gradient tree for step i, shaped like params() (one zero entry). */
const grads = (i: number) => ({
  layers: [
    {
      w: tensor([
        [Math.sin(i), 0.5, -1],
        [0.25 * Math.cos(i), 1, 0],
      ]),
      b: tensor([0.3, -0.1 * i, 0.05]),
    },
    { w: tensor([[1], [Math.sin(2 * i)], [-0.5]]), b: tensor([0.2]) },
  ],
  scale: tensor(-0.3 + 0.1 * i),
})

const allInstances = instances

describe('the table of optimizers', () => {
  test('every optimizer exported from optimizers/index.ts has a row, and no row is stale', () => {
    const exported = Object.entries(O)
      .filter(
        ([, v]) => typeof v === 'function' && typeof (v as { optimizerName?: unknown }).optimizerName === 'string',
      )
      .map(([k]) => k)
      .sort()
    expect(exported.length).toBeGreaterThanOrEqual(14)
    expect(rows.map((r) => r.name).sort()).toEqual(exported)
    for (const r of rows) {
      expect((O as Record<string, unknown>)[r.name]).toBe(r.factory)
      expect(r.typical().name).toBe(r.factory.optimizerName)
    }
  })

  test('the nine of jax.example_libraries and the five more are all there', () => {
    const names = rows.map((r) => r.name)
    for (const n of [
      'sgd',
      'momentum',
      'nesterov',
      'adagrad',
      'rmsprop',
      'rmspropMomentum',
      'adam',
      'adamax',
      'sm3',
      'adamw',
      'nadam',
      'radam',
      'adadelta',
      'lion',
    ]) {
      expect(names).toContain(n)
    }
  })
})

describe.each(allInstances())('$label', ({ make }) => {
  test('init copies the tree into one flat buffer per array; getParams returns views of it', () => {
    const opt = make()
    const p = params()
    const state = opt.init(p)
    const { leaves, paths } = flatten(p)
    expect(state.size).toBe(leaves.reduce((n, t) => n + t.size, 0))
    expect(state.params.length).toBe(state.size)
    for (const s of Object.values(state.slots)) expect(s.length).toBe(state.size)
    expect(state.leaves.map((l) => l.path)).toEqual(paths)
    const got = flatten(opt.getParams(state))
    expect(describeTree(got.def)).toBe(describeTree(flatten(p).def))
    got.leaves.forEach((t, k) => {
      expect(t.data.buffer).toBe(state.params.buffer)
      expect(t.data.byteOffset).toBe(state.params.byteOffset + 4 * state.leaves[k].offset)
      expect(Array.from(t.data)).toEqual(Array.from(leaves[k].data))
    })
    // a copy: changing the state does not change the input tensors
    state.params[0] += 1
    expect(leaves[0].data[0]).toBe(0.5)
  })

  test('update works in place, returns the state, and leaves the gradients alone', () => {
    const opt = make()
    const state = opt.init(params())
    const views = flatten(opt.getParams(state)).leaves
    const before = Array.from(views[0].data)
    const g = grads(0)
    const gBefore = flatten(g).leaves.map((t) => Array.from(t.data))
    const out = opt.update(0, g, state)
    expect(out).toBe(state)
    expect(state.step).toBe(1)
    expect(Array.from(views[0].data)).not.toEqual(before) // the old views see the new values
    expect(flatten(g).leaves.map((t) => Array.from(t.data))).toEqual(gBefore)
    for (const x of state.params) expect(Number.isFinite(x)).toBe(true)
  })

  test('a gradient tree of another structure throws, showing both, and changes nothing', () => {
    const opt = make()
    const state = opt.init(params())
    const snapshot = Array.from(state.params)
    const wrongKey = { ...grads(0), extra: tensor([1]) }
    expect(() => opt.update(0, wrongKey, state)).toThrow(
      /structure.*\n.*parameters \{layers: \[\{w: \[2,3\], b: \[3\]\}, \{w: \[3,1\], b: \[1\]\}\], scale: \[\]\}\n.*gradients {2}\{layers: .*extra: \[1\]\}/,
    )
    const g = grads(0)
    g.layers[1].w = tensor([[1, 2, 3]])
    expect(() => opt.update(0, g, state)).toThrow(/\{w: \[1,3\], b: \[1\]\}/)
    expect(() => opt.update(0, [grads(0)], state)).toThrow(/structure/)
    expect(Array.from(state.params)).toEqual(snapshot)
    expect(state.step).toBe(0)
  })

  test('attach(): step() on .grad gives the same bits as update(); the model keeps its tensors', () => {
    const jax = make()
    let state = jax.init(params())
    const model = params()
    const tensors = flatten(model).leaves
    const train = make().attach(model)
    expect(flatten(model).leaves).toEqual(tensors) // same objects
    for (let i = 0; i < 5; i++) {
      state = jax.update(i, grads(i), state)
      train.zeroGrad()
      flatten(grads(i)).leaves.forEach((g, k) => tensors[k].grad!.data.set(g.data)) // as backward() would accumulate
      train.step()
      expect(train.stepCount).toBe(i + 1)
    }
    expect(Array.from(train.state.params)).toEqual(Array.from(state.params))
    tensors.forEach((t, k) => expect(t.data).toBe(train.state.views[k].data))
    flatten(jax.getParams(state)).leaves.forEach((t, k) =>
      expect(Array.from(tensors[k].data)).toEqual(Array.from(t.data)),
    )
  })

  test('state arrays are plain data: every value finite after 20 steps of steady gradients', () => {
    const opt = make()
    let state = opt.init(params())
    for (let i = 0; i < 20; i++) state = opt.update(i, grads(i), state)
    for (const a of [state.params, ...Object.values(state.slots), ...Object.values(state.extra)])
      for (const x of a) expect(Number.isFinite(x)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Convergence

const A = [0.5, 1, 2, 5]
const C = [1, -2, 3, 0.5]
const quadratic = (p: ArrayLike<number>) => A.reduce((s, a, k) => s + 0.5 * a * (p[k] - C[k]) ** 2, 0)
const quadraticGrad = (p: ArrayLike<number>) => A.map((a, k) => a * (p[k] - C[k]))
const rosenbrock = (p: ArrayLike<number>) => (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
const rosenbrockGrad = (p: ArrayLike<number>) => [
  -2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2),
  200 * (p[1] - p[0] ** 2),
]

function minimize(opt: Optimizer, x0: number[], grad: (p: ArrayLike<number>) => number[], steps: number): Float32Array {
  let state = opt.init(tensor(x0))
  for (let i = 0; i < steps; i++) state = opt.update(i, tensor(grad(state.params)), state)
  return state.params
}

describe.each(rows)('$name converges', (row) => {
  test('on a quadratic ½Σ aₖ(xₖ − cₖ)² (a from 0.5 to 5): loss 11.9 → < 1e-4 in 500 steps', () => {
    expect(quadratic([0, 0, 0, 0])).toBeCloseTo(11.875, 6)
    const x = minimize(row.quadratic(), [0, 0, 0, 0], quadraticGrad, 500)
    expect(quadratic(x)).toBeLessThan(1e-4)
  })
  test('on Rosenbrock (1 − x)² + 100(y − x²)² from (−1.2, 1): loss 24.2 → < 1e-3 in 10000 steps', () => {
    const x = minimize(row.rosenbrock(), [-1.2, 1], rosenbrockGrad, 10000)
    expect(rosenbrock(x)).toBeLessThan(1e-3)
    expect(Math.hypot(x[0] - 1, x[1] - 1)).toBeLessThan(0.1)
  })
})

// ---------------------------------------------------------------------------------------------
// The lifter

describe('optimizer() and rule()', () => {
  function descend(x: number, g: number, lr: number) {
    return x - lr * g
  }

  const mySgd = optimizer(
    'mySgd',
    (stepSize: ScheduleLike, options?: Options) => ({ stepSize, options }),
    () => ({
      rules: [rule('x', ['x', 'g', 'lr'], descend)],
    }),
  )

  test('a custom optimizer in a few lines gets the whole machinery', () => {
    expect(mySgd.optimizerName).toBe('mySgd')
    const opt = mySgd(0.5)
    expect(opt.hyper).toEqual({ stepSize: 0.5, weightDecay: 0, maximize: false })
    let s = opt.init({ a: tensor([1, 2]), b: tensor(3) })
    s = opt.update(0, { a: tensor([2, 2]), b: tensor(-2) }, s)
    const p = opt.getParams(s) as { a: Tensor; b: Tensor }
    expect(Array.from(p.a.data)).toEqual([0, 1])
    expect(p.b.item()).toBe(4)
    expect(O.saveState(s).optimizer).toBe('mySgd')
    // weightDecay and maximize come with it, checked by name
    const ascending = mySgd(0.5, { maximize: true })
    expect(ascending.update(0, tensor([2]), ascending.init(tensor([1]))).params[0]).toBe(2)
    // a state made without the gradient transform has no array for it: refused, not misread
    expect(() => ascending.update(0, tensor([2]), mySgd(0.5).init(tensor([1])))).toThrow(
      /made by mySgd without weightDecay\/maximize/,
    )
    expect(() => mySgd(0.5, { weightDecay: -1 })).toThrow(
      /mySgd: weightDecay must be a number in \[0, ∞\), got number -1/,
    )
  })

  test('hyper-parameters are checked by name against one table, before the spec runs', () => {
    let specRan = false
    const opt = optimizer(
      'checked',
      (stepSize: ScheduleLike, b1 = 0.9, eps = 1e-8) => ({ stepSize, b1, eps }),
      () => {
        specRan = true
        return { rules: [rule('x', ['x', 'g', 'lr'], descend)] }
      },
    )
    expect(() => opt(0.1, 1)).toThrow(/checked: b1 must be a number in \[0, 1\), got number 1/)
    expect(() => opt(0.1, 0.9, NaN)).toThrow(/checked: eps must be a number in \[0, ∞\), got number NaN/)
    expect(() => opt('fast' as never)).toThrow(
      /checked: stepSize must be a finite number or a schedule \(i\) => number, got string fast/,
    )
    expect(specRan).toBe(false)
    expect(HYPER_PARAMETERS.b1.expected).toBe('a number in [0, 1)')
  })

  test('a name the table does not have needs a declared constraint; a declared one wins over the table', () => {
    const noConstraint = optimizer(
      'tau',
      (stepSize: ScheduleLike, tau = 0.5) => ({ stepSize, tau }),
      () => ({ rules: [] }),
    )
    expect(() => noConstraint(0.1)).toThrow(
      /optimizer 'tau': 'tau' is not a hyper-parameter of the table .*constraints: \{ tau: interval\(0, 1\) \}/,
    )
    const declared = optimizer(
      'tau',
      (stepSize: ScheduleLike, tau = 0.5, b1 = 1) => ({ stepSize, tau, b1 }),
      () => ({ rules: [] }),
      {
        constraints: { tau: interval(0, 1, true), b1: interval(0, 1, true) },
      },
    )
    expect(declared(0.1).hyper).toMatchObject({ tau: 0.5, b1: 1 })
    expect(() => declared(0.1, 2)).toThrow(/tau: tau must be a number in \[0, 1\], got number 2/)
    expect(() =>
      optimizer(
        'x',
        (stepSize: ScheduleLike) => ({ stepSize }),
        () => ({ rules: [] }),
        { options: { maximize: true } },
      ),
    ).toThrow(/'maximize' is an option of every optimizer/)
  })

  test('the rules see lr = stepSize(i) and every numeric hyper-parameter by name; spec scalars win', () => {
    function step(x: number, g: number, lr: number, scale: number, offset: number) {
      return x - lr * scale * g + offset
    }
    const opt = optimizer(
      'scaled',
      (stepSize: ScheduleLike, scale = 2, options?: Options<{ offset: number }>) => ({ stepSize, scale, options }),
      () => ({ rules: [rule('x', ['x', 'g', 'lr', 'scale', 'offset'], step)] }),
      { options: { offset: 0 }, constraints: { scale: interval(0, 10), offset: interval(-1, 1) } },
    )
    const s = opt((i) => 0.1 * (i + 1), 3, { offset: 0.5 }).update(1, tensor([1]), opt(0.1).init(tensor([1])))
    expect(s.params[0]).toBeCloseTo(1 - 0.2 * 3 * 1 + 0.5, 6)
    const own = optimizer(
      'own',
      (stepSize: ScheduleLike) => ({ stepSize }),
      () => ({
        scalars: () => ({ lr: 1 }),
        rules: [rule('x', ['x', 'g', 'lr'], descend)],
      }),
    )
    expect(own(0.1).update(0, tensor([1]), own(0.1).init(tensor([5]))).params[0]).toBe(4)
  })

  test("slots are the rules' targets; initialValues start them elsewhere than 0; scratch is not saved", () => {
    function accumulate(s: number, g: number) {
      return s + g
    }
    const opt = optimizer(
      'sum',
      (stepSize: ScheduleLike) => ({ stepSize }),
      () => ({
        initialValues: { total: 10 },
        scratch: ['work'],
        rules: [
          rule('work', ['work', 'g'], accumulate),
          rule('total', ['total', 'work'], accumulate),
          false,
          rule('x', ['x', 'total', 'lr'], descend),
        ],
      }),
    )
    const o = opt(1)
    expect(o.layout.slots).toEqual(['total'])
    const s = o.update(0, tensor([1, 2]), o.init(tensor([0, 0])))
    expect(Array.from(s.slots.total)).toEqual([11, 12])
    expect(Object.keys(O.saveState(s).arrays)).toEqual(['x', 'total'])
    const bad = optimizer(
      'bad',
      (stepSize: ScheduleLike) => ({ stepSize }),
      () => ({ initialValues: { nope: 1 }, rules: [] }),
    )
    expect(() => bad(1)).toThrow(/initialValues names 'nope', which no rule writes/)
    const clash = optimizer(
      'clash',
      (stepSize: ScheduleLike, eps = 1e-8) => ({ stepSize, eps }),
      () => ({
        rules: [rule('eps', ['eps', 'g'], accumulate)],
      }),
    )
    expect(() => clash(1)).toThrow(/'eps' is both a scalar of the step and an array/)
  })

  test('rule() rejects arrow functions, **, and a wrong number of names', () => {
    expect(() => rule('x', ['x', 'g'], ((x: number, g: number) => x - g) as never)).toThrow(/`function` declaration/)
    function pow(x: number, g: number) {
      return x ** g
    }
    expect(() => rule('x', ['x', 'g'], pow)).toThrow(/\*\*.*host/)
    expect(() => rule('x', ['x'], descend)).toThrow(/takes 3 parameters but 1 names/)
    expect(() => rule('', ['x'], descend)).toThrow(/target/)
    function starInComment(x: number) {
      /** a doc comment with ** is fine */
      return x
    }
    expect(rule('x', ['x'], starInComment).fn).toBe(starInComment)
  })

  test('slots named g or grad are rejected', () => {
    const bad = optimizer(
      'bad',
      (stepSize: ScheduleLike) => ({ stepSize }),
      () => ({ rules: [rule('g', ['g', 'x', 'lr'], descend)] }),
    )
    expect(() => bad(1)).toThrow(/'g' is reserved/)
  })

  test('weightDecay and maximize are applied to the gradient, for any optimizer, in PyTorch order', () => {
    const a = O.sgd(0.1, { weightDecay: 0.5, maximize: true })
    let s = a.init(tensor([2]))
    s = a.update(0, tensor([1]), s)
    // g' = −1 + 0.5·2 = 0 → no move
    expect(s.params[0]).toBe(2)
    const b = O.adam(0.1, 0.9, 0.999, 1e-8, { maximize: true })
    const c = O.adam(0.1)
    let sb = b.init(tensor([1, 2]))
    let sc = c.init(tensor([1, 2]))
    for (let i = 0; i < 3; i++) {
      sb = b.update(i, tensor([0.5, -2 + i]), sb)
      sc = c.update(i, tensor([-0.5, 2 - i]), sc)
    }
    expect(Array.from(sb.params)).toEqual(Array.from(sc.params))
  })

  // lion and adamw take weightDecay positionally (decoupled): maximize must not touch it. Before
  // the lifter named its own scalars apart, lion with maximize silently dropped its weight decay.
  const ascents: [string, (maximize: boolean) => Optimizer][] = [
    ['lion', (maximize) => O.lion(0.01, 0.9, 0.99, 0.1, { maximize })],
    ['adamw', (maximize) => O.adamw(0.05, 0.9, 0.999, 1e-8, 0.1, { maximize })],
    ['adam, coupled weightDecay', (maximize) => O.adam(0.05, 0.9, 0.999, 1e-8, { weightDecay: 0.1, maximize })],
    ['sm3, coupled weightDecay', (maximize) => O.sm3(0.05, 0.5, { weightDecay: 0.1, maximize })],
  ]
  test.each(ascents)('%s: maximize on g takes the same steps as minimizing on −g, weight decay included', (_, make) => {
    const up = make(true)
    const down = make(false)
    let a = up.init(tensor([1, -2, 3]))
    let b = down.init(tensor([1, -2, 3]))
    for (let i = 0; i < 5; i++) {
      a = up.update(i, tensor([0.5, -0.2, 0.1 * i]), a)
      b = down.update(i, tensor([-0.5, 0.2, -0.1 * i]), b)
    }
    expect(Array.from(a.params).every((v, k) => v === b.params[k])).toBe(true)
    expect(Array.from(a.params)).not.toEqual(Array.from(make(true).init(tensor([1, -2, 3])).params))
  })

  test('lion: the decoupled weight decay acts with and without maximize', () => {
    const run = (weightDecay: number) => {
      const opt = O.lion(0.01, 0.9, 0.99, weightDecay, { maximize: true })
      return opt.update(0, tensor([0.5]), opt.init(tensor([2]))).params[0]
    }
    // x ← x − lr·(sign(c) + λ·x) with g' = −0.5: sign(c) = −1
    expect(run(0)).toBeCloseTo(2 + 0.01, 6)
    expect(run(0.5)).toBeCloseTo(2 - 0.01 * (-1 + 0.5 * 2), 6)
  })

  test('argument checks name the optimizer and the argument', () => {
    expect(() => O.adam(NaN)).toThrow(/adam: stepSize must be a finite number or a schedule/)
    expect(() => O.adam(1e-3, 1)).toThrow(/adam: b1 must be a number in \[0, 1\), got number 1/)
    expect(() => O.adam(1e-3, 0.9, 0.999, -1)).toThrow(/adam: eps must be a number in \[0, ∞\)/)
    expect(() => O.adam(1e-3, 0.9, 0.999, 1e-8, { weight_decay: 0.1 } as never)).toThrow(
      /adam: unknown option 'weight_decay' \(known: amsgrad, weightDecay, maximize\)/,
    )
    expect(() => O.adam(1e-3, 0.9, 0.999, 1e-8, { amsgrad: 1 } as never)).toThrow(
      /adam: amsgrad must be a boolean, got number 1/,
    )
    expect(() => O.adam(1e-3, 0.9, 0.999, 1e-8, 'fast' as never)).toThrow(
      /adam: options must be an object, got string fast/,
    )
    expect(() => O.adamw(1e-3, 0.9, 0.999, 1e-8, 0.1, { weightDecay: 0.1 } as never)).toThrow(
      /adamw: unknown option 'weightDecay' \(known: amsgrad, maximize\)/,
    )
    expect(() => O.sgd(0.1, { weightDecay: -0.1 })).toThrow(
      /sgd: weightDecay must be a number in \[0, ∞\), got number -0.1/,
    )
    expect(O.sgd(0.1, { momentum: 1 }).hyper.momentum).toBe(1) // sgd's momentum may be 1 (declared), adagrad's not
    expect(() => O.adagrad(0.1, 1)).toThrow(/adagrad: momentum must be a number in \[0, 1\), got number 1/)
    expect(() => O.sgd(0.1, { nesterov: true })).toThrow(/nesterov momentum requires a momentum > 0 and zero dampening/)
    expect(() => O.rmsprop(0.1, 0.9, 1e-8, { momentum: 1 })).toThrow(/rmsprop: momentum must be a number in \[0, 1\)/)
  })

  test('update checks its step and state, and a bad schedule value fails before anything is written', () => {
    const opt = O.adam((i: number) => (i < 2 ? 0.1 : NaN))
    let s = opt.init(tensor([1, 2]))
    expect(() => opt.update(-1, tensor([1, 1]), s)).toThrow(/adam.update: the step i must be a non-negative integer/)
    expect(() => opt.update(0.5, tensor([1, 1]), s)).toThrow(/non-negative integer/)
    expect(() => opt.update(0, tensor([1, 1]), {} as OptState)).toThrow(/expected the state returned by adam.init/)
    expect(() => opt.update(0, tensor([1, 1]), O.sgd(0.1).init(tensor([1, 2])))).toThrow(/made by 'sgd', not 'adam'/)
    s = opt.update(0, tensor([1, 1]), s)
    s = opt.update(1, tensor([1, 1]), s)
    const snapshot = [Array.from(s.params), Array.from(s.slots.m), Array.from(s.slots.v)]
    expect(() => opt.update(2, tensor([1, 1]), s)).toThrow(/adam.update: step 2: the scalar 'lr' is NaN/)
    expect([Array.from(s.params), Array.from(s.slots.m), Array.from(s.slots.v)]).toEqual(snapshot)
    expect(s.step).toBe(2)
  })

  test('a state made with other options is rejected, not misread', () => {
    const plain = O.adam(0.1).init(tensor([1]))
    expect(() => O.adam(0.1, 0.9, 0.999, 1e-8, { amsgrad: true }).update(0, tensor([1]), plain)).toThrow(
      /no slot 'vmax'/,
    )
  })

  test('float64 parameters are copied into float32 state; gradients may be float64', () => {
    const opt = O.sgd(0.5)
    let s = opt.init(tensor([1, 2], { dtype: 'float64' }))
    s = opt.update(0, tensor([2, 2], { dtype: 'float64' }), s)
    const p = opt.getParams(s) as Tensor
    expect(p.dtype).toBe('float32')
    expect(Array.from(p.data)).toEqual([0, 1])
  })

  test('an empty tree and zero-size leaves are fine', () => {
    const opt = O.adam(0.1)
    let s = opt.init({})
    s = opt.update(0, {}, s)
    expect(s.size).toBe(0)
    let z = opt.init([zeros([0, 3]), tensor([1])])
    z = opt.update(0, [zeros([0, 3]), tensor([1])], z)
    expect(z.params[0]).toBeCloseTo(0.9, 6)
  })

  test("the step index is the caller's (JAX): bias correction uses i, not a hidden counter", () => {
    const opt = O.adam(0.1)
    const a = opt.update(5, tensor([1]), opt.init(tensor([0])))
    // first moments are (1−b1)·g and (1−b2)·g² whatever i is; the bias corrections use i = 5
    const m = 0.1,
      v = 0.001
    const expected = (-0.1 * (m / (1 - 0.9 ** 6))) / (Math.sqrt(v / (1 - 0.999 ** 6)) + 1e-8)
    expect(a.params[0]).toBeCloseTo(expected, 6)
    expect(a.step).toBe(6)
  })
})

// ---------------------------------------------------------------------------------------------
// attach() in detail

describe('attach()', () => {
  test('re-points the tensors into the flat buffers; backward() accumulates into .grad in place', () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    )
    const b = tensor([0.5, -0.5], { requiresGrad: true })
    const train = O.sgd(0.1).attach({ w, b })
    expect(w.data.buffer).toBe(train.state.params.buffer)
    expect(w.grad!.data.buffer).toBe(train.state.grad.buffer)
    const x = tensor([[1, 1]])
    const loss = () => x.matmul(w).add(b).square().sum()
    loss().backward()
    // d/dw of Σ (x·w + b)² with x = [1, 1]: 2·(colsum(w) + b) for each row
    expect(Array.from(w.grad!.data)).toEqual([9, 11, 9, 11])
    const before = Array.from(w.data)
    train.step()
    expect(Array.from(w.data)).toEqual(before.map((v, k) => Math.fround(v - 0.1 * [9, 11, 9, 11][k])))
    train.zeroGrad()
    expect(Array.from(w.grad!.data)).toEqual([0, 0, 0, 0])
    expect(Array.from(train.state.grad)).toEqual([0, 0, 0, 0, 0, 0])
  })

  test('a training loop with backward(), step(), zeroGrad() lowers the loss', () => {
    const w = tensor([[0.1], [-0.2]], { requiresGrad: true })
    const b = tensor([0], { requiresGrad: true })
    const X = tensor([
      [1, 2],
      [2, 1],
      [0, 1],
      [3, 3],
    ])
    const Y = tensor([[5], [4], [2], [9]]) // y = x₁ + 2x₂ + 0
    const train = O.adam(0.1).attach([w, b])
    const lossOf = () => X.matmul(w).add(b).sub(Y).square().mean()
    const first = lossOf().item()
    for (let i = 0; i < 300; i++) {
      train.zeroGrad()
      lossOf().backward()
      train.step()
    }
    expect(lossOf().item()).toBeLessThan(first * 1e-3)
    expect(w.data[0]).toBeCloseTo(1, 1)
    expect(w.data[1]).toBeCloseTo(2, 1)
  })

  test('currentStepSize follows the schedule; stepCount counts steps', () => {
    const w = tensor([1], { requiresGrad: true })
    const train = O.adam(O.stepDecay(0.1, 2, 0.5)).attach(w)
    expect(train.currentStepSize).toBe(0.1)
    w.grad!.data[0] = 1
    train.step()
    train.step()
    expect(train.stepCount).toBe(2)
    expect(train.currentStepSize).toBe(0.05)
  })

  test('a replaced or missing .grad / .data is noticed, copied in and re-pointed', () => {
    const w = tensor([1, 2], { requiresGrad: true })
    const train = O.sgd(1).attach(w)
    w.grad = new Tensor(new Float32Array([1, 1]), [2]) // e.g. someone assigned a fresh gradient
    train.step()
    expect(Array.from(w.data)).toEqual([0, 1])
    expect(w.grad.data.buffer).toBe(train.state.grad.buffer)
    w.grad = null // PyTorch's set_to_none: counts as a zero gradient
    train.step()
    expect(Array.from(w.data)).toEqual([0, 1])
    w.data = new Float32Array([5, 5]) // replaced storage (e.g. loaded weights)
    w.grad!.data.fill(1)
    train.step()
    expect(Array.from(w.data)).toEqual([4, 4])
    expect(w.data.buffer).toBe(train.state.params.buffer)
  })

  test('refuses float64 tensors and a tensor listed twice', () => {
    expect(() => O.adam(0.1).attach(tensor([1], { dtype: 'float64' }))).toThrow(
      /attach: 'params' \[1\] is float64; .*astype\('float32'\)/,
    )
    const w = tensor([1])
    expect(() => O.adam(0.1).attach({ a: w, b: w })).toThrow(/attach: the tensor at 'b' also appears at 'a'/)
  })

  test("step() takes attach's own path (updateLeaves), which checks what it is given and matches update()", () => {
    const opt = O.adam(0.1)
    const state = opt.init({ w: tensor([1, 2]), b: tensor([3]) })
    expect(() => opt.updateLeaves(0, [tensor([1, 1])], state)).toThrow(
      /adam\.update: 1 gradient leaves for 2 parameters/,
    )
    expect(() => opt.updateLeaves(-1, [tensor([1, 1]), tensor([1])], state)).toThrow(/adam\.update: the step i must be/)
    expect(() => O.sgd(0.1).updateLeaves(0, [tensor([1, 1]), tensor([1])], state)).toThrow(/made by 'adam', not 'sgd'/)
    expect(state.step).toBe(0) // refused: nothing written
    const ref = opt.init({ w: tensor([1, 2]), b: tensor([3]) })
    opt.update(0, { w: tensor([0.5, -1]), b: tensor([2]) }, ref)
    opt.updateLeaves(0, [tensor([0.5, -1]), tensor([2])], state)
    expect(Array.from(state.params)).toEqual(Array.from(ref.params))
  })
})

describe('docs/adam.md', () => {
  test('shows optimizers/adam.ts as it is: every code line of its block is a line of the file', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'adam.md'), 'utf8')
    const block = doc.slice(
      doc.indexOf('export const adam = optimizer('),
      doc.indexOf('```', doc.indexOf('export const adam = optimizer(')),
    )
    const source = fs.readFileSync(path.join(__dirname, '..', 'optimizers', 'adam.ts'), 'utf8').split('\n')
    const lines = block.split('\n').filter((l) => l.trim())
    expect(lines.length).toBeGreaterThan(15)
    expect(lines.filter((l) => !source.includes(l))).toEqual([])
  })
})
