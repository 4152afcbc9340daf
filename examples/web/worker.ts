/**
 * The frame-time page (worker.html): does training steal the main thread's frames?
 *
 * A requestAnimationFrame loop draws a small scene and, every frame, classifies one digit with
 * the main thread's copy of the net (`trainer.model`, which follows the newest weights). Then the
 * same loop trains the 784-128-10 MLP of mnist-training.ts for the same batches:
 * - 'worker': `startTraining(spec, { worker })`, `for (…) await trainer.train(batch)`;
 * - 'main': the same code without the `worker` option — each `train` runs its step before it
 *   resolves, so the loop never yields and no frame is drawn until it ends;
 * - 'main, ≤ 8 ms per frame': training inside the animation frame, as many steps as fit in 8 ms
 *   (how a game trains on the main thread without freezing: frames keep, training slows).
 * Each run reports its frame times (p50, p99, max) and steps per second. With `?auto` the page
 * runs them all (`&steps=N`, default 300) and leaves the numbers in `window.__frames` for
 * test/browser/web-checks.mjs.
 */
import { noGrad, Tensor } from '../../src/index.js'
import { startTraining, type Trainer } from '../../src/worker/index.js'
import type * as nn from '../../src/nn/index.js'
import spec from './mnist-training.js'

type Mode = 'idle' | 'worker' | 'main' | 'budget'
const LABELS: Record<Mode, string> = {
  idle: 'none (idle page)',
  worker: 'in a worker',
  main: 'on the main thread',
  budget: 'main thread, ≤ 8 ms per frame',
}
const BATCH = 64
const WARMUP = 3

interface Digits {
  n: number
  labels: Uint8Array
  pixels: Float32Array
}

