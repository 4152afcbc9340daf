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
 * How. `Function.prototype.toString` of each rule gives its source; a small parser reads the
 * subset that rules are written in (the gpu.js subset: `const`/`let` declarations, assignments,
 * `if`/`else`, `return`, ternaries, arithmetic, comparisons, `&&`/`||`/`!`, `Math.sqrt/abs/max/
 * min/sign`, number literals — including what minifiers make of it, such as comma sequences)
 * and evaluates it symbolically into an expression graph: a branch becomes a `select` of both
 * sides (rules have no side effects, and float SIMD cannot trap). The graph of all the rules
 * of one step, with the values carried between rules as in the JavaScript loop, is emitted as
 * one loop over pairs of elements (a scalar tail for odd lengths). Anything outside the subset
 * (`Math.exp`, loops, …) is not an error: that rule list just stays on the JavaScript loop.
 *
 * Memory. A kernel addresses WebAssembly memory, so the arrays must live there: the optimizer
 * lifter allocates each state's arrays together with {@link allocateFloat32Group}, which puts
 * them in one `WebAssembly.Memory` of exactly the needed size that never grows (growing would
 * detach every view of it, and the optimizer hands out views as tensors). Arrays elsewhere run
 * on the JavaScript loop.
 */
import type { Rule, RuleFn } from './backend.js'

// ---------------------------------------------------------------------------------------------
// Availability

/** A module with one function `() -> v128 { i32x4.splat(0) }`: valid only where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11])

/**
 * Whether this engine runs WebAssembly with SIMD (Node ≥ 16, current browsers).
 * @example if (!simdAvailable) console.log('optimizer steps run on the JavaScript loop')
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
 * @example setSimdEnabled(false); train.step(); setSimdEnabled(true)   // same bits, slower
 */
export function setSimdEnabled(on: boolean): void {
  simdEnabled = on
}

/**
 * Whether the SIMD tier is available and enabled.
 * @example simdActive()   // true on Node 20
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
const PAGE = 65536
/** Above this a state is allocated as plain arrays (wasm32 addresses 4 GiB; engines often cap lower). */
const MAX_BYTES = 2 ** 31

/**
 * Zero-filled Float32Arrays of the given lengths, in one WebAssembly memory when SIMD is
 * available (each array 16-byte aligned), else plain arrays. The memory never grows.
 * @example
 * const [x, g, m, v] = allocateFloat32Group([n, n, n, n])
 * cpu.elementwise(adamRules, { x, g, m, v }, scalars, n)   // runs as a SIMD kernel
 */
export function allocateFloat32Group(lengths: readonly number[]): Float32Array[] {
  const offsets: number[] = []
  let bytes = 0
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`allocateFloat32Group: lengths must be non-negative integers, got ${n}`)
    offsets.push(bytes)
    bytes += Math.ceil((4 * n) / 16) * 16
  }
  if (simdAvailable && bytes > 0 && bytes <= MAX_BYTES) {
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) })
      memories.set(memory.buffer, { memory, instances: new Map() })
      return lengths.map((n, k) => new Float32Array(memory.buffer, offsets[k], n))
    } catch {
      // Out of address space or memory: plain arrays still work, on the JavaScript loop.
    }
  }
  return lengths.map((n) => new Float32Array(n))
}

/** A compiled kernel for one rule list: call it with the arrays (in plan order) when they share a memory. */
export interface SimdKernel {
  readonly module: WebAssembly.Module
  /** `(exports, A, S, n)`: reads the array offsets and scalars by name and calls the kernel. */
  readonly call: (run: Function, A: Readonly<Record<string, Float32Array | Float64Array>>, S: Readonly<Record<string, number>>, n: number) => void
}

/**
 * Runs `kernel` if every array lives in the same allocated memory; returns false (doing
 * nothing) otherwise, and the caller runs the JavaScript loop.
 * @example if (!runSimd(kernel, names, arrays, scalars, n)) loop(arrays, scalars, n)
 */
