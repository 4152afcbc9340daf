/**
 * tapegrad against PyTorch: forward values and gradients of every case in
 * test/fixtures/ops.json (written by test/fixtures/make_fixtures.py with torch, float32).
 *
 * Each fixture case is rebuilt here, by name, with tapegrad's public API. For a 0-d output the
 * loss is the output; otherwise it is (out · w).sum() with the case's fixed random w. Every case
 * runs twice, once per autodiff style, and both must match PyTorch:
 *   - JAX style: `valueAndGrad` of the loss over the array of differentiable inputs;
 *   - PyTorch style: leaves with `requiresGrad`, then `out.backward(w)` (a cotangent) or
 *     `out.backward()` for a 0-d output, reading `.grad`.
 * Values are compared in float32 with |actual − expected| ≤ ATOL + RTOL·|expected|.
 * A fixture case with no implementation here (or an implementation with no fixture) fails.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  Tensor,
  tensor,
  valueAndGrad,
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  sqrt,
  abs,
  tanh,
  sigmoid,
  relu,
  leakyRelu,
  gelu,
  maximum,
  where,
  clamp,
  sum,
  mean,
  max,
  min,
  logsumexp,
  variance,
  matmul,
  transpose,
  permute,
  reshape,
  flatten,
  squeeze,
  unsqueeze,
  broadcastTo,
  slice,
  gather,
  indexSelect,
  concat,
  stack,
  split,
  softmax,
  logSoftmax,
  crossEntropy,
  mse,
  binaryCrossEntropyWithLogits,
  cumsum,
  prod,
  norm,
  pad,
  flip,
  tile,
  tril,
  triu,
  outer,
  einsum,
} from '../src/index.js'

const RTOL = 1e-4
const ATOL = 1e-5

interface Packed {
  shape: number[]
  dtype: 'float32' | 'int64'
  data: number[]
}
interface Input extends Packed {
  requires_grad: boolean
}
interface Case {
  name: string
  inputs: Input[]
  w: Packed | null
  out: Packed
  loss: number
  grads: (Packed | null)[]
}
interface Fixtures {
  torch: string
  cases: Case[]
}

/**
 * Builds one case's output from its inputs, in the order the fixture stores them. Integer inputs
 * (labels, indices) arrive as float32 tensors holding the integers (`x[i]`, e.g. for `gather`)
 * and as plain arrays through `ints(i)` (e.g. crossEntropy labels).
 */
type Impl = (x: Tensor[], ints: (i: number) => number[]) => Tensor

