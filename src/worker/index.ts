/**
 * Training off the main thread: `defineTraining` in a module both threads import,
 * `startTraining(spec, { worker })` on the main thread. See docs/worker-and-games.md.
 */
export { defineTraining } from './define-training.js'
export { startTraining } from './start-training.js'
export type { Learner, TrainingSpec, SavedTraining } from './training-spec.js'
export type { Trainer, StartTrainingOptions, StepInfo, TrainerStats } from './trainer.js'
export type { TrainingBatch, BatchValue, BatchArray } from './batch.js'
export type { WorkerLike, NodeWorkerOptions } from './endpoint.js'
