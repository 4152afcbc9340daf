/**
 * Training off the main thread (src/worker): a real Node worker_threads worker, the spec module
 * run in it through tsx (test/worker/tsx-worker.mjs).
 */
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { noGrad, Random, Tensor } from '../src/index.js'
import { startTraining, type Trainer, type TrainingSpec } from '../src/worker/index.js'
import * as nn from '../src/nn/index.js'
import spec from './worker/mlp-training.js'

const boot = pathToFileURL(path.join(__dirname, 'worker', 'tsx-worker.mjs'))
const inWorker = (specFile: string) => ({
  worker: boot,
  workerOptions: { argv: [path.join(__dirname, 'worker', specFile)] },
})

/** A fixed 3-class problem: labels from a fixed linear map of 4 features. */
function data(n: number, seedValue: number): { x: Float32Array; y: Float32Array } {
  const rng = new Random(seedValue)
  const x = new Float32Array(n * 4)
  const y = new Float32Array(n)
  const W = [
    [1, -1, 0.5],
    [0.5, 1, -1],
    [-1, 0.2, 1],
    [0.3, -0.4, 0.2],
  ]
  for (let i = 0; i < n; i++) {
    const s = [0, 0, 0]
    for (let j = 0; j < 4; j++) {
      x[i * 4 + j] = rng.normal()
      for (let c = 0; c < 3; c++) s[c] += x[i * 4 + j] * W[j][c]
    }
    y[i] = s.indexOf(Math.max(...s))
  }
  return { x, y }
}

/** Batch k of 32: fresh arrays every time (they are moved to the learner). */
function batch(k: number) {
  const { x, y } = data(32, 100 + k)
  return { x: { data: x, shape: [32, 4] }, y }
}

async function run(trainer: Trainer, steps: number): Promise<void> {
  for (let k = 0; k < steps; k++) await trainer.train(batch(k))
  await trainer.flush()
}

/** Losses per step through onStep. */
async function trainAndRecord(
  options: object,
  steps: number,
): Promise<{ losses: number[]; weights: Float32Array; trainer: Trainer<nn.MLP> }> {
  const losses: number[] = []
  const trainer = await startTraining(spec as TrainingSpec<nn.MLP>, {
    ...options,
    onStep: ({ loss }) => losses.push(loss!),
  })
  await run(trainer, steps)
  return { losses, weights: trainer.latest().weights.slice(), trainer }
}

