/**
 * `dqnTraining`: a DQN's learner as a training spec, for a worker module — the same replay
 * buffer, target network and gradient steps as `DQN`, run by `startTraining` wherever it runs.
 */
import type { MLP } from '../nn/mlp.js'
import type { TrainingSpec } from '../worker/training-spec.js'
import { DQNLearner } from './dqn-learner.js'
import { qNetwork, resolveDQNOptions, type DQNOptions, type ResolvedDQNOptions } from './dqn-options.js'

/** A training spec whose learner is a DQN's, carrying the agent's options for the acting side. */
export interface DQNTrainingSpec extends TrainingSpec<MLP> {
  readonly name: string
  readonly dqn: ResolvedDQNOptions
}

/**
 * The training spec of a DQN agent; pass it to `defineTraining` in the worker's module and to
 * `startDQN` on the main thread.
 * @example
 * // catch-agent.ts: the worker's module, imported by the page too
 * import { defineTraining } from 'tapegrad/worker'
 * import { dqnTraining } from 'tapegrad/rl'
 *
 * export default defineTraining(dqnTraining({ stateSize: 4, actions: 3, hidden: [64], seed: 1 }))
 */
export function dqnTraining(options: DQNOptions): DQNTrainingSpec {
  const o = resolveDQNOptions('dqnTraining', options)
  return {
    name: o.name,
    seed: o.seed,
    model: (rng) => qNetwork(o, rng),
    learner: (net) => new DQNLearner(net, o),
    dqn: o,
  }
}