export function runSimd(kernel: SimdKernel, arrayNames: readonly string[], A: Readonly<Record<string, Float32Array | Float64Array>>, S: Readonly<Record<string, number>>, n: number): boolean {
  if (!simdEnabled || arrayNames.length === 0) return false
  const buf = A[arrayNames[0]].buffer
  const info = memories.get(buf)
  if (!info) return false
  for (let k = 1; k < arrayNames.length; k++) if (A[arrayNames[k]].buffer !== buf) return false
  let inst = info.instances.get(kernel.module)
  if (!inst) {
    inst = new WebAssembly.Instance(kernel.module, { env: { mem: info.memory } })
    info.instances.set(kernel.module, inst)
  }
  kernel.call(inst.exports.run as Function, A, S, n)
  return true
}

// ---------------------------------------------------------------------------------------------
// Parsing rule sources

type Tok = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'p'; v: string }

class Unsupported extends Error {}

const PUNCT = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '(', ')', '{', '}', ',', ';', '=', '?', ':', '+', '-', '*', '/', '<', '>', '!', '.']

function tokenize(src: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (src.startsWith('//', i)) {
      const e = src.indexOf('\n', i)
      i = e < 0 ? src.length : e
      continue
    }
    if (src.startsWith('/*', i)) {
      const e = src.indexOf('*/', i + 2)
      if (e < 0) throw new Unsupported('unterminated comment')
      i = e + 2
      continue
    }
    const num = /^(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/.exec(src.slice(i))
    if (num && (/\d/.test(c) || (c === '.' && /\d/.test(src[i + 1] ?? '')))) {
      out.push({ t: 'num', v: Number(num[0].replace(/_/g, '')) })
      i += num[0].length
      continue
    }
    const id = /^[A-Za-z_$][\w$]*/.exec(src.slice(i))
    if (id) {
      out.push({ t: 'id', v: id[0] })
      i += id[0].length
      continue
    }
    const p = PUNCT.find((q) => src.startsWith(q, i))
    if (!p) throw new Unsupported(`character '${c}'`)
    if (p === '*' && src[i + 1] === '*') throw new Unsupported("'**'")
    out.push({ t: 'p', v: p })
    i += p.length
  }
  return out
}

// AST
type Expr =
  | { k: 'num'; v: number }
  | { k: 'id'; name: string }
  | { k: 'bool'; v: boolean }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'assign'; name: string; v: Expr }
  | { k: 'seq'; list: Expr[] }
type Stmt =
  | { k: 'decl'; list: { name: string; v: Expr | null }[] }
  | { k: 'expr'; e: Expr }
  | { k: 'if'; c: Expr; a: Stmt[]; b: Stmt[] }
  | { k: 'return'; e: Expr }
  | { k: 'block'; body: Stmt[] }

interface ParsedRule {
  params: string[]
  body: Stmt[]
}

