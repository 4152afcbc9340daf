/**
 * Elementwise ops. Binary ops broadcast like NumPy; numbers are accepted wherever a tensor is and
 * become constants of the other operand's dtype. Each primitive is one `defineOp` block of three
 * rules: the forward computes the values; the backward turns g = ∂L/∂out into ∂L/∂inputs (of the
 * output's shape — the engine sums broadcast axes back); the tangent turns the inputs' tangents
 * into the output's. Backward and tangent are written with these same ops, so they can be
 * differentiated again; a `fastBackward` does the same first-order math in one fused loop.
 *
 * A derivative factor that is piecewise constant (relu's [x > 0], abs's sign) is computed once as
 * a plain tensor: it is a constant of the graph, exactly as its derivative (0 almost everywhere)
 * says.
 *
 * Element functions are module-level so that each gets one compiled loop (see nd.ts).
 */
import { allocate, broadcastShapes, broadcastTo, fmt, sizeOf, type DType } from '../nd.js'
import { erf } from '../math.js'
import { defineOp, mapTensor, zipTensors, type Op } from '../op.js'
import { checkFloat, checkTensor, describeArg } from '../check.js'
import { asTensor, Tensor, type TensorLike } from '../tensor.js'

/** Converts a (tensor | number) pair to tensors, numbers taking the dtype of the tensor. */
function pair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ok = (x: unknown) => x instanceof Tensor || typeof x === 'number'
  if (!ok(a) || !ok(b))
    throw new Error(`${op}: expected tensors or numbers, got ${describeArg(a)} and ${describeArg(b)}`)
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) return [asTensor(a), asTensor(b)]
  const like = a instanceof Tensor ? a : (b as Tensor)
  return [asTensor(a, like), asTensor(b, like)]
}

/** pair() for composites: int32 is refused by their own name, not by the primitive inside. */
function floatPair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const [x, y] = pair(op, a, b)
  checkFloat(op, x, 'a')
  checkFloat(op, y, 'b')
  // Checked here so that the errors name this op, not the primitive inside it.
  if (x.dtype !== y.dtype)
    throw new Error(`${op}: dtype mismatch: ${x.dtype} ${fmt(x.shape)} and ${y.dtype} ${fmt(y.shape)}`)
  broadcastShapes(op, x.shape, y.shape)
  return [x, y]
}

/** Zeros of x's shape and dtype: the derivative of a piecewise-constant op. */
function zerosOf(x: Tensor): Tensor {
  return Tensor.full(x.shape, 0, x.dtype)
}

// ---- add: out = a + b;  ā = g, b̄ = g;  ȯut = ȧ + ḃ -------------------------------------------
const plus = (a: number, b: number) => a + b
/**
 * The primitive behind {@link add}, recorded on the tape as 'add'.
 * @example
 * import { add, addOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * addOp([a, b]).toArray() // [4, 6]
 * add(a, b).toArray()     // [4, 6]
 */
export const addOp = defineOp({
  name: 'add',
  forward: ([a, b]) => zipTensors('add', a, b, plus),
  backward: (g) => [g, g],
  tangent: ([da, db]) => add(da, db),
})
/**
 * a + b, broadcasting.
 * @example
 * import { add, tensor } from 'tapegrad'
 * add(tensor([1, 2]), 1).toArray() // [2, 3]
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return addOp(pair('add', a, b))
}

// ---- mul: out = a · b;  ā = g·b, b̄ = g·a;  ȯut = ȧ·b + a·ḃ ------------------------------------
const times = (a: number, b: number) => a * b
/**
 * The primitive behind {@link mul}, recorded on the tape as 'mul'.
 * @example
 * import { mul, mulOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * mulOp([a, b]).toArray() // [3, 8]
 * mul(a, b).toArray()     // [3, 8]
 */
export const mulOp = defineOp({
  name: 'mul',
  forward: ([a, b]) => zipTensors('mul', a, b, times),
  backward: (g, [a, b]) => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null],
  tangent: ([da, db], [a, b]) => add(mul(da, b), mul(a, db)),
})
/**
 * a · b elementwise, broadcasting.
 * @example
 * import { mul, tensor } from 'tapegrad'
 * mul(tensor([1, 2]), 3).toArray() // [3, 6]
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return mulOp(pair('mul', a, b))
}

// ---- neg: out = −x;  x̄ = −g;  ȯut = −ẋ -------------------------------------------------------
const negate = (x: number) => -x
/**
 * The primitive behind {@link neg}, recorded on the tape as 'neg'.
 * @example
 * import { neg, negOp, tensor } from 'tapegrad'
 * const x = tensor([1, -2])
 * negOp([x]).toArray() // [-1, 2]
 * neg(x).toArray()     // [-1, 2]
 */
export const negOp = defineOp({
  name: 'neg',
  forward: ([x]) => mapTensor(x, negate),
  backward: (g) => [neg(g)],
  tangent: ([dx]) => neg(dx),
})
/**
 * −x.
 * @example
 * import { neg, tensor } from 'tapegrad'
 * neg(tensor([1, -2])).toArray() // [-1, 2]
 */
export function neg(x: Tensor): Tensor {
  return negOp([checkTensor('neg', x)])
}

