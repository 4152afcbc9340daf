/**
 * The short measurement behind `setBackend('auto')`: from which buffer length on is the gpu.js
 * backend faster than the CPU backend on *this* device?
 *
 * It times one Adam step (three rules over four float32 arrays, upload and readback included)
 * on both backends — the very rules `adam()` hands the backend (optimizers/adam.ts, with
 * `firstMoment` and `secondMoment` from optimizers/rules.ts), so the crossover is measured on
 * the kernels an optimizer step then runs. The arrays are allocated the way the optimizer lifter
 * allocates a state (`allocateFloat32Group`: one WebAssembly memory), so the CPU side is the tier
 * an optimizer state really runs: the WebAssembly SIMD kernel where the engine has SIMD, else the
 * fused JavaScript loop (or, under a CSP without 'unsafe-eval', the interpreter). Plain
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
 *
 * This file is loaded lazily (by `setBackend('auto')`) and imports nothing from cpu.ts: the CPU
 * side comes in as a {@link CpuSide}. A static import would make bundlers put cpu.ts in a chunk
 * of its own, shared with this one (esbuild does), which every page with an optimizer would
 * then fetch as one more file.
 */
import type { Backend, Rule } from './backend.js'

// Adam's rules as `adam()` builds them. src/ may not import optimizers/ (the dependencies run
// one way), so these are copies — kept identical by test/backends.test.ts, which compares them
// with the rules and scalars an `adam(1e-3)` step hands the backend.
// From optimizers/rules.ts: m ← lerp(g, m, β) = (m − g)·β + g.
function firstMoment(g: number, m: number, beta: number) {
  return (m - g) * beta + g
}
// From optimizers/rules.ts: v ← lerp(g², v, β) = (v − g²)·β + g².
function secondMoment(g: number, v: number, beta: number) {
  const g2 = g * g
  return (v - g2) * beta + g2
}
// From optimizers/adam.ts: x ← x − lr·velocity/(speed + eps), with 1/bias computed on the host.
function adamStep(x: number, m: number, v: number, lr: number, invBias1: number, invBias2: number, eps: number) {
  const velocity = m * invBias1
  const speed = Math.sqrt(v * invBias2)
  return x - (lr * velocity) / (speed + eps)
}

/**
 * Adam's three rules, as `adam(1e-3)` hands them to the backend: the workload the calibration
 * and the benchmark time.
 * @example
 * import { cpu, allocateFloat32Group } from './src/backends/cpu'   // internal, as this file
 * import { ADAM_RULES, adamArrays, adamScalars } from './src/backends/calibrate'
 *
 * const n = 1024
 * cpu.elementwise(ADAM_RULES, adamArrays(n, allocateFloat32Group), adamScalars(0), n)
 * ADAM_RULES.map((r) => r.target)   // ['m', 'v', 'x']
 */
export const ADAM_RULES: readonly Rule[] = [
  { target: 'm', args: ['g', 'm', 'b1'], fn: firstMoment },
  { target: 'v', args: ['g', 'v', 'b2'], fn: secondMoment },
  { target: 'x', args: ['x', 'm', 'v', 'lr', 'invBias1', 'invBias2', 'eps'], fn: adamStep },
]

/**
 * Adam's scalars at step i (0-based), as `adam(1e-3)` computes them: lr 1e-3, b1 0.9,
 * b2 0.999, eps 1e-8, invBias1 = 1/(1 − b1^(i+1)), invBias2 = 1/(1 − b2^(i+1)).
 * @example
 * import { adamScalars } from './src/backends/calibrate'   // internal: the calibration's workload
 *
 * // that is 1/(1 − 0.9), up to rounding:
 * adamScalars(0).invBias1   // 10.000000
 */
export function adamScalars(i: number): Record<string, number> {
  const lr = 1e-3,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8
  const bias = (beta: number) => 1 - beta ** (i + 1)
  return { lr, b1, b2, eps, invBias1: 1 / bias(b1), invBias2: 1 / bias(b2) }
}

