/** Worker-test helpers: a spec whose model differs from mlp-training's (4-8-3), for the layout check. */
import { nn } from '../../src/index.js'
import { defineTraining } from '../../src/worker/index.js'
import { adam } from '../../optimizers/index.js'

export default defineTraining({
  name: 'mlp',
  seed: 3,
  model: (rng) => new nn.MLP([4, 8, 3], { activation: 'tanh', rng }),
  optimizer: () => adam(1e-2),
  loss: (net: nn.MLP, { x, y }) => nn.crossEntropy(net.forward(x), y),
})
