/**
 * `BatchNorm1d` and `BatchNorm2d` (Ioffe & Szegedy, 2015): normalise each channel over the batch
 * (and over its length or its height and width), with PyTorch's running statistics.
 *
 * In training mode the statistics are those of the batch, and the gradient flows through them
 * (a composite of mean, sub, square, pow: no backward of its own). Each training step also
 * updates the running estimates in place, PyTorch's momentum convention:
 *   running ← (1 − momentum)·running + momentum·batch
 * with the unbiased batch variance (n/(n − 1)·σ²) for the running variance and the biased one for
 * normalising. In `eval()` mode the running estimates normalise instead, as constants.
 */
import { allocate, fmt, type FloatDType } from '../nd.js'
import { add, mul, pow, square, sub } from '../ops/elementwise.js'
import { mean } from '../ops/reduce.js'
import { reshape } from '../ops/shape.js'
import { ones, Tensor, zeros } from '../tensor.js'
import { Module } from './module.js'
import { checkTensor } from '../check.js'

/** Options of `BatchNorm1d` / `BatchNorm2d` (PyTorch's, camel-cased). */
export interface BatchNormOptions {
  /** ε added to the variance before the root (default 1e-5). */
  eps?: number
  /**
   * Weight of the batch in the running estimates (default 0.1); null: the cumulative average
   * (each batch weighs 1/numBatchesTracked), as PyTorch's `momentum=None`.
   */
  momentum?: number | null
  /** Learn a per-channel scale γ (ones) and shift β (zeros) (default true). */
  affine?: boolean
  /**
   * Keep running estimates (default true). Without them the batch statistics are used in
   * `eval()` mode too, and the module has no buffers.
   */
  trackRunningStats?: boolean
  /** Element type of the parameters and running statistics (default 'float32'). */
  dtype?: FloatDType
}

/**
 * The shared body of `BatchNorm1d` and `BatchNorm2d` (they differ only in the input ranks they
 * accept). Per channel c, with the statistics taken over every axis but the channel axis 1:
 *   training:  y = (x − μ_B) / √(σ²_B + ε) · γ + β      (μ_B, σ²_B: batch mean and biased variance)
 *   eval:      y = (x − μ̂) / √(σ̂² + ε) · γ + β          (μ̂, σ̂²: the running estimates)
 * and, after each training step, μ̂ ← (1 − m)·μ̂ + m·μ_B, σ̂² ← (1 − m)·σ̂² + m·n/(n − 1)·σ²_B,
 * with m the momentum and n the number of values per channel.
 * @example
 * import { nn } from 'tapegrad'
 * const norms: nn.BatchNorm[] = [new nn.BatchNorm1d(4), new nn.BatchNorm2d(4, { momentum: null })]
 * norms.map((bn) => bn.namedBuffers().map(([name]) => name)) // [['runningMean', 'runningVar', 'numBatchesTracked'], ['runningMean', 'runningVar', 'numBatchesTracked']]
 */
