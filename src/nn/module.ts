/**
 * `Module`: the base class of every layer and net, PyTorch style.
 *
 * A module's parameters are simply the tensors it keeps in its fields; its submodules are the
 * modules it keeps in its fields (directly, or in arrays and plain objects). Nothing has to be
 * registered: `parameters()` walks the fields in the order they were assigned and returns the
 * parameters as a tree (`{ layers: [{ weight, bias }, …] }`) whose dotted paths
 * (`"layers.0.weight"`) are also the names in `namedParameters()` and `stateDict()`.
 * That tree is what `grad`, `valueAndGrad` and the optimizers take.
 *
 * Keep state that is not a parameter (sizes, flags, random generators, functions) in fields of
 * other types: every tensor reachable from a field is a parameter — except buffers. A buffer is a
 * tensor field declared with `registerBuffer` (BatchNorm's running statistics): it is saved by
 * `stateDict` and restored by `loadStateDict`, but it is not a parameter, so `parameters()`,
 * `grad` and the optimizers never see it (PyTorch's `register_buffer`).
 */
import { allocate, fmt, sameShape, sizeOf, type DType } from '../nd.js'
import { Tensor } from '../tensor.js'
import { assertSameStructure, flatten, type Tree } from '../tree.js'
import { prefixEntries, torchEntry, type TorchEntry } from './torch-entries.js'

/** A tensor written as plain data, as `JSON.parse` returns it: what `serializeStateDict` makes. */
export interface SerializedTensor {
  /** Size of each axis. */
  shape: number[]
  /** 'float32' (default) or 'float64'. */
  dtype?: DType
  /** The values in row-major order. */
  data: ArrayLike<number>
}

/** Parameter or buffer name → tensor, e.g. `{ 'layers.0.weight': Tensor[2,16], … }`. */
export type StateDict = Record<string, Tensor>

/**
 * The names and layouts of a state dict: 'tapegrad' (the parameter paths, `layers.0.weight`
 * [in, out]) or 'torch' (PyTorch's, `0.weight` [out, in]: what `torch.nn` loads; see `torchEntries`).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const format: nn.StateDictFormat = 'torch'
 * Object.keys(new nn.Linear(3, 2).stateDict({ format })) // ['weight', 'bias']
 */
export type StateDictFormat = 'tapegrad' | 'torch'

/**
 * Options of `stateDict`.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const net = new nn.Linear(3, 2)
 * net.stateDict({ format: 'torch' }).weight.shape // [2, 3]
 * net.stateDict().weight.shape // [3, 2]
 */
export interface StateDictOptions {
  /** 'tapegrad' (default) or 'torch': PyTorch's names and layouts. */
  format?: StateDictFormat
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /**
   * true (default): the names must match exactly — a missing or an unexpected name is an error.
   * false: names the module does not have are ignored and missing ones keep their values.
   * Shapes must match either way.
   */
  strict?: boolean
  /** 'tapegrad' (default) or 'torch': the dict has PyTorch's names and layouts. */
  format?: StateDictFormat
}

/** A tensor `loadStateDict` writes: its name, shape and dtype, and how to write it. */
interface Target {
  name: string
  shape: readonly number[]
  dtype: DType
  write(value: Tensor): void
}

/** Where a parameter lives: `owner[key]`. `apply` swaps tensors in and out through these. */
interface Slot {
  owner: Record<string | number, unknown>
  key: string | number
}

/** The result of walking a value: its parameter tree (null when it holds no tensor) and slots. */
interface Walked {
  tree: Tree | null
  slots: Slot[]
  paths: string[]
  leaves: Tensor[]
  /** Parameters and buffers together, in field order: what `stateDict` holds. */
  state: [string, Tensor][]
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/**
 * Base class of layers and nets. Subclasses assign their parameters (tensors with
 * `requiresGrad`) and submodules to fields and implement `forward`. `Out` is what `forward`
 * returns: a Tensor for most layers, `[output, state]` for the recurrent ones.
 *
 * @example
 * import { nn, randn, zeros, type Tensor } from 'tapegrad'
 * class Affine extends nn.Module {
 *   weight = randn([3, 2], { requiresGrad: true })
 *   bias = zeros([2], { requiresGrad: true })
 *   override forward(x: Tensor) { return x.matmul(this.weight).add(this.bias) }
 * }
 * const m = new Affine()
 * m.namedParameters().map(([name]) => name) // ['weight', 'bias']
 */
export abstract class Module<Out = Tensor> {
  /** Training mode (true) or evaluation mode (false); changes what Dropout and BatchNorm do. */
  training = true
  /** Names of the fields holding buffers (a private field: the walks over fields never see it). */
  #bufferNames = new Set<string>()

