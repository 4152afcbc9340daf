/**
 * The optimizer zoo: every optimizer of tapegrad/optimizers on the Rosenbrock function
 *     f(x, y) = (1 − x)² + 100·(y − x²)²
 * from the same start (−1.2, 1), the classic test of a long, curved, flat-bottomed valley with
 * its minimum at (1, 1). Gradients come from the tape (`valueAndGrad`), updates from the JAX
 * triple (`init` / `update` / `getParams`). Writes an SVG of the trajectories over the contour
 * plot and prints the final loss of each optimizer.
 *
 *     npx tsx examples/optimizer-zoo.ts [--out out/optimizer-zoo.svg] [--steps 3000] [--only adam,sgd]
 *
 * The SVG is written by hand (contours by marching squares): no plotting dependency.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { tensor, valueAndGrad, type Tensor } from '../src/index.js'
import * as O from '../optimizers/index.js'
import { contour, num, toPixels, type View } from './contour.js'
import { isMain } from './is-main.js'

type Point = [number, number]

/** Every optimizer, with step sizes that suit this valley (schedules where a fixed step oscillates). */
export const ZOO: { name: string; label: string; make: () => O.Optimizer; color: string }[] = [
  { name: 'sgd', label: 'sgd(1e-3)', make: () => O.sgd(1e-3), color: '#7f7f7f' },
  { name: 'momentum', label: 'momentum(1e-3, 0.9)', make: () => O.momentum(1e-3, 0.9), color: '#1f77b4' },
  { name: 'nesterov', label: 'nesterov(1e-3, 0.9)', make: () => O.nesterov(1e-3, 0.9), color: '#aec7e8' },
  { name: 'adagrad', label: 'adagrad(0.5)', make: () => O.adagrad(0.5), color: '#ff7f0e' },
  {
    name: 'rmsprop',
    label: 'rmsprop(expDecay(0.01))',
    make: () => O.rmsprop(O.exponentialDecay(0.01, 1000, 0.1)),
    color: '#ffbb78',
  },
  {
    name: 'rmspropMomentum',
    label: 'rmspropMomentum(expDecay(1e-3))',
    make: () => O.rmspropMomentum(O.exponentialDecay(1e-3, 1000, 0.1)),
    color: '#2ca02c',
  },
  { name: 'adam', label: 'adam(0.02)', make: () => O.adam(0.02), color: '#d62728' },
  { name: 'adamax', label: 'adamax(0.02)', make: () => O.adamax(0.02), color: '#ff9896' },
  { name: 'sm3', label: 'sm3(0.3, 0.5)', make: () => O.sm3(0.3, 0.5), color: '#9467bd' },
  { name: 'adamw', label: 'adamw(0.02, wd 1e-3)', make: () => O.adamw(0.02, 0.9, 0.999, 1e-8, 1e-3), color: '#c5b0d5' },
  { name: 'nadam', label: 'nadam(0.01)', make: () => O.nadam(0.01), color: '#8c564b' },
  { name: 'radam', label: 'radam(warmup → 0.02)', make: () => O.radam(O.linearWarmup(0, 0.02, 200)), color: '#e377c2' },
  {
    name: 'adadelta',
    label: 'adadelta(expDecay(1))',
    make: () => O.adadelta(O.exponentialDecay(1, 2000, 0.1), 0.9, 1e-4),
    color: '#bcbd22',
  },
  {
    name: 'lion',
    label: 'lion(expDecay(0.01))',
    make: () => O.lion(O.exponentialDecay(0.01, 2000, 0.1)),
    color: '#17becf',
  },
]

export const START: Point = [-1.2, 1]

/** Rosenbrock as a tensor expression, so the tape gives the gradient. */
export function rosenbrock(p: { x: Tensor; y: Tensor }): Tensor {
  const { x, y } = p
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100))
}

const f = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2

export interface ZooResult {
  name: string
  label: string
  color: string
  path: Point[]
  loss: number
}

/** Runs every optimizer for `steps` updates from START; records the path. */
export function runZoo(steps: number, only?: readonly string[]): ZooResult[] {
  const lossAndGrad = valueAndGrad(rosenbrock)
  const unknown = (only ?? []).filter((n) => !ZOO.some((z) => z.name === n))
  if (unknown.length)
    throw new Error(
      `optimizer-zoo: unknown optimizer ${unknown.join(', ')} (known: ${ZOO.map((z) => z.name).join(', ')})`,
    )
  return ZOO.filter((z) => !only || only.includes(z.name)).map(({ name, label, make, color }) => {
    const opt = make()
    let state = opt.init({ x: tensor(START[0]), y: tensor(START[1]) })
    const path: Point[] = [[START[0], START[1]]]
    let loss = f(...START)
    for (let i = 0; i < steps; i++) {
      const [, grads] = lossAndGrad(opt.getParams(state) as { x: Tensor; y: Tensor })
      state = opt.update(i, grads, state)
      const p = state.params
      path.push([p[0], p[1]])
      loss = f(p[0], p[1])
    }
    return { name, label, color, path, loss }
  })
}

// ---------------------------------------------------------------------------------------------
// SVG

const SIZE = 640
const VIEW: View = { x0: -2, x1: 2, y0: -1, y1: 3, size: SIZE }
const LEGEND = 300
const sx = (x: number) => toPixels(VIEW, x, 0)[0]
const sy = (y: number) => toPixels(VIEW, 0, y)[1]

