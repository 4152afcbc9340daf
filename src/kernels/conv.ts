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
 * Three ways through, picked per call:
 * - pointwise: a 1×1 kernel with stride 1 and no padding needs no unfolding, x is the matrix;
 * - stride 1 on the SIMD gemm (float32): the unfolded rows are block copies of a zero-padded
 *   image, and the input gradient is the forward convolution of dy with the flipped kernel (see
 *   the section at the end);
 * - im2col as above, for everything else (strides, float64, no wasm SIMD).
 *
 * Measured with `npx tsx scripts/bench-conv.ts` on the MNIST CNN's layers at batch 64 (CPU ms,
 * medians of 15, on the shared 2-core machine at a quiet moment, load ≈ 1.3):
 *
 *   layer, pass               library   plain im2col (SIMD)   im2col, JS gemm   direct loops
 *   conv1 1→8 28², forward      4.4         7.3                  18.6             39.1
 *   conv1, weight grad          5.2         6.3                  17.8             28.9
 *   conv2 8→16 14², forward    10.2        17.6                  64.6            204.9
 *   conv2, input grad          14.1        17.3                  57.3            171.1
 *   conv2, weight grad         14.1        21.0                  71.5            181.0
 *
 * so im2col + gemm beats direct loops 5–20× even with a single input channel, where the unfolded
 * matrix has only kH·kW rows (the direct loops: one multiply-add per tap over output rows), and
 * the stride-1 path saves another 20–40% over plain im2col.
 *
 * Scratch buffers are module-level and grow on demand, so steady-state calls allocate nothing.
 * The kernels assume a valid geometry (the ops check it).
 */
import { gemm, wasmSimdAvailable, type FloatArray } from './gemm.js'

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
  return (
    g.kernelH === 1 &&
    g.kernelW === 1 &&
    g.strideH === 1 &&
    g.strideW === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outH === g.height &&
    g.outW === g.width
  )
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
 * @example
 * import { conv2d, ones, tapeOf, tensor } from 'tapegrad'
 * import { im2col, type Conv2dGeometry } from './src/kernels/conv'
 * // the geometry conv2d works out for a 1×1×3×3 input and one 2×2 kernel (output 2×2)
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], { requiresGrad: true })
 * const w = tensor([[[[1, 0], [0, -1]]]])
 * const g = tapeOf(conv2d(x, w)).entries[0].attrs as Conv2dGeometry
 * // col[(c·kH + i)·kW + j, oh·Wo + ow] = x[0, c, ih, iw]: one row per tap, one column per output
 * const col = new Float32Array(4 * 4)
 * im2col(x.data as Float32Array, 0, g, col)
 * col // [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]
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

// The same loops as im2col, in the same order (it is im2col's adjoint): one copies x into col,
// this one adds col back into dx. Kept as two plain loops rather than one loop with a callback,
// which would cost a call per element in the hottest loop of conv's backward.
/**
 * The adjoint of `im2col`: adds every element of col [C·kH·kW, Ho·Wo] back onto the input
 * position it was read from (padding positions are dropped), into sample `n` of dx.
 * @example
 * import { conv2d, ones, tapeOf, tensor } from 'tapegrad'
 * import { col2im, type Conv2dGeometry } from './src/kernels/conv'
 * // the geometry conv2d works out for a 1×1×3×3 input and one 2×2 kernel (output 2×2)
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], { requiresGrad: true })
 * const w = tensor([[[[1, 0], [0, -1]]]])
 * const g = tapeOf(conv2d(x, w)).entries[0].attrs as Conv2dGeometry
 * // dx[0, c, ih, iw] += the col entries of every tap that read x[0, c, ih, iw]: with col all ones,
 * // the number of windows that cover each input position
 * const dx = new Float32Array(9)
 * col2im(new Float32Array(4 * 4).fill(1), 0, g, dx)
 * dx // [1, 2, 1, 2, 4, 2, 1, 2, 1]
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
 *   y[n, o, oh, ow] = b[o] + Σ_{c ∈ group(o), i, j} w[o, c − c₀, i, j] · x[n, c, oh·sH − pT + i·dH,
 *                                                                       ow·sW − pL + j·dW]
 * with x [N, C, H, W], w [O, C/groups, kH, kW], b [O] or null, y [N, O, Ho, Wo] (overwritten).
 * @example
 * import { conv2d, ones, tapeOf, tensor } from 'tapegrad'
 * import { conv2dForward, type Conv2dGeometry } from './src/kernels/conv'
 * // the geometry conv2d works out for a 1×1×3×3 input and one 2×2 kernel (output 2×2)
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], { requiresGrad: true })
 * const w = tensor([[[[1, 0], [0, -1]]]])
 * const g = tapeOf(conv2d(x, w)).entries[0].attrs as Conv2dGeometry
 * const y = new Float32Array(4)
 * conv2dForward(x.data as Float32Array, w.data as Float32Array, null, g, y)
 * y // [-4, -4, -4, -4]
 * conv2d(x, w).toArray() // [[[[-4, -4], [-4, -4]]]]
 */
