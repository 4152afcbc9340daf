/**
 * The gpu.js backend: the same per-element rules as the CPU backend, compiled by gpu.js into
 * kernels (GLSL on WebGL2/WebGL/headless-gl, WebAssembly on `webasm`, JavaScript on `cpu`).
 *
 * For a rule list [r₀, r₁, …] over arrays of `length` elements we build one kernel per rule,
 *
 *     kernelₖ(args…)[i] = fnₖ(args at i)        (array arguments read at i, scalars as uniforms)
 *
 * and run them in order. Because every rule reads only index i, running rule k over all i before
 * rule k+1 gives the same values as running all rules per index — the semantics `Backend`
 * promises. Two ways to chain the kernels:
 * - `'kernels'`: each kernel reads host arrays and its result is copied back to its target
 *   before the next rule runs (one upload per array argument, one readback per rule);
 * - `'pipeline'`: kernels return GPU textures (`pipeline: true`); a later rule that reads an
 *   earlier rule's target reads the texture, and each written target is read back once at the
 *   end. Saves readbacks and re-uploads of freshly written state on a GL device.
 * The default is 'kernels': on WebGL2 through SwiftShader (the only GL device measured so far)
 * 'pipeline' was no faster — 0.4× to 1.6× the speed of 'kernels' across sizes and runs, slower
 * at 1M and 4M in every run (see docs/backends.md). Measure 'pipeline' on a real GPU before
 * preferring it.
 *
 * Kernels are cached by (rule functions, targets, argument names, which are arrays, length):
 * compiling one costs milliseconds to a second, running one microseconds to milliseconds.
 * Scalars are kernel *arguments*, not constants: they change every step (the learning-rate
 * schedule, bias corrections), and a changed constant forces a recompile.
 *
 * Float32 throughout (`precision: 'single'`, `tactic: 'precision'` for highp shader floats; with
 * no tactic gpu.js picks lowp/mediump for small textures on some GPUs, and the results then
 * differ by device).
 *
 * gpu.js is never imported by this file at run time: pass a `GPU` instance (`gpujs({ gpu })`)
 * or call `loadGpujs()`, which imports it dynamically. It is an optional peer dependency: without
 * it installed, `loadGpujs()` (and `setBackend('gpujs')`) throws an error that says how to get it.
 */
import type { Backend, Rule } from './backend.js'
import { functionSource, HELPERS } from './kernelSource.js'

/** gpu.js modes that run synchronously (WebGPU readback is asynchronous only; see docs). */
export type GpujsMode = 'gpu' | 'webgl2' | 'webgl' | 'headlessgl' | 'webasm' | 'cpu'

/** How consecutive rules are chained; see the module comment. */
export type GpujsStrategy = 'kernels' | 'pipeline'

/** The part of a gpu.js kernel we use. */
export interface GpuKernelLike {
  (...args: unknown[]): unknown
  destroy?(removeCanvasReferences?: boolean): void
  readonly kernel?: { readonly context?: unknown }
}

/** The part of a gpu.js `GPU` instance we use (structural, so no gpu.js types are needed). */
export interface GpuLike {
  createKernel(source: string, settings?: Record<string, unknown>): GpuKernelLike
  readonly mode?: string
  readonly Kernel?: unknown
  destroy?(): unknown
}

/** The gpu.js module (or its browser global), as far as we use it. */
export interface GpuModuleLike {
  readonly GPU: new (settings?: Record<string, unknown>) => GpuLike
  readonly [name: string]: unknown
}

export interface GpujsOptions {
  /** A `GPU` instance the page already has (e.g. `new GPU({ mode: 'webgl2' })`). */
  gpu?: GpuLike
  /** The gpu.js module, to recognise the kernel class of `gpu` (optional). */
  lib?: GpuModuleLike
  /** Chaining of consecutive rules (default 'kernels'; see the module comment). */
  strategy?: GpujsStrategy
}

