/**
 * The tape walk: reverse mode.
 *
 * Every op applied to a tensor that needs a gradient left an entry on the tape (recording.ts).
 * `backward()` collects the entries that led to the loss and visits them from the newest to the
 * oldest: an op's inputs were always created before it, so that order meets every output before
 * its inputs — a reverse topological order, with no recursion, so a chain of 10⁵ ops cannot
 * overflow the stack. At each entry the op's backward rule turns ∂L/∂out into ∂L/∂inputs, which
 * are added to the inputs' pending gradients; leaves that require a gradient end up with `.grad`.
 * That is the whole algorithm, in `sweep` below — micrograd's `backward`, with the topological
 * sort replaced by the tape's numbering.
 *
 * Two ways to add gradients up:
 * - first order (the default): in place, reusing buffers (grad-buffers.ts), with each op's fused
 *   `fastBackward` where it has one;
 * - creating the graph (`createGraph: true`, or inside `grad`/`valueAndGrad`, or while a `jvp`
 *   runs): with recorded, differentiable ops, so that the gradients are themselves on the tape
 *   and can be differentiated again.
 */
import { describeValue } from './describe-value.js'
import { fmt, sameShape } from './nd.js'
import { add } from './ops/elementwise.js'
import { sum } from './ops/reduce.js'
import { reshape } from './ops/shape.js'
import { forwardActive } from './forward.js'
import { inPlaceSums, type GradientSums } from './grad-buffers.js'
import { entryOf, recording, transforms, type Entry } from './recording.js'
import { checkSaved } from './saved-values.js'
import { Tensor } from './tensor.js'
import { flatten, type Tree } from './tree.js'

/** Options of `backward`. */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (default: `createGraph`). */
  retainGraph?: boolean
  /**
   * Record the backward pass itself, so that the `.grad` tensors require gradients and can be
   * differentiated again (PyTorch's `create_graph`). Default: false, except inside a running
   * `grad`/`valueAndGrad`/`vjp`, whose result might be differentiated.
   */
  createGraph?: boolean
}

let visitStamp = 0

/**
 * The walk itself. `entries` are oldest first; `needs(x)` says whether input x wants a gradient;
 * `differentiable` selects the rules (and the sums) that can be differentiated again.
 */
// The signature in two lines, so that the walk reads as one screen:
// prettier-ignore
function sweep(who: string, entries: Entry[], root: Tensor, seed: Tensor, seedOwned: boolean,
  sums: GradientSums, needs: (x: Tensor) => boolean, differentiable: boolean): void {
  sums.begin(root, seed, seedOwned)
  for (let k = entries.length - 1; k >= 0; k--) {
    const e = entries[k]
    const g = sums.take(e.out) // ∂L/∂out, complete: every use of out is newer than e
    if (g === null) continue // out does not lead to the root
    checkSaved(who, e) // the rule reads e's inputs and output: they must be what the op saw
    const rule = differentiable || e.op.fastBackward === undefined ? e.op.backward : e.op.fastBackward
    const grads = rule(g, e.inputs, e.out, e.attrs) // ∂L/∂input for each input (chain rule)
    for (let i = 0; i < e.inputs.length; i++) {
      const x = e.inputs[i]
      const gi = grads[i]
      if (gi && needs(x)) sums.add(e.op.name, x, gi, e.inputs) // x.pending += gi
    }
    sums.afterEntry()
  }
}

/**
 * Reverse-mode sweep from `root`: fills `.grad` of every leaf with `requiresGrad` that `root`
 * depends on, adding to what is there (like PyTorch; clear it with `zeroGrad`). For a non-scalar
 * `root` pass the cotangent v (same shape): leaves get vᵀ·∂root/∂leaf. Accepts
 * `backward(root, options)` as well as `backward(root, cotangent, options)`.
 * @example
 * import { tensor, backward } from 'tapegrad'
 * const x = tensor([1, 2], { requiresGrad: true })
 * backward(x.mul(x).sum())
 * x.grad!.toArray() // [2, 4]
 */
export function backward(
  root: Tensor,
  cotangent?: Tensor | number | BackwardOptions,
  options: BackwardOptions = {},
): void {
  if (
    cotangent !== undefined &&
    !(cotangent instanceof Tensor) &&
    typeof cotangent === 'object' &&
    cotangent !== null
  ) {
    options = cotangent
    cotangent = undefined
  }
  if (!(root instanceof Tensor))
    throw new Error(`backward: expected a Tensor, got ${root === null ? 'null' : typeof root}`)
  if (!root.requiresGrad) {
    const why =
      root.dtype === 'int32'
        ? 'it is int32: integers carry no gradient'
        : 'no input had requiresGrad: true, or it was made under noGrad'
    throw new Error(`backward: the tensor ${fmt(root.shape)} does not require a gradient (${why})`)
  }
  const createGraph = options.createGraph ?? transforms.depth > 0
  const { seed, owned } = seedOf('backward', root, cotangent as Tensor | number | undefined)
  const leaves: Tensor[] = []
  if (entryOf(root) === null) leaves.push(root)
  const entries = collect(root, 'backward', leaves, 0)
  for (const leaf of leaves) checkGradSlot(leaf)
  run(
    'backward',
    entries,
    root,
    seed,
    owned,
    leaves,
    (x) => x.requiresGrad,
    createGraph,
    (sums) => {
      for (const leaf of leaves) sums.deliver(leaf)
    },
  )
  if (!(options.retainGraph ?? createGraph)) free(entries)
}

