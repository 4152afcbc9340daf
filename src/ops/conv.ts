/**
 * Convolution: `conv2d` and `conv1d`, NCHW / NCL with PyTorch's argument names, weight layout
 * and output sizes.
 *
 * Three primitives carry every convolution, each the adjoint of the others in one argument, so
 * that gradients of any order are convolutions again. With T(x, w, dy) = ⟨conv2d(x, w), dy⟩
 * (linear in each of its three arguments):
 *   conv2d(x, w)          y       (+ b per output channel)
 *   conv2dInputGrad(dy, w) = ∂T/∂x   (the transposed convolution)
 *   conv2dWeightGrad(x, dy) = ∂T/∂w  (the correlation of the input with dy)
 * and each one's backward and tangent are read off the same form, e.g. for the input gradient
 * ⟨conv2dInputGrad(dy, w), G⟩ = T(G, w, dy), so its gradients are conv2d(G, w) for dy and
 * conv2dWeightGrad(G, dy) for w. The kernels (src/kernels/conv.ts) run im2col + gemm.
 *
 * `conv1d` is `conv2d` on a height-1 image: [N, C, L] is read as [N, C, 1, L] and the weight
 * [O, C/groups, k] as [O, C/groups, 1, k], with no copy.
 */
import { checkFloat } from '../check.js'
import { allocate, fmt, sameShape, type FloatArray } from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { freshGradient } from '../grad-buffers.js'
import { Tensor } from '../tensor.js'
import { conv2dForward, conv2dInputGrad, conv2dWeightGrad, type Conv2dGeometry } from '../kernels/conv.js'
import { describeValue } from '../describe-value.js'
import { add } from './elementwise.js'
import { sum } from './reduce.js'
import { reshape } from './shape.js'
import { floatDtype, fmtWindow, perAxis, type SpatialArg } from './window-args.js'

export type { SpatialArg } from './window-args.js'

/** Options of `conv2d` and `conv1d` (PyTorch's names and defaults). */
export interface ConvOptions {
  /** Step of the window: one number for every spatial axis or one per axis (default 1). */
  stride?: SpatialArg
  /**
   * Zeros added on both sides of each spatial axis (default 0): a number or one per axis;
   * `'valid'` is 0; `'same'` pads so that the output has the input's size (stride 1 only, as in
   * PyTorch; an odd total d·(k − 1) puts the extra zero at the end).
   */
  padding?: SpatialArg | 'same' | 'valid'
  /** Spacing between kernel taps (default 1; 2 skips every other input position). */
  dilation?: SpatialArg
  /** Channel groups: input and output channels are split into `groups` independent parts (default 1). */
  groups?: number
}

/** The shape of the output of a convolution with this geometry. */
function outShape(g: Conv2dGeometry): number[] {
  return [g.batch, g.outChannels, g.outH, g.outW]
}

// ---- the three primitives -------------------------------------------------------------------

/** The raw kernels as tensors (no recording): the three primitives' forwards. */
function convolve(x: Tensor, w: Tensor, b: Tensor | undefined, geo: Conv2dGeometry): Tensor {
  const y = allocate(x.dtype, geo.batch * geo.outChannels * geo.outH * geo.outW) as FloatArray
  conv2dForward(x.data as FloatArray, w.data as FloatArray, b ? (b.data as FloatArray) : null, geo, y)
  return new Tensor(y, outShape(geo))
}

function inputGrad(dy: Tensor, w: Tensor, geo: Conv2dGeometry): Tensor {
  const dx = allocate(dy.dtype, geo.batch * geo.inChannels * geo.height * geo.width) as FloatArray
  conv2dInputGrad(dy.data as FloatArray, w.data as FloatArray, geo, dx)
  return new Tensor(dx, [geo.batch, geo.inChannels, geo.height, geo.width])
}

function weightGrad(x: Tensor, dy: Tensor, geo: Conv2dGeometry): Tensor {
  const shape = [geo.outChannels, geo.inChannels / geo.groups, geo.kernelH, geo.kernelW]
  const dw = allocate(x.dtype, shape[0] * shape[1] * shape[2] * shape[3]) as FloatArray
  conv2dWeightGrad(x.data as FloatArray, dy.data as FloatArray, geo, dw)
  return new Tensor(dw, shape)
}

