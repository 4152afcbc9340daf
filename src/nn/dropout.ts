/**
 * `Dropout` (Srivastava et al., 2014), inverted: in training each element is kept with
 * probability 1 − p and scaled by 1/(1 − p), so evaluation needs no rescaling and is the identity.
 */
import { allocate } from '../nd.js'
import { mul } from '../ops/elementwise.js'
import { defaultRandom, Random } from '../random.js'
import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import { checkTensor } from '../check.js'

/**
 * y = x·m/(1 − p) with m ~ Bernoulli(1 − p) per element while `training`; y = x in `eval()`.
 * Masks come from `seed` (its own generator: the same seed gives the same masks) or, without one,
 * from the global generator. The gradient flows through the kept elements only.
 * @example
 * import { nn, ones } from 'tapegrad'
 * const drop = new nn.Dropout(0.5, { seed: 1 })
 * drop.forward(ones([4]))          // [2, 0, 2, 2]
 * drop.eval().forward(ones([4]))   // [1, 1, 1, 1]
 */
export class Dropout extends Module {
  /** Probability of zeroing an element while training. */
  readonly p: number
  private readonly rng: Random | null

  constructor(p = 0.5, options: { seed?: number } = {}) {
    super()
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`)
    this.p = p
    this.rng = options.seed === undefined ? null : new Random(options.seed)
  }

  override forward(x: Tensor): Tensor {
    checkTensor('Dropout', x, 'input')
    if (!this.training || this.p === 0) return x
    const rng = this.rng ?? defaultRandom()
    const scale = 1 / (1 - this.p)
    const m = allocate(x.dtype, x.size)
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < this.p ? 0 : scale
    return mul(x, new Tensor(m, x.shape.slice()))
  }

  override toString(): string {
    return `Dropout(p=${this.p})`
  }
}
