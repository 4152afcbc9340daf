/**
 * The lifter: turns an optimizer written as data — state slots, host-side scalars, per-element
 * rules over numbers — into the JAX triple `{ init, update, getParams }` over parameter trees,
 * and into a PyTorch-style `attach(params)` loop over tensors with `.grad`.
 *
 * What the lifter does so that an optimizer file does not have to:
 * - keeps the parameters and every slot in ONE flat Float32Array each, across the whole tree
 *   (leaf k lives at `[offset_k, offset_k + size_k)` in every buffer), so one step is one pass
 *   of the backend over a few long arrays, whatever the number of tensors;
 * - gathers the gradient tree into a flat buffer (one native copy per leaf, skipped where the
 *   gradient already is a view of that buffer, as it is after `attach`);
 * - checks that the gradient tree has the structure of the parameters (the error shows both);
 * - computes the scalars once per step on the host (step size from the schedule, bias
 *   corrections, …) and hands rules + arrays + scalars to the active backend, which runs them
 *   in place (cpu: one generated fused loop; gpujs: kernels from the same rule functions);
 * - applies the two gradient options every PyTorch optimizer has, in PyTorch's order, for every
 *   optimizer: `maximize` (g ← −g) then coupled L2 `weightDecay` (g ← g + λ·x);
 * - records the hyper-parameters, so that saved state can be checked against the optimizer that
 *   loads it (see state-io.ts).
 *
 * An optimizer is then ~20 lines (see adam.ts and docs/optimizers.md, "Write your own").
 */
import { Tensor } from '../src/tensor.js'
import { flatten, unflatten, describeTree, sameTreeDef, type Tree, type TreeDef } from '../src/tree.js'
import { sizeOf, fmt } from '../src/nd.js'
import type { Backend, Rule, RuleFn } from '../src/backends/backend.js'
import { getActiveBackend } from '../src/backends/index.js'
import { allocateFloat32Group } from '../src/backends/cpu.js'
import { makeSchedule, type Schedule, type ScheduleLike } from './schedules.js'
import { saveState, loadState, type SavedState } from './state-io.js'
import { describeValue } from '../src/describe-value.js'

export type { Rule, RuleFn, Schedule, ScheduleLike }

// ---------------------------------------------------------------------------------------------
// Rules

/**
 * One per-element rule: `target[i] = fn(…args at i)`. Each name in `args` is the flat parameter
 * array `'x'`, the gradient `'g'`, a slot (`'m'`, `'v'`, …) read at index i, or a host-side
 * scalar of the step (`'lr'`, `'b1'`, …). Rules run in order; a rule sees the values the rules
 * before it computed at the same index.
 *
 * `fn` must be a `function` declaration over numbers with one parameter per name in `args`:
 * gpu.js compiles its source (it cannot read arrow functions, methods, closures or objects), and
 * the names are listed explicitly rather than read from the source, so that a minifier renaming
 * the parameters cannot change what binds to what. No `**` inside rules (gpu.js rejects it):
 * compute powers on the host, once per step, and pass them as scalars.
 *
 * @example
 * function descend(x: number, g: number, lr: number) { return x - lr * g }
 * const sgdRule = rule('x', ['x', 'g', 'lr'], descend)
 */
export function rule(target: string, args: readonly string[], fn: RuleFn): Rule {
  if (typeof target !== 'string' || !target) throw new Error(`rule: target must be a non-empty array name, got ${String(target)}`)
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || !a)) {
    throw new Error(`rule '${target}': args must be an array of names, got ${JSON.stringify(args)}`)
  }
  if (typeof fn !== 'function') throw new Error(`rule '${target}': fn must be a function, got ${typeof fn}`)
  const name = fn.name || 'anonymous'
  // Arrow functions and methods have no prototype; `function` declarations and expressions do.
  if (!Object.prototype.hasOwnProperty.call(fn, 'prototype')) {
    throw new Error(`rule '${target}': '${name}' must be a \`function\` declaration over numbers (gpu.js cannot compile arrow functions or methods)`)
  }
  if (fn.length !== args.length) {
    throw new Error(`rule '${target}': '${name}' takes ${fn.length} parameters but ${args.length} names are listed [${args.join(', ')}]`)
  }
  if (/\*\*/.test(stripComments(Function.prototype.toString.call(fn)))) {
    throw new Error(`rule '${target}': '${name}' uses '**'; compute powers on the host once per step and pass them as scalars (gpu.js cannot compile '**')`)
  }
  return Object.freeze({ target, args: Object.freeze(args.slice()), fn })
}

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

