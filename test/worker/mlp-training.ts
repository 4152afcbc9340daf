/**
 * A training spec for the worker tests: a 4-16-3 tanh MLP on a fixed classification task.
 * `fail: true` in a batch makes the loss throw, to test that errors reach the main thread.
 */
import { nn, type Tensor } from '../../src/index.js'
import { defineTraining } from '../../src/worker/index.js'
import { adam } from '../../optimizers/index.js'

export default defineTraining({
  name: 'mlp',
  seed: 3,
  model: (rng) => new nn.MLP([4, 16, 3], { activation: 'tanh', rng }),
  optimizer: () => adam(1e-2),
  loss: (net: nn.MLP, batch: Record<string, Tensor>) => {
    if (batch.fail) throw new Error(`asked to fail (fail = ${batch.fail.data[0]})`)
    return nn.crossEntropy(net.forward(batch.x), batch.y)
  },
})
