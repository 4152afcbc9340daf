/**
 * The PyTorch-style loop over an optimizer: `opt.attach(params)` takes over the tensors, then
 * `loss.backward(); train.step(); train.zeroGrad()`.
 */
import { Tensor } from '../src/tensor.js'
import { flatten, type Tree } from '../src/tree.js'
import { fmt, sameShape } from '../src/nd.js'
import type { OptimizerCore } from './optimizer-core.js'
import type { OptState } from './opt-state.js'

/**
 * The PyTorch-style loop made by `opt.attach(params)`: `loss.backward(); train.step(); train.zeroGrad()`.
 *
 * At attach time the optimizer takes over the tensors: each parameter's `data` is re-pointed to
 * its view of the state's flat buffer (values copied first), and each `.grad` to its view of the
 * flat gradient buffer. The model keeps the same Tensor objects; `backward()` accumulates into
 * `.grad` in place, so `step()` runs one fused pass over the flat buffers with no copying at all.
 * (Re-pointing was chosen over copying in and out every step: copying costs two extra passes
 * over memory per step and keeps two versions of the parameters that can drift apart.)
 * If code later replaces a tensor's `data` or `.grad` (or sets `.grad = null`), `step()`
 * notices, copies the values in (a missing gradient counts as zero) and re-points it.
 * @example
 * import { tensor } from 'tapegrad'
 * import { sgd } from 'tapegrad/optimizers'
 *
 * const w = tensor([1, 2], { requiresGrad: true })
 * const train = sgd(0.1).attach({ w })
 * w.square().sum().backward()   // w.grad = 2w, accumulated into the optimizer's gradient buffer
 * w.grad!.toArray()            // [2, 4]
 * train.step()
 * w.toArray()                   // [0.8, 1.6]
 * train.zeroGrad()
 */
export interface TrainerOf<O extends OptimizerCore> {
  /** The optimizer this loop runs. */
  readonly optimizer: O
  /** The tree of tensors that was attached (the same objects). */
  readonly params: Tree
  /** The optimizer state (flat buffers shared with the tensors). */
  readonly state: OptState
  /** Number of steps taken so far (= the `i` of the next step). */
  readonly stepCount: number
  /** The step size the next `step()` uses: `stepSize(stepCount)`. */
  readonly currentStepSize: number
  /** One optimizer step from the tensors' `.grad`; updates the tensors in place. */
  step(): void
  /** Sets every gradient to zero (one fill of the flat gradient buffer). */
  zeroGrad(): void
}

/**
 * Takes over the tensors of `params` for `opt` (see {@link TrainerOf}); what `opt.attach(params)` calls.
 * @example
 * import { tensor } from 'tapegrad'
 * import { sgd } from 'tapegrad/optimizers'
 *
 * const w = tensor([1, 2], { requiresGrad: true })
 * sgd(0.1).attach({ w }).stepCount   // 0
 */
export function attach<O extends OptimizerCore>(opt: O, params: Tree): TrainerOf<O> {
  const { leaves, paths } = flatten(params)
  checkAttachable(`${opt.name}.attach`, leaves, paths)
  const state = opt.init(params)
  const pviews = state.views
  const gviews = state.leaves.map((l) => state.grad.subarray(l.offset, l.offset + l.size))
  // Re-point: the tensors now live in the optimizer's buffers. `keepGrad`: copy a gradient that
  // is not the buffer's view yet (attach, step) or drop it (zeroGrad: it is being cleared anyway).
  const bind = (k: number, who: string, keepGrad: boolean) => {
    const t = leaves[k]
    if (t.data !== pviews[k].data) {
      pviews[k].data.set(t.data)
      t.data = pviews[k].data
    }
    const g = t.grad
    if (!g || g.data !== gviews[k]) {
      if (g && keepGrad) {
        checkGradient(who, t, g, paths[k])
        gviews[k].set(g.data)
      } else gviews[k].fill(0)
      t.grad = new Tensor(gviews[k], t.shape.slice())
    }
  }
  const bound = (k: number) => leaves[k].data === pviews[k].data && leaves[k].grad?.data === gviews[k]
  leaves.forEach((_, k) => bind(k, `${opt.name}.attach`, true))
  state.views = leaves
  // The gradient leaves, in the parameters' order: once bound, each is its view of the flat
  // gradient buffer, so step() hands them to the optimizer as they are (no tree to rebuild).
  const gradients: Tensor[] = leaves.map((t) => t.grad!)
  return {
    optimizer: opt,
    params,
    state,
    get stepCount() {
      return state.step
    },
    get currentStepSize() {
      return opt.stepSize(state.step)
    },
    step() {
      for (let k = 0; k < leaves.length; k++) {
        if (!bound(k)) bind(k, `${opt.name} step()`, true)
        gradients[k] = leaves[k].grad!
      }
      opt.updateLeaves(state.step, gradients, state)
    },
    zeroGrad() {
      for (let k = 0; k < leaves.length; k++) if (!bound(k)) bind(k, `${opt.name} zeroGrad()`, false)
      state.grad.fill(0)
      for (let k = 0; k < leaves.length; k++) leaves[k].grad!.markModified()
    },
  }
}

/** A `.grad` assigned by hand is copied into the flat gradient buffer: it must fit its tensor. */
function checkGradient(who: string, t: Tensor, g: unknown, path: string): void {
  if (g instanceof Tensor && sameShape(g.shape, t.shape) && g.dtype !== 'int32') return
  const found = g instanceof Tensor ? `${g.dtype} ${fmt(g.shape)}` : typeof g
  const what = `the .grad of '${path || 'params'}' ${fmt(t.shape)}`
  throw new Error(`${who}: ${what} is ${found}; expected a float tensor of its shape`)
}

/** Each tensor once, and float32: attach shares storage with the tensors. */
function checkAttachable(who: string, leaves: readonly Tensor[], paths: readonly string[]): void {
  const seen = new Map<Tensor, string>()
  leaves.forEach((t, k) => {
    if (seen.has(t)) {
      throw new Error(`${who}: the tensor at '${paths[k]}' also appears at '${seen.get(t)}'; pass each parameter once`)
    }
    seen.set(t, paths[k])
    if (t.dtype !== 'float32') {
      const what = `'${paths[k] || 'params'}' ${fmt(t.shape)} is ${t.dtype}`
      const why = 'optimizer state is float32 and attach shares storage with the tensors'
      throw new Error(`${who}: ${what}; ${why}: convert it first (t.astype('float32'))`)
    }
  })
}