/** The picture: contours of log f, one `<path class="trajectory">` per optimizer, a legend. */
export function renderSvg(results: ZooResult[], steps: number): string {
  const levels = [0.25, 1, 4, 16, 64, 256, 1024, 4096]
  const lines: string[] = []
  lines.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE + LEGEND}" height="${SIZE}" viewBox="0 0 ${SIZE + LEGEND} ${SIZE}" font-family="sans-serif" font-size="12">`,
  )
  lines.push(
    `<title>tapegrad optimizer zoo: ${results.length} optimizers, ${steps} steps on Rosenbrock from (${START.join(', ')})</title>`,
  )
  lines.push(`<rect width="${SIZE + LEGEND}" height="${SIZE}" fill="white"/>`)
  levels.forEach((level, k) => {
    const shade = Math.round(200 - (k * 100) / levels.length)
    lines.push(
      `<path class="contour" data-level="${level}" d="${contour(f, VIEW, level, 120)}" fill="none" stroke="rgb(${shade},${shade},${shade})" stroke-width="0.7"/>`,
    )
  })
  for (const r of results) {
    const stride = Math.max(1, Math.ceil(r.path.length / 600))
    const pts = r.path
      .filter((_, k) => k % stride === 0 || k === r.path.length - 1)
      .map(([x, y]) => [
        Math.min(Math.max(x, VIEW.x0 - 1), VIEW.x1 + 1),
        Math.min(Math.max(y, VIEW.y0 - 1), VIEW.y1 + 1),
      ])
    const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${num(sx(x))} ${num(sy(y))}`).join('')
    lines.push(
      `<path class="trajectory" data-optimizer="${r.name}" d="${d}" fill="none" stroke="${r.color}" stroke-width="1.6" stroke-opacity="0.85"/>`,
    )
  }
  lines.push(
    `<circle cx="${num(sx(START[0]))}" cy="${num(sy(START[1]))}" r="5" fill="black"/><text x="${num(sx(START[0]) + 8)}" y="${num(sy(START[1]) - 8)}">start</text>`,
  )
  lines.push(
    `<path d="M${num(sx(1))} ${num(sy(1) - 7)}L${num(sx(1) + 7)} ${num(sy(1))}L${num(sx(1))} ${num(sy(1) + 7)}L${num(sx(1) - 7)} ${num(sy(1))}Z" fill="gold" stroke="black"/><text x="${num(sx(1) + 9)}" y="${num(sy(1) + 4)}">minimum (1, 1)</text>`,
  )
  lines.push(`<text x="${SIZE + 12}" y="22" font-weight="bold">${steps} steps · final loss</text>`)
  results.forEach((r, k) => {
    const y = 44 + k * 20
    lines.push(
      `<line x1="${SIZE + 12}" y1="${y - 4}" x2="${SIZE + 36}" y2="${y - 4}" stroke="${r.color}" stroke-width="3"/><text x="${SIZE + 42}" y="${y}">${r.label}: ${r.loss.toExponential(2)}</text>`,
    )
  })
  lines.push('</svg>')
  return lines.join('\n') + '\n'
}

export interface ZooOptions {
  /** Updates per optimizer (default 3000). */
  steps?: number
  /** Where to write the SVG (default out/optimizer-zoo.svg). */
  out?: string
  /** Only these optimizers (by exported name; default all). */
  only?: string[]
  /** Where the table goes (default console.log). */
  log?: (line: string) => void
}

/** Parses `--out <path>`, `--steps <n>` and `--only <name,name,…>`. */
export function parseArgs(argv: readonly string[]): ZooOptions {
  const o: ZooOptions = {}
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]
    const value = () => {
      const v = argv[++k]
      if (v === undefined) throw new Error(`optimizer-zoo: ${a} needs a value`)
      return v
    }
    if (a === '--out') o.out = value()
    else if (a === '--only')
      o.only = value()
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean)
    else if (a === '--steps') {
      const n = Number(value())
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`optimizer-zoo: --steps must be a positive integer, got ${argv[k]}`)
      o.steps = n
    } else if (a === '--help' || a === '-h') {
      throw new Error(
        'usage: tsx examples/optimizer-zoo.ts [--out out/optimizer-zoo.svg] [--steps 3000] [--only adam,sgd]',
      )
    } else throw new Error(`optimizer-zoo: unknown argument ${a}`)
  }
  return o
}

/** Runs the zoo, writes the SVG, prints the final losses. */
export function main(options: ZooOptions = {}): { results: ZooResult[]; svg: string; out: string } {
  const steps = options.steps ?? 3000
  const out = options.out ?? path.join('out', 'optimizer-zoo.svg')
  const log = options.log ?? console.log
  const results = runZoo(steps, options.only)
  const svg = renderSvg(results, steps)
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true })
  fs.writeFileSync(out, svg)
  log(`Rosenbrock from (${START.join(', ')}), ${steps} steps; minimum 0 at (1, 1)`)
  log(`${'optimizer'.padEnd(34)} ${'final loss'.padStart(11)}  final (x, y)`)
  for (const r of results) {
    const [x, y] = r.path[r.path.length - 1]
    log(`${r.label.padEnd(34)} ${r.loss.toExponential(2).padStart(11)}  (${x.toFixed(4)}, ${y.toFixed(4)})`)
  }
  log(`wrote ${out}`)
  return { results, svg, out }
}

if (isMain('optimizer-zoo')) {
  try {
    main(parseArgs(process.argv.slice(2)))
  } catch (e) {
    console.error((e as Error).message)
    process.exit(1)
  }
}
