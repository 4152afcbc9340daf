/**
 * The CPU backend: the reference for what a list of rules computes, and the fast path on every
 * machine without a GPU.
 *
 * How it is fast. A rule list (an optimizer step: `m ← …`, `v ← …`, `x ← …`) is compiled ONCE
 * into one fused loop with `new Function`, and cached. The generated loop
 *   - runs all rules at one index per iteration (one pass over memory, not one per rule),
 *   - reads every array it needs once into a local, passes locals between the rules, and writes
 *     every target once at the end of the iteration,
 *   - calls the rule functions by fixed names (`f0`, `f1`, …) bound as closure arguments of the
 *     generated code. Each call site therefore always sees the same function, stays monomorphic
 *     and is inlined by V8's optimizing compiler: the loop runs as if the arithmetic had been
 *     written into it by hand (measured within noise of a hand-fused Adam loop, see
 *     docs/optimizers.md). A loop shared by many rules would go megamorphic and run several
 *     times slower; interpreting the rules per element slower still.
 * The compiled loop is cached per rule list (by identity) and per signature (the rule
 * functions, their targets and arguments, which names are arrays and which scalars), so two
 * optimizers built from the same rules share one loop.
 *
 * Precision. Arrays hold float32; the arithmetic inside the loop is JavaScript's float64, and a
 * value computed by one rule is handed to the next rules at the same index at full precision
 * before it is stored (rounded to float32) at the end of the iteration. So a later rule sees the
 * value the earlier rule computed, not its float32 rounding (they differ by at most half a
 * float32 ulp) — deterministic: the same inputs always give the same bits.
 *
 * Faster still: where WebAssembly SIMD exists and the arrays share one WebAssembly memory (as an
 * optimizer state's arrays do), the same rule list runs as a SIMD kernel compiled from the same
 * rule functions (cpu-simd.ts), two elements per instruction in float64 — the same bits as this
 * loop, about twice as fast. The JavaScript loop is the fallback and the definition.
 *
 * `new Function` needs a Content-Security-Policy that allows `'unsafe-eval'` in browsers (as
 * does gpu.js). Where code generation is forbidden the backend falls back to a plain per-element
 * interpreter: correct, several times slower.
 */
import type { Backend, Rule, RuleFn } from './backend.js'
import { compileSimd, runSimd, simdActive, type SimdKernel } from './cpu-simd.js'
import { describeValue } from '../describe-value.js'

export { allocateFloat32Group, setSimdEnabled, simdAvailable } from './cpu-simd.js'

type Floats = Float32Array | Float64Array
type Loop = (
  arrays: Readonly<Record<string, Floats>>,
  scalars: Readonly<Record<string, number>>,
  length: number,
) => void

/** What the compiled loop for one rule list needs: which names are arrays and which scalars. */
interface Plan {
  readonly arrays: readonly string[]
  /** 'f32' | 'f64' per entry of `arrays`: part of the signature (a loop is monomorphic in them). */
  readonly kinds: readonly string[]
  readonly scalars: readonly string[]
  readonly loop: Loop
  /** The WebAssembly SIMD kernel of the same rules (null: not compilable, see `simdReason`). */
  readonly simd: SimdKernel | null
  readonly simdReason: string | null
}

const ruleIds = new WeakMap<RuleFn, number>()
let nextRuleId = 0
/** Last plan used with each rule list (the lifter keeps its list, so this hits every step). */
let planByList = new WeakMap<readonly Rule[], Plan>()
/** Compiled loops by signature, shared across rule lists built from the same functions. */
const loopBySignature = new Map<string, { loop: Loop; simd: SimdKernel | null; simdReason: string | null }>()

let codegenAllowed = true
let lastTier: 'simd' | 'js' | 'interpreter' | null = null

/**
 * Which tier ran the last `cpu.elementwise` call: the SIMD kernel, the JS loop or the interpreter.
 * @example
 * import { zeros, ones } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { lastCpuTier } from './src/backends/cpu'   // internal: for tests and diagnostics
 *
 * const opt = adam(1e-3)
 * // a state of 256 parameters or more has its arrays in one WebAssembly memory
 * const state = opt.update(0, { w: ones([512]) }, opt.init({ w: zeros([512]) }))
 * lastCpuTier()   // 'simd'
 * opt.update(0, { w: ones([4]) }, opt.init({ w: zeros([4]) }))
 * lastCpuTier()   // 'js'
 */
