/**
 * Seeded pseudo-random numbers. Every random tensor (rand, randn, weight initialisers, dropout,
 * shuffling) draws from one generator, so `seed(n)` makes a whole program repeatable: the same
 * seed gives bit-identical values on every run and every machine (the generator uses only 32-bit
 * integer arithmetic, and Box–Muller uses Math.log/sqrt/cos on float64 — deterministic in V8).
 */

/**
 * mulberry32: a tiny 32-bit generator with a full 2³² period, good enough for weights and
 * shuffles (not for cryptography). Normal values come from the Box–Muller transform,
 * z = √(−2 ln u)·cos(2πv) for u, v uniform.
 * @example
 * import { Random } from 'tapegrad'
 * const rng = new Random(1)
 * rng.uniform(-1, 1)    // 0.2541
 * rng.shuffle([1, 2, 3]) // [3, 2, 1]
 * new Random(1).uniform(-1, 1) // 0.2541
 */
export class Random {
  private state: number
  private spare: number | null = null

  constructor(seedValue = 0) {
    this.state = seedValue >>> 0
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next()
  }

  /** Standard normal N(0, 1) by the Box–Muller transform (pairs are cached). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = this.next()
    while (u === 0) u = this.next() // log(0) = -∞
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /**
   * The generator's whole state, for saving: the 32-bit counter and the cached second normal
   * value (null when none is cached). `setState` of it continues the same sequence.
   * @example
   * import { Random } from 'tapegrad'
   * const r = new Random(1)
   * r.next()
   * const saved = r.getState()
   * const a = r.next()
   * r.setState(saved)
   * r.next() === a // true
   * r.setState([-1, null]) // throws Random.setState
   */
  getState(): [number, number | null] {
    return [this.state, this.spare]
  }

  /** Restores what `getState` returned; throws (changing nothing) on anything else. */
  setState(saved: readonly [number, number | null]): void {
    if (
      !Array.isArray(saved) ||
      saved.length !== 2 ||
      !Number.isInteger(saved[0]) ||
      saved[0] < 0 ||
      saved[0] > 0xffffffff ||
      (saved[1] !== null && !Number.isFinite(saved[1]))
    ) {
      throw new Error(
        `Random.setState: expected [state (a 32-bit unsigned integer), spare (a finite number or null)], got ${JSON.stringify(saved)}`,
      )
    }
    this.state = saved[0]
    this.spare = saved[1]
  }

  /** Fisher–Yates shuffle of `array` in place; returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = array[i]
      array[i] = array[j]
      array[j] = t
    }
    return array
  }
}

let globalRandom = new Random(0)

/**
 * Reseeds the global generator used by `rand`, `randn`, initialisers and shuffles.
 * @example
 * import { seed, randn } from 'tapegrad'
 * seed(42)
 * const a = randn([3])
 * seed(42)
 * const b = randn([3])
 * a // [-0.9562, 0.3221, -0.2730]
 * a.data.every((v, i) => v === b.data[i]) // true
 */
export function seed(n: number): void {
  if (!Number.isFinite(n)) throw new Error(`seed: expected a finite number, got ${n}`)
  globalRandom = new Random(n)
}

/**
 * The global generator (seeded with 0 until `seed` is called).
 * @example
 * import { defaultRandom, seed } from 'tapegrad'
 * seed(1)
 * const first = defaultRandom().normal()
 * seed(1)
 * defaultRandom().normal() === first // true
 */
export function defaultRandom(): Random {
  return globalRandom
}
