/**
 * Gradient clipping and the global norm, over trees of tensors.
 *
 * These functions take the gradient tree itself — what `grad`/`valueAndGrad` return, a Tensor, an
 * array or a plain object of Tensors — and change its tensors in place. For module-style code
 * whose gradients live on the parameters' `.grad`, {@link gradsOf} lists those gradient tensors:
 * `clipGradNorm(gradsOf(net.parameters()), 1.0)` clips them where they are.
 *
 * Norms are accumulated in float64 whatever the tensors' dtype: a float32 sum of squares over
 * millions of entries would lose digits (torch accumulates in float32; the difference is far below
 * float32 resolution of the result).
 */
import type { Tensor } from '../src/tensor.js'
import { flatten, type Tree } from '../src/tree.js'
import { describeValue } from '../src/describe-value.js'

/**
 * Options of {@link clipGradNorm}.
 * @example
 * import { tensor } from 'tapegrad'
 * import { clipGradNorm } from 'tapegrad/optimizers'
 *
 * const grads = { w: tensor([3, -4]) }
 * // returns the max-norm before clipping, the largest |entry|:
 * clipGradNorm(grads, 1.0, { normType: 'inf', errorIfNonfinite: true })   // 4
 * grads.w.toArray()   // [0.75, -1.0]
 */
export interface ClipGradNormOptions {
  /** Throw (changing nothing) when the total norm is NaN or ±∞. Default false: like torch, the
   *  gradients are then scaled by the non-finite coefficient (they become NaN or 0). */
  errorIfNonfinite?: boolean
  /** The p of the p-norm: a number > 0, or `Infinity` / `'inf'` for the max-norm. Default 2. */
  normType?: number | 'inf'
}

/** The leaves of `tree`, with `who` in the error when the tree is malformed. */
function leavesOf(who: string, tree: Tree): Tensor[] {
  try {
    return flatten(tree).leaves
  } catch (e) {
    throw new Error(`${who}: ${(e as Error).message}`, { cause: e })
  }
}

function normTypeOf(who: string, normType: unknown): number {
  if (normType === 'inf') return Infinity
  if (typeof normType !== 'number' || Number.isNaN(normType) || !(normType > 0)) {
    throw new RangeError(`${who}: normType must be a number > 0 or Infinity / 'inf', got ${describeValue(normType)}`)
  }
  return normType
}

/** ‖leaves‖_p over all entries of all leaves, in float64. NaN if any entry is NaN. */
function totalNorm(leaves: readonly Tensor[], p: number): number {
  if (p === Infinity) {
    let m = 0
    for (const t of leaves) {
      const d = t.data
      for (let k = 0; k < d.length; k++) {
        const a = Math.abs(d[k])
        if (a > m) m = a
        else if (a !== a) return NaN // a NaN entry: torch's max propagates it
      }
    }
    return m
  }
  let s = 0
  if (p === 2) {
    for (const t of leaves) {
      const d = t.data
      for (let k = 0; k < d.length; k++) s += d[k] * d[k]
    }
    return Math.sqrt(s)
  }
  for (const t of leaves) {
    const d = t.data
    for (let k = 0; k < d.length; k++) s += Math.abs(d[k]) ** p
  }
  return s ** (1 / p)
}

/**
 * The global L2 norm of a tree of tensors, as if all leaves were one vector:
 *   ‖tree‖₂ = √(Σ_leaves Σ_k x_k²)      (accumulated in float64)
 *
 * JAX's `l2_norm` from jax/example_libraries/optimizers.py. Returns a plain number (this is a
 * host-side utility and is not recorded on the tape). An empty tree has norm 0.
 * @example
 * import { tensor } from 'tapegrad'
 * import { l2Norm } from 'tapegrad/optimizers'
 *
 * l2Norm({ w: tensor([3, 0]), b: tensor([4]) })  // 5
 */
export function l2Norm(tree: Tree): number {
  return totalNorm(leavesOf('l2Norm', tree), 2)
}