class Parser {
  private i = 0
  constructor(private toks: Tok[]) {}
  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o]
  }
  private is(v: string): boolean {
    const t = this.peek()
    return !!t && t.t !== 'num' && t.v === v
  }
  private eat(v: string): void {
    if (!this.is(v)) throw new Unsupported(`expected '${v}', found ${JSON.stringify(this.peek()?.v ?? 'end')}`)
    this.i++
  }
  private ident(): string {
    const t = this.peek()
    if (!t || t.t !== 'id') throw new Unsupported(`expected a name, found ${JSON.stringify(t?.v ?? 'end')}`)
    this.i++
    return t.v
  }
  fn(): ParsedRule {
    this.eat('function')
    if (this.peek()?.t === 'id') this.i++
    this.eat('(')
    const params: string[] = []
    while (!this.is(')')) {
      params.push(this.ident())
      if (this.is('=')) throw new Unsupported('default parameter values')
      if (!this.is(')')) this.eat(',')
    }
    this.eat(')')
    const body = this.block()
    if (this.i !== this.toks.length) throw new Unsupported('text after the function body')
    return { params, body }
  }
  private block(): Stmt[] {
    this.eat('{')
    const out: Stmt[] = []
    while (!this.is('}')) out.push(this.stmt())
    this.eat('}')
    return out
  }
  private stmt(): Stmt {
    if (this.is(';')) {
      this.i++
      return { k: 'block', body: [] }
    }
    if (this.is('{')) return { k: 'block', body: this.block() }
    if (this.is('const') || this.is('let') || this.is('var')) {
      this.i++
      const list: { name: string; v: Expr | null }[] = []
      do {
        const name = this.ident()
        let v: Expr | null = null
        if (this.is('=')) {
          this.i++
          v = this.assign()
        }
        list.push({ name, v })
      } while (this.is(',') && (this.i++, true))
      this.semi()
      return { k: 'decl', list }
    }
    if (this.is('if')) {
      this.i++
      this.eat('(')
      const c = this.expr()
      this.eat(')')
      const a = this.branch()
      let b: Stmt[] = []
      if (this.is('else')) {
        this.i++
        b = this.branch()
      }
      return { k: 'if', c, a, b }
    }
    if (this.is('return')) {
      this.i++
      if (this.is(';') || this.is('}')) throw new Unsupported('return without a value')
      const e = this.expr()
      this.semi()
      return { k: 'return', e }
    }
    const t = this.peek()
    if (t?.t === 'id' && ['for', 'while', 'do', 'switch', 'function', 'class', 'throw', 'try', 'break', 'continue'].includes(t.v)) {
      throw new Unsupported(`'${t.v}'`)
    }
    const e = this.expr()
    this.semi()
    return { k: 'expr', e }
  }
  private branch(): Stmt[] {
    return this.is('{') ? this.block() : [this.stmt()]
  }
  private semi(): void {
    if (this.is(';')) this.i++
  }
  /** Comma sequence. */
  expr(): Expr {
    const first = this.assign()
    if (!this.is(',')) return first
    const list = [first]
    while (this.is(',')) {
      this.i++
      list.push(this.assign())
    }
    return { k: 'seq', list }
  }
  private assign(): Expr {
    const t = this.peek()
    const n = this.peek(1)
    if (t?.t === 'id' && n?.t === 'p' && n.v === '=') {
      this.i += 2
      return { k: 'assign', name: t.v, v: this.assign() }
    }
    return this.cond()
  }
  private cond(): Expr {
    const c = this.binary(0)
    if (!this.is('?')) return c
    this.i++
    const a = this.assign()
    this.eat(':')
    const b = this.assign()
    return { k: 'cond', c, a, b }
  }
  private static PREC: Record<string, number> = {
    '||': 1, '&&': 2, '==': 3, '!=': 3, '===': 3, '!==': 3, '<': 4, '>': 4, '<=': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6,
  }
  private binary(min: number): Expr {
    let a = this.unary()
    for (;;) {
      const t = this.peek()
      const p = t && t.t === 'p' ? Parser.PREC[t.v] : undefined
      if (p === undefined || p <= min) return a
      this.i++
      const b = this.binary(p)
      a = { k: 'bin', op: (t as { v: string }).v, a, b }
    }
  }
  private unary(): Expr {
    if (this.is('-') || this.is('+') || this.is('!')) {
      const op = (this.peek() as { v: string }).v
      this.i++
      return { k: 'un', op, a: this.unary() }
    }
    return this.primary()
  }
  private primary(): Expr {
    const t = this.peek()
    if (!t) throw new Unsupported('unexpected end')
    if (t.t === 'num') {
      this.i++
      return { k: 'num', v: t.v }
    }
    if (t.t === 'p' && t.v === '(') {
      this.i++
      const e = this.expr()
      this.eat(')')
      return e
    }
    if (t.t === 'id') {
      this.i++
      if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true' }
      if (t.v === 'Math' && this.is('.')) {
        this.i++
        const fn = this.ident()
        this.eat('(')
        const args: Expr[] = []
        while (!this.is(')')) {
          args.push(this.assign())
          if (!this.is(')')) this.eat(',')
        }
        this.eat(')')
        return { k: 'call', fn, args }
      }
      if (this.is('(') || this.is('.')) throw new Unsupported(`'${t.v}${(this.peek() as { v: string }).v}'`)
      return { k: 'id', name: t.v }
    }
    throw new Unsupported(`'${t.v}'`)
  }
}

const parsedRules = new WeakMap<RuleFn, ParsedRule | Unsupported>()

function parseRule(fn: RuleFn): ParsedRule {
  let p = parsedRules.get(fn)
  if (!p) {
    try {
      const src = Function.prototype.toString.call(fn)
      if (/\[native code\]/.test(src)) throw new Unsupported('a native function')
      p = new Parser(tokenize(src)).fn()
    } catch (e) {
      p = e instanceof Unsupported ? e : new Unsupported(String(e))
    }
    parsedRules.set(fn, p)
  }
  if (p instanceof Unsupported) throw p
  return p
}

