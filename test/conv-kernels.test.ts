/**
 * The convolution and pooling kernels (src/kernels/conv.ts, src/kernels/pool.ts) against naive
 * float64 loops written straight from the definitions, on many random geometries: float32 on
 * the WebAssembly SIMD gemm and on the JS fallback, and float64.
 */
import {
  conv2dForward,
  conv2dInputGrad,
  conv2dWeightGrad,
  disableUnitStridePath,
  type Conv2dGeometry,
} from '../src/kernels/conv.js'
import { disableWasmGemm, wasmSimdAvailable, type FloatArray } from '../src/kernels/gemm.js'

/** A small deterministic generator (independent of src/random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

function randomArray(rng: () => number, n: number, f64: boolean): FloatArray {
  const a = f64 ? new Float64Array(n) : new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng() * 2 - 1
  return a
}

/** A random valid geometry; `big` makes products large enough for the packed/SIMD gemm paths. */
function randomGeometry(rng: () => number, big: boolean): Conv2dGeometry {
  const pick = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1))
  for (;;) {
    const groups = pick(1, 3)
    const Cg = big ? pick(2, 6) : pick(1, 3)
    const Og = big ? pick(3, 9) : pick(1, 3)
    const height = big ? pick(6, 16) : pick(1, 8)
    const width = big ? pick(6, 16) : pick(1, 8)
    const kernelH = pick(1, 4)
    const kernelW = pick(1, 4)
    // Half the geometries have stride 1 on both axes: they take the stride-1 path.
    const unit = rng() < 0.5
    const strideH = unit ? 1 : pick(1, 3)
    const strideW = unit ? 1 : pick(1, 3)
    const dilationH = pick(1, 2)
    const dilationW = pick(1, 2)
    // Up to 3: more than dilation·(kernel − 1) sometimes, which the stride-1 input gradient refuses.
    const padTop = pick(0, 3)
    const padLeft = pick(0, 3)
    const padBottom = pick(0, 3)
    const padRight = pick(0, 3)
    const outH = Math.floor((height + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH) + 1
    const outW = Math.floor((width + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW) + 1
    if (outH < 1 || outW < 1) continue
    return {
      batch: pick(1, 3),
      inChannels: groups * Cg,
      height,
      width,
      outChannels: groups * Og,
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
}

/** x[n, c, ih, iw], 0 outside the input (the padding). */
function at(x: FloatArray, g: Conv2dGeometry, n: number, c: number, ih: number, iw: number): number {
  if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) return 0
  return x[((n * g.inChannels + c) * g.height + ih) * g.width + iw]
}

/** Calls f(n, o, oh, ow, c, ci, i, j, ih, iw) for every term of the convolution sum. */
function eachTerm(
  g: Conv2dGeometry,
  f: (
    n: number,
    o: number,
    oh: number,
    ow: number,
    c: number,
    ci: number,
    i: number,
    j: number,
    ih: number,
    iw: number,
  ) => void,
) {
  const Cg = g.inChannels / g.groups
  const Og = g.outChannels / g.groups
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++)
          for (let ci = 0; ci < Cg; ci++)
            for (let i = 0; i < g.kernelH; i++)
              for (let j = 0; j < g.kernelW; j++) {
                const c = Math.floor(o / Og) * Cg + ci
                const ih = oh * g.strideH - g.padTop + i * g.dilationH
                const iw = ow * g.strideW - g.padLeft + j * g.dilationW
                f(n, o, oh, ow, c, ci, i, j, ih, iw)
              }
}

function refForward(x: FloatArray, w: FloatArray, b: FloatArray | null, g: Conv2dGeometry): Float64Array {
  const y = new Float64Array(g.batch * g.outChannels * g.outH * g.outW)
  const Cg = g.inChannels / g.groups
  const yi = (n: number, o: number, oh: number, ow: number) => ((n * g.outChannels + o) * g.outH + oh) * g.outW + ow
  const wi = (o: number, ci: number, i: number, j: number) => ((o * Cg + ci) * g.kernelH + i) * g.kernelW + j
  eachTerm(g, (n, o, oh, ow, c, ci, i, j, ih, iw) => {
    y[yi(n, o, oh, ow)] += w[wi(o, ci, i, j)] * at(x, g, n, c, ih, iw)
  })
  if (b) for (let k = 0; k < y.length; k++) y[k] += b[Math.floor(k / (g.outH * g.outW)) % g.outChannels]
  return y
}

function refInputGrad(dy: FloatArray, w: FloatArray, g: Conv2dGeometry): Float64Array {
  const dx = new Float64Array(g.batch * g.inChannels * g.height * g.width)
  const Cg = g.inChannels / g.groups
  eachTerm(g, (n, o, oh, ow, c, ci, i, j, ih, iw) => {
    if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width) return
    dx[((n * g.inChannels + c) * g.height + ih) * g.width + iw] +=
      w[((o * Cg + ci) * g.kernelH + i) * g.kernelW + j] * dy[((n * g.outChannels + o) * g.outH + oh) * g.outW + ow]
  })
  return dx
}

