/**
 * Newton's method on the Rosenbrock function
 *     f(x, y) = (1 − x)² + 100·(y − x²)²
 * from the optimizer zoo's start (−1.2, 1). Each step solves H·d = −∇f with the Hessian H from
 * `hessian` (forward-over-reverse: a jvp of the gradient) and the gradient from `grad` — second
 * derivatives with no formula written by hand. Newton walks the curved valley in a handful of
 * steps where gradient descent needs thousands (compare `npm run example:optimizer-zoo`).
 * Prints the iterates and writes an SVG of the path over the contours.
 *
 *     npx tsx examples/newton.ts [--out out/newton.svg] [--steps 10] [--start -1.2,1]
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { grad, hessian, tensor, type Tensor } from '../src/index.js'
import { contour, num, toPixels, type View } from './contour.js'
import { isMain } from './is-main.js'

type Point = [number, number]

/** Rosenbrock of p = [x, y] as a tensor expression, so that the tape differentiates it. */
export function rosenbrock(p: Tensor): Tensor {
  const x = p.slice([0])
  const y = p.slice([1])
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100))
}

const f = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2

/** One row of the printed table. */
export interface Iterate {
  step: number
  point: Point
  value: number
  gradNorm: number
}

/**
 * Newton's iterates from `start`: p ← p − H(p)⁻¹·∇f(p), for `steps` steps or until ‖∇f‖ < 1e-10.
 * The 2×2 system is solved by Cramer's rule; a singular Hessian is an error naming the point.
 */
export function newton(start: Point, steps: number): Iterate[] {
  const gradient = grad(rosenbrock)
  const curvature = hessian(rosenbrock)
  let p = tensor(start, { dtype: 'float64' })
  const out: Iterate[] = []
  for (let k = 0; ; k++) {
    const g = gradient(p).data
    const [x, y] = p.data
    const gradNorm = Math.hypot(g[0], g[1])
    out.push({ step: k, point: [x, y], value: f(x, y), gradNorm })
    if (k === steps || gradNorm < 1e-10) return out
    const [a, b, c, d] = curvature(p).data // [[a, b], [c, d]]
    const det = a * d - b * c
    if (Math.abs(det) < 1e-300) throw new Error(`newton: the Hessian is singular at (${x}, ${y})`)
    const dx = -(d * g[0] - b * g[1]) / det
    const dy = -(-c * g[0] + a * g[1]) / det
    p = tensor([x + dx, y + dy], { dtype: 'float64' })
  }
}

const SIZE = 560
const VIEW: View = { x0: -2.7, x1: 2.7, y0: -3.6, y1: 1.8, size: SIZE } // step 2 dips to y ≈ −3.2

/** The picture: contours of f, Newton's path with numbered iterates, the minimum. */
export function renderSvg(iterates: Iterate[]): string {
  const lines: string[] = []
  lines.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${SIZE} ${SIZE}" font-family="sans-serif" font-size="12">`,
  )
  lines.push(
    `<title>Newton's method on Rosenbrock: ${iterates.length - 1} steps from (${iterates[0].point.join(', ')})</title>`,
  )
  lines.push(`<rect width="${SIZE}" height="${SIZE}" fill="white"/>`)
  const levels = [0.25, 1, 4, 16, 64, 256, 1024, 4096]
  levels.forEach((level, k) => {
    const shade = Math.round(200 - (k * 100) / levels.length)
    lines.push(
      `<path class="contour" d="${contour(f, VIEW, level, 100)}" fill="none" stroke="rgb(${shade},${shade},${shade})" stroke-width="0.7"/>`,
    )
  })
  const px = iterates.map((it) => toPixels(VIEW, it.point[0], it.point[1]))
  lines.push(
    `<path class="newton" d="${px.map(([x, y], k) => `${k ? 'L' : 'M'}${num(x)} ${num(y)}`).join('')}" fill="none" stroke="#d62728" stroke-width="2"/>`,
  )
  px.forEach(([x, y], k) => {
    lines.push(`<circle class="iterate" cx="${num(x)}" cy="${num(y)}" r="4" fill="#d62728"/>`)
    if (k < 5) lines.push(`<text x="${num(x + 7)}" y="${num(y - 6)}">${k}</text>`)
  })
  const [mx, my] = toPixels(VIEW, 1, 1)
  lines.push(
    `<path d="M${num(mx)} ${num(my - 7)}L${num(mx + 7)} ${num(my)}L${num(mx)} ${num(my + 7)}L${num(mx - 7)} ${num(my)}Z" fill="gold" stroke="black"/>`,
  )
  const last = iterates[iterates.length - 1]
  lines.push(
    `<text x="12" y="${SIZE - 14}">Newton on Rosenbrock: ${iterates.length - 1} steps from (${iterates[0].point.join(', ')}), ` +
      `final f = ${last.value.toExponential(1)}; gold: the minimum (1, 1)</text>`,
  )
  lines.push('</svg>')
  return lines.join('\n') + '\n'
}

