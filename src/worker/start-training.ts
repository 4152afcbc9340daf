/**
 * `startTraining`: one switch between training on this thread and training in a worker.
 */
import { describeValue } from '../describe-value.js'
import type { Module } from '../nn/module.js'
import { createWorker, type WorkerLike } from './endpoint.js'
import { localTrainer } from './local-trainer.js'
import type { StartTrainingOptions, Trainer } from './trainer.js'
import { checkSpec, specName, type TrainingSpec } from './training-spec.js'
import { workerTrainer } from './worker-trainer.js'

const OPTION_NAMES = ['worker', 'workerOptions', 'maxQueued', 'onStep', 'onError', 'startTimeoutMs']

function isWorkerLike(x: unknown): x is WorkerLike {
  return (
    x !== null && typeof x === 'object' && !(x instanceof URL) && typeof (x as WorkerLike).postMessage === 'function'
  )
}

/**
 * Starts training `spec` (made with `defineTraining`) and resolves to a {@link Trainer}.
 *
 * With `worker` (a Worker, or the URL of the module that defines the spec) the model and the
 * optimizer live in the worker: batches go to it as moved typed arrays, and the weights come
 * back as moved Float32Array buffers, double-buffered so that neither thread waits for the other.
 * `trainer.model` here follows the newest weights, for inference. Without `worker` the same
 * trainer runs on this thread. The spec's module must be the one the worker runs, so that both
 * threads build the same model; the trainer checks the parameter names and shapes.
 *
 * Resolves once the worker has built the model and sent its first weights.
 * @example
 * import { nn, noGrad, zeros } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { defineTraining, startTraining } from 'tapegrad/worker'
 *
 * // In an app the spec is the default export of its own module (see defineTraining), and
 * // `startTraining(spec, { worker: new URL('./tiny-training.js', import.meta.url) })` trains in a
 * // worker that runs that module. Without `worker`, as here, the same trainer runs on this thread.
 * const spec = defineTraining({
 *   name: 'tiny',
 *   seed: 0,
 *   model: (rng) => new nn.MLP([4, 8, 3], { rng }),
 *   optimizer: () => adam(1e-2),
 *   loss: (net, { x, y }) => nn.crossEntropy(net.forward(x), y),
 * })
 * const trainer = await startTraining(spec)
 * const batches = [0, 1].map((k) => ({
 *   x: { data: new Float32Array(8 * 4).map((_, i) => Math.sin(i + k)), shape: [8, 4] },
 *   y: new Float32Array(8).map((_, i) => i % 3),
 * }))
 * for (const batch of batches) await trainer.train(batch)
 * await trainer.flush()
 * trainer.step   // 2
 * noGrad(() => trainer.model.forward(zeros([1, 4]))).shape   // [1, 3]
 * await trainer.terminate()
 */
export async function startTraining<M extends Module>(
  spec: TrainingSpec<M>,
  options: StartTrainingOptions = {},
): Promise<Trainer<M>> {
  checkSpec(spec)
  const who = `startTraining '${specName(spec)}'`
  if (options === null || typeof options !== 'object')
    throw new Error(`${who}: options must be an object, got ${describeValue(options)}`)
  for (const k of Object.keys(options)) {
    if (!OPTION_NAMES.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${OPTION_NAMES.join(', ')})`)
  }
  const maxQueued = options.maxQueued ?? 2
  if (!Number.isInteger(maxQueued) || maxQueued < 1)
    throw new Error(`${who}: maxQueued must be an integer ≥ 1, got ${describeValue(maxQueued)}`)
  const timeout = options.startTimeoutMs ?? 60_000
  if (typeof timeout !== 'number' || !(timeout > 0))
    throw new Error(`${who}: startTimeoutMs must be a positive number, got ${describeValue(timeout)}`)
  for (const k of ['onStep', 'onError'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function')
      throw new Error(`${who}: ${k} must be a function, got ${describeValue(options[k])}`)
  }
  const w = options.worker
  if (w === undefined || w === null) return localTrainer(who, spec, options)
  if (isWorkerLike(w)) return workerTrainer(who, spec, w, options, maxQueued)
  if (typeof w !== 'string' && !(w instanceof URL))
    throw new Error(`${who}: worker must be a Worker, a URL or a string, got ${describeValue(w)}`)
  return workerTrainer(who, spec, createWorker(who, w, options.workerOptions), options, maxQueued)
}
