/**
 * Training throughput in a worker against the main thread, in Node: the MNIST MLP of the worker
 * page (examples/web/mnist-training.ts: 784-128-10, Adam, batches of 64 real digits), the same
 * batches through `startTraining(spec)` and `startTraining(spec, { worker })`. Also times the
 * parts of the worker's overhead: packing the weights into a buffer (the one copy per publish)
 * and a postMessage round trip of a moved buffer.
 *
 *   npx tsx bench/worker-throughput.ts [steps=300] [repeats=3]
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { startTraining } from '../src/worker/index.js';
import { loadMnist } from '../examples/mnist.js';
import spec from '../examples/web/mnist-training.js';

const steps = Number(process.argv[2] ?? 300);
const repeats = Number(process.argv[3] ?? 3);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { train } = loadMnist(3000, 10);

function batch(k: number) {
  const x = new Float32Array(64 * 784);
  const y = new Float32Array(64);
  for (let b = 0; b < 64; b++) {
    const i = (k * 64 + b) % 3000;
    x.set(train.X.data.subarray(i * 784, (i + 1) * 784), b * 784);
    y[b] = train.y.data[i];
  }
  return { x: { data: x, shape: [64, 784] }, y };
}

async function run(inWorker: boolean): Promise<{ stepsPerSecond: number; loss: number | null; weights: number }> {
  const options = inWorker
    ? {
        worker: pathToFileURL(path.join(root, 'test', 'worker', 'tsx-worker.mjs')),
        workerOptions: { argv: [path.join(root, 'examples', 'web', 'mnist-training.ts')] },
      }
    : {};
  const trainer = await startTraining(spec, options);
  for (let k = 0; k < 5; k++) await trainer.train(batch(k));
  await trainer.flush();
  const t0 = performance.now();
  for (let k = 0; k < steps; k++) await trainer.train(batch(5 + k));
  const info = await trainer.flush();
  const s = (performance.now() - t0) / 1000;
  const received = trainer.stats.weightsReceived;
  await trainer.terminate();
  return { stepsPerSecond: steps / s, loss: info.loss, weights: received };
}

async function roundTrip(bytes: number, n: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  port2.on('message', (b: ArrayBuffer) => port2.postMessage(b, [b]));
  let buf = new ArrayBuffer(bytes);
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    port1.postMessage(buf, [buf]);
    buf = await new Promise<ArrayBuffer>((r) => port1.once('message', r));
  }
  const ms = (performance.now() - t0) / n;
  port1.close();
  port2.close();
  return ms;
}

const rows: string[] = [];
for (let r = 0; r < repeats; r++) {
  const local = await run(false);
  const worker = await run(true);
  rows.push(
    `run ${r + 1}: main thread ${local.stepsPerSecond.toFixed(0)} steps/s, worker ${worker.stepsPerSecond.toFixed(0)} steps/s (ratio ${(worker.stepsPerSecond / local.stepsPerSecond).toFixed(2)}), ${worker.weights} weight buffers received; same final loss: ${local.loss === worker.loss}`,
  );
}
const n = 101_770;
const src = new Float32Array(n).fill(1);
const dst = new Float32Array(n);
const t0 = performance.now();
for (let k = 0; k < 2000; k++) dst.set(src);
const packMs = (performance.now() - t0) / 2000;
console.log(`MNIST MLP 784-128-10, batches of 64, ${steps} steps (Node ${process.versions.node}):`);
for (const row of rows) console.log(`  ${row}`);
console.log(
  `  packing the ${n} weights into a buffer: ${(packMs * 1000).toFixed(0)} µs; a moved ${((4 * n) / 1024).toFixed(0)} KB buffer there and back: ${((await roundTrip(4 * n, 500)) * 1000).toFixed(0)} µs`,
);