/**
 * Fresh Adam state of n elements with deterministic, varied values, allocated by `allocate`.
 * Pass `allocateFloat32Group` (src/backends/cpu.ts) to allocate it as an optimizer state is: the
 * four arrays in one WebAssembly memory, so the CPU backend runs them on its SIMD tier where it
 * exists — as it runs a real Adam state. (States under 256 parameters get plain arrays from the
 * lifter; the sizes timed here are all larger.)
 * @example
 * import { cpu, allocateFloat32Group, lastCpuTier } from './src/backends/cpu'   // internal, as this file
 * import { ADAM_RULES, adamArrays, adamScalars } from './src/backends/calibrate'
 *
 * const a = adamArrays(1 << 16, allocateFloat32Group)
 * cpu.elementwise(ADAM_RULES, a, adamScalars(0), 1 << 16)
 * lastCpuTier()   // 'simd'
 */
export function adamArrays(
  n: number,
  allocate: (lengths: readonly number[]) => Float32Array[],
): Record<string, Float32Array> {
  const [x, g, m, v] = allocate([n, n, n, n])
  for (let i = 0; i < n; i++) {
    x[i] = Math.sin(i * 0.7)
    g[i] = Math.cos(i * 0.37)
  }
  return { x, g, m, v }
}

/**
 * The CPU side of the calibration: the backend, how an optimizer state allocates its arrays,
 * and which CPU tier ran the last call. `setBackend` passes
 * `{ backend: cpu, allocate: allocateFloat32Group, tier: lastCpuTier }`.
 */
export interface CpuSide {
  readonly backend: Backend
  allocate(lengths: readonly number[]): Float32Array[]
  /** 'simd', 'js' or 'interpreter' (null before any call, or for a CPU backend without tiers). */
  tier(): string | null
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
 * @example
 * import { CALIBRATION_SIZES } from './src/backends/calibrate'   // internal: what setBackend('auto') times
 *
 * // calibrate(cpuSide, gpuBackend, CALIBRATION_SIZES.slice(0, 2)) times only these two:
 * CALIBRATION_SIZES.slice(0, 2)   // [4194304, 1048576]
 */
export const CALIBRATION_SIZES: readonly number[] = [1 << 22, 1 << 20, 1 << 18, 1 << 16, 1 << 14, 1 << 12]

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now())

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1]
}

/**
 * Median milliseconds of one Adam step of `backend` over `arrays` (after one warm-up run).
 * @example
 * import { cpu, allocateFloat32Group } from './src/backends/cpu'   // internal, as this file
 * import { adamArrays, timeAdamStep } from './src/backends/calibrate'
 *
 * // milliseconds: a few on the SIMD tier of a laptop core, depending on the machine
 * const ms = timeAdamStep(cpu, adamArrays(1 << 20, allocateFloat32Group), 1 << 20, 5)
 * ms > 0   // true
 */
export function timeAdamStep(
  backend: Backend,
  arrays: Record<string, Float32Array>,
  length: number,
  reps: number,
): number {
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
 * import { cpu, allocateFloat32Group, lastCpuTier } from './src/backends/cpu'   // internal, as this file
 * import { calibrate, CALIBRATION_SIZES } from './src/backends/calibrate'
 * import { loadGpujs } from './src/backends/gpujs'
 *
 * const cpuSide = { backend: cpu, allocate: allocateFloat32Group, tier: lastCpuTier }
 * // gpu.js in 'cpu' mode (JavaScript, no GPU) stands in for a GPU here; on a real GPU the
 * // threshold is a finite size, the smallest at which gpu.js won at every larger size.
 * const gpuBackend = await loadGpujs({ mode: 'cpu' })
 * const { threshold, rows } = await calibrate(cpuSide, gpuBackend, CALIBRATION_SIZES.slice(-2))
 * rows[0].length    // 16384
 * rows[0].cpuTier   // 'simd'
 * threshold         // Infinity
 * gpuBackend.destroy()
 */
export async function calibrate(
  cpuSide: CpuSide,
  gpu: Backend,
  sizes: readonly number[] = CALIBRATION_SIZES,
): Promise<Calibration> {
  const cpu = cpuSide.backend
  const rows: CalibrationRow[] = []
  let threshold = Infinity
  const largest = Math.max(...sizes)
  const arrays = adamArrays(largest, cpuSide.allocate)
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
    const cpuTier = cpuSide.tier() ?? undefined
    rows.push(cpuTier ? { length, cpuMs, gpuMs, cpuTier } : { length, cpuMs, gpuMs })
    // Let the page breathe between sizes (the calibration may run on a main thread).
    await new Promise((resolve) => setTimeout(resolve, 0))
    if (gpuMs >= cpuMs) break
    threshold = length
  }
  return { threshold, rows }
}
