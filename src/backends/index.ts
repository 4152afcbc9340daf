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
 * gpu.js is imported only by `setBackend('gpujs' | 'auto')`, dynamically: the CPU path never
 * loads it (nor the gpujs/calibration code, which esbuild splits into its own chunk).
 */
import type { Backend } from './backend.js'
import { allocateFloat32Group, cpu, lastCpuTier } from './cpu.js'

export { lastCpuTier } from './cpu.js'
import { setElementwiseHook } from '../nd.js'
import type { GpujsBackend, GpujsMode, GpujsStrategy, GpuLike, GpuModuleLike } from './gpujs.js'
import type { CalibrationRow } from './calibrate.js'

/** The backends one can ask for. */
export type BackendChoice = 'cpu' | 'gpujs' | 'auto'

export interface SetBackendOptions {
  /** A gpu.js `GPU` instance the page already has (e.g. `new GPU({ mode: 'webgl2' })`). */
  gpu?: GpuLike
  /** gpu.js mode for a GPU we create (default 'gpu': the best GL context, else webasm). */
  mode?: GpujsMode
  /** Buffers with at least this many elements use gpu.js; smaller ones the CPU. For 'auto' this
   *  replaces the calibration; for 'gpujs' the default is 0 (everything). */
  threshold?: number
  /** 'auto': measure again even if a cached calibration exists. */
  recalibrate?: boolean
  /** Chaining of consecutive rules on gpu.js (default 'kernels'; 'pipeline' keeps them on the device). */
  strategy?: GpujsStrategy
}

/** What `getBackend()` reports. */
export interface BackendInfo {
  /** What was asked for. */
  readonly requested: BackendChoice
  /** The backend that runs buffers at or above `threshold`: 'cpu' or 'gpujs'. */
  readonly name: 'cpu' | 'gpujs'
  /** For gpujs the gpu.js kernel mode ('webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'); 'js' for the CPU
   *  backend, whichever of its tiers runs (SIMD kernel, JavaScript loop, interpreter: see `lastCpuTier()`). */
  readonly mode: string
  /** Why this backend runs, in words. */
  readonly reason: string
  /** With gpujs: buffers shorter than this run on the CPU. */
  readonly threshold?: number
  /** With gpujs on a GL context: the GL renderer string. */
  readonly renderer?: string
  /** With a calibration: its measurements (milliseconds per Adam step). */
  readonly calibration?: readonly CalibrationRow[]
}

/** The `code` of the error `importGpujs` throws when gpu.js is not installed (gpujs.ts `GPUJS_MISSING`:
 *  the same string, written twice so that checking it does not load the gpu.js glue). */
const GPUJS_MISSING_CODE = 'ERR_TAPEGRAD_GPUJS_MISSING'
const GPUJS_INSTALL_HINT_SHORT = 'it is an optional peer dependency: `npm install gpu.js`, or load gpu-browser.min.js ' +
  'in the page, or pass { gpu: new GPU() }'

/** Tensor ops shorter than this never go to gpu.js, whatever the threshold: a kernel is compiled
 *  per (function, length), so small, varied shapes would spend their time compiling. */
export const MIN_OP_LENGTH = 1 << 16

interface State {
  info: BackendInfo
  gpujs: GpujsBackend | null
  threshold: number
}

const CPU_INFO: BackendInfo = { requested: 'cpu', name: 'cpu', mode: 'js', reason: 'the default: the CPU backend (optimizer states run as a WebAssembly SIMD kernel where the engine has SIMD, else the fused JavaScript loop)' }
let state: State = { info: CPU_INFO, gpujs: null, threshold: Infinity }
/** Every setBackend call bumps this; a slower earlier call must not overwrite a later one. */
let generation = 0
/** Calibrated thresholds for this session, by "mode|renderer". */
const calibrations = new Map<string, { threshold: number; rows: readonly CalibrationRow[] }>()

function installHook(s: State): void {
  if (!s.gpujs || !Number.isFinite(s.threshold)) {
    setElementwiseHook(null)
    return
  }
  const be = s.gpujs
  setElementwiseHook({ threshold: Math.max(s.threshold, MIN_OP_LENGTH), unary: be.unary, binary: be.binary })
}

