/**
 * The tape: what reverse mode records and how it walks back.
 *
 * Every op applied to a tensor that needs a gradient appends an `Entry` (the op, its inputs, its
 * attributes, its output) with an increasing id — the position on the tape. `backward()` collects
 * the entries that led to the loss and visits them from the newest to the oldest: since an op's
 * inputs were always created before it, that order meets every output before its inputs (a
 * reverse topological order, with no recursion, so a chain of 10⁵ ops cannot overflow the stack).
 * At each entry the op's `backward` turns ∂L/∂out into ∂L/∂inputs, which are summed into the
 * inputs' pending gradients; leaves with `requiresGrad` end up with `.grad`.
 *
 * Ownership of pending gradients. Summing gradients in place saves an allocation per sum, but a
 * gradient buffer may be shared: `add` returns g itself for both inputs, `reshape` returns a view
 * of g's storage, a cotangent belongs to the caller. So the engine writes into (or recycles) a
 * pending gradient only when it owns it outright, and it owns exactly:
 * - buffers it allocated itself (a sum of two gradients, a gradient summed over broadcast axes,
 *   the seed 1 of a scalar loss);
 * - gradients an op declared fresh with `freshGradient` (allocated by that backward call and kept
 *   nowhere else), once each.
 * Ownership lasts while the buffer is the pending gradient of one tensor: it ends when the pending
 * gradient is handed to its op's backward (which may pass it on or share it), when it becomes a
 * leaf's `.grad` (the user's from then on), or when it is recycled (nd.ts) after being added into
 * an existing `.grad` — so the next step's same-size gradient reuses it instead of allocating.
 */
import { addInto, fmt, recycle, sameShape, unbroadcast } from './nd.js'
import type { OpDef } from './op.js'
import { checkFinite } from './op.js'
import { Tensor } from './tensor.js'
import { flatten, unflatten, type Tree } from './tree.js'

/** Whether ops record onto the tape (false inside `noGrad`). */
export const gradState = { enabled: true }
/** Debug switches (see `setDebug`). */
export const debugState = { checkFinite: false }

let nextId = 0
let visitStamp = 0

/** One recorded op application. */
export class Entry {
  readonly id = nextId++
  /** Set when a backward pass without `retainGraph` went through this entry. */
  freed = false
  /** Scratch mark used by graph walks instead of a Set. */
  visit = 0
  /** During backward: whether `out.pending` is a buffer the engine owns outright (see the top). */
  ownsPending = false
  constructor(
    readonly op: OpDef<any>,
    public inputs: Tensor[],
    public attrs: unknown,
    readonly out: Tensor,
  ) {}
}

/** Records `out = op(inputs)`; called by `defineOp`. */
export function record(op: OpDef<any>, inputs: Tensor[], attrs: unknown, out: Tensor): void {
  out.requiresGrad = true
  out.entry = new Entry(op, inputs, attrs, out)
}

/**
 * Turns on debugging aids. `checkFinite: true` makes every op check its output and throw,
 * naming the op and the shapes, as soon as one turns NaN or ±Inf from finite inputs (forward and
 * backward). It costs a scan per op, so it is off by default.
 */
export function setDebug(options: { checkFinite?: boolean }): void {
  if (options.checkFinite !== undefined) debugState.checkFinite = options.checkFinite
}

/**
 * Runs `fn` without recording: tensors created inside do not require gradients.
 * @example const y = noGrad(() => w.mul(2)) // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradState.enabled
  gradState.enabled = false
  try {
    return fn()
  } finally {
    gradState.enabled = prev
  }
}

/** The entries that produced `root`, oldest first. Throws if one was freed. */
function collect(root: Tensor, leaves: Tensor[] | null, who: string): Entry[] {
  const stamp = ++visitStamp
  const entries: Entry[] = []
  if (!root.entry) return entries
  const stack: Entry[] = [root.entry]
  root.entry.visit = stamp
  while (stack.length > 0) {
    const e = stack.pop()!
    if (e.freed) {
      throw new Error(
        `${who}: the graph through '${e.op.name}' (output ${fmt(e.out.shape)}) was already freed by an earlier backward(); ` +
          `pass { retainGraph: true } to the first backward() to go through it again`,
      )
    }
    entries.push(e)
    for (const t of e.inputs) {
      const p = t.entry
      if (p) {
        if (p.visit !== stamp) {
          p.visit = stamp
          stack.push(p)
        }
      } else if (leaves && t.requiresGrad && t.visit !== stamp) {
        t.visit = stamp
        leaves.push(t)
      }
    }
  }
  entries.sort((a, b) => a.id - b.id)
  return entries
}

// ---------------------------------------------------------------------------------------------
// Ownership bookkeeping (see the comment at the top), kept in fields and in one array that never
// shrinks. Not in a Set: one cleared at the end of every pass made the V8 old generation creep by
// ~100 bytes a step (40 → 43 MB over 30,000 MNIST steps, until a full GC), because V8 links a
// cleared Set table to its successor, so once a table had been promoted every later one was kept
// alive through it. A non-leaf's flag lives on its entry. A leaf has no entry; its `visit` scratch
// mark, which `collect` no longer needs once the pass has its list of leaves, holds −pass while
// the leaf's pending gradient is owned (a mark from an earlier pass never matches).

