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
import { fmt, sameShape, type DType } from '../nd.js'
import { Tensor } from '../tensor.js'
import { assertSameStructure, flatten, type Tree } from '../tree.js'

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

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /**
   * true (default): the names must match exactly — a missing or an unexpected name is an error.
   * false: names the module does not have are ignored and missing ones keep their values.
   * Shapes must match either way.
   */
  strict?: boolean
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
 * class Affine extends Module {
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
   * class Counter extends Module {
   *   count!: Tensor
   *   constructor() { super(); this.registerBuffer('count', zeros([])) }
   *   override forward(x: Tensor) { this.count.data[0]++; return x }
   * }
   * new Counter().stateDict() // { count: tensor(0) }; parameters() is {}
   */
  protected registerBuffer(name: string, value: Tensor): void {
    if (!(value instanceof Tensor)) throw new Error(`registerBuffer (${this.constructor.name}): '${name}' must be a Tensor, got ${describe(value)}`)
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
    for (const [, t] of this.namedParameters()) t.grad?.data.fill(0)
  }

  /**
   * A snapshot of the parameters and buffers by name, in field order (copies, with no history):
   * saving it and loading it back with `loadStateDict` restores the module exactly. See
   * `serializeStateDict` for JSON.
   */
  stateDict(): StateDict {
    const out: StateDict = {}
    for (const [name, t] of walkModule(this, '').state) out[name] = t.clone()
    return out
  }

  /**
   * Copies values into the parameters and buffers, in place (so optimizers attached to them keep
   * working).
   * Every name and shape is checked first; on any mismatch it throws an error that lists all of
   * them and changes nothing. Values may be Tensors or `{ shape, data }` objects (parsed JSON).
   * @example net.loadStateDict(JSON.parse(fs.readFileSync('weights.json', 'utf8')))
   */
  loadStateDict(dict: Record<string, Tensor | SerializedTensor>, options: LoadStateDictOptions = {}): void {
    const who = `loadStateDict (${this.constructor.name})`
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || dict instanceof Tensor) {
      throw new Error(`${who}: expected an object of parameter name → tensor, got ${describe(dict)}`)
    }
    const strict = options.strict ?? true
    const own = walkModule(this, '').state
    const expected = new Map(own)
    const problems: string[] = []
    const missing = own.map(([n]) => n).filter((n) => !Object.prototype.hasOwnProperty.call(dict, n))
    const unexpected = Object.keys(dict).filter((n) => !expected.has(n))
    if (strict && missing.length) problems.push(`missing ${missing.map((n) => `'${n}'`).join(', ')}`)
    if (strict && unexpected.length) problems.push(`unexpected ${unexpected.map((n) => `'${n}'`).join(', ')}`)
    const writes: [Tensor, ArrayLike<number>][] = []
    for (const [name, target] of own) {
      if (!Object.prototype.hasOwnProperty.call(dict, name)) continue
      const problem = checkEntry(dict[name], target)
      if (typeof problem === 'string') problems.push(`'${name}' ${problem}`)
      else writes.push([target, problem])
    }
    if (problems.length) {
      const names = own.map(([n, t]) => `${n} ${fmt(t.shape)}`).join(', ')
      throw new Error(`${who}: the state dict does not fit: ${problems.join('; ')}. Nothing was loaded. Expected: ${names}`)
    }
    for (const [target, values] of writes) {
      const d = target.data
      for (let i = 0; i < d.length; i++) d[i] = values[i]
    }
  }

  /**
   * Runs `forward` with the parameters taken from `params` (a tree shaped like `parameters()`)
   * instead of the module's own — the JAX style, for `grad`/`valueAndGrad` over parameter trees.
   * The module's own tensors are put back afterwards, even if `forward` throws.
   * @example
   * const loss = (p: Tree, x: Tensor, y: Tensor) => nn.mse(net.apply(p, x), y)
   * const [value, grads] = valueAndGrad(loss)(net.parameters(), x, y)
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

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'an array'
  if (x instanceof Tensor) return `a Tensor ${fmt(x.shape)}`
  return typeof x
}

/** Checks one state-dict value against its parameter; returns the values or a problem. */
function checkEntry(value: unknown, target: Tensor): ArrayLike<number> | string {
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
    return `has no valid shape (got ${JSON.stringify(shape)}), expected ${fmt(target.shape)}`
  }
  if (!sameShape(shape, target.shape)) return `has shape ${fmt(shape)}, expected ${fmt(target.shape)}`
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    return `has no data array`
  }
  const d = data as ArrayLike<number>
  if (d.length !== target.size) return `has ${d.length} values for shape ${fmt(shape)} (${target.size} expected)`
  for (let i = 0; i < d.length; i++) {
    if (typeof d[i] !== 'number') return `has a non-number value (${describe(d[i])}) at flat index ${i}`
  }
  return d
}

/** Walks a module's fields: the parameter tree, the slots holding each tensor, paths, leaves. */
function walkModule(root: Module<unknown>, rootPath: string): Walked {
  const slots: Slot[] = []
  const paths: string[] = []
  const leaves: Tensor[] = []
  const state: [string, Tensor][] = []
  const seen = new Set<unknown>()
  const walk = (value: unknown, path: string, owner: Record<string | number, unknown> | null, key: string | number): Tree | null => {
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
      if (seen.has(value)) throw new Error(`parameters: '${path || '(root)'}' is reached twice (a module or container shared or in a cycle); give each place its own module`)
      seen.add(value)
    }
    if (Array.isArray(value)) {
      const children = value.map((v, i) => walk(v, join(path, String(i)), value as unknown as Record<number, unknown>, i))
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
