/**
 * Tensor: an n-d array of float32 (default) or float64 numbers that can take part in automatic
 * differentiation.
 *
 * Storage is always one contiguous, row-major typed array (`data`); `nd` gives the scijs ndarray
 * view of it (created lazily and cached, since building an ndarray costs ~300 ns and most ops
 * never need strides). A tensor produced by an op on tensors that need gradients carries the tape
 * `entry` that made it; leaves with `requiresGrad` receive `.grad` from `backward()`.
 */
import { allocate, dtypeOf, fmt, sizeOf, view, type DType, type NdView, type TypedArray } from './nd.js'
import { defaultRandom } from './random.js'
import { backward as runBackward, type BackwardOptions, type Entry } from './tape.js'
import * as O from './ops/index.js'

/** Anything accepted where a tensor is: a Tensor or a plain number (a 0-d constant). */
export type TensorLike = Tensor | number
/** Nested arrays of numbers, as accepted by `tensor()` and returned by `toArray()`. */
export type NestedArray = number | NestedArray[]

/** Options for creating tensors. */
export interface TensorOptions {
  /** Element type (default 'float32'). */
  dtype?: DType
  /** Whether backward() should compute a gradient for this tensor (default false). */
  requiresGrad?: boolean
}

/**
 * An n-d array of float32 (default) or float64 numbers that can take part in automatic
 * differentiation: contiguous row-major `data`, a `shape`, and, when it needs a gradient, the
 * tape `entry` that produced it. Every core op is also a fluent method (`x.mul(x).sum()`).
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true })
 * const y = x.mul(x).sum()      // y = Σ x²
 * y.backward()
 * x.grad!.toArray()             // [[2, 4], [6, 8]] = 2x
 */
export class Tensor {
  /** Contiguous row-major storage. Writing into it changes the tensor (and any view of it). */
  data: TypedArray
  /** Size of each axis; `[]` for a 0-d (scalar) tensor. Do not mutate. */
  readonly shape: number[]
  /** Whether gradients flow to this tensor. Set on leaves; ops set it on their outputs. */
  requiresGrad = false
  /** ∂L/∂this after `backward()` (leaves only; accumulates across calls). */
  grad: Tensor | null = null
  /** The tape entry that produced this tensor; null for leaves. */
  entry: Entry | null = null
  /** Optional name shown on the tape and in graph pictures (e.g. a parameter path). */
  label: string | null = null
  /** Gradient being accumulated during a backward sweep (engine scratch). */
  pending: Tensor | null = null
  /** Graph-walk scratch mark (engine scratch). */
  visit = 0
  private _nd: NdView | null = null

