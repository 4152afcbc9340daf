/**
 * micrograd's demo on tapegrad: a 2-16-16-1 ReLU MLP separates the two moons with a max-margin
 * (hinge) loss, L2 regularisation and SGD whose step size falls from 1.0 to 0.1 — the same recipe
 * as micrograd's `demo.ipynb`, but on tensors: one forward pass over all 100 points per step
 * instead of a graph of scalars. Then it draws the decision boundary as an SVG, by hand.
 *
 *   npx tsx examples/moons.ts              # writes out/moons.svg
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { noGrad, seed as setSeed, Tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { sgd } from '../optimizers/index.js'
import { isMain } from './is-main.js'

/** Options of `main`. */
export interface MoonsOptions {
  /** Number of points (default 100, as micrograd). */
  n: number
  /** Full-batch SGD steps (default 100). */
  steps: number
  /** Seed of the data and of the weights (default 1). */
  seed: number
  /** Noise of the moons (default 0.1). */
  noise: number
  /** L2 regularisation strength α in loss + α·Σ p² (default 1e-4). */
  alpha: number
  /** Where to write the SVG (default 'out/moons.svg'; null: do not write). */
  out: string | null
  log: (line: string) => void
}

export interface MoonsResult {
  /** Fraction of the training points on the right side of the boundary. */
  accuracy: number
  loss: number
  svg: string
  svgPath: string | null
}

const defaults: MoonsOptions = {
  n: 100,
  steps: 100,
  seed: 1,
  noise: 0.1,
  alpha: 1e-4,
  out: 'out/moons.svg',
  log: (l) => console.log(l),
}

/** Σ p² over every parameter (a composite: its gradient is 2p). */
function sumOfSquares(net: nn.Module): Tensor {
  return net
    .namedParameters()
    .map(([, p]) => p.square().sum())
    .reduce((a, b) => a.add(b))
}

/** Trains the net and draws the boundary. */
export function main(options: Partial<MoonsOptions> = {}): MoonsResult {
  const o = { ...defaults, ...options }
  const { X, y } = nn.moons(o.n, { noise: o.noise, seed: o.seed })
  const target = y.mul(2).sub(1).reshape([o.n, 1]) // classes 0/1 → −1/+1 for the hinge loss

  setSeed(o.seed)
  const net = new nn.MLP([2, 16, 16, 1], { activation: 'relu' })
  // micrograd's schedule: step size 1.0 − 0.9·k/100, falling to 0.1 over the run.
  const opt = sgd((k: number) => 1.0 - (0.9 * k) / o.steps).attach(net.parameters())

  let loss = 0
  let accuracy: number
  for (let k = 0; k < o.steps; k++) {
    const scores = net.forward(X)
    const dataLoss = nn.hinge(scores, target)
    const total = dataLoss.add(sumOfSquares(net).mul(o.alpha))
    opt.zeroGrad()
    total.backward()
    opt.step()
    loss = total.item()
    accuracy = agreement(scores, target)
    if (k % 10 === 0 || k === o.steps - 1)
      o.log(`step ${String(k).padStart(3)}  loss ${loss.toFixed(4)}  accuracy ${(accuracy * 100).toFixed(0)}%`)
  }
  accuracy = noGrad(() => agreement(net.forward(X), target))

  const svg = drawBoundary(net, X, y)
  let svgPath: string | null = null
  if (o.out) {
    svgPath = path.resolve(o.out)
    fs.mkdirSync(path.dirname(svgPath), { recursive: true })
    fs.writeFileSync(svgPath, svg)
    o.log(`decision boundary written to ${path.relative(process.cwd(), svgPath)}`)
  }
  return { accuracy, loss, svg, svgPath }
}

/** Fraction of samples whose score has the target's sign. */
function agreement(scores: Tensor, target: Tensor): number {
  let right = 0
  for (let i = 0; i < target.size; i++) if (scores.data[i] > 0 === target.data[i] > 0) right++
  return right / target.size
}

/** The plane coloured by the sign of the net's score, with the data points on top. */
function drawBoundary(net: nn.Module, X: Tensor, y: Tensor): string {
  const xs = Array.from({ length: X.shape[0] }, (_, i) => X.data[2 * i])
  const ys = Array.from({ length: X.shape[0] }, (_, i) => X.data[2 * i + 1])
  const [x0, x1] = [Math.min(...xs) - 0.5, Math.max(...xs) + 0.5]
  const [y0, y1] = [Math.min(...ys) - 0.5, Math.max(...ys) + 0.5]
  const W = 480
  const H = Math.round((W * (y1 - y0)) / (x1 - x0))
  const cells = 80
  const cw = W / cells
  const rows = Math.ceil(H / cw)
  // Score every cell centre in one forward pass, without a tape.
  const grid = new Float32Array(cells * rows * 2)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cells; c++) {
      grid[2 * (r * cells + c)] = x0 + ((c + 0.5) * cw * (x1 - x0)) / W
      grid[2 * (r * cells + c) + 1] = y1 - ((r + 0.5) * cw * (y1 - y0)) / H
    }
  }
  const scores = noGrad(() => net.eval().forward(new Tensor(grid, [cells * rows, 2]))).data
  net.train()
  const px = (x: number) => (((x - x0) / (x1 - x0)) * W).toFixed(1)
  const py = (v: number) => (((y1 - v) / (y1 - y0)) * H).toFixed(1)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<title>moons: decision boundary of a 2-16-16-1 MLP</title>`,
  ]
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cells; c++) {
      const fill = scores[r * cells + c] > 0 ? '#f6c7c3' : '#c3d7f6'
      parts.push(
        `<rect x="${(c * cw).toFixed(1)}" y="${(r * cw).toFixed(1)}" width="${(cw + 0.3).toFixed(1)}" height="${(cw + 0.3).toFixed(1)}" fill="${fill}"/>`,
      )
    }
  }
  for (let i = 0; i < xs.length; i++) {
    const fill = y.data[i] > 0.5 ? '#c0392b' : '#2c5aa0'
    parts.push(`<circle cx="${px(xs[i])}" cy="${py(ys[i])}" r="4" fill="${fill}" stroke="white" stroke-width="1"/>`)
  }
  parts.push('</svg>', '')
  return parts.join('\n')
}

if (isMain('moons')) {
  const { accuracy } = main()
  console.log(`train accuracy ${(accuracy * 100).toFixed(1)}%`)
}
