/**
 * The CPU backend's fast tier: a rule list compiled to a WebAssembly SIMD kernel, from the same
 * rule functions the JavaScript loop calls.
 *
 * Why. The fused JavaScript loop is bound by scalar arithmetic — an Adam step spends its time in
 * one double-precision square root and one division per parameter (~3.6 ns), about 60% of what
 * the memory could deliver. SIMD does two of them per instruction.
 *
 * Same numbers, bit for bit. The kernel computes in f64x2 — JavaScript's own float64
 * arithmetic, two lanes at a time: every float32 it loads is widened exactly, every operation is
 * the IEEE operation JavaScript performs (+ − × ÷ √, min/max, |x|, comparisons), in the same
 * order, and every result is rounded to float32 once, when stored, exactly as the JavaScript
 * loop stores it. So the two tiers give identical bits (checked by the tests; only a NaN may
 * come out with another sign or payload — it is NaN either way), and which one runs never
 * changes a result: it only changes the speed.
 *
 * How. `Function.prototype.toString` of each rule gives its source. One recursive-descent pass
 * reads the subset that rules are written in (the gpu.js subset: `const`/`let` declarations,
 * assignments, `if`/`else`, blocks, `return`, ternaries, arithmetic, comparisons, `&&`/`||`/`!`,
 * `Math.sqrt/abs/max/min/sign`, number literals — and what minifiers make of them: comma
 * sequences, `c ? x = a : x = b`, `c && (x = a)`, `!0`) and evaluates it symbolically as it
 * reads, into a graph of vector operations. Rules have no side effects and float SIMD cannot
 * trap, so a branch evaluates both sides, each on its own copy of the variables, and afterwards
 * every variable is a `select` of its two values — by the branch's condition, lane by lane; a
 * `return` inside a branch is tracked the same way (which lanes have returned, and with what).
 * The graph of all the rules of one step, with the values carried between rules as in the
 * JavaScript loop, is emitted as one loop over pairs of elements (a scalar tail for odd
 * lengths). Anything outside the subset (`Math.exp`, loops, …) is not an error: that rule list
 * just stays on the JavaScript loop, and `describeCpuPlan` says why.
 *
 * Memory. A kernel addresses WebAssembly memory, so the arrays must live there: the optimizer
 * lifter allocates each state's arrays together with {@link allocateFloat32Group}, which puts
 * them in one `WebAssembly.Memory` of exactly the needed size that never grows (growing would
 * detach every view of it, and the optimizer hands out views as tensors). Arrays elsewhere run
 * on the JavaScript loop.
 */
import type { Rule } from './backend.js'

// ---------------------------------------------------------------------------------------------
// Availability

/** A module with one function `() -> v128 { i32x4.splat(0) }`: valid only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11,
])

/**
 * Whether this engine runs WebAssembly with SIMD (Node ≥ 16, current browsers).
 * @example
 * import { simdAvailable } from './src/backends/cpu-simd'   // internal: the CPU backend's tiers
 *
 * if (!simdAvailable) console.log('optimizer steps run on the JavaScript loop')
 * simdAvailable   // true
 */
export const simdAvailable: boolean = (() => {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE)
  } catch {
    return false
  }
})()

let simdEnabled = true

/**
 * Turns the SIMD tier off (everything runs on the JavaScript loop) or back on. For tests and comparisons.
 * @example
 * import { tensor } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { setSimdEnabled } from './src/backends/cpu-simd'   // internal: for tests and comparisons
 *
 * const run = (simd: boolean) => {
 *   const w = tensor(Array.from({ length: 300 }, (_, i) => Math.sin(i)), { requiresGrad: true })
 *   const train = adam(1e-2).attach({ w })
 *   w.square().sum().backward()
 *   setSimdEnabled(simd); train.step(); setSimdEnabled(true)
 *   return Array.from(w.data)
 * }
 * // the same bits either way (the JavaScript loop is only slower):
 * run(false).every((v, i) => Object.is(v, run(true)[i]))   // true
 */
