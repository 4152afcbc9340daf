/**
 * Pooling over NCHW images, PyTorch's `F.max_pool2d`, `F.avg_pool2d` and
 * `F.adaptive_avg_pool2d` (argument names, defaults, output sizes and gradients).
 *
 * Max pooling finds each window's argmax once (src/kernels/pool.ts) and is then a pair of linear
 * primitives over those indices: the forward gathers x at them, the backward scatter-adds g back
 * to them (an element that is the max of two overlapping windows gets both gradients), and each
 * is the other's gradient, so second derivatives and tangents are gathers and scatters again.
 * Average pooling is a composite: a convolution of each channel with a constant kH×kW kernel of
 * 1/(kH·kW) (zero padding counted, PyTorch's default `count_include_pad=True`), so its gradients
 * are convolutions. Adaptive average pooling is a mean (output size 1) or a pair of linear
 * primitives over PyTorch's windows (a direct average and its adjoint), like max pooling's.
 */
import { checkFloat } from '../check.js'
import { allocate, fmt, type FloatArray, type FloatDType } from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { freshGradient } from '../grad-buffers.js'
import { Tensor } from '../tensor.js'
import { describeValue } from '../describe-value.js'
import { gatherAt, maxPool2dArgmax, scatterAddAt, type Pool2dGeometry } from '../kernels/pool.js'
import { conv2dOp } from './conv.js'
import { mean } from './reduce.js'
import { reshape } from './shape.js'
import { floatDtype, fmtWindow, perAxis, type SpatialArg } from './window-args.js'

/** Options of `maxPool2d` (PyTorch's names; `stride` defaults to the kernel size). */
export interface MaxPool2dOptions {
  /** Step of the window (default: the kernel size, i.e. windows that do not overlap). */
  stride?: SpatialArg
  /** Implicit −∞ padding on both sides, at most half the kernel size (default 0). */
  padding?: SpatialArg
  /** Spacing between window taps (default 1). */
  dilation?: SpatialArg
}

/** Options of `avgPool2d` (PyTorch's names; `stride` defaults to the kernel size). */
export interface AvgPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: SpatialArg
  /** Zero padding on both sides, at most half the kernel size (default 0); zeros count in the mean. */
  padding?: SpatialArg
}

/** Where max pooling took each output from. */
export interface MaxPoolIndices {
  /** Flat index into x of each output element's source (the argmax of its window). */
  idx: Int32Array
  /** Shape of x. */
  inShape: number[]
  /** Shape of the pooled output. */
  outShape: number[]
}

