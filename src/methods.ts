/**
 * The fluent methods of Tensor (`x.mul(y).sum().backward()`), installed on the class here, at the
 * end of the dependency chain storage → Tensor → engine → ops → methods. Each method is the op of
 * the same name from src/ops (or `backward` from src/tape.ts) with `this` as its first argument.
 *
 * This module's only job is that side effect, so package.json lists it under `sideEffects` and
 * every entry point imports it: bundlers keep it even when nothing imports a name from it.
 */
import type { DType } from './nd.js'
import * as O from './ops/index.js'
import { backward, type BackwardOptions } from './tape.js'
import { Tensor, type TensorLike } from './tensor.js'

// The signatures below repeat the ops' own (src/ops), one short doc line each: a method has to be
// declared on the interface to be typed, and the forwarders under `methods` then implement them.
declare module './tensor.js' {
  interface Tensor {
    /**
     * Runs reverse mode from this tensor: fills `.grad` of the leaves it depends on (see
     * `backward` in tape.ts). `x.backward()`, `x.backward(cotangent)`, `x.backward({ createGraph })`
     * or `x.backward(cotangent, options)`.
     */
    backward(cotangent?: Tensor | number | BackwardOptions, options?: BackwardOptions): void
    /** x + b, broadcasting. */
    add(b: TensorLike): Tensor
    /** x − b, broadcasting. */
    sub(b: TensorLike): Tensor
    /** x · b elementwise, broadcasting. */
    mul(b: TensorLike): Tensor
    /** x / b, broadcasting. */
    div(b: TensorLike): Tensor
    /** xᵖ elementwise; p a number or a tensor. */
    pow(p: TensorLike): Tensor
    /** −x. */
    neg(): Tensor
    /** eˣ. */
    exp(): Tensor
    /** ln x. */
    log(): Tensor
    /** √x. */
    sqrt(): Tensor
    /** |x|. */
    abs(): Tensor
    /** x². */
    square(): Tensor
    /** tanh x. */
    tanh(): Tensor
    /** σ(x) = 1/(1 + e⁻ˣ). */
    sigmoid(): Tensor
    /** max(x, 0). */
    relu(): Tensor
    /** x for x > 0, slope·x otherwise (slope 0.01). */
    leakyRelu(slope?: number): Tensor
    /** x·Φ(x) (exact erf form). */
    gelu(): Tensor
    /** ln(1 + x), accurate for small x. */
    log1p(): Tensor
    /** eˣ − 1, accurate for small x. */
    expm1(): Tensor
    /** x·ln y (0 where x = 0). */
    xlogy(y: TensorLike): Tensor
    /** ln(eˣ + eᵇ), computed stably. */
    logaddexp(b: TensorLike): Tensor
    // One declaration per op: the interface is what editors show for x.sin(); each line names its op.
    /** sin x. */
    sin(): Tensor
    /** cos x. */
    cos(): Tensor
    /** tan x. */
    tan(): Tensor
    /** arctan x. */
    atan(): Tensor
    /** atan2(this, x): the angle of the point (x, this). */
    atan2(x: TensorLike): Tensor
    /** sinh x. */
    sinh(): Tensor
    /** cosh x. */
    cosh(): Tensor
    /** asinh x. */
    asinh(): Tensor
    /** ln(1 + e^(βx))/β, a smooth relu (β = 1). */
    softplus(beta?: number): Tensor
    /** x·σ(x). */
    silu(): Tensor
    /** x for x > 0, α(eˣ − 1) otherwise (α = 1). */
    elu(alpha?: number): Tensor
    /** x/(1 + |x|). */
    softsign(): Tensor
    /** x limited to [min, max] (default [−1, 1]). */
    hardtanh(min?: number, max?: number): Tensor
    /** −1, 0 or 1 by the sign of x (zero gradient). */
    sign(): Tensor
    /** ⌊x⌋ (zero gradient). */
    floor(): Tensor
    /** ⌈x⌉ (zero gradient). */
    ceil(): Tensor
    /** x rounded to the nearest integer, ties to even (zero gradient). */
    round(): Tensor
    /** max(x, b) elementwise, broadcasting. */
    maximum(b: TensorLike): Tensor
    /** min(x, b) elementwise, broadcasting. */
    minimum(b: TensorLike): Tensor
    /** x limited to [min, max]. */
    clamp(min?: number | null, max?: number | null): Tensor
    /** The values as another dtype (differentiable between float dtypes). */
    astype(dtype: DType): Tensor
    /** Σ over `axis` (all axes by default). */
    sum(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Σx / n over `axis` (all axes by default). */
    mean(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Maximum over `axis` (all axes by default). */
    max(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Minimum over `axis` (all axes by default). */
    min(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** ln Σ eˣ over `axis`, computed stably. */
    logsumexp(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Variance Σ(x − x̄)² / (n − correction) over `axis` (correction 0 by default). */
    var(axis?: number | number[] | null, keepdims?: boolean, correction?: number): Tensor
    /** Index of the maximum along `axis` (int32, no gradient). */
    argmax(axis?: number | null, keepdims?: boolean): Tensor
    /** Matrix product x·b (1-D, 2-D and batched N-D). */
    matmul(b: Tensor): Tensor
    /** Axes reordered; by default the last two swapped. */
    transpose(axes?: number[]): Tensor
    /** Axes reordered: out.shape[i] = x.shape[axes[i]]. */
    permute(axes: number[]): Tensor
    /** Matrix transpose: swaps the last two axes. */
    readonly T: Tensor
    /** The same values with another shape (−1 inferred); a view. */
    reshape(shape: number[]): Tensor
    /** Axes startAxis…endAxis merged into one. */
    flatten(startAxis?: number, endAxis?: number): Tensor
    /** Axes of size 1 removed (all of them, or those named). */
    squeeze(axis?: number | number[]): Tensor
    /** A new axis of size 1 inserted at `axis`. */
    unsqueeze(axis: number): Tensor
    /** Repeated along broadcast axes to `shape` (NumPy rules). */
    broadcastTo(shape: number[]): Tensor
    /** NumPy-style basic slicing, one spec per axis. */
    slice(ranges: O.SliceSpec[]): Tensor
    /** Entries picked along `axis` by integer indices (NumPy's take). */
    gather(indices: O.IndexLike, axis?: number): Tensor
    /** Running sums along `axis` (the flattened tensor without one). */
    cumsum(axis?: number | null): Tensor
    /** Π over `axis` (all axes by default); zero-safe gradient. */
    prod(axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Entrywise norm over `axis` (all axes by default): ord 2, 1, ±Infinity, 'fro' or p > 0. */
    norm(ord?: O.NormOrd, axis?: number | number[] | null, keepdims?: boolean): Tensor
    /** Constant padding: one [before, after] pair per axis (NumPy's form). */
    pad(widths: readonly (readonly [number, number])[], value?: number): Tensor
    /** The elements in reverse order along `axis` (all axes by default). */
    flip(axis?: number | number[] | null): Tensor
    /** Repeated reps[k] times along axis k (NumPy's tile). */
    tile(reps: number | readonly number[]): Tensor
    /** The lower triangle (j − i ≤ k) of the last two axes, 0 elsewhere. */
    tril(k?: number): Tensor
    /** The upper triangle (j − i ≥ k) of the last two axes, 0 elsewhere. */
    triu(k?: number): Tensor
    /** The outer product of two vectors: out[i, j] = x[i]·b[j]. */
    outer(b: Tensor): Tensor
    /** The dot product of two vectors of one length. */
    dot(b: Tensor): Tensor
    /** eˣ / Σ eˣ along `axis` (last by default). */
    softmax(axis?: number): Tensor
    /** x − ln Σ eˣ along `axis` (last by default). */
    logSoftmax(axis?: number): Tensor
  }
}

// One forwarder per op, each the same three lines: written out rather than generated by a loop
// over the ops, so that each method keeps its own parameter list (the types declared above) and a
// reader's go-to-definition lands on a line that names the op it calls.
const methods: ThisType<Tensor> & Record<string, (this: Tensor, ...args: any[]) => unknown> = {
  backward(cotangent?: Tensor | number | BackwardOptions, options?: BackwardOptions) {
    backward(this, cotangent, options)
  },
  add(b: TensorLike) {
    return O.add(this, b)
  },
  sub(b: TensorLike) {
    return O.sub(this, b)
  },
  mul(b: TensorLike) {
    return O.mul(this, b)
  },
  div(b: TensorLike) {
    return O.div(this, b)
  },
  pow(p: TensorLike) {
    return O.pow(this, p)
  },
  neg() {
    return O.neg(this)
  },
  exp() {
    return O.exp(this)
  },
  log() {
    return O.log(this)
  },
  sqrt() {
    return O.sqrt(this)
  },
  abs() {
    return O.abs(this)
  },
  square() {
    return O.square(this)
  },
  tanh() {
    return O.tanh(this)
  },
  sigmoid() {
    return O.sigmoid(this)
  },
  relu() {
    return O.relu(this)
  },
  leakyRelu(slope?: number) {
    return O.leakyRelu(this, slope)
  },
  gelu() {
    return O.gelu(this)
  },
  log1p() {
    return O.log1p(this)
  },
  expm1() {
    return O.expm1(this)
  },
  xlogy(y: TensorLike) {
    return O.xlogy(this, y)
  },
  logaddexp(b: TensorLike) {
    return O.logaddexp(this, b)
  },
  sin() {
    return O.sin(this)
  },
  cos() {
    return O.cos(this)
  },
  tan() {
    return O.tan(this)
  },
  atan() {
    return O.atan(this)
  },
  atan2(x: TensorLike) {
    return O.atan2(this, x)
  },
  sinh() {
    return O.sinh(this)
  },
  cosh() {
    return O.cosh(this)
  },
  asinh() {
    return O.asinh(this)
  },
  softplus(beta?: number) {
    return O.softplus(this, beta)
  },
  silu() {
    return O.silu(this)
  },
  elu(alpha?: number) {
    return O.elu(this, alpha)
  },
  softsign() {
    return O.softsign(this)
  },
  hardtanh(min?: number, max?: number) {
    return O.hardtanh(this, min, max)
  },
  sign() {
    return O.sign(this)
  },
  floor() {
    return O.floor(this)
  },
  ceil() {
    return O.ceil(this)
  },
  round() {
    return O.round(this)
  },
  maximum(b: TensorLike) {
    return O.maximum(this, b)
  },
  minimum(b: TensorLike) {
    return O.minimum(this, b)
  },
  clamp(min?: number | null, max?: number | null) {
    return O.clamp(this, min, max)
  },
  astype(dtype: DType) {
    return O.astype(this, dtype)
  },
  sum(axis?: O.AxisLike, keepdims?: boolean) {
    return O.sum(this, axis, keepdims)
  },
  mean(axis?: O.AxisLike, keepdims?: boolean) {
    return O.mean(this, axis, keepdims)
  },
  max(axis?: O.AxisLike, keepdims?: boolean) {
    return O.max(this, axis, keepdims)
  },
  min(axis?: O.AxisLike, keepdims?: boolean) {
    return O.min(this, axis, keepdims)
  },
  logsumexp(axis?: O.AxisLike, keepdims?: boolean) {
    return O.logsumexp(this, axis, keepdims)
  },
  var(axis?: O.AxisLike, keepdims?: boolean, correction?: number) {
    return O.variance(this, axis, keepdims, correction)
  },
  argmax(axis?: number | null, keepdims?: boolean) {
    return O.argmax(this, axis, keepdims)
  },
  matmul(b: Tensor) {
    return O.matmul(this, b)
  },
  transpose(axes?: number[]) {
    return O.transpose(this, axes)
  },
  permute(axes: number[]) {
    return O.permute(this, axes)
  },
  reshape(shape: number[]) {
    return O.reshape(this, shape)
  },
  flatten(startAxis?: number, endAxis?: number) {
    return O.flatten(this, startAxis, endAxis)
  },
  squeeze(axis?: number | number[]) {
    return O.squeeze(this, axis)
  },
  unsqueeze(axis: number) {
    return O.unsqueeze(this, axis)
  },
  broadcastTo(shape: number[]) {
    return O.broadcastTo(this, shape)
  },
  slice(ranges: O.SliceSpec[]) {
    return O.slice(this, ranges)
  },
  gather(indices: O.IndexLike, axis?: number) {
    return O.gather(this, indices, axis)
  },
  cumsum(axis?: number | null) {
    return O.cumsum(this, axis)
  },
  prod(axis?: O.AxisLike, keepdims?: boolean) {
    return O.prod(this, axis, keepdims)
  },
  norm(ord?: O.NormOrd, axis?: O.AxisLike, keepdims?: boolean) {
    return O.norm(this, ord, axis, keepdims)
  },
  pad(widths: readonly (readonly [number, number])[], value?: number) {
    return O.pad(this, widths, value)
  },
  flip(axis?: O.AxisLike) {
    return O.flip(this, axis)
  },
  tile(reps: number | readonly number[]) {
    return O.tile(this, reps)
  },
  tril(k?: number) {
    return O.tril(this, k)
  },
  triu(k?: number) {
    return O.triu(this, k)
  },
  outer(b: Tensor) {
    return O.outer(this, b)
  },
  dot(b: Tensor) {
    return O.dot(this, b)
  },
  softmax(axis?: number) {
    return O.softmax(this, axis)
  },
  logSoftmax(axis?: number) {
    return O.logSoftmax(this, axis)
  },
}

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false })
}
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return O.transpose(this)
  },
  configurable: true,
  enumerable: false,
})
