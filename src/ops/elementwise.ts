/**
 * Elementwise ops. Binary ops broadcast like NumPy; numbers are accepted wherever a tensor is and
 * become constants of the other operand's dtype. Each primitive is one `defineOp` block: the
 * forward computes the values, the backward turns g = ∂L/∂out into ∂L/∂inputs (of the output's
 * shape — the engine sums broadcast axes back).
 *
 * Element functions are module-level so that each gets one compiled loop (see nd.ts).
 */
import { allocate, broadcastShapes, broadcastTo, fmt, sizeOf, type DType } from '../nd.js'
import { erf } from '../math.js'
import { defineOp, mapTensor, zipTensors } from '../op.js'
import { asTensor, Tensor, type TensorLike } from '../tensor.js'

/** What an argument is, for errors: `tensor [2,3]`, `number`, `null`, `string`. */
function kind(x: unknown): string {
  return x instanceof Tensor ? `tensor ${fmt(x.shape)}` : x === null ? 'null' : typeof x
}

/** Converts a (tensor | number) pair to tensors, numbers taking the dtype of the tensor. */
function pair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ok = (x: unknown) => x instanceof Tensor || typeof x === 'number'
  if (!ok(a) || !ok(b)) throw new Error(`${op}: expected tensors or numbers, got ${kind(a)} and ${kind(b)}`)
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) return [asTensor(a), asTensor(b)]
  const like = a instanceof Tensor ? a : (b as Tensor)
  return [asTensor(a, like), asTensor(b, like)]
}

