/**
 * tapegrad/rl — a DQN agent with a two-call API (`act`, `learn`), on this thread (`DQN`) or
 * learning in a worker (`dqnTraining` + `startDQN`, with tapegrad/worker's `defineTraining`).
 * A separate entry point, like tapegrad/worker. See docs/worker-and-games.md.
 */
// Tensors made with this entry point alone get their fluent methods too (see src/methods.ts).
import '../methods.js'

export { DQN } from './dqn.js'
export { dqnTraining, type DQNTrainingSpec } from './dqn-training.js'
export { startDQN, type StartDQNOptions, type WorkerDQN } from './start-dqn.js'
export { DQNLearner, type SavedDQNLearner, type Transition } from './dqn-learner.js'
export { ReplayBuffer, type SavedReplay, type TransitionBatch } from './replay-buffer.js'
export { resolveDQNOptions, type DQNOptions, type ResolvedDQNOptions } from './dqn-options.js'
export { DQN_FORMAT, DQN_VERSION, type SavedDQN } from './saved-dqn.js'