  /** Computes the module's output. */
  abstract forward(...inputs: any[]): Out

  /**
   * Declares the tensor field `name` a buffer and assigns `value` to it: state that `stateDict`
   * saves and `loadStateDict` restores but that is not a parameter (no gradient, not in
   * `parameters()`), such as BatchNorm's running mean. Update a buffer in place (write into its
   * `.data`) or assign a new tensor to the same field; both stay buffers.
   * @example
   * import { nn, zeros, tensor, type Tensor } from 'tapegrad'
   * class Counter extends nn.Module {
   *   count!: Tensor
   *   constructor() { super(); this.registerBuffer('count', zeros([])) }
   *   override forward(x: Tensor) { this.count.data[0]++; return x }
   * }
   * const c = new Counter()
   * c.forward(tensor([1]))
   * c.stateDict().count // 1
   * c.parameters() // {}
   */
  protected registerBuffer(name: string, value: Tensor): void {
    if (!(value instanceof Tensor))
      throw new Error(`registerBuffer (${this.constructor.name}): '${name}' must be a Tensor, got ${describe(value)}`)
    this.#bufferNames.add(name)
    ;(this as unknown as Record<string, unknown>)[name] = value
  }

  /** Whether the field `name` holds a buffer (see `registerBuffer`). */
  isBuffer(name: string): boolean {
    return this.#bufferNames.has(name)
  }

  /** The parameters as a tree shaped like the module: `{ layers: [{ weight, bias }, …] }`. */
  parameters(): { [key: string]: Tree } {
    return (walkModule(this, '').tree ?? {}) as { [key: string]: Tree }
  }

  /** `[path, tensor]` for every parameter, in a fixed order: `[['layers.0.weight', W], …]`. */
  namedParameters(): [string, Tensor][] {
    const w = walkModule(this, '')
    return w.paths.map((p, i) => [p, w.leaves[i]])
  }

  /** The number of scalar parameters (Σ sizes). */
  numParameters(): number {
    let n = 0
    for (const [, t] of this.namedParameters()) n += t.size
    return n
  }

  /** `[path, tensor]` for every buffer (see `registerBuffer`): `[['layers.1.runningMean', μ], …]`. */
  namedBuffers(): [string, Tensor][] {
    const w = walkModule(this, '')
    const params = new Set(w.paths)
    return w.state.filter(([p]) => !params.has(p))
  }

  /** The direct and indirect submodules with their paths, this module first (path ''). */
  namedModules(): [string, Module<unknown>][] {
    const out: [string, Module<unknown>][] = []
    const visit = (value: unknown, path: string): void => {
      if (value instanceof Module) {
        out.push([path, value])
        for (const key of Object.keys(value)) visit((value as unknown as Record<string, unknown>)[key], join(path, key))
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => visit(v, join(path, String(i))))
      } else if (isPlainObject(value)) {
        for (const key of Object.keys(value)) visit(value[key], join(path, key))
      }
    }
    visit(this, '')
    return out
  }

