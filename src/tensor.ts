/**
 * Tensor: an n-d array of float32 (default), float64 or int32 numbers that can take part in
 * automatic differentiation.
 *
 * Storage is always one contiguous, row-major typed array (`data`); `nd` gives the scijs ndarray
 * view of it (created lazily and cached, since building an ndarray costs ~300 ns and most ops
 * never need strides). A tensor produced by an op on tensors that need gradients carries the tape
 * `entry` that made it; leaves with `requiresGrad` receive `.grad` from `backward()`.
 *
 * This file knows nothing of the engine or the ops (dependencies run one way: storage → Tensor →
 * engine → ops → fluent methods). The fluent methods (`x.mul(y).sum()`) and `backward()` are
 * installed on the class by src/methods.ts, which every entry point of the library loads.
 */
import { allocate, dtypeOf, fmt, sizeOf, view, type DType, type NdView, type TypedArray } from './nd.js'
import { tick } from './clock.js'
import { describeValue } from './describe-value.js'
import { defaultRandom } from './random.js'

/**
 * The tape's record of the op that produced a tensor. The engine defines it (`Entry` in
 * src/recording.ts); a Tensor only holds on to it.
 */
export interface TapeLink {
  /** Position on the tape: entries are numbered in the order they were recorded. */
  readonly id: number
}

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
 * An n-d array of float32 (default), float64 or int32 numbers that can take part in automatic
 * differentiation: contiguous row-major `data`, a `shape`, and, when it needs a gradient, the
 * tape `entry` that produced it. Every core op is also a fluent method (`x.mul(x).sum()`).
 * @example
 * import { tensor } from 'tapegrad'
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true })
 * const y = x.mul(x).sum()      // y = Σ x²
 * y.backward()
 * // the gradient is 2x
 * x.grad!.toArray()             // [[2, 4], [6, 8]]
 */
export class Tensor {
  /** Size of each axis; `[]` for a 0-d (scalar) tensor. Do not mutate. */
  readonly shape: number[]
  /** Whether gradients flow to this tensor. Set on leaves; ops set it on their outputs. */
  requiresGrad = false
  /** ∂L/∂this after `backward()` (leaves only; accumulates across calls). */
  grad: Tensor | null = null
  /** The tape entry that produced this tensor; null for leaves. */
  entry: TapeLink | null = null
  /** Optional name shown on the tape and in graph pictures (e.g. a parameter path). */
  label: string | null = null
  /** Gradient being accumulated during a backward sweep (engine scratch). */
  pending: Tensor | null = null
  /** Whether the engine owns `pending`'s storage outright (engine scratch, see grad-buffers.ts). */
  pendingOwned = false
  /** Graph-walk scratch mark (engine scratch). */
  visit = 0
  private _data: TypedArray
  // Both follow `_data` and are reset by the `data` setter: ops ask for the dtype often.
  private _dtype: DType
  private _nd: NdView | null = null
  private _version = 0

