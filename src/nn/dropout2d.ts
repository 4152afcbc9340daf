/**
 * `Dropout2d` (Tompson et al., 2015): dropout of whole channels. Neighbouring pixels of a feature
 * map are strongly correlated, so dropping single pixels hardly regularises a conv net; dropping
 * a whole channel of a sample does.
 */
import { allocate, fmt } from '../nd.js'
import { mul } from '../ops/elementwise.js'
import { defaultRandom, Random } from '../random.js'
import { Tensor } from '../tensor.js'
import { Module } from './module.js'
import { checkTensor } from '../check.js'

// The same fields and checks as Dropout (nn/dropout.ts): what differs is the mask's shape (one
// value per channel, broadcast over H and W), which is the whole point of the layer.
/**
 * Channel dropout of [N, C, H, W] inputs: y[n, c] = x[n, c] · m[n, c] / (1 − p) with
 * m[n, c] ~ Bernoulli(1 − p), one draw per sample and channel, while `training`; y = x in
 * `eval()`. Masks come from `seed` (its own generator: the same seed gives the same masks) or,
 * without one, from the global generator. The gradient flows through the kept channels only.
 *
 * A 3-D input is refused: PyTorch 1.13 reads [C, H, W] as [N, C, L] (and warns that this will
 * change), so the meaning would depend on the version; add the batch axis with `unsqueeze(0)`.
 * @example
 * import { nn, ones } from 'tapegrad'
 * const drop = new nn.Dropout2d(0.5, { seed: 1 })
 * drop.forward(ones([1, 4, 2, 2]))  // [[[[2, 2], [2, 2]], [[0, 0], [0, 0]], [[2, 2], [2, 2]], [[2, 2], [2, 2]]]]
 * drop.eval().forward(ones([1, 4, 2, 2])).min().item()  // 1
 */
export class Dropout2d extends Module {
  /** Probability of zeroing a channel while training. */
  readonly p: number
  private readonly rng: Random | null

  constructor(p = 0.5, options: { seed?: number } = {}) {
    super()
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`Dropout2d: p must be in [0, 1), got ${p}`)
    this.p = p
    this.rng = options.seed === undefined ? null : new Random(options.seed)
  }

  override forward(x: Tensor): Tensor {
    checkTensor('Dropout2d', x, 'input')
    if (x.ndim !== 4) {
      const hint = x.ndim === 3 ? ' (for one sample [C, H, W], add the batch axis: x.unsqueeze(0))' : ''
      throw new Error(`Dropout2d: expected an input [N, C, H, W], got ${fmt(x.shape)}${hint}`)
    }
    if (!this.training || this.p === 0) return x
    const rng = this.rng ?? defaultRandom()
    const scale = 1 / (1 - this.p)
    const [N, C] = x.shape
    const m = allocate(x.dtype, N * C)
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < this.p ? 0 : scale
    return mul(x, new Tensor(m, [N, C, 1, 1]))
  }

  override toString(): string {
    return `Dropout2d(p=${this.p})`
  }
}