  /** Sets training mode on this module and every submodule (Dropout drops only in training). */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode
    return this
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false)
  }

  /** Sets every parameter's `.grad` to zero (keeping the buffers). */
  zeroGrad(): void {
    for (const [, t] of this.namedParameters()) t.zeroGrad()
  }

  /**
   * A snapshot of the parameters and buffers by name, in field order (copies, with no history):
   * saving it and loading it back with `loadStateDict` restores the module exactly. See
   * `serializeStateDict` for JSON and `saveSafetensors` for safetensors files. With
   * `{ format: 'torch' }`: PyTorch's names and layouts (see `torchEntries`), which `torch.nn`
   * modules load with `load_state_dict`.
   * @example
   * import { nn, seed } from 'tapegrad'
   * seed(0)
   * const net = new nn.MLP([3, 4, 2])
   * Object.keys(net.stateDict())   // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
   * Object.keys(net.stateDict({ format: 'torch' }))   // ['0.weight', '0.bias', '2.weight', '2.bias']
   * // torch's [out, in]
   * net.stateDict({ format: 'torch' })['0.weight'].shape   // [4, 3]
   * // saveSafetensors(net.stateDict({ format: 'torch' })) is a file torch's load_file reads
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    const out: StateDict = {}
    if (readFormat(`stateDict (${this.constructor.name})`, options) === 'torch') {
      for (const e of this.checkedTorchEntries()) define(out, e.name, e.read())
      return out
    }
    for (const [name, t] of walkModule(this, '').state) define(out, name, t.clone())
    return out
  }

  /**
   * How this module's state appears in a PyTorch `state_dict`: one entry per tensor, with
   * PyTorch's name (relative to this module), shape and layout, and how to read and write it.
   * The default keeps shapes and layouts and writes names the way PyTorch spells attributes,
   * snake_case: every tensor field under its field name (`runningMean` → `running_mean`,
   * `weightIhL0` → `weight_ih_l0`), and the entries of every submodule under the submodule's
   * name (`encoder.weight`). Layers whose names or layouts
   * differ from PyTorch's override it (Linear transposes its weight; Sequential and MLP number
   * their layers as `nn.Sequential` does) with `torchEntry`, `transposedEntry`, `prefixEntries`.
   * @example
   * import { nn, ones, type Tensor } from 'tapegrad'
   * class Scale extends nn.Module {
   *   gamma = ones([3], { requiresGrad: true })
   *   override forward(x: Tensor) { return x.mul(this.gamma) }
   *   override torchEntries() { return [nn.torchEntry('weight', this.gamma)] }   // torch calls it 'weight'
   * }
   * Object.keys(new Scale().stateDict({ format: 'torch' })) // ['weight']
   */
  torchEntries(): TorchEntry[] {
    const out: TorchEntry[] = []
    const visit = (value: unknown, path: string): void => {
      if (value instanceof Tensor) out.push(torchEntry(path, value))
      else if (value instanceof Module) out.push(...prefixEntries(path, value.torchEntries()))
      else if (Array.isArray(value)) value.forEach((v, i) => visit(v, join(path, String(i))))
      else if (isPlainObject(value)) for (const key of Object.keys(value)) visit(value[key], join(path, snakeCase(key)))
    }
    for (const key of Object.keys(this)) visit((this as unknown as Record<string, unknown>)[key], snakeCase(key))
    return out
  }

  /** `torchEntries()` after the checks the walk over fields does (no shared module, no cycle), names unique. */
  private checkedTorchEntries(): TorchEntry[] {
    walkModule(this, '') // throws on a module reached twice, which would otherwise recurse forever
    const entries = this.torchEntries()
    const seen = new Set<string>()
    for (const e of entries) {
      if (seen.has(e.name)) {
        const who = `torchEntries (${this.constructor.name})`
        throw new Error(`${who}: the name '${e.name}' is given twice; each entry needs its own name`)
      }
      seen.add(e.name)
    }
    return entries
  }

  /**
   * Copies values into the parameters and buffers, in place (so optimizers attached to them keep
   * working).
   * Every name and shape is checked first; on any mismatch it throws an error that lists all of
   * them and changes nothing. Values may be Tensors or `{ shape, data }` objects (parsed JSON).
   * With `{ format: 'torch' }` the names and shapes are PyTorch's (see `torchEntries`): a
   * `torch.nn` model's `state_dict()`, e.g. read from a safetensors file by `loadSafetensors`.
   * Values are converted to each parameter's dtype.
   * @example
   * import { nn, seed, tensor } from 'tapegrad'
   * seed(0)
   * const net = new nn.MLP([2, 3, 1])
   * const json = JSON.stringify(nn.serializeStateDict(net.stateDict()))   // what a weights.json file holds
   * const copy = new nn.MLP([2, 3, 1])
   * copy.loadStateDict(JSON.parse(json))
   * const x = tensor([[0.5, -1]])
   * copy.forward(x).item() === net.forward(x).item() // true
   * copy.loadStateDict({}) // throws the state dict does not fit
   * @example
   * import { nn, seed, tensor, saveSafetensors, loadSafetensors } from 'tapegrad'
   * seed(0)
   * const net = new nn.MLP([2, 3, 1])
   * const bytes = saveSafetensors(net.stateDict({ format: 'torch' }))   // what a model.safetensors file holds
   * const copy = new nn.MLP([2, 3, 1])
   * copy.loadStateDict(loadSafetensors(bytes).tensors, { format: 'torch' })
   * const x = tensor([[0.5, -1]])
   * copy.forward(x).item() === net.forward(x).item() // true
   */
  loadStateDict(dict: Record<string, Tensor | SerializedTensor>, options: LoadStateDictOptions = {}): void {
    const torch = readFormat(`loadStateDict (${this.constructor.name})`, options) === 'torch'
    const who = `loadStateDict (${this.constructor.name}${torch ? ", format 'torch'" : ''})`
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof Tensor) {
      throw new Error(`${who}: expected an object of parameter name → tensor, got ${describe(dict)}`)
    }
    const strict = options.strict ?? true
    const own: Target[] = torch
      ? torchTargets(this.checkedTorchEntries())
      : parameterTargets(walkModule(this, '').state)
    const expected = new Set(own.map((t) => t.name))
    const problems: string[] = []
    const missing = own.map((t) => t.name).filter((n) => !Object.prototype.hasOwnProperty.call(dict, n))
    const unexpected = Object.keys(dict).filter((n) => !expected.has(n))
    if (strict && missing.length) problems.push(`missing ${missing.map((n) => `'${n}'`).join(', ')}`)
    if (strict && unexpected.length) problems.push(`unexpected ${unexpected.map((n) => `'${n}'`).join(', ')}`)
    const writes: [Target, Tensor][] = []
    for (const target of own) {
      if (!Object.prototype.hasOwnProperty.call(dict, target.name)) continue
      const problem = checkEntry(dict[target.name], target)
      if (typeof problem === 'string') problems.push(`'${target.name}' ${problem}`)
      else writes.push([target, problem])
    }
    if (problems.length) {
      const names = own.map((t) => `${t.name} ${fmt(t.shape)}`).join(', ')
      throw new Error(
        `${who}: the state dict does not fit: ${problems.join('; ')}. Nothing was loaded. Expected: ${names}`,
      )
    }
    for (const [target, value] of writes) target.write(value)
  }

  /**
   * Runs `forward` with the parameters taken from `params` (a tree shaped like `parameters()`)
   * instead of the module's own — the JAX style, for `grad`/`valueAndGrad` over parameter trees.
   * The module's own tensors are put back afterwards, even if `forward` throws.
   * @example
   * import { nn, seed, randn, valueAndGrad, type Tree, type Tensor } from 'tapegrad'
   * seed(0)
   * const net = new nn.Linear(3, 1)
   * const x = randn([8, 3])
   * const y = randn([8, 1])
   * const loss = (p: Tree, x: Tensor, y: Tensor) => nn.mse(net.apply(p, x) as Tensor, y)
   * const [value, grads] = valueAndGrad(loss)(net.parameters(), x, y)
   * value.item() // 4.2011
   * Object.keys(grads) // ['weight', 'bias']
   */
  apply(params: Tree, ...inputs: unknown[]): Out {
    const w = walkModule(this, '')
    const flat = assertSameStructure(`apply (${this.constructor.name})`, flatten(w.tree ?? {}).def, params)
    const saved = w.slots.map((s) => s.owner[s.key])
    try {
      w.slots.forEach((s, i) => (s.owner[s.key] = flat.leaves[i]))
      return this.forward(...inputs)
    } finally {
      w.slots.forEach((s, i) => (s.owner[s.key] = saved[i]))
    }
  }

  /** A one-line description, e.g. `Linear(784 → 128)`; containers list their children. */
  toString(): string {
    return `${this.constructor.name}()`
  }
}

