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
  return x !== null && typeof x === 'object' && !(x instanceof URL) && typeof (x as WorkerLike).postMessage === 'function'
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
 * import spec from './mnist-training.js'   // export default defineTraining({ model, optimizer, loss })
 * const trainer = await startTraining(spec, { worker: new URL('./mnist-training.js', import.meta.url) })
 * for (const batch of batches) await trainer.train(batch)   // { x: { data, shape: [64, 784] }, y }
 * await trainer.flush()
 * noGrad(() => trainer.model.forward(digits))   // inference here, with the latest weights
 * await trainer.terminate()
 */
export async function startTraining<M extends Module>(spec: TrainingSpec<M>, options: StartTrainingOptions = {}): Promise<Trainer<M>> {
  checkSpec(spec)
  const who = `startTraining '${specName(spec)}'`
  if (options === null || typeof options !== 'object') throw new Error(`${who}: options must be an object, got ${describeValue(options)}`)
  for (const k of Object.keys(options)) {
    if (!OPTION_NAMES.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${OPTION_NAMES.join(', ')})`)
  }
  const maxQueued = options.maxQueued ?? 2
  if (!Number.isInteger(maxQueued) || maxQueued < 1) throw new Error(`${who}: maxQueued must be an integer ≥ 1, got ${describeValue(maxQueued)}`)
  const timeout = options.startTimeoutMs ?? 60_000
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new Error(`${who}: startTimeoutMs must be a positive number, got ${describeValue(timeout)}`)
  for (const k of ['onStep', 'onError'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'function') throw new Error(`${who}: ${k} must be a function, got ${describeValue(options[k])}`)
  }
  const w = options.worker
  if (w === undefined || w === null) return localTrainer(who, spec, options)
  if (isWorkerLike(w)) return workerTrainer(who, spec, w, options, maxQueued)
  if (typeof w !== 'string' && !(w instanceof URL)) throw new Error(`${who}: worker must be a Worker, a URL or a string, got ${describeValue(w)}`)
  return workerTrainer(who, spec, createWorker(who, w, options.workerOptions), options, maxQueued)
}
