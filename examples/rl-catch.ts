/**
 * A DQN learns Catch (examples/rl/catch.ts) on this thread: `act(state)` / `learn(reward,
 * nextState, done)` every step, the reward of each episode recorded; then the same number of
 * episodes with a random policy, for scale. The browser page examples/web/catch.html runs the
 * same agent and game with the learner in a Web Worker.
 *
 *   npx tsx examples/rl-catch.ts               # 600 episodes (12,000 steps)
 *   npx tsx examples/rl-catch.ts --episodes 1000 --seed 3
 */
import { parseArgs } from 'node:util'
import { Random } from '../src/index.js'
import * as rl from '../src/rl/index.js'
import { Catch } from './rl/catch.js'
import { catchAgentOptions } from './rl/catch-agent-options.js'
import { isMain } from './is-main.js'

export interface CatchOptions {
  episodes: number
  seed: number
  log: (line: string) => void
}

export interface CatchResult {
  /** Reward of every episode (+1 caught, −1 missed). */
  rewards: number[]
  /** Mean reward of the first and the last 100 episodes. */
  first: number
  last: number
  /** Mean reward of a random policy over as many episodes of the same game. */
  random: number
  seconds: number
  agent: rl.DQN
}

/** Plays `episodes` episodes of Catch with a policy; returns each episode's reward. */
export function play(
  game: Catch,
  episodes: number,
  policy: (state: Float32Array) => number,
  learn?: (reward: number, next: Float32Array, done: boolean) => void,
): number[] {
  const rewards: number[] = []
  let state = game.reset()
  while (rewards.length < episodes) {
    const { state: next, reward, done } = game.step(policy(state))
    learn?.(reward, next, done)
    if (done) {
      rewards.push(reward)
      state = game.reset()
    } else state = next
  }
  return rewards
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)

export function main(options: Partial<CatchOptions> = {}): CatchResult {
  const o: CatchOptions = { episodes: 600, seed: 0, log: (l) => console.log(l), ...options }
  const t0 = performance.now()
  const agent = new rl.DQN(catchAgentOptions(o.seed))
  const rewards = play(
    new Catch(o.seed),
    o.episodes,
    (s) => agent.act(s),
    (r, s, d) => agent.learn(r, s, d),
  )
  const seconds = (performance.now() - t0) / 1000
  const rng = new Random(o.seed + 100)
  const random = mean(play(new Catch(o.seed), o.episodes, () => rng.int(3)))
  const window = Math.min(100, Math.floor(o.episodes / 2))
  const result = {
    rewards,
    first: mean(rewards.slice(0, window)),
    last: mean(rewards.slice(-window)),
    random,
    seconds,
    agent,
  }
  for (let e = 100; e <= o.episodes; e += 100)
    o.log(`episodes ${e - 99}–${e}: mean reward ${mean(rewards.slice(e - 100, e)).toFixed(2)}`)
  o.log(
    `${o.episodes} episodes (${agent.steps} steps, ${agent.updates} gradient steps) in ${seconds.toFixed(1)} s; last ${window}: ${result.last.toFixed(2)}, a random policy: ${random.toFixed(2)}, ε now ${agent.epsilon.toFixed(2)}`,
  )
  return result
}

if (isMain('rl-catch')) {
  const { values } = parseArgs({ options: { episodes: { type: 'string' }, seed: { type: 'string' } } })
  main({
    episodes: values.episodes ? Number(values.episodes) : undefined,
    seed: values.seed ? Number(values.seed) : undefined,
  })
}