/**
 * a − b, broadcasting. Composite: a + (−b), no rules of its own.
 * @example
 * import { sub, tensor } from 'tapegrad'
 * sub(tensor([3, 4]), 1).toArray() // [2, 3]
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = floatPair('sub', a, b)
  return add(x, neg(y))
}

// ---- div: out = a / b;  ā = g / b, b̄ = −g·out / b;  ȯut = (ȧ − ḃ·out) / b ---------------------
// A primitive, not a · b⁻¹: b⁻¹ overflows for a denormal b (0 / 1e-310 gave 0·∞ = NaN, not 0).
const quotient = (a: number, b: number) => a / b
/**
 * The primitive behind {@link div}, recorded on the tape as 'div'.
 * @example
 * import { div, divOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * divOp([a, b]).toArray() // [0.3333, 0.5]
 * div(a, b).toArray()     // [0.3333, 0.5]
 */
export const divOp: Op = defineOp({
  name: 'div',
  forward: ([a, b]) => zipTensors('div', a, b, quotient),
  backward: (g, [a, b], out) => [a.requiresGrad ? div(g, b) : null, b.requiresGrad ? neg(div(mul(g, out), b)) : null],
  tangent: ([da, db], [, b], out) => div(sub(da, mul(db, out)), b),
})
/**
 * a / b, broadcasting.
 * @example
 * import { div, tensor } from 'tapegrad'
 * div(tensor([1, 2]), 4).toArray() // [0.25, 0.5]
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return divOp(floatPair('div', a, b))
}

// ---- pow by a constant: out = xᵖ;  x̄ = g·p·xᵖ⁻¹;  ȯut = p·xᵖ⁻¹·ẋ -------------------------------
// C99's pow, which NumPy and PyTorch follow, where JavaScript's differs: 1ᵖ = 1 even for NaN, (−1)^±∞ = 1.
const powConst = (x: number, p: number) => (x === 1 || (x === -1 && Math.abs(p) === Infinity) ? 1 : Math.pow(x, p))
const powConstGrad = (x: number, p: number) => p * Math.pow(x, p - 1)
/** p·xᵖ⁻¹, differentiable (x⁰ = 1 needs no special case; p = 0 gives exact zeros). */
function powDerivative(x: Tensor, p: number): Tensor {
  return p === 0 ? zerosOf(x) : mul(powConstOp([x], p - 1), p)
}
/**
 * The primitive behind {@link pow} with a constant exponent (attrs: p), recorded on the tape as 'pow'.
 * @example
 * import { pow, powConstOp, tensor } from 'tapegrad'
 * const x = tensor([2, 3])
 * powConstOp([x], 2).toArray() // [4, 9]
 * pow(x, 2).toArray()          // [4, 9]
 */
export const powConstOp = defineOp<number>({
  name: 'pow',
  forward: ([x], p) => mapTensor(x, powConst, p),
  backward: (g, [x], _out, p) => [mul(g, powDerivative(x, p))],
  tangent: ([dx], [x], _out, p) => mul(dx, powDerivative(x, p)),
  fastBackward: (g, [x], _out, p) => [mul(g, mapTensor(x, powConstGrad, p))],
})

// ---- pow by a tensor: out = aᵇ;  ā = g·b·aᵇ⁻¹, b̄ = g·aᵇ·ln a;  ȯut = b·aᵇ⁻¹·ȧ + aᵇ·ln a·ḃ -------
const powPair = powConst
/**
 * The primitive behind {@link pow} with a tensor exponent, recorded on the tape as 'pow'.
 * @example
 * import { pow, powOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * powOp([a, b]).toArray() // [1, 16]
 * pow(a, b).toArray()     // [1, 16]
 */
export const powOp = defineOp({
  name: 'pow',
  forward: ([a, b]) => zipTensors('pow', a, b, powPair),
  backward: (g, [a, b], out) => [
    a.requiresGrad ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
    b.requiresGrad ? mul(g, xlogy(out, a)) : null, // aᵇ·ln a, taken as 0 where aᵇ = 0 (0·ln 0)
  ],
  tangent: ([da, db], [a, b], out) => add(mul(da, mul(b, pow(a, sub(b, 1)))), mul(db, xlogy(out, a))),
})
/**
 * xᵖ elementwise; p is a number or a tensor (broadcasting).
 * @example
 * import { pow, tensor } from 'tapegrad'
 * pow(tensor([2, 3]), 2).toArray() // [4, 9]
 * pow(2, tensor([0, 3])).toArray() // [1, 8]
 */
export function pow(x: TensorLike, p: TensorLike): Tensor {
  // The exponent is rounded to x's dtype, as every number operand is (pow(x, −5e−324) is x⁻⁰ = 1 in float32).
  if (x instanceof Tensor && typeof p === 'number') return powConstOp([x], x.dtype === 'float32' ? Math.fround(p) : p)
  return powOp(pair('pow', x, p))
}