/**
 * The primitive behind {@link conv2d} and {@link conv1d} (inputs [x, w] or [x, w, b]):
 *   y[n, o] = b[o] + Σ_{c, i, j} w[o, c, i, j] · x[n, g·Cg + c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 *   backward  x̄ = conv2dInputGrad(ȳ, w),  w̄ = conv2dWeightGrad(x, ȳ),  b̄ = Σ ȳ over N, Ho, Wo
 *   tangent   ẏ = conv2d(ẋ, w) + conv2d(x, ẇ) + ḃ   (bilinear in x and w)
 * Its first-order `fastBackward` calls the same kernels directly.
 * @example
 * import { conv2d, conv2dOp, ones, tapeOf } from 'tapegrad'
 * // conv2d checks its arguments, works out the geometry and records this primitive with it:
 * const x = ones([1, 1, 3, 3], { requiresGrad: true }), w = ones([1, 1, 2, 2])
 * const [entry] = tapeOf(conv2d(x, w, null, { padding: 1 })).entries
 * entry.op // 'conv2d'
 * entry.attrs // { padTop: 1, padLeft: 1, kernelH: 2, outH: 4, outW: 4 }
 * conv2dOp([x, w], entry.attrs as Parameters<typeof conv2dOp>[1]).shape // [1, 1, 4, 4]
 */
export const conv2dOp: Op<Conv2dGeometry> = defineOp<Conv2dGeometry>({
  name: 'conv2d',
  forward: ([x, w, b], geo) => convolve(x, w, b, geo),
  backward: (g, [x, w, b], _out, geo) => [
    x.requiresGrad ? conv2dInputGradOp([g, w], geo) : null,
    w.requiresGrad ? conv2dWeightGradOp([x, g], geo) : null,
    b && b.requiresGrad ? sum(g, [0, 2, 3]) : null,
  ],
  tangent: ([dx, dw, db], [x, w, b], _out, geo) => {
    const t = add(conv2dOp([dx, w], geo), conv2dOp([x, dw], geo))
    return b ? add(t, reshape(db, [1, geo.outChannels, 1, 1])) : t
  },
  fastBackward: (g, [x, w, b], _out, geo) => [
    x.requiresGrad ? freshGradient(inputGrad(g, w, geo)) : null, // allocated here, kept nowhere else
    w.requiresGrad ? freshGradient(weightGrad(x, g, geo)) : null,
    b && b.requiresGrad ? freshGradient(sum(g, [0, 2, 3])) : null,
  ],
})

/**
 * The input gradient of a convolution as a primitive (inputs [dy, w]), the transposed
 * convolution of dy by w:
 *   dx[n, c, ih, iw] = Σ w[o, c, i, j] · dy[n, o, oh, ow]
 *   over the taps with ih = oh·sH − pT + i·dH, iw = ow·sW − pL + j·dW
 * It is linear in dy and in w, ⟨conv2dInputGrad(dy, w), Ḡ⟩ = ⟨conv2d(Ḡ, w), dy⟩, so
 *   backward  d̄y = conv2d(Ḡ, w),  w̄ = conv2dWeightGrad(Ḡ, dy)
 *   tangent   ḋx = conv2dInputGrad(ḋy, w) + conv2dInputGrad(dy, ẇ)
 * @example
 * import { conv2d, conv2dInputGradOp, ones, tapeOf, tensor } from 'tapegrad'
 * const x = ones([1, 1, 3, 3], { requiresGrad: true }), w = tensor([[[[1, 2], [3, 4]]]])
 * const y = conv2d(x, w)
 * const geometry = tapeOf(y).entries[0].attrs as Parameters<typeof conv2dInputGradOp>[1]
 * y.sum().backward()
 * // x's gradient is the transposed convolution of ∂L/∂y (all ones) by w:
 * conv2dInputGradOp([ones(y.shape), w], geometry).toArray() // [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]
 * x.grad!.toArray() // [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]]
 */
