/**
 * `Sequential`: runs its layers one after the other.
 */
import type { Tensor } from '../tensor.js'
import { Module } from './module.js'
import { prefixEntries, type TorchEntry } from './torch-entries.js'

/** A layer of a `Sequential`: a module, or a plain function such as `nn.relu`. */
export type Layer = Module | ((x: Tensor) => Tensor)

/**
 * y = f_k(… f₂(f₁(x)) …). Layers are modules or plain functions (activations); parameters are
 * named by position, as in PyTorch: `layers.0.weight`, `layers.2.weight` (index 1 being `relu`).
 * @example
 * import { nn, seed, tensor } from 'tapegrad'
 * seed(0)
 * const net = new nn.Sequential(new nn.Linear(2, 16), nn.relu, new nn.Linear(16, 1))
 * net.forward(tensor([[0, 1]])).shape // [1, 1]
 */
export class Sequential extends Module {
  /** The layers in order: modules or plain functions of a tensor. */
  layers: Layer[]

  constructor(...layers: Layer[]) {
    super()
    layers.forEach((l, i) => {
      if (!(l instanceof Module) && typeof l !== 'function') {
        throw new Error(`Sequential: layer ${i} must be a Module or a function, got ${l === null ? 'null' : typeof l}`)
      }
    })
    this.layers = layers
  }

  override forward(x: Tensor): Tensor {
    let h = x
    for (const l of this.layers) h = l instanceof Module ? l.forward(h) : l(h)
    return h
  }

  /** As torch's `nn.Sequential`: each layer's entries under its position (`2.weight`). */
  override torchEntries(): TorchEntry[] {
    return this.layers.flatMap((l, i) => (l instanceof Module ? prefixEntries(String(i), l.torchEntries()) : []))
  }

  override toString(): string {
    return `Sequential(${this.layers.map((l) => (l instanceof Module ? l.toString() : l.name || 'fn')).join(', ')})`
  }
}