/** A gpu.js backend. Besides `elementwise` it runs single element functions for `nd.ts`. */
export interface GpujsBackend extends Backend {
  /** The gpu.js kernel mode that actually runs: 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'. */
  readonly mode: string
  /** true when kernels run on a GPU context (WebGL2/WebGL/headless-gl), not on the CPU. */
  readonly isGpu: boolean
  readonly strategy: GpujsStrategy
  readonly gpu: GpuLike
  /** The GL renderer string once a kernel has run on a GL context ('ANGLE (… SwiftShader …)'), else ''. */
  renderer(): string
  /**
   * out[i] = fn(a[i], c) on the device. Returns false (and computes nothing) when gpu.js cannot
   * compile `fn` — the caller then runs its CPU loop. `fn` is cached by identity.
   */
  unary(fn: (x: number, c: number) => number, a: Float32Array, out: Float32Array, c: number): boolean
  /** out[i] = fn(a[i], b[i], c) on the device; `a` or `b` may have length 1 (a scalar operand).
   *  false when `fn` cannot be compiled or the lengths fit neither form. */
  binary(
    fn: (a: number, b: number, c: number) => number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    c: number,
  ): boolean
  /** Number of kernels compiled so far (for tests and the benchmark). */
  readonly kernelCount: number
  /** Number of `elementwise`/`unary`/`binary` calls that ran on gpu.js (proves a caller routed here). */
  readonly runs: number
  /** Frees every kernel (and the GPU instance when this backend created it). */
  destroy(): void
}

interface Step {
  readonly kernel: GpuKernelLike
  readonly target: string
  readonly args: readonly string[]
  readonly isArray: readonly boolean[]
}

interface Plan {
  readonly steps: readonly Step[]
  /** Targets written, each once, in order of first write (pipeline readback). */
  readonly written: readonly string[]
}

const GL_MODES = new Set(['webgl2', 'webgl', 'headlessgl'])
/** Element-function kernels kept per function (distinct tensor sizes); oldest evicted first. */
const MAX_KERNELS_PER_FN = 8

/**
 * Which kernel class a GPU instance chose. gpu.js reports every GL kernel as mode 'gpu', so we
 * compare the class with the module's exports (`GPU.WebGL2Kernel` on the browser global).
 */
function kernelModeOf(gpu: GpuLike, lib?: GpuModuleLike): string {
  const explicit = gpu.mode
  if (explicit && explicit !== 'gpu' && explicit !== 'async') return explicit
  const source = (lib ?? (gpu as { constructor?: unknown }).constructor) as Record<string, unknown> | undefined
  const classes: Array<[string, string]> = [
    ['headlessgl', 'HeadlessGLKernel'],
    ['webgl2', 'WebGL2Kernel'],
    ['webgl', 'WebGLKernel'],
    ['webasm', 'WebAssemblyKernel'],
    ['cpu', 'CPUKernel'],
    ['webgpu', 'WebGPUKernel'],
  ]
  if (source)
    for (const [mode, key] of classes) if (source[key] !== undefined && source[key] === gpu.Kernel) return mode
  const name = (gpu.Kernel as { name?: string } | undefined)?.name ?? ''
  for (const [mode, key] of classes) if (name === key) return mode
  return (gpu.Kernel as { mode?: string } | undefined)?.mode ?? explicit ?? 'unknown'
}

/**
 * A gpu.js backend over a `GPU` instance you already have.
 *
 * @example
 * import { GPU } from 'gpu.js'
 * import { gpujs } from './src/backends/gpujs'   // internal: setBackend('gpujs', { gpu }) makes one
 *
 * function sgdStep(x: number, g: number, lr: number) { return x - lr * g }
 * const x = new Float32Array([1, 2]), g = new Float32Array([10, 10])
 * const backend = gpujs({ gpu: new GPU({ mode: 'cpu' }) })
 * backend.elementwise([{ target: 'x', args: ['x', 'g', 'lr'], fn: sgdStep }], { x, g }, { lr: 0.1 }, x.length)
 * x   // [0, 1]
 * backend.destroy()
 */