// ---------------------------------------------------------------------------------------------
// Expression graph (hash-consed) and symbolic evaluation

/** A node: a number-valued f64x2 vector ('f') or a lane mask ('m'). */
interface Node {
  readonly id: number
  readonly type: 'f' | 'm'
  readonly op: string
  readonly args: readonly Node[]
  /** For 'const': the value; for 'load'/'scalar': the array/scalar index. */
  readonly value: number
}

class Graph {
  nodes: Node[] = []
  private byKey = new Map<string, Node>()
  make(op: string, type: 'f' | 'm', args: Node[], value = 0): Node {
    const key = `${op}|${args.map((a) => a.id).join(',')}|${Object.is(value, -0) ? '-0' : value}`
    let n = this.byKey.get(key)
    if (!n) {
      n = { id: this.nodes.length, type, op, args, value }
      this.nodes.push(n)
      this.byKey.set(key, n)
    }
    return n
  }
  num(v: number): Node {
    return this.make('const', 'f', [], v)
  }
}

type Env = Map<string, Node | 'bool-true' | 'bool-false'>

function asNumber(g: Graph, x: Node): Node {
  if (x.type !== 'f') throw new Unsupported('a comparison used as a number')
  return x
}

/** JavaScript truthiness of a value as a lane mask. */
function asMask(g: Graph, x: Node): Node {
  if (x.type === 'm') return x
  // a number is truthy unless 0, −0 or NaN: (x ≠ 0) ∧ (x = x)
  return g.make('and', 'm', [g.make('ne', 'm', [x, g.num(0)]), g.make('eq', 'm', [x, x])])
}

const CMP: Record<string, string> = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '===': 'eq', '!=': 'ne', '!==': 'ne' }
const ARITH: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' }

function evalExpr(g: Graph, e: Expr, env: Env): Node {
  switch (e.k) {
    case 'num':
      return g.num(e.v)
    case 'bool':
      return e.v ? g.make('true', 'm', []) : g.make('false', 'm', [])
    case 'id': {
      const v = env.get(e.name)
      if (!v) throw new Unsupported(`'${e.name}' is not a parameter or a local`)
      if (typeof v === 'string') throw new Unsupported('a boolean variable')
      return v
    }
    case 'un': {
      const a = evalExpr(g, e.a, env)
      if (e.op === '-') return g.make('neg', 'f', [asNumber(g, a)])
      if (e.op === '+') return asNumber(g, a)
      return g.make('not', 'm', [asMask(g, a)])
    }
    case 'bin': {
      if (e.op === '&&' || e.op === '||') {
        const a = evalExpr(g, e.a, env)
        const b = evalExpr(g, e.b, env)
        // With numbers, && and || return one of the operands; only masks are supported.
        if (a.type !== 'm' || b.type !== 'm') throw new Unsupported(`'${e.op}' on numbers`)
        return g.make(e.op === '&&' ? 'and' : 'or', 'm', [a, b])
      }
      const a = asNumber(g, evalExpr(g, e.a, env))
      const b = asNumber(g, evalExpr(g, e.b, env))
      if (CMP[e.op]) return g.make(CMP[e.op], 'm', [a, b])
      if (ARITH[e.op]) return g.make(ARITH[e.op], 'f', [a, b])
      throw new Unsupported(`operator '${e.op}'`)
    }
    case 'cond': {
      const c = asMask(g, evalExpr(g, e.c, env))
      const a = evalExpr(g, e.a, env)
      const b = evalExpr(g, e.b, env)
      return select(g, c, a, b)
    }
    case 'call': {
      const args = e.args.map((x) => asNumber(g, evalExpr(g, x, env)))
      switch (e.fn) {
        case 'sqrt':
        case 'abs':
          if (args.length !== 1) throw new Unsupported(`Math.${e.fn} with ${args.length} arguments`)
          return g.make(e.fn, 'f', args)
        case 'sign': {
          if (args.length !== 1) throw new Unsupported('Math.sign with other than 1 argument')
          const x = args[0]
          // sign(x) = x > 0 ? 1 : x < 0 ? −1 : x   (keeps ±0 and NaN, like Math.sign)
          return g.make('select', 'f', [g.make('gt', 'm', [x, g.num(0)]), g.num(1), g.make('select', 'f', [g.make('lt', 'm', [x, g.num(0)]), g.num(-1), x])])
        }
        case 'max':
        case 'min':
          if (args.length === 0) throw new Unsupported(`Math.${e.fn}()`)
          return args.reduce((a, b) => g.make(e.fn, 'f', [a, b]))
        default:
          throw new Unsupported(`Math.${e.fn}`)
      }
    }
    case 'assign': {
      if (!env.has(e.name)) throw new Unsupported(`assignment to '${e.name}', which is not declared`)
      const v = evalExpr(g, e.v, env)
      env.set(e.name, v)
      return v
    }
    case 'seq': {
      let last: Node | null = null
      for (const x of e.list) last = evalExpr(g, x, env)
      return last!
    }
  }
}

