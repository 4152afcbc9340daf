/**
 * `defineTraining`: the training spec — model factory, optimizer and loss, or a learner of
 * one's own — written once in a module that both threads import. The main thread imports it for
 * the model factory (its copy of the model does the inference); the worker runs the same module
 * and trains. When that module is evaluated inside a training worker, `defineTraining` also
 * starts serving it (see serve-training.ts); anywhere else it only checks and returns the spec.
 */
import type { Module } from '../nn/module.js'
import { workerSelf } from './endpoint.js'
import { serveTraining } from './serve-training.js'
import { checkSpec, type TrainingSpec } from './training-spec.js'

/** The specs defined in this worker, in the order their modules ran. */
const registered: TrainingSpec<any>[] = []

/**
 * Checks a training spec and returns it. Inside a training worker it also registers the spec
 * and, the first time, starts answering the main thread (`startTraining`).
 * @example
 * // mnist-training.ts — imported by the page, and the module the worker runs
 * import { nn } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 * import { defineTraining } from 'tapegrad/worker'
 *
 * export default defineTraining({
 *   seed: 0,
 *   model: (rng) => new nn.MLP([784, 128, 10], { rng }),
 *   optimizer: () => adam(1e-3),
 *   loss: (net, { x, y }) => nn.crossEntropy(net.forward(x), y),
 * })
 */
export function defineTraining<M extends Module, Extra extends object = object>(
  spec: TrainingSpec<M> & Extra,
): TrainingSpec<M> & Extra {
  checkSpec(spec)
  const self = workerSelf()
  if (self) {
    registered.push(spec)
    if (registered.length === 1) serveTraining(self, registered)
  }
  return spec
}
