/**
 * Max-pooling kernels on contiguous NCHW storage.
 *
 * Max pooling is split into finding each window's argmax (a flat index into x) and moving values
 * by those indices: the forward pass gathers x at them, its gradient scatter-adds g back to them.
 * Both movements are linear and each other's adjoint, which is what lets the op's backward be a
 * differentiable op itself (the gradient of the scatter is the gather again).
 */

// The window fields mirror Conv2dGeometry's (kernels/conv.ts) on purpose, same names and order:
// a pool has no weights, groups or output channels, so it is its own interface, not a subset.
/** The shapes of a pooling window sliding over NCHW input. */
export interface Pool2dGeometry {
  /** N, C: samples and channels (each channel plane is pooled on its own). */
  batch: number
  channels: number
  /** H, W: input height and width. */
  height: number
  width: number
  /** kH, kW: window height and width. */
  kernelH: number
  kernelW: number
  /** sH, sW: strides. */
  strideH: number
  strideW: number
  /** pT, pL: implicit padding before the first row / column (never the max: it is −∞). */
  padTop: number
  padLeft: number
  /** dH, dW: dilation (spacing between window taps). */
  dilationH: number
  dilationW: number
  /** Ho, Wo: output height and width. */
  outH: number
  outW: number
}

/**
 * For every window, the flat index into x of its largest element:
 *   idx[n, c, oh, ow] = argmax over (i, j) of x[n, c, oh·sH − pT + i·dH, ow·sW − pL + j·dW]
 * over the positions inside the input (padding is −∞, as in PyTorch). Windows are scanned row by
 * row and the first maximum wins a tie; a NaN replaces whatever was found before it (PyTorch's
 * CPU rule `val > max || isnan(val)`), so NaN propagates. Returns false if some window held no input
 * position at all (only padding: possible with a dilation wider than the input), whose index
 * is then −1.
 * @example
 * import { maxPool2dArgmax, type Pool2dGeometry } from './src/kernels/pool'
 * // one 4×4 plane in 2×2 windows with stride 2: four windows, one index each (N·C·Ho·Wo in all)
 * const g: Pool2dGeometry = {
 *   batch: 1, channels: 1, height: 4, width: 4, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2,
 *   padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, outH: 2, outW: 2,
 * }
 * const x = new Float32Array([1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16])
 * const idx = new Int32Array(4)
 * maxPool2dArgmax(x, g, idx) // true
 * idx                        // [5, 7, 13, 15]
 */
export function maxPool2dArgmax(x: Float32Array | Float64Array, g: Pool2dGeometry, idx: Int32Array): boolean {
  const { batch: N, channels: C, height: H, width: W, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW } = g
  const { padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  if (kH === 2 && kW === 2 && pT === 0 && pL === 0 && dH === 1 && dW === 1) {
    argmax2x2(x, g, idx)
    return true
  }
  let k = 0
  let ok = true
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = oh * sH - pT
      for (let ow = 0; ow < Wo; ow++, k++) {
        const w0 = ow * sW - pL
        let best = -Infinity
        let at = -1
        for (let i = 0; i < kH; i++) {
          const ih = h0 + i * dH
          if (ih < 0 || ih >= H) continue
          const row = base + ih * W
          for (let j = 0; j < kW; j++) {
            const iw = w0 + j * dW
            if (iw < 0 || iw >= W) continue
            const v = x[row + iw]
            // `at < 0`: a window of −∞ values still points at its first element.
            if (v > best || v !== v || at < 0) {
              best = v
              at = row + iw
            }
          }
        }
        idx[k] = at
        if (at < 0) ok = false
      }
    }
  }
  return ok
}

/**
 * The 2×2 windows of LeNet-style nets (no padding, no dilation: every window lies inside the
 * input), without the bounds checks of the general loop: measured 2× faster on the MNIST CNN's
 * pooling layers. Same scan order and tie rule: row by row, the first maximum (or a NaN) wins.
 */
function argmax2x2(x: Float32Array | Float64Array, g: Pool2dGeometry, idx: Int32Array): void {
  const { batch: N, channels: C, height: H, width: W, strideH: sH, strideW: sW, outH: Ho, outW: Wo } = g
  let k = 0
  for (let plane = 0; plane < N * C; plane++) {
    const base = plane * H * W
    for (let oh = 0; oh < Ho; oh++) {
      const row = base + oh * sH * W
      for (let ow = 0; ow < Wo; ow++, k++) {
        let at = row + ow * sW
        let best = x[at]
        const a = at + 1
        const b = at + W
        const c = b + 1
        if (x[a] > best || x[a] !== x[a]) {
          best = x[a]
          at = a
        }
        if (x[b] > best || x[b] !== x[b]) {
          best = x[b]
          at = b
        }
        if (x[c] > best || x[c] !== x[c]) at = c
        idx[k] = at
      }
    }
  }
}

/**
 * out[k] = x[idx[k]] (out is overwritten).
 * @example
 * import { gatherAt } from './src/kernels/pool'
 * // max pooling's forward, given the argmax indices
 * const x = new Float32Array([1, 2, 5, 6, 3, 4, 7, 8])
 * const out = new Float32Array(2)
 * gatherAt(x, new Int32Array([5, 7]), out)
 * out // [4, 8]
 */
export function gatherAt(x: Float32Array | Float64Array, idx: Int32Array, out: Float32Array | Float64Array): void {
  for (let k = 0; k < idx.length; k++) out[k] = x[idx[k]]
}

/**
 * dx[idx[k]] += g[k] for every k (dx is added into: zero it first for a fresh gradient). An index
 * that appears in several windows receives the sum of their gradients.
 * @example
 * import { scatterAddAt } from './src/kernels/pool'
 * // max pooling's gradient, given the argmax indices: a shared index receives the sum
 * const dx = new Float32Array(4)
 * scatterAddAt(new Float32Array([1, 2, 3]), new Int32Array([0, 3, 0]), dx)
 * dx // [4, 0, 0, 2]
 */
export function scatterAddAt(g: Float32Array | Float64Array, idx: Int32Array, dx: Float32Array | Float64Array): void {
  for (let k = 0; k < idx.length; k++) dx[idx[k]] += g[k]
}