function select(g: Graph, c: Node, a: Node, b: Node): Node {
  if (a === b) return a
  if (a.type !== b.type) throw new Unsupported('a ternary mixing numbers and comparisons')
  return g.make('select', a.type, [c, a, b])
}

/** Runs statements symbolically; returns the value returned. A branch evaluates the rest of the
 *  function under each side and selects between the two results. */
function run(g: Graph, stmts: readonly Stmt[], env: Env): Node {
  for (let k = 0; k < stmts.length; k++) {
    const s = stmts[k]
    switch (s.k) {
      case 'decl':
        for (const d of s.list) {
          if (!d.v) throw new Unsupported('a declaration without a value')
          const v = evalExpr(g, d.v, env)
          env.set(d.name, v)
        }
        break
      case 'expr':
        evalExpr(g, s.e, env)
        break
      case 'return':
        return asNumber(g, evalExpr(g, s.e, env))
      case 'block': {
        const r = tryRun(g, [...s.body, ...stmts.slice(k + 1)], env)
        return r
      }
      case 'if': {
        const c = asMask(g, evalExpr(g, s.c, env))
        const rest = stmts.slice(k + 1)
        const a = run(g, [...s.a, ...rest], new Map(env))
        const b = run(g, [...s.b, ...rest], new Map(env))
        return select(g, c, a, b)
      }
    }
  }
  throw new Unsupported('a path that does not return a value')
}

function tryRun(g: Graph, stmts: readonly Stmt[], env: Env): Node {
  return run(g, stmts, env)
}

// ---------------------------------------------------------------------------------------------
// WebAssembly encoding

function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 127
    n >>>= 7
    if (n) b |= 128
    out.push(b)
  } while (n)
  return out
}

function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 127
    n >>= 7
    if ((n === 0 && !(b & 64)) || (n === -1 && b & 64)) {
      out.push(b)
      return out
    }
    out.push(b | 128)
  }
}

function f64bytes(v: number): number[] {
  return [...new Uint8Array(new Float64Array([v]).buffer)]
}

const encoder = new TextEncoder()
function str(s: string): number[] {
  const b = [...encoder.encode(s)]
  return [...uleb(b.length), ...b]
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body]
}

const I32 = 0x7f
const F64 = 0x7c
const V128 = 0x7b
const op = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Add: 0x6a, i32And: 0x71, i32Shl: 0x74, i32GeU: 0x4f,
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, if: 0x04, f64Const: 0x44, void: 0x40,
}
const SIMD: Record<string, number> = {
  f64x2splat: 0x14, load32zero: 0x5c, load64zero: 0x5d, store32lane: 0x5a, store64lane: 0x5b, demote: 0x5e, promote: 0x5f,
  eq: 0x47, ne: 0x48, lt: 0x49, gt: 0x4a, le: 0x4b, ge: 0x4c, not: 0x4d, and: 0x4e, or: 0x50, bitselect: 0x52,
  abs: 0xec, neg: 0xed, sqrt: 0xef, add: 0xf0, sub: 0xf1, mul: 0xf2, div: 0xf3, min: 0xf4, max: 0xf5,
}
const simd = (name: string) => [0xfd, ...uleb(SIMD[name])]

