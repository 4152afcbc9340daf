/**
 * tapegrad against PyTorch, one and two orders up: every case of
 * test/fixtures/higher_order.json (written by test/fixtures/higher_order_fixtures.py, torch 1.13,
 * float64) rebuilt here by name with tapegrad's public API.
 *   grad2    first gradients with a cotangent w, then the gradient of Σ⟨g1, v⟩ — both with the
 *            JAX-style transforms (vjp of vjp) and PyTorch-style (backward({ createGraph })
 *            twice), like torch.autograd.grad(..., create_graph=True);
 *   hvp      hvp(f, x, v) against torch.autograd.functional.hvp;
 *   hessian  hessian(f)(x) against torch.autograd.functional.hessian;
 *   jvp      jvp(f, xs, ts) against torch.autograd.functional.jvp.
 * A fixture with no implementation here, or an implementation with no fixture, fails.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tg from '../src/index.js'
import { hessian, hvp, jvp, Tensor, tensor, vjp } from '../src/index.js'

const RTOL = 1e-9
const ATOL = 1e-10

interface Packed {
  shape: number[]
  data: number[]
}
interface Case {
  name: string
  kind: 'grad2' | 'hvp' | 'hessian' | 'jvp'
  inputs: Packed[]
  consts: Packed[]
  out_value: Packed
  w?: Packed
  v?: Packed[]
  g1?: Packed[]
  g2?: Packed[]
  hvp?: Packed
  hessian?: Packed
  t?: Packed[]
  jvp?: Packed
}

type T = Tensor
type Impl = (xs: T[], c: T[]) => T

const unary =
  (f: (x: T) => T): Impl =>
  ([x]) =>
    f(x)
const binary =
  (f: (a: T, b: T) => T): Impl =>
  ([a, b]) =>
    f(a, b)

const impls: Record<string, Impl> = {
  'grad2 exp [2,3]': unary(tg.exp),
  'grad2 log [2,3]': unary(tg.log),
  'grad2 sqrt [2,3]': unary(tg.sqrt),
  'grad2 abs [2,3]': unary(tg.abs),
  'grad2 square [2,3]': unary(tg.square),
  'grad2 neg [2,3]': unary(tg.neg),
  'grad2 tanh [2,3]': unary(tg.tanh),
  'grad2 sigmoid [2,3]': unary(tg.sigmoid),
  'grad2 relu [2,3]': unary(tg.relu),
  'grad2 leakyRelu [2,3]': unary((x) => tg.leakyRelu(x, 0.01)),
  'grad2 gelu [2,3]': unary(tg.gelu),
  'grad2 sin [2,3]': unary(tg.sin),
  'grad2 cos [2,3]': unary(tg.cos),
  'grad2 tan [2,3]': unary(tg.tan),
  'grad2 atan [2,3]': unary(tg.atan),
  'grad2 sinh [2,3]': unary(tg.sinh),
  'grad2 cosh [2,3]': unary(tg.cosh),
  'grad2 asinh [2,3]': unary(tg.asinh),
  'grad2 softplus [2,3]': unary((x) => tg.softplus(x)),
  'grad2 log1p [2,3]': unary(tg.log1p),
  'grad2 expm1 [2,3]': unary(tg.expm1),
  'grad2 silu [2,3]': unary(tg.silu),
  'grad2 elu [2,3]': unary((x) => tg.elu(x)),
  'grad2 softsign [2,3]': unary(tg.softsign),
  'grad2 hardtanh [2,3]': unary((x) => tg.hardtanh(x)),
  'grad2 sign [2,3]': unary(tg.sign),
  'grad2 floor [2,3]': unary(tg.floor),
  'grad2 ceil [2,3]': unary(tg.ceil),
  'grad2 round [2,3]': unary(tg.round),
  'grad2 pow 3 [2,3]': unary((x) => tg.pow(x, 3)),
  'grad2 pow -0.5 [2,3]': unary((x) => tg.pow(x, -0.5)),
  'grad2 mul [2,3]&[3]': binary(tg.mul),
  'grad2 div [2,3]&[3]': binary(tg.div),
  'grad2 pow [2,3]&[3]': binary(tg.pow),
  'grad2 atan2 [2,3]&[3]': binary(tg.atan2),
  'grad2 logaddexp [2,3]&[3]': binary(tg.logaddexp),
  'grad2 xlogy [2,3]&[3]': binary(tg.xlogy),
  'grad2 maximum [2,3]&[3]': binary(tg.maximum),
  'grad2 minimum [2,3]&[3]': binary(tg.minimum),
  'grad2 composite softmax [2,4]': unary((x) => tg.softmax(x, -1)),
  'grad2 composite logsumexp axis 1 keepdims [3,4]': unary((x) => tg.logsumexp(x, 1, true)),
  'grad2 composite variance axis 0 [4,3]': unary((x) => tg.variance(x, 0)),
  'grad2 matmul tanh chain [3,4]@[4,2]': binary((a, b) => tg.tanh(tg.matmul(a, b))),
  'grad2 slice then square [4,5] x[1:3, ::2]': unary((x) =>
    tg.square(
      tg.slice(x, [
        [1, 3],
        [null, null, 2],
      ]),
    ),
  ),
  'grad2 gather rows with repeats then exp [4,3] idx [2,0,2]': unary((x) => tg.exp(tg.gather(x, [2, 0, 2]))),
  'grad2 max over axis 1 of x² [3,4]': unary((x) => tg.max(tg.mul(x, x), 1)),
  'grad2 concat then sin [2,3]&[2,2] axis 1': binary((a, b) => tg.sin(tg.concat([a, b], 1))),
  'grad2 cumsum axis 1 then sin [2,4]': unary((x) => tg.sin(tg.cumsum(x, 1))),
  'grad2 prod axis 1 [3,4]': unary((x) => tg.prod(x, 1)),
  'grad2 prod axis 1 with one zero and two zeros in a row [[2,0,3,1],[0,1.5,0,2],[1.5,2,-1,0.5]]': unary((x) =>
    tg.prod(x, 1),
  ),
  'grad2 norm ord 2 axis 1 [3,4]': unary((x) => tg.norm(x, 2, 1)),
  'grad2 norm ord 1 all [2,3] then square': unary((x) => tg.square(tg.norm(x, 1))),
  'grad2 norm ord 3 axis 0 [4,2]': unary((x) => tg.norm(x, 3, 0)),
  'grad2 pad [[1,0],[2,1]] value 0.5 then square [2,3]': unary((x) =>
    tg.square(
      tg.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        0.5,
      ),
    ),
  ),
  "grad2 einsum 'ij,jk->ik' [2,3]&[3,4]": binary((a, b) => tg.einsum('ij,jk->ik', a, b)),
  'grad2 outer [3]&[4]': binary(tg.outer),
  'hvp cross-entropy of softmax logits [3,4] labels [1,0,3]': ([x]) => tg.crossEntropy(x, [1, 0, 3]),
  'hvp log-softmax weighted sum [2,5]': ([x], [w]) => tg.logSoftmax(x, -1).mul(w).sum(),
  'hvp tanh MLP 3-4-2 loss wrt flat weights [26]': ([theta], [x, y]) => {
    const W1 = theta.slice([[0, 12]]).reshape([3, 4])
    const b1 = theta.slice([[12, 16]])
    const W2 = theta.slice([[16, 24]]).reshape([4, 2])
    const b2 = theta.slice([[24, 26]])
    const h = x.matmul(W1).add(b1).tanh()
    return h.matmul(W2).add(b2).sub(y).square().mean()
  },
  'hvp binary cross-entropy with logits [6]': ([x], [t]) => tg.binaryCrossEntropyWithLogits(x, t),
  'hvp sum of sin(x)·cos(x) [4]': ([x]) => tg.sin(x).mul(tg.cos(x)).sum(),
  'hessian logsumexp [4]': ([x]) => tg.logsumexp(x, 0),
  'hessian rosenbrock [2]': ([x]) => {
    const a = x.slice([0])
    const b = x.slice([1])
    return tg.sub(1, a).square().add(b.sub(a.square()).square().mul(100))
  },
  'hessian tanh MLP 2-3-1 output wrt input [1,2]': ([x], [W1, W2]) => x.matmul(W1).tanh().matmul(W2),
  'hessian softmax cross-entropy wrt logits [5] label 2': ([x]) => tg.logSoftmax(x, 0).slice([2]).neg(),
  'jvp matmul [3,4]@[4,2] both tangents': binary(tg.matmul),
  'jvp batched matmul [2,3,4]@[4,2]': binary(tg.matmul),
  'jvp softmax axis -1 [3,5]': unary((x) => tg.softmax(x, -1)),
  'jvp sum over axis 0 of broadcast add [3,1]+[4]': binary((a, b) => tg.add(a, b).sum(0)),
  'jvp mean over axes [0,2] keepdims of x·y [2,3,4]*[3,1]': binary((x, y) => tg.mul(x, y).mean([0, 2], true)),
  'jvp max over axis 1 [3,4]': unary((x) => tg.max(x, 1)),
  'jvp logsumexp then tanh [2,6]': unary((x) => tg.tanh(tg.logsumexp(x, 1))),
  'jvp tanh MLP 3-4-2 [5,3]': ([x], [W1, W2]) => x.matmul(W1).tanh().matmul(W2),
}

const fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'higher_order.json'), 'utf8')) as {
  torch: string
  cases: Case[]
}
const t64 = (p: Packed) => tensor(p.data, { shape: p.shape, dtype: 'float64' })

function expectClose(where: string, got: Tensor, want: Packed): void {
  expect(got.shape).toEqual(want.shape)
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i]
    const w = want.data[i]
    if (!(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w)))
      throw new Error(`${where}: element ${i}: got ${g}, PyTorch ${w}`)
  }
}

/** Σᵢ ⟨aᵢ, bᵢ⟩ as a (recorded) 0-d tensor. */
function dots(a: Tensor[], b: Tensor[]): Tensor {
  return a.map((x, i) => x.mul(b[i]).sum()).reduce((s, x) => s.add(x))
}

