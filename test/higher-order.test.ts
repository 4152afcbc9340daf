/**
 * Gradients of gradients and forward mode, tested the way AutoGrad.jl tests them: nested sin to
 * depth 3 against derivatives worked out by hand, perturbation confusion, and the checkers
 * themselves catching a wrong rule. (Every op's second derivative and tangent rule is checked in
 * the op table; the PyTorch references are in torch-higher-order.test.ts.)
 */
import {
  backward,
  defineOp,
  grad,
  gradgradcheck,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  mapTensor,
  mul,
  noGrad,
  randn,
  seed,
  sin,
  tensor,
  Tensor,
  valueAndGrad,
  vjp,
  zipTensors,
} from '../src/index.js'
import { checkJvpAgainstVjp } from './table/checks.js'

const f64 = { dtype: 'float64' as const }
const scalar = (v: number) => tensor(v, f64)

// sin(sin(sin(x))) and its first three derivatives, by hand (chain and product rules).
function nestedSin(x: number): [number, number, number, number] {
  const a = Math.sin(x),
    b = Math.sin(a),
    c = Math.sin(b)
  const da = Math.cos(x),
    db = Math.cos(a) * da,
    dc = Math.cos(b) * db
  const dda = -Math.sin(x)
  const ddb = -Math.sin(a) * da * da + Math.cos(a) * dda
  const ddc = -Math.sin(b) * db * db + Math.cos(b) * ddb
  const ddda = -Math.cos(x)
  const dddb = -Math.cos(a) * da ** 3 - 3 * Math.sin(a) * da * dda + Math.cos(a) * ddda
  const dddc = -Math.cos(b) * db ** 3 - 3 * Math.sin(b) * db * ddb + Math.cos(b) * dddb
  return [c, dc, ddc, dddc]
}

const sss = (x: Tensor) => sin(sin(sin(x)))

describe('grad composes to any depth', () => {
  test("the issue's example: grad(x => grad(f)(x).sum()) for f = Σx³ is 6x, not 0", () => {
    const f = (x: Tensor) => x.pow(3).sum()
    expect(grad((x: Tensor) => grad(f)(x).sum())(tensor([2])).toArray()).toEqual([12])
    expect(grad(grad(f))(tensor(2)).item()).toBe(12)
  })

  test.each([-2.1, -0.3, 0.7, 1.9])('d¹…d³/dx³ sin(sin(sin(x))) at %p by nested grad', (x0) => {
    const [, d1, d2, d3] = nestedSin(x0)
    const g1 = grad(sss)
    const g2 = grad(g1)
    const g3 = grad(g2)
    expect(g1(scalar(x0)).item()).toBeCloseTo(d1, 12)
    expect(g2(scalar(x0)).item()).toBeCloseTo(d2, 12)
    expect(g3(scalar(x0)).item()).toBeCloseTo(d3, 11)
  })

  test.each([-1.3, 0.4])(
    'the same third derivative by forward mode, and by every mix of the two modes, at %p',
    (x0) => {
      const [, d1, d2, d3] = nestedSin(x0)
      const one = scalar(1)
      const d = (f: (x: Tensor) => Tensor) => (x: Tensor) => jvp(f, [x], [one])[1] // forward-mode derivative
      expect(d(sss)(scalar(x0)).item()).toBeCloseTo(d1, 12)
      expect(d(d(sss))(scalar(x0)).item()).toBeCloseTo(d2, 12)
      expect(d(d(d(sss)))(scalar(x0)).item()).toBeCloseTo(d3, 11)
      expect(d(grad(grad(sss)))(scalar(x0)).item()).toBeCloseTo(d3, 11)
      expect(grad(d(grad(sss)))(scalar(x0)).item()).toBeCloseTo(d3, 11)
      expect(grad(grad(d(sss)))(scalar(x0)).item()).toBeCloseTo(d3, 11)
      expect(d(grad(d(sss)))(scalar(x0)).item()).toBeCloseTo(d3, 11)
    },
  )

  test('perturbation confusion: d/dx [x · d/dy (x + y)] = 1, in both modes', () => {
    const x0 = scalar(3)
    const y0 = scalar(5)
    const inner = (x: Tensor) => grad((y: Tensor) => x.add(y))(y0) // d/dy (x + y) = 1
    expect(grad((x: Tensor) => x.mul(inner(x)))(x0).item()).toBe(1)
    const one = scalar(1)
    const innerFwd = (x: Tensor) => jvp((y: Tensor) => x.add(y), [y0], [one])[1]
    expect(jvp((x: Tensor) => x.mul(innerFwd(x)), [x0], [one])[1].item()).toBe(1)
  })

  test('d/dx [x · d/dy (x·y)] = 2x: the inner derivative does depend on x', () => {
    const x0 = scalar(3)
    const y0 = scalar(5)
    expect(grad((x: Tensor) => x.mul(grad((y: Tensor) => x.mul(y))(y0)))(x0).item()).toBe(6)
  })

  test('valueAndGrad inside grad returns a value that is still differentiable', () => {
    const f = (x: Tensor) => x.pow(3).sum()
    // d/dx [f(x) + f′(x)] = 3x² + 6x
    const g = grad((x: Tensor) => {
      const [value, dx] = valueAndGrad(f)(x)
      return value.add(dx.sum())
    })(tensor([2], f64))
    expect(g.toArray()).toEqual([24])
  })

  test('backward() inside grad records its pass, so the outer derivative is not a silent zero', () => {
    const h = grad((x: Tensor) => {
      const xx = x.mul(1) // a non-leaf, so that .grad lands on the leaf below
      const leaf = x
      xx.pow(3).sum().backward()
      return leaf.grad!.sum() // 3x², recorded
    })(tensor([2], f64))
    expect(h.toArray()).toEqual([12])
  })

  test('grad writes no .grad, not even on tensors the function closes over', () => {
    const w = tensor([1, 2], { requiresGrad: true, ...f64 })
    const g = grad((x: Tensor) => x.mul(w).sum())(tensor([3, 4], f64))
    expect(g.toArray()).toEqual([1, 2])
    expect(w.grad).toBeNull()
  })
})