/**
 * Rescales a tree of gradients in place so that its global p-norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`, and returns the total norm before clipping:
 *   n = ‖grads‖_p      (all leaves as one vector; p = ∞ is the largest |entry|)
 *   c = min(1, maxNorm / (n + 1e-6))
 *   g ← c · g         for every leaf (skipped when c = 1, which changes nothing)
 *
 * With `errorIfNonfinite`, a NaN or infinite norm throws and leaves the gradients untouched.
 * Without it (the default, as torch), a non-finite norm gives c = NaN (n = NaN) or c = 0 (n = ∞).
 * Leaves sharing one storage buffer are scaled once.
 *
 * @param grads    a tree of gradient tensors (e.g. from `valueAndGrad`), or {@link gradsOf}(params)
 * @param maxNorm  ≥ 0
 * @returns the total norm n, before clipping
 * @example
 * import { tensor, valueAndGrad, type Tensor } from 'tapegrad'
 * import { adam, clipGradNorm, l2Norm } from 'tapegrad/optimizers'
 *
 * const lossFn = (p: { w: Tensor }, x: Tensor, y: Tensor) => p.w.mul(x).sub(y).square().mean()
 * const x = tensor([1, 2, 3]), y = tensor([2, 4, 6])
 * const opt = adam(1e-2)
 * let state = opt.init({ w: tensor([0]) })
 * const [loss, g] = valueAndGrad(lossFn)(opt.getParams(state), x, y)
 * const norm = clipGradNorm(g, 1.0)          // the norm before clipping
 * norm                                       // 18.6667
 * l2Norm(g)                                  // 1.000000
 * state = opt.update(0, g, state)
 */
export function clipGradNorm(grads: Tree, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const who = 'clipGradNorm'
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm) || !(maxNorm >= 0)) {
    throw new RangeError(`${who}: maxNorm must be a number ≥ 0, got ${describeValue(maxNorm)}`)
  }
  const { errorIfNonfinite = false, normType = 2 } = options
  const p = normTypeOf(who, normType)
  const leaves = leavesOf(who, grads)
  const norm = totalNorm(leaves, p)
  if (errorIfNonfinite && !Number.isFinite(norm)) {
    throw new Error(
      `${who}: the total norm of order ${p} of the gradients is ${norm}, so it cannot be clipped; ` +
        `nothing was changed (pass errorIfNonfinite: false to scale by the non-finite norm anyway)`,
    )
  }
  const coef = Math.min(maxNorm / (norm + 1e-6), 1) // Math.min keeps NaN, as torch.clamp does
  if (coef === 1) return norm
  const seen = new Set<unknown>()
  for (const t of leaves) {
    const d = t.data
    if (seen.has(d)) continue
    seen.add(d)
    for (let k = 0; k < d.length; k++) d[k] *= coef
  }
  return norm
}

/**
 * Clamps every gradient entry to [−clipValue, clipValue] in place, as
 * `torch.nn.utils.clip_grad_value_`:  g ← min(max(g, −clipValue), clipValue)   (NaN stays NaN).
 * Returns the same tree, so it can be used inline.
 *
 * @param grads     a tree of gradient tensors, or {@link gradsOf}(params)
 * @param clipValue ≥ 0 (Infinity leaves the gradients unchanged)
 * @example
 * import { tensor } from 'tapegrad'
 * import { sgd, clipGradValue } from 'tapegrad/optimizers'
 *
 * const opt = sgd(0.1)
 * let state = opt.init({ w: tensor([0, 0, 0]) })
 * const g = { w: tensor([0.1, -2, 3]) }
 * state = opt.update(0, clipGradValue(g, 0.5), state)
 * g.w.toArray()                     // [0.1, -0.5, 0.5]
 * opt.getParams(state).w.toArray()  // [-0.01, 0.05, -0.05]
 */
export function clipGradValue<T extends Tree>(grads: T, clipValue: number): T {
  const who = 'clipGradValue'
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue) || !(clipValue >= 0)) {
    throw new RangeError(`${who}: clipValue must be a number ≥ 0, got ${describeValue(clipValue)}`)
  }
  const lo = -clipValue
  const seen = new Set<unknown>()
  for (const t of leavesOf(who, grads)) {
    const d = t.data
    if (seen.has(d)) continue
    seen.add(d)
    for (let k = 0; k < d.length; k++) {
      const v = d[k]
      if (v > clipValue) d[k] = clipValue
      else if (v < lo) d[k] = lo
    }
  }
  return grads
}

/**
 * The `.grad` tensors of a tree of parameters, in tree order, skipping parameters without a
 * gradient (as torch's clipping functions do). The result is an array of the gradient tensors
 * themselves, so clipping it clips the parameters' gradients in place.
 * @example
 * import { nn, randn, seed } from 'tapegrad'
 * import { sgd, clipGradNorm, gradsOf, l2Norm } from 'tapegrad/optimizers'
 *
 * seed(0)
 * const net = new nn.Linear(3, 1)
 * const train = sgd(0.1).attach(net.parameters())
 * const loss = nn.mse(net.forward(randn([8, 3])), randn([8, 1]).mul(10))
 * loss.backward()
 * clipGradNorm(gradsOf(net.parameters()), 1.0)   // 15.8386
 * l2Norm(gradsOf(net.parameters()))              // 1.000000
 * train.step()
 */
export function gradsOf(params: Tree): Tensor[] {
  const out: Tensor[] = []
  for (const t of leavesOf('gradsOf', params)) if (t.grad) out.push(t.grad)
  return out
}
