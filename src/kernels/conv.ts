/**
 * 2-D convolution kernels on contiguous NCHW storage: the forward pass and its two adjoints (the
 * input gradient and the weight gradient), all three run on the `gemm` kernel through im2col.
 *
 * For one sample n and one group g, unfold the input into a matrix ("im2col"):
 *   col[(c·kH + i)·kW + j, oh·Wo + ow] = x[n, c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 * (0 where that position falls in the padding), c over the group's Cg channels. Then, with the
 * group's weights read as a matrix Wg [Og, Cg·kH·kW] and the output as Yg [Og, Ho·Wo]:
 *   forward           Yg  = Wg · col            (+ bias per row)
 *   input gradient    dcol = Wgᵀ · dYg,  then dx += col2im(dcol)   (col2im: the adjoint of im2col)
 *   weight gradient   dWg += dYg · colᵀ         (summed over the samples)
 * `gemm` reads Wgᵀ and colᵀ in place, so no transposed copy is made; on float32 it runs the
 * WebAssembly SIMD micro-kernel where available and the packed JS kernel otherwise, and float64
 * always runs the JS kernel.
 *
 * Measured against direct loops (scripts/bench-conv.ts): im2col + gemm wins on every layer of
 * the MNIST nets (see the numbers there), including a single input channel, where the unfolded
 * matrix has only kH·kW rows. A 1×1 convolution with stride 1 and no padding needs no unfolding:
 * the input already is the matrix.
 *
 * The unfolded matrix is a module-level scratch buffer per dtype that grows on demand, so steady
 * state calls allocate nothing. The kernels assume a valid geometry (the ops check it).
 */
import { gemm, type FloatArray } from './gemm.js'

/** Everything a convolution kernel needs to know about the shapes (NCHW, PyTorch's layout). */
export interface Conv2dGeometry {
  /** N: samples. */
  batch: number
  /** C: input channels (all groups together). */
  inChannels: number
  /** H, W: input height and width. */
  height: number
  width: number
  /** O: output channels (all groups together). */
  outChannels: number
  /** kH, kW: kernel height and width. */
  kernelH: number
  kernelW: number
  /** sH, sW: strides. */
  strideH: number
  strideW: number
  /** pT, pL: zero padding before the first row / column (the far side only changes outH/outW). */
  padTop: number
  padLeft: number
  /** dH, dW: dilation (spacing between kernel taps). */
  dilationH: number
  dilationW: number
  /** Channel groups: C and O are both split into `groups` equal parts. */
  groups: number
  /** Ho, Wo: output height and width. */
  outH: number
  outW: number
}

let col32 = new Float32Array(1024)
let col64 = new Float64Array(1024)

/** A scratch matrix of at least n elements of the dtype of `like` (contents undefined). */
function scratch(like: FloatArray, n: number): FloatArray {
  if (like instanceof Float32Array) {
    if (col32.length < n) col32 = new Float32Array(Math.max(n, 2 * col32.length))
    return col32
  }
  if (col64.length < n) col64 = new Float64Array(Math.max(n, 2 * col64.length))
  return col64
}

/** A 1×1 kernel with stride 1 and no padding reads each input row as it is: col = x. */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kernelH === 1 && g.kernelW === 1 && g.strideH === 1 && g.strideW === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.outH === g.height && g.outW === g.width
}

/** The range [lo, hi) of output columns ow whose input column ow·s + off lies inside [0, W). */
function validRange(off: number, s: number, W: number, Wo: number): [number, number] {
  const lo = off >= 0 ? 0 : Math.min(Wo, Math.ceil(-off / s))
  const hi = W - 1 - off < 0 ? 0 : Math.min(Wo, Math.floor((W - 1 - off) / s) + 1)
  return [lo, Math.max(lo, hi)]
}

/**
 * Unfolds sample `n` of x (all C channels) into col [C·kH·kW, Ho·Wo], writing every element
 * (zeros in the padding), so that the rows of channel group g are the block starting at
 * g·Cg·kH·kW·Ho·Wo.
 * @example im2col(x, 0, geometry, col) // col[(c·kH + i)·kW + j, oh·Wo + ow] = x[0, c, ih, iw]
 */
export function im2col(x: FloatArray, n: number, g: Conv2dGeometry, col: FloatArray): void {
  const { inChannels: C, height: H, width: W, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW } = g
  const { padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  let dst = 0
  for (let c = 0; c < C; c++) {
    const plane = (n * C + c) * H * W
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const off = j * dW - pL
        const [lo, hi] = validRange(off, sW, W, Wo)
        for (let oh = 0; oh < Ho; oh++, dst += Wo) {
          const ih = oh * sH - pT + i * dH
          if (ih < 0 || ih >= H) {
            for (let ow = 0; ow < Wo; ow++) col[dst + ow] = 0
            continue
          }
          for (let ow = 0; ow < lo; ow++) col[dst + ow] = 0
          const src = plane + ih * W + off
          if (sW === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow]
          else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sW]
          for (let ow = hi; ow < Wo; ow++) col[dst + ow] = 0
        }
      }
    }
  }
}

/**
 * The adjoint of `im2col`: adds every element of col [C·kH·kW, Ho·Wo] back onto the input
 * position it was read from (padding positions are dropped), into sample `n` of dx.
 * @example col2im(dcol, 0, geometry, dx) // dx[0, c, ih, iw] += Σ dcol over the taps that read it
 */