// ---- xlogy: out = x·ln y (0 where x = 0);  x̄ = g·ln y, ȳ = g·x/y;  ȯut = ẋ·ln y + x·ẏ/y ---------
const xlogyFn = (x: number, y: number) => (x === 0 && !Number.isNaN(y) ? 0 : x * Math.log(y))
// At x = 0 the x̄ factor ln y is finite only for y > 0; where y ≤ 0 it is taken as 0 (as PyTorch).
const logOrZero = (x: number, y: number) => (x === 0 && y <= 0 ? 0 : Math.log(y))
/** ln y where it is part of ∂(x·ln y)/∂x, and 0 where x = 0 and y ≤ 0 — differentiable in y. */
function logWhereUsed(x: Tensor, y: Tensor): Tensor {
  const used = zipTensors('xlogy', x, y, logIsUsed) // a constant mask
  return log(where(used, y, 1)) // ln 1 = 0 where unused, and no −∞ to poison the derivative
}
const logIsUsed = (x: number, y: number) => (x === 0 && y <= 0 ? 0 : 1)
/**
 * The primitive behind {@link xlogy}.
 * @example
 * import { tensor, xlogy, xlogyOp } from 'tapegrad'
 * const x = tensor([0, 2]), y = tensor([0, 3])
 * xlogyOp([x, y]).toArray() // [0, 2.1972]
 * xlogy(x, y).toArray()     // [0, 2.1972]
 */
export const xlogyOp = defineOp({
  name: 'xlogy',
  forward: ([x, y]) => zipTensors('xlogy', x, y, xlogyFn),
  backward: (g, [x, y]) => [
    x.requiresGrad ? mul(g, logWhereUsed(x, y)) : null,
    y.requiresGrad ? mul(g, div(x, y)) : null,
  ],
  tangent: ([dx, dy], [x, y]) => add(mul(dx, logWhereUsed(x, y)), mul(dy, div(x, y))),
  fastBackward: (g, [x, y]) => [
    x.requiresGrad ? mul(g, zipTensors('xlogy', x, y, logOrZero)) : null,
    y.requiresGrad ? mul(g, div(x, y)) : null,
  ],
})
/**
 * x·ln y elementwise, broadcasting, with 0·ln y = 0 even where ln y is −∞ (PyTorch's `xlogy`):
 * the term that entropies and likelihoods are made of.
 * @example
 * import { tensor, xlogy } from 'tapegrad'
 * xlogy(tensor([0, 2]), tensor([0, Math.E])).toArray() // [0, 2]
 */
export function xlogy(x: TensorLike, y: TensorLike): Tensor {
  return xlogyOp(pair('xlogy', x, y))
}

// ---- exp: out = eˣ;  x̄ = g·out;  ȯut = ẋ·out -------------------------------------------------
// `out` is the recorded output itself, so differentiating g·out again goes through exp once more
// (the bug tfjs#3252 avoided: reusing a saved output as a constant breaks exp's second derivative).
/**
 * The primitive behind {@link exp}, recorded on the tape as 'exp'.
 * @example
 * import { exp, expOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * expOp([x]).toArray() // [1, 2.7183]
 * exp(x).toArray()     // [1, 2.7183]
 */
export const expOp = defineOp({
  name: 'exp',
  forward: ([x]) => mapTensor(x, Math.exp),
  backward: (g, _x, out) => [mul(g, out)],
  tangent: ([dx], _x, out) => mul(dx, out),
})
/**
 * eˣ.
 * @example
 * import { exp, tensor } from 'tapegrad'
 * exp(tensor([0])).toArray() // [1]
 */
export function exp(x: Tensor): Tensor {
  return expOp([checkTensor('exp', x)])
}

// ---- log: out = ln x;  x̄ = g/x;  ȯut = ẋ/x ----------------------------------------------------
const divide = (g: number, x: number) => g / x
/**
 * The primitive behind {@link log}, recorded on the tape as 'log'.
 * @example
 * import { log, logOp, tensor } from 'tapegrad'
 * const x = tensor([1, 2])
 * logOp([x]).toArray() // [0, 0.6931]
 * log(x).toArray()     // [0, 0.6931]
 */
export const logOp = defineOp({
  name: 'log',
  forward: ([x]) => mapTensor(x, Math.log),
  backward: (g, [x]) => [div(g, x)],
  tangent: ([dx], [x]) => div(dx, x),
  fastBackward: (g, [x]) => [zipTensors('log', g, x, divide)],
})
/**
 * Natural logarithm ln x.
 * @example
 * import { log, tensor } from 'tapegrad'
 * log(tensor([1])).toArray() // [0]
 */
export function log(x: Tensor): Tensor {
  return logOp([checkTensor('log', x)])
}

// ---- log1p: out = ln(1 + x);  x̄ = g/(1 + x);  ȯut = ẋ/(1 + x) ----------------------------------
const divideByOnePlus = (g: number, x: number) => g / (1 + x)
/**
 * The primitive behind {@link log1p}.
 * @example
 * import { log1p, log1pOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * log1pOp([x]).toArray() // [0, 0.6931]
 * log1p(x).toArray()     // [0, 0.6931]
 */
export const log1pOp = defineOp({
  name: 'log1p',
  forward: ([x]) => mapTensor(x, Math.log1p),
  backward: (g, [x]) => [div(g, add(x, 1))],
  tangent: ([dx], [x]) => div(dx, add(x, 1)),
  fastBackward: (g, [x]) => [zipTensors('log1p', g, x, divideByOnePlus)],
})
/**
 * ln(1 + x), accurate for small x (log1p(1e-10) = 1e-10, where log(1 + x) rounds).
 * @example
 * import { log1p, tensor } from 'tapegrad'
 * log1p(tensor([0])).toArray() // [0]
 */
export function log1p(x: Tensor): Tensor {
  return log1pOp([checkTensor('log1p', x)])
}