// ---------------------------------------------------------------------------------------------
// Specs

/** A hyper-parameter as recorded for saved state: a number, a flag, a string, or a schedule. */
export type HyperValue = number | boolean | string | null | Schedule

/** Where one leaf of the parameter tree lives in the flat buffers. */
export interface LeafInfo {
  /** Dotted path of the leaf in the tree ('layers.0.weight'). */
  readonly path: string
  /** Its shape. */
  readonly shape: readonly number[]
  /** Where its first element sits in the flat buffers. */
  readonly offset: number
  /** Its number of elements. */
  readonly size: number
}

/** What the host-side hooks of an optimizer with non-elementwise state (SM3) receive. */
export interface HookContext {
  /** The 0-based step. */
  readonly i: number
  /** The flat per-element arrays: 'x', 'g' (the gradient used by the rules), slots, scratch. */
  readonly arrays: Readonly<Record<string, Float32Array>>
  /** The optimizer's extra (not per-element) arrays, see {@link ExtraSpec}. */
  readonly extra: Readonly<Record<string, Float32Array>>
  /** The leaves of the parameter tree and where they live in the flat arrays. */
  readonly leaves: readonly LeafInfo[]
}

/** State that is not one number per parameter (SM3's per-axis accumulators) and the host code
 *  that maintains it around the rules. */
export interface ExtraSpec {
  /** The length of each extra array for a tree with these leaves. */
  sizes(leaves: readonly LeafInfo[]): Record<string, number>
  /** Runs on the host before the rules of step i. */
  before?(ctx: HookContext): void
  /** Runs on the host after the rules of step i. */
  after?(ctx: HookContext): void
}

/**
 * What an optimizer factory returns: the optimizer as data.
 *
 * Array names the rules may use: `'x'` (parameters), `'g'` (gradient), the slots and the scratch
 * arrays. Scalar names: whatever `scalars(i)` returns.
 */
export interface OptimizerSpec {
  /** Per-element state besides the parameters, zero-initialised (`['m', 'v']`), or with initial
   *  values (`{ sum: 0.1 }`). Saved with the state. */
  slots?: readonly string[] | Readonly<Record<string, number>>
  /** Per-element work arrays that are rewritten every step: allocated once, never saved. */
  scratch?: readonly string[]
  /** Host-side scalars of step i (0-based), computed once per step. All must be finite. */
  scalars?: (i: number) => Record<string, number>
  /** The per-element rules, run in order at every index. */
  rules: readonly Rule[]
  /** The step-size schedule (what `currentStepSize` reports). */
  stepSize?: Schedule
  /** The hyper-parameters, with defaults filled in: recorded in saved state, checked on load. */
  hyper?: Readonly<Record<string, HyperValue>>
  /** Coupled L2 weight decay λ, applied to the gradient before the rules: g ← g + λ·x. */
  weightDecay?: number
  /** Maximize the objective instead of minimizing it: g ← −g (before the weight decay). */
  maximize?: boolean
  /** Non-elementwise state and host hooks (SM3). */
  extra?: ExtraSpec
}

// ---------------------------------------------------------------------------------------------
// State

/**
 * An optimizer's state: plain data. The parameters and every slot are one flat Float32Array
 * each across the whole tree; `def` and `leaves` say where each tensor of the tree lives.
 * `update` changes it in place. `saveState`/`loadState` (state-io.ts) turn it into JSON and back.
 * @example
 * const state = adam(1e-3).init({ w: zeros([2, 3]), b: zeros([3]) })
 * state.size                 // 9
 * state.leaves[1]            // { path: 'b', shape: [3], offset: 6, size: 3 }
 * state.slots.m.length       // 9
 */
