/**
 * The lifter: turns an optimizer written as data — its arguments by name, per-element rules over
 * numbers, host-side scalars — into the JAX triple `{ init, update, getParams }` over parameter
 * trees, and into a PyTorch-style `attach(params)` loop over tensors with `.grad`.
 *
 * An optimizer file holds only its math (in TSDoc), its defaults, its rules and its scalars:
 *
 *     export const adam = optimizer(
 *       'adam',
 *       (stepSize: ScheduleLike, b1: number = 0.9, …, options?: Options<{ amsgrad: boolean }>) =>
 *         ({ stepSize, b1, …, options }),                               // the arguments by name
 *       ({ b1, b2, amsgrad }) => ({ scalars: (i) => …, rules: [rule('m', ['g', 'm', 'b1'], …), …] }),
 *       { options: { amsgrad: false } },                               // the options' defaults
 *     )
 *
 * The lifter does the rest, for every optimizer:
 * - checks every hyper-parameter by name against one table (hyper-parameters.ts), before
 *   anything is built, and records them (defaults filled in) for saved state;
 * - makes the step-size schedule, and hands the rules `lr` = stepSize(i) and every numeric
 *   hyper-parameter (`b1`, `eps`, …) as scalars of the step, by name;
 * - gives every optimizer the two gradient options of PyTorch, applied in PyTorch's order by a
 *   first rule: `maximize` (g ← −g), then coupled L2 `weightDecay` (g ← g + λ·x). An optimizer
 *   that takes `weightDecay` as a positional hyper-parameter (adamw, lion) applies it itself;
 * - infers the state's slots from the rules' targets, keeps the parameters and every slot in
 *   ONE flat Float32Array each across the whole tree (leaf k at `[offset_k, offset_k + size_k)`
 *   in every buffer), so that a step is one pass of the backend over a few long arrays;
 * - gathers the gradient tree into a flat buffer (skipped where it already is a view of that
 *   buffer, as after `attach`), after checking its structure against the parameters';
 * - computes the scalars once per step on the host and hands rules + arrays + scalars to the
 *   active backend, which runs them in place (cpu: one generated fused loop; gpujs: kernels
 *   compiled from the same rule functions).
 */
import type { Tensor } from '../src/tensor.js'
import { flatten, unflatten, describeTree, sameTreeDef, type Tree } from '../src/tree.js'
import { getActiveBackend } from '../src/backends/index.js'
import { describeValue } from '../src/describe-value.js'
import { fmt } from '../src/nd.js'
import { makeSchedule, type Schedule, type ScheduleLike } from './schedules.js'
import { rule, type Rule, type RuleFn } from './rule.js'
import {
  readHyperParameters,
  GRADIENT_OPTIONS,
  type Constraint,
  type HyperValue,
  type NamedArguments,
  type Options,
  type Resolved,
} from './hyper-parameters.js'
import { OptState, createState, type LeafInfo, type StateLayout } from './opt-state.js'
import { attach, type TrainerOf } from './attach.js'
import type { OptimizerCore } from './optimizer-core.js'

export { rule, OptState }
export type { Rule, RuleFn, ScheduleLike, Options, HyperValue, LeafInfo, StateLayout, OptimizerCore }

// ---------------------------------------------------------------------------------------------
// What an optimizer file writes

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
 * An optimizer's math, as its spec function returns it.
 *
 * Array names the rules may use: `'x'` (parameters), `'g'` (gradient), the slots (every rule
 * target other than `'x'` and the scratch arrays: zero-initialised, saved with the state) and
 * the scratch arrays. Scalar names: `'lr'` (= stepSize(i)), every numeric hyper-parameter by its
 * name, and whatever `scalars(i)` returns (which wins over the first two).
 */
export interface OptimizerSpec {
  /** The per-element rules, run in order at every index; `false` entries are left out, so that
   *  `amsgrad && rule(…)` reads as it means. */
  readonly rules: readonly (Rule | false)[]
  /** Host-side scalars of step i (0-based), computed once per step. All must be finite. */
  readonly scalars?: (i: number) => Record<string, number>
  /** Slots that do not start at 0, with their initial values (`{ sum: 0.1 }`). */
  readonly initialValues?: Readonly<Record<string, number>>
  /** Per-element work arrays rewritten every step: allocated once, never saved. */
  readonly scratch?: readonly string[]
  /** Non-elementwise state and host hooks (SM3). */
  readonly extra?: ExtraSpec
}