export function setSimdEnabled(on: boolean): void {
  simdEnabled = on
}

/**
 * Whether the SIMD tier is available and enabled.
 * @example
 * import { simdActive } from './src/backends/cpu-simd'   // internal: the CPU backend's tiers
 *
 * // on Node ≥ 20 (and current browsers), unless setSimdEnabled(false):
 * simdActive()   // true
 */
export function simdActive(): boolean {
  return simdAvailable && simdEnabled
}

// ---------------------------------------------------------------------------------------------
// Memory

interface MemoryInfo {
  readonly memory: WebAssembly.Memory
  readonly instances: Map<WebAssembly.Module, WebAssembly.Instance>
}

const memories = new WeakMap<ArrayBufferLike, MemoryInfo>()
/** Above this a state is allocated as plain arrays (wasm32 addresses 4 GiB; engines often cap lower). */
const MAX_BYTES = 2 ** 31

/**
 * Zero-filled Float32Arrays of the given lengths, in one WebAssembly memory when SIMD is
 * available (each array 16-byte aligned), else plain arrays. The memory never grows.
 * @example
 * import { adam } from 'tapegrad/optimizers'
 * import { cpu, lastCpuTier } from './src/backends/cpu'   // internal: the optimizer lifter allocates so
 * import { allocateFloat32Group } from './src/backends/cpu-simd'
 *
 * const n = 1024
 * const [x, g, m, v] = allocateFloat32Group([n, n, n, n])
 * x.buffer === v.buffer   // true
 * const scalars = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8, invBias1: 10, invBias2: 1000 }
 * cpu.elementwise(adam(1e-3).rules, { x, g, m, v }, scalars, n)
 * lastCpuTier()   // 'simd'
 */
export function allocateFloat32Group(lengths: readonly number[]): Float32Array[] {
  const offsets: number[] = []
  let bytes = 0
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`allocateFloat32Group: lengths must be non-negative integers, got ${n}`)
    offsets.push(bytes)
    bytes += Math.ceil(n / 4) * 16
  }
  if (simdAvailable && bytes > 0 && bytes <= MAX_BYTES) {
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) })
      memories.set(memory.buffer, { memory, instances: new Map() })
      return lengths.map((n, k) => new Float32Array(memory.buffer, offsets[k], n))
    } catch {
      // Out of address space or memory: plain arrays still work, on the JavaScript loop.
    }
  }
  return lengths.map((n) => new Float32Array(n))
}

/** A compiled kernel for one rule list. */
export interface SimdKernel {
  readonly module: WebAssembly.Module
  readonly arrays: readonly string[]
  /** `(run, A, S, n)` calls the kernel's `run` with the arrays' offsets and the scalars: generated
   *  code with a fixed argument list (a call with spread arguments measured ~1 µs slower per step). */
  readonly call: (
    run: Function,
    A: Readonly<Record<string, Float32Array | Float64Array>>,
    S: Readonly<Record<string, number>>,
    n: number,
  ) => void
}

/**
 * Runs `kernel` if every array lives in the same allocated memory; returns false (doing
 * nothing) otherwise, and the caller runs the JavaScript loop.
 * @example
 * import { rule, descend } from 'tapegrad/optimizers'
 * import { compileSimd, runSimd, allocateFloat32Group } from './src/backends/cpu-simd'   // internal
 *
 * const { kernel } = compileSimd([rule('x', ['x', 'g', 'lr'], descend)], ['x', 'g'], ['f32', 'f32'], ['lr'])
 * const [x, g] = allocateFloat32Group([4, 4])
 * g.fill(1)
 * runSimd(kernel!, { x, g }, { lr: 0.5 }, 4)   // true
 * x   // [-0.5, -0.5, -0.5, -0.5]
 * runSimd(kernel!, { x: new Float32Array(4), g: new Float32Array(4) }, { lr: 0.5 }, 4)   // false
 */
