/**
 * A readable view of a tape, for teaching and debugging: `tapeOf(loss)` lists the recorded ops
 * that produced a tensor, prints them, and can replay the backward pass one entry at a time.
 */
import { fmt } from './nd.js'
import { noGrad, type Entry } from './recording.js'
import { add } from './ops/elementwise.js'
import { collect, sumToShape } from './tape.js'
import { Tensor } from './tensor.js'

/** One recorded op application, as `tapeOf` shows it. */
export interface TapeEntry {
  /** Position on the tape (recording order). */
  readonly id: number
  /** The op's name ('mul', 'matmul', …). */
  readonly op: string
  /** The input tensors. */
  readonly inputs: readonly Tensor[]
  /** The output tensor. */
  readonly output: Tensor
  /** The op's non-tensor attributes (an exponent, the reduced axes, …), or undefined. */
  readonly attrs: unknown
}

/** What one step of {@link BackwardSteps.next} did. */
export interface BackwardStep {
  /** The entry whose backward rule ran. */
  readonly entry: TapeEntry
  /** The gradient it sent to each input (null for an input that takes none). */
  readonly inputGrads: readonly (Tensor | null)[]
}

/** The backward pass, one entry at a time (see {@link Tape.backwardSteps}). */
export interface BackwardSteps {
  /** Runs the newest entry not yet processed; null once every entry has run. */
  next(): BackwardStep | null
  /** ∂root/∂t accumulated so far for a tensor on the tape (null while nothing has arrived). */
  gradient(t: Tensor): Tensor | null
  /** Whether every entry has been processed. */
  readonly done: boolean
}

/** A printable, steppable view of the tape that produced a tensor (see `tapeOf`). */
export class Tape {
  /** The entries, oldest first. */
  readonly entries: readonly TapeEntry[]
  private readonly raw: readonly Entry[]

  constructor(
    readonly root: Tensor,
    raw: readonly Entry[],
  ) {
    this.raw = raw
    this.entries = raw.map((e) => ({ id: e.id, op: e.op.name, inputs: e.inputs, output: e.out, attrs: e.attrs }))
  }

  /** One line per recorded op, oldest first: `%id = op(inputs) -> output shape`. */
  toString(): string {
    const ids = new Map<Tensor, string>()
    const lines: string[] = []
    const name = (t: Tensor) => ids.get(t) ?? (t.label ? `${t.label}${fmt(t.shape)}` : `leaf${fmt(t.shape)}`)
    for (const e of this.entries) {
      ids.set(e.output, `%${e.id}`)
      lines.push(`%${e.id} = ${e.op}(${e.inputs.map(name).join(', ')}) -> ${fmt(e.output.shape)}`)
    }
    return lines.join('\n')
  }

  /**
   * Replays reverse mode from the root (seed 1; the root must have one element), one entry per
   * `next()`, newest first, with the same rules `backward()` uses — so the gradients it ends with
   * are `backward()`'s. It writes no `.grad` and frees nothing.
   * @example
   * import { tensor, tapeOf } from 'tapegrad'
   * const x = tensor(3, { requiresGrad: true })
   * const steps = tapeOf(x.mul(x).add(x)).backwardSteps()
   * while (steps.next()) {}
   * // d/dx (x² + x) = 2x + 1
   * steps.gradient(x)!.item() // 7
   */
  backwardSteps(): BackwardSteps {
    const root = this.root
    if (root.size !== 1) throw new Error(`backwardSteps: the root must have one element, got shape ${fmt(root.shape)}`)
    const raw = this.raw
    const views = this.entries
    const grads = new Map<Tensor, Tensor>([[root, Tensor.full(root.shape, 1, root.dtype)]])
    let k = raw.length - 1
    return {
      next() {
        for (; k >= 0; k--) {
          const e = raw[k]
          const g = grads.get(e.out)
          if (g === undefined) continue
          // The rule a first-order backward() runs, so the gradients are backward()'s, bit for bit.
          const rule = e.op.fastBackward ?? e.op.backward
          const inputGrads = noGrad(() => rule(g, e.inputs, e.out, e.attrs))
          e.inputs.forEach((x, i) => {
            const gi = inputGrads[i]
            if (!gi || !x.requiresGrad) return
            const s = noGrad(() => sumToShape(e.op.name, gi, x.shape))
            const prev = grads.get(x)
            grads.set(x, prev === undefined ? s : noGrad(() => add(prev, s)))
          })
          return { entry: views[k--], inputGrads }
        }
        return null
      },
      gradient(t: Tensor) {
        return grads.get(t) ?? null
      },
      get done() {
        for (let j = k; j >= 0; j--) if (grads.has(raw[j].out)) return false
        return true
      },
    }
  }
}

/**
 * The tape entries that produced `t`, oldest first — for teaching and debugging.
 * @example
 * import { tensor, tapeOf } from 'tapegrad'
 * const x = tensor([1, 2], { requiresGrad: true })
 * const text = tapeOf(x.mul(x).sum()).toString()
 * text.replace(/%\d+/g, '%n') // '%n = mul(leaf[2], leaf[2]) -> [2]\n%n = sum(%n) -> []'
 */
export function tapeOf(t: Tensor): Tape {
  return new Tape(t, collect(t, 'tapeOf', null, 0))
}