describe('backward({ createGraph })', () => {
  test('.grad requires a gradient and differentiates again (PyTorch create_graph)', () => {
    const x = tensor([1, 2], { requiresGrad: true, ...f64 })
    x.pow(3).sum().backward({ createGraph: true })
    const g = x.grad!
    expect(g.requiresGrad).toBe(true)
    expect(g.toArray()).toEqual([3, 12])
    x.grad = null
    g.sum().backward()
    expect(x.grad!.toArray()).toEqual([6, 12])
  })

  test('the old form backward(cotangent, options) still works, and backward(options)', () => {
    const x = tensor([1, 2], { requiresGrad: true, ...f64 })
    const y = x.mul(x)
    backward(y, tensor([1, 10], f64), { retainGraph: true })
    expect(x.grad!.toArray()).toEqual([2, 40])
    x.grad = null
    y.sum().backward({ createGraph: true })
    expect(x.grad!.requiresGrad).toBe(true)
  })

  test('on a graph freed by an earlier backward: a clear error', () => {
    const x = tensor([1, 2], { requiresGrad: true })
    const y = x.mul(x).sum()
    y.backward()
    expect(() => y.backward({ createGraph: true })).toThrow(
      "backward: the graph through 'sum' (output []) was already freed by an earlier backward(); pass { retainGraph: true }",
    )
  })

  test('a createGraph pass keeps the graph by default (it will be walked again)', () => {
    const x = tensor([1, 2], { requiresGrad: true, ...f64 })
    const y = x.mul(x).sum()
    y.backward({ createGraph: true })
    expect(() => y.backward()).not.toThrow()
    expect(x.grad!.toArray()).toEqual([4, 8])
  })

  test('a first-order pass after a createGraph pass never writes into the recorded .grad', () => {
    const x = tensor([1, 2], { requiresGrad: true, ...f64 })
    x.mul(x).sum().backward({ createGraph: true })
    const recorded = x.grad!
    x.mul(3).sum().backward()
    expect(recorded.toArray()).toEqual([2, 4]) // unchanged: it is a value on the tape
    expect(x.grad!.toArray()).toEqual([5, 7])
  })

  test('a 10⁴-op chain differentiates twice without overflowing the stack', () => {
    let y: Tensor = tensor(0.5, { requiresGrad: true, ...f64 })
    const x = y
    for (let i = 0; i < 10000; i++) y = y.mul(1.0001)
    const d2 = grad(
      grad((z: Tensor) => {
        let w = z
        for (let i = 0; i < 10000; i++) w = w.mul(1.0001)
        return w.square()
      }),
    )(scalar(0.5))
    expect(d2.item()).toBeCloseTo(2 * 1.0001 ** 20000, 6)
    y.backward()
    expect(x.grad!.item()).toBeCloseTo(1.0001 ** 10000, 6)
  })
})

