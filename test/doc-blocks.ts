/**
 * Doc tests, the part without jest: find the code blocks of the documentation, read the result
 * comments written after their statements (`x.toArray() // [1, 4]`), and rewrite each such line
 * so that the value is checked when the block runs. `test/docs.test.ts` runs the blocks.
 *
 * The blocks are every `@example` of every TSDoc comment in `src/**` and `optimizers/**`, and
 * every fenced `ts` / `typescript` block of README.md and docs/*.md.
 *
 * A result comment is strict: a comment that starts like a value (`[`, `{`, a digit, `-digit`, a
 * quote, `≈`, `true`, `false`, `NaN`, `throws`) must parse as one, so that a typo cannot quietly
 * turn a check into prose.
 */
import * as fs from 'fs'
import * as path from 'path'
import { pathToFileURL } from 'url'
import * as ts from 'typescript'

/** One block of documentation code: `line` is the 1-based line of its first code line in `file`. */
export interface DocBlock {
  file: string
  line: number
  code: string
  /** For a Markdown fence opened as ```ts excerpt=<path>: the file the block quotes. Such a block
   *  is not run (it is a piece of a module); the test checks that the file still says it. */
  excerpt?: string
}

// ---- collection -----------------------------------------------------------------------------------

/** Every `.ts` file under `dir` (relative to `root`), sorted so that the test order is stable. */
function tsFiles(root: string, dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    const abs = path.join(root, rel)
    if (!fs.existsSync(abs)) return
    for (const entry of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = path.posix.join(rel, entry.name)
      if (entry.isDirectory()) walk(child)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(child)
    }
  }
  walk(dir)
  return out
}

/** The Markdown files whose `ts` fences are doc blocks: README.md and docs/*.md. */
export function markdownFiles(root: string): string[] {
  const files = fs.existsSync(path.join(root, 'README.md')) ? ['README.md'] : []
  const docs = path.join(root, 'docs')
  if (fs.existsSync(docs)) {
    for (const name of fs.readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(`docs/${name}`)
  }
  return files
}

/** The source files whose TSDoc `@example`s are doc blocks. */
export function sourceFiles(root: string): string[] {
  return [...tsFiles(root, 'src'), ...tsFiles(root, 'optimizers')]
}

/** An opening fence of a TypeScript block: ```ts or ```typescript (indented in a list, too). */
export const TS_FENCE = /^(\s*)```(?:ts|typescript)\b/

/**
 * Where a block tag starts in a comment line: `@word` at the start or after white space, and not
 * an inline tag such as `{@link add}` (those sit inside braces).
 */
const BLOCK_TAG = /(^|\s)@[a-zA-Z]+/g

/** Removes blank lines at both ends, returning how many were removed at the start. */
function trimLines(lines: string[]): { lines: string[]; skipped: number } {
  let start = 0
  let end = lines.length
  while (start < end && lines[start].trim() === '') start++
  while (end > start && lines[end - 1].trim() === '') end--
  return { lines: lines.slice(start, end), skipped: start }
}

/** Removes the indentation that all non-blank lines share. */
function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)![0].length)
  const cut = indents.length ? Math.min(...indents) : 0
  return lines.map((l) => l.slice(cut))
}

/** The `@example` blocks of one source file. */
export function examplesOf(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = []
  const comment = /\/\*\*([\s\S]*?)\*\//g
  for (let m = comment.exec(text); m; m = comment.exec(text)) {
    const firstLine = text.slice(0, m.index).split('\n').length
    // The comment's lines with the leading ` * ` removed (the first line follows `/**`).
    const lines = m[1].split('\n').map((l, i) => (i === 0 ? l : l.replace(/^\s*\*( |$)?/, '')))
    // Walk the tags in order; an example runs from its tag to the next tag or the comment's end.
    let current: { line: number; lines: string[] } | null = null
    const finish = () => {
      if (!current) return
      let { lines: body, skipped } = trimLines(current.lines)
      // An inner ``` fence (```ts … ```) is part of the markup, not of the code.
      if (body.length && /^\s*```/.test(body[0])) {
        body = body.slice(1)
        skipped++
        if (body.length && /^\s*```\s*$/.test(body[body.length - 1])) body = body.slice(0, -1)
      }
      blocks.push({ file, line: current.line + skipped, code: dedent(body).join('\n') })
      current = null
    }
    lines.forEach((line, i) => {
      // Split the line at its tags: the text before the first tag continues the open example;
      // each tag closes it, and an @example opens a new one with the text after the tag.
      const tags = [...line.matchAll(BLOCK_TAG)].map((t) => ({
        at: t.index! + t[1].length,
        tag: t[0].slice(t[1].length),
      }))
      const head = tags.length ? line.slice(0, tags[0].at) : line
      if (current) current.lines.push(head)
      tags.forEach(({ at, tag }, k) => {
        finish()
        if (tag !== '@example') return
        const piece = line.slice(at + tag.length, k + 1 < tags.length ? tags[k + 1].at : line.length).trim()
        // Code on the tag's own line is the first line; otherwise the example starts below it.
        current = piece === '' ? { line: firstLine + i + 1, lines: [] } : { line: firstLine + i, lines: [piece] }
      })
    })
    finish()
  }
  return blocks
}

/** The ```ts / ```typescript fenced blocks of one Markdown file. */
export function fencesOf(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = TS_FENCE.exec(lines[i])
    if (!open) continue
    const indent = open[1].length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent))
    const excerpt = /\sexcerpt=(\S+)/.exec(lines[i])?.[1]
    blocks.push(
      excerpt
        ? { file, line: i + 2, code: dedent(body).join('\n'), excerpt }
        : { file, line: i + 2, code: dedent(body).join('\n') },
    )
    i = j
  }
  return blocks
}

