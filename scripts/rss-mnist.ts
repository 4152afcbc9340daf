/**
 * Memory over a long training run: 10,000 steps of workload B's net (a 784-128-10 ReLU MLP,
 * batch 64, Adam 1e-3, crossEntropy, loss.backward()) on the real MNIST digits of `npm start`,
 * sampling the process's resident set (RSS) and the V8 heap every 500 steps after a 1,000-step
 * warm-up. Flat means every sample within ±10% of the median (issue 9's bar).
 *
 *     npx tsx scripts/rss-mnist.ts [steps = 10000]
 *
 * It prints the samples and the worst deviation, and exits 1 when a sample leaves the ±10% band.
 * Not a test: it takes about a minute on a quiet 2-core machine (test/memory.test.ts and
 * test/long-run.test.ts are the suite's shorter checks of the same property).
 */
import { seed } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { adam } from '../optimizers/index.js'
import { loadMnist } from '../examples/mnist.js'

const steps = Number(process.argv[2] ?? 10_000)
const WARMUP = 1000
const EVERY = 500

seed(0)
const { train } = loadMnist()
const net = new nn.MLP([784, 128, 10])
const opt = adam(1e-3).attach(net.parameters())
const samples: { step: number; rss: number; heap: number }[] = []
let step = 0
let lastLoss = NaN
const t0 = performance.now()
outer: for (let epoch = 0; ; epoch++) {
  for (const batch of nn.batches(train.X, train.y, { batchSize: 64, shuffle: true, seed: epoch })) {
    const loss = nn.crossEntropy(net.forward(batch.x), batch.y)
    opt.zeroGrad()
    loss.backward()
    opt.step()
    step++
    if (step % EVERY === 0) lastLoss = loss.item()
    if (step >= WARMUP && step % EVERY === 0) {
      const m = process.memoryUsage()
      samples.push({ step, rss: m.rss, heap: m.heapUsed })
    }
    if (step >= steps) break outer
  }
}
const seconds = (performance.now() - t0) / 1000
const mb = (b: number) => (b / 2 ** 20).toFixed(1)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rssMedian = median(samples.map((s) => s.rss))
const worst = Math.max(...samples.map((s) => Math.abs(s.rss / rssMedian - 1)))
for (const s of samples) console.log(`step ${String(s.step).padStart(6)}  rss ${mb(s.rss)} MB  heap ${mb(s.heap)} MB`)
console.log(
  `${steps} steps in ${seconds.toFixed(1)} s (${((seconds * 1000) / steps).toFixed(2)} ms/step), last loss ` +
    `${lastLoss.toFixed(3)}; RSS median ${mb(rssMedian)} MB, worst sample ${(worst * 100).toFixed(1)}% from it ` +
    `(${worst <= 0.1 ? 'flat: within ±10%' : 'NOT flat'})`,
)
process.exitCode = worst <= 0.1 ? 0 : 1