export function conv2dForward(
  x: FloatArray,
  w: FloatArray,
  bias: FloatArray | null,
  g: Conv2dGeometry,
  y: FloatArray,
): void {
  const { batch: N, inChannels: C, outChannels: O, groups: G } = g
  const P = g.outH * g.outW
  const Cg = C / G
  const Og = O / G
  const K = Cg * g.kernelH * g.kernelW
  const pointwise = isPointwise(g)
  if (!pointwise && isUnitStride(g, x)) {
    return forwardUnitStride(x as Float32Array, w as Float32Array, bias as Float32Array | null, g, y as Float32Array)
  }
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
 *   dx[n, c, ih, iw] = Σ w[o, c − c₀, i, j] · dy[n, o, oh, ow]
 *   over o ∈ group(c) and the taps (i, j) with ih = oh·sH − pT + i·dH, iw = ow·sW − pL + j·dW
 * with dy [N, O, Ho, Wo], w [O, C/groups, kH, kW], dx [N, C, H, W] (overwritten).
 * @example
 * import { conv2d, ones, tapeOf, tensor } from 'tapegrad'
 * import { conv2dInputGrad, type Conv2dGeometry } from './src/kernels/conv'
 * // the geometry conv2d works out for a 1×1×3×3 input and one 2×2 kernel (output 2×2)
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], { requiresGrad: true })
 * const w = tensor([[[[1, 0], [0, -1]]]])
 * const g = tapeOf(conv2d(x, w)).entries[0].attrs as Conv2dGeometry
 * // with dy all ones (the gradient of y.sum()), dx is what backward gives x
 * const dx = new Float32Array(9)
 * conv2dInputGrad(new Float32Array(4).fill(1), w.data as Float32Array, g, dx)
 * dx // [1, 1, 0, 1, 0, -1, 0, -1, -1]
 * conv2d(x, w).sum().backward()
 * x.grad!.toArray() // [[[[1, 1, 0], [1, 0, -1], [0, -1, -1]]]]
 */
export function conv2dInputGrad(dy: FloatArray, w: FloatArray, g: Conv2dGeometry, dx: FloatArray): void {
  // The group sizes, worked out as in conv2dForward above and conv2dWeightGrad below: each kernel is
  // also called on its own (by its op and by the tests), so each reads them from the geometry.
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
  // The flipped convolution has C/groups output rows per product: too few (≤ 3) for the SIMD tile.
  if (isUnitStride(g, dy) && Cg >= 4 && allFinite(w)) {
    if (inputGradUnitStride(dy as Float32Array, w as Float32Array, g, dx as Float32Array)) return
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
 * @example
 * import { conv2d, ones, tapeOf, tensor } from 'tapegrad'
 * import { conv2dWeightGrad, type Conv2dGeometry } from './src/kernels/conv'
 * // the geometry conv2d works out for a 1×1×3×3 input and one 2×2 kernel (output 2×2)
 * const x = tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]], { requiresGrad: true })
 * const w = tensor([[[[1, 0], [0, -1]]]])
 * const g = tapeOf(conv2d(x, w)).entries[0].attrs as Conv2dGeometry
 * // with dy all ones, each tap's gradient is the sum of the inputs it reads
 * const dw = new Float32Array(4)
 * conv2dWeightGrad(x.data as Float32Array, new Float32Array(4).fill(1), g, dw)
 * dw // [12, 16, 24, 28]
 */