export function lastCpuTier(): 'simd' | 'js' | 'interpreter' | null {
  return lastTier
}

function idOf(fn: RuleFn): number {
  let id = ruleIds.get(fn)
  if (id === undefined) {
    id = nextRuleId++
    ruleIds.set(fn, id)
  }
  return id
}

function kindOf(a: unknown): string | null {
  if (a instanceof Float32Array) return 'f32'
  if (a instanceof Float64Array) return 'f64'
  return null
}

function ruleName(r: Rule, k: number): string {
  return `rule ${k} ('${r.fn.name || 'anonymous'}' → ${r.target})`
}

/** Sorts every name the rules mention into arrays and scalars, with errors that say what is wrong. */
function makePlan(
  rules: readonly Rule[],
  arrays: Readonly<Record<string, unknown>>,
  scalars: Readonly<Record<string, unknown>>,
): Plan {
  const arrayNames: string[] = []
  const kinds: string[] = []
  const scalarNames: string[] = []
  const seen = new Set<string>()
  const list = () =>
    `(arrays: ${Object.keys(arrays).join(', ') || 'none'}; scalars: ${Object.keys(scalars).join(', ') || 'none'})`
  const see = (name: string, who: string, mustBeArray: boolean) => {
    if (seen.has(name)) return
    const a = Object.prototype.hasOwnProperty.call(arrays, name) ? arrays[name] : undefined
    const s = Object.prototype.hasOwnProperty.call(scalars, name) ? scalars[name] : undefined
    if (a !== undefined && s !== undefined)
      throw new Error(`cpu.elementwise: ${who}: '${name}' is given both as an array and as a scalar`)
    if (a !== undefined) {
      const kind = kindOf(a)
      if (!kind)
        throw new Error(
          `cpu.elementwise: ${who}: array '${name}' must be a Float32Array or Float64Array, got ${describeValue(a)}`,
        )
      arrayNames.push(name)
      kinds.push(kind)
    } else if (mustBeArray) {
      throw new Error(`cpu.elementwise: ${who} writes '${name}', which is not one of the arrays ${list()}`)
    } else if (s !== undefined) {
      if (typeof s !== 'number')
        throw new Error(`cpu.elementwise: ${who}: scalar '${name}' must be a number, got ${describeValue(s)}`)
      scalarNames.push(name)
    } else {
      throw new Error(`cpu.elementwise: ${who} reads '${name}', which is neither an array nor a scalar ${list()}`)
    }
    seen.add(name)
  }
  rules.forEach((r, k) => {
    if (!r || typeof r.fn !== 'function' || typeof r.target !== 'string' || !Array.isArray(r.args)) {
      throw new Error(
        `cpu.elementwise: rule ${k} must be { target: string, args: string[], fn: function }, got ${describeValue(r)}`,
      )
    }
    if (r.fn.length !== r.args.length) {
      throw new Error(
        `cpu.elementwise: ${ruleName(r, k)} takes ${r.fn.length} arguments but lists ${r.args.length} names [${r.args.join(', ')}]`,
      )
    }
    for (const a of r.args) see(a, ruleName(r, k), false)
    see(r.target, ruleName(r, k), true)
  })
  const signature =
    rules.map((r) => `${idOf(r.fn)}:${r.target}=${r.args.join(',')}`).join(';') +
    '|' +
    arrayNames.map((a, i) => `${a}:${kinds[i]}`).join(',') +
    '|' +
    scalarNames.join(',')
  let compiled = loopBySignature.get(signature)
  if (!compiled) {
    const loop = compile(rules, arrayNames, scalarNames)
    const simd = codegenAllowed
      ? compileSimd(rules, arrayNames, kinds, scalarNames)
      : { kernel: null, reason: 'code generation is not allowed' }
    compiled = { loop, simd: simd.kernel, simdReason: simd.reason }
    loopBySignature.set(signature, compiled)
  }
  return { arrays: arrayNames, kinds, scalars: scalarNames, ...compiled }
}

