/**
 * tapegrad/worker — training off the main thread: `defineTraining` in a module both threads
 * import, `startTraining(spec, { worker })` on the main thread. A separate entry point, so that a
 * page that does not train in a worker does not download it. See docs/worker-and-games.md.
 */
// Tensors made with this entry point alone get their fluent methods too (see src/methods.ts).
import '../methods.js'

export { defineTraining } from './define-training.js'
export { startTraining } from './start-training.js'
export type { Learner, TrainingSpec, SavedTraining } from './training-spec.js'
export type { Trainer, StartTrainingOptions, StepInfo, TrainerStats } from './trainer.js'
export type { TrainingBatch, BatchValue, BatchArray } from './batch.js'
export type { WorkerLike, NodeWorkerOptions } from './endpoint.js'