/** One measured run. */
export interface FrameRow {
  mode: Mode
  label: string
  steps: number
  seconds: number
  stepsPerSecond: number
  frames: number
  p50: number
  p99: number
  max: number
  loss: number | null
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

async function loadDigits(): Promise<Digits> {
  const bytes = new Uint8Array(await (await fetch('/data/mnist.bin')).arrayBuffer())
  const n = new DataView(bytes.buffer).getUint32(0, true)
  const labels = bytes.slice(4, 4 + n)
  const pixels = new Float32Array(n * 784)
  for (let i = 0; i < n * 784; i++) pixels[i] = bytes[4 + n + i] / 255
  return { n, labels, pixels }
}

/** Batch k: BATCH consecutive digits, in fresh arrays (train() moves them to the learner). */
function batch(d: Digits, k: number) {
  const x = new Float32Array(BATCH * 784)
  const y = new Float32Array(BATCH)
  for (let b = 0; b < BATCH; b++) {
    const i = (k * BATCH + b) % d.n
    x.set(d.pixels.subarray(i * 784, (i + 1) * 784), b * 784)
    y[b] = d.labels[i]
  }
  return { x: { data: x, shape: [BATCH, 784] }, y }
}

/** The animation: spinning spokes, and one digit classified by the main thread's net. */
function drawScene(ctx: CanvasRenderingContext2D, t: number, d: Digits, net: nn.MLP | null, frame: number): void {
  const { width: w, height: h } = ctx.canvas
  ctx.fillStyle = '#fff'
  ctx.fillRect(0, 0, w, h)
  ctx.save()
  ctx.translate(110, h / 2)
  for (let k = 0; k < 12; k++) {
    ctx.rotate(Math.PI / 6)
    ctx.fillStyle = `hsl(${(k * 30 + t / 10) % 360} 70% 55%)`
    ctx.fillRect(20, -4, 60, 8)
  }
  ctx.restore()
  const i = Math.floor(frame / 20) % d.n
  const img = ctx.createImageData(28, 28)
  for (let p = 0; p < 784; p++) {
    const v = 255 - Math.round(d.pixels[i * 784 + p] * 255)
    img.data.set([v, v, v, 255], p * 4)
  }
  ctx.putImageData(img, 230, 40)
  if (net) {
    const logits = noGrad(() => net.forward(new Tensor(d.pixels.slice(i * 784, (i + 1) * 784), [1, 784]))).data
    let best = 0
    for (let c = 1; c < 10; c++) if (logits[c] > logits[best]) best = c
    ctx.fillStyle = best === d.labels[i] ? '#1c7c3a' : '#b3261e'
    ctx.font = '16px system-ui'
    ctx.fillText(`net says ${best} (is ${d.labels[i]})`, 210, 100)
  }
}

const nextFrame = () => new Promise<number>((r) => requestAnimationFrame(r))

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

/** Runs one mode for `steps` steps while the animation runs; returns its numbers. */
async function measure(d: Digits, ctx: CanvasRenderingContext2D, mode: Mode, steps: number): Promise<FrameRow> {
  let trainer: Trainer<nn.MLP> | null = null
  if (mode !== 'idle') {
    trainer = await startTraining(
      spec,
      mode === 'worker' ? { worker: new URL('./mnist-training.js', import.meta.url) } : {},
    )
    for (let k = 0; k < WARMUP; k++) await trainer.train(batch(d, k))
    await trainer.flush()
  }
  const frames: number[] = []
  let last = -1
  let running = true
  let count = 0
  const loop = (t: number) => {
    if (last >= 0) frames.push(t - last)
    last = t
    drawScene(ctx, t, d, trainer ? trainer.model : null, count++)
    if (running) requestAnimationFrame(loop)
  }
  requestAnimationFrame(loop)
  await nextFrame()
  await nextFrame()
  const t0 = performance.now()
  if (mode === 'idle') {
    for (let f = 0; f < 60; f++) await nextFrame()
  } else if (mode === 'budget') {
    for (let k = 0; k < steps;) {
      await nextFrame()
      const start = performance.now()
      while (k < steps && performance.now() - start < 8) void trainer!.train(batch(d, WARMUP + k++))
    }
  } else {
    for (let k = 0; k < steps; k++) await trainer!.train(batch(d, WARMUP + k))
  }
  const info = trainer ? await trainer.flush() : { step: 0, loss: null }
  const seconds = (performance.now() - t0) / 1000
  // Two more frames, so that the frame a blocking run delayed is counted.
  await nextFrame()
  await nextFrame()
  running = false
  await trainer?.terminate()
  const sorted = frames.slice().sort((a, b) => a - b)
  const done = mode === 'idle' ? 0 : steps
  return {
    mode,
    label: LABELS[mode],
    steps: done,
    seconds,
    stepsPerSecond: done / seconds,
    frames: frames.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    loss: info.step === WARMUP + done ? info.loss : null,
  }
}

function show(row: FrameRow): void {
  const tr = document.createElement('tr')
  const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
  for (const cell of [
    row.label,
    String(row.steps),
    row.steps ? f(row.stepsPerSecond, 0) : '—',
    String(row.frames),
    f(row.p50),
    f(row.p99),
    f(row.max),
    row.loss === null ? '—' : row.loss.toFixed(4),
  ]) {
    const td = document.createElement('td')
    td.textContent = cell
    tr.appendChild(td)
  }
  $('results').querySelector('tbody')!.appendChild(tr)
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search)
  const digits = await loadDigits()
  const ctx = $<HTMLCanvasElement>('scene').getContext('2d')!
  const status = $('status')
  status.textContent = `${digits.n} digits loaded`
  const stepsInput = $<HTMLInputElement>('steps')
  if (params.has('steps')) stepsInput.value = params.get('steps')!
  const buttons = ['worker', 'main', 'budget'].map((id) => $<HTMLButtonElement>(id))
  const run = async (mode: Mode) => {
    const steps = Math.max(1, Math.floor(Number(stepsInput.value)) || 300)
    buttons.forEach((b) => (b.disabled = true))
    status.textContent = `training ${LABELS[mode]}…`
    try {
      const row = await measure(digits, ctx, mode, steps)
      show(row)
      status.textContent = `done: ${LABELS[mode]}`
      return row
    } finally {
      buttons.forEach((b) => (b.disabled = false))
    }
  }
  for (const b of buttons) b.addEventListener('click', () => void run(b.id as Mode))
  if (params.has('auto')) {
    const rows: FrameRow[] = []
    for (const mode of ['idle', 'worker', 'main', 'budget'] as Mode[]) rows.push(await run(mode))
    ;(window as unknown as { __frames: unknown }).__frames = { rows }
  } else {
    void measure(digits, ctx, 'idle', 0) // keep the scene moving
  }
}

main().catch((e) => {
  ;(window as unknown as { __frames: unknown }).__frames = { error: String(e && e.stack ? e.stack : e) }
  document.getElementById('status')!.textContent = `error: ${e}`
})