export function gpujs(options: GpujsOptions & { gpu: GpuLike }, ownsGpu = false): GpujsBackend {
  const gpu = options.gpu
  if (!gpu || typeof gpu.createKernel !== 'function')
    throw new Error('gpujs: options.gpu must be a gpu.js GPU instance (new GPU({ mode }))')
  const mode = kernelModeOf(gpu, options.lib)
  if (mode === 'webgpu') {
    throw new Error(
      "gpujs: mode 'webgpu' is not supported: WebGPU kernels return Promises, and Backend.elementwise is synchronous. Use webgl2.",
    )
  }
  const isGpu = GL_MODES.has(mode)
  const strategy: GpujsStrategy = options.strategy ?? 'kernels'
  if (strategy !== 'kernels' && strategy !== 'pipeline')
    throw new Error(`gpujs: unknown strategy '${strategy}' (expected 'kernels' or 'pipeline')`)

  const plans = new Map<string, Plan>()
  const fnIds = new WeakMap<Function, number>()
  let nextFnId = 0
  const allKernels: GpuKernelLike[] = []
  const elementKernels = new WeakMap<Function, Map<string, GpuKernelLike>>()
  const unsupported = new WeakSet<Function>()
  let rendererString: string | null = null
  let lastKernel: GpuKernelLike | null = null
  let runs = 0

  function fnId(fn: Function): number {
    let id = fnIds.get(fn)
    if (id === undefined) fnIds.set(fn, (id = nextFnId++))
    return id
  }

  function makeKernel(
    parts: { source: string; helpers: readonly string[] }[],
    args: string[],
    body: string,
    length: number,
    pipeline: boolean,
  ): GpuKernelLike {
    const helpers = new Set<string>()
    for (const p of parts) for (const h of p.helpers) helpers.add(h)
    const functions = [...[...helpers].map((h) => HELPERS[h]), ...parts.map((p) => p.source)]
    const kernel = gpu.createKernel(`function (${args.join(', ')}) { ${body} }`, {
      output: [length],
      precision: 'single',
      tactic: 'precision',
      functions,
      pipeline,
      immutable: false,
      // The rule functions contain no loops; the default loop bound is irrelevant.
    })
    allKernels.push(kernel)
    return kernel
  }

  // planFor, check and elementwise (below) take the same four arguments: elementwise's own, which it
  // hands on as they are, to check to validate them and to planFor to compile its kernels.
  function planFor(
    rules: readonly Rule[],
    arrays: Readonly<Record<string, Float32Array>>,
    scalars: Readonly<Record<string, number>>,
    length: number,
  ): Plan {
    let key = `${length}`
    for (let k = 0; k < rules.length; k++) {
      const r = rules[k]
      key += `|${fnId(r.fn)}>${r.target}<`
      for (let j = 0; j < r.args.length; j++) key += (r.args[j] in arrays ? 'A' : 'S') + r.args[j] + ','
    }
    let plan = plans.get(key)
    if (plan) return plan
    const pipeline = strategy === 'pipeline'
    const steps: Step[] = []
    const written: string[] = []
    rules.forEach((r, k) => {
      const isArray = r.args.map((a) => a in arrays)
      const params = r.args.map((a, j) => (isArray[j] ? `a${j}` : `s${j}`))
      const call = params.map((p, j) => (isArray[j] ? `${p}[this.thread.x]` : p)).join(', ')
      const fnName = `rule${k}`
      let src
      try {
        src = functionSource(r.fn, fnName)
      } catch (e) {
        throw new Error(`gpujs.elementwise: rule ${k} (target '${r.target}'): ${(e as Error).message}`, { cause: e })
      }
      if (src.params.length !== r.args.length) {
        throw new Error(
          `gpujs.elementwise: rule ${k} (target '${r.target}') lists ${r.args.length} args [${r.args.join(', ')}] but its function takes ${src.params.length}`,
        )
      }
      const kernel = makeKernel([src], params, `return ${fnName}(${call});`, length, pipeline)
      steps.push({ kernel, target: r.target, args: r.args.slice(), isArray })
      if (!written.includes(r.target)) written.push(r.target)
    })
    plan = { steps, written }
    plans.set(key, plan)
    return plan
  }

  // The same arguments as planFor above and elementwise below.
  function check(
    rules: readonly Rule[],
    arrays: Readonly<Record<string, Float32Array>>,
    scalars: Readonly<Record<string, number>>,
    length: number,
  ): void {
    const fail = (message: string) => {
      throw new Error(`gpujs.elementwise: ${message}`)
    }
    if (!Number.isInteger(length) || length < 0) fail(`length must be a non-negative integer, got ${length}`)
    rules.forEach((r, k) => {
      for (const a of [r.target, ...r.args]) {
        const arr = arrays[a]
        if (a in arrays) {
          if (!(arr instanceof Float32Array) || arr.length < length)
            fail(`array '${a}' must be a Float32Array of at least ${length} elements, got ${arr?.length}`)
        } else if (a === r.target) {
          fail(`rule ${k} writes '${a}', which is not one of the arrays [${Object.keys(arrays)}]`)
        } else if (typeof scalars[a] !== 'number') {
          const known = `neither an array [${Object.keys(arrays)}] nor a scalar [${Object.keys(scalars)}]`
          fail(`rule ${k} (target '${r.target}') reads '${a}', which is ${known}`)
        }
      }
    })
  }

  function readBack(result: unknown): ArrayLike<number> {
    const r = result as { toArray?: () => ArrayLike<number> }
    return typeof r.toArray === 'function' ? r.toArray() : (result as ArrayLike<number>)
  }

  function store(dst: Float32Array, src: ArrayLike<number>, length: number): void {
    if (src.length === length && (src as Float32Array).BYTES_PER_ELEMENT === 4) dst.set(src as Float32Array)
    else for (let i = 0; i < length; i++) dst[i] = src[i]
  }

  const head = (arr: Float32Array, length: number) => (arr.length === length ? arr : arr.subarray(0, length))

  function elementwise(
    rules: readonly Rule[],
    arrays: Readonly<Record<string, Float32Array>>,
    scalars: Readonly<Record<string, number>>,
    length: number,
  ): void {
    check(rules, arrays, scalars, length)
    if (length === 0 || rules.length === 0) return
    const plan = planFor(rules, arrays, scalars, length)
    runs++
    if (strategy === 'kernels') {
      for (const step of plan.steps) {
        const values = step.args.map((a, j) => (step.isArray[j] ? head(arrays[a], length) : scalars[a]))
        const out = readBack(step.kernel(...values))
        store(arrays[step.target], out, length)
        lastKernel = step.kernel
      }
      return
    }
    // pipeline: targets written so far live on the device until the end
    const current = new Map<string, unknown>()
    for (const step of plan.steps) {
      const values = step.args.map((a, j) =>
        step.isArray[j] ? (current.get(a) ?? head(arrays[a], length)) : scalars[a],
      )
      current.set(step.target, step.kernel(...values))
      lastKernel = step.kernel
    }
    for (const t of plan.written) store(arrays[t], readBack(current.get(t)), length)
  }

  /**
   * Variants: 'u' unary f(a[i], c); binary 'AA' f(a[i], b[i], c), 'SA' f(a₀, b[i], c) and
   * 'AS' f(a[i], b₀, c), where a length-1 operand (a tensor op with a scalar) is a uniform.
   */
  function elementKernel(fn: Function, variant: 'u' | 'AA' | 'SA' | 'AS', length: number): GpuKernelLike | null {
    if (unsupported.has(fn)) return null
    let byLength = elementKernels.get(fn)
    const key = `${variant}:${length}`
    const cached = byLength?.get(key)
    if (cached) return cached
    let kernel: GpuKernelLike
    try {
      const src = functionSource(fn, 'elem')
      // nd.ts passes (x, c) or (a, b, c); the function may take fewer (Math.exp takes one).
      const params = variant === 'u' ? ['a', 'c'] : ['a', 'b', 'c']
      const reads =
        variant === 'u'
          ? ['a[this.thread.x]', 'c']
          : [variant[0] === 'A' ? 'a[this.thread.x]' : 'a', variant[1] === 'A' ? 'b[this.thread.x]' : 'b', 'c']
      if (src.params.length > reads.length) throw new Error(`takes ${src.params.length} arguments`)
      kernel = makeKernel([src], params, `return elem(${reads.slice(0, src.params.length).join(', ')});`, length, false)
    } catch {
      unsupported.add(fn)
      return null
    }
    if (!byLength) elementKernels.set(fn, (byLength = new Map()))
    if (byLength.size >= MAX_KERNELS_PER_FN) {
      const [oldKey, old] = byLength.entries().next().value as [string, GpuKernelLike]
      byLength.delete(oldKey)
      old.destroy?.()
      const at = allKernels.indexOf(old)
      if (at >= 0) allKernels.splice(at, 1)
    }
    byLength.set(key, kernel)
    return kernel
  }

  function runElement(fn: Function, variant: 'u' | 'AA' | 'SA' | 'AS', inputs: unknown[], out: Float32Array): boolean {
    const kernel = elementKernel(fn, variant, out.length)
    if (!kernel) return false
    let result: ArrayLike<number>
    try {
      result = readBack(kernel(...inputs))
    } catch {
      // A shader that fails to compile only says so on its first run: remember and decline.
      unsupported.add(fn)
      return false
    }
    store(out, result, out.length)
    lastKernel = kernel
    runs++
    return true
  }

  function binary(fn: Function, a: Float32Array, b: Float32Array, out: Float32Array, c: number): boolean {
    const n = out.length
    if (a.length >= n && b.length >= n) return runElement(fn, 'AA', [head(a, n), head(b, n), c], out)
    if (a.length === 1 && b.length >= n) return runElement(fn, 'SA', [a[0], head(b, n), c], out)
    if (a.length >= n && b.length === 1) return runElement(fn, 'AS', [head(a, n), b[0], c], out)
    return false
  }

  return {
    name: `gpujs/${mode}`,
    mode,
    isGpu,
    strategy,
    gpu,
    elementwise,
    unary: (fn, a, out, c) => (a.length >= out.length ? runElement(fn, 'u', [head(a, out.length), c], out) : false),
    binary,
    renderer() {
      if (rendererString !== null) return rendererString
      const ctx = (lastKernel?.kernel?.context ?? null) as WebGLRenderingContext | null
      if (!isGpu || !ctx || typeof ctx.getParameter !== 'function') return ''
      const ext = ctx.getExtension('WEBGL_debug_renderer_info')
      rendererString = String(ctx.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : ctx.RENDERER) ?? '')
      return rendererString
    },
    get kernelCount() {
      return allKernels.length
    },
    get runs() {
      return runs
    },
    destroy() {
      for (const k of allKernels) k.destroy?.()
      allKernels.length = 0
      plans.clear()
      if (ownsGpu) gpu.destroy?.()
    },
  }
}