/** The stamp of the running backward pass. */
let pass = 0
/** Gradients declared fresh by the op whose backward is running, claimed once each; slots are
 *  nulled after the op, so that nothing outlives it. */
const freshGrads: (Tensor | null)[] = []
let freshCount = 0

function ownsPending(x: Tensor): boolean {
  return x.entry !== null ? x.entry.ownsPending : x.visit === -pass
}

function setOwnsPending(x: Tensor, owned: boolean): void {
  if (x.entry !== null) x.entry.ownsPending = owned
  else x.visit = owned ? -pass : pass
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

/**
 * For op authors: declares that the gradient `g` returned from a `backward` was allocated by
 * this call and is referenced nowhere else (not returned twice, not a view of another tensor,
 * not kept). The engine may then add other gradients into it in place, make it a leaf's `.grad`
 * without a copy, and reuse its storage once it has been added into an existing `.grad`.
 * Declaring a shared buffer fresh corrupts gradients; when in doubt, do not call it. Returns `g`.
 * @example
 * backward: (g, [a, b]) => [freshGradient(new Tensor(gemmGA(g, b), a.shape.slice())), …]
 */
export function freshGradient(g: Tensor): Tensor {
  if (pass !== 0) freshGrads[freshCount++] = g // outside a backward pass there is nothing to declare to
  return g
}

/** Options of `backward`. */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (default false). */
  retainGraph?: boolean
}

/**
 * Reverse-mode sweep from `root`: fills `.grad` of every leaf with `requiresGrad` that `root`
 * depends on, adding to what is there (like PyTorch; clear it with `zeroGrad`).
 * For a non-scalar `root` pass the cotangent v (same shape): leaves get vᵀ·∂root/∂leaf.
 */
