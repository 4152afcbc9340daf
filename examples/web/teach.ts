/**
 * The teaching page (teach.html), in two parts.
 *
 * Inside the tape: the student's expression (expr.ts: parsed by hand, no eval) is evaluated with
 * tapegrad ops on float64 scalars, so the tape records it op by op. The tape is drawn with
 * `toDot` + `toSvg` (Graphviz in WebAssembly), and `tapeOf(f).backwardSteps()` walks the backward
 * pass one entry per click: the drawing highlights the entry just run, and the table shows every
 * tensor's value and its gradient so far (`steps.gradient(t)`), next to what `f.backward()` gives.
 *
 * The optimizer race: sgd, momentum and adam from tapegrad/optimizers on Rosenbrock, each with a
 * step-size slider; Adam's bias-corrected averages are drawn as a velocity arrow (m̂) and a speed
 * box (√v̂ per coordinate), read from its optimizer state.
 *
 * For test/browser/web-checks.mjs the page offers `window.__teach`.
 */
import {
  backward,
  tapeOf,
  tensor,
  toDot,
  toSvg,
  valueAndGrad,
  type BackwardSteps,
  type Tape,
  type Tensor,
} from '../../src/index.js'
import { adam, momentum, sgd, type Optimizer, type OptState } from '../../optimizers/index.js'
import { contour, toPixels, type View } from '../contour.js'
import { evaluate, parseExpression, variablesOf, type Expr } from './expr.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(6))

// ---------------------------------------------------------------------------------------------
// Inside the tape

/** An expression recorded on a tape, with its leaves. */
interface Recorded {
  expr: Expr
  leaves: Record<string, Tensor>
  f: Tensor
  tape: Tape
}

const DEFAULTS: Record<string, number> = { x: 0.5, y: -1.5, b: 0.8, a: 2, c: -0.3, w: 1.2 }

/** Parses and evaluates `text` on fresh float64 leaves (which need gradients). */
function record(text: string, values: Record<string, number>): Recorded {
  const expr = parseExpression(text)
  const leaves: Record<string, Tensor> = {}
  for (const name of variablesOf(expr)) {
    leaves[name] = tensor(values[name] ?? DEFAULTS[name] ?? 1, { dtype: 'float64', requiresGrad: true })
    leaves[name].label = name
  }
  const f = evaluate(expr, leaves)
  return { expr, leaves, f, tape: tapeOf(f) }
}

/** What `f.backward()` gives each variable, on a fresh recording of the same expression. */
function backwardGradients(text: string, values: Record<string, number>): Record<string, number> {
  const again = record(text, values)
  backward(again.f)
  return Object.fromEntries(Object.entries(again.leaves).map(([n, t]) => [n, t.grad ? t.grad.data[0] : 0]))
}

/**
 * How far stepped gradients are from backward()'s: the largest relative difference. They agree
 * to the last bits, not always in the last bit: backward() runs some ops' first-order rules as
 * fused loops (`fastBackward`), the stepper runs their differentiable rules, which round once or
 * twice more (e.g. sqrt's g·½/out against g/(2·out)).
 */
function difference(a: Record<string, number>, b: Record<string, number>): number {
  let worst = 0
  for (const n of Object.keys(b))
    worst = Math.max(worst, a[n] === b[n] ? 0 : Math.abs(a[n] - b[n]) / Math.max(Math.abs(b[n]), 1e-300))
  return worst
}

/** Relative agreement the page and its test ask for (float64: a few roundings apart). */
const AGREE = 1e-12

/**
 * Steps the whole backward pass of `text` and returns each variable's gradient, the number of
 * steps, and what backward() gives: the check the browser test runs.
 */
function check(text: string, values: Record<string, number> = {}) {
  const r = record(text, values)
  const steps = r.tape.backwardSteps()
  let count = 0
  while (steps.next()) count++
  const stepped = Object.fromEntries(Object.entries(r.leaves).map(([n, t]) => [n, steps.gradient(t)?.data[0] ?? 0]))
  const reference = backwardGradients(text, values)
  const diff = difference(stepped, reference)
  return {
    stepped,
    backward: reference,
    steps: count,
    entries: r.tape.entries.length,
    bitForBit: diff === 0,
    difference: diff,
    agree: diff <= AGREE,
  }
}