/** `code` of the error thrown when gpu.js is not installed (and not on the page). */
export const GPUJS_MISSING = 'ERR_TAPEGRAD_GPUJS_MISSING'

/** How to get gpu.js: the end of the error that says it is missing. */
export const GPUJS_INSTALL_HINT =
  'gpu.js is an optional peer dependency of tapegrad: install it with ' +
  '`npm install gpu.js` (a bundler then puts it in a lazily loaded chunk), or load gpu-browser.min.js in the page ' +
  "(it defines the global GPU), or pass a GPU instance: setBackend('gpujs', { gpu: new GPU() })"

/**
 * Whether `error` (from `import('gpu.js')`) says that gpu.js itself cannot be found — not one of
 * its own imports, which means a broken install rather than a missing one. The wordings: Node ESM
 * ("Cannot find package 'gpu.js' imported from …"), Node/jest require ("Cannot find module
 * 'gpu.js'"), Chromium ("Failed to resolve module specifier 'gpu.js'", with double quotes in
 * older versions), Firefox ('The specifier “gpu.js” was a bare specifier …') and Safari
 * ("Module name, 'gpu.js' does not resolve …").
 * @example
 * import { isGpujsMissing } from './src/backends/gpujs'   // internal: how importGpujs reads the error
 *
 * isGpujsMissing(new Error("Cannot find package 'gpu.js' imported from /app/x.js"))   // true
 * isGpujsMissing(new Error("Cannot find module 'gl' from gpu.js"))                   // false
 */
