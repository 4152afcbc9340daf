/** Worker-test helper: the DQN learner of the Chain tests, as a training worker's module. */
import { defineTraining } from '../../src/worker/index.js'
import * as rl from '../../src/rl/index.js'
import { adam } from '../../optimizers/index.js'

/** The chain agent's options (test/rl.test.ts uses them for the main-thread DQN too). */
export const chainOptions: rl.DQNOptions = {
  stateSize: 8,
  actions: 2,
  hidden: [32],
  optimizer: () => adam(3e-3),
  gamma: 0.9,
  batchSize: 32,
  learnStart: 100,
  targetUpdate: 100,
  epsilon: (step: number) => Math.max(0.05, 1 - step / 1500),
  seed: 0,
  name: 'chain',
}

export default defineTraining(rl.dqnTraining(chainOptions))
