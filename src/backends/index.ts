/**
 * Which backend runs the elementwise work: `setBackend`, `getBackend`, `getActiveBackend`.
 *
 * - `'cpu'` (the default): the CPU backend, everywhere, for every size. It has three tiers
 *   (src/backends/cpu.ts): an optimizer state's arrays (one WebAssembly memory) run as a
 *   WebAssembly SIMD kernel; other arrays, or engines without SIMD, the fused JavaScript loop;
 *   where code generation is forbidden, an interpreter. Same numbers in every tier;
 *   `lastCpuTier()` says which one ran the last step.
 * - `'gpujs'`: gpu.js kernels, forced (in whatever mode gpu.js picks, or the one you ask for,
 *   or on the `GPU` instance you pass). Buffers below `threshold` (default 0) stay on the CPU.
 * - `'auto'`: gpu.js only where it pays, decided by measurement:
 *     1. gpu.js must have a real GPU context — WebGL2, WebGL or headless-gl. gpu.js's `webasm`
 *        and `cpu` modes run on the CPU and were measured slower than the CPU backend (docs/backends.md),
 *        and WebGPU cannot serve a synchronous step. Otherwise: cpu, with the reason.
 *     2. Only buffers of at least `threshold` elements go to gpu.js. The threshold is the one you
 *        give, or one measured once on this device (`calibrate.ts`: an Adam step timed on both
 *        backends from 4M elements down, on arrays allocated like an optimizer state's, so the
 *        CPU side runs the tier a state runs) and cached for the session (and in localStorage in a
 *        browser, keyed by the GL renderer). If gpu.js lost at every size, the CPU runs everything.
 *
 * The optimizer lifter asks `getActiveBackend(length)` for each flat buffer, so optimizers never
 * know which backend runs them. While gpu.js is active, large float32 elementwise tensor ops
 * (nd.ts `map`/`zip`, forward and backward) run through it too, above the same threshold.
 *
 * gpu.js is an optional peer dependency, imported only by `setBackend('gpujs' | 'auto')`,
 * dynamically, together with the code that starts it and decides (chooseGpujs.ts, gpujs.ts,
 * kernelSource.ts, calibrate.ts: one lazily loaded chunk in a bundle). The CPU path never loads
 * any of it. Without gpu.js, `'gpujs'` rejects with an error that says how to install it, and
 * `'auto'` stays on the CPU and says why.
 */
import type { Backend } from './backend.js'
import { allocateFloat32Group, cpu, lastCpuTier } from './cpu.js'
import { setElementwiseHook } from '../nd.js'
import type { BackendChoice, BackendInfo, BackendState, SetBackendOptions } from './chooseGpujs.js'

export type { BackendChoice, BackendInfo, SetBackendOptions } from './chooseGpujs.js'
// Which CPU tier ran the last optimizer step ('simd' | 'js' | 'interpreter'): a diagnostic that
// the browser bundle's backends.js exposes (the CSP and no-gpu.js pages read it).
export { lastCpuTier } from './cpu.js'

/** Tensor ops shorter than this never go to gpu.js, whatever the threshold: a kernel is compiled
 *  per (function, length), so small, varied shapes would spend their time compiling. */
const MIN_OP_LENGTH = 1 << 16

const CPU_INFO: BackendInfo = {
  requested: 'cpu',
  name: 'cpu',
  mode: 'js',
  reason:
    'the default: the CPU backend (optimizer states run as a WebAssembly SIMD kernel where the engine has ' +
    'SIMD, else the fused JavaScript loop)',
}
let state: BackendState = { info: CPU_INFO, gpujs: null, threshold: Infinity }
/** Every setBackend call bumps this; a slower earlier call must not overwrite a later one. */
let generation = 0

/** While gpu.js runs large buffers, large elementwise tensor ops go to it too (nd.ts's hook). */
function installHook(s: BackendState): void {
  if (!s.gpujs || !Number.isFinite(s.threshold)) {
    setElementwiseHook(null)
    return
  }
  const be = s.gpujs
  setElementwiseHook({ threshold: Math.max(s.threshold, MIN_OP_LENGTH), unary: be.unary, binary: be.binary })
}