export const conv2dInputGradOp: Op<Conv2dGeometry> = defineOp<Conv2dGeometry>({
  name: 'conv2dInputGrad',
  forward: ([dy, w], geo) => inputGrad(dy, w, geo),
  backward: (G, [dy, w], _out, geo) => [
    dy.requiresGrad ? conv2dOp([G, w], geo) : null,
    w.requiresGrad ? conv2dWeightGradOp([G, dy], geo) : null,
  ],
  tangent: ([ddy, dw], [dy, w], _out, geo) => add(conv2dInputGradOp([ddy, w], geo), conv2dInputGradOp([dy, dw], geo)),
})

// The two gradient primitives have one shape because they are each other's transposes: each
// backward is the other op and conv2d (see the math above); their rules stay side by side.
/**
 * The weight gradient of a convolution as a primitive (inputs [x, dy]), the correlation of x
 * with dy summed over the samples:
 *   dw[o, c, i, j] = Σ_{n, oh, ow} dy[n, o, oh, ow] · x[n, g·Cg + c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 * It is linear in x and in dy, ⟨conv2dWeightGrad(x, dy), Ḡ⟩ = ⟨conv2d(x, Ḡ), dy⟩, so
 *   backward  x̄ = conv2dInputGrad(dy, Ḡ),  d̄y = conv2d(x, Ḡ)
 *   tangent   ḋw = conv2dWeightGrad(ẋ, dy) + conv2dWeightGrad(x, ḋy)
 * @example
 * import { arange, conv2d, conv2dWeightGradOp, ones, reshape, tapeOf } from 'tapegrad'
 * const x = reshape(arange(9), [1, 1, 3, 3]), w = ones([1, 1, 2, 2], { requiresGrad: true })
 * const y = conv2d(x, w)
 * const geometry = tapeOf(y).entries[0].attrs as Parameters<typeof conv2dWeightGradOp>[1]
 * y.sum().backward()
 * // w's gradient correlates x with ∂L/∂y (all ones): each tap sums the inputs it reads
 * conv2dWeightGradOp([x, ones(y.shape)], geometry).toArray() // [[[[8, 12], [20, 24]]]]
 * w.grad!.toArray() // [[[[8, 12], [20, 24]]]]
 */
export const conv2dWeightGradOp: Op<Conv2dGeometry> = defineOp<Conv2dGeometry>({
  name: 'conv2dWeightGrad',
  forward: ([x, dy], geo) => weightGrad(x, dy, geo),
  backward: (G, [x, dy], _out, geo) => [
    x.requiresGrad ? conv2dInputGradOp([dy, G], geo) : null,
    dy.requiresGrad ? conv2dOp([x, G], geo) : null,
  ],
  tangent: ([dx, ddy], [x, dy], _out, geo) => add(conv2dWeightGradOp([dx, dy], geo), conv2dWeightGradOp([x, ddy], geo)),
})

// ---- argument checks ------------------------------------------------------------------------

/**
 * Checks a convolution's arguments and works out its geometry. `dims` is the number of spatial
 * axes (2 for conv2d, 1 for conv1d, whose geometry has height 1); errors name `op` and the
 * shapes as the caller gave them, and are thrown before anything is computed.
 */