export function runSimd(
  kernel: SimdKernel,
  A: Readonly<Record<string, Float32Array | Float64Array>>,
  S: Readonly<Record<string, number>>,
  n: number,
): boolean {
  const names = kernel.arrays
  if (!simdEnabled || names.length === 0) return false
  const buffer = A[names[0]].buffer
  const info = memories.get(buffer)
  if (!info) return false
  for (let k = 1; k < names.length; k++) if (A[names[k]].buffer !== buffer) return false
  let instance = info.instances.get(kernel.module)
  if (!instance) {
    instance = new WebAssembly.Instance(kernel.module, { env: { mem: info.memory } })
    info.instances.set(kernel.module, instance)
  }
  kernel.call(instance.exports.run as Function, A, S, n)
  return true
}

// ---------------------------------------------------------------------------------------------
// The expression graph (hash-consed: the same operation on the same inputs is one node)

/** Why a rule cannot be compiled: not an error, the rule list stays on the JavaScript loop. */
class Unsupported extends Error {}

function unsupported(what: string): never {
  throw new Unsupported(what)
}

/** A node: a number (f64x2 lanes, 'f'), a lane mask ('m'), or 'x', a value that is a number
 *  on some paths and a mask on others (an error only where it is used). */
interface Node {
  readonly id: number
  readonly type: 'f' | 'm' | 'x'
  readonly op: string
  readonly args: readonly Node[]
  /** For 'const': the value; for 'load'/'scalar': the array/scalar index. */
  readonly value: number
}

// The graph being built by compileSimd (which is synchronous, so one at a time): its nodes in
// creation order (a topological order) and their keys.
let nodes: Node[] = []
let byKey = new Map<string, Node>()

/** The node for `op` on `args` (an existing one if the same was made before). */
function node(op: string, type: Node['type'], args: Node[] = [], value = 0): Node {
  const key = `${op}|${args.map((a) => a.id)}|${Object.is(value, -0) ? '-0' : value}`
  let n = byKey.get(key)
  if (!n) {
    n = { id: nodes.length, type, op, args, value }
    nodes.push(n)
    byKey.set(key, n)
  }
  return n
}

const num = (v: number) => node('const', 'f', [], v)

/** c ? a : b, lane by lane. */
function select(c: Node, a: Node, b: Node): Node {
  if (a === b || c.op === 'true') return a
  if (c.op === 'false') return b
  if (a.op === 'true' && b.op === 'false') return c
  return a.type === b.type ? node('select', a.type, [c, a, b]) : node('mixed', 'x')
}

/** A value used as a number. */
function number(x: Node): Node {
  if (x.type !== 'f')
    unsupported(x.type === 'm' ? 'a comparison used as a number' : 'a number on one path, a comparison on another')
  return x
}

/** JavaScript truthiness as a lane mask: a number is true unless ±0 or NaN, i.e. |x| > 0. */
function truthy(x: Node): Node {
  return x.type === 'm' ? x : node('gt', 'm', [node('abs', 'f', [number(x)]), num(0)])
}

// ---------------------------------------------------------------------------------------------
// Reading a rule's source: parsing and symbolic evaluation in one pass

const TOKEN =
  /\s+|\/\/.*|\/\*[\s\S]*?\*\/|(\.?\d(?:[eE][-+]|[\w.])*)|([A-Za-z_$][\w$]*)|([=!]==?|[<>]=?|&&|\|\||\*\*|[-+*/!?:;,.(){}=])/y

function tokenize(src: string): string[] {
  const out: string[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < src.length) {
    const at = TOKEN.lastIndex
    const m = TOKEN.exec(src) ?? unsupported(`character '${src[at]}'`)
    const t = m[1] ?? m[2] ?? m[3]
    if (t) out.push(t)
  }
  return out
}

const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '===': 3,
  '!==': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
}
const OPS: Record<string, string> = {
  '==': 'eq',
  '===': 'eq',
  '!=': 'ne',
  '!==': 'ne',
  '<': 'lt',
  '>': 'gt',
  '<=': 'le',
  '>=': 'ge',
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
}
const isName = (t: string | undefined) => t !== undefined && /^[A-Za-z_$]/.test(t)