/** Every doc block of the repository at `root`, in file order. */
export function collectBlocks(root: string): DocBlock[] {
  const blocks: DocBlock[] = []
  for (const file of sourceFiles(root)) blocks.push(...examplesOf(file, fs.readFileSync(path.join(root, file), 'utf8')))
  for (const file of markdownFiles(root)) blocks.push(...fencesOf(file, fs.readFileSync(path.join(root, file), 'utf8')))
  return blocks
}

// ---- result comments --------------------------------------------------------------------------------

/**
 * An expected value. Numbers keep how they were written, because that sets the precision:
 * `decimals` is the number of digits after the dot (0 for an integer or exponent form).
 */
export type Expected =
  | { kind: 'number'; value: number; decimals: number; negZero: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'literal'; value: boolean | null | undefined }
  | { kind: 'array'; items: Expected[] }
  | { kind: 'object'; entries: [string, Expected][] }
  | { kind: 'throws'; text?: string; regex?: RegExp }

/** Comments that start like this are values and must parse (see the file comment). */
const VALUE_START = /^(?:[[{'"≈]|\d|-\d|-?\.\d|(?:true|false|NaN|throws)\b)/

/** A small recursive-descent parser of the value syntax; it throws on anything it cannot read. */
class ValueParser {
  private i = 0
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new Error(`result comment '${this.s}': ${what} at column ${this.i + 1}`)
  }
  private space() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++
  }
  private eat(c: string): boolean {
    this.space()
    if (this.s[this.i] === c) {
      this.i++
      return true
    }
    return false
  }
  atEnd(): boolean {
    this.space()
    return this.i >= this.s.length
  }

  value(): Expected {
    this.space()
    const rest = this.s.slice(this.i)
    const c = rest[0]
    if (c === '[') return this.array()
    if (c === '{') return this.object()
    if (c === "'" || c === '"') return { kind: 'string', value: this.string() }
    const word = /^(true|false|null|undefined)(?![\w$])/.exec(rest)
    if (word) {
      this.i += word[0].length
      const value = { true: true, false: false, null: null, undefined: undefined }[word[1] as 'true']
      return { kind: 'literal', value }
    }
    const num = /^-?(?:Infinity|NaN|(?:\d+(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?)(?![\w$.])/.exec(rest)
    if (num) {
      this.i += num[0].length
      const decimals = num[3] !== undefined ? 0 : (num[1] ?? num[2] ?? '').length
      const value = num[0].endsWith('NaN') ? NaN : Number(num[0])
      return { kind: 'number', value, decimals, negZero: Object.is(value, -0) }
    }
    this.fail('expected a value')
  }

  private array(): Expected {
    this.eat('[')
    const items: Expected[] = []
    if (this.eat(']')) return { kind: 'array', items }
    for (;;) {
      items.push(this.value())
      if (this.eat(']')) return { kind: 'array', items }
      if (!this.eat(',')) this.fail("expected ',' or ']'")
      if (this.eat(']')) return { kind: 'array', items } // a trailing comma
    }
  }

  private object(): Expected {
    this.eat('{')
    const entries: [string, Expected][] = []
    if (this.eat('}')) return { kind: 'object', entries }
    for (;;) {
      this.space()
      let key: string
      const c = this.s[this.i]
      if (c === "'" || c === '"') key = this.string()
      else {
        const id = /^[A-Za-z_$][\w$]*/.exec(this.s.slice(this.i))
        if (!id) this.fail('expected a key')
        key = id[0]
        this.i += key.length
      }
      if (!this.eat(':')) this.fail("expected ':'")
      entries.push([key, this.value()])
      if (this.eat('}')) return { kind: 'object', entries }
      if (!this.eat(',')) this.fail("expected ',' or '}'")
      if (this.eat('}')) return { kind: 'object', entries }
    }
  }

  private string(): string {
    const quote = this.s[this.i++]
    let out = ''
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' }
    while (this.i < this.s.length) {
      const c = this.s[this.i++]
      if (c === quote) return out
      if (c === '\\') {
        const e = this.s[this.i++]
        if (e === undefined || !(e in escapes)) this.fail(`unknown escape '\\${e ?? ''}'`)
        out += escapes[e]
      } else out += c
    }
    this.fail('unterminated string')
  }
}

/**
 * Parses the text of a comment after `//` into an expected value, or returns undefined for prose.
 * A comment that starts like a value but does not parse throws (see the file comment).
 *
 * Syntax: numbers (`-0`, `NaN`, `Infinity`, `1e-3`), `true` `false` `null` `undefined`, quoted
 * strings, nested arrays, object literals, `throws <text>` and `throws /regex/flags` (a colon
 * after `throws` is allowed: `throws: <text>`). A leading
 * `≈` is allowed and changes nothing: the written digits set the precision.
 */
export function parseResultComment(text: string): Expected | undefined {
  const s = text.trim()
  if (/^throws\b/.test(s)) {
    // `throws: text` reads as `throws text` (the colon is how prose often says it).
    const what = s.slice('throws'.length).replace(/^\s*:/, '').trim()
    if (what === '') throw new Error(`result comment '${s}': 'throws' needs the text (or /regex/) of the message`)
    const re = /^\/(.+)\/([a-z]*)$/.exec(what)
    if (re) {
      try {
        return { kind: 'throws', regex: new RegExp(re[1], re[2]) }
      } catch (e) {
        throw new Error(`result comment '${s}': ${(e as Error).message}`, { cause: e })
      }
    }
    return { kind: 'throws', text: what }
  }
  const strict = VALUE_START.test(s)
  const body = s.startsWith('≈') ? s.slice(1) : s
  try {
    const p = new ValueParser(body)
    const v = p.value()
    if (!p.atEnd()) p.fail('unexpected text after the value')
    return v
  } catch (e) {
    if (strict) throw e
    return undefined
  }
}

// ---- comparison -------------------------------------------------------------------------------------

interface TensorLikeValue {
  toArray(): unknown
  dtype: string
  shape: number[]
}

function isTensor(x: unknown): x is TensorLikeValue {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as TensorLikeValue).toArray === 'function' &&
    typeof (x as TensorLikeValue).dtype === 'string' &&
    Array.isArray((x as TensorLikeValue).shape)
  )
}

/**
 * Whether `actual` is the value the comment wrote. Tensors compare by `toArray()`, typed arrays as
 * arrays; numbers by the precision the comment wrote (see {@link numberMatches}); arrays by length
 * and elements; objects by the keys the comment wrote; strings exactly.
 */
export function matches(actual: unknown, expected: Expected, float32 = false): boolean {
  if (isTensor(actual)) return matches(actual.toArray(), expected, float32 || actual.dtype === 'float32')
  if (actual instanceof Float32Array) return matches(Array.from(actual), expected, true)
  if (ArrayBuffer.isView(actual) && !(actual instanceof DataView))
    return matches(Array.from(actual as unknown as ArrayLike<number>), expected, float32)
  switch (expected.kind) {
    case 'number':
      return typeof actual === 'number' && numberMatches(actual, expected, float32)
    case 'string':
      return actual === expected.value
    case 'literal':
      return actual === expected.value
    case 'array':
      return (
        Array.isArray(actual) &&
        actual.length === expected.items.length &&
        expected.items.every((e, i) => matches(actual[i], e, float32))
      )
    case 'object':
      return (
        typeof actual === 'object' &&
        actual !== null &&
        expected.entries.every(([k, e]) => matches((actual as Record<string, unknown>)[k], e, float32))
      )
    case 'throws':
      return false
  }
}

/**
 * A number written with d ≥ 1 decimals matches when |a − e| ≤ ½·10^(−d) (it is the value rounded
 * to what was written); an integer or exponent form matches to a relative 1e-9 (1e-6 for float32
 * values, which carry about 7 digits: those of a float32 tensor or Float32Array, and any number
 * that float32 represents exactly, as `toArray()` of a float32 tensor gives). NaN matches NaN; −0
 * differs from 0 only when written `-0`.
 */
function numberMatches(a: number, e: { value: number; decimals: number; negZero: boolean }, float32 = false): boolean {
  if (Number.isNaN(e.value)) return Number.isNaN(a)
  if (Number.isNaN(a)) return false
  if (!Number.isFinite(e.value)) return a === e.value
  if (e.negZero) return Object.is(a, -0)
  const diff = Math.abs(a - e.value)
  if (e.decimals > 0) return diff <= 0.5 * 10 ** -e.decimals * (1 + 1e-9)
  // `.toArray()` of a float32 tensor gives plain numbers: a number that float32 holds exactly is
  // taken as a float32 value (a float64 result one ulp of float32 off an integer is rare enough).
  const f32 = float32 || Math.fround(a) === a
  return diff <= (f32 ? 1e-6 : 1e-9) * Math.max(1, Math.abs(e.value))
}

/** A value as a mismatch message shows it: tensors and typed arrays as nested arrays. */
function show(x: unknown): string {
  const plain = (v: unknown): unknown => {
    if (isTensor(v)) return plain(v.toArray())
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>)
    if (Array.isArray(v)) return v.map(plain)
    return v
  }
  const p = plain(x)
  if (typeof p === 'number') return Object.is(p, -0) ? '-0' : String(p)
  if (p === undefined) return 'undefined'
  if (typeof p === 'function') return `[function ${p.name}]`
  try {
    return (
      JSON.stringify(p, (_k, v) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v,
      ) ?? String(p)
    )
  } catch {
    return String(p)
  }
}

// ---- instrumenting ----------------------------------------------------------------------------------

/**
 * Where the `//` comment of a code line starts, or -1: skips strings and template literals.
 * `inTemplate` carries an open template literal from one line to the next.
 */
function commentStart(line: string, state: { inTemplate: boolean }): number {
  let quote: string | null = state.inTemplate ? '`' : null
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = null
    } else if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '/' && line[i + 1] === '/') {
      state.inTemplate = false
      return i
    }
  }
  state.inTemplate = quote === '`'
  return -1
}

