/**
 * `DQNLearner`: the learning half of a DQN agent — replay buffer, target network, optimizer and
 * the gradient step. It is a `Learner` (src/worker), so it runs in a training worker as well as
 * inside a `DQN` on the main thread; the acting half (actor.ts) only needs the online network.
 *
 * The gradient step (Mnih et al., 2015, Algorithm 1) on a batch of transitions (s, a, r, s′, d)
 * drawn from the replay buffer:
 *   y = r + γ·(1 − d)·maxₐ′ Q_target(s′, a′)          the target (no gradient flows into it)
 *   L = mean Huber_δ(Q(s, a) − y)
 * then one optimizer step on the online network's parameters; every `targetUpdate` steps the
 * online network is copied into the target network.
 */
import { loadState, saveState, type SavedState } from '../../optimizers/state-io.js'
import type { Optimizer, Trainer as OptimizerLoop } from '../../optimizers/optimizer.js'
import { describeValue } from '../describe-value.js'
import { huber } from '../nn/losses.js'
import type { MLP } from '../nn/mlp.js'
import { mul } from '../ops/elementwise.js'
import { max, sum } from '../ops/reduce.js'
import { Random } from '../random.js'
import { noGrad } from '../recording.js'
import { backward } from '../tape.js'
import { Tensor } from '../tensor.js'
import type { Learner } from '../worker/training-spec.js'
import { qNetwork, type ResolvedDQNOptions } from './dqn-options.js'
import { decodeFloat32, encodeFloat32 } from './float-codec.js'
import { ReplayBuffer, type SavedReplay, type TransitionBatch } from './replay-buffer.js'

/** The learner's part of a saved agent. */
export interface SavedDQNLearner {
  /** Transitions observed. */
  transitions: number
  /** Gradient steps taken. */
  updates: number
  /** The optimizer state (it holds the online network's weights). */
  optimizer: SavedState
  /** The target network's weights, flat in `namedParameters()` order. */
  target: string
  replay: SavedReplay
  /** The replay sampler's generator. */
  rng: [number, number | null]
}

/** One transition as the learner receives it. */
export interface Transition {
  state: ArrayLike<number>
  action: number
  reward: number
  nextState: ArrayLike<number>
  done: boolean
}

/** Copies every parameter of `from` into `to` (same architecture). */
function copyWeights(from: MLP, to: MLP): void {
  const src = from.namedParameters()
  to.namedParameters().forEach(([, t], k) => t.data.set(src[k][1].data))
}

/**
 * Replay buffer + target network + optimizer over an online Q-network.
 * @example
 * import { Random } from 'tapegrad'
 * import { DQNLearner, resolveDQNOptions } from 'tapegrad/rl'
 * import { qNetwork } from './src/rl/dqn-options'   // internal: the Q-network of the options
 *
 * const o = resolveDQNOptions('example', { stateSize: 2, actions: 2, learnStart: 32 })
 * const learner = new DQNLearner(qNetwork(o, new Random(0)), o)
 * // no gradient step (null) while the replay holds fewer than learnStart transitions:
 * learner.observe({ state: [0, 1], action: 1, reward: 1, nextState: [1, 1], done: true }) // null
 */
export class DQNLearner implements Learner {
  /** The network being trained (what acting reads). */
  readonly online: MLP
  /** The slowly following copy the targets are computed with. */
  readonly target: MLP
  readonly replay: ReplayBuffer
  /** Transitions observed. */
  transitions = 0
  /** Gradient steps taken. */
  updates = 0
  private readonly opt: Optimizer
  private readonly loop: OptimizerLoop
  private readonly rng: Random
  private readonly batch: TransitionBatch
  private readonly s: Tensor
  private readonly s2: Tensor
  private readonly mask: Tensor
  private readonly y: Tensor

  constructor(
    online: MLP,
    readonly options: ResolvedDQNOptions,
  ) {
    const o = options
    this.online = online
    // Same architecture; its initial weights are overwritten by the online ones at once.
    this.target = qNetwork(o, new Random(o.seed))
    copyWeights(online, this.target)
    const opt = o.optimizer()
    if (!opt || typeof opt.attach !== 'function')
      throw new Error(
        `DQN '${o.name}': optimizer() must return an optimizer (e.g. adam(1e-3)), got ${describeValue(opt)}`,
      )
    this.opt = opt
    this.loop = opt.attach(online.parameters())
    this.replay = new ReplayBuffer(o.replaySize, o.stateSize)
    // The sampler's own stream (seed + 1), apart from the initial weights (seed) and the
    // exploration (seed + 2), so that where learning runs does not change what it draws.
    this.rng = new Random(o.seed + 1)
    const B = o.batchSize
    const S = o.stateSize
    this.batch = {
      states: new Float32Array(B * S),
      actions: new Float32Array(B),
      rewards: new Float32Array(B),
      nextStates: new Float32Array(B * S),
      dones: new Float32Array(B),
    }
    // Reused every step: filled before the forward pass, no longer needed once step() returns.
    this.s = new Tensor(this.batch.states, [B, S])
    this.s2 = new Tensor(this.batch.nextStates, [B, S])
    this.mask = new Tensor(new Float32Array(B * o.actions), [B, o.actions])
    this.y = new Tensor(new Float32Array(B), [B])
  }

