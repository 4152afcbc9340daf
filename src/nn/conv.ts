/**
 * Convolution layers `Conv2d` and `Conv1d`, PyTorch's: the same constructor arguments, the same
 * parameter names and layouts (`weight` [out, in/groups, kH, kW] or [out, in/groups, k], `bias`
 * [out]) and the same default initialisation, so a PyTorch state dict loads as it is.
 *
 * Default initialisation (PyTorch's `reset_parameters`): the weight is kaiming_uniform with
 * a = √5, i.e. U(−b, b) with b = gain·√(3/fanIn), gain = √(2/(1 + a²)) = √(1/3), so b = 1/√fanIn;
 * the bias is U(−1/√fanIn, 1/√fanIn); fanIn = (in/groups)·kH·kW.
 */
import { fmt, type DType } from '../nd.js'
import { conv1d, conv2d, type ConvOptions } from '../ops/conv.js'
import { fmtWindow, perAxis, type SpatialArg } from '../ops/window-args.js'
import type { Random } from '../random.js'
import { Tensor } from '../tensor.js'
import { resolveInit, uniform, type Initializer, type InitName } from './init.js'
import { Module } from './module.js'

/** Options of `Conv2d` and `Conv1d`: the convolution's (PyTorch's names) and the parameters'. */
export interface ConvLayerOptions extends ConvOptions {
  /** Learn a bias per output channel (default true). */
  bias?: boolean
  /**
   * Weight initialiser (default: PyTorch's, U(±1/√fanIn)); a named one gets the conv fans
   * fanIn = (in/groups)·kernel area and fanOut = (out/groups)·kernel area.
   */
  init?: InitName | Initializer
  /** Gain passed to a named initialiser. */
  gain?: number
  /** Generator for the initial values (default: the global one, see `seed`). */
  rng?: Random
  /** Element type of the parameters (default 'float32'). */
  dtype?: DType
}

/** Whether an option is `d` on every axis. */
function isAll(v: unknown, d: number): boolean {
  return v === d || (Array.isArray(v) && v.every((x) => x === d))
}

/** An option as printed: `2`, `2×1`, `same`. */
function show(v: unknown): string {
  return Array.isArray(v) ? fmtWindow(v) : String(v)
}

/** What Conv1d and Conv2d share: checks, parameters, initialisation, printing. */
abstract class ConvLayer extends Module {
  /** The filters, [outChannels, inChannels/groups, ...kernelSize] (PyTorch's layout). */
  weight: Tensor
  /** One value per output channel, [outChannels] (absent with `bias: false`). */
  bias?: Tensor
  /** Channels of the input (not a parameter). */
  readonly inChannels: number
  /** Channels of the output (not a parameter). */
  readonly outChannels: number
  /** Kernel size per spatial axis. */
  readonly kernelSize: readonly number[]
  /** The convolution's options, as passed to the op. */
  readonly options: Readonly<ConvOptions>