/** Whether `plan` still fits these arrays and scalars (same names, same kinds, long enough). */
function fits(
  plan: Plan,
  arrays: Readonly<Record<string, unknown>>,
  scalars: Readonly<Record<string, unknown>>,
  length: number,
): boolean {
  for (let k = 0; k < plan.arrays.length; k++) {
    const a = arrays[plan.arrays[k]] as Floats | undefined
    if (!a || kindOf(a) !== plan.kinds[k] || a.length < length) return false
  }
  for (let k = 0; k < plan.scalars.length; k++) if (typeof scalars[plan.scalars[k]] !== 'number') return false
  return true
}

/**
 * Generates the fused loop. For Adam's three rules it reads (names shortened):
 * ```js
 * return function fused_velocity_speedSquared_adamStep(A, S, n) {
 *   const a0 = A["m"], a1 = A["g"], a2 = A["v"], a3 = A["x"]
 *   const s0 = S["b1"], s1 = S["b2"], …
 *   for (let i = 0; i < n; i++) {
 *     let v0 = a0[i], v1 = a1[i], v2 = a2[i], v3 = a3[i]
 *     v0 = f0(v1, v0, s0)
 *     v2 = f1(v1, v2, s1)
 *     v3 = f2(v3, v0, v2, s2, s3, s4, s5)
 *     a0[i] = v0; a2[i] = v2; a3[i] = v3
 *   }
 * }
 * ```
 */
function compile(rules: readonly Rule[], arrayNames: readonly string[], scalarNames: readonly string[]): Loop {
  const ai = new Map(arrayNames.map((n, k) => [n, k]))
  const si = new Map(scalarNames.map((n, k) => [n, k]))
  // An array is loaded at the top of the iteration if some rule reads it before any rule writes it.
  const loaded = new Set<string>()
  const written = new Set<string>()
  for (const r of rules) {
    for (const a of r.args) if (ai.has(a) && !written.has(a)) loaded.add(a)
    written.add(r.target)
  }
  const ref = (name: string) => (ai.has(name) ? `v${ai.get(name)}` : `s${si.get(name)}`)
  const body: string[] = []
  body.push(`const ${arrayNames.map((n, k) => `a${k} = A[${JSON.stringify(n)}]`).join(', ')};`)
  if (scalarNames.length) body.push(`const ${scalarNames.map((n, k) => `s${k} = S[${JSON.stringify(n)}]`).join(', ')};`)
  body.push('for (let i = 0; i < n; i++) {')
  const locals = arrayNames.map((n, k) => (loaded.has(n) ? `v${k} = a${k}[i]` : `v${k} = 0`))
  body.push(`  let ${locals.join(', ')};`)
  rules.forEach((r, k) => body.push(`  v${ai.get(r.target)} = f${k}(${r.args.map(ref).join(', ')});`))
  body.push(`  ${[...written].map((n) => `a${ai.get(n)}[i] = v${ai.get(n)};`).join(' ')}`)
  body.push('}')
  const name = 'fused_' + rules.map((r) => (r.fn.name || 'anonymous').replace(/[^A-Za-z0-9_$]/g, '_')).join('_')
  const params = rules.map((_, k) => `f${k}`)
  const source = `"use strict";\nreturn function ${name}(A, S, n) {\n  ${body.join('\n  ')}\n};`
  if (codegenAllowed) {
    try {
      return new Function(...params, source)(...rules.map((r) => r.fn)) as Loop
    } catch (e) {
      // A CSP without 'unsafe-eval' throws EvalError; anything else is a bug in the generator.
      if (!(e instanceof EvalError)) throw e
      codegenAllowed = false
    }
  }
  return interpret(rules, arrayNames, scalarNames)
}

/** The slow fallback where `new Function` is forbidden: same semantics, no code generation. */
function interpret(rules: readonly Rule[], arrayNames: readonly string[], scalarNames: readonly string[]): Loop {
  const nA = arrayNames.length
  const ai = new Map(arrayNames.map((n, k) => [n, k]))
  const si = new Map(scalarNames.map((n, k) => [n, k]))
  // Argument sources: index < nA is an array local, else a scalar.
  const argIdx = rules.map((r) => r.args.map((a) => (ai.has(a) ? ai.get(a)! : nA + si.get(a)!)))
  const targets = rules.map((r) => ai.get(r.target)!)
  const fns = rules.map((r) => r.fn)
  const written = [...new Set(targets)]
  return (A, S, n) => {
    const arrs = arrayNames.map((name) => A[name])
    const vals = new Float64Array(nA + scalarNames.length)
    scalarNames.forEach((name, k) => (vals[nA + k] = S[name]))
    const buf: number[] = []
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < nA; k++) vals[k] = arrs[k][i]
      for (let r = 0; r < fns.length; r++) {
        const idx = argIdx[r]
        buf.length = idx.length
        for (let j = 0; j < idx.length; j++) buf[j] = vals[idx[j]]
        vals[targets[r]] = fns[r](...buf)
      }
      for (const t of written) arrs[t][i] = vals[t]
    }
  }
}