function refWeightGrad(x: FloatArray, dy: FloatArray, g: Conv2dGeometry): Float64Array {
  const Cg = g.inChannels / g.groups
  const dw = new Float64Array(g.outChannels * Cg * g.kernelH * g.kernelW)
  eachTerm(g, (n, o, oh, ow, c, ci, i, j, ih, iw) => {
    dw[((o * Cg + ci) * g.kernelH + i) * g.kernelW + j] +=
      dy[((n * g.outChannels + o) * g.outH + oh) * g.outW + ow] * at(x, g, n, c, ih, iw)
  })
  return dw
}

function expectClose(got: FloatArray, want: Float64Array, tol: number, what: string): void {
  expect(got.length).toBe(want.length)
  let scale = 1
  for (let k = 0; k < want.length; k++) scale = Math.max(scale, Math.abs(want[k]))
  for (let k = 0; k < want.length; k++) {
    if (!(Math.abs(got[k] - want[k]) <= tol * scale)) {
      throw new Error(`${what}: element ${k}: got ${got[k]}, expected ${want[k]}`)
    }
  }
}

function describeGeometry(g: Conv2dGeometry): string {
  return JSON.stringify(g)
}

/** Runs the three kernels on `count` random geometries and compares them with the loops. */
function checkKernels(seed: number, count: number, f64: boolean, big: boolean): void {
  const rng = lcg(seed)
  for (let t = 0; t < count; t++) {
    const g = randomGeometry(rng, big)
    const Cg = g.inChannels / g.groups
    const x = randomArray(rng, g.batch * g.inChannels * g.height * g.width, f64)
    const w = randomArray(rng, g.outChannels * Cg * g.kernelH * g.kernelW, f64)
    const b = rng() < 0.5 ? randomArray(rng, g.outChannels, f64) : null
    const dy = randomArray(rng, g.batch * g.outChannels * g.outH * g.outW, f64)
    const tol = f64 ? 1e-12 : 1e-5
    const make = (n: number) => (f64 ? new Float64Array(n) : new Float32Array(n).fill(NaN))
    const y = make(dy.length)
    conv2dForward(x, w, b, g, y)
    expectClose(y, refForward(x, w, b, g), tol, `forward ${describeGeometry(g)}`)
    const dx = make(x.length)
    conv2dInputGrad(dy, w, g, dx)
    expectClose(dx, refInputGrad(dy, w, g), tol, `input grad ${describeGeometry(g)}`)
    const dw = make(w.length)
    conv2dWeightGrad(x, dy, g, dw)
    expectClose(dw, refWeightGrad(x, dy, g), tol, `weight grad ${describeGeometry(g)}`)
  }
}

/** Runs `f` once with the stride-1 path and once with plain im2col everywhere. */
function bothPaths(f: () => void): void {
  f()
  const was = disableUnitStridePath(true)
  try {
    f()
  } finally {
    disableUnitStridePath(was)
  }
}

