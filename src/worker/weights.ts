/**
 * The weights of a model as one flat float32 buffer: what the training worker sends to the main
 * thread. The worker packs every parameter into the buffer, in `namedParameters()` order; the main
 * thread points each parameter of its own copy of the model at its slice of the buffer (no copy),
 * so inference there reads the newest weights the moment a buffer arrives.
 */
import { fmt } from '../nd.js'
import type { Module } from '../nn/module.js'
import type { WeightLayout } from './protocol.js'

/**
 * The layout of a model's parameters; throws unless every parameter is float32 (the buffer is).
 * @example
 * import { nn } from 'tapegrad'
 * import { layoutOf } from './src/worker/weights'   // internal: both threads call it
 *
 * // the first layer has 2·3 + 3 weights and biases, the second 3·1 + 1:
 * layoutOf('startTraining', new nn.MLP([2, 3, 1])).size // 13
 */
export function layoutOf(who: string, model: Module): WeightLayout {
  const named = model.namedParameters()
  if (named.length === 0) throw new Error(`${who}: the model (${model.constructor.name}) has no parameters to train`)
  for (const [path, t] of named) {
    if (t.dtype !== 'float32')
      throw new Error(
        `${who}: parameter '${path}' ${fmt(t.shape)} is ${t.dtype}; the weights travel as float32 (make the model in float32)`,
      )
  }
  return {
    paths: named.map(([p]) => p),
    shapes: named.map(([, t]) => t.shape.slice()),
    size: named.reduce((s, [, t]) => s + t.size, 0),
  }
}

/** Whether two layouts name the same parameters with the same shapes, in the same order. */
export function sameLayout(a: WeightLayout, b: WeightLayout): boolean {
  return (
    a.size === b.size &&
    a.paths.length === b.paths.length &&
    a.paths.every(
      (p, i) =>
        p === b.paths[i] &&
        a.shapes[i].length === b.shapes[i].length &&
        a.shapes[i].every((s, k) => s === b.shapes[i][k]),
    )
  )
}

/** `layers.0.weight [2,3], layers.0.bias [3], …` */
export function describeLayout(l: WeightLayout): string {
  return l.paths.map((p, i) => `${p} ${fmt(l.shapes[i])}`).join(', ')
}

/** Copies the model's parameters into `buffer` (at least `layout.size` float32 numbers). */
export function packWeights(model: Module, buffer: ArrayBuffer): void {
  const flat = new Float32Array(buffer)
  let offset = 0
  for (const [, t] of model.namedParameters()) {
    flat.set(t.data, offset)
    offset += t.size
  }
}

/**
 * Points each parameter of `model` at its slice of `buffer` (no copy). The parameter Tensors stay
 * the same objects: only their `data` changes, so code holding them sees the new weights.
 */
export function viewWeights(model: Module, buffer: ArrayBuffer): void {
  let offset = 0
  for (const [, t] of model.namedParameters()) {
    t.data = new Float32Array(buffer, offset * 4, t.size)
    offset += t.size
  }
}