function one(op: string, x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${kind(x)}`)
  return x
}

// ---- add: out = a + b;  ∂a = g, ∂b = g -------------------------------------------------------
const plus = (a: number, b: number) => a + b
/** The primitive behind {@link add}, recorded on the tape as 'add'. @example addOp([a, b]) // = add(a, b), without its argument checks */
export const addOp = defineOp({
  name: 'add',
  forward: ([a, b]) => zipTensors('add', a, b, plus),
  backward: (g) => [g, g],
})
/** a + b, broadcasting. @example add(tensor([1, 2]), 1) // [2, 3] */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return addOp(pair('add', a, b))
}

// ---- mul: out = a · b;  ∂a = g·b, ∂b = g·a ---------------------------------------------------
const times = (a: number, b: number) => a * b
/** The primitive behind {@link mul}, recorded on the tape as 'mul'. @example mulOp([a, b]) // = mul(a, b), without its argument checks */
export const mulOp = defineOp({
  name: 'mul',
  forward: ([a, b]) => zipTensors('mul', a, b, times),
  backward: (g, [a, b]) => [g.mul(b), g.mul(a)],
})
/** a · b elementwise, broadcasting. @example mul(x, 2) */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return mulOp(pair('mul', a, b))
}

// ---- neg: out = −x;  ∂x = −g ----------------------------------------------------------------
const negate = (x: number) => -x
/** The primitive behind {@link neg}, recorded on the tape as 'neg'. @example negOp([x]) // = neg(x), without its argument checks */
export const negOp = defineOp({
  name: 'neg',
  forward: ([x]) => mapTensor(x, negate),
  backward: (g) => [mapTensor(g, negate)],
})
/** −x;  ∂x = −g. @example neg(tensor([1, -2])) // [-1, 2] */
export function neg(x: Tensor): Tensor {
  return negOp([one('neg', x)])
}

/** a − b, broadcasting. Composite: a + (−b), no backward of its own. @example sub(tensor([3, 4]), 1) // [2, 3] */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = pair('sub', a, b)
  return add(x, neg(y))
}

/** a / b, broadcasting. Composite: a · b⁻¹, no backward of its own. @example div(tensor([1, 2]), 4) // [0.25, 0.5] */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = pair('div', a, b)
  return mul(x, pow(y, -1))
}

// ---- pow by a constant: out = xᵖ;  ∂x = g·p·xᵖ⁻¹ ----------------------------------------------
const powConst = (x: number, p: number) => Math.pow(x, p)
const powGradConst = (x: number, p: number) => p * Math.pow(x, p - 1)
/** The primitive behind {@link pow} with a constant exponent (attrs: p), recorded on the tape as 'pow'. @example powConstOp([x], 2) // = pow(x, 2), without its argument checks */
export const powConstOp = defineOp<number>({
  name: 'pow',
  forward: ([x], p) => mapTensor(x, powConst, p),
  backward: (g, [x], _out, p) => [g.mul(mapTensor(x, powGradConst, p))],
})

// ---- pow by a tensor: out = aᵇ;  ∂a = g·b·aᵇ⁻¹, ∂b = g·aᵇ·ln a ---------------------------------
const powPair = (a: number, b: number) => Math.pow(a, b)
const powGradBase = (a: number, b: number) => b * Math.pow(a, b - 1)
const timesLog = (y: number, a: number) => (y === 0 ? 0 : y * Math.log(a)) // 0·ln 0 taken as 0
/** The primitive behind {@link pow} with a tensor exponent, recorded on the tape as 'pow'. @example powOp([a, b]) // = pow(a, b), without its argument checks */
export const powOp = defineOp({
  name: 'pow',
  forward: ([a, b]) => zipTensors('pow', a, b, powPair),
  backward: (g, [a, b], out) => [
    a.requiresGrad ? g.mul(zipTensors('pow', a, b, powGradBase)) : null,
    b.requiresGrad ? g.mul(zipTensors('pow', out, a, timesLog)) : null,
  ],
})
/**
 * xᵖ elementwise; p is a number or a tensor (broadcasting).
 * @example pow(x, 2) // x²      pow(2, x) // 2ˣ
 */
export function pow(x: TensorLike, p: TensorLike): Tensor {
  if (x instanceof Tensor && typeof p === 'number') return powConstOp([x], p)
  return powOp(pair('pow', x, p))
}

// ---- exp: out = eˣ;  ∂x = g·out --------------------------------------------------------------
/** The primitive behind {@link exp}, recorded on the tape as 'exp'. @example expOp([x]) // = exp(x), without its argument checks */
export const expOp = defineOp({
  name: 'exp',
  forward: ([x]) => mapTensor(x, Math.exp),
  backward: (g, _x, out) => [g.mul(out)],
})
/** eˣ;  ∂x = g·eˣ. @example exp(tensor([0, 1])) // [1, 2.7183] */
export function exp(x: Tensor): Tensor {
  return expOp([one('exp', x)])
}

// ---- log: out = ln x;  ∂x = g / x ------------------------------------------------------------
const over = (g: number, x: number) => g / x
/** The primitive behind {@link log}, recorded on the tape as 'log'. @example logOp([x]) // = log(x), without its argument checks */
export const logOp = defineOp({
  name: 'log',
  forward: ([x]) => mapTensor(x, Math.log),
  backward: (g, [x]) => [zipTensors('log', g, x, over)],
})
/** Natural logarithm ln x;  ∂x = g/x. @example log(tensor([1, Math.E])) // [0, 1] */
export function log(x: Tensor): Tensor {
  return logOp([one('log', x)])
}

// ---- sqrt: out = √x;  ∂x = g / (2√x) ---------------------------------------------------------
const halfOver = (g: number, y: number) => g / (2 * y)
/** The primitive behind {@link sqrt}, recorded on the tape as 'sqrt'. @example sqrtOp([x]) // = sqrt(x), without its argument checks */
export const sqrtOp = defineOp({
  name: 'sqrt',
  forward: ([x]) => mapTensor(x, Math.sqrt),
  backward: (g, _x, out) => [zipTensors('sqrt', g, out, halfOver)],
})
/** √x;  ∂x = g/(2√x). @example sqrt(tensor([4, 9])) // [2, 3] */
export function sqrt(x: Tensor): Tensor {
  return sqrtOp([one('sqrt', x)])
}

// ---- abs: out = |x|;  ∂x = g·sign(x) (0 at 0, as in PyTorch) ----------------------------------
const timesSign = (g: number, x: number) => (x > 0 ? g : x < 0 ? -g : 0)
/** The primitive behind {@link abs}, recorded on the tape as 'abs'. @example absOp([x]) // = abs(x), without its argument checks */
export const absOp = defineOp({
  name: 'abs',
  forward: ([x]) => mapTensor(x, Math.abs),
  backward: (g, [x]) => [zipTensors('abs', g, x, timesSign)],
})
/** |x|;  ∂x = g·sign(x) (0 at x = 0, as PyTorch). @example abs(tensor([-2, 3])) // [2, 3] */
export function abs(x: Tensor): Tensor {
  return absOp([one('abs', x)])
}

// ---- square: out = x²;  ∂x = 2·g·x ------------------------------------------------------------
const sq = (x: number) => x * x
const twice = (g: number, x: number) => 2 * g * x
/** The primitive behind {@link square}, recorded on the tape as 'square'. @example squareOp([x]) // = square(x), without its argument checks */
export const squareOp = defineOp({
  name: 'square',
  forward: ([x]) => mapTensor(x, sq),
  backward: (g, [x]) => [zipTensors('square', g, x, twice)],
})
/** x²;  ∂x = 2·g·x. @example square(tensor([-2, 3])) // [4, 9] */
export function square(x: Tensor): Tensor {
  return squareOp([one('square', x)])
}

// ---- tanh: out = tanh x;  ∂x = g·(1 − out²) ---------------------------------------------------
const tanhGrad = (g: number, y: number) => g * (1 - y * y)
/** The primitive behind {@link tanh}, recorded on the tape as 'tanh'. @example tanhOp([x]) // = tanh(x), without its argument checks */
export const tanhOp = defineOp({
  name: 'tanh',
  forward: ([x]) => mapTensor(x, Math.tanh),
  backward: (g, _x, out) => [zipTensors('tanh', g, out, tanhGrad)],
})
/** Hyperbolic tangent tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ);  ∂x = g·(1 − tanh²x). @example tanh(tensor([0])) // [0] */
export function tanh(x: Tensor): Tensor {
  return tanhOp([one('tanh', x)])
}

// ---- sigmoid: out = σ(x) = 1/(1+e⁻ˣ);  ∂x = g·out·(1 − out) ------------------------------------
// Written so that e^(−x) never overflows: for x < 0 use eˣ/(1+eˣ).
const sigmoidFn = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))
const sigmoidGrad = (g: number, y: number) => g * y * (1 - y)
/** The primitive behind {@link sigmoid}, recorded on the tape as 'sigmoid'. @example sigmoidOp([x]) // = sigmoid(x), without its argument checks */
export const sigmoidOp = defineOp({
  name: 'sigmoid',
  forward: ([x]) => mapTensor(x, sigmoidFn),
  backward: (g, _x, out) => [zipTensors('sigmoid', g, out, sigmoidGrad)],
})
/** Logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), stable for large |x|;  ∂x = g·σ(x)·(1 − σ(x)). @example sigmoid(tensor([0])) // [0.5] */
export function sigmoid(x: Tensor): Tensor {
  return sigmoidOp([one('sigmoid', x)])
}

// ---- relu: out = max(x, 0);  ∂x = g·[x > 0] ---------------------------------------------------
const reluFn = (x: number) => (x > 0 ? x : 0)
const reluGrad = (g: number, x: number) => (x > 0 ? g : 0)
/** The primitive behind {@link relu}, recorded on the tape as 'relu'. @example reluOp([x]) // = relu(x), without its argument checks */
export const reluOp = defineOp({
  name: 'relu',
  forward: ([x]) => mapTensor(x, reluFn),
  backward: (g, [x]) => [zipTensors('relu', g, x, reluGrad)],
})
/** Rectified linear unit max(x, 0);  ∂x = g·[x > 0]. @example relu(tensor([-1, 2])) // [0, 2] */
export function relu(x: Tensor): Tensor {
  return reluOp([one('relu', x)])
}

// ---- leakyRelu: out = x if x > 0 else slope·x;  ∂x = g·(x > 0 ? 1 : slope) -------------------
const leakyFn = (x: number, s: number) => (x > 0 ? x : s * x)
const leakyGrad = (g: number, x: number, s: number) => (x > 0 ? g : s * g)
/** The primitive behind {@link leakyRelu}, recorded on the tape as 'leakyRelu'. @example leakyReluOp([x], 0.01) // = leakyRelu(x, 0.01), without its argument checks */
export const leakyReluOp = defineOp<number>({
  name: 'leakyRelu',
  forward: ([x], slope) => mapTensor(x, leakyFn, slope),
  backward: (g, [x], _out, slope) => [zipTensors('leakyRelu', g, x, leakyGrad, slope)],
})
/** Leaky ReLU: x for x > 0, slope·x otherwise (slope 0.01 by default, as in PyTorch). @example leakyRelu(tensor([-2, 3]), 0.1) // [-0.2, 3] */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return leakyReluOp([one('leakyRelu', x)], slope)
}

// ---- gelu: out = x·Φ(x);  ∂x = g·(Φ(x) + x·φ(x)) ----------------------------------------------
// The exact GELU (PyTorch's default), with Φ the standard normal CDF written through erf.
const geluFn = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2))
const geluGrad = (g: number, x: number) =>
  g * (0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI))
/** The primitive behind {@link gelu}, recorded on the tape as 'gelu'. @example geluOp([x]) // = gelu(x), without its argument checks */
export const geluOp = defineOp({
  name: 'gelu',
  forward: ([x]) => mapTensor(x, geluFn),
  backward: (g, [x]) => [zipTensors('gelu', g, x, geluGrad)],
})
/**
 * Gaussian error linear unit x·Φ(x), Φ(x) = ½·(1 + erf(x/√2)) the standard normal CDF (the exact
 * form, PyTorch's default);  ∂x = g·(Φ(x) + x·φ(x)).
 * @example gelu(tensor([0, 1])) // [0, 0.8413]
 */
export function gelu(x: Tensor): Tensor {
  return geluOp([one('gelu', x)])
}

// ---- maximum / minimum: ties split the gradient equally (as PyTorch) ---------------------------
const maxFn = (a: number, b: number) => (a >= b ? a : b)
const minFn = (a: number, b: number) => (a <= b ? a : b)
const firstWins = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0)
const firstLoses = (a: number, b: number) => (a < b ? 1 : a === b ? 0.5 : 0)
/** The primitive behind {@link maximum}, recorded on the tape as 'maximum'. @example maximumOp([a, b]) // = maximum(a, b), without its argument checks */
export const maximumOp = defineOp({
  name: 'maximum',
  forward: ([a, b]) => zipTensors('maximum', a, b, maxFn),
  backward: (g, [a, b]) => [g.mul(zipTensors('maximum', a, b, firstWins)), g.mul(zipTensors('maximum', b, a, firstWins))],
})
/** Elementwise max(a, b), broadcasting; at ties each side gets g/2 (as PyTorch). @example maximum(tensor([1, 5]), 3) // [3, 5] */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(pair('maximum', a, b))
}
/** The primitive behind {@link minimum}, recorded on the tape as 'minimum'. @example minimumOp([a, b]) // = minimum(a, b), without its argument checks */
export const minimumOp = defineOp({
  name: 'minimum',
  forward: ([a, b]) => zipTensors('minimum', a, b, minFn),
  backward: (g, [a, b]) => [g.mul(zipTensors('minimum', a, b, firstLoses)), g.mul(zipTensors('minimum', b, a, firstLoses))],
})
/** Elementwise min(a, b), broadcasting; at ties each side gets g/2 (as PyTorch). @example minimum(tensor([1, 5]), 3) // [1, 3] */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(pair('minimum', a, b))
}

// ---- clamp: out = min(max(x, lo), hi);  ∂x = g·[lo ≤ x ≤ hi] ---------------------------------
interface Bounds {
  lo: number
  hi: number
}
/** The primitive behind {@link clamp}, recorded on the tape as 'clamp'. @example clampOp([x], { lo: 0, hi: 1 }) // = clamp(x, 0, 1), without its argument checks */
export const clampOp = defineOp<Bounds>({
  name: 'clamp',
  forward: ([x], { lo, hi }) => {
    const out = allocate(x.dtype, x.size)
    const d = x.data
    for (let i = 0; i < d.length; i++) out[i] = d[i] < lo ? lo : d[i] > hi ? hi : d[i]
    return new Tensor(out, x.shape.slice())
  },
  backward: (g, [x], _out, { lo, hi }) => {
    const out = allocate(g.dtype, g.size)
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] >= lo && x.data[i] <= hi ? g.data[i] : 0
    return [new Tensor(out, g.shape.slice())]
  },
})
/** Limits x to [min, max]; either bound may be omitted (null/undefined);  ∂x = g·[min ≤ x ≤ max]. @example clamp(tensor([-2, 0.5, 3]), 0, 1) // [0, 0.5, 1] */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity
  const hi = max ?? Infinity
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) throw new Error(`clamp: invalid bounds [${min}, ${max}]`)
  return clampOp([one('clamp', x)], { lo, hi })
}

// ---- where: out = cond ? a : b (cond nonzero = true);  ∂a = g·cond, ∂b = g·(1 − cond) ----------
/** The primitive behind {@link where}, recorded on the tape as 'where'. @example whereOp([cond, a, b]) // = where(cond, a, b), without its argument checks */
export const whereOp = defineOp({
  name: 'where',
  mixedDtypes: true, // the condition may be of any dtype; a and b must agree (checked below)
  forward: ([c, a, b]) => {
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape)
    const n = sizeOf(shape)
    const cd = c.size === n ? c.data : broadcastTo(c.data, c.shape, shape)
    const ad = a.size === n ? a.data : broadcastTo(a.data, a.shape, shape)
    const bd = b.size === n ? b.data : broadcastTo(b.data, b.shape, shape)
    const out = allocate(a.dtype, n)
    for (let i = 0; i < n; i++) out[i] = cd[i] !== 0 ? ad[i] : bd[i]
    return new Tensor(out, shape)
  },
  backward: (g, [c]) => {
    const n = g.size
    const cd = c.size === n ? c.data : broadcastTo(c.data, c.shape, g.shape)
    const ga = allocate(g.dtype, n)
    const gb = allocate(g.dtype, n)
    for (let i = 0; i < n; i++) (cd[i] !== 0 ? ga : gb)[i] = g.data[i]
    return [null, new Tensor(ga, g.shape.slice()), new Tensor(gb, g.shape.slice())]
  },
})
/**
 * Picks from `a` where `cond` is nonzero and from `b` elsewhere, broadcasting all three.
 * No gradient flows to `cond`.
 * @example where(x.maximum(0), x, 0) // relu by hand
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor)) throw new Error(`where: the condition must be a Tensor, got ${typeof cond}`)
  const [x, y] = pair('where', a, b)
  if (x.dtype !== y.dtype) throw new Error(`where: dtype mismatch: ${x.dtype} ${fmt(x.shape)} and ${y.dtype} ${fmt(y.shape)}`)
  return whereOp([cond, x, y])
}

// ---- astype: a differentiable cast; ∂x = g cast back -----------------------------------------
/** The primitive behind {@link astype}, recorded on the tape as 'astype'. @example astypeOp([x], 'float64') // = astype(x, 'float64'), without its argument checks */
export const astypeOp = defineOp<DType>({
  name: 'astype',
  forward: ([x], dtype) => {
    const out = allocate(dtype, x.size)
    out.set(x.data)
    return new Tensor(out, x.shape.slice())
  },
  backward: (g, [x]) => [g.astype(x.dtype)],
})
/** Converts to another dtype ('float32' or 'float64'); gradients are cast back. @example astype(tensor([1, 2]), 'float64').dtype // 'float64' */
export function astype(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`astype: unsupported dtype '${dtype}' (use 'float32' or 'float64')`)
  return astypeOp([one('astype', x)], dtype)
}
