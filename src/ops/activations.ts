/**
 * Smooth activation functions: softplus, silu, elu, softsign, hardtanh. softplus and elu are
 * primitives (their stable forms need their own loops); silu, softsign and hardtanh are
 * composites of other ops, with no rules of their own.
 */
import { fmt } from '../nd.js'
import { checkFloat, checkTensor } from '../check.js'
import { defineOp, mapTensor } from '../op.js'
import type { Tensor } from '../tensor.js'
import { abs, add, clamp, div, mul, sigmoid, where } from './elementwise.js'

// ---- softplus: out = ln(1 + e^(βx))/β;  x̄ = g·σ(βx);  ȯut = ẋ·σ(βx) ---------------------------
// Computed as max(x, 0) + ln(1 + e^(−β|x|))/β, exact and finite for every x (softplus(40) is 40 +
// 4e-18, not 40 from a threshold; softplus(−40) is 4e-18, not 0).
const softplusFn = (x: number, beta: number) => Math.max(x, 0) + Math.log1p(Math.exp(-beta * Math.abs(x))) / beta
/**
 * The primitive behind {@link softplus} (attrs: β).
 * @example
 * import { softplus, softplusOp, tensor } from 'tapegrad'
 * const x = tensor([-1, 0, 1])
 * softplusOp([x], 2).toArray() // [0.0635, 0.3466, 1.0635]
 * softplus(x, 2).toArray()     // [0.0635, 0.3466, 1.0635]
 */
export const softplusOp = defineOp<number>({
  name: 'softplus',
  forward: ([x], beta) => mapTensor(x, softplusFn, beta),
  backward: (g, [x], _out, beta) => [mul(g, sigmoid(mul(x, beta)))],
  tangent: ([dx], [x], _out, beta) => mul(dx, sigmoid(mul(x, beta))),
})
/**
 * softplus(x) = ln(1 + e^(βx))/β (β = 1 by default, as PyTorch), a smooth relu, stable for any x;
 * ∂/∂x = σ(βx). softplus(0) = ln 2.
 * @example
 * import { softplus, tensor } from 'tapegrad'
 * softplus(tensor([0])).toArray() // [0.6931]
 */
export function softplus(x: Tensor, beta = 1): Tensor {
  checkTensor('softplus', x)
  if (typeof beta !== 'number' || !(beta > 0) || !Number.isFinite(beta)) {
    throw new Error(`softplus: beta must be a positive finite number, got ${String(beta)} (x ${fmt(x.shape)})`)
  }
  return softplusOp([x], beta)
}

// ---- elu: out = x if x > 0 else α(eˣ − 1);  x̄ = g·(x > 0 ? 1 : out + α) ------------------------
const eluFn = (x: number, alpha: number) => (x > 0 ? x : alpha * Math.expm1(x))
const positive = (x: number) => (x > 0 ? 1 : 0)
/** elu′(x) = 1 for x > 0, α·eˣ = out + α otherwise — written with the recorded output. */
function eluSlope(x: Tensor, out: Tensor, alpha: number): Tensor {
  return where(mapTensor(x, positive), 1, add(out, alpha))
}
/**
 * The primitive behind {@link elu} (attrs: α).
 * @example
 * import { elu, eluOp, tensor } from 'tapegrad'
 * const x = tensor([-1, 2])
 * eluOp([x], 1).toArray() // [-0.6321, 2]
 * elu(x).toArray()        // [-0.6321, 2]
 */
export const eluOp = defineOp<number>({
  name: 'elu',
  forward: ([x], alpha) => mapTensor(x, eluFn, alpha),
  backward: (g, [x], out, alpha) => [mul(g, eluSlope(x, out, alpha))],
  tangent: ([dx], [x], out, alpha) => mul(dx, eluSlope(x, out, alpha)),
})
/**
 * Exponential linear unit: x for x > 0, α·(eˣ − 1) otherwise (α = 1, as PyTorch);
 * ∂/∂x = 1 for x > 0, α·eˣ otherwise.
 * @example
 * import { elu, tensor } from 'tapegrad'
 * elu(tensor([-1, 2])).toArray() // [-0.6321, 2]
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkTensor('elu', x)
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    throw new Error(`elu: alpha must be a finite number, got ${String(alpha)}`)
  return eluOp([x], alpha)
}

/**
 * SiLU (swish) x·σ(x). Composite: mul and sigmoid.
 * @example
 * import { silu, tensor } from 'tapegrad'
 * silu(tensor([0, 1])).toArray() // [0, 0.7311]
 */
export function silu(x: Tensor): Tensor {
  checkFloat('silu', x)
  return mul(x, sigmoid(x))
}

/**
 * softsign(x) = x/(1 + |x|). Composite: div, abs, add.
 * @example
 * import { softsign, tensor } from 'tapegrad'
 * softsign(tensor([1, -3])).toArray() // [0.5, -0.75]
 */
export function softsign(x: Tensor): Tensor {
  checkFloat('softsign', x)
  return div(x, add(abs(x), 1))
}

/**
 * hardtanh(x) = x limited to [min, max] (default [−1, 1], as PyTorch). Composite: clamp, so the
 * gradient is 1 inside [min, max] (bounds included) and 0 outside.
 * @example
 * import { hardtanh, tensor } from 'tapegrad'
 * hardtanh(tensor([-2, 0.5, 3])).toArray() // [-1, 0.5, 1]
 */
export function hardtanh(x: Tensor, min = -1, max = 1): Tensor {
  checkFloat('hardtanh', x)
  if (!(min < max)) throw new Error(`hardtanh: min must be below max, got [${min}, ${max}] (x ${fmt(x.shape)})`)
  return clamp(x, min, max)
}
