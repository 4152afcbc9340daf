/**
 * tapegrad's convolution and pooling ops against PyTorch: forward values and gradients of every
 * case in test/fixtures/conv.json (written by test/fixtures/make_conv_fixtures.py with torch),
 * in float64 (|Δ| ≤ 1e-6·|expected| + 1e-9) and in float32 (|Δ| ≤ 1e-4·|expected| + 1e-5).
 *
 * A case names a tapegrad call (`fn` and its options, in tapegrad's names); the loss is
 * (out · w).sum() with the case's fixed w, and each case runs twice per dtype, once per autodiff
 * style: `valueAndGrad` over the differentiable inputs, and `loss.backward()` on leaves. The
 * gradPenalty cases hold a gradient inside the loss: their gradients are second derivatives
 * (PyTorch's create_graph), checked against autograd's.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Tensor,
  tensor,
  grad,
  valueAndGrad,
  conv1d,
  conv2d,
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  matmul,
  flatten,
  relu,
  mul,
  sum,
  add,
  square,
} from '../src/index.js'

interface Packed {
  shape: number[]
  data: number[]
}
interface Case {
  name: string
  fn: string
  options: Record<string, any>
  inputs: (Packed & { requires_grad: boolean })[]
  w: Packed
  float32: { out: Packed; grads: (Packed | null)[] }
  float64: { out: Packed; grads: (Packed | null)[] }
}

const fixtures: { torch: string; cases: Case[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'conv.json'), 'utf8'),
)

const TOL: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float32: { rtol: 1e-4, atol: 1e-5 },
  float64: { rtol: 1e-6, atol: 1e-9 },
}

/** tapegrad's version of each fixture call. */
function call(c: Case, xs: Tensor[]): Tensor {
  const { kernelSize, outputSize, ...rest } = c.options
  switch (c.fn) {
    case 'conv2d':
      return conv2d(xs[0], xs[1], xs[2] ?? null, rest)
    case 'conv1d':
      return conv1d(xs[0], xs[1], xs[2] ?? null, rest)
    case 'maxPool2d':
      return maxPool2d(xs[0], kernelSize, rest)
    case 'avgPool2d':
      return avgPool2d(xs[0], kernelSize, rest)
    case 'adaptiveAvgPool2d':
      return adaptiveAvgPool2d(xs[0], outputSize)
    case 'mnistCore': {
      const [x, w1, w2, wd, bd] = xs
      let h = maxPool2d(relu(conv2d(x, w1, null, { padding: 'same' })), 2)
      h = maxPool2d(relu(conv2d(h, w2, null, { padding: 'same' })), 2)
      return add(matmul(flatten(h, 1), wd), bd)
    }
    case 'gradPenalty': {
      // ‖∂s/∂x‖² with s = Σ maxPool2d(relu(conv2d(x, k)))²: a gradient inside the function, so
      // the outer gradient is a second derivative (grad nests; see the note on styles below).
      const [x, k] = xs
      const s = (t: Tensor) =>
        sum(square(maxPool2d(relu(conv2d(t, k, null, { padding: 1, stride: rest.stride ?? 1 })), 2)))
      return sum(square(grad(s)(x)))
    }
    default:
      throw new Error(`no tapegrad call for fixture fn '${c.fn}'`)
  }
}

function expectClose(got: Tensor, want: Packed, dtype: 'float32' | 'float64', what: string): void {
  expect(got.shape).toEqual(want.shape)
  const { rtol, atol } = TOL[dtype]
  for (let i = 0; i < want.data.length; i++) {
    const e = want.data[i]
    if (!(Math.abs(got.data[i] - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}: element ${i}: got ${got.data[i]}, PyTorch ${e}`)
    }
  }
}

test(`the fixtures were made by torch (${fixtures.torch}) and cover every op`, () => {
  expect(fixtures.cases.length).toBeGreaterThanOrEqual(25)
  const fns = new Set(fixtures.cases.map((c) => c.fn))
  for (const fn of ['conv2d', 'conv1d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'mnistCore', 'gradPenalty'])
    expect(fns).toContain(fn)
})

describe.each(['float64', 'float32'] as const)('%s', (dtype) => {
  test.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const expected = c[dtype]
    const make = () => c.inputs.map((x) => tensor(x.data, { shape: x.shape, dtype, requiresGrad: x.requires_grad }))
    const w = tensor(c.w.data, { shape: c.w.shape, dtype })
    // PyTorch style: leaves, loss.backward(), .grad. (Not for a case with a gradient inside: a
    // top-level grad records nothing beyond f, so it runs only in the JAX style, which nests.)
    const jaxOnly = c.fn === 'gradPenalty'
    const xs = make()
    const out = call(c, xs)
    expectClose(out, expected.out, dtype, `${c.name} (forward)`)
    if (!jaxOnly) {
      sum(mul(out, w)).backward()
      xs.forEach((x, i) => {
        const g = expected.grads[i]
        if (g === null) expect(x.grad).toBeNull()
        else expectClose(x.grad!, g, dtype, `${c.name} (backward, input ${i})`)
      })
    }
    // JAX style: valueAndGrad over the inputs that take a gradient
    const fresh = make().map((x) => x.detach())
    const which = c.inputs.map((x, i) => (x.requires_grad ? i : -1)).filter((i) => i >= 0)
    const loss = (params: Tensor[]) => {
      const all = fresh.slice()
      which.forEach((i, k) => (all[i] = params[k]))
      return sum(mul(call(c, all), w))
    }
    const [, grads] = valueAndGrad(loss)(which.map((i) => fresh[i]))
    which.forEach((i, k) => expectClose(grads[k], expected.grads[i]!, dtype, `${c.name} (valueAndGrad, input ${i})`))
  })
})
