/**
 * A `Trainer` whose learner runs on this thread: the other side of the `worker` switch. It
 * behaves as the worker trainer does — batches are moved (the caller's arrays are emptied), the
 * model is built from the same seed, `seed(spec.seed)` is called before the learner is made, a
 * failed step fails the trainer — except that each `train` runs its step before it resolves, so
 * the caller's thread is busy for that long. `model` is the trained model itself.
 */
import type { Module } from '../nn/module.js'
import { Random, seed as seedGlobal } from '../random.js'
import { moveLocally, packBatch, unpackBatch, type TrainingBatch } from './batch.js'
import { supervisedLearner } from './supervised-learner.js'
import type { StartTrainingOptions, Trainer, TrainerStats } from './trainer.js'
import {
  checkSaved,
  SAVED_FORMAT,
  SAVED_VERSION,
  specName,
  type SavedTraining,
  type TrainingSpec,
} from './training-spec.js'
import { layoutOf, packWeights } from './weights.js'

/** Builds the model and learner here and returns a trainer over them. */
export function localTrainer<M extends Module>(
  who: string,
  spec: TrainingSpec<M>,
  options: StartTrainingOptions,
): Trainer<M> {
  const seed = spec.seed ?? 0
  seedGlobal(seed)
  const model = spec.model(new Random(seed))
  const learner = spec.learner ? spec.learner(model) : supervisedLearner(spec, model)
  const layout = layoutOf(who, model)
  let step = 0
  let loss: number | null = null
  let failure: Error | null = null
  let terminated = false
  const stats: TrainerStats = { movedBytes: 0, copiedBytes: 0, weightsReceived: 0 }
  const stopped = (): Error | null => failure ?? (terminated ? new Error(`${who}: the trainer was terminated`) : null)
  const check = () => {
    const e = stopped()
    if (e) throw e
  }
  return {
    model,
    inWorker: false,
    get step() {
      return step
    },
    get loss() {
      return loss
    },
    queued: 0,
    get canTrain() {
      check()
      return true
    },
    get error() {
      return failure
    },
    stats,
    async train(batch: TrainingBatch) {
      check()
      const packed = packBatch(`${who}: train`, batch)
      let bytes = 0
      for (const a of packed.arrays) bytes += a.data.byteLength
      const arrays = moveLocally(packed)
      stats.copiedBytes += packed.copiedBytes
      stats.movedBytes += bytes - packed.copiedBytes
      let result: number | null
      try {
        result = learner.learn(unpackBatch(arrays))
        if (result !== null && typeof result !== 'number')
          throw new Error(`the learner's learn() must return a number or null, got ${typeof result}`)
      } catch (e) {
        failure = new Error(
          `${who}: the learner failed during step ${step + 1}: ${(e as Error).message ?? String(e)}`,
          { cause: e },
        )
        options.onError?.(failure)
        throw failure
      }
      step++
      loss = result
      options.onStep?.({ step, loss })
      return step
    },
    latest() {
      const buffer = new ArrayBuffer(4 * layout.size)
      packWeights(model, buffer)
      return { step, loss, weights: new Float32Array(buffer) }
    },
    async flush() {
      check()
      return { step, loss }
    },
    async save(): Promise<SavedTraining> {
      check()
      // A structured clone, as the worker's answer is: the result shares nothing with the learner.
      return structuredClone({
        format: SAVED_FORMAT,
        version: SAVED_VERSION,
        name: specName(spec),
        step,
        learner: learner.save(),
      })
    },
    async load(saved: SavedTraining) {
      check()
      const s = checkSaved(`${who}: load`, saved, specName(spec))
      learner.load(structuredClone(s.learner))
      step = s.step
      loss = null
    },
    async terminate() {
      terminated = true
    },
  }
}