  /** Wraps existing contiguous storage (no copy). Prefer `tensor()` for user data. */
  constructor(data: TypedArray, shape: number[]) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: storage of ${data.length} elements does not fit shape ${fmt(shape)} (${sizeOf(shape)} elements)`)
    }
    this.data = data
    this.shape = shape
  }

  /** A tensor of `shape` filled with `value`. */
  static full(shape: number[], value: number, dtype: DType = 'float32'): Tensor {
    const d = allocate(dtype, sizeOf(shape))
    if (value !== 0) d.fill(value)
    return new Tensor(d, shape.slice())
  }

  /** 'float32' or 'float64'. */
  get dtype(): DType {
    return dtypeOf(this.data)
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length
  }

  /** The scijs ndarray view of the storage (cached). */
  get nd(): NdView {
    if (!this._nd || this._nd.data !== this.data) this._nd = view(this.data, this.shape)
    return this._nd
  }

  /** The value of a one-element tensor as a number. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: only one-element tensors can be converted to a number, got shape ${fmt(this.shape)}`)
    return this.data[0]
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const { data, shape } = this
    if (shape.length === 0) return data[0]
    const build = (axis: number, offset: number, stride: number): NestedArray => {
      const n = shape[axis]
      const inner = stride / n
      const out: NestedArray[] = new Array(n)
      for (let i = 0; i < n; i++) out[i] = axis === shape.length - 1 ? data[offset + i] : build(axis + 1, offset + i * inner, inner)
      return out
    }
    return build(0, 0, this.size)
  }

  /** Prints like NumPy: `tensor([[1, 2], [3, 4]], shape=[2,2], dtype=float32)`; long axes are elided. */
  toString(): string {
    const grad = this.requiresGrad ? ', requiresGrad' : ''
    return `tensor(${formatValues(this)}, shape=${fmt(this.shape)}, dtype=${this.dtype}${grad})`
  }

  /** A copy of the values with no history (requiresGrad false). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape.slice())
  }

  /** The same values (shared storage), cut from the tape: gradients do not flow through it. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape.slice())
  }

  /** Marks this tensor as a leaf that needs a gradient; returns it. */
  requireGrad(flag = true): this {
    if (this.entry && !flag) throw new Error('requireGrad: cannot turn gradients off on a tensor produced by an op; use detach()')
    this.requiresGrad = flag
    return this
  }

  /** Runs reverse mode from this tensor (see `backward` in tape.ts). */
  backward(cotangent?: Tensor | number, options?: BackwardOptions): void {
    runBackward(this, cotangent, options)
  }

  /** Sets `.grad` to zeros (keeping its buffer). */
  zeroGrad(): void {
    this.grad?.data.fill(0)
  }

  // ----- fluent versions of the common ops (each is also a function in src/ops) -----
  /** x + b, broadcasting. */
  add(b: TensorLike): Tensor { return O.add(this, b) }
  /** x − b, broadcasting. */
  sub(b: TensorLike): Tensor { return O.sub(this, b) }
  /** x · b elementwise, broadcasting. */
  mul(b: TensorLike): Tensor { return O.mul(this, b) }
  /** x / b, broadcasting. */
  div(b: TensorLike): Tensor { return O.div(this, b) }
  /** xᵖ elementwise; p a number or a tensor. */
  pow(p: TensorLike): Tensor { return O.pow(this, p) }
  /** −x. */
  neg(): Tensor { return O.neg(this) }
  /** eˣ. */
  exp(): Tensor { return O.exp(this) }
  /** ln x. */
  log(): Tensor { return O.log(this) }
  /** √x. */
  sqrt(): Tensor { return O.sqrt(this) }
  /** |x|. */
  abs(): Tensor { return O.abs(this) }
  /** x². */
  square(): Tensor { return O.square(this) }
  /** tanh x. */
  tanh(): Tensor { return O.tanh(this) }
  /** σ(x) = 1/(1 + e⁻ˣ). */
  sigmoid(): Tensor { return O.sigmoid(this) }
  /** max(x, 0). */
  relu(): Tensor { return O.relu(this) }
  /** x for x > 0, slope·x otherwise (slope 0.01). */
  leakyRelu(slope?: number): Tensor { return O.leakyRelu(this, slope) }
  /** x·Φ(x) (exact erf form). */
  gelu(): Tensor { return O.gelu(this) }
  /** max(x, b) elementwise, broadcasting. */
  maximum(b: TensorLike): Tensor { return O.maximum(this, b) }
  /** min(x, b) elementwise, broadcasting. */
  minimum(b: TensorLike): Tensor { return O.minimum(this, b) }
  /** x limited to [min, max]. */
  clamp(min?: number | null, max?: number | null): Tensor { return O.clamp(this, min, max) }
  /** The values as another dtype (differentiable). */
  astype(dtype: DType): Tensor { return O.astype(this, dtype) }

  /** Σ over `axis` (all axes by default). */
  sum(axis?: number | number[] | null, keepdims?: boolean): Tensor { return O.sum(this, axis, keepdims) }
  /** Σx / n over `axis` (all axes by default). */
  mean(axis?: number | number[] | null, keepdims?: boolean): Tensor { return O.mean(this, axis, keepdims) }
  /** Maximum over `axis` (all axes by default). */
  max(axis?: number | number[] | null, keepdims?: boolean): Tensor { return O.max(this, axis, keepdims) }
  /** Minimum over `axis` (all axes by default). */
  min(axis?: number | number[] | null, keepdims?: boolean): Tensor { return O.min(this, axis, keepdims) }
  /** ln Σ eˣ over `axis`, computed stably. */
  logsumexp(axis?: number | number[] | null, keepdims?: boolean): Tensor { return O.logsumexp(this, axis, keepdims) }
  /** Variance Σ(x − x̄)² / (n − correction) over `axis` (correction 0 by default). */
  var(axis?: number | number[] | null, keepdims?: boolean, correction?: number): Tensor { return O.variance(this, axis, keepdims, correction) }
  /** Index of the maximum along `axis` (no gradient). */
  argmax(axis?: number | null, keepdims?: boolean): Tensor { return O.argmax(this, axis, keepdims) }

  /** Matrix product x·b (1-D, 2-D and batched N-D). */
  matmul(b: Tensor): Tensor { return O.matmul(this, b) }
  /** Axes reordered; by default the last two swapped. */
  transpose(axes?: number[]): Tensor { return O.transpose(this, axes) }
  /** Axes reordered: out.shape[i] = x.shape[axes[i]]. */
  permute(axes: number[]): Tensor { return O.permute(this, axes) }
  /** Matrix transpose: swaps the last two axes. */
  get T(): Tensor { return O.transpose(this) }

  /** The same values with another shape (−1 inferred); a view. */
  reshape(shape: number[]): Tensor { return O.reshape(this, shape) }
  /** Axes startAxis…endAxis merged into one. */
  flatten(startAxis?: number, endAxis?: number): Tensor { return O.flatten(this, startAxis, endAxis) }
  /** Axes of size 1 removed (all of them, or those named). */
  squeeze(axis?: number | number[]): Tensor { return O.squeeze(this, axis) }
  /** A new axis of size 1 inserted at `axis`. */
  unsqueeze(axis: number): Tensor { return O.unsqueeze(this, axis) }
  /** Repeated along broadcast axes to `shape` (NumPy rules). */
  broadcastTo(shape: number[]): Tensor { return O.broadcastTo(this, shape) }
  /** NumPy-style basic slicing, one spec per axis. */
  slice(ranges: O.SliceSpec[]): Tensor { return O.slice(this, ranges) }
  /** Entries picked along `axis` by integer indices (NumPy's take). */
  gather(indices: O.IndexLike, axis?: number): Tensor { return O.gather(this, indices, axis) }

  /** eˣ / Σ eˣ along `axis` (last by default). */
  softmax(axis?: number): Tensor { return O.softmax(this, axis) }
  /** x − ln Σ eˣ along `axis` (last by default). */
  logSoftmax(axis?: number): Tensor { return O.logSoftmax(this, axis) }
}