/**
 * The gradients of `root` with respect to `targets` (tensors that require a gradient, none the
 * ancestor of another), with cotangent `cotangent` (default 1 for a scalar root), as tensors of
 * the targets' shapes — zeros where `root` does not depend on a target. Only the part of the
 * graph between the targets and the root is walked, and no `.grad` is written. This is what
 * `grad`, `valueAndGrad` and `vjp` run.
 */
export function gradients(
  root: Tensor,
  targets: Tensor[],
  cotangent: Tensor | undefined,
  options: { createGraph: boolean; retainGraph: boolean; who: string },
): Tensor[] {
  const zeros = () => targets.map((t) => Tensor.full(t.shape, 0, t.dtype))
  if (!root.requiresGrad) return zeros()
  const stamp = ++visitStamp
  for (const t of targets) t.visit = stamp // targets are where the walk stops
  const entries = collect(root, options.who, null, stamp)
  const needed = neededEntries(entries, stamp) // the entries on a path from a target to the root
  const needs = (x: Tensor) => x.visit === stamp || entryOf(x)?.needed === stamp
  const { seed, owned } = seedOf(options.who, root, cotangent)
  let out: Tensor[] = []
  run(options.who, needed, root, seed, owned, targets, needs, options.createGraph, (sums) => {
    out = targets.map((t) => sums.takeOwn(t) ?? Tensor.full(t.shape, 0, t.dtype))
  })
  if (!options.retainGraph) free(needed)
  return out
}

/** Runs one sweep and `finish` with the right sums, restoring the engine's state on any exit. */
function run(
  who: string,
  entries: Entry[],
  root: Tensor,
  seed: Tensor,
  seedOwned: boolean,
  results: Tensor[],
  needs: (x: Tensor) => boolean,
  createGraph: boolean,
  finish: (sums: GradientSums) => void,
): void {
  // A running jvp needs the tangents of the gradients: only the differentiable rules carry them.
  const differentiable = createGraph || forwardActive()
  const sums = differentiable ? recordedSums : inPlaceSums
  const prev = recording.enabled
  recording.enabled = createGraph
  let finished = false
  try {
    sweep(who, entries, root, seed, seedOwned, sums, needs, differentiable)
    finish(sums)
    finished = true
  } finally {
    recording.enabled = prev
    if (!finished) {
      // An error part-way: drop the partial sums, so nothing stale reaches the next pass.
      for (const e of entries) e.out.pending = null
      for (const t of results) t.pending = null
      root.pending = null
    }
    sums.end()
  }
}

/** The seed of a sweep: 1 for a scalar root, else the given cotangent (checked). */
function seedOf(who: string, root: Tensor, cotangent: Tensor | number | undefined): { seed: Tensor; owned: boolean } {
  if (cotangent === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `${who}: called on a non-scalar tensor of shape ${fmt(root.shape)} without a cotangent; ` +
          `reduce it first (e.g. .sum()) or pass a cotangent of shape ${fmt(root.shape)}`,
      )
    }
    return { seed: Tensor.full(root.shape, 1, root.dtype), owned: true }
  }
  if (typeof cotangent === 'number') return { seed: Tensor.full(root.shape, cotangent, root.dtype), owned: true }
  if (!(cotangent instanceof Tensor)) {
    throw new Error(
      `${who}: the cotangent must be a Tensor or a number, got ${cotangent === null ? 'null' : typeof cotangent}`,
    )
  }
  if (!sameShape(cotangent.shape, root.shape)) {
    throw new Error(
      `${who}: cotangent of shape ${fmt(cotangent.shape)} does not match the output shape ${fmt(root.shape)}`,
    )
  }
  if (cotangent.dtype !== root.dtype) {
    const fix = `convert it with .astype('${root.dtype}')`
    const found = `the cotangent is ${cotangent.dtype} but the output ${fmt(root.shape)} is ${root.dtype}`
    throw new Error(`${who}: ${found}; ${fix}`)
  }
  return { seed: cotangent, owned: false } // the caller's: never written into
}

/**
 * A `.grad` already there must fit its leaf: backward adds into it in place, and a hand-assigned
 * one of another shape or dtype would be overrun or truncated. Checked before anything is summed.
 */
