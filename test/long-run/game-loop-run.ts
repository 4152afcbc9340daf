/**
 * The game-loop example (examples/game-loop.ts) run for a long time — one Adam step of the
 * keeper's 4-16-16-2 net per frame, no time budget, so that every frame does the same work — with
 * its memory and its speed measured along the way. test/long-run.test.ts runs it under plain Node
 * (tsx) in a child process and judges the figures; it prints them as one line of JSON:
 *
 *     npx tsx test/long-run/game-loop-run.ts [--steps 100000] [--inject leak|slowdown]
 *
 * The measured steps follow 5,000 unmeasured ones (the JIT compiles, the replay buffer fills), so
 * that "the first 10%" is the loop at speed, not the loop warming up.
 * - heap: V8 heap in use plus typed-array storage, after forced full collections, every 10% of
 *   the measured steps (10 samples).
 * - speed: CPU time (process.cpuUsage: other processes on a shared machine disturb it less than
 *   wall time) of every batch of 1% of the measured steps; the medians of the first and of the
 *   last 10 batches.
 * - `--inject` makes the run misbehave on purpose, to show that the test's checks can fail:
 *   'leak' keeps 200 bytes alive per frame; 'slowdown' adds work that grows with the frame number
 *   (to about twice a frame's cost by the end).
 */
import v8 from 'node:v8'
import vm from 'node:vm'
import { main } from '../../examples/game-loop.js'

const args = process.argv.slice(2)
const arg = (name: string) => {
  const k = args.indexOf(`--${name}`)
  return k >= 0 ? args[k + 1] : undefined
}
const steps = Number(arg('steps') ?? 100_000)
const inject = arg('inject')

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
/** Live memory: V8 heap in use + typed-array storage, after full collections. */
function retained(): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

// Training starts once the replay buffer holds a batch (frame horizon + batch − 1): frames are
// counted from there, so that every measured frame has exactly one training step.
const HORIZON = 20
const BATCH = 32
const WARMUP = 5000
const firstMeasured = HORIZON + BATCH - 1 + WARMUP
const frames = firstMeasured + steps
const batch = Math.max(1, Math.floor(steps / 100))
const batchMs: number[] = []
const heapSamples: number[] = []
let batchStart = process.cpuUsage()
const kept: Float64Array[] = []
let sink = 0

const result = main({
  frames,
  stepsPerFrame: 1,
  budgetMs: Infinity,
  batchSize: BATCH,
  horizon: HORIZON,
  log: () => {},
  onFrame: (f) => {
    if (inject === 'leak') kept.push(new Float64Array(25)) // 200 bytes + the array's header, kept
    if (inject === 'slowdown') for (let i = 0; i < 2 * (f - firstMeasured); i++) sink += Math.sqrt(i)
    const k = f - firstMeasured // measured frames done so far, minus one
    if (k === -1) batchStart = process.cpuUsage()
    if (k < 0) return
    if ((k + 1) % batch === 0) {
      const t = process.cpuUsage(batchStart)
      batchMs.push((t.user + t.system) / 1000)
      if ((k + 1) % (steps / 10) === 0) heapSamples.push(retained())
      batchStart = process.cpuUsage() // after the collection: its cost is not the next batch's
    }
  },
})

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1]
const first = median(batchMs.slice(0, 10))
const last = median(batchMs.slice(-10))
process.stdout.write(
  JSON.stringify({
    steps,
    trainingSteps: result.trainingSteps,
    frames: result.frames,
    batchFrames: batch,
    batches: batchMs.length,
    heapSamples,
    firstMedianMs: first,
    lastMedianMs: last,
    slowdown: last / first,
    usPerFrame: (1000 * batchMs.reduce((a, b) => a + b, 0)) / (batch * batchMs.length),
    errorFirst: result.errorFirst,
    errorLast: result.errorLast,
    sink: sink > 0,
  }) + '\n',
)