// ---------------------------------------------------------------------------------------------
// Creation

function checkShape(who: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new Error(`${who}: shape must be an array of sizes, got ${String(shape)}`)
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw new Error(`${who}: invalid shape ${fmt(shape)}: sizes must be non-negative integers`)
  }
  return shape.slice()
}

/** Options of `tensor()`. */
export interface TensorInputOptions extends TensorOptions {
  /** Shape for flat input (default: inferred from nesting, or [length] for a typed array). */
  shape?: number[]
  /** Reject NaN and ±Inf in the input with an error naming the position (default false). */
  checkFinite?: boolean
}

/**
 * Creates a tensor from nested arrays, a number, or a typed array (copied).
 * @example tensor([[1, 2], [3, 4]])                    // shape [2,2], float32
 * @example tensor(new Float64Array(6), { shape: [2, 3] }) // dtype follows the array: float64
 */
export function tensor(values: NestedArray | ArrayLike<number> | TypedArray, options: TensorInputOptions = {}): Tensor {
  let flat: ArrayLike<number>
  let shape: number[]
  if (typeof values === 'number') {
    flat = [values]
    shape = []
  } else if (Array.isArray(values)) {
    shape = inferShape(values)
    flat = flattenNested(values, shape)
  } else if (values && typeof (values as ArrayLike<number>).length === 'number') {
    flat = values as ArrayLike<number>
    shape = [flat.length]
  } else {
    throw new Error(`tensor: expected nested arrays of numbers, a number or a typed array, got ${values === null ? 'null' : typeof values}`)
  }
  if (options.shape) {
    const s = checkShape('tensor', options.shape)
    if (sizeOf(s) !== flat.length) {
      throw new Error(`tensor: ${flat.length} values do not fit shape ${fmt(s)} (${sizeOf(s)} elements)`)
    }
    shape = s
  }
  const dtype: DType = options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32')
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`tensor: unsupported dtype '${dtype}' (use 'float32' or 'float64')`)
  const data = allocate(dtype, flat.length)
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]
    if (typeof v !== 'number') throw new Error(`tensor: element ${i} is ${typeof v}, expected a number`)
    if (options.checkFinite && !Number.isFinite(v)) {
      throw new Error(`tensor: non-finite value ${v} at flat index ${i} of shape ${fmt(shape)} (checkFinite)`)
    }
    data[i] = v
  }
  const t = new Tensor(data, shape)
  if (options.requiresGrad) t.requiresGrad = true
  return t
}

function inferShape(values: NestedArray[]): number[] {
  const shape: number[] = []
  let v: NestedArray = values
  while (Array.isArray(v)) {
    shape.push(v.length)
    if (v.length === 0) break
    v = v[0]
  }
  return shape
}

function flattenNested(values: NestedArray[], shape: number[]): number[] {
  const out: number[] = []
  const walk = (v: NestedArray, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new Error(`tensor: ragged nested array: at [${path.join('][')}] expected a number, found an array (inferred shape ${fmt(shape)})`)
      out.push(v)
      return
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const found = Array.isArray(v) ? `length ${v.length}` : `a ${typeof v}`
      throw new Error(`tensor: ragged nested array: at [${path.join('][')}] expected length ${shape[depth]}, found ${found} (inferred shape ${fmt(shape)})`)
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i])
  }
  walk(values, 0, [])
  return out
}

function make(who: string, shape: number[], options: TensorOptions, fill: (d: TypedArray) => void): Tensor {
  const s = checkShape(who, shape)
  const d = allocate(options.dtype ?? 'float32', sizeOf(s))
  fill(d)
  const t = new Tensor(d, s)
  if (options.requiresGrad) t.requiresGrad = true
  return t
}

