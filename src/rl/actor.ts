/**
 * `Actor`: the acting half of a DQN agent — ε-greedy action choice on the online Q-network and
 * the bookkeeping of the two-call API: `act(state)` remembers the state and the action,
 * `learn(reward, nextState, done)` completes them into a transition. It runs where the game runs
 * (the main thread); the learner may run in a worker.
 */
import type { MLP } from '../nn/mlp.js'
import { Random } from '../random.js'
import { noGrad } from '../recording.js'
import { Tensor } from '../tensor.js'
import { epsilonAt, type ResolvedDQNOptions } from './dqn-options.js'
import type { Transition } from './dqn-learner.js'

/** The actor's part of a saved agent. */
export interface SavedActor {
  /** Transitions completed (the ε schedule's step). */
  steps: number
  /** Episodes ended (`learn(…, done = true)`). */
  episodes: number
  /** ε at `steps`: loading checks that the schedule gives the same value. */
  epsilon: number
  /** The exploration generator. */
  rng: [number, number | null]
}

/**
 * ε-greedy choice and transition bookkeeping.
 * @example
 * import { Random } from 'tapegrad'
 * import { resolveDQNOptions } from 'tapegrad/rl'
 * import { Actor } from './src/rl/actor'              // internal: what DQN and startDQN act with
 * import { qNetwork } from './src/rl/dqn-options'
 *
 * const options = resolveDQNOptions('example', { stateSize: 2, actions: 3 })
 * const actor = new Actor(options)
 * const net = qNetwork(options, new Random(0))
 * const a = actor.act('act', net, [0.5, 0.1])           // random with probability ε, else argmax Q
 * a                                                     // 0
 * actor.complete('learn', 1, [0.6, 0.1], false)   // { state: [0.5, 0.1], action: 0, reward: 1, nextState: [0.6, 0.1], done: false }
 */
export class Actor {
  steps = 0
  episodes = 0
  /** Exploration draws: the third stream of the seed (see DQNLearner). */
  readonly rng: Random
  private pendingState: Float32Array | null = null
  private pendingAction = -1
  private readonly input: Tensor

  constructor(readonly options: ResolvedDQNOptions) {
    this.rng = new Random(options.seed + 2)
    this.input = new Tensor(new Float32Array(options.stateSize), [1, options.stateSize])
  }

  /** ε now. */
  get epsilon(): number {
    return epsilonAt('DQN', this.options, this.steps)
  }

  /** The Q-values of `state` under `net` (a fresh array). */
  qValues(who: string, net: MLP, state: ArrayLike<number>): Float32Array {
    this.checkState(who, 'state', state)
    this.input.data.set(state)
    return Float32Array.from(noGrad(() => net.forward(this.input)).data)
  }

  /** Chooses an action for `state`: random with probability ε, else the one with the largest Q. */
  act(who: string, net: MLP, state: ArrayLike<number>): number {
    const q = this.qValues(who, net, state)
    const e = epsilonAt(who, this.options, this.steps)
    // One draw every time, explored or not, so that the stream does not depend on the weights.
    const explore = this.rng.next() < e
    let action = 0
    if (explore) action = this.rng.int(this.options.actions)
    else for (let a = 1; a < q.length; a++) if (q[a] > q[action]) action = a
    this.pendingState = Float32Array.from(state)
    this.pendingAction = action
    return action
  }

  /** Completes the pending (state, action) into a transition; counts steps and episodes. */
  complete(who: string, reward: number, nextState: ArrayLike<number>, done: boolean): Transition {
    if (this.pendingState === null)
      throw new Error(
        `${who}: call act(state) before learn(reward, nextState, done): there is no action to learn about`,
      )
    if (typeof reward !== 'number' || !Number.isFinite(reward))
      throw new Error(`${who}: reward must be a finite number, got ${String(reward)}`)
    if (typeof done !== 'boolean') throw new Error(`${who}: done must be true or false, got ${String(done)}`)
    this.checkState(who, 'nextState', nextState)
    const t: Transition = {
      state: this.pendingState,
      action: this.pendingAction,
      reward,
      nextState: Float32Array.from(nextState),
      done,
    }
    this.pendingState = null
    this.steps++
    if (done) this.episodes++
    return t
  }

  save(): SavedActor {
    return { steps: this.steps, episodes: this.episodes, epsilon: this.epsilon, rng: this.rng.getState() }
  }

  /** Checks saved actor state; returns a function that writes it in. */
  prepareLoad(who: string, saved: unknown): () => void {
    const s = saved as Partial<SavedActor> | null
    if (s === null || typeof s !== 'object')
      throw new Error(`${who}: expected the actor's saved state, got ${s === null ? 'null' : typeof s}`)
    for (const k of ['steps', 'episodes'] as const) {
      if (!Number.isInteger(s[k]) || (s[k] as number) < 0)
        throw new Error(`${who}: ${k} must be a non-negative integer, got ${String(s[k])}`)
    }
    const mine = epsilonAt(who, this.options, s.steps as number)
    if (typeof s.epsilon !== 'number' || Math.abs(mine - s.epsilon) > 1e-12) {
      throw new Error(
        `${who}: saved with ε = ${s.epsilon} at step ${s.steps}, but this agent's epsilon schedule gives ${mine} there: load with the same epsilon option`,
      )
    }
    const probe = new Random(0)
    probe.setState(s.rng as [number, number | null])
    return () => {
      this.steps = s.steps as number
      this.episodes = s.episodes as number
      this.rng.setState(probe.getState())
      this.pendingState = null
    }
  }

  private checkState(who: string, what: string, state: ArrayLike<number>): void {
    const S = this.options.stateSize
    if (state === null || typeof state !== 'object' || typeof state.length !== 'number')
      throw new Error(`${who}: ${what} must be an array of ${S} numbers, got ${state === null ? 'null' : typeof state}`)
    if (state.length !== S) throw new Error(`${who}: ${what} has ${state.length} numbers, expected stateSize ${S}`)
    for (let j = 0; j < S; j++)
      if (!Number.isFinite(state[j])) throw new Error(`${who}: ${what}[${j}] is ${state[j]}, expected a finite number`)
  }
}