/** Checks a pooling call and works out its geometry; errors name `op` and the shapes. */
function planPool(op: string, x: unknown, kernelSize: unknown, options: MaxPool2dOptions): Pool2dGeometry {
  if (!(x instanceof Tensor)) throw new Error(`${op}: input must be a Tensor [N, C, H, W], got ${describeValue(x)}`)
  checkFloat(op, x, 'input')
  if (options === null || typeof options !== 'object') {
    throw new Error(`${op}: options must be an object, got ${describeValue(options)}`)
  }
  if (x.ndim !== 4) {
    const hint = x.ndim === 3 ? ' (one sample: add the batch axis with unsqueeze(x, 0))' : ''
    throw new Error(`${op}: input must be 4-D [N, C, H, W], got shape ${fmt(x.shape)}${hint}`)
  }
  floatDtype(op, x)
  const kernel = perAxis(op, 'kernelSize', kernelSize, 2, 1)
  const stride = perAxis(op, 'stride', options.stride ?? kernel, 2, 1)
  const padding = perAxis(op, 'padding', options.padding ?? 0, 2, 0)
  const dilation = perAxis(op, 'dilation', options.dilation ?? 1, 2, 1)
  if (padding.some((p, i) => 2 * p > kernel[i])) {
    const half = `at most half the kernel size ${fmtWindow(kernel)} (as in PyTorch)`
    throw new Error(`${op}: padding ${fmt(padding)} must be ${half}`)
  }
  const [N, C, H, W] = x.shape
  const effective = kernel.map((k, i) => dilation[i] * (k - 1) + 1)
  const padded = [H + 2 * padding[0], W + 2 * padding[1]]
  if (effective.some((k, i) => k > padded[i])) {
    const dilated = dilation.some((d) => d !== 1) ? ` (${fmtWindow(effective)} dilated)` : ''
    throw new Error(
      `${op}: kernel ${fmtWindow(kernel)}${dilated} is larger than the padded input ${fmtWindow(padded)} ` +
        `(input ${fmt(x.shape)}, padding ${fmt(padding)})`,
    )
  }
  const out = padded.map((p, i) => Math.floor((p - effective[i]) / stride[i]) + 1)
  return {
    batch: N,
    channels: C,
    height: H,
    width: W,
    kernelH: kernel[0],
    kernelW: kernel[1],
    strideH: stride[0],
    strideW: stride[1],
    padTop: padding[0],
    padLeft: padding[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
    outH: out[0],
    outW: out[1],
  }
}

// ---- max pooling: a gather by the argmax indices and its adjoint, a scatter-add ---------------

/**
 * The primitive behind {@link maxPool2d}: out[k] = x[idx[k]], the values at each window's argmax
 * (indices found once, by the forward's caller). Linear in x:
 *   backward  x̄ = maxPool2dBackward(ȳ)  (ȳ scatter-added to the indices)
 *   tangent   ẏ = the same gather of ẋ
 * @example
 * import { maxPool2dOp, tensor } from 'tapegrad'
 * // one 2×2 window over a 1×1×2×2 input: its argmax is the flat index 2 (the value 7)
 * const x = tensor([[[[1, 5], [7, 2]]]])
 * maxPool2dOp([x], { idx: new Int32Array([2]), inShape: [1, 1, 2, 2], outShape: [1, 1, 1, 1] }).toArray() // [[[[7]]]]
 */
export const maxPool2dOp: Op<MaxPoolIndices> = defineOp<MaxPoolIndices>({
  name: 'maxPool2d',
  forward: ([x], at) => gather(x, at),
  backward: (g, _inputs, _out, at) => [maxPool2dBackwardOp([g], at)],
  tangent: ([dx], _inputs, _out, at) => maxPool2dOp([dx], at),
  fastBackward: (g, _inputs, _out, at) => [freshGradient(scatter(g, at))], // allocated here, kept nowhere else
})

/**
 * The gradient of max pooling as a primitive: dx = zeros of x's shape with dx[idx[k]] += g[k]
 * (overlapping windows that share a max add up). Linear in g, the adjoint of the gather:
 *   backward  ḡ = maxPool2d's gather of Ḡ
 *   tangent   ḋx = the same scatter of ġ
 * @example
 * import { maxPool2dBackwardOp, tensor } from 'tapegrad'
 * // the gradient of one 2×2 window whose max was at flat index 2 goes to that element only
 * const g = tensor([[[[10]]]])
 * maxPool2dBackwardOp([g], { idx: new Int32Array([2]), inShape: [1, 1, 2, 2], outShape: [1, 1, 1, 1] }).toArray() // [[[[0, 0], [10, 0]]]]
 */
export const maxPool2dBackwardOp: Op<MaxPoolIndices> = defineOp<MaxPoolIndices>({
  name: 'maxPool2dBackward',
  forward: ([g], at) => scatter(g, at),
  backward: (G, _inputs, _out, at) => [maxPool2dOp([G], at)],
  tangent: ([dg], _inputs, _out, at) => maxPool2dBackwardOp([dg], at),
})

/** x at the argmax indices, as a tensor of the pooled shape (the raw loop, no recording). */
function gather(x: Tensor, at: MaxPoolIndices): Tensor {
  const out = allocate(x.dtype, at.idx.length) as FloatArray
  gatherAt(x.data as FloatArray, at.idx, out)
  return new Tensor(out, at.outShape.slice())
}

/** g scatter-added to the argmax indices, as a tensor of x's shape (the raw loop). */
function scatter(g: Tensor, at: MaxPoolIndices): Tensor {
  const dx = allocate(
    g.dtype,
    at.inShape.reduce((a, b) => a * b, 1),
  ) as FloatArray
  scatterAddAt(g.data as FloatArray, at.idx, dx)
  return new Tensor(dx, at.inShape.slice())
}

/**
 * 2-D max pooling, PyTorch's `F.max_pool2d`: each output is the largest input in its window,
 *   y[n, c, p, q] = max_{i < kH, j < kW} x[n, c, p·sH − padH + i·dH, q·sW − padW + j·dW]
 * over positions inside x (padding is −∞ and at most half the kernel). x is [N, C, H, W]; the
 * output is [N, C, Ho, Wo] with Ho = ⌊(H + 2·padH − dH·(kH − 1) − 1) / sH⌋ + 1 (likewise Wo).
 * `kernelSize`, `stride` (default: `kernelSize`), `padding` and `dilation` take a number or a pair.
 * The gradient goes to the argmax of each window (the first maximum in row-major order when
 * values tie, as PyTorch); an element that is the max of several overlapping windows receives
 * the sum of their gradients. NaN propagates.
 * @example
 * import { maxPool2d, tensor } from 'tapegrad'
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]]]])
 * maxPool2d(x, 2).toArray()                        // [[[[4, 8], [12, 16]]]]
 * maxPool2d(x, 3, { stride: 1 }).toArray()         // [[[[13, 14], [15, 16]]]]
 * maxPool2d(x, 2, { stride: 1, padding: 1 }).shape // [1, 1, 5, 5]
 */
export function maxPool2d(x: Tensor, kernelSize: SpatialArg, options: MaxPool2dOptions = {}): Tensor {
  const geo = planPool('maxPool2d', x, kernelSize, options)
  const outShape = [geo.batch, geo.channels, geo.outH, geo.outW]
  const idx = new Int32Array(geo.batch * geo.channels * geo.outH * geo.outW)
  if (!maxPool2dArgmax(x.data as FloatArray, geo, idx)) {
    throw new Error(
      `maxPool2d: with kernel ${fmtWindow([geo.kernelH, geo.kernelW])}, ` +
        `dilation ${fmt([geo.dilationH, geo.dilationW])} and padding ${fmt([geo.padTop, geo.padLeft])}, ` +
        `some windows of input ${fmt(x.shape)} hold only padding`,
    )
  }
  return maxPool2dOp([x], { idx, inShape: x.shape.slice(), outShape })
}

// ---- average pooling: a depthwise convolution with a constant kernel ---------------------------

/** The constant kernel 1/(kH·kW) of average pooling, in one dtype. */
function averagingKernel(dtype: FloatDType, kH: number, kW: number): Tensor {
  const w = allocate(dtype, kH * kW).fill(1 / (kH * kW))
  return new Tensor(w, [1, 1, kH, kW])
}

/**
 * 2-D average pooling, PyTorch's `F.avg_pool2d` with its defaults (`count_include_pad=True`):
 *   y[n, c, p, q] = (1 / (kH·kW)) · Σ_{i < kH, j < kW} x[n, c, p·sH − padH + i, q·sW − padW + j]
 * where positions in the zero padding count as 0 and the divisor is always kH·kW. x is
 * [N, C, H, W]; the output is [N, C, Ho, Wo] with Ho = ⌊(H + 2·padH − kH) / sH⌋ + 1 (likewise Wo).
 * `kernelSize`, `stride` (default: `kernelSize`) and `padding` (at most half the kernel) take a
 * number or a pair. Computed as a convolution of every channel with that constant kernel, so
 * its gradient spreads g/(kH·kW) over each window.
 * @example
 * import { avgPool2d, ones, tensor } from 'tapegrad'
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]]]])
 * avgPool2d(x, 2).toArray()                     // [[[[2.5, 6.5], [10.5, 14.5]]]]
 * const y = avgPool2d(ones([1, 1, 2, 2]), 2, { stride: 1, padding: 1 })
 * y.toArray() // [[[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]]
 */
export function avgPool2d(x: Tensor, kernelSize: SpatialArg, options: AvgPool2dOptions = {}): Tensor {
  if (options !== null && typeof options === 'object' && (options as MaxPool2dOptions).dilation !== undefined) {
    throw new Error(`avgPool2d: there is no dilation option (PyTorch's avg_pool2d has none)`)
  }
  const p = planPool('avgPool2d', x, kernelSize, options)
  const planes = p.batch * p.channels
  // Every channel plane is a sample of a 1-channel convolution: [N·C, 1, H, W], no copy.
  const geometry = {
    batch: planes,
    inChannels: 1,
    height: p.height,
    width: p.width,
    outChannels: 1,
    kernelH: p.kernelH,
    kernelW: p.kernelW,
    strideH: p.strideH,
    strideW: p.strideW,
    padTop: p.padTop,
    padLeft: p.padLeft,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
    outH: p.outH,
    outW: p.outW,
  }
  const planesIn = reshape(x, [planes, 1, p.height, p.width])
  const y = conv2dOp([planesIn, averagingKernel(floatDtype('avgPool2d', x), p.kernelH, p.kernelW)], geometry)
  return reshape(y, [p.batch, p.channels, p.outH, p.outW])
}

// ---- adaptive average pooling ---------------------------------------------------------------

/** Attributes of the adaptive pooling primitives: the input's shape [N, C, H, W] and the output's [oh, ow]. */
export interface AdaptiveGeometry {
  inShape: number[]
  outH: number
  outW: number
}

/** PyTorch's adaptive window along an axis of size n, for output i of `out`: positions [start, end). */
function adaptiveSpan(i: number, n: number, out: number): [number, number] {
  return [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]
}

/**
 * Visits every (input position, output position) pair of the adaptive windows, plane by plane,
 * with the output's window size: the one loop behind the forward and its adjoint. Direct loops
 * (not matmuls with the averaging matrices, whose zeros would turn one ∞ or NaN into NaN over
 * every output of its plane) keep a NaN or ∞ in its own windows, as PyTorch.
 */
function eachWindowTap(geo: AdaptiveGeometry, visit: (xAt: number, yAt: number, count: number) => void): void {
  const [N, C, H, W] = geo.inShape
  const { outH, outW } = geo
  for (let plane = 0; plane < N * C; plane++) {
    const xo = plane * H * W
    const yo = plane * outH * outW
    for (let p = 0; p < outH; p++) {
      const [r0, r1] = adaptiveSpan(p, H, outH)
      for (let q = 0; q < outW; q++) {
        const [c0, c1] = adaptiveSpan(q, W, outW)
        const count = (r1 - r0) * (c1 - c0)
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) visit(xo + r * W + c, yo + p * outW + q, count)
      }
    }
  }
}