/**
 * Rewrites each line `<statement> // <value>` so that the value is checked when it runs:
 * `expr // v` and `console.log(expr) // v` → `__check(() => (expr), 'v', line)`;
 * `const x = expr // v` → the declaration, then `__check(() => x, 'v', line)`;
 * `<statement> // throws …` → `__throws(() => { <statement> }, '…', line)`.
 * `line` is the line in the file (`startLine` is the file line of the block's first line).
 * A statement that awaits gets async thunks, awaited. Other lines are left as they are.
 */
export function instrument(code: string, startLine = 1): string {
  const state = { inTemplate: false }
  return code
    .split('\n')
    .map((line, i) => {
      const wasInTemplate = state.inTemplate
      const at = commentStart(line, state)
      if (at < 0 || wasInTemplate) return line
      const comment = line.slice(at + 2)
      const lineNo = startLine + i
      let expected: Expected | undefined
      try {
        expected = parseResultComment(comment)
      } catch (e) {
        throw new Error(`line ${lineNo}: ${(e as Error).message}`, { cause: e })
      }
      if (expected === undefined) return line
      const indent = /^\s*/.exec(line)![0]
      let stmt = line.slice(0, at).trim().replace(/;\s*$/, '')
      if (stmt === '')
        throw new Error(
          `line ${lineNo}: result comment '${comment.trim()}' on a line of its own: write it after the statement whose value it is`,
        )
      const lit = JSON.stringify(comment.trim())
      const isAsync = /(^|[^\w$.])await\b/.test(stmt)
      const call = (fn: string, body: string) =>
        isAsync ? `await ${fn}(async () => ${body}, ${lit}, ${lineNo});` : `${fn}(() => ${body}, ${lit}, ${lineNo});`
      if (expected.kind === 'throws') return indent + call('__throws', `{ ${stmt}; }`)
      const decl = /^(const|let|var)\s+([A-Za-z_$][\w$]*|\[[^=]*\]|\{[^=]*\})\s*(?::[^=]+)?=(?!=)/.exec(stmt)
      if (decl) {
        // The declaration runs as written (awaiting if it awaits); the check reads the variable.
        const target = decl[2].startsWith('{') ? `(${decl[2]})` : decl[2]
        return `${indent}${stmt}; __check(() => ${target}, ${lit}, ${lineNo});`
      }
      const log = /^console\.log\(([\s\S]*)\)$/.exec(stmt)
      if (log) stmt = log[1]
      return indent + call('__check', `(${stmt})`)
    })
    .join('\n')
}

