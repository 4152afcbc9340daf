/**
 * What `setBackend('gpujs' | 'auto')` does once gpu.js is asked for: start gpu.js, and for
 * `'auto'` decide where it pays (the rules are in the module comment of index.ts).
 *
 * This module is loaded lazily, by `setBackend` (index.ts), together with the gpu.js glue and the
 * calibration it imports: a page that stays on the CPU never downloads any of it. It imports
 * nothing that the CPU path loads (the CPU side comes in as an argument): a static import would
 * make bundlers split that code into a chunk of its own, shared with this one — one more file for
 * every page.
 */
import { ADAM_RULES, adamScalars, calibrate, type CalibrationRow, type CpuSide } from './calibrate.js'
import { gpujs, loadGpujs, GPUJS_INSTALL_HINT, GPUJS_MISSING } from './gpujs.js'
import type { GpujsBackend, GpujsMode, GpujsStrategy, GpuLike } from './gpujs.js'

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
  /** For gpujs the gpu.js kernel mode ('webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'); 'js' for the
   *  CPU backend, whichever of its tiers runs (SIMD kernel, JavaScript loop, interpreter: see `lastCpuTier()`). */
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

/** A chosen backend: what `getBackend()` reports, the gpu.js backend (null: the CPU runs
 *  everything) and the length from which buffers go to it. */
export interface BackendState {
  readonly info: BackendInfo
  readonly gpujs: GpujsBackend | null
  readonly threshold: number
}

/** Calibrated thresholds for this session, by "mode|renderer". */
const calibrations = new Map<string, { threshold: number; rows: readonly CalibrationRow[] }>()

/**
 * The backend for `setBackend(choice, options)`, `choice` being 'gpujs' or 'auto'. For 'gpujs'
 * it rejects when gpu.js cannot start; 'auto' always resolves, to the CPU with the reason when
 * gpu.js does not pay.
 * @example
 * import { cpu, allocateFloat32Group, lastCpuTier } from './src/backends/cpu'   // internal: setBackend calls it
 * import { chooseGpujs } from './src/backends/chooseGpujs'
 *
 * const next = await chooseGpujs('auto', {}, { backend: cpu, allocate: allocateFloat32Group, tier: lastCpuTier })
 * // in Node without headless-gl (on a page with a GPU it is gpu.js, with the measured threshold):
 * next.info.name     // 'cpu'
 * next.info.reason   // 'no GPU context (no WebGL2/WebGL/headless-gl): gpu.js would run in webasm mode (WebAssembly on the CPU), measured slower than the CPU backend'
 */
export async function chooseGpujs(
  choice: 'gpujs' | 'auto',
  options: SetBackendOptions,
  cpuSide: CpuSide,
): Promise<BackendState> {
  return choice === 'gpujs' ? forcedGpujs(options) : autoChoice(options, cpuSide)
}

/** `'gpujs'`: gpu.js for every buffer of at least `threshold` (default 0) elements. */
async function forcedGpujs(options: SetBackendOptions): Promise<BackendState> {
  const backend = await startGpujs('gpujs', options)
  const threshold = options.threshold ?? 0
  const below = threshold > 0 ? ` for buffers of ≥ ${threshold} elements` : ''
  const reason = `forced: gpu.js in ${backend.mode} mode${below}`
  const info: BackendInfo = { requested: 'gpujs', name: 'gpujs', mode: backend.mode, threshold, reason }
  return { info, gpujs: backend, threshold }
}

/** `'auto'`: gpu.js only on a GPU context and from a measured size on; else the CPU, with the reason. */
async function autoChoice(options: SetBackendOptions, cpuSide: CpuSide): Promise<BackendState> {
  let backend: GpujsBackend
  try {
    backend = await startGpujs('auto', options)
  } catch (e) {
    return onCpu(
      (e as { code?: string }).code === GPUJS_MISSING
        ? `gpu.js is not installed, so the CPU backend runs everything (${GPUJS_INSTALL_HINT})`
        : `gpu.js could not start: ${(e as Error).message}`,
    )
  }
  if (!backend.isGpu) {
    backend.destroy()
    return onCpu(`no GPU context (no WebGL2/WebGL/headless-gl): ${whyNotAGpu(backend.mode)}`)
  }
  let found: FoundThreshold
  try {
    found = await findThreshold(backend, options, cpuSide)
  } catch (e) {
    backend.destroy()
    return onCpu(`gpu.js ${backend.mode} failed while probing the device: ${(e as Error).message}`)
  }
  const { threshold, rows, renderer, how } = found
  const where = `gpu.js ${backend.mode}${renderer ? ` on ${renderer}` : ''}`
  if (!Number.isFinite(threshold)) {
    backend.destroy()
    const why = `${where} was slower than the CPU backend at every measured size (${how})`
    return onCpu(why, { renderer, calibration: rows })
  }
  const reason = `${where} for buffers of ≥ ${threshold} elements, the CPU backend below (${how})`
  const info: BackendInfo = {
    requested: 'auto',
    name: 'gpujs',
    mode: backend.mode,
    threshold,
    renderer,
    calibration: rows,
    reason,
  }
  return { info, gpujs: backend, threshold }
}

/** `'auto'` ends on the CPU backend, for `reason`. */
function onCpu(reason: string, extra: Partial<BackendInfo> = {}): BackendState {
  return { info: { requested: 'auto', name: 'cpu', mode: 'js', reason, ...extra }, gpujs: null, threshold: Infinity }
}

/** A gpu.js backend on the caller's `GPU` instance, or on a new `GPU({ mode })` (loading gpu.js). */
async function startGpujs(choice: 'gpujs' | 'auto', options: SetBackendOptions): Promise<GpujsBackend> {
  if (options.gpu) return gpujs({ gpu: options.gpu, strategy: options.strategy })
  return loadGpujs(options, `setBackend('${choice}')`)
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
async function findThreshold(
  backend: GpujsBackend,
  options: SetBackendOptions,
  cpuSide: CpuSide,
): Promise<FoundThreshold> {
  // Run one tiny kernel so the GL context exists and the renderer can be named.
  const probe = new Float32Array(4)
  backend.elementwise(ADAM_RULES, { x: probe, g: probe.slice(), m: probe.slice(), v: probe.slice() }, adamScalars(0), 4)
  const renderer = backend.renderer()
  if (options.threshold !== undefined) {
    return { threshold: options.threshold, renderer, how: 'threshold set by the caller' }
  }
  const key = `${backend.mode}|${renderer}`
  const cached = options.recalibrate ? null : (calibrations.get(key) ?? readStored(key))
  if (cached) {
    calibrations.set(key, cached)
    return { ...cached, renderer, how: 'calibrated earlier on this device (cached)' }
  }
  // A separate backend on the same GPU, so the calibration's large kernels can be freed.
  const probeBackend = gpujs({ gpu: backend.gpu })
  let measured: { threshold: number; rows: readonly CalibrationRow[] }
  try {
    measured = await calibrate(cpuSide, probeBackend)
  } finally {
    probeBackend.destroy()
  }
  calibrations.set(key, measured)
  writeStored(key, measured)
  return { ...measured, renderer, how: 'calibrated now on this device' }
}

function storageKey(key: string): string {
  return `tapegrad.backends.calibration:${key}`
}

/** A calibration kept in localStorage by an earlier session in this browser, or null. */
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
    const threshold = Number.isFinite(value.threshold) ? value.threshold : null
    ls?.setItem(storageKey(key), JSON.stringify({ threshold, rows: value.rows }))
  } catch {
    // Storage may be disabled (private mode, opaque origins): the session cache still holds it.
  }
}
