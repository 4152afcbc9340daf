/**
 * Activation functions under `nn`: the core's elementwise primitives and softmax, gathered where
 * a net is built, plus `resolveActivation` so layers can take an activation by name.
 *
 *   relu(x) = max(x, 0)          tanh(x)              sigmoid(x) = 1 / (1 + e⁻ˣ)
 *   gelu(x) = x·Φ(x)             leakyRelu(x) = x > 0 ? x : slope·x
 *   softmax(x)ᵢ = eˣⁱ / Σⱼ eˣʲ   logSoftmax(x) = x − logsumexp(x)   (along the last axis)
 */
import { resolveNamed } from '../check.js'
import { gelu, leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js'
import { logSoftmax, softmax } from '../ops/composite.js'
import type { Tensor } from '../tensor.js'

export { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh }

/** A function from tensor to tensor, used between layers. */
export type Activation = (x: Tensor) => Tensor

/** The activations by name (`new MLP([2, 16, 1], { activation: 'tanh' })`). */
export const activations = {
  relu,
  tanh,
  sigmoid,
  gelu,
  leakyRelu: (x: Tensor) => leakyRelu(x),
  identity: (x: Tensor) => x,
} as const

/** Name of a built-in activation. */
export type ActivationName = keyof typeof activations

/**
 * An activation given by name or as a function, as a function.
 * @example
 * import { nn, tensor } from 'tapegrad'
 * nn.resolveActivation('mlp', 'relu')(tensor([-1, 2])) // [0, 2]
 * nn.resolveActivation('mlp', 'swish' as nn.ActivationName) // throws mlp: unknown activation 'swish'
 */
export function resolveActivation(who: string, activation: ActivationName | Activation): Activation {
  return resolveNamed(who, 'activation', activations as Readonly<Record<string, Activation>>, activation)
}
