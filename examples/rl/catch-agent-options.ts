/**
 * The DQN options of the Catch agent, shared by the Node example (examples/rl-catch.ts), its
 * test, and the browser page's worker module (examples/web/catch-agent.ts).
 */
import * as rl from '../../src/rl/index.js'
import { adam } from '../../optimizers/index.js'
import { Catch } from './catch.js'

/**
 * A 4-64-3 ReLU Q-network, Adam 2e-3, γ = 0.97, ε from 1 down to 0.05 over 6,000 steps; one
 * gradient step per transition after the first 500; target network copied every 200 steps.
 * @example const agent = new rl.DQN(catchAgentOptions(0))
 */
export function catchAgentOptions(seed: number): rl.DQNOptions {
  return {
    stateSize: Catch.stateSize,
    actions: Catch.actions,
    hidden: [64],
    optimizer: () => adam(2e-3),
    gamma: 0.97,
    batchSize: 32,
    replaySize: 10_000,
    learnStart: 500,
    trainEvery: 1,
    targetUpdate: 200,
    epsilon: function linearEpsilon(step: number) {
      return Math.max(0.05, 1 - step / 6000)
    },
    seed,
    name: 'catch',
  }
}