/** What loadStateDict writes in PyTorch's format: the entries, through their `load`. */
function torchTargets(entries: TorchEntry[]): Target[] {
  return entries.map((e) => ({ name: e.name, shape: e.shape, dtype: e.dtype, write: (v: Tensor) => e.load(v) }))
}

/** What loadStateDict writes in tapegrad's format: the parameters and buffers, copied into in place. */
function parameterTargets(named: [string, Tensor][]): Target[] {
  return named.map(([name, t]) => ({
    name,
    shape: t.shape,
    dtype: t.dtype,
    write: (v: Tensor) => {
      t.data.set(v.data)
      t.markModified() // a graph recorded before loading must not see the new values
    },
  }))
}

function readFormat(who: string, options: unknown): StateDictFormat {
  if (options === null || typeof options !== 'object') {
    throw new Error(`${who}: options must be an object, got ${describe(options)}`)
  }
  const format = (options as { format?: unknown }).format ?? 'tapegrad'
  if (format !== 'tapegrad' && format !== 'torch') {
    const got = typeof format === 'string' ? `'${format}'` : describe(format)
    throw new Error(`${who}: format must be 'tapegrad' or 'torch', got ${got}`)
  }
  return format
}

/** Sets `obj[key]` as an own property, also for the key "__proto__" (which `=` would not). */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/** PyTorch's spelling of a field name: `runningMean` → `running_mean`, `weightIhL0` → `weight_ih_l0`. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

/** A shape as given, for a message: JSON when it can be written (cut at 40 characters), else its kind. */
function describeShape(shape: unknown): string {
  try {
    const text = JSON.stringify(shape) // throws on BigInt; RangeError on absurdly deep nesting
    if (text !== undefined) return text.length > 40 ? `${text.slice(0, 40)}…` : text
  } catch {
    // described below
  }
  return describe(shape)
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'an array'
  if (x instanceof Tensor) return `a Tensor ${fmt(x.shape)}`
  return typeof x
}

