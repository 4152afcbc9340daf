/**
 * The short measurement behind `setBackend('auto')`: from which buffer length on is the gpu.js
 * backend faster than the CPU backend on *this* device?
 *
 * It times one Adam step (three rules over four float32 arrays, upload and readback included)
 * on both backends. The arrays are allocated the way the optimizer lifter allocates a state
 * (`allocateFloat32Group`: one WebAssembly memory), so the CPU side is the tier an optimizer
 * state really runs: the WebAssembly SIMD kernel where the engine has SIMD, else the fused
 * JavaScript loop (or, under a CSP without 'unsafe-eval', the interpreter). Plain
 * Float32Arrays would time the JavaScript loop, about half the SIMD kernel's speed, and could
 * hand gpu.js a size at which it loses to what the optimizer actually runs.
 *
 * Sizes, largest first: 4M, 1M, 256k, 64k, 16k, 4k elements. At each size it takes the median
 * of a few runs after a warm-up (the warm-up compiles the kernels); when gpu.js is already 2×
 * slower on the first timed run, that run decides. It stops at the first size where gpu.js
 * loses; the threshold is the smallest size at which gpu.js won at that size and at every
 * larger size — so `auto` never sends a buffer to the backend that measured slower at that
 * size. When gpu.js loses already at 4M (software WebGL, webasm), the threshold is Infinity:
 * the CPU runs everything.
 * Cost: on a real GPU around 0.5 s; where gpu.js loses at once, one size (about 0.3–2 s).
 */
import type { Backend, Rule } from './backend.js'
import { allocateFloat32Group, cpu as cpuBackend, lastCpuTier } from './cpu.js'

// Adam written for float32 devices: m ← m + (g − m)·(1 − b1), with 1 − b1 computed on the host.
// The same value as the seed's lerp(g, m, b1) = (m − g)·b1 + g, but without its cancellation:
// at b2 = 0.999 the lerp form subtracts two numbers ~1000× larger than the result, and a device
// computing in float32 (WebGL, webasm) loses three digits of v to it (measured 7e-5 relative
// against the CPU loop, whose arithmetic is float64); this form stays within 3e-7.
function velocity(g: number, m: number, omb1: number): number {
  return m + (g - m) * omb1
}
function speedSquared(g: number, v: number, omb2: number): number {
  return v + (g * g - v) * omb2
}
function adamStep(x: number, m: number, v: number, lr: number, bc1: number, bc2: number, eps: number): number {
  return x - (lr * (m / bc1)) / (Math.sqrt(v / bc2) + eps)
}

/**
 * Adam's three rules: the workload the calibration and the benchmark time.
 * @example cpu.elementwise(ADAM_RULES, adamArrays(n), adamScalars(0), n)
 */
export const ADAM_RULES: readonly Rule[] = [
  { target: 'm', args: ['g', 'm', 'omb1'], fn: velocity },
  { target: 'v', args: ['g', 'v', 'omb2'], fn: speedSquared },
  { target: 'x', args: ['x', 'm', 'v', 'lr', 'bc1', 'bc2', 'eps'], fn: adamStep },
]

/**
 * Adam's scalars at step i (0-based): lr 1e-3, b1 0.9, b2 0.999, eps 1e-8, with
 * omb1 = 1 − b1, omb2 = 1 − b2, bc1 = 1 − b1^(i+1), bc2 = 1 − b2^(i+1).
 * @example adamScalars(0).bc1   // 0.1 (up to rounding)
 */
export function adamScalars(i: number): Record<string, number> {
  const b1 = 0.9, b2 = 0.999
  return { lr: 1e-3, omb1: 1 - b1, omb2: 1 - b2, eps: 1e-8, bc1: 1 - Math.pow(b1, i + 1), bc2: 1 - Math.pow(b2, i + 1) }
}

/**
 * Fresh Adam state of n elements with deterministic, varied values, allocated as an optimizer
 * state is: the four arrays in one WebAssembly memory (`allocateFloat32Group`), so the CPU
 * backend runs them on its SIMD tier where it exists — as it runs a real Adam state. (States
 * under 256 parameters get plain arrays from the lifter; the sizes timed here are all larger.)
 * @example
 * const a = adamArrays(1 << 16)
 * cpu.elementwise(ADAM_RULES, a, adamScalars(0), 1 << 16)   // lastCpuTier() === 'simd' on Node 20
 */
