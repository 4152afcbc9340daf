/**
 * `Embedding`: a table of learned vectors looked up by integer ids (a `gather` along axis 0,
 * whose backward scatter-adds, so repeated ids accumulate their gradients).
 */
import type { DType } from '../nd.js'
import { gather, type IndexLike } from '../ops/indexing.js'
import type { Random } from '../random.js'
import type { Tensor } from '../tensor.js'
import { normal } from './init.js'
import { Module } from './module.js'

/**
 * out[i…, :] = weight[ids[i…], :] with weight of shape [numEmbeddings, dim], initialised N(0, 1)
 * as in PyTorch. ids: an array, Int32Array or integer Tensor of any shape; out has shape
 * ids.shape + [dim].
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const emb = new nn.Embedding(100, 8)
 * emb.forward([[1, 2, 3], [4, 5, 6]]).shape // [2, 3, 8]
 */
export class Embedding extends Module {
  /** The table, shape [numEmbeddings, dim]. */
  weight: Tensor
  /** Number of rows (ids 0 … numEmbeddings − 1). */
  readonly numEmbeddings: number
  /** Length of each vector. */
  readonly dim: number

  constructor(numEmbeddings: number, dim: number, options: { rng?: Random; dtype?: DType } = {}) {
    super()
    // Sizes checked as Linear's constructor does (nn/linear.ts), with this layer's name in the error.
    for (const [what, v] of [
      ['numEmbeddings', numEmbeddings],
      ['dim', dim],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Embedding: ${what} must be a positive integer, got ${v}`)
    }
    this.numEmbeddings = numEmbeddings
    this.dim = dim
    this.weight = normal([numEmbeddings, dim], 0, 1, { rng: options.rng, dtype: options.dtype })
  }

  override forward(ids: IndexLike): Tensor {
    return gather(this.weight, ids, 0)
  }

  override toString(): string {
    return `Embedding(${this.numEmbeddings}, ${this.dim})`
  }
}