export function backward(root: Tensor, cotangent?: Tensor | number, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: the tensor ${fmt(root.shape)} does not require a gradient (no input had requiresGrad: true, or it was made under noGrad)`)
  }
  let seed: Tensor
  if (cotangent === undefined) {
    if (root.size !== 1) {
      throw new Error(`backward: called on a non-scalar tensor of shape ${fmt(root.shape)} without a cotangent; reduce it first (e.g. .sum()) or pass a cotangent of shape ${fmt(root.shape)}`)
    }
    seed = Tensor.full(root.shape, 1, root.dtype)
  } else {
    seed = typeof cotangent === 'number' ? Tensor.full(root.shape, cotangent, root.dtype) : cotangent
    if (!sameShape(seed.shape, root.shape)) {
      throw new Error(`backward: cotangent of shape ${fmt(seed.shape)} does not match the output shape ${fmt(root.shape)}`)
    }
  }
  const leaves: Tensor[] = []
  if (!root.entry) leaves.push(root)
  const entries = collect(root, leaves, 'backward')
  const outerPass = pass
  pass = visitStamp // collect's stamp
  root.pending = seed
  setOwnsPending(root, !(cotangent instanceof Tensor)) // Tensor.full made it; a cotangent is the caller's
  const prev = gradState.enabled
  gradState.enabled = false
  let finished = false
  try {
    for (let k = entries.length - 1; k >= 0; k--) {
      const e = entries[k]
      const g = e.out.pending
      e.out.pending = null
      e.ownsPending = false // the op may return g itself or a view of it
      if (!g) continue
      const grads = e.op.backward(g, e.inputs, e.out, e.attrs)
      for (let i = 0; i < e.inputs.length; i++) {
        const x = e.inputs[i]
        const gi = grads[i]
        if (!x.requiresGrad || !gi) continue
        accumulate(e.op.name, x, gi, freshCount > 0 && claimFresh(gi), e.inputs)
      }
      if (freshCount > 0) forgetFresh()
    }
    for (const leaf of leaves) {
      const g = leaf.pending
      leaf.pending = null
      if (!g) continue
      const owned = ownsPending(leaf)
      if (leaf.grad) {
        addInto(leaf.grad.data, g.data)
        if (owned) recycle(g.data)
      } else {
        // A buffer that is not ours is copied, so that later in-place accumulation into .grad can
        // never write into another tensor.
        leaf.grad = owned ? new Tensor(g.data, leaf.shape.slice()) : new Tensor(g.data.slice(), leaf.shape.slice())
      }
    }
    finished = true // every pending gradient has been consumed and every flag reset on the way
  } finally {
    gradState.enabled = prev
    pass = outerPass
    if (!finished) {
      // An error part-way: drop the partial sums (leaves' too), so nothing stale reaches the next pass.
      for (const e of entries) {
        e.out.pending = null
        e.ownsPending = false
      }
      for (const leaf of leaves) leaf.pending = null
      forgetFresh()
    }
  }
  if (!options.retainGraph) {
    for (const e of entries) {
      e.freed = true
      e.inputs = [] // lets the intermediate values be garbage-collected
      e.attrs = null
    }
  }
}

/**
 * x.pending += g, after summing g back over broadcast axes to x's shape. `owned`: the engine owns
 * g's storage outright (see the top), so it may write into it or recycle it.
 */
function accumulate(name: string, x: Tensor, g: Tensor, owned: boolean, inputs: Tensor[]): void {
  if (!sameShape(g.shape, x.shape)) {
    const data = unbroadcast(g.data, g.shape, x.shape)
    if (data.length !== x.size) {
      throw new Error(`${name} (backward): gradient of shape ${fmt(g.shape)} cannot be reduced to the input shape ${fmt(x.shape)}`)
    }
    // Only dropping leading 1-axes ([1,3] → [3]) returns g's own storage; any sum is a new buffer.
    if (data !== g.data) {
      if (owned) recycle(g.data) // the broadcast-shaped gradient is dead now
      owned = true
    }
    g = new Tensor(data, x.shape.slice())
  }
  if (debugState.checkFinite) checkFinite(name, g, inputs, 'backward')
  const p = x.pending
  if (!p) {
    x.pending = g
    setOwnsPending(x, owned)
  } else if (ownsPending(x)) {
    addInto(p.data, g.data)
    if (owned && g.data.buffer !== p.data.buffer) recycle(g.data)
  } else if (owned) {
    addInto(g.data, p.data)
    x.pending = g
    setOwnsPending(x, true)
  } else {
    // Neither buffer is ours (e.g. add returned g for both inputs): sum into a new one, ours.
    const s = p.data.slice()
    addInto(s, g.data)
    x.pending = new Tensor(s, x.shape.slice())
    setOwnsPending(x, true)
  }
}

/** Sets `.grad` of every tensor in a tree to zero (keeping the buffers, so loops allocate nothing). */
export function zeroGrad(tree: Tree): void {
  for (const t of flatten(tree).leaves) t.grad?.data.fill(0)
}

/** Options of `grad` / `valueAndGrad`. */
export interface GradOptions {
  /** Fail unless f returns a scalar (default true: the JAX contract). */
  scalarOnly?: boolean
}

/**
 * JAX's `value_and_grad`: returns a function that evaluates `f` and the gradient of its scalar
 * result with respect to its first argument, a tree of tensors (a tensor, an array or an object
 * of tensors). Gradients come back in the same tree shape; unused leaves get zeros. The other
 * arguments are passed through untouched. Nothing is written into the arguments' `.grad`.
 * @example
 * const [loss, g] = valueAndGrad((p: {w: Tensor}, x: Tensor) => p.w.mul(x).sum())({ w }, x)
 */
export function valueAndGrad<T extends Tree, R extends unknown[]>(
  f: (params: T, ...rest: R) => Tensor,
): (params: T, ...rest: R) => [Tensor, T] {
  return (params: T, ...rest: R) => {
    const { leaves, def } = flatten(params)
    // Fresh leaves that share the data: the caller's tensors and their .grad stay untouched.
    const fresh = leaves.map((t) => {
      const v = new Tensor(t.data, t.shape.slice())
      v.requiresGrad = true
      return v
    })
    const value = f(unflatten(def, fresh) as T, ...rest)
    if (!(value instanceof Tensor)) throw new Error(`valueAndGrad: f must return a Tensor, got ${typeof value}`)
    if (value.size !== 1) throw new Error(`valueAndGrad: f must return a scalar, got shape ${fmt(value.shape)}; reduce it (e.g. .sum() or .mean())`)
    if (value.requiresGrad) backward(value)
    const grads = fresh.map((t) => t.grad ?? Tensor.full(t.shape, 0, t.dtype))
    return [value.detach(), unflatten(def, grads) as T]
  }
}

/**
 * JAX's `grad`: the gradient of scalar-valued `f` with respect to its first argument (a tree),
 * in the same tree shape.
 * @example grad((x: Tensor) => x.mul(x).sum())(tensor([1, 2])) // tensor([2, 4])
 */
export function grad<T extends Tree, R extends unknown[]>(f: (params: T, ...rest: R) => Tensor): (params: T, ...rest: R) => T {
  const vg = valueAndGrad(f)
  return (params: T, ...rest: R) => vg(params, ...rest)[1]
}

/** A printable view of the tape that produced a tensor (see `tapeOf`). */
export class Tape {
  constructor(readonly entries: readonly Entry[]) {}

  /** One line per recorded op, oldest first: `#id op(input shapes) -> output shape`. */
  toString(): string {
    const ids = new Map<Tensor, string>()
    const lines: string[] = []
    const name = (t: Tensor) => ids.get(t) ?? (t.label ? `${t.label}${fmt(t.shape)}` : `leaf${fmt(t.shape)}`)
    for (const e of this.entries) {
      ids.set(e.out, `%${e.id}`)
      const args = e.inputs.map(name).join(', ')
      lines.push(`%${e.id} = ${e.op.name}(${args}) -> ${fmt(e.out.shape)}`)
    }
    return lines.join('\n')
  }
}

/**
 * The tape entries that produced `t`, oldest first — for teaching and debugging.
 * @example console.log(tapeOf(loss).toString())
 */
export function tapeOf(t: Tensor): Tape {
  return new Tape(collect(t, null, 'tapeOf'))
}