  constructor(
    name: string,
    dims: 1 | 2,
    inChannels: number,
    outChannels: number,
    kernelSize: SpatialArg,
    o: ConvLayerOptions,
  ) {
    super()
    if (o === null || typeof o !== 'object') throw new Error(`${name}: options must be an object, got ${String(o)}`)
    for (const [what, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${what} must be a positive integer, got ${v}`)
    }
    const groups = o.groups ?? 1
    if (!Number.isInteger(groups) || groups < 1) {
      throw new Error(`${name}: groups must be a positive integer, got ${groups}`)
    }
    if (inChannels % groups !== 0) throw new Error(`${name}: groups ${groups} does not divide inChannels ${inChannels}`)
    if (outChannels % groups !== 0) {
      throw new Error(`${name}: groups ${groups} does not divide outChannels ${outChannels}`)
    }
    const kernel = perAxis(name, 'kernelSize', kernelSize, dims, 1)
    // The options are checked here, once, so that a bad one fails at construction as in PyTorch.
    const stride = perAxis(name, 'stride', o.stride ?? 1, dims, 1)
    perAxis(name, 'dilation', o.dilation ?? 1, dims, 1)
    const padding = o.padding ?? 0
    if (padding === 'same') {
      if (stride.some((s) => s !== 1)) {
        throw new Error(`${name}: padding 'same' needs stride 1 (as in PyTorch), got stride ${fmt(stride)}`)
      }
    } else if (padding !== 'valid') {
      perAxis(name, 'padding', padding, dims, 0)
    }
    this.inChannels = inChannels
    this.outChannels = outChannels
    this.kernelSize = kernel
    this.options = { stride: o.stride ?? 1, padding, dilation: o.dilation ?? 1, groups }
    const area = kernel.reduce((a, b) => a * b, 1)
    const fanIn = (inChannels / groups) * area
    const shape = [outChannels, inChannels / groups, ...kernel]
    const bound = 1 / Math.sqrt(fanIn)
    if (o.init === undefined) {
      this.weight = uniform(shape, -bound, bound, { rng: o.rng, dtype: o.dtype })
    } else {
      const init = resolveInit(name, o.init)
      const fanOut = (outChannels / groups) * area
      this.weight = init(shape, { fanIn, fanOut, gain: o.gain, rng: o.rng, dtype: o.dtype })
      this.weight.requiresGrad = true
    }
    if (o.bias ?? true) this.bias = uniform([outChannels], -bound, bound, { rng: o.rng, dtype: o.dtype })
  }

  override toString(): string {
    const { stride, padding, dilation, groups } = this.options
    const extra: string[] = []
    if (!isAll(stride, 1)) extra.push(`stride ${show(stride)}`)
    if (padding !== 'valid' && !isAll(padding, 0)) extra.push(`padding ${show(padding)}`)
    if (!isAll(dilation, 1)) extra.push(`dilation ${show(dilation)}`)
    if (groups !== 1) extra.push(`groups ${groups}`)
    if (!this.bias) extra.push('no bias')
    const tail = extra.length ? `, ${extra.join(', ')}` : ''
    return `${this.constructor.name}(${this.inChannels} → ${this.outChannels}, ${fmtWindow(this.kernelSize)}${tail})`
  }
}

/**
 * 2-D convolution layer, PyTorch's `nn.Conv2d`: y = conv2d(x, weight, bias, options) with
 * x [N, inChannels, H, W] → y [N, outChannels, Ho, Wo] (see {@link conv2d} for the sum and the
 * output size). `weight` is [outChannels, inChannels/groups, kH, kW] and `bias` [outChannels],
 * initialised as PyTorch does (U(±1/√fanIn), fanIn = inChannels/groups·kH·kW).
 * @example
 * import { nn, seed, zeros } from 'tapegrad'
 * seed(0)
 * const conv = new nn.Conv2d(1, 8, 5, { padding: 'same' })
 * conv.forward(zeros([2, 1, 28, 28])).shape        // [2, 8, 28, 28]
 * conv.weight.shape                                // [8, 1, 5, 5]
 * new nn.Conv2d(3, 16, [3, 5], { stride: 2 }).toString() // 'Conv2d(3 → 16, 3×5, stride 2)'
 */
export class Conv2d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvLayerOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options)
  }

  /** conv2d(x, weight, bias) with this layer's options; x is [N, inChannels, H, W]. */
  override forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias ?? null, this.options)
  }
}

/**
 * 1-D convolution layer, PyTorch's `nn.Conv1d`: y = conv1d(x, weight, bias, options) with
 * x [N, inChannels, L] → y [N, outChannels, Lo] (see {@link conv1d}). `weight` is
 * [outChannels, inChannels/groups, k] and `bias` [outChannels], initialised as PyTorch does.
 * @example
 * import { nn, zeros } from 'tapegrad'
 * const conv = new nn.Conv1d(16, 32, 3, { padding: 1 })
 * conv.forward(zeros([4, 16, 100])).shape // [4, 32, 100]
 */
export class Conv1d extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: SpatialArg, options: ConvLayerOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options)
  }

  /** conv1d(x, weight, bias) with this layer's options; x is [N, inChannels, L]. */
  override forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias ?? null, this.options)
  }
}
