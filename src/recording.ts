/**
 * Recording: what the engine writes on the tape while ops run forward, and the switches that
 * control it.
 *
 * Every op applied to a tensor that needs a gradient appends an `Entry` — the op, its inputs, its
 * attributes, its output — numbered in recording order. Since an op's inputs always exist before
 * it runs, an entry's number is larger than the numbers of the entries that made its inputs: the
 * numbering is a topological order of the graph, which is what lets `backward` (src/tape.ts) walk
 * it newest to oldest without recursion.
 */
import { tick } from './clock.js'
import type { OpDef } from './op-rules.js'
import type { Tensor, TapeLink } from './tensor.js'

/** Whether ops record onto the tape (false inside `noGrad`, and during a first-order backward). */
export const recording = { enabled: true }

/** Debug switches (see `setDebug`). */
export const debugState = { checkFinite: false, checkInPlace: false }

/**
 * How many `grad`/`valueAndGrad`/`vjp` evaluations are running right now. While one is, a
 * gradient computed inside it may itself be differentiated by it, so inner backward passes record
 * their own work (they create the graph) — the rule that makes `grad(grad(f))` exact.
 */
export const transforms = { depth: 0 }

/** One recorded op application: `out = op(inputs; attrs)`. */
export class Entry implements TapeLink {
  /**
   * Position on the tape (recording order): a tick of the engine's clock (src/clock.ts), so that
   * `x.version > id` says that a saved tensor x changed after this op was recorded.
   */
  readonly id = tick()
  /** Set when a backward pass without `retainGraph` went through this entry. */
  freed = false
  /** Scratch mark of graph walks (a pass stamp), instead of a Set per walk. */
  visit = 0
  /** Scratch mark: the pass stamp of the last gradient computation that needed this entry. */
  needed = 0
  constructor(
    /** The op's rules. */
    readonly op: OpDef<any>,
    /** The input tensors (emptied when the graph is freed). */
    public inputs: Tensor[],
    /** The op's non-tensor attributes (axis, exponent, …). */
    public attrs: unknown,
    /** The output tensor. */
    readonly out: Tensor,
  ) {}
}

/** The entry that produced `t`, or null for a leaf or a constant. */
export function entryOf(t: Tensor): Entry | null {
  return t.entry as Entry | null
}

/** Records `out = op(inputs)` on the tape; called by `defineOp` when an input needs a gradient. */
export function record(op: OpDef<any>, inputs: Tensor[], attrs: unknown, out: Tensor): void {
  out.requiresGrad = true
  out.entry = new Entry(op, inputs, attrs, out)
}

/**
 * Runs `fn` without recording: tensors created inside do not require gradients. (Forward-mode
 * tangents still flow: use `detach()` to cut a value off from both modes.)
 * @example
 * import { tensor, noGrad } from 'tapegrad'
 * const w = tensor([1, 2], { requiresGrad: true })
 * noGrad(() => w.mul(2)).requiresGrad // false
 * w.mul(2).requiresGrad // true
 */
export function noGrad<T>(fn: () => T): T {
  const prev = recording.enabled
  recording.enabled = false
  try {
    return fn()
  } finally {
    recording.enabled = prev
  }
}

/** Options of `setDebug`: each switch left out keeps its setting. */
export interface DebugOptions {
  /** Throw, naming the op, as soon as an op turns finite inputs into NaN or ±Inf. */
  checkFinite?: boolean
  /** Throw in backward when a value an op saved was changed in place after it was recorded. */
  checkInPlace?: boolean
}

/**
 * Turns on debugging aids, each off by default because it costs a pass over every op's data.
 * - `checkFinite: true` makes every op check its output and throw, naming the op and the shapes,
 *   as soon as one turns NaN or ±Inf from finite inputs (forward and backward).
 * - `checkInPlace: true` fingerprints every tensor an op saves (its inputs and output) when the
 *   op is recorded, and `backward` compares the fingerprints before using them: it then also
 *   catches writes into `.data` element by element that nobody declared with `markModified()`.
 *   (Without it, `backward` already refuses tensors whose `version` moved: every library
 *   mutator moves it.)
 * @example
 * import { setDebug, tensor, log } from 'tapegrad'
 * log(tensor([0])) // [-Infinity]
 * setDebug({ checkFinite: true })
 * log(tensor([0])) // throws log (forward): produced -Infinity at flat index 0
 * setDebug({ checkFinite: false })
 * @example
 * import { setDebug, tensor } from 'tapegrad'
 * setDebug({ checkInPlace: true })
 * const w = tensor([3, 4], { requiresGrad: true })
 * const y = w.mul(2).sum()
 * w.data[0] = 5
 * y.backward() // throws backward: 'mul'
 * setDebug({ checkInPlace: false })
 */
export function setDebug(options: DebugOptions): void {
  if (options === null || typeof options !== 'object') {
    const got = options === null ? 'null' : typeof options
    throw new Error(`setDebug: expected an object such as { checkFinite: true }, got ${got}`)
  }
  for (const key of Object.keys(options) as (keyof DebugOptions)[]) {
    if (key !== 'checkFinite' && key !== 'checkInPlace') {
      throw new Error(`setDebug: unknown option '${key}' (the options are checkFinite and checkInPlace)`)
    }
    const on = options[key]
    if (on === undefined) continue
    if (typeof on !== 'boolean') throw new Error(`setDebug: ${key} must be true or false, got ${typeof on}`)
    debugState[key] = on
  }
}
