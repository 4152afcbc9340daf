/**
 * The Catch page (catch.html): a DQN learns catch-the-ball live, its learner in a Web Worker.
 *
 * Every animation frame the page plays `speed` moves of the game (1 by default: real time; the
 * speed menu or `?speed=N` fast-forwards) with `agent.act` / `agent.learn`, then lets the worker
 * catch up (`agent.sync()`) before the next moves, while frames keep being drawn. Waiting for the
 * learner between chunks of moves makes a run repeatable: with `?seed=S&speed=N` the agent learns
 * the same way on every machine, however fast its worker is. The reward curve shows the mean
 * reward of the last 50 balls (+1 caught, −1 missed) against a random policy's.
 *
 * For test/browser/web-checks.mjs the page keeps its numbers in `window.__catch`.
 */
import { Random } from '../../src/index.js'
import * as rl from '../../src/rl/index.js'
import { BALL_RADIUS, Catch, FALL_STEPS, PADDLE_HALF } from '../rl/catch.js'
import spec, { seedFromLocation } from './catch-agent.js'

const params = new URLSearchParams(location.search)
const seed = seedFromLocation()
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

/** What the page shows and the browser test reads. */
interface CatchState {
  ready: boolean
  seed: number
  speed: number
  episodes: number
  rewards: number[]
  randomMean: number
  steps: number
  epsilon: number
  /** Frame times of the last 120 frames, ms. */
  frameMs: number[]
  /** Agents loaded from a file, and the last load's error. */
  loads: number
  loadError: string | null
  error: string | null
}
const page: CatchState = {
  ready: false,
  seed,
  speed: 1,
  episodes: 0,
  rewards: [],
  randomMean: NaN,
  steps: 0,
  epsilon: 1,
  frameMs: [],
  loads: 0,
  loadError: null,
  error: null,
}
;(window as unknown as { __catch: CatchState }).__catch = page

/** The mean reward of a random policy over 2,000 balls of the same game. */
function randomPolicyMean(): number {
  const game = new Catch(seed)
  const rng = new Random(seed + 100)
  let total = 0
  for (let e = 0; e < 2000; e++) {
    game.reset()
    for (;;) {
      const { reward, done } = game.step(rng.int(3))
      if (done) {
        total += reward
        break
      }
    }
  }
  return total / 2000
}

function drawGame(ctx: CanvasRenderingContext2D, game: Catch, flash: number): void {
  const { width: w, height: h } = ctx.canvas
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, w, h)
  if (flash !== 0) {
    // A short glow along the floor: green for a catch, red for a miss.
    ctx.fillStyle = flash > 0 ? `rgba(28, 124, 58, ${0.05 * flash})` : `rgba(179, 38, 30, ${-0.05 * flash})`
    ctx.fillRect(0, h - 30, w, 30)
  }
  ctx.fillStyle = '#e8ebf2'
  for (let k = 1; k < FALL_STEPS; k++) ctx.fillRect(0, (k / FALL_STEPS) * (h - 24), w, 1)
  ctx.beginPath()
  ctx.arc(game.ballX * w, game.ballY * (h - 24), BALL_RADIUS * w, 0, 2 * Math.PI)
  ctx.fillStyle = '#d9480f'
  ctx.fill()
  ctx.fillStyle = '#2856b8'
  ctx.fillRect((game.paddleX - PADDLE_HALF) * w, h - 18, 2 * PADDLE_HALF * w, 12)
}

function drawCurve(ctx: CanvasRenderingContext2D, rewards: number[], randomMean: number): void {
  const { width: w, height: h } = ctx.canvas
  const pad = { l: 40, r: 10, t: 12, b: 26 }
  ctx.fillStyle = '#fff'
  ctx.fillRect(0, 0, w, h)
  const x0 = pad.l
  const x1 = w - pad.r
  const n = Math.max(100, rewards.length)
  const X = (i: number) => x0 + ((x1 - x0) * i) / n
  const Y = (r: number) => pad.t + ((1 - r) / 2) * (h - pad.t - pad.b)
  ctx.strokeStyle = '#e1e4ea'
  ctx.fillStyle = '#6b7386'
  ctx.font = '11px system-ui'
  for (const r of [-1, -0.5, 0, 0.5, 1]) {
    ctx.beginPath()
    ctx.moveTo(x0, Y(r))
    ctx.lineTo(x1, Y(r))
    ctx.stroke()
    ctx.fillText(r.toFixed(1), 6, Y(r) + 4)
  }
  ctx.fillText(`balls (${rewards.length})`, x1 - 70, h - 8)
  if (Number.isFinite(randomMean)) {
    ctx.setLineDash([5, 4])
    ctx.strokeStyle = '#9aa1b1'
    ctx.beginPath()
    ctx.moveTo(x0, Y(randomMean))
    ctx.lineTo(x1, Y(randomMean))
    ctx.stroke()
    ctx.setLineDash([])
    ctx.fillText('random policy', x1 - 80, Y(randomMean) + 14)
  }
  ctx.strokeStyle = '#2856b8'
  ctx.lineWidth = 2
  ctx.beginPath()
  let sum = 0
  for (let i = 0; i < rewards.length; i++) {
    sum += rewards[i] - (i >= 50 ? rewards[i - 50] : 0)
    const m = sum / Math.min(i + 1, 50)
    if (i === 0) ctx.moveTo(X(i), Y(m))
    else ctx.lineTo(X(i), Y(m))
  }
  ctx.stroke()
  ctx.lineWidth = 1
  ctx.fillStyle = '#2856b8'
  ctx.fillText('mean reward of the last 50 balls', x0 + 6, pad.t + 10)
}