// ---- expm1: out = eˣ − 1;  x̄ = g·(out + 1);  ȯut = ẋ·(out + 1) --------------------------------
/**
 * The primitive behind {@link expm1}.
 * @example
 * import { expm1, expm1Op, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * expm1Op([x]).toArray() // [0, 1.7183]
 * expm1(x).toArray()     // [0, 1.7183]
 */
export const expm1Op = defineOp({
  name: 'expm1',
  forward: ([x]) => mapTensor(x, Math.expm1),
  backward: (g, _x, out) => [mul(g, add(out, 1))],
  tangent: ([dx], _x, out) => mul(dx, add(out, 1)),
})
/**
 * eˣ − 1, accurate for small x.
 * @example
 * import { expm1, tensor } from 'tapegrad'
 * expm1(tensor([0])).toArray() // [0]
 */
export function expm1(x: Tensor): Tensor {
  return expm1Op([checkTensor('expm1', x)])
}

// ---- logaddexp: out = ln(eᵃ + eᵇ);  ā = g·σ(a − b), b̄ = g·σ(b − a) -------------------------------
// Computed as max(a, b) + ln(1 + e^(−|a − b|)): no overflow, and exact when one side dominates.
const logAddExpFn = (a: number, b: number) => {
  if (a === b) return a + Math.LN2 // also ±∞ + ±∞ of one sign, where a − b would be NaN
  const m = a > b ? a : b
  return m + Math.log1p(Math.exp(-Math.abs(a - b)))
}
/**
 * The primitive behind {@link logaddexp}.
 * @example
 * import { logaddexp, logaddexpOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * logaddexpOp([a, b]).toArray() // [3.1269, 4.1269]
 * logaddexp(a, b).toArray()     // [3.1269, 4.1269]
 */
export const logaddexpOp = defineOp({
  name: 'logaddexp',
  forward: ([a, b]) => zipTensors('logaddexp', a, b, logAddExpFn),
  backward: (g, [a, b]) => [
    a.requiresGrad ? mul(g, sigmoid(sub(a, b))) : null,
    b.requiresGrad ? mul(g, sigmoid(sub(b, a))) : null,
  ],
  tangent: ([da, db], [a, b]) => add(mul(da, sigmoid(sub(a, b))), mul(db, sigmoid(sub(b, a)))),
})
/**
 * ln(eᵃ + eᵇ) elementwise, broadcasting, computed stably (finite at a = b = 1000, where the naive
 * form overflows);  ∂/∂a = σ(a − b).
 * @example
 * import { logaddexp, tensor } from 'tapegrad'
 * logaddexp(tensor([1000]), tensor([1000])).toArray() // [1000.6932]
 */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  return logaddexpOp(pair('logaddexp', a, b))
}

// ---- sqrt: out = √x;  x̄ = g/(2·out);  ȯut = ẋ/(2·out) ----------------------------------------
const halfOver = (g: number, y: number) => g / (2 * y)
/**
 * The primitive behind {@link sqrt}, recorded on the tape as 'sqrt'.
 * @example
 * import { sqrt, sqrtOp, tensor } from 'tapegrad'
 * const x = tensor([4, 9])
 * sqrtOp([x]).toArray() // [2, 3]
 * sqrt(x).toArray()     // [2, 3]
 */
export const sqrtOp = defineOp({
  name: 'sqrt',
  forward: ([x]) => mapTensor(x, Math.sqrt),
  backward: (g, _x, out) => [div(g, mul(out, 2))],
  tangent: ([dx], _x, out) => div(dx, mul(out, 2)),
  fastBackward: (g, _x, out) => [zipTensors('sqrt', g, out, halfOver)],
})
/**
 * √x.
 * @example
 * import { sqrt, tensor } from 'tapegrad'
 * sqrt(tensor([4, 9])).toArray() // [2, 3]
 */
export function sqrt(x: Tensor): Tensor {
  return sqrtOp([checkTensor('sqrt', x)])
}

// ---- abs: out = |x|;  x̄ = g·sign(x) (0 at 0, as PyTorch);  ȯut = ẋ·sign(x) --------------------
const signFn = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x) // keeps ±0 and NaN, as NumPy
const timesSign = (g: number, x: number) => (x > 0 ? g : x < 0 ? -g : 0)
/**
 * The primitive behind {@link abs}, recorded on the tape as 'abs'.
 * @example
 * import { abs, absOp, tensor } from 'tapegrad'
 * const x = tensor([-2, 3])
 * absOp([x]).toArray() // [2, 3]
 * abs(x).toArray()     // [2, 3]
 */
export const absOp = defineOp({
  name: 'abs',
  forward: ([x]) => mapTensor(x, Math.abs),
  backward: (g, [x]) => [mul(g, sign(x))],
  tangent: ([dx], [x]) => mul(dx, sign(x)),
  fastBackward: (g, [x]) => [zipTensors('abs', g, x, timesSign)],
})
/**
 * |x|; its gradient at 0 is 0 (as PyTorch).
 * @example
 * import { abs, tensor } from 'tapegrad'
 * abs(tensor([-2, 3])).toArray() // [2, 3]
 */
export function abs(x: Tensor): Tensor {
  return absOp([checkTensor('abs', x)])
}