export function adamArrays(n: number): Record<string, Float32Array> {
  const [x, g, m, v] = allocateFloat32Group([n, n, n, n])
  for (let i = 0; i < n; i++) {
    x[i] = Math.sin(i * 0.7)
    g[i] = Math.cos(i * 0.37)
  }
  return { x, g, m, v }
}

/** One row of the calibration: milliseconds per Adam step on each backend at `length`. */
export interface CalibrationRow {
  readonly length: number
  readonly cpuMs: number
  readonly gpuMs: number
  /** Which CPU tier ran the timed steps ('simd', 'js' or 'interpreter'; absent for another CPU backend). */
  readonly cpuTier?: string
}

/** What the calibration found. */
export interface Calibration {
  /** Buffers with at least this many elements go to gpu.js (Infinity: never). */
  readonly threshold: number
  readonly rows: readonly CalibrationRow[]
}

/**
 * The sizes the calibration times, largest first: 4M, 1M, 256k, 64k, 16k, 4k elements.
 * @example await calibrate(cpu, gpuBackend, CALIBRATION_SIZES.slice(0, 2))   // only 4M and 1M
 */
export const CALIBRATION_SIZES: readonly number[] = [1 << 22, 1 << 20, 1 << 18, 1 << 16, 1 << 14, 1 << 12]

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1]
}

/**
 * Median milliseconds of one Adam step of `backend` over `arrays` (after one warm-up run).
 * @example timeAdamStep(cpu, adamArrays(1 << 20), 1 << 20, 5)   // ≈ 2 ms on the SIMD tier
 */
export function timeAdamStep(backend: Backend, arrays: Record<string, Float32Array>, length: number, reps: number): number {
  backend.elementwise(ADAM_RULES, arrays, adamScalars(0), length)
  return timeRuns(backend, arrays, length, reps)
}

function timeRuns(backend: Backend, arrays: Record<string, Float32Array>, length: number, reps: number): number {
  const times: number[] = []
  for (let r = 0; r < reps; r++) {
    const t0 = now()
    backend.elementwise(ADAM_RULES, arrays, adamScalars(r + 1), length)
    times.push(now() - t0)
  }
  return median(times)
}

/**
 * Measures the crossover of `gpu` against `cpu` (see the module comment).
 *
 * @example
 * const { threshold } = await calibrate(cpu, gpuBackend)   // e.g. 262144 on a laptop GPU
 */
export async function calibrate(cpu: Backend, gpu: Backend, sizes: readonly number[] = CALIBRATION_SIZES): Promise<Calibration> {
  const rows: CalibrationRow[] = []
  let threshold = Infinity
  const largest = Math.max(...sizes)
  const arrays = adamArrays(largest)
  for (const length of [...sizes].sort((a, b) => b - a)) {
    const reps = Math.max(3, Math.min(9, Math.ceil((1 << 20) / length)))
    // One timed run each first: a device 2× slower or worse is decided without more runs
    // (software WebGL takes ~1 s per 4M step; the calibration should stay short).
    let gpuMs = timeAdamStep(gpu, arrays, length, 1)
    let cpuMs = timeAdamStep(cpu, arrays, length, 1)
    if (gpuMs < 2 * cpuMs) {
      gpuMs = timeRuns(gpu, arrays, length, reps)
      cpuMs = timeRuns(cpu, arrays, length, reps)
    }
    const cpuTier = cpu === cpuBackend ? lastCpuTier() ?? undefined : undefined
    rows.push(cpuTier ? { length, cpuMs, gpuMs, cpuTier } : { length, cpuMs, gpuMs })
    // Let the page breathe between sizes (the calibration may run on a main thread).
    await new Promise((resolve) => setTimeout(resolve, 0))
    if (gpuMs >= cpuMs) break
    threshold = length
  }
  return { threshold, rows }
}
