/**
 * The training spec of the worker page: a 784-128-10 ReLU MLP on MNIST digits, Adam 1e-3,
 * cross-entropy. The page imports it for the model factory (its copy of the net classifies a
 * digit every frame) and runs it as the worker's module: `defineTraining` serves it there.
 */
import { nn } from '../../src/index.js'
import { defineTraining } from '../../src/worker/index.js'
import { adam } from '../../optimizers/index.js'

export default defineTraining({
  name: 'mnist',
  seed: 0,
  model: (rng) => new nn.MLP([784, 128, 10], { rng }),
  optimizer: () => adam(1e-3),
  loss: (net, { x, y }) => nn.crossEntropy(net.forward(x), y),
})
