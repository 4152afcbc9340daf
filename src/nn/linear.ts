/**
 * `Linear`: the dense layer y = x·W + b.
 *
 * The weight is stored as [inFeatures, outFeatures] (as in JAX/Flax `Dense`), so the forward pass
 * is one matmul with no transpose. PyTorch stores [out, in] and computes x·Wᵀ:
 * `stateDict({ format: 'torch' })` and `loadStateDict(d, { format: 'torch' })` transpose it.
 */
import { fmt } from '../nd.js'
import { add } from '../ops/elementwise.js'
import { matmul } from '../ops/linalg.js'
import type { DType } from '../nd.js'
import type { Random } from '../random.js'
import { Tensor, zeros } from '../tensor.js'
import { resolveInit, type Initializer, type InitName } from './init.js'
import { Module } from './module.js'
import { torchEntry, transposedEntry, type TorchEntry } from './torch-entries.js'
import { checkTensor } from '../check.js'

/** Options of `Linear`. */
export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean
  /** Weight initialiser: a name or a function (default 'xavierUniform'); the bias starts at 0. */
  init?: InitName | Initializer
  /** Gain passed to the initialiser (default: the initialiser's own). */
  gain?: number
  /** Generator for the weights (default: the global one, see `seed`). */
  rng?: Random
  /** Element type of the parameters (default 'float32'). */
  dtype?: DType
}

/**
 * Dense layer: y = x·W + b with W of shape [inFeatures, outFeatures] and b of shape [outFeatures];
 * x is [..., inFeatures] (any leading batch axes).
 * @example
 * import { nn, seed, tensor } from 'tapegrad'
 * seed(0)
 * const layer = new nn.Linear(2, 16, { init: 'heUniform' })
 * layer.forward(tensor([[0.5, -1]])).shape // [1, 16]
 * layer.weight.shape // [2, 16]
 */
export class Linear extends Module {
  /** W, shape [inFeatures, outFeatures]. */
  weight: Tensor
  /** b, shape [outFeatures] (absent with `bias: false`). */
  bias?: Tensor
  /** Size of the last axis of the input (not a parameter). */
  readonly inFeatures: number
  /** Size of the last axis of the output (not a parameter). */
  readonly outFeatures: number

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super()
    // Embedding (nn/embedding.ts) checks its two sizes the same way, under its own name.
    for (const [what, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Linear: ${what} must be a positive integer, got ${v}`)
    }
    this.inFeatures = inFeatures
    this.outFeatures = outFeatures
    const init = resolveInit('Linear', options.init ?? 'xavierUniform')
    this.weight = init([inFeatures, outFeatures], { gain: options.gain, rng: options.rng, dtype: options.dtype })
    this.weight.requiresGrad = true
    if (options.bias ?? true) this.bias = zeros([outFeatures], { dtype: options.dtype, requiresGrad: true })
  }

  /** x·W + b. */
  override forward(x: Tensor): Tensor {
    checkTensor('Linear', x, 'input')
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new Error(
        `Linear(${this.inFeatures} → ${this.outFeatures}): input of shape ${fmt(x.shape)} must end with ${this.inFeatures} features`,
      )
    }
    const y = matmul(x, this.weight)
    return this.bias ? add(y, this.bias) : y
  }

  /** As torch's `nn.Linear`: `weight` [out, in] (the transpose of ours), `bias` [out]. */
  override torchEntries(): TorchEntry[] {
    const entries = [transposedEntry('weight', this.weight)]
    if (this.bias) entries.push(torchEntry('bias', this.bias))
    return entries
  }

  override toString(): string {
    return `Linear(${this.inFeatures} → ${this.outFeatures}${this.bias ? '' : ', no bias'})`
  }
}