/**
 * The value a rule returns, as a graph node, given its arguments' nodes.
 * Throws Unsupported for anything outside the subset.
 */
function evaluateRule(src: string, args: readonly Node[]): Node {
  const toks = tokenize(src)
  let i = 0
  /** The variables in scope, and the let/const names of the current block with what they shadow. */
  let env = new Map<string, Node>()
  let shadowed = new Map<string, Node | undefined>()
  /** Which lanes have returned so far, and with what value. */
  const TRUE = node('true', 'm')
  let done = node('false', 'm')
  let result: Node | null = null

  const take = (t: string) => toks[i] === t && ++i > 0
  const expect = (t: string) => take(t) || unsupported(`expected '${t}', found '${toks[i] ?? 'the end'}'`)
  const name = () => (isName(toks[i]) ? toks[i++] : unsupported(`expected a name, found '${toks[i] ?? 'the end'}'`))

  /** Runs the two sides of a branch on mask c, each on its own copy of the variables; then
   *  every variable (and the return state) is select(c, value after a, value after b). */
  function branch(c: Node, a: () => unknown, b: () => unknown): void {
    const env0 = env,
      done0 = done,
      result0 = result
    env = new Map(env0)
    a()
    const envA = env,
      doneA = done,
      resultA = result
    env = new Map(env0)
    done = done0
    result = result0
    b()
    const envB = env
    env = new Map()
    for (const k of env0.keys()) env.set(k, select(c, envA.get(k)!, envB.get(k)!))
    done = select(c, doneA, done)
    result = resultA && result ? select(c, resultA, result) : (resultA ?? result)
  }

  function block(): void {
    const outer = shadowed
    shadowed = new Map()
    while (!take('}')) statement()
    for (const [k, v] of shadowed) {
      if (v) env.set(k, v)
      else env.delete(k)
    }
    shadowed = outer
  }

  function statement(): void {
    const t = toks[i]
    if (take(';')) return
    if (take('{')) return block()
    if (take('const') || take('let') || take('var')) {
      do {
        const k = name()
        expect('=')
        const v = assignment()
        if (t !== 'var' && !shadowed.has(k)) shadowed.set(k, env.get(k))
        env.set(k, v)
      } while (take(','))
    } else if (take('if')) {
      expect('(')
      const c = truthy(expression())
      expect(')')
      return branch(c, statement, () => take('else') && statement())
    } else if (take('return')) {
      const v = number(expression())
      result = result ? select(done, result, v) : v
      done = TRUE
    } else {
      expression()
    }
    take(';')
  }

  /** A comma sequence: the value of the last one. */
  function expression(): Node {
    let v = assignment()
    while (take(',')) v = assignment()
    return v
  }

  function assignment(): Node {
    const k = toks[i]
    if (toks[i + 1] !== '=' || !isName(k)) return conditional()
    i += 2
    if (!env.has(k)) unsupported(`assignment to '${k}', which is not declared`)
    const v = assignment()
    env.set(k, v)
    return v
  }

  function conditional(): Node {
    const c = binary(0)
    if (!take('?')) return c
    const m = truthy(c)
    let a = c,
      b = c
    branch(
      m,
      () => (a = assignment()),
      () => (expect(':'), (b = assignment())),
    )
    return select(m, a, b)
  }

  function binary(min: number): Node {
    let a = unary()
    for (let op = toks[i]; PRECEDENCE[op] > min; op = toks[i]) {
      i++
      const p = PRECEDENCE[op]
      if (op === '&&' || op === '||') {
        // The right side runs only where the left is truthy (&&) or falsy (||); the value is
        // one of the two sides, as in JavaScript.
        const m = truthy(a)
        let b = a
        const right = () => (b = binary(p))
        if (op === '&&') {
          branch(m, right, () => 0)
          a = select(m, b, a)
        } else {
          branch(m, () => 0, right)
          a = select(m, a, b)
        }
      } else {
        const left = number(a)
        const b = number(binary(p))
        a = node(OPS[op], p === 3 || p === 4 ? 'm' : 'f', [left, b])
      }
    }
    return a
  }

  function unary(): Node {
    const t = toks[i]
    if (t !== '-' && t !== '+' && t !== '!') return primary()
    i++
    const a = unary()
    return t === '!' ? node('not', 'm', [truthy(a)]) : t === '-' ? node('neg', 'f', [number(a)]) : number(a)
  }

  function primary(): Node {
    const t = toks[i++] ?? unsupported('an unexpected end')
    if (t === '(') {
      const v = expression()
      expect(')')
      return v
    }
    if (/^\.?\d/.test(t)) {
      const v = Number(t.replace(/_/g, ''))
      // 010 is legacy octal (8) in sloppy code, not ten: leave such literals to the JavaScript loop.
      if (Number.isNaN(v) || /^0\d/.test(t)) unsupported(`the number ${t}`)
      return num(v)
    }
    if (t === 'true' || t === 'false') return node(t, 'm')
    const v = env.get(t)
    if (v) return v
    if (t !== 'Math' || !take('.')) return unsupported(`'${t}' is not a parameter or a local`)
    const fn = name()
    expect('(')
    const xs: Node[] = []
    while (!take(')')) {
      xs.push(number(assignment()))
      if (toks[i] !== ')') expect(',')
    }
    if ((fn === 'sqrt' || fn === 'abs') && xs.length === 1) return node(fn, 'f', xs)
    if ((fn === 'max' || fn === 'min') && xs.length > 0) return xs.reduce((p, q) => node(fn, 'f', [p, q]))
    if (fn !== 'sign' || xs.length !== 1) unsupported(`Math.${fn} with ${xs.length} argument(s)`)
    // sign(x) = x > 0 ? 1 : x < 0 ? −1 : x   (keeps ±0 and NaN, like Math.sign)
    const x = xs[0],
      zero = num(0)
    return select(node('gt', 'm', [x, zero]), num(1), select(node('lt', 'm', [x, zero]), num(-1), x))
  }

  expect('function')
  if (isName(toks[i]) && toks[i + 1] === '(') i++
  expect('(')
  const params: string[] = []
  while (!take(')')) {
    params.push(name())
    if (toks[i] !== ')') expect(',')
  }
  if (params.length !== args.length) unsupported(`${params.length} parameters for ${args.length} names`)
  params.forEach((p, k) => env.set(p, args[k]))
  expect('{')
  block()
  if (i !== toks.length) unsupported('text after the function body')
  if (done !== TRUE) unsupported('a path that does not return a value')
  return result!
}

