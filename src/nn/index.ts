/**
 * `nn`: layers, activations, losses, initialisers and data helpers for building nets.
 *
 * The same names are the entry point `tapegrad/nn`, for bundles: esbuild keeps every member of a
 * namespace that a package re-exports (`nn.MLP` brings conv, recurrent and batch-norm layers
 * along), while `import { MLP, mse } from 'tapegrad/nn'` brings only what is named. Both give
 * the same classes, from the same files.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const net = new nn.MLP([2, 16, 16, 1], { activation: 'tanh' })
 * const { X, y } = nn.moons(100, { seed: 1 })
 * const loss = nn.hinge(net.forward(X).squeeze(1), y.mul(2).sub(1))
 * loss.backward()
 * loss.item() // 0.7793
 * @example
 * import { MLP, mse } from 'tapegrad/nn'
 * import { nn, tensor } from 'tapegrad'
 * MLP === nn.MLP // true
 * const net = new MLP([2, 4, 1])
 * mse(net.forward(tensor([[1, 2]])), tensor([[0]])).shape // []
 */
// Tensors made with this entry point alone get their fluent methods too (see src/methods.ts).
import '../methods.js'

export { Module, type StateDict, type SerializedTensor, type LoadStateDictOptions } from './module.js'
export { serializeStateDict } from './state-dict.js'
export { Linear, type LinearOptions } from './linear.js'
export { MLP, type MLPOptions } from './mlp.js'
export { Sequential, type Layer } from './sequential.js'
export { Dropout } from './dropout.js'
export { Embedding } from './embedding.js'
export { LayerNorm } from './layer-norm.js'
export {
  relu,
  tanh,
  sigmoid,
  gelu,
  leakyRelu,
  softmax,
  logSoftmax,
  activations,
  resolveActivation,
  type Activation,
  type ActivationName,
} from './activations.js'
export {
  mse,
  crossEntropy,
  binaryCrossEntropyWithLogits,
  hinge,
  huber,
  type CrossEntropyOptions,
  type Labels,
  type Reduction,
} from './losses.js'
export {
  xavierUniform,
  xavierNormal,
  heUniform,
  heNormal,
  uniform,
  normal,
  fans,
  calculateGain,
  initializers,
  resolveInit,
  type InitOptions,
  type Initializer,
  type InitName,
} from './init.js'
export { batches, numBatches, type Batch, type BatchOptions } from './data.js'
export { moons, xor, spirals, blobs, type ToyDataset, type ToyOptions } from './datasets.js'
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batch-norm.js'
export { Dropout2d } from './dropout2d.js'
export { RecurrentCell, RNNCell, LSTMCell, GRUCell, type RNNCellOptions } from './rnn-cell.js'
export { Recurrent, RNN, LSTM, GRU, type RecurrentLayerOptions, type RNNOptions } from './rnn.js'
export { type RecurrentOptions, type Nonlinearity, type CellKind } from './recurrent.js'
export { torchEntry, transposedEntry, prefixEntries, type TorchEntry } from './torch-entries.js'
export type { StateDictOptions, StateDictFormat } from './module.js'
export { Conv2d, Conv1d, type ConvLayerOptions } from './conv.js'
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from './pool.js'
export { Flatten } from './flatten.js'
