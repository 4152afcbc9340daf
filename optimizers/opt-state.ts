/**
 * An optimizer's state as plain data: the parameters and every slot as one flat Float32Array
 * each across the whole parameter tree, the tree's structure, and the step count.
 */
import { Tensor } from '../src/tensor.js'
import type { Tree, TreeDef } from '../src/tree.js'
import { sizeOf } from '../src/nd.js'
import { allocateFloat32Group } from '../src/backends/cpu.js'
import type { HyperValue } from './hyper-parameters.js'

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

/** Which arrays an optimizer's state holds besides the parameters and the gradient. */
export interface StateLayout {
  /** The per-element slots, saved with the state, in order ('m', 'v', …). */
  readonly slots: readonly string[]
  /** Initial values of the slots that do not start at 0 (Adagrad's `{ sum: 0.1 }`). */
  readonly initialValues: Readonly<Record<string, number>>
  /** Per-element work arrays rewritten every step (not saved). */
  readonly scratch: readonly string[]
  /** Non-elementwise arrays (SM3's per-axis accumulators) and their lengths for a tree. */
  extraSizes(leaves: readonly LeafInfo[]): Record<string, number>
  /** Whether the rules read a transformed gradient 'g' (maximize / weightDecay), written from
   *  the gathered gradient 'grad' by the lifter's first rule. */
  readonly transformsGradient: boolean
}

/**
 * An optimizer's state: plain data. The parameters and every slot are one flat Float32Array
 * each across the whole tree; `def` and `leaves` say where each tensor of the tree lives.
 * `update` changes it in place. `saveState`/`loadState` (state-io.ts) turn it into JSON and back.
 * @example
 * import { zeros } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 *
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
  /** The arrays handed to the backend, built once per state. */
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
    /** The gradient the rules read as 'g': `grad` itself, or the transformed copy. */
    ruleGradient: Float32Array = grad,
  ) {
    this.views = leaves.map((l) => new Tensor(params.subarray(l.offset, l.offset + l.size), l.shape.slice()))
    this.arrays = { x: params, ...slots, ...scratch, g: ruleGradient }
    // The lifter's gradient rule reads the gathered gradient as 'grad' and writes 'g'.
    if (ruleGradient !== grad) this.arrays.grad = grad
  }
}

/** States with fewer parameters use plain arrays (the JS loop), see {@link createState}. */
const SIMD_MIN_SIZE = 256

/**
 * A zeroed state (slots at their initial values) for a tree of this structure: every array
 * allocated, nothing copied in.
 * @example
 * import { zeros } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { flatten } from './src/tree'                  // internal, as createState
 * import { createState } from './optimizers/opt-state'
 *
 * const opt = adam(1e-3)
 * const { def, paths } = flatten({ w: zeros([2, 3]) })
 * createState('adam', opt.hyper, opt.layout, def, paths).slots.m.length   // 6
 */
export function createState(
  optimizer: string,
  hyper: Readonly<Record<string, HyperValue>>,
  layout: StateLayout,
  def: TreeDef,
  paths: readonly string[],
): OptState {
  const leaves = leavesOf(def, paths)
  const size = leaves.reduce((n, l) => n + l.size, 0)
  const extraSizes = layout.extraSizes(leaves)
  const perElement = ['x', 'grad', ...layout.slots, ...layout.scratch, ...(layout.transformsGradient ? ['g'] : [])]
  const extraNames = Object.keys(extraSizes)
  const buffers = allocate([...perElement.map(() => size), ...extraNames.map((n) => extraSizes[n])], size)
  const byName: Record<string, Float32Array> = {}
  perElement.forEach((n, k) => (byName[n] = buffers[k]))
  for (const [s, v] of Object.entries(layout.initialValues)) if (v !== 0) byName[s].fill(v)
  const pick = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, byName[n]]))
  const extra = Object.fromEntries(extraNames.map((n, k) => [n, buffers[perElement.length + k]]))
  const slots = pick(layout.slots)
  const scratch = pick(layout.scratch)
  const ruleGradient = byName.g ?? byName.grad
  const { x, grad } = byName
  return new OptState(optimizer, hyper, def, leaves, size, x, grad, slots, scratch, extra, 0, ruleGradient)
}

/** The leaves of a tree structure, laid out one after the other. */
function leavesOf(def: TreeDef, paths: readonly string[]): LeafInfo[] {
  const leaves: LeafInfo[] = []
  let offset = 0
  const walk = (d: TreeDef) => {
    if (d.kind !== 'leaf') return d.children.forEach(walk)
    const size = sizeOf(d.shape)
    leaves.push({ path: paths[leaves.length] ?? String(leaves.length), shape: d.shape.slice(), offset, size })
    offset += size
  }
  walk(def)
  return leaves
}

/**
 * One allocation for all of a state's arrays: on the CPU backend they then share one WebAssembly
 * memory, which lets it run the rules as a SIMD kernel (src/backends/cpu-simd.ts; same bits as
 * the JS loop, 2× faster from ~1000 parameters). Small states get plain arrays: there SIMD gains
 * nothing, and a WebAssembly memory costs ~50 µs and 64 KiB to make.
 */
function allocate(lengths: number[], size: number): Float32Array[] {
  return size >= SIMD_MIN_SIZE ? allocateFloat32Group(lengths) : lengths.map((n) => new Float32Array(n))
}
