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
import type { OpDef } from './op-rules.js'
import type { Tensor, TapeLink } from './tensor.js'

/** Whether ops record onto the tape (false inside `noGrad`, and during a first-order backward). */
export const recording = { enabled: true }

/** Debug switches (see `setDebug`). */
export const debugState = { checkFinite: false }

/**
 * How many `grad`/`valueAndGrad`/`vjp` evaluations are running right now. While one is, a
 * gradient computed inside it may itself be differentiated by it, so inner backward passes record
 * their own work (they create the graph) — the rule that makes `grad(grad(f))` exact.
 */
export const transforms = { depth: 0 }

let nextId = 0

/** One recorded op application: `out = op(inputs; attrs)`. */
export class Entry implements TapeLink {
  /** Position on the tape (recording order). */
  readonly id = nextId++
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
 * const w = tensor([1, 2], { requiresGrad: true })
 * noGrad(() => w.mul(2)).requiresGrad // false
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

/**
 * Turns on debugging aids. `checkFinite: true` makes every op check its output and throw,
 * naming the op and the shapes, as soon as one turns NaN or ±Inf from finite inputs (forward and
 * backward). It costs a scan per op, so it is off by default.
 * @example
 * setDebug({ checkFinite: true })
 * // log(tensor([0])) now throws: log (forward): produced -Infinity at flat index 0 …
 * setDebug({ checkFinite: false })
 */
export function setDebug(options: { checkFinite?: boolean }): void {
  if (options.checkFinite !== undefined) debugState.checkFinite = options.checkFinite
}
