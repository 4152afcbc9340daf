/**
 * Weight initialisation: Xavier/Glorot and He/Kaiming, uniform and normal.
 *
 * All draw from the seeded generator (`seed(n)`, or an explicit `rng`), one value after the other
 * in row-major order, so the same seed gives bit-identical weights on every run and machine.
 *
 * Fans follow tapegrad's layout of a dense weight, `[inFeatures, outFeatures]` (y = x·W + b, no
 * transpose): fanIn = shape[0], fanOut = shape[1]; extra trailing axes multiply both (a receptive
 * field); a 1-D shape [n] has fanIn = fanOut = n. Pass `fanIn`/`fanOut` to override.
 */
import { resolveNamed } from '../check.js'
import { allocate, fmt, sizeOf, type DType, type FloatArray } from '../nd.js'
import { defaultRandom, type Random } from '../random.js'
import { Tensor } from '../tensor.js'

/** Options shared by the initialisers. */
export interface InitOptions {
  /** Scale factor (see `calculateGain`); Xavier defaults to 1, He to √2 (ReLU). */
  gain?: number
  /** Generator to draw from (default: the global one, see `seed`). */
  rng?: Random
  /** Element type (default 'float32'). */
  dtype?: DType
  /** Override the fan-in computed from the shape. */
  fanIn?: number
  /** Override the fan-out computed from the shape. */
  fanOut?: number
  /** Mark the result as a parameter (default true). */
  requiresGrad?: boolean
}

/** An initialiser: a shape in, a fresh tensor out. */
export type Initializer = (shape: number[], options?: InitOptions) => Tensor

/**
 * [fanIn, fanOut] of a weight shape in tapegrad's layout ([in, out, …receptive field]).
 * @example
 * import { nn } from 'tapegrad'
 * nn.fans([784, 128]) // [784, 128]
 * nn.fans([16, 8, 3, 3]) // [144, 72]
 */
export function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1]
  if (shape.length === 1) return [shape[0], shape[0]]
  let receptive = 1
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]
  return [shape[0] * receptive, shape[1] * receptive]
}

/**
 * The recommended gain for a nonlinearity, as in PyTorch's `calculate_gain`:
 * linear/sigmoid 1, tanh 5/3, relu √2, leakyRelu √(2/(1+slope²)), selu 3/4.
 * @example
 * import { nn } from 'tapegrad'
 * nn.calculateGain('tanh') // 1.6667
 * nn.calculateGain('relu') // 1.4142
 * nn.xavierUniform([16, 16], { gain: nn.calculateGain('tanh') }).shape // [16, 16]
 */
export function calculateGain(
  nonlinearity: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu',
  slope = 0.01,
): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1
    case 'tanh':
      return 5 / 3
    case 'relu':
      return Math.SQRT2
    case 'leakyRelu':
      return Math.sqrt(2 / (1 + slope * slope))
    case 'selu':
      return 3 / 4
    default:
      throw new Error(
        `calculateGain: unknown nonlinearity '${String(nonlinearity)}' (linear, sigmoid, tanh, relu, leakyRelu, selu)`,
      )
  }
}

function checked(
  who: string,
  shape: readonly number[],
  options: InitOptions,
): { fanIn: number; fanOut: number; n: number } {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(
      `${who}: invalid shape ${Array.isArray(shape) ? fmt(shape) : String(shape)}: sizes must be non-negative integers`,
    )
  }
  const [fi, fo] = fans(shape)
  const fanIn = options.fanIn ?? fi
  const fanOut = options.fanOut ?? fo
  if (!(fanIn > 0) || !(fanOut > 0))
    throw new Error(`${who}: fan-in ${fanIn} and fan-out ${fanOut} of shape ${fmt(shape)} must be positive`)
  return { fanIn, fanOut, n: sizeOf(shape) }
}

function build(
  shape: readonly number[],
  options: InitOptions,
  fill: (d: Float32Array | Float64Array, rng: Random) => void,
): Tensor {
  const dtype = options.dtype ?? 'float32'
  if (dtype === 'int32')
    throw new Error(
      `initializer: dtype 'int32' is not supported for parameters of shape ${fmt(shape)}; use 'float32' or 'float64'`,
    )
  const d = allocate(dtype, sizeOf(shape)) as FloatArray
  fill(d, options.rng ?? defaultRandom())
  const t = new Tensor(d, shape.slice())
  t.requiresGrad = options.requiresGrad ?? true
  return t
}

