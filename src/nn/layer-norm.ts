/**
 * `LayerNorm` (Ba, Kiros & Hinton, 2016): normalises each sample over its last axes.
 */
import { fmt, sizeOf, type DType } from '../nd.js'
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js'
import { mean, variance } from '../ops/reduce.js'
import { ones, Tensor, zeros } from '../tensor.js'
import { Module } from './module.js'

/**
 * y = (x − μ) / √(σ² + ε) · γ + β, with μ and σ² (biased) taken over the last
 * `normalizedShape.length` axes of each sample, and γ (ones), β (zeros) of `normalizedShape`
 * learned when `elementwiseAffine` (default true). A composite: its gradient comes from the
 * chain rule through mean, variance, sub, div.
 * @example
 * import { nn, tensor } from 'tapegrad'
 * const ln = new nn.LayerNorm([4])
 * ln.forward(tensor([[1, 2, 3, 4]])) // [[-1.342, -0.447, 0.447, 1.342]]
 */
export class LayerNorm extends Module {
  /** γ, shape normalizedShape. */
  weight?: Tensor
  /** β, shape normalizedShape. */
  bias?: Tensor
  /** The trailing axes normalised over. */
  readonly normalizedShape: readonly number[]
  /** ε added to σ² before the root (default 1e-5). */
  readonly eps: number

  constructor(
    normalizedShape: number | number[],
    options: { eps?: number; elementwiseAffine?: boolean; dtype?: DType } = {},
  ) {
    super()
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new Error(
        `LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`,
      )
    }
    this.normalizedShape = shape.slice()
    this.eps = options.eps ?? 1e-5
    if (options.elementwiseAffine ?? true) {
      this.weight = ones(shape, { dtype: options.dtype, requiresGrad: true })
      this.bias = zeros(shape, { dtype: options.dtype, requiresGrad: true })
    }
  }

  override forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length
    const tail = x instanceof Tensor ? x.shape.slice(x.ndim - k) : []
    if (!(x instanceof Tensor) || x.ndim < k || tail.some((s, i) => s !== this.normalizedShape[i])) {
      const got = x instanceof Tensor ? fmt(x.shape) : String(x)
      throw new Error(`LayerNorm: input of shape ${got} must end with ${fmt(this.normalizedShape)}`)
    }
    if (sizeOf(tail) === 0) return x
    const axes: number[] = []
    for (let i = x.ndim - k; i < x.ndim; i++) axes.push(i)
    const mu = mean(x, axes, true)
    const v = variance(x, axes, true)
    let y = div(sub(x, mu), sqrt(add(v, this.eps)))
    if (this.weight) y = mul(y, this.weight)
    if (this.bias) y = add(y, this.bias)
    return y
  }

  override toString(): string {
    return `LayerNorm(${fmt(this.normalizedShape)})`
  }
}