class TapeView {
  private rec: Recorded | null = null
  private steps: BackwardSteps | null = null
  private current = -1
  private reference: Record<string, number> = {}
  private rendering: Promise<void> = Promise.resolve()
  /** Steps taken on the current tape. */
  taken = 0

  constructor() {
    $('build').addEventListener('click', () => this.build())
    $('expr').addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && this.build())
    $('expr').addEventListener('input', () => this.showVariables())
    $('step').addEventListener('click', () => this.step())
    $('run').addEventListener('click', () => {
      while (this.step()) continue
    })
    this.showVariables()
  }

  /** One number input per variable of the expression as typed (kept when the expression changes). */
  private showVariables(): void {
    const box = $('vars')
    let names: string[]
    try {
      names = variablesOf(parseExpression($<HTMLInputElement>('expr').value))
    } catch {
      return // the message appears on record
    }
    const old = this.values()
    box.textContent = ''
    for (const n of names) {
      const label = document.createElement('label')
      label.textContent = ` ${n} = `
      const input = document.createElement('input')
      input.type = 'text'
      input.size = 5
      input.id = `var-${n}`
      input.value = String(old[n] ?? DEFAULTS[n] ?? 1)
      input.addEventListener('keydown', (e) => e.key === 'Enter' && this.build())
      label.appendChild(input)
      box.appendChild(label)
    }
  }

  private values(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const input of Array.from(document.querySelectorAll<HTMLInputElement>('#vars input')))
      out[input.id.slice(4)] = Number(input.value)
    return out
  }

  build(): boolean {
    const text = $<HTMLInputElement>('expr').value
    const message = $('message')
    try {
      const values = this.values()
      for (const [n, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new Error(`${n} must be a number`)
      this.rec = record(text, values)
      if (this.rec.tape.entries.length === 0) throw new Error('nothing to record: the expression has no variable')
      this.steps = this.rec.tape.backwardSteps()
      this.reference = backwardGradients(text, values)
      this.current = -1
      this.taken = 0
      message.className = 'muted'
      message.textContent = `f = ${fmt(this.rec.f.data[0])}: ${this.rec.tape.entries.length} entries on the tape. Step backward from the newest; the seed is ∂f/∂f = 1.`
    } catch (e) {
      this.rec = null
      this.steps = null
      message.className = 'error'
      message.textContent = (e as Error).message
      $('graph').textContent = ''
      $('values').querySelector('tbody')!.textContent = ''
      return false
    }
    this.show()
    return true
  }

  /** Runs one backward entry; returns false once the pass is done. */
  step(): boolean {
    if (!this.steps || !this.rec) return false
    const s = this.steps.next()
    const message = $('message')
    if (!s) {
      const stepped = Object.fromEntries(
        Object.entries(this.rec.leaves).map(([n, t]) => [n, this.steps!.gradient(t)?.data[0] ?? 0]),
      )
      const diff = difference(stepped, this.reference)
      message.className = diff <= AGREE ? 'ok' : 'error'
      message.textContent =
        diff === 0
          ? `done: every gradient equals what f.backward() gives, bit for bit (${this.taken} steps).`
          : diff <= AGREE
            ? `done: every gradient equals what f.backward() gives, to ${diff.toExponential(1)} (${this.taken} steps; backward() runs some rules as fused loops, which round differently in the last bits).`
            : `done, but a gradient differs from f.backward() by ${diff.toExponential(1)}: a bug to report.`
      this.current = -1
      this.show()
      return false
    }
    this.taken++
    this.current = this.rec.tape.entries.findIndex((e) => e === s.entry)
    const sent = s.inputGrads
      .map((g, i) => `${this.nameOf(s.entry.inputs[i])} gets ${g ? fmt(g.data[0]) : 'nothing'}`)
      .join(', ')
    message.className = 'muted'
    message.textContent = `step ${this.taken}: #${this.current + 1} ${s.entry.op} ran its backward rule with ∂f/∂out = ${fmt(this.steps.gradient(s.entry.output)!.data[0])}: ${sent}.`
    this.show()
    return true
  }

  private nameOf(t: Tensor): string {
    if (!this.rec) return '?'
    if (t.label) return t.label
    const k = this.rec.tape.entries.findIndex((e) => e.output === t)
    return k >= 0 ? `#${k + 1} ${this.rec.tape.entries[k].op}` : 'a constant'
  }

  /** Redraws the tape and the table. */
  private show(): void {
    const rec = this.rec
    const steps = this.steps
    if (!rec || !steps) return
    const tbody = $('values').querySelector('tbody')!
    tbody.textContent = ''
    const rows: [string, Tensor, number][] = Object.values(rec.leaves).map((t) => [t.label!, t, -1])
    rec.tape.entries.forEach((e, k) => rows.push([`#${k + 1} ${e.op}`, e.output, k]))
    for (const [name, t, k] of rows) {
      const tr = document.createElement('tr')
      if (k >= 0 && k === this.current) tr.className = 'current'
      const g = steps.gradient(t)
      const ref = t.label ? this.reference[t.label] : undefined
      for (const [text, cls] of [
        [name, ''],
        [fmt(t.data[0]), 'num'],
        [g ? fmt(g.data[0]) : '—', 'num'],
        [ref === undefined ? '' : fmt(ref), 'num'],
      ]) {
        const td = document.createElement('td')
        td.textContent = text
        if (cls) td.className = cls
        tr.appendChild(td)
      }
      tr.dataset.name = name
      tbody.appendChild(tr)
    }
    const dot = toDot(rec.f, {
      names: rec.leaves,
      gradient: (t) => steps.gradient(t),
      highlight: this.current >= 0 ? [this.current] : [],
    })
    // Renders in order; a slow render never overwrites a newer one with an older picture.
    this.rendering = this.rendering.then(async () => {
      try {
        $('graph').innerHTML = await toSvg(dot)
      } catch (e) {
        $('graph').textContent = `could not draw the tape: ${(e as Error).message}`
      }
    })
  }

  /** Resolves once the last drawing is on the page. */
  drawn(): Promise<void> {
    return this.rendering
  }
}

// ---------------------------------------------------------------------------------------------
// The optimizer race

const START: [number, number] = [-1.2, 1]
const VIEW: View = { x0: -2, x1: 2, y0: -1, y1: 3, size: 480 }
const rosenbrockValue = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2
const rosenbrock = (p: { x: Tensor; y: Tensor }) => {
  const { x, y } = p
  return x.neg().add(1).square().add(y.sub(x.square()).square().mul(100))
}
const lossAndGrad = valueAndGrad(rosenbrock)

interface Runner {
  name: 'sgd' | 'momentum' | 'adam'
  color: string
  log10: number
  make: (lr: number) => Optimizer
  opt: Optimizer
  state: OptState<{ x: Tensor; y: Tensor }>
  path: [number, number][]
  /** The last step's move, (Δx, Δy). */
  lastMove: [number, number]
}

class Race {
  runners: Runner[]
  playing = true
  private readonly ctx: CanvasRenderingContext2D
  private readonly background: ImageData

  constructor() {
    const specs: Pick<Runner, 'name' | 'color' | 'log10' | 'make'>[] = [
      { name: 'sgd', color: '#6b7386', log10: -3, make: (lr) => sgd(lr) },
      { name: 'momentum', color: '#2856b8', log10: -3, make: (lr) => momentum(lr, 0.9) },
      { name: 'adam', color: '#d62828', log10: Math.log10(0.02), make: (lr) => adam(lr) },
    ]
    this.runners = specs.map((s) => this.fresh(s))
    this.ctx = $<HTMLCanvasElement>('race').getContext('2d')!
    this.background = this.drawBackground()
    const tbody = $('race-stats').querySelector('tbody')!
    for (const r of this.runners) {
      const tr = document.createElement('tr')
      tr.innerHTML = `<td style="color:${r.color};font-weight:600">${r.name}</td><td><input type="range" min="-4" max="-0.5" step="0.05" id="lr-${r.name}"></td><td class="num" id="lrv-${r.name}"></td><td class="num" id="step-${r.name}"></td><td class="num" id="loss-${r.name}"></td>`
      tbody.appendChild(tr)
      const slider = $<HTMLInputElement>(`lr-${r.name}`)
      slider.value = String(r.log10)
      slider.addEventListener('input', () => this.setStepSize(r.name, Number(slider.value)))
    }
    $('race-play').addEventListener('click', () => {
      this.playing = !this.playing
      $('race-play').textContent = this.playing ? 'pause' : 'play'
    })
    $('race-reset').addEventListener('click', () => this.reset())
    this.showStats()
  }

  private fresh(s: Pick<Runner, 'name' | 'color' | 'log10' | 'make'>): Runner {
    const opt = s.make(10 ** s.log10)
    return { ...s, opt, state: opt.init({ x: tensor(START[0]), y: tensor(START[1]) }), path: [START], lastMove: [0, 0] }
  }

  /** A new step size restarts that runner from the start. */
  setStepSize(name: Runner['name'], log10: number): void {
    const k = this.runners.findIndex((r) => r.name === name)
    this.runners[k] = this.fresh({ ...this.runners[k], log10 })
    this.showStats()
  }

  reset(): void {
    this.runners = this.runners.map((r) => this.fresh(r))
    this.showStats()
  }

  /** `n` steps of every optimizer. */
  advance(n: number): void {
    for (const r of this.runners) {
      for (let k = 0; k < n; k++) {
        const before = [r.state.params[0], r.state.params[1]]
        if (!Number.isFinite(before[0]) || Math.abs(before[0]) > 1e6) break // diverged: it stays off the chart
        const [, grads] = lossAndGrad(r.opt.getParams(r.state))
        r.state = r.opt.update(r.state.step, grads, r.state)
        const p = r.state.params
        r.lastMove = [p[0] - before[0], p[1] - before[1]]
        r.path.push([p[0], p[1]])
      }
      if (r.path.length > 4000) r.path.splice(1, r.path.length - 4000)
    }
  }

  /** Adam's velocity m̂ and speed √v̂ per coordinate (bias-corrected, as its update uses them). */
  adamReading(): {
    velocity: [number, number]
    speed: [number, number]
    ratio: [number, number]
    move: [number, number]
    stepSize: number
  } | null {
    const r = this.runners.find((x) => x.name === 'adam')!
    const t = r.state.step
    if (t === 0) return null
    const { m, v } = r.state.slots
    const c1 = 1 - 0.9 ** t
    const c2 = 1 - 0.999 ** t
    const velocity: [number, number] = [m[0] / c1, m[1] / c1]
    const speed: [number, number] = [Math.sqrt(v[0] / c2), Math.sqrt(v[1] / c2)]
    return {
      velocity,
      speed,
      ratio: [velocity[0] / (speed[0] + 1e-8), velocity[1] / (speed[1] + 1e-8)],
      move: r.lastMove,
      stepSize: 10 ** r.log10,
    }
  }

  private drawBackground(): ImageData {
    const ctx = this.ctx
    const { size } = VIEW
    const img = ctx.createImageData(size, size)
    for (let py = 0; py < size; py++) {
      for (let px = 0; px < size; px++) {
        const x = VIEW.x0 + ((VIEW.x1 - VIEW.x0) * (px + 0.5)) / size
        const y = VIEW.y1 - ((VIEW.y1 - VIEW.y0) * (py + 0.5)) / size
        const shade = Math.max(0, Math.min(1, Math.log10(1 + rosenbrockValue(x, y)) / 3.5))
        const o = (py * size + px) * 4
        img.data[o] = 255 - 40 * shade
        img.data[o + 1] = 255 - 30 * shade
        img.data[o + 2] = 255 - 10 * shade
        img.data[o + 3] = 255
      }
    }
    ctx.putImageData(img, 0, 0)
    ctx.strokeStyle = 'rgba(60, 70, 90, 0.35)'
    for (const level of [0.25, 1, 4, 16, 64, 256, 1024])
      ctx.stroke(new Path2D(contour(rosenbrockValue, VIEW, level, 96)))
    const [mx, my] = toPixels(VIEW, 1, 1)
    ctx.fillStyle = '#1d2330'
    ctx.beginPath()
    ctx.arc(mx, my, 4, 0, 2 * Math.PI)
    ctx.fill()
    ctx.fillText('minimum (1, 1)', mx + 8, my + 4)
    return ctx.getImageData(0, 0, size, size)
  }

  draw(): void {
    const ctx = this.ctx
    ctx.putImageData(this.background, 0, 0)
    for (const r of this.runners) {
      ctx.strokeStyle = r.color
      ctx.lineWidth = 1.5
      ctx.beginPath()
      r.path.forEach(([x, y], i) => {
        const [px, py] = toPixels(VIEW, x, y)
        if (i === 0) ctx.moveTo(px, py)
        else ctx.lineTo(px, py)
      })
      ctx.stroke()
      const [x, y] = r.path[r.path.length - 1]
      const [px, py] = toPixels(VIEW, x, y)
      ctx.fillStyle = r.color
      ctx.beginPath()
      ctx.arc(px, py, 4, 0, 2 * Math.PI)
      ctx.fill()
    }
    const a = this.adamReading()
    if (a) {
      const r = this.runners.find((x) => x.name === 'adam')!
      const [x, y] = r.path[r.path.length - 1]
      const [px, py] = toPixels(VIEW, x, y)
      // The speed box: half-widths ∝ √v̂ per coordinate; the velocity arrow: −m̂ (Adam steps
      // against it) at the same scale, so the arrow reaching the box's edge means |m̂| ≈ √v̂:
      // a steady gradient, a full step.
      const scale = 40 / Math.max(a.speed[0], a.speed[1], 1e-12)
      ctx.strokeStyle = 'rgba(214, 40, 40, 0.6)'
      ctx.lineWidth = 1
      ctx.strokeRect(px - a.speed[0] * scale, py - a.speed[1] * scale, 2 * a.speed[0] * scale, 2 * a.speed[1] * scale)
      arrow(ctx, px, py, px - a.velocity[0] * scale, py + a.velocity[1] * scale, '#d62828')
    }
  }

  showStats(): void {
    for (const r of this.runners) {
      $(`lrv-${r.name}`).textContent = (10 ** r.log10).toPrecision(2)
      $(`step-${r.name}`).textContent = String(r.state.step)
      const [x, y] = r.path[r.path.length - 1]
      const f = rosenbrockValue(x, y)
      $(`loss-${r.name}`).textContent = Number.isFinite(f) && f < 1e12 ? f.toExponential(2) : 'diverged'
    }
    const a = this.adamReading()
    $('adam').textContent = a
      ? [
          `Adam, step ${this.runners[2].state.step}:`,
          `  velocity m̂ = (${a.velocity.map((v) => v.toPrecision(3)).join(', ')})`,
          `  speed   √v̂ = (${a.speed.map((v) => v.toPrecision(3)).join(', ')})`,
          `  m̂ / √v̂    = (${a.ratio.map((v) => v.toFixed(3)).join(', ')})   ≈ ±1 where the gradient is steady`,
          `  move = −stepSize · m̂/√v̂ = (${a.move.map((v) => v.toPrecision(3)).join(', ')})`,
        ].join('\n')
      : 'Adam: not started'
  }
}

function arrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number, color: string): void {
  const len = Math.hypot(x1 - x0, y1 - y0)
  if (len < 1) return
  const ux = (x1 - x0) / len
  const uy = (y1 - y0) / len
  ctx.strokeStyle = color
  ctx.fillStyle = color
  ctx.lineWidth = 2
  ctx.beginPath()
  ctx.moveTo(x0, y0)
  ctx.lineTo(x1, y1)
  ctx.stroke()
  ctx.beginPath()
  ctx.moveTo(x1, y1)
  ctx.lineTo(x1 - 8 * ux + 4 * uy, y1 - 8 * uy - 4 * ux)
  ctx.lineTo(x1 - 8 * ux - 4 * uy, y1 - 8 * uy + 4 * ux)
  ctx.fill()
}

// ---------------------------------------------------------------------------------------------

const view = new TapeView()
view.build()
const race = new Race()
const params = new URLSearchParams(location.search)
for (let k = 0; k < Number(params.get('steps') ?? 0); k++) view.step()
if (params.has('race')) race.advance(Number(params.get('race')))

const frame = () => {
  if (race.playing) race.advance(Number($<HTMLSelectElement>('race-speed').value))
  race.draw()
  race.showStats()
  requestAnimationFrame(frame)
}
requestAnimationFrame(frame)

/** What the browser test uses. */
;(window as unknown as { __teach: unknown }).__teach = {
  ready: true,
  check,
  view,
  drawn: () => view.drawn(),
  race: {
    pause: () => (race.playing = false),
    reset: () => race.reset(),
    advance: (n: number) => race.advance(n),
    adam: () => race.adamReading(),
    positions: () =>
      race.runners.map((r) => ({
        name: r.name,
        at: r.path[r.path.length - 1],
        f: rosenbrockValue(...r.path[r.path.length - 1]),
      })),
  },
}
