/**
 * `toDot`: the graph that produced a tensor, as Graphviz DOT text.
 *
 * It reads the tape (`tapeOf`): every recorded op becomes an oval (`#k name`, k its position on
 * the tape, with its attributes such as an exponent or an axis), every tensor a box with its
 * shape — blue for leaves that need a gradient (parameters, inputs with `requiresGrad`), grey and
 * dashed for constants, white for intermediate values, a double border for the tensor drawn
 * from. One-element tensors also show their value and, after `backward`, their gradient.
 *
 * Draw before `backward()` (or call it with `{ retainGraph: true }`): a backward pass frees the
 * tape it walked.
 */
import { fmt } from '../nd.js'
import { tapeOf } from '../tape-view.js'
import { Tensor } from '../tensor.js'

/** Options of `toDot`. */
export interface DotOptions {
  /** Names for tensors, e.g. `net.namedParameters()` or `{ x, W }` (default: each tensor's `label`). */
  names?: Iterable<[string, Tensor]> | Record<string, Tensor>
  /** Layout direction: 'LR' left to right (default) or 'TB' top to bottom. */
  rankdir?: 'LR' | 'TB'
  /** Graph name in the DOT output (default 'tape'). */
  title?: string
  /**
   * Where a tensor's gradient comes from (default: its `.grad`). A backward stepper's
   * `steps.gradient` shows ∂root/∂t as it accumulates, intermediate tensors included.
   */
  gradient?: (t: Tensor) => Tensor | null
  /** Tape positions (0-based, as in `tapeOf(root).entries`) to draw highlighted, with their inputs and output. */
  highlight?: readonly number[]
}

/** Escapes text for a double-quoted DOT string. */
function q(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"'
}

function num(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return String(Number(v.toPrecision(5)))
}

/** A short text for an op's attributes: `2`, `axis=1`, `[1,0]`; '' when there are none. */
function describeAttrs(attrs: unknown): string {
  if (attrs === null || attrs === undefined) return ''
  if (typeof attrs === 'number') return num(attrs)
  if (typeof attrs === 'string' || typeof attrs === 'boolean') return String(attrs)
  if (Array.isArray(attrs))
    return attrs.length <= 8 && attrs.every((a) => typeof a === 'number' || a === null) ? `[${attrs.join(',')}]` : ''
  if (typeof attrs === 'object') {
    const parts: string[] = []
    for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isFinite(v)) parts.push(`${k}=${num(v)}`)
      else if (v === true) parts.push(k)
      else if (typeof v === 'string') parts.push(`${k}=${v}`)
      else if (Array.isArray(v) && v.length <= 6 && v.every((a) => typeof a === 'number'))
        parts.push(`${k}=[${v.join(',')}]`)
    }
    // Many fields means an op's internal plan (e.g. matmul's M, K, N), not something to teach.
    const s = parts.join(' ')
    return parts.length <= 3 && s.length <= 40 ? s : ''
  }
  return ''
}

function namesOf(options: DotOptions): Map<Tensor, string> {
  const map = new Map<Tensor, string>()
  const src = options.names
  if (!src) return map
  const pairs: Iterable<[string, Tensor]> =
    Symbol.iterator in Object(src) ? (src as Iterable<[string, Tensor]>) : Object.entries(src)
  for (const [name, t] of pairs) {
    if (!(t instanceof Tensor)) throw new Error(`toDot: names: '${name}' is not a Tensor`)
    map.set(t, name)
  }
  return map
}

/**
 * The graph that produced `root` as Graphviz DOT: ops (in tape order), tensor shapes, and which
 * leaves need gradients. Render it with `toSvg` or any Graphviz.
 * @example
 * import { tensor, toDot } from 'tapegrad'
 *
 * const x = tensor(2, { requiresGrad: true })
 * const y = x.mul(x).add(1)
 * const dot = toDot(y, { names: { x } })
 * dot.startsWith('digraph "tape" {')                       // true
 * dot.includes('label="#1 mul"') && dot.includes('label="#2 add"')   // true
 * dot.includes('label="x\\nscalar\\nvalue 2\\nrequiresGrad"')      // true
 */
