/**
 * `Trainer`: what `startTraining` returns — the same object whether the learner runs in a worker
 * or on this thread, so that moving training off the main thread is one option.
 */
import type { Module } from '../nn/module.js'
import type { TrainingBatch } from './batch.js'
import type { NodeWorkerOptions, WorkerLike } from './endpoint.js'
import type { SavedTraining } from './training-spec.js'

/** One finished training step, as `onStep` and `flush` report it. */
export interface StepInfo {
  /** Steps finished so far (this one included). */
  readonly step: number
  /** The loss the learner reported for it (null: it took no optimizer step, e.g. a warming replay buffer). */
  readonly loss: number | null
}

/** Counters for checking what travelled how. */
export interface TrainerStats {
  /** Batch bytes moved to the learner without a copy. */
  movedBytes: number
  /** Batch bytes copied first (views into larger buffers, Tensors; see batch.ts). */
  copiedBytes: number
  /** Weight buffers received (each one moved, none copied in transit). */
  weightsReceived: number
}

/** Options of `startTraining`. */
export interface StartTrainingOptions {
  /**
   * Where to train. A Worker (browser `new Worker(url, { type: 'module' })`, so that bundlers see
   * the worker's module) or the URL of the spec's module (the trainer starts the worker: a module
   * Web Worker in the browser, a worker_threads Worker in Node). Absent or null: on this thread,
   * with the same API.
   */
  readonly worker?: WorkerLike | URL | string | null
  /** Node only: options for `new Worker(url, …)` (execArgv, argv, resourceLimits…). */
  readonly workerOptions?: NodeWorkerOptions
  /** The bounded queue: at most this many batches sent and not yet learned (default 2). */
  readonly maxQueued?: number
  /** Called on this thread after every finished step. */
  readonly onStep?: (info: StepInfo) => void
  /** Called once if the learner fails (the error also rejects pending and later calls). */
  readonly onError?: (error: Error) => void
  /** How long to wait for the worker to answer at the start (default 60,000 ms). */
  readonly startTimeoutMs?: number
}

/**
 * A running training. `model` is this thread's model: inference reads it (inside `noGrad`); in a
 * worker, its parameters are repointed to each newest weight buffer as it arrives, so it always
 * holds the latest weights the worker published.
 */
export interface Trainer<M extends Module = Module> {
  /** The model inference uses here (in a worker: a copy that follows the worker's weights). */
  readonly model: M
  /** Whether the learner runs in a worker. */
  readonly inWorker: boolean
  /** Steps the learner has finished (as far as this thread knows). */
  readonly step: number
  /** The loss of the last finished step (null before the first, or when it took no optimizer step). */
  readonly loss: number | null
  /** Batches sent and not yet learned. */
  readonly queued: number
  /** Whether `train` would send at once (the queue has room). Throws the learner's error once it failed. */
  readonly canTrain: boolean
  /** The learner's error, once it failed. */
  readonly error: Error | null
  /** What travelled how (see {@link TrainerStats}). */
  readonly stats: Readonly<TrainerStats>
  /**
   * Sends one batch to the learner. Its arrays are moved, not copied: afterwards they are empty
   * (`byteLength` 0); build each batch in fresh arrays. Resolves, with the number the step will
   * have, as soon as the batch is queued — at once when the queue has room, else when a step
   * finishes. One `train` may wait at a time: await it before the next.
   */
  train(batch: TrainingBatch): Promise<number>
  /**
   * The weights the model holds now, with the step they come from: `weights` is the flat buffer
   * (parameters in `namedParameters()` order). In a worker it is the buffer the model reads,
   * valid until the next weights arrive (then it is handed back and empty); here, a copy.
   */
  latest(): { step: number; loss: number | null; weights: Float32Array }
  /** Resolves once every batch sent so far is learned and `model` holds the weights after it. */
  flush(): Promise<StepInfo>
  /** The learner's whole state (weights, optimizer state, …), after the batches sent so far. */
  save(): Promise<SavedTraining>
  /** Restores a `save()`d state; resolves once `model` holds its weights. */
  load(saved: SavedTraining): Promise<void>
  /** Stops the worker; pending and later calls reject. */
  terminate(): Promise<void>
}