/** y = the mean of x over each adaptive window (the raw loop, no recording). */
function adaptiveAverage(x: Tensor, geo: AdaptiveGeometry): Tensor {
  const [N, C] = geo.inShape
  const y = allocate(x.dtype, N * C * geo.outH * geo.outW)
  const d = x.data
  // Sum first, then divide once per output (PyTorch's order: sum / count).
  const counts = new Float64Array(y.length)
  eachWindowTap(geo, (xAt, yAt, count) => {
    y[yAt] += d[xAt]
    counts[yAt] = count
  })
  for (let k = 0; k < y.length; k++) y[k] /= counts[k]
  return new Tensor(y, [N, C, geo.outH, geo.outW])
}

/** The adjoint of the average: dx[r, c] = Σ over the windows holding (r, c) of g / |window|. */
function adaptiveSpread(g: Tensor, geo: AdaptiveGeometry): Tensor {
  const dx = allocate(
    g.dtype,
    geo.inShape.reduce((a, b) => a * b, 1),
  )
  const d = g.data
  eachWindowTap(geo, (xAt, yAt, count) => {
    dx[xAt] += d[yAt] / count
  })
  return new Tensor(dx, geo.inShape.slice())
}

/**
 * The primitive behind {@link adaptiveAvgPool2d} (output sizes other than 1): y[n, c, p, q] =
 * mean of x[n, c] over PyTorch's window (p, q). Linear in x:
 *   backward  x̄ = adaptiveAvgPool2dBackward(ȳ)  (ȳ / |window| spread over each window)
 *   tangent   ẏ = the same average of ẋ
 * @example
 * import { adaptiveAvgPool2dOp, tensor } from 'tapegrad'
 * // a 1×1×2×3 input pooled to 1×2: the windows are columns 0…1 and 1…2, both rows
 * const x = tensor([[[[1, 2, 3], [4, 5, 6]]]])
 * adaptiveAvgPool2dOp([x], { inShape: [1, 1, 2, 3], outH: 1, outW: 2 }).toArray() // [[[[3, 4]]]]
 */