/** The `__check` and `__throws` functions an instrumented block calls, reporting `file:line`. */
export function checkers(file: string) {
  const where = (line: number) => `${file}:${line}`
  const compare = (actual: unknown, comment: string, line: number) => {
    const expected = parseResultComment(comment)!
    if (!matches(actual, expected)) {
      throw new Error(`${where(line)}: expected // ${comment}\n  actual: ${show(actual)}`)
    }
  }
  const expectThrow = (err: unknown, comment: string, line: number) => {
    const expected = parseResultComment(comment) as Extract<Expected, { kind: 'throws' }>
    if (!(err instanceof Error) && !(typeof err === 'object' && err !== null && 'message' in err)) {
      throw new Error(`${where(line)}: expected // ${comment}\n  but it threw a non-Error: ${show(err)}`)
    }
    const message = String((err as Error).message)
    const ok = expected.regex ? expected.regex.test(message) : message.includes(expected.text!)
    if (!ok) throw new Error(`${where(line)}: expected // ${comment}\n  actual message: ${message}`)
  }
  const isThenable = (x: unknown): x is Promise<unknown> => typeof (x as Promise<unknown>)?.then === 'function'
  return {
    __check(thunk: () => unknown, comment: string, line: number): unknown {
      const v = thunk()
      if (isThenable(v)) return v.then((r) => compare(r, comment, line))
      compare(v, comment, line)
      return undefined
    },
    __throws(thunk: () => unknown, comment: string, line: number): unknown {
      const nothrow = () => new Error(`${where(line)}: expected // ${comment}\n  but it did not throw`)
      let v: unknown
      try {
        v = thunk()
      } catch (e) {
        expectThrow(e, comment, line)
        return undefined
      }
      if (isThenable(v))
        return v.then(
          () => {
            throw nothrow()
          },
          (e) => expectThrow(e, comment, line),
        )
      throw nothrow()
    },
  }
}

