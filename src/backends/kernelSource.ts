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

/** `Math` functions that arrive as native code (`Math.exp.toString()` is `[native code]`). */
const NATIVE_MATH: ReadonlyArray<readonly [Function, string, number]> = [
  [Math.exp, 'exp', 1], [Math.log, 'log', 1], [Math.sqrt, 'sqrt', 1], [Math.abs, 'abs', 1],
  [Math.tanh, 'tanh', 1], [Math.sin, 'sin', 1], [Math.cos, 'cos', 1], [Math.tan, 'tan', 1],
  [Math.atan, 'atan', 1], [Math.asin, 'asin', 1], [Math.acos, 'acos', 1], [Math.floor, 'floor', 1],
  [Math.ceil, 'ceil', 1], [Math.round, 'round', 1], [Math.sign, 'sign', 1], [Math.trunc, 'trunc', 1],
  [Math.log2, 'log2', 1], [Math.pow, 'pow', 2], [Math.max, 'max', 2], [Math.min, 'min', 2],
  [Math.atan2, 'atan2', 2],
]

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
 * functionSource((a, b) => a * b, 'rule0').source   // 'function rule0(a, b) { return (a * b); }'
 * functionSource(Math.exp, 'f').source              // 'function f(x0) { return Math.exp(x0); }'
 */
export function functionSource(fn: Function, name: string): FunctionSource {
  if (typeof fn !== 'function') throw new Error(`gpujs: expected a function, got ${typeof fn}`)
  for (const [native, mathName, arity] of NATIVE_MATH) {
    if (fn === native) {
      const params = arity === 1 ? ['x0'] : ['x0', 'x1']
      return rewrite(`function ${name}(${params.join(', ')}) { return Math.${mathName}(${params.join(', ')}); }`, params)
    }
  }
  const text = Function.prototype.toString.call(fn).trim()
  if (/\[native code\]\s*\}$/.test(text)) throw new Error(`gpujs: cannot compile native function ${fn.name || '(anonymous)'}`)
  if (/^(async\b|class\b|function\s*\*)/.test(text)) throw new Error(`gpujs: cannot compile ${text.slice(0, 40)}…: only plain functions over numbers`)

  let paramText: string
  let body: string
  const fnMatch = /^function\b\s*[\w$]*\s*\(/.exec(text)
  if (fnMatch) {
    const close = matchingParen(text, fnMatch[0].length - 1)
    paramText = text.slice(fnMatch[0].length, close)
    body = text.slice(close + 1).trim()
  } else {
    // Arrow function `(a, b) => …` / `a => …`, or a method `name(a) { … }` from an object literal.
    const arrow = /^(\(|[\w$]+\s*=>)/.exec(text)
    const method = /^[\w$]+\s*\(/.exec(text)
    if (arrow) {
      let rest: string
      if (text[0] === '(') {
        const close = matchingParen(text, 0)
        paramText = text.slice(1, close)
        rest = text.slice(close + 1).trim()
      } else {
        const at = text.indexOf('=>')
        paramText = text.slice(0, at)
        rest = text.slice(at)
      }
      if (!rest.startsWith('=>')) throw new Error(`gpujs: cannot read the function ${text.slice(0, 60)}`)
      rest = rest.slice(2).trim()
      body = rest.startsWith('{') ? rest : `{ return (${rest}); }`
    } else if (method) {
      const close = matchingParen(text, method[0].length - 1)
      paramText = text.slice(method[0].length, close)
      body = text.slice(close + 1).trim()
    } else {
      throw new Error(`gpujs: cannot read the function ${text.slice(0, 60)}`)
    }
  }
  if (!body.startsWith('{')) throw new Error(`gpujs: cannot read the body of ${text.slice(0, 60)}`)
  const params = paramText.split(',').map((p) => p.trim()).filter((p) => p.length > 0).map((p) => {
    // Default values (`c = 0`) are dropped: gpu.js rejects them, and every caller passes all arguments.
    const id = p.split('=')[0].trim()
    if (!/^[A-Za-z_$][\w$]*$/.test(id)) throw new Error(`gpujs: cannot compile parameter '${p}' of ${text.slice(0, 60)}: only plain names`)
    return id
  })
  return rewrite(`function ${name}(${params.join(', ')}) ${body}`, params)
}

function rewrite(source: string, params: string[]): FunctionSource {
  const helpers: string[] = []
  if (/\bMath\.pow\s*\(/.test(source)) {
    source = source.replace(/\bMath\.pow\s*\(/g, 'tgPow(')
    helpers.push('tgPow')
  }
  if (/\bMath\.log\s*\(/.test(source)) {
    source = source.replace(/\bMath\.log\s*\(/g, 'tgLog(')
    helpers.push('tgLog')
  }
  if (/\bMath\.tanh\s*\(/.test(source)) {
    source = source.replace(/\bMath\.tanh\s*\(/g, 'tgTanh(')
    helpers.push('tgTanh')
  }
  // `**` is not something gpu.js maps safely (GLSL pow again); rules must not use it.
  if (/\*\*/.test(source)) throw new Error(`gpujs: '**' in ${source.slice(0, 80)}…: compute powers on the host or call Math.pow`)
  return { source, params, helpers }
}

/** Index of the parenthesis closing the one at `open` (skipping nested ones). */
function matchingParen(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const ch = text[i]
    if (ch === '(') depth++
    else if (ch === ')' && --depth === 0) return i
  }
  throw new Error(`gpujs: unbalanced parentheses in ${text.slice(0, 60)}`)
}