const impls: Record<string, Impl> = {
  // ---- elementwise binary, broadcasting
  'add broadcast [2,3] + [3]': ([a, b]) => add(a, b),
  'add broadcast [4,1] + [1,5] + 0-d': ([a, b, c]) => a.add(b).add(c),
  'add tensor + number': ([a]) => a.add(2.5),
  'sub broadcast [2,1,3] - [4,1]': ([a, b]) => sub(a, b),
  'sub number - tensor': ([a]) => sub(1, a),
  'mul broadcast [3,1,4] * [2,4]': ([a, b]) => a.mul(b),
  'mul broadcast 0-d * [2,3]': ([a, b]) => mul(a, b),
  'div broadcast [3,4] / [4]': ([a, b]) => div(a, b),
  'div broadcast [2,1] / [2,3] (negative denominators)': ([a, b]) => a.div(b),
  'div number / tensor': ([a]) => div(3, a),
  'pow tensor^tensor broadcast [2,3] ^ [3]': ([a, b]) => pow(a, b),
  'pow tensor^3 (negative base)': ([a]) => a.pow(3),
  'pow tensor^0.5 and tensor^-2': ([a]) => pow(a, 0.5).add(pow(a, -2)),
  'pow number^tensor 2^x': ([a]) => pow(2, a),
  'maximum broadcast [2,3] vs [3] with a tie': ([a, b]) => maximum(a, b),
  'minimum broadcast [3,1] vs [1,4] with a tie': ([a, b]) => a.minimum(b),
  'where cond [2,1,4] ? a [3,4] : b 0-d': ([c, a, b]) => where(c, a, b),
  'where cond [3] ? a [2,3] : b [2,1]': ([c, a, b]) => where(c, a, b),

  // ---- elementwise unary
  exp: ([x]) => exp(x),
  log: ([x]) => x.log(),
  sqrt: ([x]) => sqrt(x),
  'abs (with an exact 0)': ([x]) => abs(x),
  square: ([x]) => x.square(),
  neg: ([x]) => neg(x),
  'tanh (including ±20)': ([x]) => tanh(x),
  sigmoid: ([x]) => x.sigmoid(),
  'sigmoid at ±50': ([x]) => sigmoid(x),
  'relu (with an exact 0)': ([x]) => relu(x),
  'leakyRelu default slope 0.01': ([x]) => leakyRelu(x),
  'leakyRelu slope 0.2': ([x]) => x.leakyRelu(0.2),
  'gelu (exact erf form)': ([x]) => gelu(x),
  'clamp [-0.5, 0.5]': ([x]) => clamp(x, -0.5, 0.5),
  'clamp min only 0.1 and max only -0.2': ([x]) => clamp(x, 0.1).add(x.clamp(null, -0.2)),

  // ---- reductions
  'sum all': ([x]) => sum(x),
  'sum axis 1': ([x]) => x.sum(1),
  'sum axes [0,2] keepdims': ([x]) => sum(x, [0, 2], true),
  'sum axis -1': ([x]) => x.sum(-1),
  'mean all': ([x]) => mean(x),
  'mean axes [-1,-3]': ([x]) => mean(x, [-1, -3]),
  'mean axis 0 keepdims': ([x]) => x.mean(0, true),
  'max all': ([x]) => max(x),
  'max axis 1': ([x]) => x.max(1),
  'max axes [0,2] keepdims': ([x]) => max(x, [0, 2], true),
  'min all': ([x]) => x.min(),
  'min axis -1 keepdims': ([x]) => min(x, -1, true),
  'min axes [1,2]': ([x]) => x.min([1, 2]),
  'logsumexp all': ([x]) => logsumexp(x),
  'logsumexp axis -1': ([x]) => x.logsumexp(-1),
  'logsumexp axes [0,2] keepdims': ([x]) => logsumexp(x, [0, 2], true),
  'logsumexp at ±1000': ([x]) => logsumexp(x, 1),
  'var all (correction 0)': ([x]) => variance(x),
  'var axis 1 (correction 0)': ([x]) => x.var(1),
  'var axes [0,2] keepdims (correction 0)': ([x]) => variance(x, [0, 2], true, 0),
  'var axis -1 (correction 1)': ([x]) => variance(x, -1, false, 1),

  // ---- linear algebra
  'matmul 1-D . 1-D': ([a, b]) => matmul(a, b),
  'matmul 1-D @ 2-D': ([a, b]) => a.matmul(b),
  'matmul 2-D @ 1-D': ([a, b]) => matmul(a, b),
  'matmul chain [2,3]@[3,4]@[4,5]': ([a, b, c]) => a.matmul(b).matmul(c),
  'matmul batched [2,3,4]@[2,4,5]': ([a, b]) => matmul(a, b),
  'matmul broadcast batch [2,1,3,4]@[3,4,2]': ([a, b]) => matmul(a, b),
  'matmul batched @ 1-D [2,3,4]@[4]': ([a, b]) => matmul(a, b),
  'matmul 1-D @ batched [3]@[2,3,4]': ([a, b]) => matmul(a, b),
  'matmul with a transposed operand A @ B.T': ([a, b]) => matmul(a, b.T),
  'transpose default (last two axes) [2,3,4]': ([x]) => transpose(x),
  'transpose axes [2,0,1]': ([x]) => x.transpose([2, 0, 1]),
  'permute [1,0,2] then matmul': ([x, m]) => permute(x, [1, 0, 2]).matmul(m),

  // ---- shape
  'reshape [2,3,4] -> [4,-1]': ([x]) => reshape(exp(x), [4, -1]),
  'flatten from axis 1': ([x]) => flatten(x.mul(x), 1),
  'flatten axes 0..1': ([x]) => tanh(x).flatten(0, 1),
  'squeeze axis 1 and all': ([x]) => squeeze(x, 1).mul(2).add(x.squeeze().unsqueeze(-1)),
  'unsqueeze 0 and -1 broadcast together': ([x]) => unsqueeze(x, 0).mul(x.unsqueeze(-1)),
  'broadcastTo [3,1] -> [2,3,4]': ([x]) => broadcastTo(x, [2, 3, 4]).exp(),

  // ---- slicing (NumPy semantics: a number drops its axis; [start, stop, step])
  'slice [1:, ::2]': ([x]) =>
    slice(x, [
      [1, null],
      [null, null, 2],
    ]),
  'slice [:, 1:5:2, -3:]': ([x]) => x.slice([null, [1, 5, 2], [-3]]),
  'slice integer index [1, 0:4:3]': ([x]) => slice(x, [1, [0, 4, 3]]),
  'slice negative step [::-1, 4:0:-2]': ([x]) =>
    slice(x, [
      [null, null, -1],
      [4, 0, -2],
    ]),
  'slice overlapping windows x[0:3] * x[1:4]': ([x]) => slice(x, [[0, 3]]).mul(slice(x, [[1, 4]])),

  // ---- gather
  'gather embedding lookup [5,3] by [[0,2,2],[4,0,0]]': ([e, idx]) => gather(e, idx),
  'indexSelect axis 1 with repeats [3,1,3,3]': ([x], ints) => indexSelect(x, 1, ints(1)),
  'gather axis -1 with 2-D indices': ([x, idx]) => x.gather(idx, -1),

  // ---- concat / stack / split
  'concat [2,3],[2,1],[2,2] axis 1': ([a, b, c]) => concat([a, b, c], 1),
  'concat the same tensor twice axis 0': ([a]) => concat([a, a.mul(a)], 0),
  'stack three [2,3] axis 0': ([a, b, c]) => stack([a, b, c], 0),
  'stack two [2,3] axis -1': ([a, b]) => stack([a, b], -1),
  'split size 2 axis 1 then combine': ([x]) => {
    const [p0, p1, p2] = split(x, 2, 1)
    return p0.mul(p1).add(p2)
  },
  'split sizes [1,3] axis 0 then concat reversed': ([x]) => {
    const [p0, p1] = split(x, [1, 3], 0)
    return concat([p1, p0.exp()], 0)
  },

  // ---- softmax family and losses
  'softmax axis -1': ([x]) => softmax(x, -1),
  'softmax axis 0': ([x]) => x.softmax(0),
  'softmax at ±1000': ([x]) => softmax(x),
  'logSoftmax axis -1': ([x]) => logSoftmax(x, -1),
  'logSoftmax at ±1000': ([x]) => x.logSoftmax(),
  'crossEntropy labels mean': ([x], ints) => crossEntropy(x, ints(1)),
  'crossEntropy labels sum': ([x], ints) => crossEntropy(x, ints(1), { reduction: 'sum' }),
  'crossEntropy labels none': ([x], ints) => crossEntropy(x, ints(1), { reduction: 'none' }),
  'crossEntropy labels mean at ±1000': ([x], ints) => crossEntropy(x, ints(1), { reduction: 'mean' }),
  'crossEntropy probabilities mean at ±1000': ([x, p]) => crossEntropy(x, p),
  'crossEntropy probabilities sum (gradient to the target too)': ([x, p]) => crossEntropy(x, p, { reduction: 'sum' }),
  'mse mean': ([p, t]) => mse(p, t),
  'mse sum (constant target)': ([p, t]) => mse(p, t, 'sum'),
  'mse none': ([p, t]) => mse(p, t, 'none'),
  'binaryCrossEntropyWithLogits mean at ±50 and ±1000': ([x, t]) => binaryCrossEntropyWithLogits(x, t),
  'binaryCrossEntropyWithLogits sum (gradient to the target too)': ([x, t]) =>
    binaryCrossEntropyWithLogits(x, t, 'sum'),
  'binaryCrossEntropyWithLogits none [2,3]': ([x, t]) => binaryCrossEntropyWithLogits(x, t, 'none'),

  // ---- running sums and products
  'cumsum [3,4] axis 1': ([x]) => cumsum(x, 1),
  'cumsum [2,3,4] axis -3': ([x]) => x.cumsum(-3),
  'cumsum flattened [2,3] (no axis)': ([x]) => cumsum(x),
  'prod [3,4] axis 1': ([x]) => prod(x, 1),
  'prod [2,3] all': ([x]) => x.prod(),
  'prod axis 1 with one zero and two zeros in a row [[2,0,3],[0,1.5,0],[1.5,2,-1]]': ([x]) => prod(x, 1),
  'prod [2,3,2] axes [0,2] keepdims': ([x]) => prod(x, [0, 2], true),

  // ---- norm
  'norm [3,4] default (2-norm of all elements)': ([x]) => norm(x),
  "norm [3,3] 'fro'": ([x]) => x.norm('fro'),
  'norm [3,4] ord 2 axis 1 keepdims': ([x]) => norm(x, 2, 1, true),
  'norm [3,4] ord 1 axis 0': ([x]) => norm(x, 1, 0),
  'norm [3,4] ord Infinity axis -1': ([x]) => norm(x, Infinity, -1),
  'norm [3,4] ord -Infinity axis 0': ([x]) => norm(x, -Infinity, 0),
  'norm [2,3,2] ord 3 axes [0,2]': ([x]) => norm(x, 3, [0, 2]),
  'norm [2,4] ord 0.5 axis 1': ([x]) => norm(x, 0.5, 1),
  'norm ord 2 axis 1 with a zero row (gradient 0 there) [[0,0,0],[3,-4,1]]': ([x]) => norm(x, 2, 1),

  // ---- layout
  'pad [4] widths [[1,2]]': ([x]) => pad(x, [[1, 2]]),
  'pad [2,3] widths [[2,0],[1,1]] value 2.5': ([x]) =>
    pad(
      x,
      [
        [2, 0],
        [1, 1],
      ],
      2.5,
    ),
  'pad [2,2,3] widths [[0,1],[0,0],[2,1]] value -1': ([x]) =>
    x.pad(
      [
        [0, 1],
        [0, 0],
        [2, 1],
      ],
      -1,
    ),
  'flip [2,3,4] axes [0,2]': ([x]) => flip(x, [0, 2]),
  'flip [3,2] every axis': ([x]) => x.flip(),
  'tile [2,3] reps [2,2]': ([x]) => tile(x, [2, 2]),
  'tile [2] reps [2,1,3]': ([x]) => x.tile([2, 1, 3]),
  'tril [3,4] k 0': ([x]) => tril(x),
  'tril [4,3] k -1': ([x]) => x.tril(-1),
  'triu [2,3,3] k 1': ([x]) => triu(x, 1),

  // ---- einsum, outer, dot
  'outer [3] [4]': ([a, b]) => outer(a, b),
  'dot [5] [5]': ([a, b]) => a.dot(b),
  "einsum 'ij,jk->ik' [2,3] [3,4]": ([a, b]) => einsum('ij,jk->ik', a, b),
  "einsum 'bij,bjk->bik' [2,2,3] [2,3,2]": ([a, b]) => einsum('bij,bjk->bik', a, b),
  "einsum 'i,i->' [4] [4]": ([a, b]) => einsum('i,i->', a, b),
  "einsum 'ij->ji' [2,3]": ([x]) => einsum('ij->ji', x),
  "einsum 'bi,bi->b' [3,4] [3,4]": ([a, b]) => einsum('bi,bi->b', a, b),
  "einsum implicit 'ij,jk' [3,2] [2,4]": ([a, b]) => einsum('ij,jk', a, b),
  "einsum implicit 'ba,ac' [2,3] [3,2]": ([a, b]) => einsum('ba,ac', a, b),
  "einsum 'bij,bkj->bik' [2,2,3] [2,4,3]": ([a, b]) => einsum('bij,bkj->bik', a, b),
  "einsum 'ijk,jl->lik' [2,3,2] [3,2]": ([a, b]) => einsum('ijk,jl->lik', a, b),
  "einsum 'ij->i' [3,4]": ([x]) => einsum('ij->i', x),

  // ---- graphs: reuse, diamonds, small nets
  'reused input x*x + x': ([x]) => x.mul(x).add(x),
  'reused input in three places exp(x)*x + mean(x)': ([x]) => exp(x).mul(x).sum().add(x.mean()),
  'diamond y = tanh(x); z = exp(y) + y*y': ([x]) => {
    const y = tanh(x)
    return exp(y).add(y.mul(y))
  },
  'diamond through matmul y = x@W; z = relu(y).sum(0) + sigmoid(y).mean(0)': ([x, w]) => {
    const y = matmul(x, w)
    return relu(y).sum(0).add(sigmoid(y).mean(0))
  },
  'micrograd README expression (0-d)': ([a, b]) => {
    let c = a.add(b)
    let d = a.mul(b).add(b.pow(3))
    c = c.add(c.add(1))
    c = c.add(add(1, c).add(a.neg()))
    d = d.add(d.mul(2).add(b.add(a).relu()))
    d = d.add(mul(3, d).add(b.sub(a).relu()))
    const e = c.sub(d)
    const f = e.pow(2)
    let g = f.div(2)
    g = g.add(div(10, f))
    return g
  },
  'MLP 4-8-3 tanh with crossEntropy': ([x, w1, b1, w2, b2], ints) => {
    const h = tanh(x.matmul(w1).add(b1))
    return crossEntropy(h.matmul(w2).add(b2), ints(5))
  },
  'MLP 4-8-3 relu with crossEntropy, gradient to the input too': ([x, w1, b1, w2, b2], ints) => {
    const h = relu(matmul(x, w1).add(b1))
    return crossEntropy(matmul(h, w2).add(b2), ints(5), { reduction: 'sum' })
  },
}