function planConv(op: string, dims: 1 | 2, x: unknown, w: unknown, b: unknown, options: ConvOptions): Conv2dGeometry {
  const layout = dims === 2 ? '[N, C, H, W]' : '[N, C, L]'
  const wLayout = dims === 2 ? '[O, C/groups, kH, kW]' : '[O, C/groups, k]'
  if (!(x instanceof Tensor)) throw new Error(`${op}: input must be a Tensor ${layout}, got ${describeValue(x)}`)
  if (!(w instanceof Tensor)) throw new Error(`${op}: weight must be a Tensor ${wLayout}, got ${describeValue(w)}`)
  checkFloat(op, x, 'input')
  checkFloat(op, w, 'weight')
  if (options === null || typeof options !== 'object') {
    throw new Error(`${op}: options must be an object, got ${describeValue(options)}`)
  }
  const nd = dims + 2
  if (x.ndim !== nd) {
    const hint = x.ndim === nd - 1 ? ` (one sample: add the batch axis with unsqueeze(x, 0))` : ''
    throw new Error(`${op}: input must be ${nd}-D ${layout}, got shape ${fmt(x.shape)}${hint}`)
  }
  if (w.ndim !== nd) throw new Error(`${op}: weight must be ${nd}-D ${wLayout}, got shape ${fmt(w.shape)}`)
  floatDtype(op, x)
  floatDtype(op, w)
  // Checked here, so that conv1d's error names conv1d rather than the conv2d primitive inside it.
  if (w.dtype !== x.dtype) {
    throw new Error(
      `${op}: dtype mismatch: ${x.dtype} ${fmt(x.shape)} and ${w.dtype} ${fmt(w.shape)}; convert one with .astype('${x.dtype}')`,
    )
  }
  const groups = options.groups ?? 1
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new Error(`${op}: groups must be a positive integer, got ${describeValue(groups)}`)
  }
  const [N, C] = x.shape
  const [O, Cg] = w.shape
  const withGroups = groups === 1 ? '' : `, groups ${groups}`
  if (C % groups !== 0) {
    throw new Error(`${op}: groups ${groups} does not divide the ${C} input channels of input ${fmt(x.shape)}`)
  }
  if (O % groups !== 0) {
    throw new Error(`${op}: groups ${groups} does not divide the ${O} output channels of weight ${fmt(w.shape)}`)
  }
  if (Cg * groups !== C) {
    const expects = `weight expects ${Cg * groups} (weight ${fmt(w.shape)}${withGroups})`
    throw new Error(`${op}: input has ${C} channels, ${expects}`)
  }
  if (b !== null && b !== undefined) {
    if (!(b instanceof Tensor)) throw new Error(`${op}: bias must be a Tensor [${O}] or null, got ${describeValue(b)}`)
    checkFloat(op, b, 'bias')
    if (b.dtype !== x.dtype) {
      throw new Error(
        `${op}: dtype mismatch: ${x.dtype} ${fmt(x.shape)} and bias ${b.dtype} ${fmt(b.shape)}; convert one with .astype('${x.dtype}')`,
      )
    }
    if (!sameShape(b.shape, [O])) {
      const why = `one value per output channel of weight ${fmt(w.shape)}`
      throw new Error(`${op}: bias must have shape [${O}] (${why}), got ${fmt(b.shape)}`)
    }
  }
  const stride = perAxis(op, 'stride', options.stride ?? 1, dims, 1)
  const dilation = perAxis(op, 'dilation', options.dilation ?? 1, dims, 1)
  const size = x.shape.slice(2)
  const kernel = w.shape.slice(2)
  // Padding before and after each spatial axis.
  const padding = options.padding ?? 0
  let before: number[]
  let after: number[]
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new Error(`${op}: padding 'same' needs stride 1 (as in PyTorch), got stride ${fmt(stride)}`)
    }
    // PyTorch: total = d·(k − 1) per axis, the smaller half first.
    const total = kernel.map((k, i) => dilation[i] * (k - 1))
    before = total.map((t) => Math.floor(t / 2))
    after = total.map((t, i) => t - before[i])
  } else if (padding === 'valid') {
    before = new Array<number>(dims).fill(0)
    after = before
  } else {
    if (typeof padding === 'string') {
      throw new Error(`${op}: padding must be a number, a list of ${dims}, 'same' or 'valid', got string '${padding}'`)
    }
    before = perAxis(op, 'padding', padding, dims, 0)
    after = before
  }
  const effective = kernel.map((k, i) => dilation[i] * (k - 1) + 1)
  const padded = size.map((s, i) => s + before[i] + after[i])
  if (effective.some((k, i) => k > padded[i])) {
    const dilated = dilation.some((d) => d !== 1) ? ` (${fmtWindow(effective)} dilated)` : ''
    throw new Error(
      `${op}: kernel ${fmtWindow(kernel)}${dilated} is larger than the padded input ${fmtWindow(padded)} ` +
        `(input ${fmt(x.shape)}, weight ${fmt(w.shape)}, padding ${fmt(before)})`,
    )
  }
  const out = padded.map((p, i) => Math.floor((p - effective[i]) / stride[i]) + 1)
  // conv1d is conv2d on a height-1 image: prepend the trivial height axis.
  const two = (v: number[], one: number) => (dims === 2 ? v : [one, v[0]])
  const [height, width] = two(size, 1)
  const [kernelH, kernelW] = two(kernel, 1)
  const [strideH, strideW] = two(stride, 1)
  const [dilationH, dilationW] = two(dilation, 1)
  const [padTop, padLeft] = two(before, 0)
  const [outH, outW] = two(out, 1)
  return {
    batch: N,
    inChannels: C,
    height,
    width,
    outChannels: O,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padTop,
    padLeft,
    dilationH,
    dilationW,
    groups,
    outH,
    outW,
  }
}