test(`the fixtures were made by torch (${fixtures.torch}) and hold at least 40 cases`, () => {
  expect(fixtures.cases.length).toBeGreaterThanOrEqual(40)
})

describe.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (name, c) => {
  const impl = impls[name]
  const xs = () => c.inputs.map(t64)
  const consts = c.consts.map(t64)
  const f = (...zs: Tensor[]) => impl(zs, consts)

  test('matches PyTorch', () => {
    expect(impl).toBeDefined()
    expectClose('value', f(...xs()), c.out_value)
    if (c.kind === 'grad2') {
      const w = t64(c.w!)
      const v = c.v!.map(t64)
      // JAX style: the pullback of the pullback.
      const inputs = xs()
      const [, pullback] = vjp(f, inputs)
      pullback(w).forEach((g, i) => expectClose(`g1[${i}]`, g, c.g1![i]))
      const [, pullback2] = vjp((...zs: Tensor[]) => dots(vjp(f, zs)[1](w), v), inputs)
      pullback2(tensor(1, { dtype: 'float64' })).forEach((g, i) => expectClose(`g2[${i}] (vjp of vjp)`, g, c.g2![i]))
      // PyTorch style: backward({ createGraph: true }), then backward through the gradients.
      const leaves = xs().map((t) => t.setRequiresGrad())
      f(...leaves).backward(w, { createGraph: true })
      const g1 = leaves.map((t) => t.grad!)
      g1.forEach((g, i) => expectClose(`g1[${i}] (backward)`, g, c.g1![i]))
      const s = dots(g1, v)
      leaves.forEach((t) => (t.grad = null))
      if (s.requiresGrad) {
        s.backward()
        leaves.forEach((t, i) => expectClose(`g2[${i}] (backward twice)`, t.grad ?? tg.zerosLike(t), c.g2![i]))
      } else {
        // A piecewise-constant op: its gradient is a constant, so the second derivative is 0.
        c.g2!.forEach((g) => expect(g.data.every((x) => x === 0)).toBe(true))
      }
    } else if (c.kind === 'hvp') {
      expectClose('hvp', hvp(f, xs()[0], t64(c.v![0])), c.hvp!)
    } else if (c.kind === 'hessian') {
      expectClose('hessian', hessian(f)(xs()[0]), c.hessian!)
    } else {
      const [value, t] = jvp(f, xs(), c.t!.map(t64))
      expectClose('jvp value', value, c.out_value)
      expectClose('jvp', t, c.jvp!)
    }
  })
})

test('every implementation has a fixture', () => {
  const names = new Set(fixtures.cases.map((c) => c.name))
  expect(Object.keys(impls).filter((n) => !names.has(n))).toEqual([])
})