describe('startTraining', () => {
  let worker: Awaited<ReturnType<typeof trainAndRecord>>
  let local: Awaited<ReturnType<typeof trainAndRecord>>
  beforeAll(async () => {
    worker = await trainAndRecord(inWorker('mlp-training.ts'), 40)
    local = await trainAndRecord({}, 40)
  })
  afterAll(async () => {
    await worker.trainer.terminate()
  })

  test('in a worker it trains to the same losses and weights as on the main thread, bit for bit', () => {
    expect(worker.trainer.inWorker).toBe(true)
    expect(local.trainer.inWorker).toBe(false)
    expect(worker.losses).toHaveLength(40)
    expect(worker.losses[39]).toBeLessThan(worker.losses[0] * 0.6) // it learns
    expect(worker.losses).toEqual(local.losses)
    expect(Array.from(worker.weights)).toEqual(Array.from(local.weights))
    expect(worker.trainer.step).toBe(40)
    expect(worker.trainer.latest().step).toBe(40)
  })

  test('inference on the main thread reads the latest weights', () => {
    const { x } = data(8, 999)
    const input = new Tensor(x, [8, 4])
    const here = noGrad(() => worker.trainer.model.forward(input))
    const there = noGrad(() => local.trainer.model.forward(input))
    expect(Array.from(here.data)).toEqual(Array.from(there.data))
    // And the model here is a view of the buffer that latest() returns, not a copy of it.
    const w = worker.trainer.latest().weights
    expect(worker.trainer.model.layers[0].weight.data.buffer).toBe(w.buffer)
  })

  test('batches are moved to the worker (byteLength 0 afterwards), not copied; a view is copied, its buffer kept', async () => {
    const t = worker.trainer
    const b = batch(0)
    const before = { ...t.stats }
    await t.train(b)
    expect(b.x.data.byteLength).toBe(0)
    expect(b.y.byteLength).toBe(0)
    expect(t.stats.copiedBytes).toBe(before.copiedBytes)
    expect(t.stats.movedBytes - before.movedBytes).toBe(32 * 4 * 4 + 32 * 4)
    // A view into a larger buffer: only its own bytes are copied, the larger buffer stays.
    const big = new Float32Array(1000)
    const fresh = batch(1)
    await t.train({ x: { data: big.subarray(0, 128), shape: [32, 4] }, y: fresh.y })
    expect(big.byteLength).toBe(4000)
    expect(t.stats.copiedBytes - before.copiedBytes).toBe(128 * 4)
    // Same for a Tensor: copied, so that the caller's tensor keeps its values.
    const tx = new Tensor(data(32, 5).x, [32, 4])
    await t.train({ x: tx, y: batch(2).y })
    expect(tx.data.byteLength).toBe(512)
    await t.flush()
    // In local mode too: the same move.
    const lb = batch(3)
    await local.trainer.train(lb)
    expect(lb.x.data.byteLength).toBe(0)
  })

  test('weights come back moved: the buffer the model held is handed back (emptied here), none is cloned', async () => {
    const t = worker.trainer
    const old = t.latest().weights
    expect(old.byteLength).toBeGreaterThan(0)
    const received = t.stats.weightsReceived
    for (let k = 0; k < 5; k++) await t.train(batch(200 + k))
    await t.flush()
    expect(t.stats.weightsReceived).toBeGreaterThan(received)
    expect(old.byteLength).toBe(0) // moved back to the worker
    const now = t.latest().weights
    expect(now.length).toBe(4 * 16 + 16 + 16 * 3 + 3)
    expect(t.model.layers[1].bias!.data.buffer).toBe(now.buffer)
  })

  test('save and load: a loaded trainer continues exactly as the saved one did', async () => {
    const t = worker.trainer
    const saved = await t.save()
    expect(saved.format).toBe('tapegrad.training')
    const stepsBefore = t.step
    for (let k = 0; k < 6; k++) await t.train(batch(300 + k))
    await t.flush()
    const after = t.latest().weights.slice()
    // Back to the saved point, in the same worker: the same 6 batches give the same weights.
    await t.load(saved)
    expect(t.step).toBe(stepsBefore)
    for (let k = 0; k < 6; k++) await t.train(batch(300 + k))
    await t.flush()
    expect(Array.from(t.latest().weights)).toEqual(Array.from(after))
    // And a trainer on the main thread loads the same file and agrees.
    const here = await startTraining(spec)
    await here.load(saved)
    for (let k = 0; k < 6; k++) await here.train(batch(300 + k))
    expect(Array.from(here.latest().weights)).toEqual(Array.from(after))
    await expect(here.load({ ...saved, name: 'other' })).rejects.toThrow(
      "saved by the training spec 'other', not 'mlp'",
    )
  })

  test('back-pressure: at most maxQueued batches in flight; a second waiting train() is an error', async () => {
    const t = await startTraining(spec, { ...inWorker('mlp-training.ts'), maxQueued: 1 })
    try {
      const first = t.train(batch(0))
      expect(t.queued).toBe(1)
      expect(t.canTrain).toBe(false)
      const second = t.train(batch(1)) // waits for room
      await expect(t.train(batch(2))).rejects.toThrow(/another train\(\) is still waiting for room \(1 of maxQueued 1/)
      expect(await first).toBe(1)
      expect(await second).toBe(2)
      expect((await t.flush()).step).toBe(2)
    } finally {
      await t.terminate()
    }
  })
})

describe('startTraining: failures reach the main thread', () => {
  test("an exception in the worker's step rejects the pending and later calls with the worker's message", async () => {
    const errors: Error[] = []
    const t = await startTraining(spec, { ...inWorker('mlp-training.ts'), onError: (e) => errors.push(e) })
    try {
      await t.train(batch(0))
      await t.train({ ...batch(1), fail: new Float32Array([7]) })
      await expect(t.flush()).rejects.toThrow(
        "startTraining 'mlp': the worker failed during step 2: asked to fail (fail = 7)",
      )
      await expect(t.train(batch(2))).rejects.toThrow('asked to fail')
      expect(() => t.canTrain).toThrow('asked to fail')
      expect(t.error!.stack).toContain('in the worker:')
      expect(errors).toHaveLength(1)
    } finally {
      await t.terminate()
    }
  })

  test('a step error on the main thread fails the local trainer the same way', async () => {
    const t = await startTraining(spec)
    await expect(t.train({ ...batch(1), fail: new Float32Array([1]) })).rejects.toThrow(
      "startTraining 'mlp': the learner failed during step 1: asked to fail (fail = 1)",
    )
    await expect(t.train(batch(2))).rejects.toThrow('asked to fail')
  })

  test('a worker whose model differs from this thread is refused, naming both', async () => {
    await expect(startTraining(spec, inWorker('other-training.ts'))).rejects.toThrow(
      /the worker's model does not match this thread's: worker layers\.0\.weight \[4,8\].*here layers\.0\.weight \[4,16\]/,
    )
  })

  test('a worker module that throws while loading rejects startTraining with its message', async () => {
    await expect(startTraining(spec, inWorker('throws-on-load.ts'))).rejects.toThrow('this module fails to load')
  })

  test('bad batches and options are refused before anything is sent', async () => {
    const t = await startTraining(spec)
    await expect(t.train({})).rejects.toThrow("startTraining 'mlp': train: the batch has no arrays")
    await expect(t.train({ x: [1, 2] as unknown as Float32Array })).rejects.toThrow(
      "batch entry 'x' must be a Float32Array, a Float64Array, an Int32Array (labels), { data, shape } or a Tensor, got an array",
    )
    await expect(t.train({ x: { data: new Float32Array(5), shape: [2, 3] } })).rejects.toThrow(
      "batch entry 'x' has 5 values, which do not fit shape [2,3] (6)",
    )
    await expect(startTraining(spec, { maxQueued: 0 })).rejects.toThrow(
      'maxQueued must be an integer ≥ 1, got number 0',
    )
    await expect(startTraining(spec, { workers: 2 } as object)).rejects.toThrow("unknown option 'workers'")
    await expect(startTraining({ model: () => new nn.MLP([2, 1]) } as unknown as TrainingSpec)).rejects.toThrow(
      'optimizer must be a function () => Optimizer',
    )
  })

  test('terminate: pending and later calls reject', async () => {
    const t = await startTraining(spec, inWorker('mlp-training.ts'))
    await t.train(batch(0))
    const pending = expect(t.flush()).rejects.toThrow('the trainer was terminated')
    await t.terminate()
    await pending
    await expect(t.train(batch(1))).rejects.toThrow('the trainer was terminated')
  })
})

describe('batches of labels', () => {
  test('an Int32Array travels as int32 (labels for crossEntropy), moved like the float arrays', async () => {
    const { packBatch, unpackBatch, moveLocally } = await import('../src/worker/batch.js')
    const labels = new Int32Array([3, 1, 4])
    const packed = packBatch('train', { labels, x: { data: new Float32Array(6), shape: [3, 2] } })
    expect(packed.transfer).toContain(labels.buffer)
    const got = unpackBatch(moveLocally(packed))
    expect(labels.byteLength).toBe(0) // moved, not copied
    expect(got.labels.dtype).toBe('int32')
    expect(got.labels.toArray()).toEqual([3, 1, 4])
    expect(got.x.dtype).toBe('float32')
  })
})