/**
 * The CPU backend. `elementwise(rules, arrays, scalars, length)` runs the rules in order at
 * every index i < length, in place: `arrays[r.target][i] = r.fn(…args at i)`.
 *
 * @example
 * import { cpu } from './src/backends/cpu'   // internal: getActiveBackend() returns it
 *
 * function axpy(x: number, g: number, lr: number) { return x - lr * g }
 * const x = new Float32Array([1, 2]), g = new Float32Array([10, 10])
 * cpu.elementwise([{ target: 'x', args: ['x', 'g', 'lr'], fn: axpy }], { x, g }, { lr: 0.1 }, 2)
 * x   // [0, 1]
 */
export const cpu: Backend = {
  name: 'cpu',
  elementwise(rules, arrays, scalars, length) {
    if (!Number.isInteger(length) || length < 0)
      throw new Error(`cpu.elementwise: length must be a non-negative integer, got ${describeValue(length)}`)
    let plan = planByList.get(rules)
    if (!plan || !fits(plan, arrays, scalars, length)) {
      plan = makePlan(rules, arrays, scalars)
      for (let k = 0; k < plan.arrays.length; k++) {
        const a = arrays[plan.arrays[k]]
        if (a.length < length)
          throw new Error(
            `cpu.elementwise: array '${plan.arrays[k]}' has ${a.length} elements, fewer than length ${length}`,
          )
      }
      planByList.set(rules, plan)
    }
    // The SIMD kernel computes the same bits (cpu-simd.ts); it runs when the arrays share one
    // WebAssembly memory, as an optimizer state's arrays do.
    if (plan.simd && simdActive() && runSimd(plan.simd, arrays, scalars, length)) {
      lastTier = 'simd'
      return
    }
    lastTier = codegenAllowed ? 'js' : 'interpreter'
    plan.loop(arrays, scalars, length)
  },
}

/**
 * How the CPU backend runs a rule list (after it has run once): which names are arrays and
 * scalars, and whether the SIMD kernel exists (else why not). For tests and diagnostics.
 * @example
 * import { zeros, ones } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { describeCpuPlan } from './src/backends/cpu'   // internal: for tests and diagnostics
 *
 * const opt = adam(1e-3)
 * describeCpuPlan(opt.rules)   // null
 * opt.update(0, { w: ones([3]) }, opt.init({ w: zeros([3]) }))
 * describeCpuPlan(opt.rules)   // { arrays: ['g', 'm', 'v', 'x'], scalars: ['b1', 'b2', 'lr', 'invBias1', 'invBias2', 'eps'], simd: true, simdReason: null }
 */
export function describeCpuPlan(
  rules: readonly Rule[],
): { arrays: readonly string[]; scalars: readonly string[]; simd: boolean; simdReason: string | null } | null {
  const plan = planByList.get(rules)
  return plan
    ? { arrays: plan.arrays, scalars: plan.scalars, simd: plan.simd !== null, simdReason: plan.simdReason }
    : null
}

/**
 * For tests: force the interpreter (as under a CSP without 'unsafe-eval') or restore code generation.
 * @example
 * import { zeros, ones } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { setCpuCodegen, lastCpuTier } from './src/backends/cpu'   // internal: for tests
 *
 * const opt = adam(1e-3)
 * setCpuCodegen(false)   // from now on every step is interpreted
 * opt.update(0, { w: ones([3]) }, opt.init({ w: zeros([3]) }))
 * lastCpuTier()   // 'interpreter'
 * setCpuCodegen(true)    // restores code generation
 */
export function setCpuCodegen(allowed: boolean): void {
  codegenAllowed = allowed
  loopBySignature.clear()
  planByList = new WeakMap()
}