  /** Stores a transition and takes a gradient step when one is due; returns its loss or null. */
  observe(t: Transition): number | null {
    const o = this.options
    this.replay.push(t.state, t.action, t.reward, t.nextState, t.done)
    this.transitions++
    if (this.transitions < o.learnStart || this.transitions % o.trainEvery !== 0) return null
    return this.update()
  }

  /** One gradient step on a batch sampled from the replay buffer; returns its loss. */
  update(): number {
    this.replay.sample(this.options.batchSize, this.rng, this.batch)
    return this.gradientStep(this.batch)
  }

  /**
   * One gradient step on the given batchSize transitions (the sampled batch, or one of the
   * caller's); returns the loss before the step. Counts the step and copies the online network
   * into the target network when `targetUpdate` steps have been taken.
   */
  gradientStep(batch: TransitionBatch): number {
    const o = this.options
    const B = o.batchSize
    const A = o.actions
    const b = this.batch
    if (batch !== b) {
      if (batch.actions.length !== B || batch.states.length !== B * o.stateSize) {
        throw new Error(
          `DQN '${o.name}': gradientStep: expected a batch of batchSize ${B} transitions, got ${batch.actions.length}`,
        )
      }
      b.states.set(batch.states)
      b.nextStates.set(batch.nextStates)
      b.actions.set(batch.actions)
      b.rewards.set(batch.rewards)
      b.dones.set(batch.dones)
    }
    const mask = this.mask.data
    mask.fill(0)
    for (let i = 0; i < B; i++) mask[i * A + b.actions[i]] = 1
    const next = noGrad(() => max(this.target.forward(this.s2), 1)).data
    const y = this.y.data
    for (let i = 0; i < B; i++) y[i] = b.rewards[i] + o.gamma * (1 - b.dones[i]) * next[i]
    const qa = sum(mul(this.online.forward(this.s), this.mask), 1) // Q(s, a) of the actions taken
    const loss = huber(qa, this.y, { delta: o.huberDelta })
    this.loop.zeroGrad()
    backward(loss)
    this.loop.step()
    this.updates++
    if (this.updates % o.targetUpdate === 0) copyWeights(this.online, this.target)
    return loss.item()
  }

  /**
   * A chunk of transitions from the acting side (the worker protocol): `states` [n, S],
   * `actions` [n], `rewards` [n], `nextStates` [n, S], `dones` [n]. Returns the mean loss of the
   * gradient steps it took, or null when it took none.
   */
  learn(batch: Record<string, Tensor>): number | null {
    const who = `DQN '${this.options.name}': learn`
    const S = this.options.stateSize
    const { states, actions, rewards, nextStates, dones } = batch
    if (!states || !actions || !rewards || !nextStates || !dones)
      throw new Error(
        `${who}: expected a batch { states, actions, rewards, nextStates, dones }, got { ${Object.keys(batch).join(', ')} }`,
      )
    const n = actions.size
    if (states.size !== n * S || nextStates.size !== n * S || rewards.size !== n || dones.size !== n) {
      throw new Error(
        `${who}: ${n} actions need states and nextStates of ${n}·${S} numbers and ${n} rewards and dones, got ${states.size}, ${nextStates.size}, ${rewards.size}, ${dones.size}`,
      )
    }
    let total = 0
    let steps = 0
    for (let i = 0; i < n; i++) {
      const loss = this.observe({
        state: states.data.subarray(i * S, i * S + S),
        action: actions.data[i],
        reward: rewards.data[i],
        nextState: nextStates.data.subarray(i * S, i * S + S),
        done: dones.data[i] !== 0,
      })
      if (loss !== null) {
        total += loss
        steps++
      }
    }
    return steps ? total / steps : null
  }

  /** Everything needed to continue exactly (JSON-safe). */
  save(): SavedDQNLearner {
    const flat = new Float32Array(this.target.numParameters())
    let k = 0
    for (const [, t] of this.target.namedParameters()) {
      flat.set(t.data, k)
      k += t.size
    }
    return {
      transitions: this.transitions,
      updates: this.updates,
      optimizer: saveState(this.loop.state, this.opt),
      target: encodeFloat32(flat),
      replay: this.replay.save(),
      rng: this.rng.getState(),
    }
  }

  /** Restores `save()`'s result; checks every part first and changes nothing if one does not fit. */
  load(saved: unknown): void {
    const who = `DQN '${this.options.name}': load`
    const s = saved as Partial<SavedDQNLearner> | null
    if (s === null || typeof s !== 'object')
      throw new Error(`${who}: expected the learner's saved state, got ${describeValue(saved)}`)
    for (const k of ['transitions', 'updates'] as const) {
      if (!Number.isInteger(s[k]) || (s[k] as number) < 0)
        throw new Error(`${who}: ${k} must be a non-negative integer, got ${describeValue(s[k])}`)
    }
    const target = decodeFloat32(who, 'target', s.target, this.target.numParameters())
    const writeReplay = this.replay.prepareLoad(who, s.replay)
    const probe = new Random(0)
    probe.setState(s.rng as [number, number | null]) // throws on a bad state
    // The optimizer state is checked completely before anything is written (state-io.ts); the
    // other parts were checked above, so nothing can fail after the first write.
    loadState(s.optimizer as SavedState, this.opt, this.loop.state)
    writeReplay()
    let k = 0
    for (const [, t] of this.target.namedParameters()) {
      t.data.set(target.subarray(k, k + t.size))
      k += t.size
    }
    this.rng.setState(probe.getState())
    this.transitions = s.transitions as number
    this.updates = s.updates as number
  }
}