function commit(next: State, gen: number): BackendInfo {
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

function cpuState(requested: BackendChoice, reason: string, extra: Partial<BackendInfo> = {}): State {
  return { info: { requested, name: 'cpu', mode: 'js', reason, ...extra }, gpujs: null, threshold: Infinity }
}

function checkThreshold(t: unknown): void {
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && !Number.isNaN(t))) {
    throw new Error(`setBackend: threshold must be a number ≥ 0 (Infinity allowed), got ${String(t)}`)
  }
}

function storageKey(key: string): string {
  return `tapegrad.backends.calibration:${key}`
}

function readStored(key: string): { threshold: number; rows: readonly CalibrationRow[] } | null {
  try {
    const ls = (globalThis as { localStorage?: Storage }).localStorage
    const text = ls?.getItem(storageKey(key))
    if (!text) return null
    const parsed = JSON.parse(text) as { threshold: number | null; rows: CalibrationRow[] }
    return { threshold: parsed.threshold === null ? Infinity : parsed.threshold, rows: parsed.rows }
  } catch {
    return null
  }
}

function writeStored(key: string, value: { threshold: number; rows: readonly CalibrationRow[] }): void {
  try {
    const ls = (globalThis as { localStorage?: Storage }).localStorage
    ls?.setItem(storageKey(key), JSON.stringify({ threshold: Number.isFinite(value.threshold) ? value.threshold : null, rows: value.rows }))
  } catch {
    // Storage may be disabled (private mode, opaque origins): the session cache still holds it.
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
 * await setBackend('auto')                           // gpu.js where measured faster, else cpu
 * getBackend().reason                                // e.g. 'no GPU context: gpu.js would run in webasm mode …'
 * await setBackend('gpujs', { gpu: new GPU({ mode: 'webgl2' }) })   // force gpu.js on the page's GPU
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
  const next = choice === 'gpujs' ? await forcedGpujs(options) : await autoChoice(options)
  return commit(next, gen)
}

/** `'gpujs'`: gpu.js for every buffer of at least `threshold` (default 0) elements. */
async function forcedGpujs(options: SetBackendOptions): Promise<State> {
  const backend = await startGpujs('gpujs', options)
  const threshold = options.threshold ?? 0
  const reason = `forced: gpu.js in ${backend.mode} mode${threshold > 0 ? ` for buffers of ≥ ${threshold} elements` : ''}`
  return { info: { requested: 'gpujs', name: 'gpujs', mode: backend.mode, threshold, reason }, gpujs: backend, threshold }
}

/**
 * `'auto'` (module comment): gpu.js only on a GPU context and from a measured size on; the CPU
 * backend otherwise, with the reason. Never throws.
 */
async function autoChoice(options: SetBackendOptions): Promise<State> {
  let backend: GpujsBackend
  try {
    backend = await startGpujs('auto', options)
  } catch (e) {
    return cpuState('auto', (e as { code?: string }).code === GPUJS_MISSING_CODE
      ? `gpu.js is not installed, so the CPU backend runs everything (${GPUJS_INSTALL_HINT_SHORT})`
      : `gpu.js could not start: ${(e as Error).message}`)
  }
  if (!backend.isGpu) {
    backend.destroy()
    return cpuState('auto', `no GPU context (no WebGL2/WebGL/headless-gl): ${whyNotAGpu(backend.mode)}`)
  }
  let found: FoundThreshold
  try {
    found = await findThreshold(backend, options)
  } catch (e) {
    backend.destroy()
    return cpuState('auto', `gpu.js ${backend.mode} failed while probing the device: ${(e as Error).message}`)
  }
  const { threshold, rows, renderer, how } = found
  const where = `gpu.js ${backend.mode}${renderer ? ` on ${renderer}` : ''}`
  if (!Number.isFinite(threshold)) {
    backend.destroy()
    return cpuState('auto', `${where} was slower than the CPU backend at every measured size (${how})`, { renderer, calibration: rows })
  }
  const reason = `${where} for buffers of ≥ ${threshold} elements, the CPU backend below (${how})`
  return { info: { requested: 'auto', name: 'gpujs', mode: backend.mode, threshold, renderer, calibration: rows, reason }, gpujs: backend, threshold }
}

/** A gpu.js backend on the caller's `GPU` instance, or on a new `GPU({ mode })` (loading gpu.js). */
async function startGpujs(choice: 'gpujs' | 'auto', options: SetBackendOptions): Promise<GpujsBackend> {
  // gpu.js and the kernel code are loaded only from here on.
  const { gpujs, importGpujs } = await import('./gpujs.js')
  if (options.gpu) return gpujs({ gpu: options.gpu, strategy: options.strategy })
  const lib: GpuModuleLike = await importGpujs(`setBackend('${choice}')`)
  const mode = options.mode ?? 'gpu'
  let gpu: GpuLike
  try {
    gpu = new lib.GPU({ mode })
  } catch (e) {
    throw new Error(`setBackend('${choice}'): gpu.js mode '${mode}' is not available here: ${(e as Error).message}`)
  }
  return gpujs({ gpu, lib, strategy: options.strategy }, true)
}

/** The reason `'auto'` gives when gpu.js would run on the CPU. */
function whyNotAGpu(mode: string): string {
  return mode === 'webasm'
    ? 'gpu.js would run in webasm mode (WebAssembly on the CPU), measured slower than the CPU backend'
    : `gpu.js would run in ${mode} mode, which is not a GPU`
}

interface FoundThreshold {
  readonly threshold: number
  readonly rows?: readonly CalibrationRow[]
  readonly renderer: string
  /** How the threshold was found, in words (for the reason). */
  readonly how: string
}

/** The threshold for `'auto'`: the caller's, one calibrated earlier on this device, or a new calibration. */
async function findThreshold(backend: GpujsBackend, options: SetBackendOptions): Promise<FoundThreshold> {
  const calibration = await import('./calibrate.js')
  // Run one tiny kernel so the GL context exists and the renderer can be named.
  const probe = new Float32Array(4)
  backend.elementwise(calibration.ADAM_RULES, { x: probe, g: probe.slice(), m: probe.slice(), v: probe.slice() }, calibration.adamScalars(0), 4)
  const renderer = backend.renderer()
  if (options.threshold !== undefined) return { threshold: options.threshold, renderer, how: 'threshold set by the caller' }
  const key = `${backend.mode}|${renderer}`
  const cached = options.recalibrate ? null : calibrations.get(key) ?? readStored(key)
  if (cached) {
    calibrations.set(key, cached)
    return { ...cached, renderer, how: 'calibrated earlier on this device (cached)' }
  }
  // A separate backend on the same GPU, so the calibration's large kernels can be freed.
  const { gpujs } = await import('./gpujs.js')
  const probeBackend = gpujs({ gpu: backend.gpu })
  let measured: { threshold: number; rows: readonly CalibrationRow[] }
  try {
    measured = await calibration.calibrate({ backend: cpu, allocate: allocateFloat32Group, tier: lastCpuTier }, probeBackend)
  } finally {
    probeBackend.destroy()
  }
  calibrations.set(key, measured)
  writeStored(key, measured)
  return { ...measured, renderer, how: 'calibrated now on this device' }
}

/**
 * Which backend runs, and why.
 *
 * @example
 * getBackend()   // { requested: 'cpu', name: 'cpu', mode: 'js', reason: 'the default: …' }
 */
export function getBackend(): BackendInfo {
  return state.info
}

/**
 * The backend to run a buffer of `length` elements (the optimizer lifter calls this per step).
 * Without a length: the backend that runs large buffers.
 *
 * @example
 * getActiveBackend(x.length).elementwise(rules, { x, g, m, v }, scalars, x.length)
 */
export function getActiveBackend(length?: number): Backend {
  const be = state.gpujs
  if (be === null) return cpu
  if (length === undefined || length >= state.threshold) return be
  return cpu
}