/** What an optimizer declares besides its arguments and its math. */
export interface Declarations<D> {
  /** Its own options with their defaults (`weightDecay` and `maximize` are every optimizer's). */
  readonly options?: D
  /** Constraints for hyper-parameters the table does not have, or that differ from it. */
  readonly constraints?: Readonly<Record<string, Constraint>>
}

// ---------------------------------------------------------------------------------------------
// What the lifter returns

/**
 * The JAX triple (plus `attach`) that every optimizer factory returns. State I/O is the pair of
 * functions `saveState(state)` / `loadState(json, opt, into?)` (state-io.ts), not methods, so
 * that an app that never saves state does not bundle it.
 */
export interface Optimizer extends OptimizerCore {
  /** PyTorch style: takes over the tensors of `params` (see {@link Trainer}). */
  attach(params: Tree): Trainer
}

/** The PyTorch-style loop made by `opt.attach(params)` (see attach.ts). */
export type Trainer = TrainerOf<Optimizer>

/**
 * A factory made by {@link optimizer}: `adam(1e-3)` etc. It carries its name, and its math as
 * `spec` (so that another optimizer can build on it, as adamw does on adam).
 */
export type OptimizerFactory<A extends unknown[], S = (hyper: never) => OptimizerSpec> = ((...args: A) => Optimizer) & {
  readonly optimizerName: string
  readonly spec: S
}

/**
 * Lifts an optimizer written as data into the JAX triple over parameter trees.
 *
 * @param name      recorded in saved state and named by every error ('adam')
 * @param args      the factory's signature, with its defaults: returns its arguments by name,
 *                  the options object as given (`({ stepSize, b1, options })`)
 * @param spec      the math: from the checked hyper-parameters (the step size as a schedule,
 *                  every option filled in), the rules and the scalars
 * @param declared  the optimizer's own options with their defaults, and constraints for
 *                  hyper-parameters the table does not have
 * @example
 * import { tensor } from 'tapegrad'
 * import { optimizer, rule, type Options, type ScheduleLike } from 'tapegrad/optimizers'
 *
 * function descend(x: number, g: number, lr: number) { return x - lr * g }
 * const mySgd = optimizer('mySgd', (stepSize: ScheduleLike, options?: Options) => ({ stepSize, options }), () => ({
 *   rules: [rule('x', ['x', 'g', 'lr'], descend)],
 * }))
 * const opt = mySgd(0.1)
 * const state = opt.update(0, { w: tensor([1, 1]) }, opt.init({ w: tensor([1, 2]) }))
 * opt.getParams(state).w.toArray()   // [0.9, 1.9]
 * mySgd(0.1, { weightDecay: -1 })    // throws mySgd: weightDecay must be a number in [0, ∞), got number -1
 */
export function optimizer<
  F extends (...args: never[]) => NamedArguments,
  R extends OptimizerSpec,
  D extends Record<string, HyperValue> = Record<never, never>,
>(
  name: string,
  args: F,
  spec: (hyper: Resolved<ReturnType<F>, D>) => R,
  declared: Declarations<D> = {},
): OptimizerFactory<Parameters<F>, (hyper: Resolved<ReturnType<F>, D>) => R> {
  checkDeclaration(name, args, spec, declared)
  const make = (...given: Parameters<F>): Optimizer => build(name, args(...given), spec as never, declared)
  Object.defineProperty(make, 'name', { value: name })
  Object.defineProperty(make, 'optimizerName', { value: name, enumerable: true })
  Object.defineProperty(make, 'spec', { value: spec, enumerable: true })
  return make as never
}