  /** Wraps existing contiguous storage (no copy). Prefer `tensor()` for user data. */
  constructor(data: TypedArray, shape: number[]) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(
        `Tensor: storage of ${data.length} elements does not fit shape ${fmt(shape)} (${sizeOf(shape)} elements)`,
      )
    }
    this._data = data
    this.shape = shape
    this._dtype = dtypeOf(data)
  }

  /**
   * Contiguous row-major storage. Writing into it changes the tensor (and any tensor sharing it).
   * After writing into it element by element, call `markModified()`; assigning a new array
   * (same length) does that itself when the values differ — see `version`.
   */
  get data(): TypedArray {
    return this._data
  }

  set data(values: TypedArray) {
    if (!(values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array)) {
      throw new Error(`Tensor.data: expected a Float32Array, Float64Array or Int32Array, got ${describeValue(values)}`)
    }
    if (values.length !== this._data.length) {
      const needs = `shape ${fmt(this.shape)} needs ${this._data.length}`
      throw new Error(`Tensor.data: the new storage has ${values.length} elements, ${needs}`)
    }
    // Re-pointing at a copy of the same values (as an optimizer's attach does) is no modification.
    if (!sameBits(values, this._data)) this._version = tick()
    this._data = values
    this._dtype = dtypeOf(values)
    this._nd = null
  }

  /**
   * When the values last changed in place: a tick of the engine's clock (src/clock.ts), 0 if
   * never. Every mutator of the library moves it — optimizer steps, `loadState`,
   * `loadStateDict`, `zeroGrad`, gradient accumulation into `.grad`, assigning `data`,
   * `markModified()` — so that `backward()` can refuse to differentiate an op recorded before
   * one of its saved tensors changed (it would use the new values: a silent wrong gradient).
   * Writes element by element into `data` are seen only after `markModified()` (or, at a cost,
   * by `setDebug({ checkInPlace: true })`).
   */
  get version(): number {
    return this._version
  }

  /**
   * Declares that the values were changed in place (by writing into `data`): a graph recorded
   * before the change can no longer be differentiated, and `backward()` says so instead of
   * computing a gradient from the new values. Returns the tensor.
   * @example
   * import { tensor } from 'tapegrad'
   * const w = tensor([3, 4], { requiresGrad: true })
   * const y = w.mul(w).sum()
   * w.data[0] = 5
   * w.markModified()
   * y.backward()   // throws backward: 'mul'
   */
  markModified(): this {
    this._version = tick()
    return this
  }

  /** A tensor of `shape` filled with `value`. */
  static full(shape: number[], value: number, dtype: DType = 'float32'): Tensor {
    const d = allocate(dtype, sizeOf(shape))
    if (value !== 0) d.fill(value)
    return new Tensor(d, shape.slice())
  }

  /** 'float32', 'float64' or 'int32'. */
  get dtype(): DType {
    return this._dtype
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
    if (!this._nd) this._nd = view(this._data, this.shape)
    return this._nd
  }

  /** The value of a one-element tensor as a number. */
  item(): number {
    if (this.size !== 1)
      throw new Error(`item: only one-element tensors can be converted to a number, got shape ${fmt(this.shape)}`)
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
      for (let i = 0; i < n; i++)
        out[i] = axis === shape.length - 1 ? data[offset + i] : build(axis + 1, offset + i * inner, inner)
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

  /**
   * Sets `requiresGrad` (PyTorch's `requires_grad_()`): `true` (the default) makes this tensor a
   * leaf that `backward()` computes a gradient for; `false` turns that off again on a leaf.
   * Returns the tensor. Refused on int32 tensors (gradients are real) and, for `false`, on a
   * tensor produced by an op (use `detach()` to cut it from the tape).
   * @example
   * import { zeros } from 'tapegrad'
   * const w = zeros([2]).setRequiresGrad()
   * w.requiresGrad   // true
   * zeros([2], { dtype: 'int32' }).setRequiresGrad() // throws setRequiresGrad: an int32 tensor [2] cannot have a gradient
   */
  setRequiresGrad(flag = true): this {
    if (this.entry && !flag) {
      throw new Error('setRequiresGrad: cannot turn gradients off on a tensor produced by an op; use detach()')
    }
    if (flag && this.dtype === 'int32') {
      const fix = "convert it with .astype('float32')"
      throw new Error(`setRequiresGrad: an int32 tensor ${fmt(this.shape)} cannot have a gradient; ${fix}`)
    }
    this.requiresGrad = flag
    return this
  }

  /** Sets `.grad` to zeros (keeping its buffer). */
  zeroGrad(): void {
    this.grad?.data.fill(0)
    this.grad?.markModified()
  }
}

/** Whether two storages hold the same bits (same type and length). */
function sameBits(a: TypedArray, b: TypedArray): boolean {
  if (a === b) return true
  if (a.constructor !== b.constructor || a.length !== b.length) return false
  // Compared as 32-bit words, so that NaN equals the same NaN and 0 differs from -0.
  const wa = new Int32Array(a.buffer, a.byteOffset, a.byteLength >> 2)
  const wb = new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2)
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// Creation

function checkShape(who: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new Error(`${who}: shape must be an array of sizes, got ${String(shape)}`)
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0)
      throw new Error(`${who}: invalid shape ${fmt(shape)}: sizes must be non-negative integers`)
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

/** Checks a dtype argument: one of the three storage types. */
function checkDType(who: string, dtype: unknown): DType {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new Error(`${who}: unsupported dtype '${String(dtype)}' (use 'float32', 'float64' or 'int32')`)
  }
  return dtype
}

/** Random values are real numbers: refuse an int32 request rather than truncate them. */
function floatOnly(who: string, dtype: DType | undefined): void {
  if (dtype === 'int32')
    throw new Error(`${who}: dtype 'int32' is not supported (random values are real); use 'float32' or 'float64'`)
}