function checkGradSlot(leaf: Tensor): void {
  const g: unknown = leaf.grad
  if (g === null) return
  if (g instanceof Tensor && sameShape(g.shape, leaf.shape) && g.dtype === leaf.dtype) return
  const found = g instanceof Tensor ? `${g.dtype} ${fmt(g.shape)}` : describeValue(g)
  const leafName = `${leaf.label ? `'${leaf.label}' ` : ''}${leaf.dtype} ${fmt(leaf.shape)}`
  throw new Error(
    `backward: the .grad of the leaf ${leafName} is ${found}; the gradient is added into it, so it ` +
      `must be ${leaf.dtype} ${fmt(leaf.shape)} (set .grad to null to start from zero)`,
  )
}

/**
 * The entries that produced `root`, oldest first; throws if one was freed. Leaves that require a
 * gradient are appended to `leaves` (when given). Tensors marked with `stop` (a visit stamp) are
 * where the walk stops: their own history is not collected.
 */
export function collect(root: Tensor, who: string, leaves: Tensor[] | null, stop: number): Entry[] {
  const stamp = ++visitStamp
  const entries: Entry[] = []
  const first = entryOf(root)
  if (first === null || (stop !== 0 && root.visit === stop)) return entries
  const stack: Entry[] = [first]
  first.visit = stamp
  while (stack.length > 0) {
    const e = stack.pop()!
    if (e.freed) {
      throw new Error(
        `${who}: the graph through '${e.op.name}' (output ${fmt(e.out.shape)}) was already freed by an earlier backward(); ` +
          'pass { retainGraph: true } to the first backward() to go through it again',
      )
    }
    entries.push(e)
    for (const t of e.inputs) {
      const p = entryOf(t)
      if (stop !== 0 && t.visit === stop) continue
      if (p !== null) {
        if (p.visit !== stamp) {
          p.visit = stamp
          stack.push(p)
        }
      } else if (leaves !== null && t.requiresGrad && t.visit !== stamp) {
        t.visit = stamp
        leaves.push(t)
      }
    }
  }
  entries.sort((a, b) => a.id - b.id)
  return entries
}

/** The entries with an input that is a target (marked `stamp`) or the output of such an entry. */
function neededEntries(entries: Entry[], stamp: number): Entry[] {
  const out: Entry[] = []
  for (const e of entries) {
    for (const x of e.inputs) {
      if (x.visit === stamp || entryOf(x)?.needed === stamp) {
        e.needed = stamp
        out.push(e)
        break
      }
    }
  }
  return out
}

/** Lets the intermediate values of a graph be garbage-collected; a later walk through it throws. */
function free(entries: Entry[]): void {
  for (const e of entries) {
    e.freed = true
    e.inputs = []
    e.attrs = null
  }
}

/**
 * Sums of gradients made with recorded ops: nothing is written in place, so every gradient stays
 * a differentiable function of the inputs (used when the graph is created, or a jvp runs).
 */
const recordedSums: GradientSums = {
  begin(root, seed) {
    root.pending = seed
  },
  take(x) {
    const g = x.pending
    x.pending = null
    return g
  },
  add(op, x, g) {
    const s = sumToShape(op, g, x.shape)
    x.pending = x.pending === null ? s : add(x.pending, s)
  },
  afterEntry() {},
  takeOwn(x) {
    const g = this.take(x)
    // The same gradient tensor may have reached several tensors (add passes g to both inputs):
    // add 0 to give each its own storage while staying on the tape.
    return g === null ? null : add(g, 0)
  },
  deliver(leaf) {
    const g = this.takeOwn(leaf)
    if (g !== null) leaf.grad = leaf.grad === null ? g : add(leaf.grad, g)
  },
  end() {},
}

/**
 * g summed over the axes broadcasting added, back to `shape` — with differentiable ops.
 * @example
 * import { ones } from 'tapegrad'
 * import { sumToShape } from './src/tape'
 * sumToShape('add', ones([2, 3]), [3]).toArray() // [2, 2, 2]
 * sumToShape('add', ones([2, 3]), [2, 1]).toArray() // [[3], [3]]
 */
export function sumToShape(op: string, g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g
  const lead = g.shape.length - shape.length
  const axes: number[] = []
  for (let i = 0; i < g.shape.length; i++) {
    const want = i < lead ? 1 : shape[i - lead]
    if (g.shape[i] !== want) {
      if (want !== 1) {
        throw new Error(
          `${op} (backward): gradient of shape ${fmt(g.shape)} cannot be reduced to the input shape ${fmt(shape)}`,
        )
      }
      axes.push(i)
    }
  }
  return reshape(axes.length > 0 ? sum(g, axes, true) : g, shape.slice())
}

/**
 * Sets `.grad` of every tensor in a tree to zero (keeping the buffers, so loops allocate nothing).
 * @example
 * import { nn, zeroGrad, tensor } from 'tapegrad'
 * const net = new nn.Linear(2, 1)
 * net.forward(tensor([[1, 2]])).sum().backward()
 * zeroGrad(net.parameters())
 * net.weight.grad!.toArray() // [[0], [0]]
 */
export function zeroGrad(tree: Tree): void {
  for (const t of flatten(tree).leaves) t.zeroGrad()
}