export class OptState<T extends Tree = Tree> {
  /** Type only, never set: the type of the tree `init` was given, so that `getParams` returns
   *  that type (`params = opt.getParams(state)` type-checks where `params` is `{ w, b }`). */
  declare readonly paramsType?: T
  /** Tensors viewing `params` (no copies), built once: what getParams returns. */
  views: Tensor[]
  /** The arrays handed to the backend, built once per state ('g' is bound per step). */
  readonly arrays: Record<string, Float32Array>
  constructor(
    /** Name of the optimizer that made it ('adam', …). */
    readonly optimizer: string,
    /** Its hyper-parameters (what saveState records). */
    readonly hyper: Readonly<Record<string, HyperValue>>,
    /** The structure of the parameter tree. */
    readonly def: TreeDef,
    /** Where each leaf lives in the flat buffers, in tree order. */
    readonly leaves: readonly LeafInfo[],
    /** Total number of parameters. */
    readonly size: number,
    /** The flat parameters. */
    readonly params: Float32Array,
    /** The gradient buffer: gradients are gathered here (attach points `.grad` at views of it). */
    readonly grad: Float32Array,
    /** The per-element slots ('m', 'v', …), each `size` long. */
    readonly slots: Readonly<Record<string, Float32Array>>,
    /** Work arrays rewritten every step (not saved). */
    readonly scratch: Readonly<Record<string, Float32Array>>,
    /** Non-elementwise state (SM3's per-axis accumulators). */
    readonly extra: Readonly<Record<string, Float32Array>>,
    /** The number of updates applied: the `i` of the next update. */
    public step: number,
  ) {
    this.views = leaves.map((l) => new Tensor(params.subarray(l.offset, l.offset + l.size), l.shape.slice()))
    this.arrays = { x: params, ...slots, ...scratch }
  }
}

// ---------------------------------------------------------------------------------------------
// The optimizer object

/** The JAX triple (plus `attach` and state I/O) that every optimizer factory returns. */
export interface Optimizer {
  /** 'adam', 'sgd', … — recorded in saved state. */
  readonly name: string
  /** The hyper-parameters with defaults filled in. */
  readonly hyper: Readonly<Record<string, HyperValue>>
  /** The step-size schedule: `stepSize(i)` is the step size of update i. */
  readonly stepSize: Schedule
  /** The per-element rules this optimizer runs (after the gradient rule, if any). */
  readonly rules: readonly Rule[]
  /** Copies the parameter tree into a fresh state (flat float32 buffers, zeroed slots). */
  init<T extends Tree>(params: T): OptState<T>
  /** Applies update `i` (0-based) with gradients shaped like the parameters; in place; returns `state`. */
  update<T extends Tree>(i: number, grads: Tree, state: OptState<T>): OptState<T>
  /** The parameters as a tree of Tensors that are views of the state's flat buffer (no copies). */
  getParams<T extends Tree>(state: OptState<T>): T
  /** PyTorch style: takes over the tensors of `params` (see {@link Trainer}). */
  attach(params: Tree): Trainer
  /** `saveState(state)`: a versioned JSON-safe object. */
  saveState(state: OptState): SavedState
  /** `loadState(json, this, into)`: validates everything, then builds (or fills `into`). */
  loadState<T extends Tree = Tree>(json: SavedState | string, into?: OptState<T>): OptState<T>
  /** Builds an empty state for a tree structure (used by loadState). @internal */
  createState(def: TreeDef, paths: readonly string[]): OptState
  /** The names of the saved per-element arrays ('x' and the slots) and the extra arrays. @internal */
  readonly layout: { readonly slots: readonly string[]; extraSizes(leaves: readonly LeafInfo[]): Record<string, number> }
}

/** A factory made by {@link optimizer}: `adam(1e-3)` etc. Carries its name for tests and tools. */
export type OptimizerFactory<A extends unknown[]> = ((...args: A) => Optimizer) & { readonly optimizerName: string }

