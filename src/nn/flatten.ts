/**
 * `Flatten`: merges axes into one, PyTorch's `nn.Flatten` (from axis 1 by default, so the batch
 * axis stays) — the step between convolution/pooling layers and a dense layer.
 */
import { fmt } from '../nd.js'
import { flatten } from '../ops/shape.js'
import { Tensor } from '../tensor.js'
import { Module } from './module.js'

/**
 * y = flatten(x, startDim, endDim): axes startDim…endDim (inclusive; negative count from the end)
 * become one axis of their product, e.g. [N, C, H, W] → [N, C·H·W] with the defaults (1, −1).
 * A reshape: the result shares x's storage and the gradient is reshaped back.
 * @example
 * import { nn, zeros } from 'tapegrad'
 * const flat = new nn.Flatten()
 * flat.forward(zeros([64, 16, 7, 7])).shape     // [64, 784]
 * new nn.Flatten(0).forward(zeros([2, 3])).shape   // [6]
 */
export class Flatten extends Module {
  /** First axis merged (default 1: keep the batch axis). */
  readonly startDim: number
  /** Last axis merged, inclusive (default −1: the last). */
  readonly endDim: number

  constructor(startDim = 1, endDim = -1) {
    super()
    for (const [what, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!Number.isInteger(v)) throw new Error(`Flatten: ${what} must be an integer, got ${String(v)}`)
    }
    this.startDim = startDim
    this.endDim = endDim
  }

  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) {
      throw new Error(`Flatten: input must be a Tensor, got ${x === null ? 'null' : typeof x}`)
    }
    // Checked here so that the error speaks of this layer's arguments (the op calls them axes).
    const n = Math.max(x.ndim, 1)
    const [s, e] = [this.startDim, this.endDim].map((d) => (d < 0 ? d + n : d))
    for (const [what, v, at] of [
      ['startDim', this.startDim, s],
      ['endDim', this.endDim, e],
    ] as const) {
      if (at < 0 || at >= n) {
        throw new Error(`Flatten: ${what} ${v} is out of range for input ${fmt(x.shape)} (${x.ndim} axes)`)
      }
    }
    if (s > e) {
      throw new Error(`Flatten: startDim ${this.startDim} comes after endDim ${this.endDim} for input ${fmt(x.shape)}`)
    }
    return flatten(x, this.startDim, this.endDim)
  }

  override toString(): string {
    return `Flatten(${this.startDim}, ${this.endDim})`
  }
}