export function col2im(col: FloatArray, n: number, g: Conv2dGeometry, dx: FloatArray): void {
  const { inChannels: C, height: H, width: W, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW } = g
  const { padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  let src = 0
  for (let c = 0; c < C; c++) {
    const plane = (n * C + c) * H * W
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const off = j * dW - pL
        const [lo, hi] = validRange(off, sW, W, Wo)
        for (let oh = 0; oh < Ho; oh++, src += Wo) {
          const ih = oh * sH - pT + i * dH
          if (ih < 0 || ih >= H) continue
          const dst = plane + ih * W + off
          if (sW === 1) for (let ow = lo; ow < hi; ow++) dx[dst + ow] += col[src + ow]
          else for (let ow = lo; ow < hi; ow++) dx[dst + ow * sW] += col[src + ow]
        }
      }
    }
  }
}

/**
 * y = conv2d(x, w) + b:
 *   y[n, o, oh, ow] = b[o] + Σ_{c ∈ group(o), i, j} w[o, c − c₀, i, j] · x[n, c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 * with x [N, C, H, W], w [O, C/groups, kH, kW], b [O] or null, y [N, O, Ho, Wo] (overwritten).
 * @example conv2dForward(x, w, null, geometry, y) // geometry from the op's checks
 */
export function conv2dForward(x: FloatArray, w: FloatArray, bias: FloatArray | null, g: Conv2dGeometry, y: FloatArray): void {
  const { batch: N, inChannels: C, outChannels: O, groups: G } = g
  const P = g.outH * g.outW
  const Cg = C / G
  const Og = O / G
  const K = Cg * g.kernelH * g.kernelW
  const pointwise = isPointwise(g)
  const col = pointwise ? x : scratch(x, C * g.kernelH * g.kernelW * P)
  for (let n = 0; n < N; n++) {
    if (!pointwise) im2col(x, n, g, col)
    const colBase = pointwise ? n * C * P : 0
    const yBase = n * O * P
    if (bias !== null) for (let o = 0; o < O; o++) y.fill(bias[o], yBase + o * P, yBase + (o + 1) * P)
    for (let grp = 0; grp < G; grp++) {
      gemm(false, false, Og, P, K, w, col, y, grp * Og * K, colBase + grp * K * P, yBase + grp * Og * P, bias !== null)
    }
  }
}

/**
 * dx = ∂⟨dy, conv2d(x, w)⟩/∂x, the transposed convolution of dy by w:
 *   dx[n, c, ih, iw] = Σ_{o ∈ group(c), i, j : ih = oh·sH − pT + i·dH, iw = ow·sW − pL + j·dW} w[o, c − c₀, i, j] · dy[n, o, oh, ow]
 * with dy [N, O, Ho, Wo], w [O, C/groups, kH, kW], dx [N, C, H, W] (overwritten).
 * @example conv2dInputGrad(dy, w, geometry, dx)
 */
export function conv2dInputGrad(dy: FloatArray, w: FloatArray, g: Conv2dGeometry, dx: FloatArray): void {
  const { batch: N, inChannels: C, outChannels: O, groups: G } = g
  const P = g.outH * g.outW
  const Cg = C / G
  const Og = O / G
  const K = Cg * g.kernelH * g.kernelW
  if (isPointwise(g)) {
    // dx_n = Wgᵀ·dy_n straight into dx: the unfolded matrix is dx itself.
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < G; grp++) {
        gemm(true, false, K, P, Og, w, dy, dx, grp * Og * K, n * O * P + grp * Og * P, n * C * P + grp * K * P)
      }
    }
    return
  }
  dx.fill(0)
  const col = scratch(dy, C * g.kernelH * g.kernelW * P)
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < G; grp++) {
      gemm(true, false, K, P, Og, w, dy, col, grp * Og * K, n * O * P + grp * Og * P, grp * K * P)
    }
    col2im(col, n, g, dx)
  }
}

/**
 * dw = ∂⟨dy, conv2d(x, w)⟩/∂w, the correlation of x with dy summed over the samples:
 *   dw[o, c − c₀, i, j] = Σ_{n, oh, ow} dy[n, o, oh, ow] · x[n, c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 * with x [N, C, H, W], dy [N, O, Ho, Wo], dw [O, C/groups, kH, kW] (overwritten).
 * @example conv2dWeightGrad(x, dy, geometry, dw)
 */
export function conv2dWeightGrad(x: FloatArray, dy: FloatArray, g: Conv2dGeometry, dw: FloatArray): void {
  const { batch: N, inChannels: C, outChannels: O, groups: G } = g
  const P = g.outH * g.outW
  const Cg = C / G
  const Og = O / G
  const K = Cg * g.kernelH * g.kernelW
  if (N === 0) {
    dw.fill(0)
    return
  }
  const pointwise = isPointwise(g)
  const col = pointwise ? x : scratch(x, C * g.kernelH * g.kernelW * P)
  for (let n = 0; n < N; n++) {
    if (!pointwise) im2col(x, n, g, col)
    const colBase = pointwise ? n * C * P : 0
    for (let grp = 0; grp < G; grp++) {
      gemm(false, true, Og, K, P, dy, col, dw, n * O * P + grp * Og * P, colBase + grp * K * P, grp * Og * K, n > 0)
    }
  }
}