export function isGpujsMissing(error: unknown): boolean {
  const message = String((error as { message?: unknown } | null)?.message ?? error)
  return (
    /Cannot find (?:package|module) ['"]gpu\.js['"]/.test(message) ||
    /specifier ["“']gpu\.js["”']/.test(message) ||
    /['"]gpu\.js['"] does not resolve/.test(message)
  )
}

/**
 * The gpu.js module: the browser global `GPU` when a page loaded gpu-browser.js, else
 * `import('gpu.js')`. When gpu.js is not installed, throws an error (code {@link GPUJS_MISSING})
 * that starts with `who` and says how to install it.
 * @example
 * import { importGpujs } from './src/backends/gpujs'   // internal: loadGpujs calls it
 *
 * const { GPU } = await importGpujs("setBackend('gpujs')")
 * typeof GPU   // 'function'
 */
export async function importGpujs(who = 'gpujs'): Promise<GpuModuleLike> {
  const global = (globalThis as { GPU?: { prototype?: { createKernel?: unknown }; GPU?: unknown } }).GPU
  if (global && global.prototype && typeof global.prototype.createKernel === 'function') {
    // gpu-browser.js puts the GPU class itself on the global, with the module's exports as statics.
    return global as unknown as GpuModuleLike
  }
  let mod: { GPU?: unknown; default?: { GPU?: unknown } }
  try {
    // A literal specifier inside try: a bundler that finds gpu.js installed turns it into a lazy
    // chunk, one that does not leaves the import() as it is instead of failing the build.
    mod = (await import('gpu.js')) as typeof mod
  } catch (e) {
    const missing = isGpujsMissing(e)
    const error = new Error(
      missing
        ? `${who}: gpu.js is not installed. ${GPUJS_INSTALL_HINT}. The import failed with: ${(e as Error).message}`
        : `${who}: gpu.js is installed but failed to load: ${(e as Error).message}`,
      { cause: e },
    )
    if (missing) (error as Error & { code?: string }).code = GPUJS_MISSING
    throw error
  }
  const lib = (mod.GPU ? mod : mod.default) as GpuModuleLike | undefined
  if (!lib || typeof lib.GPU !== 'function') throw new Error(`${who}: import('gpu.js') did not provide a GPU class`)
  return lib
}

/**
 * Loads gpu.js (dynamically) and makes a backend on a fresh `GPU({ mode })`; errors start with
 * `who` (setBackend passes its own name).
 *
 * @example
 * import { loadGpujs } from './src/backends/gpujs'   // internal: setBackend('gpujs', { mode }) calls it
 *
 * const backend = await loadGpujs({ mode: 'webasm' })
 * backend.name   // 'gpujs/webasm'
 * backend.destroy()
 */
export async function loadGpujs(
  options: { mode?: GpujsMode; strategy?: GpujsStrategy } = {},
  who = 'loadGpujs',
): Promise<GpujsBackend> {
  const lib = await importGpujs(who)
  const mode = options.mode ?? 'gpu'
  let gpu: GpuLike
  try {
    gpu = new lib.GPU({ mode })
  } catch (e) {
    throw new Error(`${who}: gpu.js mode '${mode}' is not available here: ${(e as Error).message}`, { cause: e })
  }
  return gpujs({ gpu, lib, strategy: options.strategy }, true)
}
