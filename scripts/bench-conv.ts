/**
 * Times the convolution kernels of src/kernels/conv.ts on the layers of the MNIST CNN
 * (tfjs-examples "mnist-core": conv 5×5×8 and conv 5×5×16, 'same' padding, batch 64):
 * the library as it runs (stride-1 unfolding on the WebAssembly SIMD gemm), plain im2col on the
 * SIMD gemm, the library without WebAssembly (im2col on the JS gemm), and direct loops (written
 * here, for comparison only), for the forward pass, the input gradient and the weight gradient;
 * then one whole train step of that net (forward, backward, Adam) through the library.
 *
 * Times are CPU milliseconds of the process (see `cpuMs`).
 *
 *   npx tsx scripts/bench-conv.ts            # medians of 15 round-robin runs after 2 warm-ups
 *   npx tsx scripts/bench-conv.ts --runs 31
 */
import {
  conv2dForward,
  conv2dInputGrad,
  conv2dWeightGrad,
  disableUnitStridePath,
  type Conv2dGeometry,
} from '../src/kernels/conv.js'
import { disableWasmGemm, type FloatArray } from '../src/kernels/gemm.js'
import { randn, seed, tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'
import { MnistCore } from '../examples/mnist-cnn.js'

const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15

/** CPU time of this process in ms (user + system): on a shared, loaded machine it counts the
 *  time this thread ran, not the time it waited for a core, unlike the wall clock. */
function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * Medians of the variants' CPU times, measured round-robin (A, B, C, A, B, C, …) so that a
 * change in the load of a shared machine hits every variant alike.
 */
function medians(variants: (() => void)[]): number[] {
  for (const f of variants) for (let i = 0; i < 2; i++) f()
  const times = variants.map(() => [] as number[])
  for (let r = 0; r < RUNS; r++) {
    variants.forEach((f, k) => {
      const t0 = cpuMs()
      f()
      times[k].push(cpuMs() - t0)
    })
  }
  return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1])
}

/** Runs f with the WebAssembly gemm and/or the stride-1 path turned off. */
function withPaths(f: () => void, { wasm = true, unitStride = true }): () => void {
  return () => {
    const w = disableWasmGemm(!wasm)
    const u = disableUnitStridePath(!unitStride)
    try {
      f()
    } finally {
      disableWasmGemm(w)
      disableUnitStridePath(u)
    }
  }
}

function random(n: number): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5
  return a
}

// ---- direct loops: one multiply-add per tap, rows of the output accumulated in place ----------

/** The columns ow whose input column ow·s + off is inside [0, W). */
function range(off: number, s: number, W: number, Wo: number): [number, number] {
  const lo = off >= 0 ? 0 : Math.min(Wo, Math.ceil(-off / s))
  const hi = W - 1 - off < 0 ? 0 : Math.min(Wo, Math.floor((W - 1 - off) / s) + 1)
  return [lo, Math.max(lo, hi)]
}

function directForward(x: FloatArray, w: FloatArray, g: Conv2dGeometry, y: FloatArray): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: kH, kernelW: kW } = g
  const { strideH: sH, strideW: sW, padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  y.fill(0)
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const yb = (n * O + o) * Ho * Wo
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * H * W
        for (let i = 0; i < kH; i++)
          for (let j = 0; j < kW; j++) {
            const wv = w[((o * C + c) * kH + i) * kW + j]
            const off = j * dW - pL
            const [lo, hi] = range(off, sW, W, Wo)
            for (let oh = 0; oh < Ho; oh++) {
              const ih = oh * sH - pT + i * dH
              if (ih < 0 || ih >= H) continue
              const yr = yb + oh * Wo
              const xr = xb + ih * W + off
              for (let ow = lo; ow < hi; ow++) y[yr + ow] += wv * x[xr + ow * sW]
            }
          }
      }
    }
}

function directInputGrad(dy: FloatArray, w: FloatArray, g: Conv2dGeometry, dx: FloatArray): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: kH, kernelW: kW } = g
  const { strideH: sH, strideW: sW, padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  dx.fill(0)
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const yb = (n * O + o) * Ho * Wo
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * H * W
        for (let i = 0; i < kH; i++)
          for (let j = 0; j < kW; j++) {
            const wv = w[((o * C + c) * kH + i) * kW + j]
            const off = j * dW - pL
            const [lo, hi] = range(off, sW, W, Wo)
            for (let oh = 0; oh < Ho; oh++) {
              const ih = oh * sH - pT + i * dH
              if (ih < 0 || ih >= H) continue
              const yr = yb + oh * Wo
              const xr = xb + ih * W + off
              for (let ow = lo; ow < hi; ow++) dx[xr + ow * sW] += wv * dy[yr + ow]
            }
          }
      }
    }
}