// ---------------------------------------------------------------------------------------------

const fixtures: Fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'ops.json'), 'utf8'))

function toTensor(p: Packed): Tensor {
  return tensor(p.data, { shape: p.shape, dtype: 'float32' })
}

/** Throws, naming the worst element, unless `actual` matches `expected` in shape and values. */
function expectClose(what: string, actual: Tensor | null | undefined, expected: Packed): void {
  if (!(actual instanceof Tensor))
    throw new Error(`${what}: expected a tensor of shape [${expected.shape}], got ${String(actual)}`)
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`${what}: shape [${actual.shape}] but PyTorch gives [${expected.shape}]`)
  }
  if (actual.dtype !== 'float32') throw new Error(`${what}: dtype ${actual.dtype}, expected float32`)
  let worst = -1
  let worstExcess = 0
  let bad = 0
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]
    const e = expected.data[i]
    const excess = Math.abs(a - e) - (ATOL + RTOL * Math.abs(e))
    if (!(excess <= 0)) {
      bad++
      if (worst < 0 || !(excess <= worstExcess)) {
        worst = i
        worstExcess = excess
      }
    }
  }
  if (bad > 0) {
    const a = actual.data[worst]
    const e = expected.data[worst]
    throw new Error(
      `${what}: ${bad} of ${expected.data.length} values differ from PyTorch beyond rtol ${RTOL} / atol ${ATOL}; ` +
        `worst at flat index ${worst}: tapegrad ${a}, PyTorch ${e} (|Δ| = ${Math.abs(a - e)})\n` +
        `  tapegrad: [${Array.from(actual.data).slice(0, 24).join(', ')}${actual.size > 24 ? ', …' : ''}]\n` +
        `  PyTorch:  [${expected.data.slice(0, 24).join(', ')}${expected.data.length > 24 ? ', …' : ''}]`,
    )
  }
}

