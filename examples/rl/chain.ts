/**
 * A chain of `n` states 0 … n−1 (one-hot), starting at 0: action 0 moves left (or stays at 0),
 * action 1 moves right. Reaching state n−1 ends the episode with reward +1; every other step
 * costs 0.01; an episode is cut off after 3·n steps. Deterministic given the actions — the
 * smallest task on which a DQN must carry a reward back over several steps. A random policy
 * rarely reaches the end in time.
 */

/** What a step returns. */
export interface ChainStep {
  state: Float32Array
  reward: number
  done: boolean
}

/**
 * @example
 * const chain = new Chain(8)
 * chain.reset()
 * chain.step(1).state // one-hot of state 1
 */
export class Chain {
  position = 0
  private t = 0

  constructor(readonly n = 8) {
    if (!Number.isInteger(n) || n < 2) throw new Error(`Chain: n must be an integer ≥ 2, got ${n}`)
  }

  reset(): Float32Array {
    this.position = 0
    this.t = 0
    return this.state()
  }

  state(): Float32Array {
    const s = new Float32Array(this.n)
    s[this.position] = 1
    return s
  }

  step(action: number): ChainStep {
    if (action !== 0 && action !== 1) throw new Error(`Chain.step: action must be 0 or 1, got ${action}`)
    this.position = action === 1 ? this.position + 1 : Math.max(0, this.position - 1)
    this.t++
    const atEnd = this.position === this.n - 1
    const done = atEnd || this.t >= 3 * this.n
    return { state: this.state(), reward: atEnd ? 1 : -0.01, done }
  }
}
