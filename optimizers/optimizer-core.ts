/**
 * What state I/O and `attach` need of an optimizer: the JAX triple, its name, hyper-parameters,
 * schedule, rules and state layout. `Optimizer` (optimizer.ts) adds the methods built on top of
 * these (`attach`, `saveState`, `loadState`); keeping the core apart lets attach.ts and
 * state-io.ts depend on it without depending back on the lifter that uses them.
 */
import type { Rule } from '../src/backends/backend.js'
import type { Tensor } from '../src/tensor.js'
import type { Tree, TreeDef } from '../src/tree.js'
import type { HyperValue } from './hyper-parameters.js'
import type { OptState, StateLayout } from './opt-state.js'
import type { Schedule } from './schedules.js'

/** The JAX triple and the description of an optimizer, as the lifter makes it. */
export interface OptimizerCore {
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
  /**
   * `update` with the gradient leaves already listed in the parameters' order, each of its
   * parameter's shape: attach's per-step path, whose leaves are the state's own views, so the
   * tree walk and structure check of `update` would only re-prove what attach built. @internal
   */
  updateLeaves(i: number, gradients: readonly Tensor[], state: OptState): void
  /** The parameters as a tree of Tensors that are views of the state's flat buffer (no copies). */
  getParams<T extends Tree>(state: OptState<T>): T
  /** Builds an empty state for a tree structure (used by loadState). @internal */
  createState(def: TreeDef, paths: readonly string[]): OptState
  /** Which arrays the state holds (used by loadState). @internal */
  readonly layout: StateLayout
}
