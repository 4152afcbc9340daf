/**
 * The tape of a small expression, drawn: the neuron from Karpathy's micrograd lecture,
 *
 *   o = tanh(x1·w1 + x2·w2 + b)   with x1 = 2, x2 = 0, w1 = −3, w2 = 1, b = 6.8813735870195432
 *
 * recorded with 0-d tensors, printed as the tape (one line per op, oldest first), then written as
 * Graphviz DOT and as SVG (out/tape.dot, out/tape.svg) after `backward` filled in the gradients:
 * o = 0.7071, ∂o/∂x1 = −1.5, ∂o/∂w1 = 1, ∂o/∂x2 = 0.5, ∂o/∂w2 = 0, ∂o/∂b = 0.5.
 *
 *   npx tsx examples/tape.ts
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { tapeOf, tensor } from '../src/index.js'
import { toDot, toSvg } from '../src/viz/index.js'
import { isMain } from './is-main.js'

export interface TapeResult {
  /** The tape as text, before backward. */
  tape: string
  dot: string
  svg: string
  value: number
  grads: Record<'x1' | 'x2' | 'w1' | 'w2' | 'b', number>
  files: string[]
}

/** Builds the neuron, runs backward, draws it; writes the files into `outDir` unless null. */
export async function main(
  options: { outDir?: string | null; log?: (line: string) => void } = {},
): Promise<TapeResult> {
  const outDir = options.outDir === undefined ? 'out' : options.outDir
  const log = options.log ?? ((l: string) => console.log(l))
  // Labels name the leaves on the tape and in the picture.
  const leaf = (label: string, v: number) =>
    Object.assign(tensor(v, { dtype: 'float64', requiresGrad: true }), { label })
  const x1 = leaf('x1', 2)
  const x2 = leaf('x2', 0)
  const w1 = leaf('w1', -3)
  const w2 = leaf('w2', 1)
  const b = leaf('b', 6.8813735870195432)
  const n = x1.mul(w1).add(x2.mul(w2)).add(b)
  const o = n.tanh()

  const tape = tapeOf(o).toString()
  log('The tape, oldest entry first (backward walks it from the bottom up):')
  log(tape)

  // retainGraph keeps the tape after backward, so it can still be drawn, now with gradients.
  o.backward(undefined, { retainGraph: true })
  const dot = toDot(o)
  const svg = await toSvg(dot)

  const files: string[] = []
  if (outDir) {
    fs.mkdirSync(outDir, { recursive: true })
    for (const [file, text] of [
      ['tape.dot', dot],
      ['tape.svg', svg],
    ] as const) {
      const p = path.join(outDir, file)
      fs.writeFileSync(p, text)
      files.push(p)
    }
    log(`\nwrote ${files.join(' and ')}`)
  }
  const grads = {
    x1: x1.grad!.item(),
    x2: x2.grad!.item(),
    w1: w1.grad!.item(),
    w2: w2.grad!.item(),
    b: b.grad!.item(),
  }
  log(
    `o = ${o.item().toFixed(4)}; ` +
      Object.entries(grads)
        .map(([k, v]) => `∂o/∂${k} = ${v.toFixed(4)}`)
        .join(', '),
  )
  return { tape, dot, svg, value: o.item(), grads, files }
}

if (isMain('tape')) {
  main().catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
}