describe('hessian, hvp, jacfwd, jacrev', () => {
  const f = (x: Tensor) =>
    x
      .pow(3)
      .sum()
      .add(x.slice([0]).mul(x.slice([1])))

  test('hessian has shape [...x.shape, ...x.shape] and the right entries', () => {
    const x = tensor([1, 2, 3], f64)
    const H = hessian(f)(x)
    expect(H.shape).toEqual([3, 3])
    expect(H.toArray()).toEqual([
      [6, 1, 0],
      [1, 12, 0],
      [0, 0, 18],
    ])
    const x2 = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      f64,
    )
    expect(hessian((z: Tensor) => z.square().sum())(x2).shape).toEqual([2, 2, 2, 2])
  })

  test('hessian of a non-scalar function names the output shape', () => {
    expect(() => hessian((x: Tensor) => x.mul(x))(tensor([1, 2]))).toThrow(
      'hessian: f must return a scalar, got an output of shape [2]',
    )
  })

  test('hvp equals H·v without forming H', () => {
    const x = tensor([1, 2, 3], f64)
    const v = tensor([0.5, -1, 2], f64)
    expect(hvp(f, x, v).toArray()).toEqual([6 * 0.5 - 1, 0.5 - 12, 36])
    expect(() => hvp(f, x, tensor([1, 2], f64))).toThrow('hvp: v has shape [2] but x has shape [3]')
  })

  test('jacfwd and jacrev agree and have shape [...y.shape, ...x.shape]', () => {
    seed(3)
    const W = randn([3, 4], f64)
    const g = (x: Tensor) => x.matmul(W).tanh() // [2,3] -> [2,4]
    const x = randn([2, 3], f64)
    const Jf = jacfwd(g)(x)
    const Jr = jacrev(g)(x)
    expect(Jf.shape).toEqual([2, 4, 2, 3])
    Array.from(Jf.data).forEach((v, i) => expect(v).toBeCloseTo(Jr.data[i], 12))
  })

  test('jacrev of grad is the hessian too (reverse-over-reverse)', () => {
    const x = tensor([1, 2, 3], f64)
    expect(jacrev(grad(f))(x).toArray()).toEqual(hessian(f)(x).toArray())
  })
})

describe('jvp and vjp', () => {
  test('jvp returns f(x) and J·t; the inputs are untouched', () => {
    const x = tensor([1, 2], f64)
    const [y, t] = jvp((a: Tensor) => a.mul(a).sum(), [x], [tensor([1, 0], f64)])
    expect(y.item()).toBe(5)
    expect(t.item()).toBe(2)
    expect(x.requiresGrad).toBe(false)
  })

  test('jvp of a function that ignores its input gives a zero tangent', () => {
    const [, t] = jvp(() => tensor([1, 2]), [tensor([3])], [tensor([1])])
    expect(t.toArray()).toEqual([0, 0])
  })

  test('jvp runs under noGrad too (noGrad stops the tape, not tangents)', () => {
    const [, t] = noGrad(() => jvp((a: Tensor) => a.exp(), [scalar(0)], [scalar(2)]))
    expect(t.item()).toBe(2)
  })

  test('jvp errors name the shapes and dtypes', () => {
    const f = (a: Tensor) => a
    expect(() => jvp(f, [tensor([1, 2])], [tensor([1, 2, 3])])).toThrow(
      'jvp: tangent 0 has shape [3] but its primal has shape [2]',
    )
    expect(() => jvp(f, [tensor([1, 2])], [tensor([1, 2], f64)])).toThrow(
      'jvp: tangent 0 is float64 but its primal is float32 [2]',
    )
    expect(() => jvp(f, [tensor([1])], [])).toThrow('jvp: got 1 primals and 0 tangents')
  })

  test('vjp pullbacks can be called again and check the cotangent shape', () => {
    const [y, pullback] = vjp((a: Tensor, b: Tensor) => a.mul(b), [tensor([1, 2]), tensor([3, 4])])
    expect(y.toArray()).toEqual([3, 8])
    expect(pullback(tensor([1, 1])).map((t) => t.toArray())).toEqual([
      [3, 4],
      [1, 2],
    ])
    expect(pullback(tensor([2, 0])).map((t) => t.toArray())).toEqual([
      [6, 0],
      [2, 0],
    ])
    expect(() => pullback(tensor([1]))).toThrow('vjp: cotangent of shape [1] does not match the output shape [2]')
  })
})

describe('the checkers catch wrong rules', () => {
  // exp with its saved output used as a constant — the tfjs#3252 mistake — and a wrong tangent.
  const expFn = (x: number) => Math.exp(x)
  const times = (a: number, b: number) => a * b
  const frozenExp = defineOp({
    name: 'frozenExp',
    forward: ([x]) => mapTensor(x, expFn),
    backward: (g, _x, out) => [zipTensors('frozenExp', g, out, times)], // not differentiable in x
    tangent: ([dx], _x, out) => mul(dx, out),
  })
  const wrongTangentExp = defineOp({
    name: 'wrongTangentExp',
    forward: ([x]) => mapTensor(x, expFn),
    backward: (g, _x, out) => [mul(g, out)],
    tangent: ([dx]) => dx, // forgets the factor eˣ
  })

  test('gradgradcheck fails on a backward rule that reuses its output as a constant', () => {
    const x = tensor([0.3, -0.2], f64)
    const report = gradgradcheck((a) => frozenExp([a]).sum(), [x])
    expect(report.ok).toBe(false)
    expect(report.message).toMatch(/^gradgradcheck FAILED/)
    expect(gradgradcheck((a) => a.exp().sum(), [x]).ok).toBe(true) // the real exp passes
  })

  test('jvp against vjp fails on a wrong tangent rule', () => {
    expect(() =>
      checkJvpAgainstVjp('wrongTangentExp', (a) => wrongTangentExp([a]), [tensor([0.5, 1], f64)], [0]),
    ).toThrow(/jvp disagrees with vjp/)
  })
})