// ---------------------------------------------------------------------------------------------
// Compiling a rule list

/** Why the last rule lists could not be compiled (for tests and diagnostics), by rule-list key. */
export type SimdCompileResult = { kernel: SimdKernel; reason: null } | { kernel: null; reason: string }

/**
 * Compiles `rules` (arrays and scalars classified as in the JavaScript loop) to a SIMD kernel,
 * or says why it cannot.
 * @example
 * compileSimd(rules, ['x', 'g'], ['f32', 'f32'], ['lr'])   // { kernel, reason: null }
 * compileSimd([rule('x', ['x'], expRule)], ['x'], ['f32'], [])   // { kernel: null, reason: "…Math.exp" }
 */
export function compileSimd(rules: readonly Rule[], arrayNames: readonly string[], kinds: readonly string[], scalarNames: readonly string[]): SimdCompileResult {
  if (!simdAvailable) return { kernel: null, reason: 'WebAssembly SIMD is not available' }
  if (kinds.some((k) => k !== 'f32')) return { kernel: null, reason: 'float64 arrays (the SIMD kernel reads float32)' }
  const g = new Graph()
  const ai = new Map(arrayNames.map((n, k) => [n, k]))
  const si = new Map(scalarNames.map((n, k) => [n, k]))
  // Current value of each array at this index: loaded lazily, replaced by rule results.
  const current = new Map<string, Node>()
  const valueOf = (name: string): Node => {
    if (si.has(name)) return g.make('scalar', 'f', [], si.get(name)!)
    let v = current.get(name)
    if (!v) {
      v = g.make('load', 'f', [], ai.get(name)!)
      current.set(name, v)
    }
    return v
  }
  const written: string[] = []
  try {
    for (const r of rules) {
      const parsed = parseRule(r.fn)
      if (parsed.params.length !== r.args.length) throw new Unsupported(`'${r.fn.name}' has ${parsed.params.length} parameters for ${r.args.length} names`)
      const env: Env = new Map()
      parsed.params.forEach((p, k) => env.set(p, valueOf(r.args[k])))
      const result = run(g, parsed.body, env)
      current.set(r.target, result)
      if (!written.includes(r.target)) written.push(r.target)
    }
  } catch (e) {
    if (e instanceof Unsupported) return { kernel: null, reason: `rule source not in the SIMD subset: ${e.message}` }
    throw e
  }
  const stores = written.map((name) => ({ array: ai.get(name)!, node: current.get(name)! }))
  let bytes: Uint8Array
  try {
    bytes = emit(g, stores, arrayNames.length, scalarNames.length)
  } catch (e) {
    if (e instanceof Unsupported) return { kernel: null, reason: e.message }
    throw e
  }
  let module: WebAssembly.Module
  try {
    module = new WebAssembly.Module(bytes as BufferSource)
  } catch (e) {
    return { kernel: null, reason: `the generated module did not compile: ${(e as Error).message}` }
  }
  const callArgs = ['n', ...arrayNames.map((n) => `A[${JSON.stringify(n)}].byteOffset`), ...scalarNames.map((n) => `S[${JSON.stringify(n)}]`)]
  const call = new Function('run', 'A', 'S', 'n', `run(${callArgs.join(', ')})`) as SimdKernel['call']
  return { kernel: { module, call }, reason: null }
}

/**
 * The module: `run(n: i32, ptr_0…ptr_{A−1}: i32, s_0…s_{S−1}: f64)`. Locals: the byte offset,
 * the end of the pair loop, one v128 per splatted scalar/constant, one v128 per computed node.
 */