/** A tensor of zeros. @example zeros([2, 3]) */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return make('zeros', shape, options, () => {})
}

/** A tensor of ones. @example ones([3]) */
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return make('ones', shape, options, (d) => d.fill(1))
}

/** A tensor filled with `value`. @example full([2, 2], 7) */
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  return make('full', shape, options, (d) => d.fill(value))
}

/** Zeros with the shape and dtype of `t`. @example zerosLike(tensor([1, 2])) // [0, 0] */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...options })
}

/** Ones with the shape and dtype of `t`. @example onesLike(tensor([5, 6])) // [1, 1] */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, ...options })
}

/**
 * Evenly spaced values in [start, stop) with `step`, like NumPy: start + k·step for
 * k = 0 … ⌈(stop − start)/step⌉ − 1.
 * @example arange(3)            // [0, 1, 2]
 * @example arange(1, 2, 0.25)   // [1, 1.25, 1.5, 1.75]
 */
export function arange(start: number, stop?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start
    start = 0
  }
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`)
  const n = Math.max(0, Math.ceil((stop - start) / step))
  return make('arange', [n], options, (d) => {
    for (let i = 0; i < n; i++) d[i] = start + i * step
  })
}

/** `num` evenly spaced values from `start` to `stop` inclusive. @example linspace(0, 1, 5) */
export function linspace(start: number, stop: number, num: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new Error(`linspace: num must be a non-negative integer, got ${num}`)
  return make('linspace', [num], options, (d) => {
    const step = num > 1 ? (stop - start) / (num - 1) : 0
    for (let i = 0; i < num; i++) d[i] = start + i * step
    if (num > 1) d[num - 1] = stop
  })
}

/** The n×m identity matrix (m = n by default): 1 where i = j, else 0. @example eye(2) // [[1, 0], [0, 1]] */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  return make('eye', [n, m], options, (d) => {
    for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = 1
  })
}

/** Uniform random values U[low, high) (default [0, 1)) from the seeded generator (see `seed`). @example rand([2, 3], { low: -1, high: 1 }) */
export function rand(shape: number[], options: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  const rng = defaultRandom()
  const low = options.low ?? 0
  const high = options.high ?? 1
  return make('rand', shape, options, (d) => {
    for (let i = 0; i < d.length; i++) d[i] = rng.uniform(low, high)
  })
}

/** Normal values N(mean, std²) (default N(0, 1)) from the seeded generator (see `seed`). @example randn([3], { std: 0.1 }) */
export function randn(shape: number[], options: TensorOptions & { mean?: number; std?: number } = {}): Tensor {
  const rng = defaultRandom()
  const mean = options.mean ?? 0
  const std = options.std ?? 1
  return make('randn', shape, options, (d) => {
    for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal()
  })
}

/** Numbers become 0-d constants of `like`'s dtype; tensors pass through. @example asTensor(2, x) // a 0-d tensor of x's dtype */
export function asTensor(x: TensorLike, like?: Tensor): Tensor {
  if (x instanceof Tensor) return x
  if (typeof x !== 'number') throw new Error(`expected a Tensor or a number, got ${x === null ? 'null' : typeof x}`)
  const d = allocate(like ? like.dtype : 'float32', 1)
  d[0] = x
  return new Tensor(d, [])
}

// ---------------------------------------------------------------------------------------------
// Printing

const EDGE = 3 // values shown at each end of a long axis
const LONG = 1000 // tensors with more elements than this are elided

function formatNumber(v: number, dtype: DType): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v)
  if (!Number.isFinite(v)) return String(v)
  const s = dtype === 'float32' ? Number(v.toPrecision(6)) : Number(v.toPrecision(10))
  return String(s)
}

function formatValues(t: Tensor): string {
  const { data, shape } = t
  if (shape.length === 0) return formatNumber(data[0], t.dtype)
  const elide = t.size > LONG
  const rec = (axis: number, offset: number, stride: number): string => {
    const n = shape[axis]
    const inner = stride / n
    const idx: (number | null)[] = []
    if (elide && n > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i)
      idx.push(null)
      for (let i = n - EDGE; i < n; i++) idx.push(i)
    } else for (let i = 0; i < n; i++) idx.push(i)
    const parts = idx.map((i) =>
      i === null ? '...' : axis === shape.length - 1 ? formatNumber(data[offset + i], t.dtype) : rec(axis + 1, offset + i * inner, inner),
    )
    const sep = axis === shape.length - 1 ? ', ' : ',\n' + ' '.repeat(8 + axis)
    return `[${parts.join(sep)}]`
  }
  return rec(0, 0, t.size)
}