export const adaptiveAvgPool2dOp: Op<AdaptiveGeometry> = defineOp<AdaptiveGeometry>({
  name: 'adaptiveAvgPool2d',
  forward: ([x], geo) => adaptiveAverage(x, geo),
  backward: (g, _inputs, _out, geo) => [adaptiveAvgPool2dBackwardOp([g], geo)],
  tangent: ([dx], _inputs, _out, geo) => adaptiveAvgPool2dOp([dx], geo),
})

/**
 * The gradient of adaptive average pooling as a primitive, the adjoint of the average (so each
 * is the other's backward): dx = Σ over windows of g / |window|.
 *   backward  ḡ = adaptiveAvgPool2d's average of Ḡ
 *   tangent   ḋx = the same spread of ġ
 * @example
 * import { adaptiveAvgPool2dBackwardOp, tensor } from 'tapegrad'
 * // the same windows: each spreads its gradient / 4 over its 2×2 block; column 1 is in both
 * const g = tensor([[[[4, 8]]]])
 * adaptiveAvgPool2dBackwardOp([g], { inShape: [1, 1, 2, 3], outH: 1, outW: 2 }).toArray() // [[[[1, 3, 2], [1, 3, 2]]]]
 */
export const adaptiveAvgPool2dBackwardOp: Op<AdaptiveGeometry> = defineOp<AdaptiveGeometry>({
  name: 'adaptiveAvgPool2dBackward',
  forward: ([g], geo) => adaptiveSpread(g, geo),
  backward: (G, _inputs, _out, geo) => [adaptiveAvgPool2dOp([G], geo)],
  tangent: ([dg], _inputs, _out, geo) => adaptiveAvgPool2dBackwardOp([dg], geo),
})

