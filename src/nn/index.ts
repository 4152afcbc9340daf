/**
 * `nn`: layers, activations, losses, initialisers and data helpers for building nets.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const net = new nn.MLP([2, 16, 16, 1], { activation: 'tanh' })
 * const { X, y } = nn.moons(100, { seed: 1 })
 * const loss = nn.hinge(net.forward(X).squeeze(1), y.mul(2).sub(1))
 * loss.backward()
 * loss.item() // 0.7793
 */
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