describe('conv2d kernels against naive float64 loops', () => {
  test('float64, 300 small random geometries (stride, padding, dilation, groups, rectangular kernels)', () => {
    bothPaths(() => checkKernels(1, 300, true, false))
  })
  test('float64, 40 larger geometries (packed gemm)', () => {
    bothPaths(() => checkKernels(2, 40, true, true))
  })
  test('float32 on the WebAssembly SIMD gemm, 300 small and 40 larger geometries', () => {
    expect(wasmSimdAvailable()).toBe(true) // Node ≥ 20 has wasm SIMD: this test must exercise it
    bothPaths(() => {
      checkKernels(3, 300, false, false)
      checkKernels(4, 40, false, true)
    })
  })
  test('float32 on the plain-JS gemm (no WebAssembly SIMD), same geometries', () => {
    const was = disableWasmGemm(true)
    try {
      expect(wasmSimdAvailable()).toBe(false)
      bothPaths(() => {
        checkKernels(3, 300, false, false)
        checkKernels(4, 40, false, true)
      })
    } finally {
      disableWasmGemm(was)
    }
  })
  test('pointwise (1×1, stride 1, no padding) and the MNIST layers', () => {
    const base = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 }
    const cases: Conv2dGeometry[] = [
      {
        ...base,
        batch: 2,
        inChannels: 6,
        height: 5,
        width: 7,
        outChannels: 4,
        kernelH: 1,
        kernelW: 1,
        padTop: 0,
        padLeft: 0,
        groups: 2,
        outH: 5,
        outW: 7,
      },
      {
        ...base,
        batch: 1,
        inChannels: 1,
        height: 28,
        width: 28,
        outChannels: 8,
        kernelH: 5,
        kernelW: 5,
        padTop: 2,
        padLeft: 2,
        groups: 1,
        outH: 28,
        outW: 28,
      },
      {
        ...base,
        batch: 1,
        inChannels: 8,
        height: 14,
        width: 14,
        outChannels: 16,
        kernelH: 5,
        kernelW: 5,
        padTop: 2,
        padLeft: 2,
        groups: 1,
        outH: 14,
        outW: 14,
      },
    ]
    const rng = lcg(5)
    for (const f64 of [true, false, false]) {
      for (const g of cases) {
        const x = randomArray(rng, g.batch * g.inChannels * g.height * g.width, f64)
        const w = randomArray(rng, (g.outChannels * g.inChannels * g.kernelH * g.kernelW) / g.groups, f64)
        const dy = randomArray(rng, g.batch * g.outChannels * g.outH * g.outW, f64)
        const tol = f64 ? 1e-12 : 1e-5
        const y = f64 ? new Float64Array(dy.length) : new Float32Array(dy.length)
        conv2dForward(x, w, null, g, y)
        expectClose(y, refForward(x, w, null, g), tol, 'forward')
        const dx = f64 ? new Float64Array(x.length) : new Float32Array(x.length)
        conv2dInputGrad(dy, w, g, dx)
        expectClose(dx, refInputGrad(dy, w, g), tol, 'input grad')
        const dw = f64 ? new Float64Array(w.length) : new Float32Array(w.length)
        conv2dWeightGrad(x, dy, g, dw)
        expectClose(dw, refWeightGrad(x, dy, g), tol, 'weight grad')
      }
    }
  })
})

/** Elementwise equality that treats NaN as equal to NaN and allows a relative error. */
function expectSameValues(got: FloatArray, want: Float64Array, tol: number, what: string): void {
  for (let k = 0; k < want.length; k++) {
    const g = got[k]
    const w = want[k]
    const same = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= tol * Math.max(1, Math.abs(w))
    if (!same) throw new Error(`${what}: element ${k}: got ${g}, expected ${w}`)
  }
}

test('non-finite values land where the definition puts them, on every path (no 0·∞ from padding tricks)', () => {
  const g: Conv2dGeometry = {
    batch: 2,
    inChannels: 2,
    height: 6,
    width: 5,
    outChannels: 3,
    kernelH: 3,
    kernelW: 2,
    strideH: 1,
    strideW: 1,
    padTop: 1,
    padLeft: 1,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
    outH: 6,
    outW: 6,
  }
  const rng = lcg(9)
  for (const f64 of [true, false]) {
    const x = randomArray(rng, 2 * 2 * 6 * 5, f64)
    const w = randomArray(rng, 3 * 2 * 3 * 2, f64)
    const dy = randomArray(rng, 2 * 3 * 6 * 6, f64)
    x[7] = Infinity
    x[40] = NaN
    w[5] = -Infinity
    bothPaths(() => {
      const y = f64 ? new Float64Array(dy.length) : new Float32Array(dy.length)
      conv2dForward(x, w, null, g, y)
      expectSameValues(y, refForward(x, w, null, g), 1e-5, 'forward')
      const dx = f64 ? new Float64Array(x.length) : new Float32Array(x.length)
      conv2dInputGrad(dy, w, g, dx)
      expectSameValues(dx, refInputGrad(dy, w, g), 1e-5, 'input grad')
      const dw = f64 ? new Float64Array(w.length) : new Float32Array(w.length)
      conv2dWeightGrad(x, dy, g, dw)
      expectSameValues(dw, refWeightGrad(x, dy, g), 1e-5, 'weight grad')
    })
  }
})
