/**
 * Gradient sums for first-order backward passes, kept in place so that a training loop allocates
 * (almost) nothing per step. This file is the engine's memory trick, kept apart so that the walk
 * in tape.ts reads like the chain rule; `recordedSums` there is the plain version of the same
 * interface.
 *
 * Ownership. Summing gradients in place saves an allocation per sum, but a gradient buffer may be
 * shared: `add` returns g itself for both inputs, `reshape` returns a view of g's storage, a
 * cotangent belongs to the caller. So a pending gradient is written into (or recycled) only when
 * the engine owns it outright (`x.pendingOwned`), and it owns exactly:
 * - buffers it allocated itself (a sum of two gradients, a gradient summed over broadcast axes,
 *   the seed 1 of a scalar loss);
 * - gradients an op's `fastBackward` declared fresh with `freshGradient` (allocated by that call
 *   and kept nowhere else), once each.
 * Ownership lasts while the buffer is the pending gradient of one tensor: it ends when the pending
 * gradient is handed to its op's backward (which may pass it on or share it), when it becomes a
 * leaf's `.grad` (the user's from then on), or when it is recycled (nd.ts) after being added into
 * an existing `.grad` — so the next step's same-size gradient reuses it instead of allocating.
 */
import { addInto, fmt, recycle, sameShape } from './nd.js'
import { checkFinite } from './op.js'
import { debugState } from './recording.js'
import { unbroadcast } from './reductions.js'
import { Tensor } from './tensor.js'

/** How a backward pass keeps its running sums of gradients (tape.ts has the recorded version). */
export interface GradientSums {
  /** Begins a pass whose root's gradient is `seed`; `owned`: the engine made `seed`. */
  begin(root: Tensor, seed: Tensor, owned: boolean): void
  /** Takes `x`'s pending gradient (null if none arrived) to hand it to its op's backward. */
  take(x: Tensor): Tensor | null
  /** x.pending += g, with g first summed back over broadcast axes to x's shape. */
  add(op: string, x: Tensor, g: Tensor, inputs: Tensor[]): void
  /** Called after each op's backward. */
  afterEntry(): void
  /** Takes `x`'s pending gradient as a tensor whose storage nothing else refers to (or null). */
  takeOwn(x: Tensor): Tensor | null
  /** leaf.grad += its pending gradient (leaf.grad is created on the first delivery). */
  deliver(leaf: Tensor): void
  /** Ends the pass (also after an error: then nothing pending may survive). */
  end(): void
}

/** How many in-place passes are running (freshGradient declarations only count inside one). */
let active = 0
/** Gradients declared fresh by the op whose backward is running, claimed once each; slots are
 *  nulled after the op, so that nothing outlives it. */
const freshGrads: (Tensor | null)[] = []
let freshCount = 0

/**
 * For op authors, inside a `fastBackward`: declares that the gradient `g` was allocated by this
 * call and is referenced nowhere else (not returned twice, not a view of another tensor, not
 * kept). The engine may then add other gradients into it in place, make it a leaf's `.grad`
 * without a copy, and reuse its storage once it has been added into an existing `.grad`.
 * Declaring a shared buffer fresh corrupts gradients; when in doubt, do not call it. Returns `g`.
 * @example
 * import { defineOp, mapTensor, zipTensors, mul, square, tensor } from 'tapegrad'
 * import { freshGradient } from './src/grad-buffers'
 * const cube = (x: number) => x * x * x
 * const cubeGrad = (g: number, x: number) => 3 * x * x * g
 * const cubeOp = defineOp({
 *   name: 'cube',
 *   forward: ([x]) => mapTensor(x, cube),
 *   backward: (g, [x]) => [mul(g, mul(3, square(x)))],
 *   tangent: ([dx], [x]) => mul(dx, mul(3, square(x))),
 *   // the first-order rule in one loop: its result is a new tensor that nothing else holds
 *   fastBackward: (g, [x]) => [freshGradient(zipTensors('cube', g, x, cubeGrad))],
 * })
 * const x = tensor([1, 2], { requiresGrad: true })
 * cubeOp([x]).sum().backward()
 * x.grad!.toArray() // [3, 12]
 */
export function freshGradient(g: Tensor): Tensor {
  if (active > 0) freshGrads[freshCount++] = g // outside a backward pass there is nothing to declare to
  return g
}

/** Whether `g` was declared fresh by the running backward; a declaration is good for one claim. */
function claimFresh(g: Tensor): boolean {
  for (let k = 0; k < freshCount; k++) {
    if (freshGrads[k] === g) {
      freshGrads[k] = null
      return true
    }
  }
  return false
}

function forgetFresh(): void {
  for (let k = 0; k < freshCount; k++) freshGrads[k] = null
  freshCount = 0
}

/** The first-order sums: in place where the engine owns the buffer, recycled when dead. */
export const inPlaceSums: GradientSums = {
  begin(root, seed, owned) {
    active++
    root.pending = seed
    root.pendingOwned = owned
  },

  take(x) {
    const g = x.pending
    x.pending = null
    x.pendingOwned = false // the op may return g itself or a view of it
    return g
  },

  add(op, x, g, inputs) {
    let owned = freshCount > 0 && claimFresh(g)
    if (!sameShape(g.shape, x.shape)) {
      const data = unbroadcast(g.data, g.shape, x.shape)
      if (data.length !== x.size) {
        throw new Error(
          `${op} (backward): gradient of shape ${fmt(g.shape)} cannot be reduced to the input shape ${fmt(x.shape)}`,
        )
      }
      // Only dropping 1-axes ([1,3] → [3]) returns g's own storage; any sum is a new buffer.
      if (data !== g.data) {
        if (owned) recycle(g.data) // the broadcast-shaped gradient is dead now
        owned = true
      }
      g = new Tensor(data, x.shape.slice())
    }
    if (debugState.checkFinite) checkFinite(op, g, inputs, 'backward')
    const p = x.pending
    if (p === null) {
      x.pending = g
      x.pendingOwned = owned
    } else if (x.pendingOwned) {
      addInto(p.data, g.data)
      if (owned && g.data.buffer !== p.data.buffer) recycle(g.data)
    } else if (owned) {
      addInto(g.data, p.data)
      x.pending = g
      x.pendingOwned = true
    } else {
      // Neither buffer is ours (e.g. add returned g for both inputs): sum into a new one, ours.
      const s = p.data.slice()
      addInto(s, g.data)
      x.pending = new Tensor(s, x.shape.slice())
      x.pendingOwned = true
    }
  },

  afterEntry() {
    if (freshCount > 0) forgetFresh()
  },

  takeOwn(x) {
    const owned = x.pendingOwned
    const g = this.take(x)
    if (g === null) return null
    // A buffer that is not ours is copied, so that later in-place accumulation into .grad can
    // never write into another tensor.
    return owned ? new Tensor(g.data, x.shape.slice()) : new Tensor(g.data.slice(), x.shape.slice())
  },

  deliver(leaf) {
    if (leaf.grad === null) {
      leaf.grad = this.takeOwn(leaf)
      return
    }
    const owned = leaf.pendingOwned
    const g = this.take(leaf)
    if (g === null) return
    if (leaf.grad.entry !== null) {
      // .grad came from a createGraph pass and is part of a graph: never write into it.
      const s = leaf.grad.data.slice()
      addInto(s, g.data)
      leaf.grad = new Tensor(s, leaf.shape.slice())
      return
    }
    addInto(leaf.grad.data, g.data)
    leaf.grad.markModified() // a graph recorded from this .grad must not see the sum
    if (owned) recycle(g.data)
  },

  end() {
    forgetFresh()
    active--
  },
}