/** Sets requiresGrad on a new tensor, refusing int32 (gradients are real-valued). */
function withGradient(who: string, t: Tensor): Tensor {
  if (t.dtype === 'int32') {
    throw new Error(
      `${who}: an int32 tensor ${fmt(t.shape)} cannot require a gradient; use dtype 'float32' or 'float64'`,
    )
  }
  t.requiresGrad = true
  return t
}

/**
 * Creates a tensor from nested arrays, a number, or a typed array (copied). The dtype follows a
 * Float64Array or Int32Array input and is float32 otherwise, unless `dtype` says. int32 tensors
 * hold labels and indices: their values must be integers in [−2³¹, 2³¹).
 * @example
 * import { tensor } from 'tapegrad'
 * tensor([[1, 2], [3, 4]]).shape                   // [2, 2]
 * tensor(new Float64Array(6), { shape: [2, 3] }).dtype // 'float64'
 * tensor([3, 1], { dtype: 'int32' }).dtype          // 'int32'
 * tensor([0.5], { dtype: 'int32' }) // throws is not an int32 value
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
    throw new Error(
      `tensor: expected nested arrays of numbers, a number or a typed array, got ${values === null ? 'null' : typeof values}`,
    )
  }
  if (options.shape) {
    const s = checkShape('tensor', options.shape)
    if (sizeOf(s) !== flat.length) {
      throw new Error(`tensor: ${flat.length} values do not fit shape ${fmt(s)} (${sizeOf(s)} elements)`)
    }
    shape = s
  }
  const inferred: DType =
    values instanceof Float64Array ? 'float64' : values instanceof Int32Array ? 'int32' : 'float32'
  const dtype = checkDType('tensor', options.dtype ?? inferred)
  const data = allocate(dtype, flat.length)
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]
    if (typeof v !== 'number') throw new Error(`tensor: element ${i} is ${typeof v}, expected a number`)
    if (options.checkFinite && !Number.isFinite(v)) {
      throw new Error(`tensor: non-finite value ${v} at flat index ${i} of shape ${fmt(shape)} (checkFinite)`)
    }
    if (dtype === 'int32' && (v | 0) !== v) {
      throw new Error(
        `tensor: ${v} at flat index ${i} of shape ${fmt(shape)} is not an int32 value (an integer in [-2147483648, 2147483647])`,
      )
    }
    data[i] = v
  }
  const t = new Tensor(data, shape)
  return options.requiresGrad ? withGradient('tensor', t) : t
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
      if (Array.isArray(v))
        throw new Error(
          `tensor: ragged nested array: at [${path.join('][')}] expected a number, found an array (inferred shape ${fmt(shape)})`,
        )
      out.push(v)
      return
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const found = Array.isArray(v) ? `length ${v.length}` : `a ${typeof v}`
      throw new Error(
        `tensor: ragged nested array: at [${path.join('][')}] expected length ${shape[depth]}, found ${found} (inferred shape ${fmt(shape)})`,
      )
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i])
  }
  walk(values, 0, [])
  return out
}

function make(who: string, shape: number[], options: TensorOptions, fill: (d: TypedArray) => void): Tensor {
  const s = checkShape(who, shape)
  const d = allocate(checkDType(who, options.dtype ?? 'float32'), sizeOf(s))
  fill(d)
  const t = new Tensor(d, s)
  return options.requiresGrad ? withGradient(who, t) : t
}

/**
 * A tensor of zeros.
 * @example
 * import { zeros } from 'tapegrad'
 * zeros([2, 3]) // [[0, 0, 0], [0, 0, 0]]
 * zeros([2], { dtype: 'int32' }).dtype // 'int32'
 */
export function zeros(shape: number[], options: TensorOptions = {}): Tensor {
  return make('zeros', shape, options, () => {})
}

/**
 * A tensor of ones.
 * @example
 * import { ones } from 'tapegrad'
 * ones([3]) // [1, 1, 1]
 */
export function ones(shape: number[], options: TensorOptions = {}): Tensor {
  return make('ones', shape, options, (d) => d.fill(1))
}

/**
 * A tensor filled with `value`.
 * @example
 * import { full } from 'tapegrad'
 * full([2, 2], 7) // [[7, 7], [7, 7]]
 */
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  return make('full', shape, options, (d) => d.fill(value))
}