// ---- square: out = x²;  x̄ = 2·g·x;  ȯut = 2·x·ẋ ------------------------------------------------
const sq = (x: number) => x * x
const squareGrad = (g: number, x: number) => 2 * g * x
/**
 * The primitive behind {@link square}, recorded on the tape as 'square'.
 * @example
 * import { square, squareOp, tensor } from 'tapegrad'
 * const x = tensor([-2, 3])
 * squareOp([x]).toArray() // [4, 9]
 * square(x).toArray()     // [4, 9]
 */
export const squareOp = defineOp({
  name: 'square',
  forward: ([x]) => mapTensor(x, sq),
  backward: (g, [x]) => [mul(g, mul(x, 2))],
  tangent: ([dx], [x]) => mul(dx, mul(x, 2)),
  fastBackward: (g, [x]) => [zipTensors('square', g, x, squareGrad)],
})
/**
 * x².
 * @example
 * import { square, tensor } from 'tapegrad'
 * square(tensor([-2, 3])).toArray() // [4, 9]
 */
export function square(x: Tensor): Tensor {
  return squareOp([checkTensor('square', x)])
}

// ---- tanh: out = tanh x;  x̄ = g·(1 − out²);  ȯut = ẋ·(1 − out²) -------------------------------
const tanhGrad = (g: number, y: number) => g * (1 - y * y)
/** 1 − y², differentiable (y is the recorded output, so this differentiates again correctly). */
function oneMinusSquare(y: Tensor): Tensor {
  return sub(1, square(y))
}
/**
 * The primitive behind {@link tanh}, recorded on the tape as 'tanh'.
 * @example
 * import { tanh, tanhOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * tanhOp([x]).toArray() // [0, 0.7616]
 * tanh(x).toArray()     // [0, 0.7616]
 */
export const tanhOp = defineOp({
  name: 'tanh',
  forward: ([x]) => mapTensor(x, Math.tanh),
  backward: (g, _x, out) => [mul(g, oneMinusSquare(out))],
  tangent: ([dx], _x, out) => mul(dx, oneMinusSquare(out)),
  fastBackward: (g, _x, out) => [zipTensors('tanh', g, out, tanhGrad)],
})
/**
 * Hyperbolic tangent tanh x = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ);  ∂/∂x = 1 − tanh²x.
 * @example
 * import { tanh, tensor } from 'tapegrad'
 * tanh(tensor([0])).toArray() // [0]
 */
export function tanh(x: Tensor): Tensor {
  return tanhOp([checkTensor('tanh', x)])
}

// ---- sigmoid: out = σ(x) = 1/(1+e⁻ˣ);  x̄ = g·out·(1 − out);  ȯut = ẋ·out·(1 − out) --------------
// Written so that e^(−x) never overflows: for x < 0 use eˣ/(1+eˣ).
const sigmoidFn = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))
const sigmoidGrad = (g: number, y: number) => g * y * (1 - y)
/**
 * The primitive behind {@link sigmoid}, recorded on the tape as 'sigmoid'.
 * @example
 * import { sigmoid, sigmoidOp, tensor } from 'tapegrad'
 * const x = tensor([0, 2])
 * sigmoidOp([x]).toArray() // [0.5, 0.8808]
 * sigmoid(x).toArray()     // [0.5, 0.8808]
 */
export const sigmoidOp = defineOp({
  name: 'sigmoid',
  forward: ([x]) => mapTensor(x, sigmoidFn),
  backward: (g, _x, out) => [mul(g, mul(out, sub(1, out)))],
  tangent: ([dx], _x, out) => mul(dx, mul(out, sub(1, out))),
  fastBackward: (g, _x, out) => [zipTensors('sigmoid', g, out, sigmoidGrad)],
})
/**
 * Logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), stable for large |x|;  ∂/∂x = σ(x)·(1 − σ(x)).
 * @example
 * import { sigmoid, tensor } from 'tapegrad'
 * sigmoid(tensor([0])).toArray() // [0.5]
 */
export function sigmoid(x: Tensor): Tensor {
  return sigmoidOp([checkTensor('sigmoid', x)])
}

// ---- relu: out = max(x, 0);  x̄ = g·[x > 0];  ȯut = ẋ·[x > 0] ----------------------------------
const reluFn = (x: number) => (x > 0 || x !== x ? x : 0) // NaN stays NaN, as NumPy and PyTorch
const positive = (x: number) => (x > 0 ? 1 : 0)
const reluGrad = (g: number, x: number) => (x > 0 ? g : 0)
/**
 * The primitive behind {@link relu}, recorded on the tape as 'relu'.
 * @example
 * import { relu, reluOp, tensor } from 'tapegrad'
 * const x = tensor([-1, 2])
 * reluOp([x]).toArray() // [0, 2]
 * relu(x).toArray()     // [0, 2]
 */
