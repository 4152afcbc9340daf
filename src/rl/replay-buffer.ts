/**
 * `ReplayBuffer`: the last `capacity` transitions (s, a, r, s′, done) of an agent, in flat
 * Float32Arrays (a ring: the oldest is overwritten first), sampled uniformly with replacement.
 * Learning from random old transitions rather than from the latest ones breaks the correlation
 * between consecutive steps (Mnih et al., 2015, "Human-level control through deep reinforcement
 * learning", the "experience replay" of Algorithm 1).
 */
import type { Random } from '../random.js'
import { decodeFloat32, encodeFloat32 } from './float-codec.js'

/** Where `sample` writes: arrays of batchSize (·stateSize) numbers. */
export interface TransitionBatch {
  states: Float32Array
  actions: Float32Array
  rewards: Float32Array
  nextStates: Float32Array
  /** 1 where the episode ended with this transition, else 0. */
  dones: Float32Array
}

/** A replay buffer as plain data (what `save` returns). */
export interface SavedReplay {
  capacity: number
  stateSize: number
  size: number
  next: number
  states: string
  actions: string
  rewards: string
  nextStates: string
  dones: string
}

/**
 * Ring buffer of transitions.
 * @example
 * import { ReplayBuffer } from 'tapegrad/rl'
 *
 * const replay = new ReplayBuffer(1000, 4)
 * replay.push([0, 0, 0, 0], 1, 0.5, [0, 0, 0.1, 0], false)
 * replay.size // 1
 */
export class ReplayBuffer {
  readonly states: Float32Array
  readonly actions: Float32Array
  readonly rewards: Float32Array
  readonly nextStates: Float32Array
  readonly dones: Float32Array
  /** Transitions held (≤ capacity). */
  size = 0
  /** Where the next transition goes. */
  next = 0

  constructor(
    readonly capacity: number,
    readonly stateSize: number,
  ) {
    for (const [what, v] of [
      ['capacity', capacity],
      ['stateSize', stateSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`ReplayBuffer: ${what} must be a positive integer, got ${v}`)
    }
    this.states = new Float32Array(capacity * stateSize)
    this.actions = new Float32Array(capacity)
    this.rewards = new Float32Array(capacity)
    this.nextStates = new Float32Array(capacity * stateSize)
    this.dones = new Float32Array(capacity)
  }

  /** Stores a transition, overwriting the oldest when full. */
  push(state: ArrayLike<number>, action: number, reward: number, nextState: ArrayLike<number>, done: boolean): void {
    const S = this.stateSize
    const k = this.next
    for (let j = 0; j < S; j++) {
      this.states[k * S + j] = state[j]
      this.nextStates[k * S + j] = nextState[j]
    }
    this.actions[k] = action
    this.rewards[k] = reward
    this.dones[k] = done ? 1 : 0
    this.next = (k + 1) % this.capacity
    this.size = Math.min(this.capacity, this.size + 1)
  }

  /** Fills `out` with `n` transitions drawn uniformly, with replacement, by `rng`. */
  sample(n: number, rng: Random, out: TransitionBatch): void {
    if (this.size === 0) throw new Error('ReplayBuffer.sample: the buffer is empty')
    const S = this.stateSize
    for (let b = 0; b < n; b++) {
      const k = rng.int(this.size)
      out.states.set(this.states.subarray(k * S, k * S + S), b * S)
      out.nextStates.set(this.nextStates.subarray(k * S, k * S + S), b * S)
      out.actions[b] = this.actions[k]
      out.rewards[b] = this.rewards[k]
      out.dones[b] = this.dones[k]
    }
  }

  /** The whole buffer as JSON-safe data (only the `size` transitions held are stored). */
  save(): SavedReplay {
    const S = this.stateSize
    const n = this.size
    return {
      capacity: this.capacity,
      stateSize: S,
      size: n,
      next: this.next,
      states: encodeFloat32(this.states.subarray(0, n * S)),
      actions: encodeFloat32(this.actions.subarray(0, n)),
      rewards: encodeFloat32(this.rewards.subarray(0, n)),
      nextStates: encodeFloat32(this.nextStates.subarray(0, n * S)),
      dones: encodeFloat32(this.dones.subarray(0, n)),
    }
  }

  /**
   * Checks saved data against this buffer's capacity and state size and decodes it; returns a
   * function that writes it in (so that a caller can check several parts before changing any).
   */
  prepareLoad(who: string, saved: unknown): () => void {
    const s = saved as Partial<SavedReplay> | null
    if (s === null || typeof s !== 'object')
      throw new Error(`${who}: replay must be an object, got ${s === null ? 'null' : typeof s}`)
    if (s.capacity !== this.capacity || s.stateSize !== this.stateSize) {
      throw new Error(
        `${who}: the replay buffer was saved with capacity ${s.capacity} and state size ${s.stateSize}, this one has ${this.capacity} and ${this.stateSize}`,
      )
    }
    const n = s.size as number
    if (!Number.isInteger(n) || n < 0 || n > this.capacity)
      throw new Error(`${who}: replay size must be an integer in [0, ${this.capacity}], got ${s.size}`)
    if (
      !Number.isInteger(s.next) ||
      (s.next as number) < 0 ||
      (s.next as number) >= this.capacity ||
      (n < this.capacity && s.next !== n % this.capacity)
    ) {
      throw new Error(`${who}: replay position ${s.next} does not fit size ${n} and capacity ${this.capacity}`)
    }
    const S = this.stateSize
    const states = decodeFloat32(who, 'replay.states', s.states, n * S)
    const nextStates = decodeFloat32(who, 'replay.nextStates', s.nextStates, n * S)
    const actions = decodeFloat32(who, 'replay.actions', s.actions, n)
    const rewards = decodeFloat32(who, 'replay.rewards', s.rewards, n)
    const dones = decodeFloat32(who, 'replay.dones', s.dones, n)
    return () => {
      this.states.fill(0).set(states)
      this.nextStates.fill(0).set(nextStates)
      this.actions.fill(0).set(actions)
      this.rewards.fill(0).set(rewards)
      this.dones.fill(0).set(dones)
      this.size = n
      this.next = s.next as number
    }
  }
}