/** Options of `main`. */
export interface NewtonOptions {
  /** Newton steps at most (default 10). */
  steps?: number
  /** Where to start (default (−1.2, 1)). */
  start?: Point
  /** Where to write the SVG (default out/newton.svg). */
  out?: string
  /** Where the table goes (default console.log). */
  log?: (line: string) => void
}

/** Parses `--out <path>`, `--steps <n>`, `--start x,y`. */
export function parseArgs(argv: readonly string[]): NewtonOptions {
  const o: NewtonOptions = {}
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]
    const value = () => {
      const v = argv[++k]
      if (v === undefined) throw new Error(`newton: ${a} needs a value`)
      return v
    }
    if (a === '--out') o.out = value()
    else if (a === '--steps') {
      const n = Number(value())
      if (!Number.isInteger(n) || n < 1) throw new Error(`newton: --steps must be a positive integer, got ${argv[k]}`)
      o.steps = n
    } else if (a === '--start') {
      const xy = value().split(',').map(Number)
      if (xy.length !== 2 || xy.some((v) => !Number.isFinite(v)))
        throw new Error(`newton: --start must be two numbers like -1.2,1, got ${argv[k]}`)
      o.start = [xy[0], xy[1]]
    } else if (a === '--help' || a === '-h')
      throw new Error('usage: tsx examples/newton.ts [--out out/newton.svg] [--steps 10] [--start -1.2,1]')
    else throw new Error(`newton: unknown argument ${a}`)
  }
  return o
}

/** Runs Newton's method, prints the iterates, writes the SVG. */
export function main(options: NewtonOptions = {}): { iterates: Iterate[]; svg: string; out: string } {
  const log = options.log ?? console.log
  const out = options.out ?? path.join('out', 'newton.svg')
  const iterates = newton(options.start ?? [-1.2, 1], options.steps ?? 10)
  log(`Newton's method on Rosenbrock; minimum 0 at (1, 1)`)
  log(
    `${'step'.padStart(4)}  ${'x'.padStart(10)}  ${'y'.padStart(10)}  ${'f(x, y)'.padStart(10)}  ${'|∇f|'.padStart(10)}`,
  )
  for (const it of iterates) {
    const [x, y] = it.point
    log(
      `${String(it.step).padStart(4)}  ${x.toFixed(6).padStart(10)}  ${y.toFixed(6).padStart(10)}  ${it.value.toExponential(3).padStart(10)}  ${it.gradNorm.toExponential(3).padStart(10)}`,
    )
  }
  const svg = renderSvg(iterates)
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true })
  fs.writeFileSync(out, svg)
  log(`wrote ${out}`)
  return { iterates, svg, out }
}

if (isMain('newton')) {
  try {
    main(parseArgs(process.argv.slice(2)))
  } catch (e) {
    console.error((e as Error).message)
    process.exit(1)
  }
}