/**
 * Checks one state-dict value against its target; returns the value as a fresh tensor of the
 * target's dtype (so that writing can no longer fail) or a problem.
 */
function checkEntry(value: unknown, target: Target): Tensor | string {
  let shape: unknown
  let data: unknown
  if (value instanceof Tensor) {
    shape = value.shape
    data = value.data
  } else if (value !== null && typeof value === 'object') {
    shape = (value as SerializedTensor).shape
    data = (value as SerializedTensor).data
  } else {
    return `is ${describe(value)}, expected a Tensor or { shape, data }`
  }
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    return `has no valid shape (got ${describeShape(shape)}), expected ${fmt(target.shape)}`
  }
  const dtype: unknown = value instanceof Tensor ? value.dtype : (value as SerializedTensor).dtype
  if (dtype !== undefined && dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    const got = typeof dtype === 'string' ? `'${dtype.slice(0, 40)}'` : describe(dtype)
    return `has dtype ${got}, expected 'float32', 'float64' or 'int32'`
  }
  if (!sameShape(shape, target.shape)) return `has shape ${fmt(shape)}, expected ${fmt(target.shape)}`
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    return `has no data array`
  }
  const d = data as ArrayLike<number>
  const size = sizeOf(target.shape)
  if (d.length !== size) return `has ${d.length} values for shape ${fmt(shape)} (${size} expected)`
  const integer = target.dtype === 'int32'
  // Integers where weights belong mean a wrong or corrupt file (an I32 tensor read from a weight's
  // bytes), not something to convert.
  if (!integer && (d instanceof Int32Array || dtype === 'int32')) {
    return `is int32, expected floating-point values (${target.dtype})`
  }
  const float32 = target.dtype === 'float32'
  for (let i = 0; i < d.length; i++) {
    if (typeof d[i] !== 'number') return `has a non-number value (${describe(d[i])}) at flat index ${i}`
    // A finite number beyond float32's range would be stored as ±Infinity: a corrupt file, not a weight.
    if (float32 && Number.isFinite(d[i]) && !Number.isFinite(Math.fround(d[i]))) {
      return `has ${d[i]} at flat index ${i}, beyond the float32 range (it would become ${Math.fround(d[i])})`
    }
    // An Int32Array would truncate 2.5 to 2 and wrap 2³¹ to −2³¹: refuse instead.
    if (integer && !(Number.isInteger(d[i]) && d[i] >= -(2 ** 31) && d[i] < 2 ** 31)) {
      return `has ${d[i]} at flat index ${i}, which int32 cannot hold exactly`
    }
  }
  const out = allocate(target.dtype, size)
  for (let i = 0; i < size; i++) out[i] = d[i]
  return new Tensor(out, target.shape.slice())
}

/** Walks a module's fields: the parameter tree, the slots holding each tensor, paths, leaves. */
function walkModule(root: Module<unknown>, rootPath: string): Walked {
  const slots: Slot[] = []
  const paths: string[] = []
  const leaves: Tensor[] = []
  const state: [string, Tensor][] = []
  const seen = new Set<unknown>()
  const walk = (
    value: unknown,
    path: string,
    owner: Record<string | number, unknown> | null,
    key: string | number,
  ): Tree | null => {
    if (value instanceof Tensor) {
      if (owner === null) return null
      state.push([path, value])
      if (owner instanceof Module && owner.isBuffer(String(key))) return null
      slots.push({ owner, key })
      paths.push(path)
      leaves.push(value)
      return value
    }
    if (value instanceof Module || Array.isArray(value) || isPlainObject(value)) {
      if (seen.has(value))
        throw new Error(
          `parameters: '${path || '(root)'}' is reached twice (a module or container shared or in a cycle); give each place its own module`,
        )
      seen.add(value)
    }
    if (Array.isArray(value)) {
      const children = value.map((v, i) =>
        walk(v, join(path, String(i)), value as unknown as Record<number, unknown>, i),
      )
      if (children.every((c) => c === null)) return null
      return children.map((c) => c ?? {})
    }
    if (value instanceof Module || isPlainObject(value)) {
      const obj = value as unknown as Record<string, unknown>
      const out: { [key: string]: Tree } = {}
      let any = false
      for (const k of Object.keys(obj)) {
        const c = walk(obj[k], join(path, k), obj, k)
        if (c !== null) {
          out[k] = c
          any = true
        }
      }
      return any ? out : null
    }
    return null
  }
  const tree = walk(root, rootPath, null, '')
  return { tree, slots, paths, leaves, state }
}
