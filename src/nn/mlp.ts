/**
 * `MLP`: a stack of `Linear` layers with an activation between them (none after the last).
 */
import type { DType } from '../nd.js'
import type { Random } from '../random.js'
import type { Tensor } from '../tensor.js'
import { resolveActivation, type Activation, type ActivationName } from './activations.js'
import type { Initializer, InitName } from './init.js'
import { Linear } from './linear.js'
import { Module } from './module.js'
import { prefixEntries, type TorchEntry } from './torch-entries.js'

/** Options of `MLP`. */
export interface MLPOptions {
  /** Between layers: a name ('relu' default, 'tanh', 'sigmoid', 'gelu', 'leakyRelu') or a function. */
  activation?: ActivationName | Activation
  /** Applied to the output (default: none, the net returns logits/scores). */
  outputActivation?: ActivationName | Activation
  /**
   * Weight initialiser of the hidden layers. Default: He uniform for ReLU-like activations,
   * Xavier uniform otherwise; the output layer always uses Xavier uniform.
   */
  init?: InitName | Initializer
  /** Generator for the weights (default: the global one, see `seed`). */
  rng?: Random
  /** Element type of the parameters (default 'float32'). */
  dtype?: DType
}

/**
 * Multi-layer perceptron: sizes [n₀, n₁, …, n_k] make k `Linear` layers nᵢ → nᵢ₊₁ with the
 * activation after every layer but the last:  y = L_k(σ(… σ(L₁(x)) …)).
 * Parameters are named `layers.0.weight`, `layers.0.bias`, `layers.1.weight`, …
 * @example
 * import { nn, seed, zeros } from 'tapegrad'
 * seed(0)
 * // ReLU and He initialisation by default: a classic MNIST net
 * const net = new nn.MLP([784, 128, 10])
 * net.forward(zeros([32, 784])).shape // [32, 10]
 * const moons = new nn.MLP([2, 16, 16, 1], { activation: 'tanh' })
 * moons.toString() // 'MLP(2 → 16 → 16 → 1, tanh)'
 * moons.namedParameters().length // 6
 */
export class MLP extends Module {
  /** The dense layers, in order. */
  layers: Linear[]
  private readonly act: Activation
  private readonly outAct: Activation | null
  private readonly actName: string
  /** The layer sizes n₀, n₁, …, n_k: input, hidden and output. */
  readonly sizes: readonly number[]

  constructor(sizes: number[], options: MLPOptions = {}) {
    super()
    if (!Array.isArray(sizes) || sizes.length < 2)
      throw new Error(`MLP: sizes must list at least an input and an output size, got ${JSON.stringify(sizes)}`)
    const activation = options.activation ?? 'relu'
    this.act = resolveActivation('MLP', activation)
    this.outAct = options.outputActivation ? resolveActivation('MLP', options.outputActivation) : null
    this.actName = typeof activation === 'string' ? activation : activation.name || 'custom'
    this.sizes = sizes.slice()
    const reluLike = activation === 'relu' || activation === 'leakyRelu' || activation === 'gelu'
    const hiddenInit = options.init ?? (reluLike ? 'heUniform' : 'xavierUniform')
    this.layers = []
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length
      this.layers.push(
        new Linear(sizes[i], sizes[i + 1], {
          init: last ? 'xavierUniform' : hiddenInit,
          rng: options.rng,
          dtype: options.dtype,
        }),
      )
    }
  }

  override forward(x: Tensor): Tensor {
    let h = x
    const n = this.layers.length
    for (let i = 0; i < n; i++) {
      h = this.layers[i].forward(h)
      if (i + 1 < n) h = this.act(h)
    }
    return this.outAct ? this.outAct(h) : h
  }

  /**
   * As the PyTorch net `nn.Sequential(nn.Linear(n₀, n₁), act, nn.Linear(n₁, n₂), …)`: layer i's
   * entries under its position 2i there (`0.weight`, `2.weight`, …), the activations between.
   */
  override torchEntries(): TorchEntry[] {
    return this.layers.flatMap((l, i) => prefixEntries(String(2 * i), l.torchEntries()))
  }

  override toString(): string {
    return `MLP(${this.sizes.join(' → ')}, ${this.actName})`
  }
}
