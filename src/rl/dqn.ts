/**
 * `DQN`: a deep Q-network agent with a two-call API (Mnih et al., 2015, "Human-level control
 * through deep reinforcement learning"): `act(state)` returns an action, `learn(reward,
 * nextState, done)` tells it what that action led to.
 *
 * Inside: an online Q-network (an `nn.MLP`) that scores each action, ε-greedy exploration with ε
 * decaying over the transitions seen, a replay buffer of the last transitions, a target network
 * that is a periodic copy of the online one, and Huber-loss gradient steps with a tapegrad
 * optimizer (Adam by default). Everything is seeded: the same seed and the same game give the
 * same agent. `save()` keeps the whole agent — weights, optimizer state, target network, replay
 * buffer, ε and the counters, and the generators — and `load()` continues it exactly.
 *
 * Learning and acting here both run on the calling thread. To learn in a worker while the game
 * acts on the main thread, see `dqnTraining` and `startDQN`.
 */
import type { MLP } from '../nn/mlp.js'
import { Random } from '../random.js'
import { Actor } from './actor.js'
import { DQNLearner } from './dqn-learner.js'
import { qNetwork, resolveDQNOptions, savedOptions, type DQNOptions, type ResolvedDQNOptions } from './dqn-options.js'
import { checkSavedDQN, DQN_FORMAT, DQN_VERSION, type SavedDQN } from './saved-dqn.js'

/**
 * A DQN agent.
 * @example
 * import { DQN } from 'tapegrad/rl'
 *
 * const agent = new DQN({ stateSize: 2, actions: 2, hidden: [16], seed: 1 })
 * // random while ε is high, later argmax Q; the seed fixes which:
 * const action = agent.act([0, 1])        // 0
 * agent.learn(1, [1, 0], true)            // its reward, the next state, and the episode ended
 * agent.steps                             // 1
 * const copy = new DQN({ stateSize: 2, actions: 2, hidden: [16], seed: 1 })
 * copy.load(JSON.stringify(agent.save())) // the whole agent: weights, optimizer, replay, ε, …
 * copy.steps                              // 1
 */
export class DQN {
  readonly options: ResolvedDQNOptions
  /** The online Q-network: Q(s, ·) = net.forward(s). */
  readonly net: MLP
  private readonly learner: DQNLearner
  private readonly actor: Actor
  /** The loss of the last gradient step (null before the first). */
  lastLoss: number | null = null

  constructor(options: DQNOptions) {
    this.options = resolveDQNOptions('DQN', options)
    this.net = qNetwork(this.options, new Random(this.options.seed))
    this.learner = new DQNLearner(this.net, this.options)
    this.actor = new Actor(this.options)
  }

  /** The action for `state` (stateSize numbers): ε-greedy on the online network. */
  act(state: ArrayLike<number>): number {
    return this.actor.act('DQN.act', this.net, state)
  }

  /**
   * What the last action led to: its reward, the next state, and whether the episode ended there
   * (then the next state's value is not counted). Stores the transition and takes a gradient step
   * when one is due; returns its loss, or null when none was taken.
   */
  learn(reward: number, nextState: ArrayLike<number>, done: boolean): number | null {
    const loss = this.learner.observe(this.actor.complete('DQN.learn', reward, nextState, done))
    if (loss !== null) this.lastLoss = loss
    return loss
  }

  /** Q(state, a) for every action (a fresh array). */
  qValues(state: ArrayLike<number>): Float32Array {
    return this.actor.qValues('DQN.qValues', this.net, state)
  }

  /** Exploration ε now. */
  get epsilon(): number {
    return this.actor.epsilon
  }

  /** Transitions learned from (`learn` calls). */
  get steps(): number {
    return this.actor.steps
  }

  /** Episodes ended. */
  get episodes(): number {
    return this.actor.episodes
  }

  /** Gradient steps taken. */
  get updates(): number {
    return this.learner.updates
  }

  /** Transitions in the replay buffer. */
  get replaySize(): number {
    return this.learner.replay.size
  }

  /** The whole agent as JSON-safe data. */
  save(): SavedDQN {
    return {
      format: DQN_FORMAT,
      version: DQN_VERSION,
      options: savedOptions(this.options),
      actor: this.actor.save(),
      learner: this.learner.save(),
    }
  }

  /**
   * Restores `save()`'s result (or its JSON text) into this agent, which must have been made with
   * the same options; checks everything first and changes nothing when something does not fit.
   * A pending `act` is forgotten: call `act` again before the next `learn`.
   */
  load(saved: SavedDQN | string): void {
    const who = `DQN '${this.options.name}': load`
    const s = checkSavedDQN(who, saved, this.options)
    const writeActor = this.actor.prepareLoad(who, s.actor)
    this.learner.load(s.learner)
    writeActor()
    this.lastLoss = null
  }
}