export function conv2dWeightGrad(x: FloatArray, dy: FloatArray, g: Conv2dGeometry, dw: FloatArray): void {
  // The same group sizes as conv2dForward and conv2dInputGrad above (see there).
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
  if (!pointwise && isUnitStride(g, x) && allFinite(x)) {
    return weightGradUnitStride(x as Float32Array, dy as Float32Array, g, dw as Float32Array)
  }
  const col = pointwise ? x : scratch(x, C * g.kernelH * g.kernelW * P)
  for (let n = 0; n < N; n++) {
    if (!pointwise) im2col(x, n, g, col)
    const colBase = pointwise ? n * C * P : 0
    for (let grp = 0; grp < G; grp++) {
      gemm(false, true, Og, K, P, dy, col, dw, n * O * P + grp * Og * P, colBase + grp * K * P, grp * Og * K, n > 0)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stride 1: unfolding over the padded width
//
// With stride 1, copy the sample once into a zero-padded image xp [C, Hp, Wp] (Hp = Ho + dH·(kH−1),
// Wp = Wo + dW·(kW−1)) and give the unfolded matrix the padded row length: row (c, i, j) of
//   colP[(c, i, j), oh·Wp + ow] = xp[c, oh + i·dH, ow + j·dW]
// is then ONE contiguous run of xp, of length Ho·Wp, starting at c·Hp·Wp + i·dH·Wp + j·dW, so the
// whole matrix is built by K block copies (copyWithin, a memmove) instead of K·Ho short loops.
// The price: the product has Ho·Wp columns instead of Ho·Wo, the last Wp − Wo of each output row
// being junk (they read across the row end) that is dropped; for the weight gradient dy is padded
// with zeros in those columns, so they contribute 0·x. The input gradient is the forward
// convolution of dy with the flipped kernel, whose zero padding contributes 0·w. Because 0·∞ is
// NaN, a weight gradient of an x holding ±∞/NaN, or an input gradient of such a w, takes the
// exact im2col path instead (whose padding terms are the definition's own). Measured: see the
// table at the top of this file.

/** Where things lie in the work buffer of the stride-1 path (offsets in elements). */
interface UnitStrideLayout {
  Hp: number
  Wp: number
  /** Ho·Wp: the row length of the unfolded matrix and of the padded outputs. */
  HoWp: number
  /** Hp·Wp: one padded channel plane. */
  plane: number
  /** Start of the unfolded matrix [C·kH·kW, Ho·Wp] (after the padded image and its slack). */
  colOff: number
  /** Start of the padded outputs / output gradients [O, Ho·Wp]. */
  yOff: number
  /** Elements used in all. */
  size: number
}

let work = new Float32Array(1024)

let unitStrideDisabled = false

/** Stride 1 on the SIMD gemm (float32: all operands then are, the ops check one dtype). With the
 *  JS gemm, float64 included, the extra junk columns cost about what the faster unfolding saves
 *  (measured even or slower with scripts/bench-conv.ts), so those keep plain im2col. */
function isUnitStride(g: Conv2dGeometry, like: FloatArray): boolean {
  if (unitStrideDisabled || g.strideH !== 1 || g.strideW !== 1) return false
  return like instanceof Float32Array && wasmSimdAvailable()
}

/**
 * Turns the stride-1 path off (true: every convolution runs plain im2col) or back on; returns the
 * previous setting. For tests and benchmarks that compare the two paths.
 * @example
 * import { abs, conv2d, max, randn, seed, sub } from 'tapegrad'
 * import { disableUnitStridePath } from './src/kernels/conv'
 * seed(1)
 * const x = randn([1, 2, 8, 8]), w = randn([3, 2, 3, 3])
 * const fast = conv2d(x, w)
 * const was = disableUnitStridePath(true) // false
 * const plain = conv2d(x, w)
 * disableUnitStridePath(was)
 * max(abs(sub(fast, plain))).item() < 1e-5 // true
 */
export function disableUnitStridePath(disabled: boolean): boolean {
  const prev = unitStrideDisabled
  unitStrideDisabled = disabled
  return prev
}

/** True when no element is ±∞ or NaN. */
function allFinite(a: FloatArray): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return false
  return true
}

function unitStrideLayout(g: Conv2dGeometry): UnitStrideLayout {
  const Hp = g.outH + g.dilationH * (g.kernelH - 1)
  const Wp = g.outW + g.dilationW * (g.kernelW - 1)
  const HoWp = g.outH * Wp
  const plane = Hp * Wp
  // The last row of the last plane is read up to dW·(kW − 1) elements past its end (junk columns).
  const colOff = g.inChannels * plane + g.dilationW * (g.kernelW - 1)
  const yOff = colOff + g.inChannels * g.kernelH * g.kernelW * HoWp
  return { Hp, Wp, HoWp, plane, colOff, yOff, size: yOff + g.outChannels * HoWp }
}

/** The work buffer of the stride-1 path, grown to `n` elements (contents undefined). */
function workBuffer(n: number): Float32Array {
  if (work.length < n) work = new Float32Array(Math.max(n, 2 * work.length))
  return work
}

/** Writes sample n of x into the zero-padded image at the start of `work`. */
function padSample(x: Float32Array, n: number, g: Conv2dGeometry, L: UnitStrideLayout, work: Float32Array): void {
  const { inChannels: C, height: H, width: W, padTop: pT, padLeft: pL } = g
  work.fill(0, 0, L.colOff)
  for (let c = 0; c < C; c++) {
    for (let h = 0; h < H; h++) {
      const src = ((n * C + c) * H + h) * W
      const dst = c * L.plane + (h + pT) * L.Wp + pL
      for (let w = 0; w < W; w++) work[dst + w] = x[src + w]
    }
  }
}

/** Builds the unfolded matrix colP from the padded image: one block copy per row. */
function unfoldPadded(g: Conv2dGeometry, L: UnitStrideLayout, work: Float32Array): void {
  let dst = L.colOff
  for (let c = 0; c < g.inChannels; c++) {
    for (let i = 0; i < g.kernelH; i++) {
      for (let j = 0; j < g.kernelW; j++, dst += L.HoWp) {
        const src = c * L.plane + i * g.dilationH * L.Wp + j * g.dilationW
        work.copyWithin(dst, src, src + L.HoWp)
      }
    }
  }
}

/** Copies sample n of dy into the padded-output region, with zeros in the junk columns. */
function padOutputs(dy: Float32Array, n: number, g: Conv2dGeometry, L: UnitStrideLayout, work: Float32Array): void {
  const { outChannels: O, outH: Ho, outW: Wo } = g
  for (let o = 0; o < O; o++) {
    for (let oh = 0; oh < Ho; oh++) {
      const src = ((n * O + o) * Ho + oh) * Wo
      const dst = L.yOff + o * L.HoWp + oh * L.Wp
      for (let ow = 0; ow < Wo; ow++) work[dst + ow] = dy[src + ow]
      for (let ow = Wo; ow < L.Wp; ow++) work[dst + ow] = 0
    }
  }
}

function forwardUnitStride(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  g: Conv2dGeometry,
  y: Float32Array,
): void {
  const { batch: N, outChannels: O, groups: G, outH: Ho, outW: Wo } = g
  const Og = O / G
  const K = (g.inChannels / G) * g.kernelH * g.kernelW
  const L = unitStrideLayout(g)
  const work = workBuffer(L.size)
  for (let n = 0; n < N; n++) {
    padSample(x, n, g, L, work)
    unfoldPadded(g, L, work)
    for (let grp = 0; grp < G; grp++) {
      const [wAt, colAt, yAt] = [grp * Og * K, L.colOff + grp * K * L.HoWp, L.yOff + grp * Og * L.HoWp]
      gemm(false, false, Og, L.HoWp, K, w, work, work, wAt, colAt, yAt)
    }
    // Keep the first Wo of every Wp columns, adding the bias.
    for (let o = 0; o < O; o++) {
      const b = bias === null ? 0 : bias[o]
      for (let oh = 0; oh < Ho; oh++) {
        const src = L.yOff + o * L.HoWp + oh * L.Wp
        const dst = ((n * O + o) * Ho + oh) * Wo
        for (let ow = 0; ow < Wo; ow++) y[dst + ow] = work[src + ow] + b
      }
    }
  }
}

/**
 * With stride 1 the transposed convolution is an ordinary convolution of dy with the kernel
 * flipped in space and with its channel axes swapped,
 *   dx[n, c, h, w] = Σ_{o, i, j} w[o, c, kH−1−i, kW−1−j] · dy[n, o, h − (dH·(kH−1) − pT) + i·dH,
 *                                                             w − (dW·(kW−1) − pL) + j·dW],
 * i.e. conv2d(dy, w′) with padding dH·(kH−1) − pT before (and likewise after), so it runs the fast
 * forward path with no scatter of its own. That needs the paddings to be at most dH·(kH−1) (and
 * dW·(kW−1)); otherwise (or null) returns false and the caller takes the im2col path.
 */
function inputGradUnitStride(dy: Float32Array, w: Float32Array, g: Conv2dGeometry, dx: Float32Array): boolean {
  const { inChannels: C, height: H, width: W, outChannels: O, groups: G, kernelH: kH, kernelW: kW } = g
  const reachH = g.dilationH * (kH - 1)
  const reachW = g.dilationW * (kW - 1)
  const padBottom = g.outH - 1 + reachH - g.padTop - (H - 1)
  const padRight = g.outW - 1 + reachW - g.padLeft - (W - 1)
  if (g.padTop > reachH || padBottom > reachH || g.padLeft > reachW || padRight > reachW) return false
  const Cg = C / G
  const Og = O / G
  // w′[grp·Cg + c, o, i, j] = w[grp·Og + o, c, kH−1−i, kW−1−j]
  if (flipped.length < w.length) flipped = new Float32Array(w.length)
  const area = kH * kW
  for (let grp = 0; grp < G; grp++) {
    for (let o = 0; o < Og; o++) {
      for (let c = 0; c < Cg; c++) {
        const src = ((grp * Og + o) * Cg + c) * area
        const dst = ((grp * Cg + c) * Og + o) * area
        for (let t = 0; t < area; t++) flipped[dst + t] = w[src + area - 1 - t]
      }
    }
  }
  const transposed: Conv2dGeometry = {
    batch: g.batch,
    inChannels: O,
    height: g.outH,
    width: g.outW,
    outChannels: C,
    kernelH: kH,
    kernelW: kW,
    strideH: 1,
    strideW: 1,
    padTop: reachH - g.padTop,
    padLeft: reachW - g.padLeft,
    dilationH: g.dilationH,
    dilationW: g.dilationW,
    groups: G,
    outH: H,
    outW: W,
  }
  forwardUnitStride(dy, flipped, null, transposed, dx)
  return true
}

let flipped = new Float32Array(0)

function weightGradUnitStride(x: Float32Array, dy: Float32Array, g: Conv2dGeometry, dw: Float32Array): void {
  // Pads and unfolds each sample as forwardUnitStride does; what differs is the product (dy·colᵀ
  // summed over the samples, where the forward has w·col per sample), so the loops stay apart.
  const { batch: N, outChannels: O, groups: G } = g
  const Og = O / G
  const K = (g.inChannels / G) * g.kernelH * g.kernelW
  const L = unitStrideLayout(g)
  const work = workBuffer(L.size)
  for (let n = 0; n < N; n++) {
    padSample(x, n, g, L, work)
    unfoldPadded(g, L, work)
    padOutputs(dy, n, g, L, work)
    for (let grp = 0; grp < G; grp++) {
      const [dyAt, colAt, dwAt] = [L.yOff + grp * Og * L.HoWp, L.colOff + grp * K * L.HoWp, grp * Og * K]
      gemm(false, true, Og, K, L.HoWp, work, work, dw, dyAt, colAt, dwAt, n > 0)
    }
  }
}