function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

async function main(): Promise<void> {
  const status = $('status')
  const speedSelect = $<HTMLSelectElement>('speed')
  const speedParam = Number(params.get('speed') ?? 1)
  page.speed = Number.isInteger(speedParam) && speedParam >= 1 ? speedParam : 1
  if (!Array.from(speedSelect.options).some((o) => Number(o.value) === page.speed))
    speedSelect.add(new Option(`${page.speed}×`, String(page.speed)))
  speedSelect.value = String(page.speed)
  speedSelect.addEventListener('change', () => (page.speed = Number(speedSelect.value)))

  const agent = await rl.startDQN(spec, { worker: new URL(`./catch-agent.js?seed=${seed}`, import.meta.url) })
  page.randomMean = randomPolicyMean()
  const game = new Catch(seed)
  let state = game.reset()
  let paused = false
  let busy = false // a sync, save or load is under way: no moves meanwhile
  let flash = 0
  let last = -1
  const gameCtx = $<HTMLCanvasElement>('game').getContext('2d')!
  const curveCtx = $<HTMLCanvasElement>('curve').getContext('2d')!
  page.ready = true
  status.textContent = `learning (seed ${seed})`

  const pauseButton = $<HTMLButtonElement>('pause')
  pauseButton.addEventListener('click', () => {
    paused = !paused
    pauseButton.textContent = paused ? 'resume' : 'pause'
  })
  const whileBusy = async (what: string, work: () => Promise<void>) => {
    while (busy) await new Promise((r) => setTimeout(r, 5))
    busy = true
    status.textContent = `${what}…`
    try {
      await work()
      status.textContent = `${what}: done`
    } catch (e) {
      status.textContent = `${what} failed: ${(e as Error).message}`
      if (what === 'loading') page.loadError = (e as Error).message
    } finally {
      busy = false
    }
  }
  $('save').addEventListener('click', () =>
    whileBusy('saving', async () =>
      download(JSON.stringify(await agent.save()), `catch-agent-seed${seed}-${agent.steps}.json`),
    ),
  )
  const fileInput = $<HTMLInputElement>('load')
  $('load-button').addEventListener('click', () => fileInput.click())
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0]
    if (!file) return
    void whileBusy('loading', async () => {
      await agent.load(await file.text())
      state = game.reset()
      page.rewards = []
      page.episodes = agent.episodes
      page.loads++
    })
    fileInput.value = ''
  })

  const frame = (t: number) => {
    if (last >= 0) {
      page.frameMs.push(t - last)
      if (page.frameMs.length > 120) page.frameMs.shift()
    }
    last = t
    if (!paused && !busy && !page.error) {
      try {
        for (let k = 0; k < page.speed; k++) {
          const action = agent.act(state)
          const { state: next, reward, done } = game.step(action)
          agent.learn(reward, next, done)
          if (done) {
            page.rewards.push(reward)
            flash = reward * 8
            state = game.reset()
          } else state = next
        }
        busy = true
        agent.sync().then(
          () => (busy = false),
          (e) => (page.error = String(e.message ?? e)),
        )
      } catch (e) {
        page.error = String((e as Error).message ?? e)
      }
    }
    page.episodes = agent.episodes
    page.steps = agent.steps
    page.epsilon = agent.epsilon
    drawGame(gameCtx, game, flash)
    flash -= Math.sign(flash)
    drawCurve(curveCtx, page.rewards, page.randomMean)
    const recent = page.rewards.slice(-50)
    const ms = page.frameMs.slice().sort((a, b) => a - b)
    $('stats').textContent = [
      `balls ${agent.episodes}   moves ${agent.steps}   ε ${agent.epsilon.toFixed(3)}`,
      `mean reward, last 50 balls: ${recent.length ? (recent.reduce((a, b) => a + b, 0) / recent.length).toFixed(2) : '—'}   random policy: ${page.randomMean.toFixed(2)}`,
      `learner loss ${agent.lastLoss === null ? '—' : agent.lastLoss.toFixed(4)}   frame ${ms.length ? ms[ms.length >> 1].toFixed(1) : '—'} ms (median of the last 120)`,
      page.error ? `error: ${page.error}` : '',
    ].join('\n')
    requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
}

main().catch((e) => {
  page.error = String(e && e.stack ? e.stack : e)
  document.getElementById('status')!.textContent = `error: ${e}`
})