// ---- running ----------------------------------------------------------------------------------------

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<void>

/**
 * Instruments, transpiles (CommonJS, ES2022) and runs one block as the body of an async function,
 * so that top-level `await` works; `requireFn` loads what the block imports. `root` is the
 * repository root the block's file is relative to.
 */
export async function runBlock(block: DocBlock, root: string, requireFn: (name: string) => unknown): Promise<void> {
  if (block.excerpt !== undefined) {
    // A quoted piece of a source file: it must still be in that file, character for character.
    const quoted = path.join(root, block.excerpt)
    const text = fs.existsSync(quoted) ? fs.readFileSync(quoted, 'utf8') : null
    if (text === null)
      throw new Error(`${block.file}:${block.line}: the excerpt quotes ${block.excerpt}, which does not exist`)
    if (!text.includes(block.code)) {
      const first = block.code.split('\n').find((l) => !text.includes(l))
      throw new Error(
        `${block.file}:${block.line}: the excerpt no longer matches ${block.excerpt}; first line not found there:\n  ${first ?? '(each line is there, not in this order)'}`,
      )
    }
    return
  }
  let source: string
  try {
    source = instrument(block.code, block.line)
  } catch (e) {
    // instrument's errors say 'line N: …'; name the file too.
    throw new Error(`${block.file}:${(e as Error).message.replace(/^line /, '')}`, { cause: e })
  }
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: 'block.ts',
  }).outputText
  const { __check, __throws } = checkers(block.file)
  const module = { exports: {} }
  // A function body cannot say `import.meta`: it becomes an object whose url is the documenting
  // file's, so `new URL('./x.js', import.meta.url)` resolves next to that file, as it would in
  // the module the example stands for.
  const importMeta = { url: pathToFileURL(path.join(root, block.file)).href }
  const body = js.replace(/\bimport\.meta\b/g, '__importMeta')
  const fn = new AsyncFunction('require', 'module', 'exports', '__check', '__throws', '__importMeta', body)
  await fn(requireFn, module, module.exports, __check, __throws, importMeta)
}