/**
 * Adaptive 2-D average pooling, PyTorch's `F.adaptive_avg_pool2d`: the output has a fixed size
 * [oh, ow] whatever the input's, each output averaging the window
 *   rows ⌊p·H/oh⌋ … ⌈(p+1)·H/oh⌉ − 1,  columns ⌊q·W/ow⌋ … ⌈(q+1)·W/ow⌉ − 1.
 * `outputSize` is a number or a pair (null in a pair keeps that axis' size). With output size 1
 * this is global average pooling, the mean over H and W: y = mean(x, [2, 3], keepdims).
 * x is [N, C, H, W]; the output is [N, C, oh, ow]. Other sizes are averaged window by window (a
 * NaN or ∞ stays in the windows that hold it), and the gradient spreads g evenly over each window.
 * @example
 * import { adaptiveAvgPool2d, tensor } from 'tapegrad'
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]]]])
 * adaptiveAvgPool2d(x, 1).toArray()     // [[[[8.5]]]]
 * adaptiveAvgPool2d(x, 2).toArray()     // [[[[2.5, 6.5], [10.5, 14.5]]]]
 * adaptiveAvgPool2d(x, [1, null]).shape // [1, 1, 1, 4]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const op = 'adaptiveAvgPool2d'
  if (!(x instanceof Tensor)) throw new Error(`${op}: input must be a Tensor [N, C, H, W], got ${describeValue(x)}`)
  checkFloat(op, x, 'input')
  if (x.ndim !== 4) {
    const hint = x.ndim === 3 ? ' (one sample: add the batch axis with unsqueeze(x, 0))' : ''
    throw new Error(`${op}: input must be 4-D [N, C, H, W], got shape ${fmt(x.shape)}${hint}`)
  }
  floatDtype(op, x)
  const [, , H, W] = x.shape
  const given =
    Array.isArray(outputSize) && outputSize.length === 2 ? [outputSize[0] ?? H, outputSize[1] ?? W] : outputSize
  const [oh, ow] = perAxis(op, 'outputSize', given, 2, 1)
  if (H === 0 || W === 0) throw new Error(`${op}: input ${fmt(x.shape)} has an empty spatial axis`)
  if (oh === 1 && ow === 1) return mean(x, [2, 3], true)
  return adaptiveAvgPool2dOp([x], { inShape: x.shape.slice(), outH: oh, outW: ow })
}