/** Sign and decay applied to the raw gradient: g ← sign·grad + λ·x (PyTorch's order). */
function decayedGradient(grad: number, x: number, gradSign: number, weightDecay: number) {
  return gradSign * grad + weightDecay * x
}
const GRADIENT_RULE = rule('g', ['grad', 'x', 'gradSign', 'weightDecay'], decayedGradient)

/**
 * Lifts an optimizer written as data into the JAX triple over parameter trees.
 *
 * `factory` takes the optimizer's hyper-parameters and returns an {@link OptimizerSpec}; the
 * result is a function with the same parameters that returns an {@link Optimizer}.
 *
 * @example
 * function descend(x: number, g: number, lr: number) { return x - lr * g }
 * export const sgd = optimizer('sgd', (stepSize: ScheduleLike) => {
 *   const lr = makeSchedule(stepSize)
 *   return { scalars: (i) => ({ lr: lr(i) }), rules: [rule('x', ['x', 'g', 'lr'], descend)], stepSize: lr, hyper: { stepSize } }
 * })
 * const opt = sgd(0.1)
 * let state = opt.init({ w: tensor([1, 2]) })
 * state = opt.update(0, { w: tensor([1, 1]) }, state)
 * opt.getParams(state)   // { w: tensor([0.9, 1.9]) }
 */
export function optimizer<A extends unknown[]>(name: string, factory: (...args: A) => OptimizerSpec): OptimizerFactory<A> {
  if (typeof name !== 'string' || !name) throw new Error(`optimizer: name must be a non-empty string, got ${String(name)}`)
  if (typeof factory !== 'function') throw new Error(`optimizer '${name}': factory must be a function, got ${typeof factory}`)
  const make = (...args: A): Optimizer => build(name, factory(...args))
  Object.defineProperty(make, 'name', { value: name })
  Object.defineProperty(make, 'optimizerName', { value: name, enumerable: true })
  return make as OptimizerFactory<A>
}

function slotTable(spec: OptimizerSpec): [string, number][] {
  const s = spec.slots ?? []
  if (Array.isArray(s)) return (s as readonly string[]).map((n) => [n, 0])
  return Object.entries(s as Record<string, number>)
}

const RESERVED = new Set(['x', 'g', 'grad'])
/** States with fewer parameters use plain arrays (the JS loop), see createState. */
const SIMD_MIN_SIZE = 256