// ---- the functions --------------------------------------------------------------------------

/**
 * 2-D convolution (cross-correlation, as in every deep-learning library), PyTorch's `F.conv2d`:
 *   y[n, o, p, q] = b[o] + Σ_{c, i, j} w[o, c, i, j] · x[n, g·C/groups + c, p·sH − padH + i·dH,
 *                                                       q·sW − padW + j·dW]
 * x is [N, C, H, W]; w is [O, C/groups, kH, kW] (PyTorch's layout); b is [O] or null; output channel
 * o belongs to group g = ⌊o·groups / O⌋; positions outside x read 0 (zero padding). The output
 * is [N, O, Ho, Wo] with Ho = ⌊(H + 2·padH − dH·(kH − 1) − 1) / sH⌋ + 1 (likewise Wo).
 * Gradients: ∂x is the transposed convolution of g by w, ∂w the correlation of x with g,
 * ∂b = Σ g over N, Ho, Wo — each a differentiable op, so second derivatives work too.
 * Runs im2col + the SIMD matmul kernel (float32) or the JS one (float64, or without wasm SIMD).
 * @example
 * import { conv2d, ones } from 'tapegrad'
 * const x = ones([1, 1, 4, 4])
 * const w = ones([2, 1, 3, 3])
 * conv2d(x, w).shape                               // [1, 2, 2, 2]
 * conv2d(x, w, null, { padding: 1 }).shape         // [1, 2, 4, 4]
 * conv2d(x, w, null, { padding: 'same' }).shape    // [1, 2, 4, 4]
 * conv2d(x, w, null, { stride: 2, padding: 1 }).shape // [1, 2, 2, 2]
 * conv2d(x, w).toArray()                           // [[[[9, 9], [9, 9]], [[9, 9], [9, 9]]]]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const geo = planConv('conv2d', 2, x, weight, bias, options)
  return conv2dOp(bias ? [x, weight, bias] : [x, weight], geo)
}

/**
 * 1-D convolution, PyTorch's `F.conv1d`:
 *   y[n, o, p] = b[o] + Σ_{c, j} w[o, c, j] · x[n, g·C/groups + c, p·s − pad + j·d]
 * x is [N, C, L]; w is [O, C/groups, k]; b is [O] or null; the output is [N, O, Lo] with
 * Lo = ⌊(L + 2·pad − d·(k − 1) − 1) / s⌋ + 1. Options as for {@link conv2d}, one number each
 * (or a list of one). Computed as conv2d on [N, C, 1, L] (no copy), so it has the same gradients.
 * @example
 * import { conv1d, tensor } from 'tapegrad'
 * const x = tensor([[[1, 2, 3, 4, 5]]])             // one sample, one channel, five steps
 * const w = tensor([[[1, 0, -1]]])                  // a difference filter of three taps
 * conv1d(x, w).toArray()                            // [[[-2, -2, -2]]]
 * conv1d(x, w, null, { padding: 'same' }).toArray() // [[[-2, -2, -2, -2, 4]]]
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const geo = planConv('conv1d', 1, x, weight, bias, options)
  const x4 = reshape(x, [geo.batch, geo.inChannels, 1, geo.width])
  const w4 = reshape(weight, [geo.outChannels, geo.inChannels / geo.groups, 1, geo.kernelW])
  const y = conv2dOp(bias ? [x4, w4, bias] : [x4, w4], geo)
  return reshape(y, [geo.batch, geo.outChannels, geo.outW])
}
