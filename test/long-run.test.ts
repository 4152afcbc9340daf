/**
 * Long runs: 100,000 steps of the game-loop example (examples/game-loop.ts: a 4-16-16-2 net
 * trained by Adam on a replay buffer, one step and one prediction per frame) keep the heap flat
 * (every sample within ±10% of the first) and never slow down (the median batch time of the last
 * 10% of the steps within 1.5× that of the first 10%).
 *
 * The run is a child process under plain Node (test/long-run/game-loop-run.ts, via tsx): faster
 * than inside jest, and with forced collections for the heap figures. Speed is CPU time of
 * batches of 1,000 steps, compared by medians of 10 batches each, so one slow batch (a GC, the
 * machine busy elsewhere) does not decide it; 1.5× leaves room for a shared machine and still
 * catches what slows long runs down (a live heap that grows and makes every collection longer,
 * per-step work that grows with the step count, V8's allocation-site pretenuring trap: 8×).
 *
 * Two control runs of 20,000 steps make the run misbehave on purpose — 200 bytes kept per frame;
 * per-frame work growing to about twice a frame — and must fail the same checks: the checks
 * can fail.
 */
import { execFile } from 'node:child_process'
import * as path from 'node:path'

const ROOT = path.resolve(__dirname, '..')
const SCRIPT = path.join(ROOT, 'test', 'long-run', 'game-loop-run.ts')
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx')

interface Figures {
  steps: number
  trainingSteps: number
  heapSamples: number[]
  firstMedianMs: number
  lastMedianMs: number
  slowdown: number
  usPerFrame: number
  errorFirst: number
  errorLast: number
}

function run(args: string[]): Promise<Figures> {
  return new Promise((resolve, reject) => {
    execFile(TSX, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 400_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${SCRIPT} ${args.join(' ')}: ${error.message}\n${stderr}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

/** The largest relative distance of a heap sample from the first one. */
const heapDrift = (f: Figures) => Math.max(...f.heapSamples.map((s) => Math.abs(s / f.heapSamples[0] - 1)))
const MB = (b: number) => (b / 2 ** 20).toFixed(2)

const runs = {
  long: run(['--steps', '100000']),
  leak: run(['--steps', '20000', '--inject', 'leak']),
  slowdown: run(['--steps', '20000', '--inject', 'slowdown']),
}
for (const p of Object.values(runs)) p.catch(() => {}) // awaited by the tests below

test('100,000 game-loop steps: the heap stays within ±10% and the last 10% run as fast as the first', async () => {
  const f = await runs.long
  console.log(
    `long run: ${f.steps} steps at ${f.usPerFrame.toFixed(0)} µs CPU per frame; heap ${MB(f.heapSamples[0])} → ` +
      `${MB(f.heapSamples[f.heapSamples.length - 1])} MB (largest drift ${(100 * heapDrift(f)).toFixed(1)}%); ` +
      `batch medians ${f.firstMedianMs.toFixed(1)} → ${f.lastMedianMs.toFixed(1)} ms (×${f.slowdown.toFixed(2)})`,
  )
  expect([f.steps, f.trainingSteps, f.heapSamples.length]).toEqual([100_000, 105_000, 10])
  expect(heapDrift(f)).toBeLessThan(0.1)
  expect(f.slowdown).toBeLessThan(1.5)
  expect(f.errorLast).toBeLessThan(0.5 * f.errorFirst) // and the keeper learned meanwhile
}, 420_000)

test('the checks fail on a run that leaks or slows down on purpose', async () => {
  const [leak, slowdown] = await Promise.all([runs.leak, runs.slowdown])
  console.log(
    `long run controls: leak → heap drift ${(100 * heapDrift(leak)).toFixed(0)}%; ` +
      `growing work → batch medians ×${slowdown.slowdown.toFixed(2)}`,
  )
  expect(heapDrift(leak)).toBeGreaterThan(0.1)
  expect(slowdown.slowdown).toBeGreaterThan(1.5)
  expect(heapDrift(slowdown)).toBeLessThan(0.1) // each control fails its own check only
}, 420_000)
