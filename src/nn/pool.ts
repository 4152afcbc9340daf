/**
 * Pooling layers `MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d`, PyTorch's (same arguments and
 * defaults; no parameters): thin modules over the ops of src/ops/pool.ts, so that pooling can
 * sit in a `Sequential`.
 */
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions } from '../ops/pool.js'
import { fmtWindow, perAxis, type SpatialArg } from '../ops/window-args.js'
import type { Tensor } from '../tensor.js'
import { fmt } from '../nd.js'
import { Module } from './module.js'

/** The window arguments checked once, at construction (as PyTorch does). */
function checkWindow(name: string, kernelSize: SpatialArg, o: MaxPool2dOptions): number[] {
  if (o === null || typeof o !== 'object') throw new Error(`${name}: options must be an object, got ${String(o)}`)
  const kernel = perAxis(name, 'kernelSize', kernelSize, 2, 1)
  perAxis(name, 'stride', o.stride ?? kernel, 2, 1)
  const padding = perAxis(name, 'padding', o.padding ?? 0, 2, 0)
  perAxis(name, 'dilation', o.dilation ?? 1, 2, 1)
  if (padding.some((p, i) => 2 * p > kernel[i])) {
    const half = `at most half the kernel size ${fmtWindow(kernel)} (as in PyTorch)`
    throw new Error(`${name}: padding ${fmt(padding)} must be ${half}`)
  }
  return kernel
}

/**
 * Max pooling layer, PyTorch's `nn.MaxPool2d`: y = maxPool2d(x, kernelSize, options), the
 * largest value of each window; x [N, C, H, W] → [N, C, Ho, Wo] (see {@link maxPool2d}).
 * `stride` defaults to the kernel size (windows side by side).
 * @example
 * import { nn, zeros } from 'tapegrad'
 * const pool = new nn.MaxPool2d(2)
 * pool.forward(zeros([1, 8, 28, 28])).shape // [1, 8, 14, 14]
 */
export class MaxPool2d extends Module {
  /** Window size per spatial axis. */
  readonly kernelSize: readonly number[]
  /** The pooling options, as passed to the op. */
  readonly options: Readonly<MaxPool2dOptions>

  constructor(kernelSize: SpatialArg, options: MaxPool2dOptions = {}) {
    super()
    this.kernelSize = checkWindow('MaxPool2d', kernelSize, options)
    this.options = { ...options }
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize as number[], this.options)
  }

  override toString(): string {
    return `MaxPool2d(${fmtWindow(this.kernelSize)})`
  }
}

// The same layer as MaxPool2d above (window, options, forward, toString) over its own op; their
// option types differ (AvgPool2d has no dilation), so neither is a subclass of the other.
/**
 * Average pooling layer, PyTorch's `nn.AvgPool2d` with its defaults (padding counts in the
 * divisor): y = avgPool2d(x, kernelSize, options); x [N, C, H, W] → [N, C, Ho, Wo]
 * (see {@link avgPool2d}). `stride` defaults to the kernel size.
 * @example
 * import { nn, ones } from 'tapegrad'
 * const pool = new nn.AvgPool2d(2)
 * pool.forward(ones([1, 1, 4, 4])).toArray() // [[[[1, 1], [1, 1]]]]
 */
export class AvgPool2d extends Module {
  /** Window size per spatial axis. */
  readonly kernelSize: readonly number[]
  /** The pooling options, as passed to the op. */
  readonly options: Readonly<AvgPool2dOptions>

  constructor(kernelSize: SpatialArg, options: AvgPool2dOptions = {}) {
    super()
    // As MaxPool2d's constructor, plus the one option AvgPool2d lacks: each layer names itself in errors.
    if (options !== null && typeof options === 'object' && (options as MaxPool2dOptions).dilation !== undefined) {
      throw new Error(`AvgPool2d: there is no dilation option (PyTorch's AvgPool2d has none)`)
    }
    this.kernelSize = checkWindow('AvgPool2d', kernelSize, options)
    this.options = { ...options }
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize as number[], this.options)
  }

  override toString(): string {
    return `AvgPool2d(${fmtWindow(this.kernelSize)})`
  }
}

/**
 * Adaptive average pooling layer, PyTorch's `nn.AdaptiveAvgPool2d`: a fixed output size
 * whatever the input's (see {@link adaptiveAvgPool2d}); `new AdaptiveAvgPool2d(1)` is global
 * average pooling, [N, C, H, W] → [N, C, 1, 1].
 * @example
 * import { nn, ones } from 'tapegrad'
 * new nn.AdaptiveAvgPool2d(1).forward(ones([2, 3, 7, 7])).shape // [2, 3, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  /** Output height and width (null keeps the input's). */
  readonly outputSize: readonly (number | null)[]

  constructor(outputSize: number | readonly (number | null)[]) {
    super()
    const sizes = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize
    const ok = (v: unknown) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1)
    if (!Array.isArray(sizes) || sizes.length !== 2 || !sizes.every(ok)) {
      throw new Error(
        'AdaptiveAvgPool2d: outputSize must be a positive integer or a pair of them (null keeps a size), ' +
          `got ${JSON.stringify(outputSize)}`,
      )
    }
    this.outputSize = sizes.slice()
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize)
  }

  override toString(): string {
    return `AdaptiveAvgPool2d(${this.outputSize.map((s) => (s === null ? 'same' : String(s))).join('×')})`
  }
}