/** Makes `next` the backend, unless a later `setBackend` call was made meanwhile. */
function commit(next: BackendState, gen: number): BackendInfo {
  if (gen !== generation) {
    // A later setBackend call won; free what this one built unless it is in use.
    if (next.gpujs && next.gpujs !== state.gpujs) next.gpujs.destroy()
    return state.info
  }
  if (state.gpujs && state.gpujs !== next.gpujs) state.gpujs.destroy()
  state = next
  installHook(state)
  return state.info
}

function checkThreshold(t: unknown): void {
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && !Number.isNaN(t))) {
    throw new Error(`setBackend: threshold must be a number ≥ 0 (Infinity allowed), got ${String(t)}`)
  }
}

/**
 * Chooses the backend for optimizer updates (and large elementwise tensor ops).
 * Resolves to what `getBackend()` then reports. `'cpu'` takes effect immediately; `'gpujs'` and
 * `'auto'` load gpu.js first (await them before the next step). gpu.js is an optional peer
 * dependency: without it, `'gpujs'` rejects with an error that says how to install it, and
 * `'auto'` keeps the CPU backend and says why in `getBackend().reason`.
 *
 * @example
 * import { GPU } from 'gpu.js'
 * import { setBackend, getBackend } from 'tapegrad'
 *
 * await setBackend('auto')                           // gpu.js where measured faster, else cpu
 * // in Node without headless-gl; on a page with a GPU, gpu.js from the measured size on:
 * getBackend().reason                                // 'no GPU context (no WebGL2/WebGL/headless-gl): gpu.js would run in webasm mode (WebAssembly on the CPU), measured slower than the CPU backend'
 * // on a page, force gpu.js on its GPU: await setBackend('gpujs', { gpu: new GPU({ mode: 'webgl2' }) })
 * await setBackend('gpujs', { gpu: new GPU({ mode: 'cpu' }) })   // force gpu.js, here in its JavaScript mode
 * getBackend().name                                  // 'gpujs'
 * await setBackend('cpu')
 */
export async function setBackend(choice: BackendChoice, options: SetBackendOptions = {}): Promise<BackendInfo> {
  if (choice !== 'cpu' && choice !== 'gpujs' && choice !== 'auto') {
    throw new Error(`setBackend: unknown backend '${String(choice)}' (expected 'cpu', 'gpujs' or 'auto')`)
  }
  checkThreshold(options.threshold)
  const gen = ++generation
  if (choice === 'cpu') return commit({ info: CPU_INFO, gpujs: null, threshold: Infinity }, gen)
  // 'gpujs' rejects (changing nothing) when gpu.js cannot start; 'auto' always resolves.
  const { chooseGpujs } = await import('./chooseGpujs.js')
  const next = await chooseGpujs(choice, options, { backend: cpu, allocate: allocateFloat32Group, tier: lastCpuTier })
  return commit(next, gen)
}

/**
 * Which backend runs, and why.
 *
 * @example
 * import { getBackend } from 'tapegrad'
 *
 * getBackend()   // { requested: 'cpu', name: 'cpu', mode: 'js' }
 * getBackend().reason   // 'the default: the CPU backend (optimizer states run as a WebAssembly SIMD kernel where the engine has SIMD, else the fused JavaScript loop)'
 */
export function getBackend(): BackendInfo {
  return state.info
}

/**
 * The backend to run a buffer of `length` elements (the optimizer lifter calls this per step).
 * Without a length: the backend that runs large buffers.
 *
 * @example
 * import { getActiveBackend } from 'tapegrad'
 *
 * function descend(x: number, g: number, lr: number) { return x - lr * g }
 * const x = new Float32Array([1, 2]), g = new Float32Array([10, 10])
 * const rules = [{ target: 'x', args: ['x', 'g', 'lr'], fn: descend }]
 * getActiveBackend(x.length).elementwise(rules, { x, g }, { lr: 0.1 }, x.length)
 * x                                     // [0, 1]
 * getActiveBackend(x.length).name       // 'cpu'
 */
export function getActiveBackend(length?: number): Backend {
  const be = state.gpujs
  if (be === null) return cpu
  if (length === undefined || length >= state.threshold) return be
  return cpu
}