// ---------------------------------------------------------------------------------------------
// WebAssembly encoding

function uleb(n: number): number[] {
  const out: number[] = []
  do {
    out.push((n & 127) | (n > 127 ? 128 : 0))
    n >>>= 7
  } while (n)
  return out
}

const f64bytes = (v: number) => [...new Uint8Array(new Float64Array([v]).buffer)]
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body]
/** A name in the module (ASCII, shorter than 128). */
const str = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))]

const I32 = 0x7f,
  F64 = 0x7c,
  V128 = 0x7b
const LOCAL_GET = 0x20,
  LOCAL_SET = 0x21,
  I32_CONST = 0x41,
  I32_ADD = 0x6a,
  I32_AND = 0x71
/** SIMD opcodes (after the 0xfd prefix), by graph op or instruction. */
const SIMD: Record<string, number> = {
  const: 0x0c,
  splat: 0x14,
  load32zero: 0x5c,
  load64zero: 0x5d,
  store32lane: 0x5a,
  store64lane: 0x5b,
  demote: 0x5e,
  promote: 0x5f,
  not: 0x4d,
  select: 0x52,
  eq: 0x47,
  ne: 0x48,
  lt: 0x49,
  gt: 0x4a,
  le: 0x4b,
  ge: 0x4c,
  abs: 0xec,
  neg: 0xed,
  sqrt: 0xef,
  add: 0xf0,
  sub: 0xf1,
  mul: 0xf2,
  div: 0xf3,
  min: 0xf4,
  max: 0xf5,
}
const simd = (op: string) => [0xfd, ...uleb(SIMD[op])]

