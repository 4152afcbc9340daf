/**
 * `toSvg`: renders DOT as SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`), which is
 * loaded the first time a picture is asked for — importing tapegrad never loads it.
 */
import { Tensor } from '../tensor.js'
import { toDot, type DotOptions } from './to-dot.js'

interface VizInstance {
  renderString(src: string, options: { format: string; engine?: string }): string
}

let viz: Promise<VizInstance> | null = null

async function loadViz(): Promise<VizInstance> {
  if (!viz) {
    viz = import('@viz-js/viz')
      .then((m: { instance: () => Promise<VizInstance> }) => m.instance())
      .catch((e: Error) => {
        viz = null
        throw new Error(`toSvg: could not load @viz-js/viz (npm install @viz-js/viz): ${e.message}`)
      })
  }
  return viz
}

/**
 * Renders a DOT string — or the graph of a tensor, via `toDot` — to an SVG document.
 * @example
 * import * as fs from 'node:fs'
 * import * as os from 'node:os'
 * import * as path from 'node:path'
 * import { nn, randn, seed, toSvg } from 'tapegrad'
 *
 * seed(0)
 * const net = new nn.Linear(2, 1)
 * const loss = nn.mse(net.forward(randn([4, 2])), randn([4, 1]))
 * const svg = await toSvg(loss, { names: net.namedParameters() })   // needs @viz-js/viz installed
 * svg.includes('<svg')   // true
 * fs.writeFileSync(path.join(os.tmpdir(), 'tape.svg'), svg)
 */
export async function toSvg(
  dotOrTensor: string | Tensor,
  options: DotOptions & { engine?: 'dot' | 'neato' | 'circo' } = {},
): Promise<string> {
  const dot = dotOrTensor instanceof Tensor ? toDot(dotOrTensor, options) : dotOrTensor
  if (typeof dot !== 'string')
    throw new Error(`toSvg: expected DOT text or a Tensor, got ${dot === null ? 'null' : typeof dot}`)
  const v = await loadViz()
  try {
    return v.renderString(dot, { format: 'svg', engine: options.engine ?? 'dot' })
  } catch (e) {
    throw new Error(`toSvg: Graphviz could not render this DOT: ${(e as Error).message}`, { cause: e })
  }
}