export const reluOp = defineOp({
  name: 'relu',
  forward: ([x]) => mapTensor(x, reluFn),
  backward: (g, [x]) => [mul(g, mapTensor(x, positive))],
  tangent: ([dx], [x]) => mul(dx, mapTensor(x, positive)),
  fastBackward: (g, [x]) => [zipTensors('relu', g, x, reluGrad)],
})
/**
 * Rectified linear unit max(x, 0);  ∂/∂x = [x > 0].
 * @example
 * import { relu, tensor } from 'tapegrad'
 * relu(tensor([-1, 2])).toArray() // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return reluOp([checkTensor('relu', x)])
}

// ---- leakyRelu: out = x if x > 0 else slope·x;  x̄ = g·(x > 0 ? 1 : slope) ----------------------
const leakyFn = (x: number, s: number) => (x > 0 ? x : s * x)
const leakySlope = (x: number, s: number) => (x > 0 ? 1 : s)
const leakyGrad = (g: number, x: number, s: number) => (x > 0 ? g : s * g)
/**
 * The primitive behind {@link leakyRelu}, recorded on the tape as 'leakyRelu'.
 * @example
 * import { leakyRelu, leakyReluOp, tensor } from 'tapegrad'
 * const x = tensor([-2, 3])
 * leakyReluOp([x], 0.01).toArray() // [-0.02, 3]
 * leakyRelu(x, 0.01).toArray()     // [-0.02, 3]
 */
export const leakyReluOp = defineOp<number>({
  name: 'leakyRelu',
  forward: ([x], slope) => mapTensor(x, leakyFn, slope),
  backward: (g, [x], _out, slope) => [mul(g, mapTensor(x, leakySlope, slope))],
  tangent: ([dx], [x], _out, slope) => mul(dx, mapTensor(x, leakySlope, slope)),
  fastBackward: (g, [x], _out, slope) => [zipTensors('leakyRelu', g, x, leakyGrad, slope)],
})
/**
 * Leaky ReLU: x for x > 0, slope·x otherwise (slope 0.01 by default, as in PyTorch).
 * @example
 * import { leakyRelu, tensor } from 'tapegrad'
 * leakyRelu(tensor([-2, 3]), 0.1).toArray() // [-0.2, 3]
 */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  return leakyReluOp([checkTensor('leakyRelu', x)], slope)
}

// ---- gelu: out = x·Φ(x);  x̄ = g·gelu′(x) with gelu′(x) = Φ(x) + x·φ(x) --------------------------
// The exact GELU (PyTorch's default), with Φ the standard normal CDF written through erf and
// φ(x) = e^(−x²/2)/√(2π) its density. gelu′ is a primitive of its own so that gelu can be
// differentiated twice: gelu″(x) = φ(x)·(2 − x²).
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)
const geluFn = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2))
const geluSlope = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI
/** φ(x)·(2 − x²), differentiable: the derivative of gelu′. */
function geluCurvature(x: Tensor): Tensor {
  const density = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI)
  return mul(density, sub(2, square(x)))
}
/** gelu′(x) = Φ(x) + x·φ(x), the slope of gelu, as a differentiable primitive (not exported). */
const geluSlopeOp = defineOp({
  name: 'geluSlope',
  forward: ([x]) => mapTensor(x, geluSlope),
  backward: (g, [x]) => [mul(g, geluCurvature(x))],
  tangent: ([dx], [x]) => mul(dx, geluCurvature(x)),
})
/**
 * The primitive behind {@link gelu}, recorded on the tape as 'gelu'.
 * @example
 * import { gelu, geluOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * geluOp([x]).toArray() // [0, 0.8413]
 * gelu(x).toArray()     // [0, 0.8413]
 */
export const geluOp = defineOp({
  name: 'gelu',
  forward: ([x]) => mapTensor(x, geluFn),
  backward: (g, [x]) => [mul(g, geluSlopeOp([x]))],
  tangent: ([dx], [x]) => mul(dx, geluSlopeOp([x])),
})
/**
 * Gaussian error linear unit x·Φ(x), Φ(x) = ½·(1 + erf(x/√2)) the standard normal CDF (the exact
 * form, PyTorch's default);  ∂/∂x = Φ(x) + x·φ(x).
 * @example
 * import { gelu, tensor } from 'tapegrad'
 * gelu(tensor([0])).toArray() // [0]
 */
export function gelu(x: Tensor): Tensor {
  return geluOp([checkTensor('gelu', x)])
}

// ---- maximum / minimum: ties split the gradient equally (as PyTorch) ---------------------------
// A NaN on either side gives NaN (as NumPy's maximum and torch.maximum): `a !== a` tests for NaN.
const maxFn = (a: number, b: number) => (a >= b || a !== a ? a : b)
const minFn = (a: number, b: number) => (a <= b || a !== a ? a : b)
/** The share of the gradient that goes to a in max(a, b): 1 if a wins, ½ at a tie, else 0. */
const shareIfGreater = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0)
/** The share that goes to a in min(a, b). */
const shareIfLess = (a: number, b: number) => (a < b ? 1 : a === b ? 0.5 : 0)
/**
 * The primitive behind {@link maximum}, recorded on the tape as 'maximum'.
 * @example
 * import { maximum, maximumOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * maximumOp([a, b]).toArray() // [3, 4]
 * maximum(a, b).toArray()     // [3, 4]
 */