// ---------------------------------------------------------------------------------------------
// Compiling a rule list

/** A kernel, or why the rule list cannot have one. */
export type SimdCompileResult = { kernel: SimdKernel; reason: null } | { kernel: null; reason: string }

/**
 * Compiles `rules` (arrays and scalars classified as in the JavaScript loop) to a SIMD kernel,
 * or says why it cannot.
 * @example
 * import { rule, descend } from 'tapegrad/optimizers'
 * import { compileSimd } from './src/backends/cpu-simd'   // internal: the CPU backend calls it
 *
 * function expRule(x: number) { return Math.exp(x) }
 * compileSimd([rule('x', ['x', 'g', 'lr'], descend)], ['x', 'g'], ['f32', 'f32'], ['lr']).reason   // null
 * compileSimd([rule('x', ['x'], expRule)], ['x'], ['f32'], []).reason   // 'rule source not in the SIMD subset: Math.exp with 1 argument(s)'
 */
export function compileSimd(
  rules: readonly Rule[],
  arrays: readonly string[],
  kinds: readonly string[],
  scalars: readonly string[],
): SimdCompileResult {
  if (!simdAvailable) return { kernel: null, reason: 'WebAssembly SIMD is not available' }
  if (kinds.some((k) => k !== 'f32')) return { kernel: null, reason: 'float64 arrays (the SIMD kernel reads float32)' }
  try {
    return compileGraph(rules, arrays, scalars)
  } finally {
    nodes = [] // the graph is not needed once the module exists
    byKey = new Map()
  }
}

function compileGraph(
  rules: readonly Rule[],
  arrays: readonly string[],
  scalars: readonly string[],
): SimdCompileResult {
  // The value of each array at this index: loaded when first read, replaced by rule results.
  const current = new Map<string, Node>()
  const valueOf = (k: string): Node => {
    if (scalars.includes(k)) return node('scalar', 'f', [], scalars.indexOf(k))
    if (!current.has(k)) current.set(k, node('load', 'f', [], arrays.indexOf(k)))
    return current.get(k)!
  }
  try {
    for (const r of rules) {
      current.set(r.target, evaluateRule(Function.prototype.toString.call(r.fn), r.args.map(valueOf)))
    }
  } catch (e) {
    if (e instanceof Unsupported) return { kernel: null, reason: `rule source not in the SIMD subset: ${e.message}` }
    throw e
  }
  // Each target stored once, in order of first write.
  const stores = [...new Set(rules.map((r) => r.target))].map((k) => [arrays.indexOf(k), current.get(k)!] as const)
  try {
    const module = new WebAssembly.Module(emit(stores, arrays.length, scalars.length))
    const args = [
      ...arrays.map((k) => `A[${JSON.stringify(k)}].byteOffset`),
      ...scalars.map((k) => `S[${JSON.stringify(k)}]`),
    ]
    const call = new Function('run', 'A', 'S', 'n', `run(n, ${args})`) as SimdKernel['call']
    return { kernel: { module, arrays, call }, reason: null }
  } catch (e) {
    return { kernel: null, reason: `the generated module did not compile: ${(e as Error).message}` }
  }
}

/**
 * The module: `run(n: i32, ptr_0…ptr_{A−1}: i32, s_0…s_{S−1}: f64)`. Locals: the byte offset,
 * the end of the pair loop, one v128 per node the stores need.
 */