// ---- type-checking ----------------------------------------------------------------------------------

/** One type error in a block, at `line` of the block's documenting `file`. */
export interface BlockDiagnostic {
  file: string
  line: number
  message: string
}

/**
 * The package's entry points by the name a user imports ('tapegrad', 'tapegrad/nn', …), each
 * with its source file (absolute): package.json's `exports`, whose `dist/…/x.js` the build
 * (tsconfig.build.json: rootDir '.', outDir 'dist') writes from `…/x.ts`. A new entry in
 * package.json is then one the doc blocks can import.
 */
export function sourceEntries(root: string): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  const entries: Record<string, string> = {}
  for (const [key, target] of Object.entries(pkg.exports as Record<string, string | { default: string }>)) {
    if (typeof target === 'string') continue // './package.json'
    const source = /^\.\/dist\/(.*)\.js$/.exec(target.default)
    if (!source) throw new Error(`package.json exports['${key}'] is ${target.default}, not a file under ./dist/`)
    entries[key === '.' ? pkg.name : `${pkg.name}${key.slice(1)}`] = path.join(root, `${source[1]}.ts`)
  }
  return entries
}

/**
 * The compiler options of the type-check: tsconfig.json's (its strictness, target, libraries),
 * with the public entry points mapped to their sources (sourceEntries), so that
 * `import { add } from 'tapegrad'` reads src/index.ts as a reader's project reads the package's
 * declarations. Three changes:
 * module resolution is the bundler's, so a relative `./src/nn/recurrent` (the runner's imports
 * of internal helpers) resolves without an extension; only node's global types (a block should
 * not see jest's `expect`); nothing is emitted.
 */
function typeCheckOptions(root: string): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'))
  const { options, errors } = ts.convertCompilerOptionsFromJson(config.config.compilerOptions ?? {}, root)
  if (errors.length) throw new Error(errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n'))
  return {
    ...options,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ['node'],
    noEmit: true,
    declaration: false,
    sourceMap: false,
    outDir: undefined,
    paths: Object.fromEntries(Object.entries(sourceEntries(root)).map(([name, file]) => [name, [file]])),
  }
}

/**
 * Type-checks every block in one TypeScript program and returns each block's errors (the result
 * has one list per block, in order). Each block is a virtual module at the repository root
 * (`__doc_block_<i>.ts`, never written to disk), so relative imports resolve from the root as the
 * runner's do; an `export {}` appended on a line of its own makes it a module, so top-level names
 * of different blocks do not clash and top-level `await` is allowed. Errors are reported at the
 * line of the documenting file (block line i is file line `block.line + i`); errors outside the
 * blocks (the options, the library itself) are left to `tsc -p tsconfig.json`, except those of
 * the program as a whole, which are given to every block.
 */
export function typeCheckBlocks(blocks: DocBlock[], root: string): BlockDiagnostic[][] {
  const options = typeCheckOptions(root)
  const virtual = new Map<string, string>()
  const names = blocks.map((b, i) => {
    const name = path.join(root, `__doc_block_${i}.ts`)
    virtual.set(name, `${b.code}\nexport {}\n`)
    return name
  })
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (f) => virtual.has(f) || fileExists(f)
  host.readFile = (f) => virtual.get(f) ?? readFile(f)
  host.getSourceFile = (f, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(f)
    return text !== undefined
      ? ts.createSourceFile(f, text, languageVersion, true)
      : getSourceFile(f, languageVersion, onError, shouldCreate)
  }
  const program = ts.createProgram({ rootNames: names, options, host })
  const message = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, '\n')
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map(message)
  return blocks.map((block, i) => {
    const source = program.getSourceFile(names[i])!
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    return [
      ...global.map((m) => ({ file: block.file, line: block.line, message: m })),
      ...diagnostics.map((d) => ({
        file: block.file,
        line: block.line + source.getLineAndCharacterOfPosition(d.start ?? 0).line,
        message: message(d),
      })),
    ]
  })
}
