/**
 * Learning inside a game loop: a goalkeeper that learns, while the game runs, where a bouncing
 * ball will be 20 frames from now.
 *
 * Every frame the ball moves (bouncing off the walls of the unit square). The ball's state from
 * 20 frames ago, paired with where it is now, is a fresh training example: it goes into a replay
 * buffer of the last 4,096 examples, and the keeper's net — a 4-16-16-2 tanh MLP, input
 * (x, y, vx, vy), output the position 20 frames ahead — takes a few Adam steps on random
 * mini-batches from that buffer, as many as fit in the frame's time budget. The bounces make the
 * target a folded, nonlinear function of the state, which a linear predictor cannot follow.
 *
 * What a game needs from an autodiff library is shown here: the per-frame work is bounded by a
 * time budget, and memory does not grow — the tapes and temporaries of each step are ordinary
 * garbage, the batch buffers are reused, and the heap after 10,000 frames is where it was before.
 *
 *   npx tsx examples/game-loop.ts
 */
import * as v8 from 'node:v8'
import * as vm from 'node:vm'
import { noGrad, Random, seed as setSeed, Tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'
import { isMain } from './is-main.js'

/** Options of `main`. */
export interface GameLoopOptions {
  /** Frames to simulate (default 10,000). */
  frames: number
  /** Training steps per frame at most (default 4). */
  stepsPerFrame: number
  /** Time budget for training per frame in ms (default 2; Infinity: always `stepsPerFrame`). */
  budgetMs: number
  /** Samples per training step (default 32). */
  batchSize: number
  /** How far ahead the keeper predicts, in frames (default 20). */
  horizon: number
  seed: number
  log: (line: string) => void
  /** Called after every frame with its number (tests measure time and memory with it). */
  onFrame?: (frame: number) => void
}

export interface GameLoopResult {
  frames: number
  trainingSteps: number
  /** Mean distance between prediction and truth over the first and the last 500 frames. */
  errorFirst: number
  errorLast: number
  /** Error of always predicting "the ball stays where it is", for scale. */
  errorStayPut: number
  /** Heap in use (after a full GC when one can be forced) before and after the main loop, bytes. */
  heapBefore: number
  heapAfter: number
  /** Whether the heap numbers were taken after a forced GC (more exact). */
  gcForced: boolean
  msPerFrame: number
}

const defaults: GameLoopOptions = {
  frames: 10_000,
  stepsPerFrame: 4,
  budgetMs: 2,
  batchSize: 32,
  horizon: 20,
  seed: 0,
  log: (l) => console.log(l),
}

/** A forced full garbage collection, when the VM allows one (so heap numbers mean live data). */
function gcFunction(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc
  if (typeof g === 'function') return g
  try {
    v8.setFlagsFromString('--expose-gc')
    return vm.runInNewContext('gc') as () => void
  } catch {
    return null
  }
}

/** The ball: position and velocity in the unit square, bouncing off the walls. */
class Ball {
  x = 0.5
  y = 0.5
  vx: number
  vy: number
  constructor(rng: Random) {
    const angle = rng.uniform(0, 2 * Math.PI)
    this.vx = 0.013 * Math.cos(angle)
    this.vy = 0.013 * Math.sin(angle)
  }
  step(rng: Random): void {
    this.x += this.vx
    this.y += this.vy
    if (this.x < 0 || this.x > 1) {
      this.vx = -this.vx
      this.x = this.x < 0 ? -this.x : 2 - this.x
    }
    if (this.y < 0 || this.y > 1) {
      this.vy = -this.vy
      this.y = this.y < 0 ? -this.y : 2 - this.y
    }
    // Now and then a kick changes the speed and direction, so the keeper must keep generalising.
    if (rng.next() < 0.005) {
      const angle = rng.uniform(0, 2 * Math.PI)
      const speed = rng.uniform(0.006, 0.02)
      this.vx = speed * Math.cos(angle)
      this.vy = speed * Math.sin(angle)
    }
  }
}

/** Runs the game; see `GameLoopOptions`. */
export function main(options: Partial<GameLoopOptions> = {}): GameLoopResult {
  const o = { ...defaults, ...options }
  const rng = new Random(o.seed)
  setSeed(o.seed)
  const net = new nn.MLP([4, 16, 16, 2], { activation: 'tanh' })
  const trainer = adam(3e-3).attach(net.parameters())

  // Fixed-size buffers, allocated once: the state history, the replay buffer, the batch.
  const H = o.horizon
  const history = new Float32Array((H + 1) * 4) // ring of the last H+1 states (x, y, vx, vy)
  const capacity = 4096
  const replayIn = new Float32Array(capacity * 4)
  const replayOut = new Float32Array(capacity * 2)
  let replaySize = 0
  let replayNext = 0
  const batchX = new Tensor(new Float32Array(o.batchSize * 4), [o.batchSize, 4])
  const batchY = new Tensor(new Float32Array(o.batchSize * 2), [o.batchSize, 2])
  const query = new Tensor(new Float32Array(4), [1, 4])
  const scale = 50 // velocities are ~0.01: scaled up so that all four inputs are of order 1

  const ball = new Ball(rng)
  const errors = new Float64Array(o.frames)
  const stayPut = new Float64Array(o.frames)
  const predictions = new Float32Array((H + 1) * 2) // what the keeper said H frames ago
  let trainingSteps = 0
  const gc = gcFunction()
  let heapBefore = 0
  const warmup = Math.min(200, o.frames)
  let loopStart = 0

  const frame = (f: number): void => {
    ball.step(rng)
    const slot = f % (H + 1)
    history.set([ball.x, ball.y, ball.vx * scale, ball.vy * scale], slot * 4)
    if (f >= H) {
      // The state of H frames ago now has its answer: score the old prediction, store the example.
      const old = (f - H) % (H + 1)
      errors[f] = Math.hypot(predictions[old * 2] - ball.x, predictions[old * 2 + 1] - ball.y)
      stayPut[f] = Math.hypot(history[old * 4] - ball.x, history[old * 4 + 1] - ball.y)
      replayIn.set(history.subarray(old * 4, old * 4 + 4), replayNext * 4)
      replayOut[replayNext * 2] = ball.x
      replayOut[replayNext * 2 + 1] = ball.y
      replayNext = (replayNext + 1) % capacity
      replaySize = Math.min(capacity, replaySize + 1)
    }
    // Train within the frame's budget.
    if (replaySize >= o.batchSize) {
      const t0 = performance.now()
      for (let s = 0; s < o.stepsPerFrame && performance.now() - t0 < o.budgetMs; s++) {
        for (let b = 0; b < o.batchSize; b++) {
          const k = rng.int(replaySize)
          for (let j = 0; j < 4; j++) batchX.data[b * 4 + j] = replayIn[k * 4 + j]
          batchY.data[b * 2] = replayOut[k * 2]
          batchY.data[b * 2 + 1] = replayOut[k * 2 + 1]
        }
        const loss = nn.mse(net.forward(batchX), batchY)
        trainer.zeroGrad()
        loss.backward()
        trainer.step()
        trainingSteps++
      }
    }
    // Predict where the ball will be H frames from now (no tape: this is inference).
    query.data.set(history.subarray(slot * 4, slot * 4 + 4))
    const p = noGrad(() => net.forward(query))
    predictions[slot * 2] = p.data[0]
    predictions[slot * 2 + 1] = p.data[1]
  }

  for (let f = 0; f < o.frames; f++) {
    if (f === warmup) {
      gc?.()
      heapBefore = process.memoryUsage().heapUsed
      loopStart = performance.now()
    }
    frame(f)
    o.onFrame?.(f)
  }
  const msPerFrame = (performance.now() - loopStart) / Math.max(1, o.frames - warmup)
  gc?.()
  const heapAfter = process.memoryUsage().heapUsed

  const window = Math.min(500, Math.floor((o.frames - H) / 2))
  const mean = (a: Float64Array, from: number, to: number) => {
    let s = 0
    for (let i = from; i < to; i++) s += a[i]
    return s / Math.max(1, to - from)
  }
  const result: GameLoopResult = {
    frames: o.frames,
    trainingSteps,
    errorFirst: mean(errors, H, H + window),
    errorLast: mean(errors, o.frames - window, o.frames),
    errorStayPut: mean(stayPut, o.frames - window, o.frames),
    heapBefore,
    heapAfter,
    gcForced: gc !== null,
    msPerFrame,
  }
  const mb = (b: number) => (b / 2 ** 20).toFixed(2)
  o.log(
    `${o.frames} frames, ${trainingSteps} training steps (≤ ${o.stepsPerFrame} per frame within ${o.budgetMs} ms), ${msPerFrame.toFixed(3)} ms per frame`,
  )
  o.log(
    `prediction error ${H} frames ahead: first ${window} frames ${result.errorFirst.toFixed(4)}, last ${window} frames ${result.errorLast.toFixed(4)} (predicting "no movement": ${result.errorStayPut.toFixed(4)})`,
  )
  o.log(
    `heap in use${gc ? ' after a full GC' : ''}: ${mb(heapBefore)} MB before the loop, ${mb(heapAfter)} MB after ${o.frames - warmup} frames`,
  )
  return result
}

if (isMain('game-loop')) main()