export abstract class BatchNorm extends Module {
  /** γ, shape [numFeatures] (absent with `affine: false`). */
  weight?: Tensor
  /** β, shape [numFeatures] (absent with `affine: false`). */
  bias?: Tensor
  /** μ̂, a buffer of shape [numFeatures] starting at 0 (absent with `trackRunningStats: false`). */
  runningMean?: Tensor
  /** σ̂², a buffer of shape [numFeatures] starting at 1 (absent with `trackRunningStats: false`). */
  runningVar?: Tensor
  /** Number of training batches seen, a 0-d int32 buffer (PyTorch's int64 `num_batches_tracked`). */
  numBatchesTracked?: Tensor
  /** Number of channels C (the size of axis 1 of the input). */
  readonly numFeatures: number
  /** ε added to the variance. */
  readonly eps: number
  /** Weight of a batch in the running estimates; null for the cumulative average. */
  readonly momentum: number | null

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super()
    const who = new.target.name
    if (!Number.isInteger(numFeatures) || numFeatures <= 0)
      throw new Error(`${who}: numFeatures must be a positive integer, got ${numFeatures}`)
    const eps = options.eps ?? 1e-5
    if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`${who}: eps must be a number ≥ 0, got ${eps}`)
    const momentum = options.momentum === undefined ? 0.1 : options.momentum
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) {
      throw new Error(`${who}: momentum must be a number in [0, 1] or null, got ${momentum}`)
    }
    const dtype = options.dtype ?? 'float32'
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new Error(`${who}: dtype must be 'float32' or 'float64', got ${String(dtype)}`)
    this.numFeatures = numFeatures
    this.eps = eps
    this.momentum = momentum
    if (options.affine ?? true) {
      this.weight = ones([numFeatures], { dtype, requiresGrad: true })
      this.bias = zeros([numFeatures], { dtype, requiresGrad: true })
    }
    if (options.trackRunningStats ?? true) {
      this.registerBuffer('runningMean', zeros([numFeatures], { dtype }))
      this.registerBuffer('runningVar', ones([numFeatures], { dtype }))
      this.registerBuffer('numBatchesTracked', zeros([], { dtype: 'int32' }))
    }
  }

  /** The input ranks accepted. */
  protected abstract get ranks(): readonly number[]
  /** The accepted input shapes, as errors write them. */
  protected abstract get layout(): string

  /** Normalises x ([N, C, …]) per channel; see the class for the formulas. */
  override forward(x: Tensor): Tensor {
    const who = this.constructor.name
    checkTensor(who, x, 'input')
    if (!this.ranks.includes(x.ndim)) throw new Error(`${who}: expected an input ${this.layout}, got ${fmt(x.shape)}`)
    const C = this.numFeatures
    if (x.shape[1] !== C)
      throw new Error(`${who}(${C}): input ${fmt(x.shape)} has ${x.shape[1]} channels (axis 1), expected ${C}`)
    const dtype = (this.weight ?? this.runningMean)?.dtype
    if (dtype !== undefined && x.dtype !== dtype) {
      // An int32 input is converted; a module cannot be made int32 (its statistics are real).
      const fix =
        x.dtype === 'int32'
          ? `convert it (x.astype('${dtype}'))`
          : `convert one (x.astype('${dtype}'), or create the module with { dtype: '${x.dtype}' })`
      throw new Error(`${who}: input ${fmt(x.shape)} is ${x.dtype} but the module is ${dtype}; ${fix}`)
    }
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1)
    const n = x.size / C
    // Shape [1, C, 1, …]: per-channel values that broadcast against x.
    const channel = x.shape.map((s, i) => (i === 1 ? C : 1))
    const useBatch = this.training || !this.runningMean
    let y: Tensor
    if (useBatch) {
      if (n <= 1) {
        const when = this.training ? 'when training' : 'when using batch statistics (trackRunningStats: false)'
        throw new Error(`${who}: expected more than 1 value per channel ${when}, got input ${fmt(x.shape)}`)
      }
      const mu = mean(x, axes, true)
      const centred = sub(x, mu)
      const v = mean(square(centred), axes, true) // biased: normalising uses σ²_B
      y = mul(centred, pow(add(v, this.eps), -0.5))
      if (this.training && this.runningMean) this.updateRunningStats(mu.data, v.data, n)
    } else {
      // Constants: fresh per-channel copies of μ̂ and 1/√(σ̂² + ε), so that a later training step,
      // which updates the buffers in place, cannot change this graph.
      const shift = allocate(x.dtype, C)
      const scale = allocate(x.dtype, C)
      for (let c = 0; c < C; c++) {
        shift[c] = this.runningMean!.data[c]
        scale[c] = 1 / Math.sqrt(this.runningVar!.data[c] + this.eps)
      }
      y = mul(sub(x, new Tensor(shift, channel.slice())), new Tensor(scale, channel.slice()))
    }
    if (this.weight) y = mul(y, reshape(this.weight, channel))
    if (this.bias) y = add(y, reshape(this.bias, channel))
    return y
  }

  /** μ̂ ← (1 − m)·μ̂ + m·μ_B and σ̂² ← (1 − m)·σ̂² + m·n/(n − 1)·σ²_B, in place. */
  private updateRunningStats(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, n: number): void {
    const count = this.numBatchesTracked!.data
    count[0] += 1
    const m = this.momentum ?? 1 / count[0]
    const rm = this.runningMean!.data
    const rv = this.runningVar!.data
    for (let c = 0; c < rm.length; c++) {
      rm[c] = (1 - m) * rm[c] + m * batchMean[c]
      rv[c] = (1 - m) * rv[c] + m * batchVar[c] * (n / (n - 1))
    }
    for (const t of [this.numBatchesTracked!, this.runningMean!, this.runningVar!]) t.markModified()
  }

  override toString(): string {
    const extra = [this.weight ? '' : 'affine: false', this.runningMean ? '' : 'trackRunningStats: false'].filter(
      Boolean,
    )
    return `${this.constructor.name}(${this.numFeatures}${extra.length ? `, ${extra.join(', ')}` : ''})`
  }
}

/**
 * Batch normalisation of [N, C] or [N, C, L] inputs: statistics per channel c over the batch
 * (and the length): y = (x − μ) / √(σ² + ε) · γ + β. Batch statistics in `train()` mode, running
 * estimates in `eval()` mode (see `BatchNorm`).
 * @example
 * import { nn, tensor } from 'tapegrad'
 * const bn = new nn.BatchNorm1d(2)
 * // each column normalised by its batch mean and variance (to 4 decimals: ε = 1e-5 is in the variance)
 * bn.forward(tensor([[1, 10], [3, 30]])) // [[-1.0000, -1.0000], [1.0000, 1.0000]]
 * // the running mean moved 0.1 of the way from 0 to the batch mean [2, 20]
 * bn.runningMean!.toArray()               // [0.2, 2]
 * // in eval mode the running estimates are used
 * bn.eval().forward(tensor([[0.2, 2]]))   // [[0, 0]]
 */
export class BatchNorm1d extends BatchNorm {
  protected get ranks(): readonly number[] {
    return [2, 3]
  }
  protected get layout(): string {
    return '[N, C] or [N, C, L]'
  }
}

/**
 * Batch normalisation of [N, C, H, W] inputs: statistics per channel c over the batch, the
 * height and the width: y = (x − μ) / √(σ² + ε) · γ + β. Batch statistics in `train()` mode,
 * running estimates in `eval()` mode (see `BatchNorm`).
 * @example
 * import { nn, randn, seed } from 'tapegrad'
 * seed(0)
 * const bn = new nn.BatchNorm2d(3)
 * const y = bn.forward(randn([8, 3, 5, 5]))
 * y.shape                                 // [8, 3, 5, 5]
 * // each channel now has mean 0 and variance 1 (to 3 decimals)
 * y.mean([0, 2, 3])                       // [0.000, 0.000, 0.000]
 * y.var([0, 2, 3])                        // [1.000, 1.000, 1.000]
 * Object.keys(bn.stateDict())             // ['weight', 'bias', 'runningMean', 'runningVar', 'numBatchesTracked']
 */
export class BatchNorm2d extends BatchNorm {
  protected get ranks(): readonly number[] {
    return [4]
  }
  protected get layout(): string {
    return '[N, C, H, W]'
  }
}
