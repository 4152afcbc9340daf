/**
 * The worker's module of the Catch page: the DQN's learner (replay buffer, target network, Adam)
 * as a training spec. The page imports it too, for the agent's options and the Q-network's shape.
 * Both read the seed from their own URL's `?seed=` (the page passes its query on to the worker's
 * URL), so that both threads build the same agent.
 */
import { defineTraining } from '../../src/worker/index.js'
import * as rl from '../../src/rl/index.js'
import { catchAgentOptions } from '../rl/catch-agent-options.js'

/** The seed in this module's location (`?seed=N`, default 0). */
export function seedFromLocation(): number {
  const search = (globalThis as { location?: { search?: string } }).location?.search ?? ''
  const n = Number(new URLSearchParams(search).get('seed') ?? 0)
  return Number.isInteger(n) && n >= 0 ? n : 0
}

export default defineTraining(rl.dqnTraining(catchAgentOptions(seedFromLocation())))