/**
 * Zeros with the shape and dtype of `t`.
 * @example
 * import { zerosLike, tensor } from 'tapegrad'
 * zerosLike(tensor([1, 2])) // [0, 0]
 */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...options })
}

/**
 * Ones with the shape and dtype of `t`.
 * @example
 * import { onesLike, tensor } from 'tapegrad'
 * const x = tensor([5, 6], { dtype: 'float64' })
 * onesLike(x) // [1, 1]
 * onesLike(x).dtype // 'float64'
 */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, ...options })
}

/**
 * Evenly spaced values in [start, stop) with `step`, like NumPy: start + k·step for
 * k = 0 … ⌈(stop − start)/step⌉ − 1.
 * @example
 * import { arange } from 'tapegrad'
 * arange(3)            // [0, 1, 2]
 * arange(1, 2, 0.25)   // [1, 1.25, 1.5, 1.75]
 * arange(3, 0, -1)     // [3, 2, 1]
 */
export function arange(start: number, stop?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start
    start = 0
  }
  if (step === 0 || !Number.isFinite(step))
    throw new Error(`arange: step must be a non-zero finite number, got ${step}`)
  const n = Math.max(0, Math.ceil((stop - start) / step))
  return make('arange', [n], options, (d) => {
    for (let i = 0; i < n; i++) d[i] = start + i * step
  })
}

/**
 * `num` evenly spaced values from `start` to `stop` inclusive.
 * @example
 * import { linspace } from 'tapegrad'
 * linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new Error(`linspace: num must be a non-negative integer, got ${num}`)
  return make('linspace', [num], options, (d) => {
    const step = num > 1 ? (stop - start) / (num - 1) : 0
    for (let i = 0; i < num; i++) d[i] = start + i * step
    if (num > 1) d[num - 1] = stop
  })
}

/**
 * The n×m identity matrix (m = n by default): 1 where i = j, else 0.
 * @example
 * import { eye } from 'tapegrad'
 * eye(2) // [[1, 0], [0, 1]]
 * eye(2, 3) // [[1, 0, 0], [0, 1, 0]]
 */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  return make('eye', [n, m], options, (d) => {
    for (let i = 0; i < Math.min(n, m); i++) d[i * m + i] = 1
  })
}

/**
 * Uniform random values U[low, high) (default [0, 1)) from the seeded generator (see `seed`).
 * @example
 * import { rand, seed } from 'tapegrad'
 * seed(0)
 * rand([2, 3], { low: -1, high: 1 }) // [[-0.4671, -0.9993, -0.5535], [-0.7076, -0.0653, 0.0901]]
 */
export function rand(shape: number[], options: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  floatOnly('rand', options.dtype)
  const rng = defaultRandom()
  const low = options.low ?? 0
  const high = options.high ?? 1
  return make('rand', shape, options, (d) => {
    for (let i = 0; i < d.length; i++) d[i] = rng.uniform(low, high)
  })
}

// rand and randn share their shape on purpose: check the dtype, read the options, fill from the
// one seeded generator through make(); each stays a plain function that reads top to bottom.
/**
 * Normal values N(mean, std²) (default N(0, 1)) from the seeded generator (see `seed`).
 * @example
 * import { randn, seed } from 'tapegrad'
 * seed(0)
 * randn([3], { std: 0.1 }) // [0.1626, 0.0003, 0.1051]
 */
export function randn(shape: number[], options: TensorOptions & { mean?: number; std?: number } = {}): Tensor {
  floatOnly('randn', options.dtype)
  const rng = defaultRandom()
  const mean = options.mean ?? 0
  const std = options.std ?? 1
  return make('randn', shape, options, (d) => {
    for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal()
  })
}

/**
 * Numbers become 0-d constants of `like`'s dtype; tensors pass through.
 * @example
 * import { asTensor, tensor } from 'tapegrad'
 * const x = tensor([1, 2], { dtype: 'float64' })
 * asTensor(2, x).dtype // 'float64'
 * asTensor(2, x).shape // []
 * asTensor(x) === x // true
 */
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
      i === null
        ? '...'
        : axis === shape.length - 1
          ? formatNumber(data[offset + i], t.dtype)
          : rec(axis + 1, offset + i * inner, inner),
    )
    const sep = axis === shape.length - 1 ? ', ' : ',\n' + ' '.repeat(8 + axis)
    return `[${parts.join(sep)}]`
  }
  return rec(0, 0, t.size)
}