export const maximumOp = defineOp({
  name: 'maximum',
  forward: ([a, b]) => zipTensors('maximum', a, b, maxFn),
  backward: (g, [a, b]) => [
    mul(g, zipTensors('maximum', a, b, shareIfGreater)),
    mul(g, zipTensors('maximum', b, a, shareIfGreater)),
  ],
  tangent: ([da, db], [a, b]) =>
    add(mul(da, zipTensors('maximum', a, b, shareIfGreater)), mul(db, zipTensors('maximum', b, a, shareIfGreater))),
})
/**
 * Elementwise max(a, b), broadcasting; at ties each side gets g/2 (as PyTorch).
 * @example
 * import { maximum, tensor } from 'tapegrad'
 * maximum(tensor([1, 5]), 3).toArray() // [3, 5]
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(pair('maximum', a, b))
}
// minimumOp mirrors maximumOp (shareIfLess for shareIfGreater): an op's rules stay in its block.
/**
 * The primitive behind {@link minimum}, recorded on the tape as 'minimum'.
 * @example
 * import { minimum, minimumOp, tensor } from 'tapegrad'
 * const a = tensor([1, 2]), b = tensor([3, 4])
 * minimumOp([a, b]).toArray() // [1, 2]
 * minimum(a, b).toArray()     // [1, 2]
 */
export const minimumOp = defineOp({
  name: 'minimum',
  forward: ([a, b]) => zipTensors('minimum', a, b, minFn),
  backward: (g, [a, b]) => [
    mul(g, zipTensors('minimum', a, b, shareIfLess)),
    mul(g, zipTensors('minimum', b, a, shareIfLess)),
  ],
  tangent: ([da, db], [a, b]) =>
    add(mul(da, zipTensors('minimum', a, b, shareIfLess)), mul(db, zipTensors('minimum', b, a, shareIfLess))),
})
/**
 * Elementwise min(a, b), broadcasting; at ties each side gets g/2 (as PyTorch).
 * @example
 * import { minimum, tensor } from 'tapegrad'
 * minimum(tensor([1, 5]), 3).toArray() // [1, 3]
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(pair('minimum', a, b))
}

// ---- clamp: out = min(max(x, lo), hi);  x̄ = g·[lo ≤ x ≤ hi];  ȯut = ẋ·[lo ≤ x ≤ hi] ------------
interface Bounds {
  lo: number
  hi: number
}
/** [lo ≤ x ≤ hi] as a constant tensor. */
function inside(x: Tensor, { lo, hi }: Bounds): Tensor {
  const out = allocate(x.dtype, x.size)
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] >= lo && x.data[i] <= hi ? 1 : 0
  return new Tensor(out, x.shape.slice())
}
/**
 * The primitive behind {@link clamp}, recorded on the tape as 'clamp'.
 * @example
 * import { clamp, clampOp, tensor } from 'tapegrad'
 * const x = tensor([-2, 0.5, 3])
 * clampOp([x], { lo: 0, hi: 1 }).toArray() // [0, 0.5, 1]
 * clamp(x, 0, 1).toArray()                 // [0, 0.5, 1]
 */
export const clampOp = defineOp<Bounds>({
  name: 'clamp',
  forward: ([x], { lo, hi }) => {
    const out = allocate(x.dtype, x.size)
    const d = x.data
    for (let i = 0; i < d.length; i++) out[i] = d[i] < lo ? lo : d[i] > hi ? hi : d[i]
    return new Tensor(out, x.shape.slice())
  },
  backward: (g, [x], _out, bounds) => [mul(g, inside(x, bounds))],
  tangent: ([dx], [x], _out, bounds) => mul(dx, inside(x, bounds)),
})
/**
 * Limits x to [min, max]; either bound may be omitted (null/undefined);  ∂/∂x = [min ≤ x ≤ max].
 * @example
 * import { clamp, tensor } from 'tapegrad'
 * clamp(tensor([-2, 0.5, 3]), 0, 1).toArray() // [0, 0.5, 1]
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity
  const hi = max ?? Infinity
  if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) throw new Error(`clamp: invalid bounds [${min}, ${max}]`)
  return clampOp([checkTensor('clamp', x)], { lo, hi })
}

// ---- where: out = cond ? a : b (cond nonzero = true);  ā = cond ? g : 0, b̄ = cond ? 0 : g ----------
/**
 * The primitive behind {@link where}, recorded on the tape as 'where'.
 * @example
 * import { tensor, where, whereOp } from 'tapegrad'
 * const cond = tensor([1, 0]), a = tensor([5, 6]), b = tensor([7, 8])
 * whereOp([cond, a, b]).toArray() // [5, 8]
 * where(cond, a, b).toArray()     // [5, 8]
 */
export const whereOp = defineOp({
  name: 'where',
  mixedDtypes: true, // the condition may be of any dtype; a and b must agree (checked below)
  integers: true,
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
  backward: (g, [c]) => [null, where(c, g, 0), where(c, 0, g)],
  tangent: ([, da, db], [c]) => where(c, da, db),
})
/**
 * Picks from `a` where `cond` is nonzero and from `b` elsewhere, broadcasting all three.
 * No gradient flows to `cond`.
 * @example
 * import { tensor, where } from 'tapegrad'
 * where(tensor([1, 0]), tensor([5, 6]), 0).toArray() // [5, 0]
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', cond, 'the condition')
  const [x, y] = pair('where', a, b)
  if (x.dtype !== y.dtype)
    throw new Error(`where: dtype mismatch: ${x.dtype} ${fmt(x.shape)} and ${y.dtype} ${fmt(y.shape)}`)
  return whereOp([cond, x, y])
}

// ---- astype: a cast;  x̄ = g cast back;  ȯut = ẋ cast ------------------------------------------
/**
 * The primitive behind {@link astype}, recorded on the tape as 'astype'.
 * @example
 * import { astype, astypeOp, tensor } from 'tapegrad'
 * const x = tensor([1.5, -2])
 * astypeOp([x], 'float64').dtype // 'float64'
 * astype(x, 'float64').toArray() // [1.5, -2]
 */