function checkDeclaration(name: string, args: unknown, spec: unknown, declared: Declarations<unknown>): void {
  if (typeof name !== 'string' || !name) {
    throw new Error(`optimizer: name must be a non-empty string, got ${describeValue(name)}`)
  }
  const who = `optimizer '${name}'`
  if (typeof args !== 'function') {
    throw new Error(`${who}: args must be a function returning the arguments by name, got ${describeValue(args)}`)
  }
  if (typeof spec !== 'function') {
    throw new Error(`${who}: spec must be a function of the hyper-parameters, got ${describeValue(spec)}`)
  }
  for (const common of Object.keys(GRADIENT_OPTIONS)) {
    if (declared.options && common in (declared.options as object)) {
      throw new Error(`${who}: '${common}' is an option of every optimizer (the lifter applies it); do not declare it`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Building an optimizer: named steps, top to bottom

/** Everything `update` needs, decided once per factory call. */
interface Built {
  readonly name: string
  readonly hyper: Readonly<Record<string, HyperValue>>
  readonly stepSize: Schedule
  readonly rules: readonly Rule[]
  readonly layout: StateLayout
  readonly scalarsOf: (i: number) => Record<string, number>
  readonly extra: ExtraSpec | undefined
}

/** One factory call: check the hyper-parameters, run the spec, decide the gradient rule, the
 *  state's arrays and the step's scalars, then assemble the optimizer object. */
function build(
  name: string,
  named: NamedArguments,
  spec: (hyper: object) => OptimizerSpec,
  declared: Declarations<object>,
): Optimizer {
  const hyper = Object.freeze(readHyperParameters(name, named, optionDefaults(named, declared), declared.constraints))
  const stepSize = makeSchedule(hyper.stepSize as ScheduleLike)
  const written = checkSpec(name, spec({ ...hyper, stepSize }))
  const gradient = gradientTransform(named, hyper)
  const rules = Object.freeze(gradient ? [GRADIENT_RULE, ...written.rules] : written.rules)
  const layout = stateLayout(name, written, gradient !== null)
  const scalarsOf = stepScalars(name, hyper, stepSize, rules, written.scalars, gradient, layout)
  return assemble({ name, hyper, stepSize, rules, layout, scalarsOf, extra: written.extra })
}

/** The optimizer's own options, then the two every optimizer has — except a `weightDecay` that
 *  it takes positionally (decoupled decay, applied by its own rules). */
function optionDefaults(named: NamedArguments, declared: Declarations<object>): Record<string, HyperValue> {
  const { weightDecay, maximize } = GRADIENT_OPTIONS
  const own = (declared.options ?? {}) as Record<string, HyperValue>
  return 'weightDecay' in named ? { ...own, maximize } : { ...own, weightDecay, maximize }
}

/** A spec with its `false` rules left out. */
type CheckedSpec = Omit<OptimizerSpec, 'rules'> & { readonly rules: readonly Rule[] }

/** The spec as written, with its rules and names checked; `false` rules left out. */
function checkSpec(name: string, spec: OptimizerSpec): CheckedSpec {
  const who = `optimizer '${name}'`
  if (!spec || !Array.isArray(spec.rules)) {
    throw new Error(`${who}: the spec must have a rules array, got ${describeValue(spec)}`)
  }
  spec.rules.forEach((r, k) => {
    if (r !== false && (!r || typeof r.fn !== 'function')) {
      throw new Error(`${who}: rules[${k}] must be made by rule() (or be false), got ${describeValue(r)}`)
    }
  })
  const rules = spec.rules.filter((r): r is Rule => r !== false)
  if (spec.scalars !== undefined && typeof spec.scalars !== 'function') {
    throw new Error(`${who}: scalars must be a function of the step i, got ${describeValue(spec.scalars)}`)
  }
  return { ...spec, rules }
}

/** The scalars of the lifter's first rule, or null when the gradient is used as it is. */
function gradientTransform(named: NamedArguments, hyper: Readonly<Record<string, HyperValue>>) {
  const coupledWeightDecay = 'weightDecay' in named ? 0 : (hyper.weightDecay as number)
  const gradientSign = hyper.maximize ? -1 : 1
  return coupledWeightDecay === 0 && gradientSign === 1 ? null : { gradientSign, coupledWeightDecay }
}

/** g ← sign·grad + λ·x: `maximize`, then coupled weight decay (PyTorch's order). */
function decayedGradient(grad: number, x: number, gradientSign: number, coupledWeightDecay: number) {
  return gradientSign * grad + coupledWeightDecay * x
}
const GRADIENT_RULE = rule('g', ['grad', 'x', 'gradientSign', 'coupledWeightDecay'], decayedGradient)

const RESERVED = new Set(['x', 'g', 'grad'])

/** The state's arrays: the slots are the rules' targets other than 'x' and the scratch arrays. */
function stateLayout(name: string, spec: CheckedSpec, transformsGradient: boolean): StateLayout {
  const who = `optimizer '${name}'`
  const scratch = (spec.scratch ?? []).slice()
  const targets = [...new Set(spec.rules.map((r) => r.target))]
  const slots = targets.filter((t) => t !== 'x' && !scratch.includes(t))
  for (const n of [...slots, ...scratch]) {
    if (RESERVED.has(n)) {
      throw new Error(`${who}: '${n}' is reserved (x: parameters, g: gradient) and cannot be a slot or a scratch array`)
    }
  }
  const initialValues = { ...(spec.initialValues ?? {}) }
  for (const [s, v] of Object.entries(initialValues)) {
    if (!slots.includes(s)) {
      throw new Error(`${who}: initialValues names '${s}', which no rule writes (slots: ${slots.join(', ') || 'none'})`)
    }
    if (!Number.isFinite(v)) {
      throw new Error(`${who}: the initial value of slot '${s}' must be finite, got ${describeValue(v)}`)
    }
  }
  const extra = spec.extra
  const extraSizes = (leaves: readonly LeafInfo[]) => (extra ? extra.sizes(leaves) : {})
  return Object.freeze({ slots, initialValues, scratch, extraSizes, transformsGradient })
}

/** The scalars of step i: `lr`, the numeric hyper-parameters, the spec's own, the gradient rule's. */
function stepScalars(
  name: string,
  hyper: Readonly<Record<string, HyperValue>>,
  stepSize: Schedule,
  rules: readonly Rule[],
  own: ((i: number) => Record<string, number>) | undefined,
  gradient: Record<string, number> | null,
  layout: StateLayout,
): (i: number) => Record<string, number> {
  // Only the names some rule reads: the backend gets exactly the scalars the rules use.
  const read = new Set(rules.flatMap((r) => r.args))
  const constants: Record<string, number> = {}
  for (const [k, v] of Object.entries(hyper)) {
    if (typeof v === 'number' && k !== 'stepSize' && read.has(k)) constants[k] = v
  }
  const arrays = ['x', 'g', 'grad', ...layout.slots, ...layout.scratch]
  for (const k of [...(read.has('lr') ? ['lr'] : []), ...Object.keys(constants)]) {
    if (arrays.includes(k)) {
      throw new Error(`optimizer '${name}': '${k}' is both a scalar of the step and an array; rename the slot`)
    }
  }
  const withLr = read.has('lr')
  // Called every step: plain assignments, not object spreads (which cost more than the rules
  // themselves on a small net).
  return (i) => {
    const scalars: Record<string, number> = withLr ? { lr: stepSize(i) } : {}
    for (const k in constants) scalars[k] = constants[k]
    if (own) Object.assign(scalars, own(i))
    if (gradient) Object.assign(scalars, gradient)
    return scalars
  }
}

// ---------------------------------------------------------------------------------------------
// The optimizer object

function assemble(built: Built): Optimizer {
  const { name, hyper, stepSize, rules, layout } = built
  const opt: Optimizer = {
    name,
    hyper,
    stepSize,
    rules,
    layout,
    createState: (def, paths) => createState(name, hyper, layout, def, paths),
    init<T extends Tree>(params: T): OptState<T> {
      const { leaves, paths, def } = flatten(params)
      refuseIntegers(`${name}.init`, 'parameter', leaves, paths)
      const state = opt.createState(def, paths)
      leaves.forEach((t, k) => state.params.set(t.data, state.leaves[k].offset))
      return state as OptState<T>
    },
    update<T extends Tree>(i: number, grads: Tree, state: OptState<T>): OptState<T> {
      const who = `${name}.update`
      checkStep(who, i)
      checkState(who, built, state)
      return updateState(who, built, i, gradientLeaves(who, state, grads), state)
    },
    updateLeaves(i, gradients, state) {
      const who = `${name}.update`
      checkStep(who, i)
      checkState(who, built, state)
      if (gradients.length !== state.leaves.length) {
        throw new Error(`${who}: ${gradients.length} gradient leaves for ${state.leaves.length} parameters`)
      }
      updateState(who, built, i, gradients, state)
    },
    getParams<T extends Tree>(state: OptState<T>): T {
      checkState(`${name}.getParams`, built, state)
      return unflatten(state.def, state.views) as T
    },
    attach: (params) => attach(opt, params),
  }
  return Object.freeze(opt)
}

/** The step index of an update: 0, 1, 2, … */
function checkStep(who: string, i: number): void {
  if (!Number.isInteger(i) || i < 0) {
    const expected = 'a non-negative integer (0 for the first update)'
    throw new Error(`${who}: the step i must be ${expected}, got ${describeValue(i)}`)
  }
}

/** One update, in place, of a checked state with checked gradient leaves: the last check (the
 *  step's scalars) first, then the writes. */
function updateState<T extends Tree>(
  who: string,
  built: Built,
  i: number,
  gradients: readonly Tensor[],
  state: OptState<T>,
): OptState<T> {
  const scalars = scalarsAt(who, built, i) // a bad schedule value must fail before anything is written
  gatherGradient(state, gradients)
  runRules(built, state, i, scalars)
  state.step = i + 1
  // The parameters changed in place: a graph recorded before this step can no longer be
  // differentiated (backward says so rather than use the new values; see src/saved-values.ts).
  for (const t of state.views) t.markModified()
  return state
}

/** The state must come from this optimizer's init (or loadState), with the arrays its options need. */
function checkState(who: string, built: Built, state: OptState): void {
  const { name, layout } = built
  if (!(state instanceof OptState)) {
    throw new Error(`${who}: expected the state returned by ${name}.init (or loadState), got ${describeValue(state)}`)
  }
  if (state.optimizer !== name) throw new Error(`${who}: this state was made by '${state.optimizer}', not '${name}'`)
  for (const s of layout.slots) {
    if (!(state.slots[s] instanceof Float32Array)) {
      const has = Object.keys(state.slots).join(', ') || 'none'
      throw new Error(`${who}: the state has no slot '${s}' (it has ${has}): made by ${name} with other options?`)
    }
  }
  if (layout.transformsGradient && state.arrays.g === state.grad) {
    const fix = "make it with this optimizer's init"
    throw new Error(`${who}: the state was made by ${name} without weightDecay/maximize; ${fix}`)
  }
}

/** The leaves of the gradient tree, which must have the structure of the parameters. */
function gradientLeaves(who: string, state: OptState, grads: Tree): readonly Tensor[] {
  const flat = flatten(grads)
  if (!sameTreeDef(state.def, flat.def)) {
    const both = `  parameters ${describeTree(state.def)}\n  gradients  ${describeTree(flat.def)}`
    throw new Error(`${who}: the gradient tree does not have the structure of the parameters:\n${both}`)
  }
  refuseIntegers(who, 'gradient', flat.leaves, flat.paths)
  return flat.leaves
}

/** Parameters and gradients are real: an int32 leaf is a mistake (labels passed as a gradient?),
 *  which the float32 state would otherwise take in silently. */
function refuseIntegers(who: string, what: string, leaves: readonly Tensor[], paths: readonly string[]): void {
  const k = leaves.findIndex((t) => t.dtype === 'int32')
  if (k < 0) return
  const where = paths[k] ? ` '${paths[k]}'` : ''
  const fix = `${what}s must be float tensors (convert it with .astype('float32'))`
  throw new Error(`${who}: the ${what}${where} ${fmt(leaves[k].shape)} is int32; ${fix}`)
}

/** The step's scalars, every one finite. */
function scalarsAt(who: string, built: Built, i: number): Record<string, number> {
  const scalars = built.scalarsOf(i)
  for (const k in scalars) {
    if (!Number.isFinite(scalars[k])) {
      const hint = '(a step-size schedule returning a non-finite value?)'
      throw new Error(`${who}: step ${i}: the scalar '${k}' is ${scalars[k]} ${hint}`)
    }
  }
  return scalars
}

/** Copies each gradient leaf into the flat gradient buffer, unless it already is its view (attach). */
function gatherGradient(state: OptState, gradients: readonly Tensor[]): void {
  const g = state.grad
  for (let k = 0; k < gradients.length; k++) {
    const src = gradients[k].data
    const { offset, size } = state.leaves[k]
    if (src.buffer === g.buffer && src.byteOffset === g.byteOffset + 4 * offset && src.length === size) continue
    g.set(src, offset)
  }
}

/** The host hooks around the rules, and the rules on the backend for this state's size. */
function runRules(built: Built, state: OptState, i: number, scalars: Record<string, number>): void {
  const { extra } = built
  const ctx: HookContext = { i, arrays: state.arrays, extra: state.extra, leaves: state.leaves }
  extra?.before?.(ctx)
  // src/backends/index.ts: setBackend / 'auto' decide which backend runs a buffer of this length.
  if (state.size > 0) getActiveBackend(state.size).elementwise(built.rules, state.arrays, scalars, state.size)
  extra?.after?.(ctx)
}
