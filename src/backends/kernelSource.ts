/**
 * Turns a per-element function over numbers into source text gpu.js can compile.
 *
 * gpu.js parses function *source* (with acorn) and transpiles it to GLSL, WebAssembly or
 * JavaScript. The functions we hand it come from several places — `function` declarations in
 * optimizer rules, arrow functions and bare `Math.exp` in the engine's elementwise ops, and
 * whatever a minifier made of either — so this module normalises them all to one shape:
 *
 *     function <name>(p0, p1, …) { … }
 *
 * with a name we choose (minified names collide across modules: two rules both called `a`), no
 * default parameter values, and two GLSL traps rewritten to safe helpers:
 * - `Math.pow(a, b)`: GLSL `pow` is undefined for a < 0 (NaN on most GPUs), while JS gives
 *   (−2)³ = −8, and for a = 0, b ≤ 0 (JS: 0⁻¹ = ∞, measured finite garbage on SwiftShader).
 *   `tgPow` takes |a| to the power and restores the sign for integer b, and returns 1/0 = ±∞
 *   (IEEE division) for a zero base with a negative exponent.
 * - `Math.log(x)`: GLSL `log` is undefined for x ≤ 0 (measured on SwiftShader: log 0 = −88,
 *   log −1 = 0). `tgLog` gives −∞ at 0 and NaN below, as JavaScript does.
 * - `Math.tanh(x)`: gpu.js defines GLSL `tanh` as (e²ˣ − 1)/(e²ˣ + 1), which overflows to NaN
 *   for x > 44 and loses all relative precision near 0. `tgTanh` uses a short series near 0 and
 *   e^(−2|x|) elsewhere.
 * The helpers are plain functions over numbers too, so every gpu.js mode compiles them.
 */

/** `Math` functions that arrive as native code (`Math.exp.toString()` is `[native code]`); each
 *  takes `Math[name].length` arguments (1, or 2 for pow, max, min and atan2). */
const NATIVE_MATH =
  'exp log sqrt abs tanh sin cos tan atan asin acos floor ceil round sign trunc log2 pow max min atan2'.split(' ')

/** Helpers injected by name when the source mentions them; see the module comment. */
export const HELPERS: Readonly<Record<string, string>> = {
  tgPow: `function tgPow(a, b) {
  if (b == 0) { return 1; }
  if (a == 0) {
    if (b > 0) { return 0; }
    if (Math.floor(b) == b && Math.floor(b / 2) * 2 != b) { return 1 / a; }
    return 1 / (a * a);
  }
  if (a > 0) { return Math.pow(a, b); }
  const r = Math.pow(-a, b);
  if (Math.floor(b) == b) {
    if (Math.floor(b / 2) * 2 == b) { return r; }
    return -r;
  }
  return Math.sqrt(-1);
}`,
  tgLog: `function tgLog(x) {
  if (x > 0) { return Math.log(x); }
  if (x == 0) { return -1 / (x * x); }
  return Math.sqrt(x);
}`,
  tgTanh: `function tgTanh(x) {
  const ax = Math.abs(x);
  if (ax < 0.0625) {
    const x2 = x * x;
    return x * (1 - x2 * (0.3333333333333333 - x2 * (0.13333333333333333 - x2 * 0.05396825396825397)));
  }
  const e = Math.exp(-2 * ax);
  const t = (1 - e) / (1 + e);
  if (x < 0) { return -t; }
  return t;
}`,
}

/** The result of `functionSource`: the renamed source, its parameter names, helpers it calls. */
export interface FunctionSource {
  readonly source: string
  readonly params: readonly string[]
  readonly helpers: readonly string[]
}

/**
 * The source of `fn` as `function name(params) { body }`, ready for gpu.js `functions`.
 * Throws (with the reason) for functions gpu.js cannot compile: generators, async functions,
 * classes, bound functions, unknown native functions, destructured or rest parameters.
 *
 * @example
 * import { functionSource } from './src/backends/kernelSource'   // internal: the gpu.js backend calls it
 *
 * functionSource((a: number, b: number) => a * b, 'rule0').source   // 'function rule0(a, b) { return (a * b); }'
 * functionSource(Math.exp, 'f').source              // 'function f(x0) { return Math.exp(x0); }'
 */
export function functionSource(fn: Function, name: string): FunctionSource {
  if (typeof fn !== 'function') throw new Error(`gpujs: expected a function, got ${typeof fn}`)
  const math = NATIVE_MATH.find((m) => fn === Math[m as keyof Math])
  if (math) {
    const params = fn.length === 1 ? 'x0' : 'x0, x1'
    return rewrite(`function ${name}(${params}) { return Math.${math}(${params}); }`, params.split(', '))
  }
  const text = Function.prototype.toString.call(fn).trim()
  const cannot = (why: string) => new Error(`gpujs: cannot ${why} ${text.slice(0, 60)}`)
  if (/\[native code\]\s*\}$/.test(text))
    throw new Error(`gpujs: cannot compile native function ${fn.name || '(anonymous)'}`)
  if (/^(async\b|class\b|function\s*\*)/.test(text)) throw cannot('compile (only plain functions over numbers)')
  // `function f(…) {…}`, a method `f(…) {…}`, or an arrow `(…) => …` / `x => …`
  let paramText: string, body: string
  const head = /^(?:function\b\s*[\w$]*\s*|[\w$]+\s*)?\(/.exec(text)
  if (head) {
    const close = matchingParen(text, head[0].length - 1)
    paramText = text.slice(head[0].length, close)
    body = text.slice(close + 1).trim()
  } else {
    const at = text.indexOf('=>')
    if (at < 0) throw cannot('read the function')
    paramText = text.slice(0, at)
    body = text.slice(at).trim()
  }
  if (body.startsWith('=>')) {
    body = body.slice(2).trim()
    if (!body.startsWith('{')) body = `{ return (${body}); }`
  }
  if (!body.startsWith('{')) throw cannot('read the body of')
  const params = paramText
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      // Default values (`c = 0`) are dropped: gpu.js rejects them, and every caller passes all arguments.
      const id = p.split('=')[0].trim()
      if (!/^[A-Za-z_$][\w$]*$/.test(id)) throw cannot(`compile parameter '${p}' (only plain names) of`)
      return id
    })
  return rewrite(`function ${name}(${params.join(', ')}) ${body}`, params)
}

/** Math.pow, Math.log and Math.tanh calls routed to their safe helpers (see the module comment). */
const ROUTED = [
  ['pow', 'tgPow'],
  ['log', 'tgLog'],
  ['tanh', 'tgTanh'],
] as const

function rewrite(source: string, params: string[]): FunctionSource {
  const helpers: string[] = []
  for (const [m, helper] of ROUTED) {
    const call = new RegExp(`\\bMath\\.${m}\\s*\\(`, 'g')
    if (call.test(source)) {
      source = source.replace(call, `${helper}(`)
      helpers.push(helper)
    }
  }
  // `**` is not something gpu.js maps safely (GLSL pow again); rules must not use it.
  if (/\*\*/.test(source))
    throw new Error(`gpujs: '**' in ${source.slice(0, 80)}…: compute powers on the host or call Math.pow`)
  return { source, params, helpers }
}

/** Index of the parenthesis closing the one at `open` (skipping nested ones). */
function matchingParen(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++
    else if (text[i] === ')' && --depth === 0) return i
  }
  throw new Error(`gpujs: unbalanced parentheses in ${text.slice(0, 60)}`)
}