function build(name: string, spec: OptimizerSpec): Optimizer {
  if (!spec || !Array.isArray(spec.rules)) throw new Error(`optimizer '${name}': the factory must return a spec with a rules array`)
  const slots = slotTable(spec)
  const scratchNames = (spec.scratch ?? []).slice()
  for (const n of [...slots.map(([s]) => s), ...scratchNames]) {
    if (RESERVED.has(n)) throw new Error(`optimizer '${name}': '${n}' is reserved (x: parameters, g: gradient) and cannot be a slot`)
  }
  for (const [s, v] of slots) if (!Number.isFinite(v)) throw new Error(`optimizer '${name}': initial value of slot '${s}' must be finite, got ${v}`)
  const weightDecay = spec.weightDecay ?? 0
  const maximize = spec.maximize ?? false
  if (!Number.isFinite(weightDecay)) throw new Error(`${name}: weightDecay must be a finite number, got ${weightDecay}`)
  const transformGrad = weightDecay !== 0 || maximize
  // With a gradient transform the rules read 'g' from a scratch buffer written by the first rule,
  // so the caller's gradients are never changed.
  const rules: readonly Rule[] = Object.freeze(transformGrad ? [GRADIENT_RULE, ...spec.rules] : spec.rules.slice())
  const scalarsOf: (i: number) => Record<string, number> = spec.scalars ?? (() => ({}))
  const stepSize: Schedule = spec.stepSize ?? (() => NaN)
  const hyper = Object.freeze({ ...(spec.hyper ?? {}) })
  const extra = spec.extra
  const slotNames = slots.map(([s]) => s)

  const createState = (def: TreeDef, paths: readonly string[]): OptState => {
    const leaves: LeafInfo[] = []
    let offset = 0
    const walk = (d: TreeDef) => {
      if (d.kind === 'leaf') {
        const size = sizeOf(d.shape)
        leaves.push({ path: paths[leaves.length] ?? String(leaves.length), shape: d.shape.slice(), offset, size })
        offset += size
      } else d.children.forEach(walk)
    }
    walk(def)
    const size = offset
    const extraSizes = extra ? extra.sizes(leaves) : {}
    const extraNames = Object.keys(extraSizes)
    const names = ['x', 'grad', ...slotNames, ...scratchNames, ...(transformGrad ? ['g'] : [])]
    const lengths = [...names.map(() => size), ...extraNames.map((n) => extraSizes[n])]
    // One allocation for all of a state's arrays: on the CPU backend they then share one
    // WebAssembly memory, which lets it run the rules as a SIMD kernel (src/backends/cpu-simd.ts;
    // same bits as the JS loop, 2× faster from ~1000 parameters). Small states get plain arrays:
    // there SIMD gains nothing, and a WebAssembly memory costs ~50 µs and 64 KiB to make.
    const buffers = size >= SIMD_MIN_SIZE ? allocateFloat32Group(lengths) : lengths.map((n) => new Float32Array(n))
    const byName: Record<string, Float32Array> = {}
    names.forEach((n, k) => (byName[n] = buffers[k]))
    const slotArrays: Record<string, Float32Array> = {}
    for (const [s, v] of slots) {
      slotArrays[s] = byName[s]
      if (v !== 0) byName[s].fill(v)
    }
    const scratch: Record<string, Float32Array> = {}
    for (const s of scratchNames) scratch[s] = byName[s]
    const extraArrays: Record<string, Float32Array> = {}
    extraNames.forEach((n, k) => (extraArrays[n] = buffers[names.length + k]))
    const state = new OptState(name, hyper, def, leaves, size, byName.x, byName.grad, slotArrays, scratch, extraArrays, 0)
    // The gradient rule reads the gathered gradient as 'grad' and writes 'g'; without it the
    // rules read the gathered gradient directly as 'g'.
    if (transformGrad) {
      state.arrays.grad = byName.grad
      state.arrays.g = byName.g
    } else state.arrays.g = byName.grad
    return state
  }

  const checkState = (who: string, state: OptState) => {
    if (!(state instanceof OptState)) throw new Error(`${who}: expected the state returned by ${name}.init (or loadState), got ${describeValue(state)}`)
    if (state.optimizer !== name) throw new Error(`${who}: this state was made by '${state.optimizer}', not '${name}'`)
    for (const s of slotNames) {
      if (!(state.slots[s] instanceof Float32Array)) throw new Error(`${who}: the state has no slot '${s}' (it has ${Object.keys(state.slots).join(', ') || 'none'}): made by ${name} with other options?`)
    }
    if (transformGrad && !state.arrays.g) throw new Error(`${who}: the state was made by ${name} without weightDecay/maximize; make it with this optimizer's init`)
  }

  const opt: Optimizer = {
    name,
    hyper,
    stepSize,
    rules,
    layout: { slots: slotNames, extraSizes: (leaves) => (extra ? extra.sizes(leaves) : {}) },
    createState,

    init<T extends Tree>(params: T): OptState<T> {
      const { leaves, paths, def } = flatten(params)
      const state = createState(def, paths)
      leaves.forEach((t, k) => state.params.set(t.data, state.leaves[k].offset))
      return state as OptState<T>
    },

    update<T extends Tree>(i: number, grads: Tree, state: OptState<T>): OptState<T> {
      const who = `${name}.update`
      if (!Number.isInteger(i) || i < 0) throw new Error(`${who}: the step i must be a non-negative integer (0 for the first update), got ${describeValue(i)}`)
      checkState(who, state)
      const flat = flatten(grads)
      if (!sameTreeDef(state.def, flat.def)) {
        throw new Error(`${who}: the gradient tree does not have the structure of the parameters:\n  parameters ${describeTree(state.def)}\n  gradients  ${describeTree(flat.def)}`)
      }
      // Scalars first: a bad schedule value must fail before anything is written.
      const scalars = scalarsOf(i)
      for (const k in scalars) {
        if (!Number.isFinite(scalars[k])) throw new Error(`${who}: step ${i}: the scalar '${k}' is ${scalars[k]} (a step-size schedule returning a non-finite value?)`)
      }
      if (transformGrad) {
        scalars.gradSign = maximize ? -1 : 1
        scalars.weightDecay = weightDecay
      }
      const g = state.grad
      for (let k = 0; k < flat.leaves.length; k++) {
        const src = flat.leaves[k].data
        const { offset, size } = state.leaves[k]
        // Already a view of the gradient buffer (attach): nothing to copy.
        if (src.buffer === g.buffer && src.byteOffset === g.byteOffset + 4 * offset && src.length === size) continue
        g.set(src, offset)
      }
      const ctx: HookContext | null = extra ? { i, arrays: state.arrays, extra: state.extra, leaves: state.leaves } : null
      if (extra?.before) extra.before(ctx!)
      if (state.size > 0) activeBackend(state.size).elementwise(rules, state.arrays, scalars, state.size)
      if (extra?.after) extra.after(ctx!)
      state.step = i + 1
      return state
    },

    getParams<T extends Tree>(state: OptState<T>): T {
      checkState(`${name}.getParams`, state)
      return unflatten(state.def, state.views) as T
    },

    attach(params: Tree): Trainer {
      return attach(opt, params)
    },

    saveState(state: OptState): SavedState {
      return saveState(state, opt)
    },

    loadState<T extends Tree = Tree>(json: SavedState | string, into?: OptState<T>): OptState<T> {
      return loadState(json, opt, into)
    },
  }
  return Object.freeze(opt)
}