export function toDot(root: Tensor, options: DotOptions = {}): string {
  if (!(root instanceof Tensor))
    throw new Error(`toDot: expected a Tensor, got ${root === null ? 'null' : typeof root}`)
  let entries
  try {
    entries = tapeOf(root).entries
  } catch (e) {
    throw new Error(`toDot: ${(e as Error).message.replace(/^tapeOf: /, '')}`, { cause: e })
  }
  const names = namesOf(options)
  const gradientOf = options.gradient ?? ((t: Tensor) => t.grad)
  const marked = new Set<number>(options.highlight ?? [])
  const hot = new Set<Tensor>()
  entries.forEach((e, k) => {
    if (marked.has(k)) [...e.inputs, e.output].forEach((t) => hot.add(t))
  })
  const ids = new Map<Tensor, string>()
  const lines: string[] = []
  const id = (t: Tensor): string => {
    let s = ids.get(t)
    if (!s) {
      s = `t${ids.size}`
      ids.set(t, s)
    }
    return s
  }
  const tensorNode = (t: Tensor, role: 'leaf' | 'const' | 'value'): void => {
    const name = names.get(t) ?? t.label
    const parts: string[] = []
    if (name) parts.push(name)
    parts.push(`${t.ndim === 0 ? 'scalar' : fmt(t.shape)}${t.dtype === 'float64' ? ' f64' : ''}`)
    if (t.size === 1) parts.push(`value ${num(t.data[0])}`)
    const g = gradientOf(t)
    if (g && g.size === 1) parts.push(`grad ${num(g.data[0])}`)
    if (role === 'leaf') parts.push('requiresGrad')
    const style =
      role === 'leaf'
        ? 'style="filled,rounded", fillcolor="#cfe3ff"'
        : role === 'const'
          ? 'style="dashed,rounded", color="#888888", fontcolor="#555555"'
          : 'style="rounded"'
    const border = (t === root ? ', peripheries=2' : '') + (hot.has(t) ? ', color="#d62828", penwidth=2' : '')
    lines.push(`  ${id(t)} [shape=box, ${style}${border}, label=${q(parts.join('\n'))}];`)
  }
  const seen = new Set<Tensor>()
  const visitInput = (t: Tensor): void => {
    if (seen.has(t)) return
    seen.add(t)
    if (!t.entry) tensorNode(t, t.requiresGrad ? 'leaf' : 'const')
  }
  if (entries.length === 0) tensorNode(root, root.requiresGrad ? 'leaf' : 'const')
  entries.forEach((e, k) => {
    for (const t of e.inputs) visitInput(t)
    const opId = `op${k}`
    const attrs = describeAttrs(e.attrs)
    const fill = marked.has(k) ? 'fillcolor="#ffd166", color="#d62828", penwidth=2' : 'fillcolor="#fff2cc"'
    lines.push(
      `  ${opId} [shape=ellipse, style=filled, ${fill}, label=${q(`#${k + 1} ${e.op}${attrs ? `\n${attrs}` : ''}`)}];`,
    )
    e.inputs.forEach((t, i) =>
      lines.push(`  ${id(t)} -> ${opId}${e.inputs.length > 1 ? ` [label=${q(String(i))}]` : ''};`),
    )
    seen.add(e.output)
    tensorNode(e.output, 'value')
    lines.push(`  ${opId} -> ${id(e.output)};`)
  })
  const title = options.title ?? 'tape'
  return [
    `digraph ${q(title)} {`,
    `  rankdir=${options.rankdir ?? 'LR'};`,
    `  node [fontname="Helvetica", fontsize=11];`,
    `  edge [fontname="Helvetica", fontsize=9, color="#555555"];`,
    ...lines,
    '}',
    '',
  ].join('\n')
}
