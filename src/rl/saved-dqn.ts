/**
 * The file format of a saved DQN agent: JSON-safe, the same from `DQN.save()` and from a
 * worker-trained agent's `save()`, so that either loads the other's file.
 */
import { describeValue } from '../describe-value.js'
import type { SavedActor } from './actor.js'
import type { SavedDQNLearner } from './dqn-learner.js'
import { savedOptions, type ResolvedDQNOptions } from './dqn-options.js'

/** The `format` field of a saved agent. */
export const DQN_FORMAT = 'tapegrad.dqn'
/** The version this code writes and reads. */
export const DQN_VERSION = 1

/** What `save()` returns: the whole agent (`JSON.stringify` it to write a file). */
export interface SavedDQN {
  format: typeof DQN_FORMAT
  version: number
  /** The options that shape the agent (checked on load, except the seed, which is informative). */
  options: Record<string, number | string | number[]>
  /** ε, step and episode counters, the exploration generator. */
  actor: SavedActor
  /** Weights, optimizer state, target network, replay buffer, counters, the sampler's generator. */
  learner: SavedDQNLearner
}

/** Parses (if text) and checks the envelope and the options of a saved agent; returns it. */
export function checkSavedDQN(who: string, saved: SavedDQN | string, o: ResolvedDQNOptions): SavedDQN {
  let s: Partial<SavedDQN>
  if (typeof saved === 'string') {
    try {
      s = JSON.parse(saved)
    } catch (e) {
      throw new Error(`${who}: the text is not JSON: ${(e as Error).message}`, { cause: e })
    }
  } else s = saved
  if (s === null || typeof s !== 'object' || s.format !== DQN_FORMAT) {
    throw new Error(
      `${who}: expected a saved DQN agent (format '${DQN_FORMAT}'), got ${s && typeof s === 'object' ? `format ${JSON.stringify(s.format)}` : describeValue(s)}`,
    )
  }
  if (s.version !== DQN_VERSION)
    throw new Error(`${who}: saved with version ${JSON.stringify(s.version)}, this code reads version ${DQN_VERSION}`)
  const mine = savedOptions(o)
  const theirs = (s.options ?? {}) as Record<string, unknown>
  // The seed only chose the starting point; the file holds the generators' states themselves.
  const diffs = Object.keys(mine).filter((k) => k !== 'seed' && JSON.stringify(mine[k]) !== JSON.stringify(theirs[k]))
  if (diffs.length) {
    throw new Error(
      `${who}: the file was saved by an agent with other options: ${diffs.map((k) => `${k} ${JSON.stringify(theirs[k])} (this agent: ${JSON.stringify(mine[k])})`).join(', ')}`,
    )
  }
  return s as SavedDQN
}