/** The backend for a buffer of this length (src/backends/index.ts: setBackend / 'auto'). */
function activeBackend(length: number): Backend {
  return getActiveBackend(length)
}

// ---------------------------------------------------------------------------------------------
// PyTorch style

/**
 * The PyTorch-style loop made by `opt.attach(params)`: `loss.backward(); train.step(); train.zeroGrad()`.
 *
 * At attach time the optimizer takes over the tensors: each parameter's `data` is re-pointed to
 * its view of the state's flat buffer (values copied first), and each `.grad` to its view of the
 * flat gradient buffer. The model keeps the same Tensor objects; `backward()` accumulates into
 * `.grad` in place, so `step()` runs one fused pass over the flat buffers with no copying at all.
 * (Re-pointing was chosen over copying in and out every step: copying costs two extra passes
 * over memory per step and keeps two versions of the parameters that can drift apart.)
 * If code later replaces a tensor's `data` or `.grad` (or sets `.grad = null`), `step()`
 * notices, copies the values in (a missing gradient counts as zero) and re-points it.
 */
export interface Trainer {
  /** The optimizer this loop runs. */
  readonly optimizer: Optimizer
  /** The tree of tensors that was attached (the same objects). */
  readonly params: Tree
  /** The optimizer state (flat buffers shared with the tensors). */
  readonly state: OptState
  /** Number of steps taken so far (= the `i` of the next step). */
  readonly stepCount: number
  /** The step size the next `step()` uses: `stepSize(stepCount)`. */
  readonly currentStepSize: number
  /** One optimizer step from the tensors' `.grad`; updates the tensors in place. */
  step(): void
  /** Sets every gradient to zero (one fill of the flat gradient buffer). */
  zeroGrad(): void
  /** `saveState(this.state)`. */
  saveState(): SavedState
  /** Validates `json` against this optimizer and tree, then loads it in place (the tensors see the loaded values). */
  loadState(json: SavedState | string): void
}