function implFor(c: Case): Impl {
  const impl = Object.prototype.hasOwnProperty.call(impls, c.name) ? impls[c.name] : undefined
  if (!impl)
    throw new Error(
      `no tapegrad implementation for the PyTorch fixture case '${c.name}': add it to impls in test/torch-ops.test.ts`,
    )
  return impl
}

function intsOf(c: Case): (i: number) => number[] {
  return (i: number) => {
    const p = c.inputs[i]
    if (!p || p.dtype !== 'int64') throw new Error(`case '${c.name}': input ${i} is not an integer input`)
    return p.data.slice()
  }
}

/** JAX style: valueAndGrad over the array of differentiable inputs; loss = (out·w).sum(). */
function runValueAndGrad(c: Case): void {
  const impl = implFor(c)
  const fixed = c.inputs.map(toTensor)
  const wrt = c.inputs.map((p, i) => (p.requires_grad ? i : -1)).filter((i) => i >= 0)
  const w = c.w ? toTensor(c.w) : null
  let out: Tensor | null = null
  const f = (params: Tensor[]): Tensor => {
    const xs = fixed.slice()
    wrt.forEach((i, k) => (xs[i] = params[k]))
    out = impl(xs, intsOf(c))
    return w ? out.mul(w).sum() : out
  }
  const [loss, grads] = valueAndGrad(f)(wrt.map((i) => fixed[i]))
  expectClose('forward', out, c.out)
  expectClose('loss', loss, { shape: [], dtype: 'float32', data: [c.loss] })
  wrt.forEach((i, k) => expectClose(`gradient of input ${i}`, grads[k], c.grads[i]!))
  // valueAndGrad must leave the caller's tensors alone.
  for (const t of fixed) expect(t.grad).toBeNull()
}

