/**
 * Determinism: the same seed gives bit-identical weights after 500 steps of the `npm start` net
 * (examples/mnist.ts: 784-256-10 MLP, Adam, cosine decay, shifted digits, real MNIST), in two
 * separate Node processes, and with the optimizer running on either CPU tier — the WebAssembly
 * SIMD kernel or the JavaScript loop (src/backends/cpu.ts: "the same bits as this loop").
 *
 * matmul has two kernels as well (src/kernels/gemm.ts): the WebAssembly SIMD one accumulates in
 * f32x4 lanes, the JavaScript one in float64 registers, so their products differ in the last
 * bits and the weights are NOT bit-identical between them (each kernel is deterministic on its
 * own). That they agree to float32 rounding over training is checked too, with a bound 40 times
 * the difference measured after 25 steps (1.6e-6).
 *
 * Every run is a child process (test/determinism/mnist-weights.ts under tsx), all started at
 * once: a 500-step run trains in about 6 s under plain Node on a 2-core machine, against 30 s and
 * more inside jest.
 */
import { execFile } from 'node:child_process'
import * as path from 'node:path'
import type { RunResult } from './determinism/mnist-weights.js'

const ROOT = path.resolve(__dirname, '..')
const SCRIPT = path.join(ROOT, 'test', 'determinism', 'mnist-weights.ts')
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx')

type Printed = Omit<RunResult, 'weights'> & { parameters: number; weights?: string }

/** Runs the script in a fresh Node process; resolves with what it printed. */
function run(args: string[]): Promise<Printed> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [SCRIPT, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 170_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${SCRIPT} ${args.join(' ')}: ${error.message}\n${stderr}`))
        else resolve(JSON.parse(stdout))
      },
    )
  })
}

const weightsOf = (r: Printed) => new Float32Array(Buffer.from(r.weights!, 'base64').buffer.slice(0))

// Started together, before the tests: the machine runs them side by side.
const short = ['--train-size', '1600', '--epochs', '1', '--weights']
const runs = {
  first: run([]),
  second: run([]),
  jsTier: run(['--optimizer-simd', 'off']),
  wasmShort: run(short),
  jsShort: run([...short, '--matmul', 'js']),
  jsShortAgain: run([...short, '--matmul', 'js']),
}
// A rejected promise nobody awaits yet must not crash jest before the test awaits it.
for (const p of Object.values(runs)) p.catch(() => {})

test('500 MNIST steps: two processes and both optimizer tiers give the same weights, bit for bit', async () => {
  const [first, second, jsTier] = await Promise.all([runs.first, runs.second, runs.jsTier])
  console.log(
    `determinism: ${first.steps} steps of a ${first.parameters}-parameter net; ${first.seconds.toFixed(1)} s and ` +
      `${second.seconds.toFixed(1)} s (optimizer tier ${first.optimizerTier}), ${jsTier.seconds.toFixed(1)} s ` +
      `(tier ${jsTier.optimizerTier}); weights ${first.hash.slice(0, 16)}…`,
  )
  // Both tiers must really have run, or the comparison would compare a tier with itself.
  expect([first.steps, first.optimizerTier, second.optimizerTier, jsTier.optimizerTier]).toEqual([
    500,
    'simd',
    'simd',
    'js',
  ])
  expect(first.parameters).toBe(784 * 256 + 256 + 256 * 10 + 10)
  expect(second.hash).toBe(first.hash)
  expect(jsTier.hash).toBe(first.hash)
}, 180_000)

test("matmul's two kernels: each deterministic, the weights after 25 steps equal to float32 rounding", async () => {
  const [wasm, js, jsAgain] = await Promise.all([runs.wasmShort, runs.jsShort, runs.jsShortAgain])
  expect([wasm.steps, wasm.matmul, js.matmul]).toEqual([25, 'wasm', 'js'])
  expect(jsAgain.hash).toBe(js.hash)
  const a = weightsOf(wasm)
  const b = weightsOf(js)
  let maxDiff = 0
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]))
  console.log(`determinism: wasm vs JS matmul after 25 steps: largest weight difference ${maxDiff.toExponential(2)}`)
  expect(a.length).toBe(wasm.parameters)
  expect(maxDiff).toBeLessThan(1e-4)
}, 180_000)
