/**
 * Forward mode's bookkeeping: which `jvp` calls are running and the tangent each of them attached
 * to each tensor.
 *
 * A running `jvp` is a *level*. Each level keeps its own map tensor → tangent, so the tangents of
 * two nested `jvp`s never mix: in d/dx [x · d/dy (x + y)] the inner level sees y's tangent and not
 * x's, which is what keeps forward mode free of "perturbation confusion" (Siskind & Pearlmutter,
 * 2005). Levels are numbered outermost first. While an op computes its tangent for level L, only
 * the levels outside L are visible: the ops of the tangent rule then carry the outer levels'
 * tangents (that is how a jvp of a jvp gets second derivatives) and never start a level-L tangent
 * of their own (which would recurse without end).
 */
import type { Tensor } from './tensor.js'

/** One running `jvp`: the tangents it has attached to tensors. */
export class Level {
  /** Tangents by tensor; weak, so that intermediate values can be collected. */
  readonly tangents = new WeakMap<Tensor, Tensor>()
  constructor(
    /** Position in the stack of running levels (0 is the outermost). */
    readonly depth: number,
  ) {}
}

const levels: Level[] = []
/** How many levels (from the outermost) the running op may see. */
let visible = 0

/** Whether any forward-mode level is visible to the ops running now (one load per op when not). */
export function forwardActive(): boolean {
  return visible > 0
}

/** The number of levels visible now; `levelAt(i)` for i below it. */
export function visibleLevels(): number {
  return visible
}

/** The i-th running level (0 is the outermost). */
export function levelAt(i: number): Level {
  return levels[i]
}

/** Starts a new innermost level (for `jvp`). */
export function enterLevel(): Level {
  if (visible !== levels.length) {
    throw new Error("jvp: cannot start a forward-mode level inside an op's tangent rule")
  }
  const level = new Level(levels.length)
  levels.push(level)
  visible = levels.length
  return level
}

/** Ends the innermost level, which must be `level`. */
export function exitLevel(level: Level): void {
  if (levels[levels.length - 1] !== level) throw new Error('jvp: forward-mode levels ended out of order')
  levels.pop()
  visible = levels.length
}

/**
 * Runs `fn` (an op's tangent rule for level `depth`) with only the levels outside `depth` visible.
 */
export function outsideLevel<T>(depth: number, fn: () => T): T {
  const prev = visible
  visible = depth
  try {
    return fn()
  } finally {
    visible = prev
  }
}