/** PyTorch style: leaves with requiresGrad, then out.backward(w) (or backward() for 0-d out). */
function runBackward(c: Case): void {
  const impl = implFor(c)
  const xs = c.inputs.map((p) => {
    const t = toTensor(p)
    if (p.requires_grad) t.requiresGrad = true
    return t
  })
  const out = impl(xs, intsOf(c))
  expectClose('forward', out, c.out)
  if (c.w) out.backward(toTensor(c.w))
  else out.backward()
  c.inputs.forEach((p, i) => {
    if (p.requires_grad) expectClose(`.grad of input ${i}`, xs[i].grad, c.grads[i]!)
    else expect(xs[i].grad).toBeNull()
  })
}

describe('PyTorch reference fixtures (test/fixtures/ops.json)', () => {
  test('the fixture file holds enough cases, and every case has an implementation here and vice versa', () => {
    expect(fixtures.cases.length).toBeGreaterThanOrEqual(40)
    const names = fixtures.cases.map((c) => c.name)
    expect(new Set(names).size).toBe(names.length)
    const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(impls, n))
    const stale = Object.keys(impls).filter((n) => !names.includes(n))
    expect({ missing, stale }).toEqual({ missing: [], stale: [] })
  })

  test('every case is float32 with a gradient for each differentiable input', () => {
    for (const c of fixtures.cases) {
      expect(c.out.dtype).toBe('float32')
      expect(c.grads.length).toBe(c.inputs.length)
      c.inputs.forEach((p, i) => expect([c.name, i, c.grads[i] !== null]).toEqual([c.name, i, p.requires_grad]))
      expect(c.inputs.some((p) => p.requires_grad)).toBe(true)
    }
  })

  describe.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    test('valueAndGrad matches PyTorch', () => runValueAndGrad(c))
    test('backward() matches PyTorch', () => runBackward(c))
  })
})