function emit(
  stores: readonly (readonly [number, Node])[],
  nArrays: number,
  nScalars: number,
): Uint8Array<ArrayBuffer> {
  // Only the nodes the stores depend on, in creation order (which is a topological order).
  const live = new Set<Node>()
  const mark = (n: Node): void => {
    if (live.has(n)) return
    live.add(n)
    n.args.forEach(mark)
  }
  for (const [, n] of stores) mark(n)
  const order = nodes.filter((n) => live.has(n))
  const nParams = 1 + nArrays + nScalars
  const OFF = uleb(nParams),
    END = uleb(nParams + 1)
  const local = new Map(order.map((n, k) => [n, nParams + 2 + k]))
  const get = (n: Node) => [LOCAL_GET, ...uleb(local.get(n)!)]
  const set = (n: Node) => [LOCAL_SET, ...uleb(local.get(n)!)]
  const address = (array: number) => [LOCAL_GET, ...uleb(1 + array), LOCAL_GET, ...OFF, I32_ADD]

  const code: number[] = []
  // Hoisted out of the loop: scalars, constants and constant masks.
  for (const n of order) {
    if (n.op === 'scalar') code.push(LOCAL_GET, ...uleb(1 + nArrays + n.value), ...simd('splat'), ...set(n))
    else if (n.op === 'const') code.push(...simd('const'), ...f64bytes(n.value), ...f64bytes(n.value), ...set(n))
    else if (n.op === 'true' || n.op === 'false')
      code.push(...simd('const'), ...Array(16).fill(n.op === 'true' ? 255 : 0), ...set(n))
  }
  /** One step of the loop: two elements (pair), or the one of an odd tail. */
  const body = (pair: boolean): number[] => {
    const out: number[] = []
    for (const n of order) {
      const [c, a, b] = n.args
      if (n.op === 'load')
        out.push(
          ...address(n.value),
          ...simd(pair ? 'load64zero' : 'load32zero'),
          pair ? 3 : 2,
          0,
          ...simd('promote'),
          ...set(n),
        )
      // bitselect(a, b, mask): the lanes of a where the mask is set, else of b
      else if (n.op === 'select') out.push(...get(a), ...get(b), ...get(c), ...simd('select'), ...set(n))
      else if (n.args.length) out.push(...n.args.flatMap(get), ...simd(n.op), ...set(n))
    }
    for (const [array, n] of stores) {
      out.push(
        ...address(array),
        ...get(n),
        ...simd('demote'),
        ...simd(pair ? 'store64lane' : 'store32lane'),
        pair ? 3 : 2,
        0,
        0,
      )
    }
    return out
  }
  code.push(
    // end = (n & ~1) · 4 bytes; for (off = 0; off < end; off += 8) pair
    LOCAL_GET,
    0,
    I32_CONST,
    0x7e,
    I32_AND,
    I32_CONST,
    2,
    0x74 /* i32.shl */,
    LOCAL_SET,
    ...END,
    I32_CONST,
    0,
    LOCAL_SET,
    ...OFF,
    0x02,
    0x40,
    0x03,
    0x40, // block, loop
    LOCAL_GET,
    ...OFF,
    LOCAL_GET,
    ...END,
    0x4f /* i32.ge_u */,
    0x0d,
    1, // br_if 1
    ...body(true),
    LOCAL_GET,
    ...OFF,
    I32_CONST,
    8,
    I32_ADD,
    LOCAL_SET,
    ...OFF,
    0x0c,
    0,
    0x0b,
    0x0b, // br 0, end, end
    // if (n & 1) the last element, at off = end
    LOCAL_GET,
    0,
    I32_CONST,
    1,
    I32_AND,
    0x04,
    0x40,
    ...body(false),
    0x0b,
    0x0b,
  )
  const func = [2, 2, I32, ...uleb(order.length), V128, ...code]
  const type = [0x60, ...uleb(nParams), I32, ...Array(nArrays).fill(I32), ...Array(nScalars).fill(F64), 0]
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, ...type]),
    ...section(2, [1, ...str('env'), ...str('mem'), 2, 0, 0]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str('run'), 0, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ])
}