export const astypeOp = defineOp<DType>({
  name: 'astype',
  integers: true,
  forward: ([x], dtype) => {
    const out = allocate(dtype, x.size)
    if (dtype === 'int32') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i])
    else out.set(x.data)
    return new Tensor(out, x.shape.slice())
  },
  backward: (g, [x]) => [astype(g, x.dtype)],
  tangent: ([dx], _x, _out, dtype) => astype(dx, dtype),
})
/**
 * Converts to another dtype ('float32', 'float64' or 'int32'); between float dtypes gradients are
 * cast back. To int32, values are truncated toward zero (as NumPy's astype) and no gradient flows.
 * @example
 * import { astype, tensor } from 'tapegrad'
 * astype(tensor([1, 2]), 'float64').dtype        // 'float64'
 * astype(tensor([1.7, -1.7]), 'int32').toArray() // [1, -1]
 */
export function astype(x: Tensor, dtype: DType): Tensor {
  checkTensor('astype', x)
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new Error(`astype: unsupported dtype '${String(dtype)}' (use 'float32', 'float64' or 'int32')`)
  }
  // NumPy's cast of NaN, ±∞ or a value beyond int32 is undefined; a refusal beats a wrong integer.
  if (dtype === 'int32' && x.dtype !== 'int32') {
    const bad = x.data.findIndex((v) => !(Math.trunc(v) >= -2147483648 && Math.trunc(v) <= 2147483647))
    if (bad >= 0)
      throw new Error(
        `astype: element ${bad} of ${x.dtype} ${fmt(x.shape)} is ${x.data[bad]}, not representable in int32`,
      )
  }
  return astypeOp([x], dtype)
}

// ---- sign, floor, ceil, round: piecewise constant, so their gradient is zero --------------------
const halfToEven = (x: number) => {
  // NumPy's and PyTorch's round: ties go to the even neighbour (0.5 → 0, 1.5 → 2, −2.5 → −2).
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}
/** A primitive whose value is piecewise constant: zero gradient and zero tangent. */
function steps(name: string, fn: (x: number) => number) {
  return defineOp({
    name,
    forward: ([x]) => mapTensor(x, fn),
    backward: (_g, [x]) => [zerosOf(x)],
    tangent: (_t, [x]) => zerosOf(x),
  })
}
/**
 * The primitive behind {@link sign}.
 * @example
 * import { sign, signOp, tensor } from 'tapegrad'
 * const x = tensor([-1.5, 0, 2.5])
 * signOp([x]).toArray() // [-1, 0, 1]
 * sign(x).toArray()     // [-1, 0, 1]
 */
export const signOp = steps('sign', signFn)
/**
 * The primitive behind {@link floor}.
 * @example
 * import { floor, floorOp, tensor } from 'tapegrad'
 * const x = tensor([-1.5, 0, 2.5])
 * floorOp([x]).toArray() // [-2, 0, 2]
 * floor(x).toArray()     // [-2, 0, 2]
 */
export const floorOp = steps('floor', Math.floor)
/**
 * The primitive behind {@link ceil}.
 * @example
 * import { ceil, ceilOp, tensor } from 'tapegrad'
 * const x = tensor([-1.5, 0, 2.5])
 * ceilOp([x]).toArray() // [-1, 0, 3]
 * ceil(x).toArray()     // [-1, 0, 3]
 */
export const ceilOp = steps('ceil', Math.ceil)
/**
 * The primitive behind {@link round}.
 * @example
 * import { round, roundOp, tensor } from 'tapegrad'
 * const x = tensor([-1.5, 0, 2.5])
 * roundOp([x]).toArray() // [-2, 0, 2]
 * round(x).toArray()     // [-2, 0, 2]
 */
export const roundOp = steps('round', halfToEven)
/**
 * −1, 0 or 1 by the sign of x (±0 and NaN kept); zero gradient.
 * @example
 * import { sign, tensor } from 'tapegrad'
 * sign(tensor([-3, 0, 2])).toArray() // [-1, 0, 1]
 */
export function sign(x: Tensor): Tensor {
  return signOp([checkTensor('sign', x)])
}
/**
 * ⌊x⌋, the largest integer ≤ x; zero gradient.
 * @example
 * import { floor, tensor } from 'tapegrad'
 * floor(tensor([-1.5, 1.5])).toArray() // [-2, 1]
 */
export function floor(x: Tensor): Tensor {
  return floorOp([checkTensor('floor', x)])
}
/**
 * ⌈x⌉, the smallest integer ≥ x; zero gradient.
 * @example
 * import { ceil, tensor } from 'tapegrad'
 * ceil(tensor([-1.5, 1.5])).toArray() // [-1, 2]
 */
export function ceil(x: Tensor): Tensor {
  return ceilOp([checkTensor('ceil', x)])
}
/**
 * x rounded to the nearest integer, ties to even (as NumPy and PyTorch); zero gradient.
 * @example
 * import { round, tensor } from 'tapegrad'
 * round(tensor([0.5, 1.5, 2.6])).toArray() // [0, 2, 3]
 */
export function round(x: Tensor): Tensor {
  return roundOp([checkTensor('round', x)])
}