function emit(g: Graph, stores: { array: number; node: Node }[], nArrays: number, nScalars: number): Uint8Array {
  // Only the nodes the stores depend on, in creation order (which is a topological order).
  const live = new Set<Node>()
  const mark = (n: Node) => {
    if (live.has(n)) return
    live.add(n)
    n.args.forEach(mark)
  }
  stores.forEach((s) => mark(s.node))
  const order = g.nodes.filter((n) => live.has(n))
  const P_N = 0
  const pArray = (k: number) => 1 + k
  const pScalar = (k: number) => 1 + nArrays + k
  const nParams = 1 + nArrays + nScalars
  const L_OFF = nParams
  const L_END = nParams + 1
  const local = new Map<Node, number>()
  let nextV128 = nParams + 2
  for (const n of order) local.set(n, nextV128++)
  const numV128 = nextV128 - (nParams + 2)

  const code: number[] = []
  // Hoisted: scalars, constants, true/false masks.
  for (const n of order) {
    const l = local.get(n)!
    if (n.op === 'scalar') code.push(op.localGet, ...uleb(pScalar(n.value)), ...simd('f64x2splat'), op.localSet, ...uleb(l))
    else if (n.op === 'const') code.push(op.f64Const, ...f64bytes(n.value), ...simd('f64x2splat'), op.localSet, ...uleb(l))
    else if (n.op === 'true' || n.op === 'false') {
      // all-ones / all-zeros mask: compare a constant with itself
      code.push(op.f64Const, ...f64bytes(0), ...simd('f64x2splat'), op.localTee, ...uleb(l), op.localGet, ...uleb(l), ...simd(n.op === 'true' ? 'eq' : 'ne'), op.localSet, ...uleb(l))
    }
  }
  // end = (n & ~1) * 4 bytes
  code.push(op.localGet, ...uleb(P_N), op.i32Const, ...sleb(-2), op.i32And, op.i32Const, ...sleb(2), op.i32Shl, op.localSet, ...uleb(L_END))
  const body = (pair: boolean): number[] => {
    const out: number[] = []
    for (const n of order) {
      const l = local.get(n)!
      switch (n.op) {
        case 'scalar':
        case 'const':
        case 'true':
        case 'false':
          break
        case 'load':
          out.push(op.localGet, ...uleb(pArray(n.value)), op.localGet, ...uleb(L_OFF), op.i32Add)
          out.push(...simd(pair ? 'load64zero' : 'load32zero'), pair ? 3 : 2, 0)
          out.push(...simd('promote'), op.localSet, ...uleb(l))
          break
        case 'select':
          // bitselect(a, b, mask): lanes of a where the mask is set, else b
          out.push(op.localGet, ...uleb(local.get(n.args[1])!), op.localGet, ...uleb(local.get(n.args[2])!), op.localGet, ...uleb(local.get(n.args[0])!))
          out.push(...simd('bitselect'), op.localSet, ...uleb(l))
          break
        default: {
          if (SIMD[n.op] === undefined) throw new Unsupported(`no SIMD instruction for '${n.op}'`)
          for (const a of n.args) out.push(op.localGet, ...uleb(local.get(a)!))
          out.push(...simd(n.op), op.localSet, ...uleb(l))
        }
      }
    }
    for (const s of stores) {
      out.push(op.localGet, ...uleb(pArray(s.array)), op.localGet, ...uleb(L_OFF), op.i32Add)
      out.push(op.localGet, ...uleb(local.get(s.node)!), ...simd('demote'))
      out.push(...simd(pair ? 'store64lane' : 'store32lane'), pair ? 3 : 2, 0, 0)
    }
    return out
  }
  // pairs: for (off = 0; off < end; off += 8)
  code.push(op.i32Const, 0, op.localSet, ...uleb(L_OFF))
  code.push(op.block, op.void, op.loop, op.void)
  code.push(op.localGet, ...uleb(L_OFF), op.localGet, ...uleb(L_END), op.i32GeU, op.brIf, 1)
  code.push(...body(true))
  code.push(op.localGet, ...uleb(L_OFF), op.i32Const, 8, op.i32Add, op.localSet, ...uleb(L_OFF))
  code.push(op.br, 0, op.end, op.end)
  // tail: if (n & 1) one element at off = end
  code.push(op.localGet, ...uleb(P_N), op.i32Const, 1, op.i32And, op.if, op.void)
  code.push(...body(false))
  code.push(op.end)
  code.push(op.end)

  const locals = [...uleb(2), ...uleb(2), I32, ...uleb(numV128), V128]
  const func = [...locals, ...code]
  const type = [0x60, ...uleb(nParams), I32, ...Array(nArrays).fill(I32), ...Array(nScalars).fill(F64), 0]
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, ...type]),
    ...section(2, [1, ...str('env'), ...str('mem'), 0x02, 0x00, 0x00]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...str('run'), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ])
}