/** Fills with U(−a, a). */
function fillUniform(a: number) {
  return (d: Float32Array | Float64Array, rng: Random) => {
    for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-a, a)
  }
}

/** Fills with N(0, std²). */
function fillNormal(std: number) {
  return (d: Float32Array | Float64Array, rng: Random) => {
    for (let i = 0; i < d.length; i++) d[i] = std * rng.normal()
  }
}

/**
 * Xavier/Glorot uniform (Glorot & Bengio, 2010): U(−a, a) with a = gain·√(6 / (fanIn + fanOut)),
 * which keeps the variance of activations and of gradients roughly constant across layers of
 * tanh/sigmoid/linear units.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const W = nn.xavierUniform([2, 16])
 * // values in ±√(6/18) ≈ ±0.577
 * W.abs().max().item() <= Math.sqrt(6 / 18) // true
 * W.requiresGrad // true
 */
export function xavierUniform(shape: number[], options: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = checked('xavierUniform', shape, options)
  const a = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut))
  return build(shape, options, fillUniform(a))
}

/**
 * Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const W = nn.xavierNormal([16, 16], { gain: nn.calculateGain('tanh') })
 * // σ = (5/3)·√(2/32) ≈ 0.417; the 256 values' standard deviation:
 * W.var().sqrt().item() // 0.430
 */
export function xavierNormal(shape: number[], options: InitOptions = {}): Tensor {
  const { fanIn, fanOut } = checked('xavierNormal', shape, options)
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut))
  return build(shape, options, fillNormal(std))
}

/**
 * He/Kaiming uniform (He et al., 2015), fan-in mode: U(−a, a) with a = gain·√(3 / fanIn) and
 * gain √2 by default, i.e. a = √(6 / fanIn): keeps the activations' variance through ReLU layers.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const W = nn.heUniform([784, 128])
 * // values in ±√(6/784) ≈ ±0.0875
 * W.abs().max().item() <= Math.sqrt(6 / 784) // true
 */
export function heUniform(shape: number[], options: InitOptions = {}): Tensor {
  const { fanIn } = checked('heUniform', shape, options)
  const a = (options.gain ?? Math.SQRT2) * Math.sqrt(3 / fanIn)
  return build(shape, options, fillUniform(a))
}

/**
 * He/Kaiming normal, fan-in mode: N(0, σ²) with σ = gain / √fanIn (gain √2 by default).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const W = nn.heNormal([128, 64])
 * // σ = √(2/128) = 0.125; the 8192 values' standard deviation:
 * W.var().sqrt().item() // 0.126
 */
export function heNormal(shape: number[], options: InitOptions = {}): Tensor {
  const { fanIn } = checked('heNormal', shape, options)
  const std = (options.gain ?? Math.SQRT2) / Math.sqrt(fanIn)
  return build(shape, options, fillNormal(std))
}

/**
 * U(low, high) from the seeded generator (as a parameter by default).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const b = nn.uniform([16], -0.1, 0.1)
 * b.abs().max().item() < 0.1 // true
 */
export function uniform(shape: number[], low = 0, high = 1, options: InitOptions = {}): Tensor {
  checked('uniform', shape, { fanIn: 1, fanOut: 1 })
  return build(shape, options, (d, rng) => {
    for (let i = 0; i < d.length; i++) d[i] = rng.uniform(low, high)
  })
}

/**
 * N(mean, std²) from the seeded generator (as a parameter by default).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const E = nn.normal([1000, 32], 0, 1)   // an embedding table
 * E.mean().item() // 0.008
 * E.var().item() // 1.009
 */
export function normal(shape: number[], mean = 0, std = 1, options: InitOptions = {}): Tensor {
  checked('normal', shape, { fanIn: 1, fanOut: 1 })
  return build(shape, options, (d, rng) => {
    for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal()
  })
}

/** The initialisers by name, for options such as `new Linear(2, 16, { init: 'heNormal' })`. */
export const initializers = { xavierUniform, xavierNormal, heUniform, heNormal } as const

/** Name of a built-in initialiser. */
export type InitName = keyof typeof initializers

/**
 * Resolves an initialiser given by name or as a function.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * nn.resolveInit('Linear', 'heNormal')([4, 8]).shape // [4, 8]
 * nn.resolveInit('Linear', 'he' as nn.InitName) // throws Linear: unknown init 'he'
 */
export function resolveInit(who: string, init: InitName | Initializer): Initializer {
  return resolveNamed(who, 'init', initializers as Readonly<Record<string, Initializer>>, init)
}