function directWeightGrad(x: FloatArray, dy: FloatArray, g: Conv2dGeometry, dw: FloatArray): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: O, kernelH: kH, kernelW: kW } = g
  const { strideH: sH, strideW: sW, padTop: pT, padLeft: pL, dilationH: dH, dilationW: dW, outH: Ho, outW: Wo } = g
  dw.fill(0)
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const yb = (n * O + o) * Ho * Wo
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * H * W
        for (let i = 0; i < kH; i++)
          for (let j = 0; j < kW; j++) {
            const off = j * dW - pL
            const [lo, hi] = range(off, sW, W, Wo)
            let s = 0
            for (let oh = 0; oh < Ho; oh++) {
              const ih = oh * sH - pT + i * dH
              if (ih < 0 || ih >= H) continue
              const yr = yb + oh * Wo
              const xr = xb + ih * W + off
              for (let ow = lo; ow < hi; ow++) s += dy[yr + ow] * x[xr + ow * sW]
            }
            dw[((o * C + c) * kH + i) * kW + j] += s
          }
      }
    }
}

// ---- the layers ---------------------------------------------------------------------------------

// 5×5 kernels with 'same' padding, stride 1, as in mnist-core.
const one = { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, groups: 1, padTop: 2, padLeft: 2 }
const layer = (C: number, H: number, O: number): Conv2dGeometry => ({
  ...one,
  kernelH: 5,
  kernelW: 5,
  batch: 64,
  inChannels: C,
  height: H,
  width: H,
  outChannels: O,
  outH: H,
  outW: H,
})
const layers: [string, Conv2dGeometry][] = [
  ['conv1 [64,1,28,28] * [8,1,5,5]', layer(1, 28, 8)],
  ['conv2 [64,8,14,14] * [16,8,5,5]', layer(8, 14, 16)],
]

const rows: string[] = []
rows.push(
  '| layer | pass | library (wasm SIMD gemm) | plain im2col + wasm SIMD gemm | library without wasm (JS gemm) ' +
    '| direct loops |',
)
rows.push('|---|---|---|---|---|---|')
for (const [name, g] of layers) {
  const x = random(g.batch * g.inChannels * g.height * g.width)
  const w = random(g.outChannels * g.inChannels * g.kernelH * g.kernelW)
  const dy = random(g.batch * g.outChannels * g.outH * g.outW)
  const y = new Float32Array(dy.length)
  const dx = new Float32Array(x.length)
  const dw = new Float32Array(w.length)
  const passes: [string, () => void, () => void][] = [
    ['forward', () => conv2dForward(x, w, null, g, y), () => directForward(x, w, g, y)],
    ['input grad', () => conv2dInputGrad(dy, w, g, dx), () => directInputGrad(dy, w, g, dx)],
    ['weight grad', () => conv2dWeightGrad(x, dy, g, dw), () => directWeightGrad(x, dy, g, dw)],
  ]
  for (const [pass, gemmPath, direct] of passes) {
    const t = medians([
      withPaths(gemmPath, {}),
      withPaths(gemmPath, { unitStride: false }),
      withPaths(gemmPath, { wasm: false }), // (the stride-1 path runs on the SIMD gemm only)
      direct,
    ])
    rows.push(`| ${name} | ${pass} | ${t.map((v) => `${v.toFixed(2)} ms`).join(' | ')} |`)
  }
}
console.log(rows.join('\n'))

// ---- one train step of the whole net: forward, backward, Adam (batch 64) ------------------------
seed(0)
const net = new MnistCore()
const opt = adam(1e-3).attach(net.parameters())
const x = randn([64, 784])
const y = tensor(Array.from({ length: 64 }, (_, i) => i % 10))
const trainStep = () => {
  const loss = nn.crossEntropy(net.forward(x), y)
  opt.zeroGrad()
  loss.backward()
  opt.step()
}
const wall: number[] = []
const cpu: number[] = []
for (let i = 0; i < 3; i++) trainStep()
for (let i = 0; i < 2 * RUNS; i++) {
  const t0 = performance.now()
  const c0 = cpuMs()
  trainStep()
  cpu.push(cpuMs() - c0)
  wall.push(performance.now() - t0)
}
const mid = (t: number[]) => t.sort((a, b) => a - b)[t.length >> 1]
console.log(
  `\nmnist-core train step (batch 64, forward + backward + Adam): ${mid(cpu).toFixed(1)} ms CPU, ` +
    `${mid(wall).toFixed(1)} ms wall (medians of ${2 * RUNS})`,
)