function attach(opt: Optimizer, params: Tree): Trainer {
  const who = `${opt.name}.attach`
  const { leaves, paths } = flatten(params)
  const seen = new Map<Tensor, string>()
  leaves.forEach((t, k) => {
    if (seen.has(t)) throw new Error(`${who}: the tensor at '${paths[k]}' also appears at '${seen.get(t)}'; pass each parameter once`)
    seen.set(t, paths[k])
    if (t.dtype !== 'float32') {
      throw new Error(`${who}: '${paths[k] || 'params'}' ${fmt(t.shape)} is ${t.dtype}; optimizer state is float32 and attach shares storage with the tensors: convert it first (t.astype('float32'))`)
    }
  })
  const state = opt.init(params)
  const pviews = state.views
  const gviews = state.leaves.map((l) => state.grad.subarray(l.offset, l.offset + l.size))
  // Re-point: the tensors now live in the optimizer's buffers.
  const bind = (k: number) => {
    const t = leaves[k]
    if (t.data !== pviews[k].data) {
      pviews[k].data.set(t.data)
      t.data = pviews[k].data
    }
    const g = t.grad
    if (!g || g.data !== gviews[k]) {
      if (g) gviews[k].set(g.data)
      else gviews[k].fill(0)
      t.grad = new Tensor(gviews[k], t.shape.slice())
    }
  }
  leaves.forEach((_, k) => bind(k))
  state.views = leaves
  const gradTree = () => unflatten(state.def, leaves.map((t) => t.grad!))
  return {
    optimizer: opt,
    params,
    state,
    get stepCount() {
      return state.step
    },
    get currentStepSize() {
      return opt.stepSize(state.step)
    },
    step() {
      for (let k = 0; k < leaves.length; k++) {
        const t = leaves[k]
        if (t.data !== pviews[k].data || !t.grad || t.grad.data !== gviews[k]) bind(k)
      }
      opt.update(state.step, gradTree(), state)
    },
    zeroGrad() {
      state.grad.fill(0)
      for (let k = 0; k < leaves.length; k++) if (!leaves[k].grad || leaves[k].grad!.data !== gviews[k]) bind(k)
    },
    saveState() {
      return saveState(state, opt)
    },
    loadState(json: SavedState | string) {
      loadState(json, opt, state)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Argument checks shared by the optimizer files

/**
 * `x` must be a finite number in [lo, hi) (or [lo, hi] with `closed`); returns it.
 * @example checkRange('adam', 'b1', b1, 0, 1)   // adam: b1 must be a number in [0, 1), got number 1
 */
export function checkRange(who: string, what: string, x: unknown, lo: number, hi: number, closed = false): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || (closed ? x > hi : x >= hi)) {
    const range = `${lo === -Infinity ? '(-∞' : `[${lo}`}, ${hi === Infinity ? '∞)' : `${hi}${closed ? ']' : ')'}`}`
    throw new Error(`${who}: ${what} must be a number in ${range}, got ${describeValue(x)}`)
  }
  return x
}

/**
 * `x` must be a finite number ≥ 0; returns it.
 * @example checkNonNegative('adam', 'eps', eps)
 */
export function checkNonNegative(who: string, what: string, x: unknown): number {
  return checkRange(who, what, x, 0, Infinity)
}

/**
 * A step size must be a finite number or a schedule function; returns it as a schedule.
 * @example const lr = checkStepSize('adam', stepSize); lr(i)
 */
export function checkStepSize(who: string, x: unknown): Schedule {
  if (typeof x !== 'function' && (typeof x !== 'number' || !Number.isFinite(x))) {
    throw new Error(`${who}: stepSize must be a finite number or a schedule (i) => number, got ${describeValue(x)}`)
  }
  return makeSchedule(x as ScheduleLike)
}

/**
 * Merges an options object over its defaults, rejecting names it does not know (so a typo such
 * as `weight_decay` is an error, not a silently ignored option) and values of the wrong type.
 * @example
 * const { weightDecay, amsgrad } = readOptions('adam', options, { weightDecay: 0, amsgrad: false })
 */
export function readOptions<T extends Record<string, number | boolean>>(who: string, given: unknown, defaults: T): T {
  if (given === undefined) return { ...defaults }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new Error(`${who}: options must be an object, got ${describeValue(given)}`)
  const out: Record<string, number | boolean> = { ...defaults }
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    if (!(k in defaults)) throw new Error(`${who}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')})`)
    if (v === undefined) continue
    const want = typeof defaults[k]
    if (typeof v !== want || (want === 'number' && !Number.isFinite(v))) throw new Error(`${who}: option ${k} must be a ${want === 'number' ? 'finite number' : want}, got ${describeValue(v)}`)
    out[k] = v as number | boolean
  }
  return out as T
}
