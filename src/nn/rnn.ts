/**
 * `RNN`, `LSTM` and `GRU`: recurrent layers over whole sequences, one or more layers deep, with
 * PyTorch's parameter names and layouts (`weightIhL0` is PyTorch's `weight_ih_l0`), input layout
 * ([T, N, in], or [N, T, in] with `batchFirst`) and return values ([outputs, finalState]).
 *
 * The loop is plain: each layer rearranges its weights once (see `prepareCell`), then steps
 * through time; the per-step outputs of one layer are handed to the next as they are, and only
 * the last layer's are stacked into the output tensor. Backpropagation through time is the tape's
 * ordinary backward over the unrolled loop, which the engine walks without recursion, so a
 * sequence of thousands of steps does not overflow the stack.
 */
import { fmt } from '../nd.js'
import { slice, stack } from '../ops/indexing.js'
import { squeeze, unsqueeze } from '../ops/shape.js'
import { Tensor, zeros } from '../tensor.js'
import { describeValue } from '../describe-value.js'
import { Module } from './module.js'
// The same helpers as the cells import (nn/rnn-cell.ts): cells and layers share recurrent.ts's
// checks, initialisation and step equations, and each file names what it uses.
import {
  cellStep,
  checkInput,
  checkOptions,
  checkSize,
  checkState,
  initCellWeights,
  prepareCell,
  type CellKind,
  type CellWeights,
  type Nonlinearity,
  type RecurrentOptions,
} from './recurrent.js'

/** Options of `RNN`, `LSTM` and `GRU`. */
export interface RecurrentLayerOptions extends RecurrentOptions {
  /** Number of stacked layers (default 1); layer k > 0 reads the hidden states of layer k − 1. */
  numLayers?: number
  /** Input and output as [N, T, ·] instead of [T, N, ·] (default false). The state is [L, N, H] either way. */
  batchFirst?: boolean
}

/** Options of `RNN`: those of the other layers and the activation. */
export interface RNNOptions extends RecurrentLayerOptions {
  /** tanh (default) or relu. */
  nonlinearity?: Nonlinearity
}

const LAYER_OPTIONS = ['numLayers', 'batchFirst', 'bias', 'rng', 'dtype'] as const

/** Parameter names of layer k, PyTorch's camel-cased: weightIhL0 ↔ weight_ih_l0. */
type LayerParam = `weightIhL${number}` | `weightHhL${number}` | `biasIhL${number}` | `biasHhL${number}`

/**
 * What the three layers share: L cells' parameters as fields weightIhL{k}, weightHhL{k},
 * biasIhL{k}, biasHhL{k} (in PyTorch's order, so the state dict lists them as PyTorch does), the
 * argument checks and the loop over layers and time.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const layers: nn.Recurrent<unknown>[] = [new nn.RNN(3, 4), new nn.LSTM(3, 4, { numLayers: 2 }), new nn.GRU(3, 4)]
 * layers.map((l) => l.weightHhL0!.shape) // [[4, 4], [16, 4], [12, 4]]
 */
export abstract class Recurrent<Out> extends Module<Out> {
  /** Layer k's weights: weightIhL{k} [G·H, in or H], weightHhL{k} [G·H, H], biasIhL{k}, biasHhL{k} [G·H]. */
  [param: LayerParam]: Tensor | undefined
  /** Size of the input's last axis. */
  readonly inputSize: number
  /** Size H of each layer's hidden state. */
  readonly hiddenSize: number
  /** Number of stacked layers L. */
  readonly numLayers: number
  /** Whether input and output are [N, T, ·]. */
  readonly batchFirst: boolean
  /** Which equations each step runs. */
  readonly kind: CellKind

  // Checked as RecurrentCell's constructor does (nn/rnn-cell.ts): a layer is not a cell (it owns L
  // layers of weights under PyTorch's names), so the shared part is the checks, worded alike.
  protected constructor(kind: CellKind, inputSize: number, hiddenSize: number, options: RecurrentLayerOptions) {
    super()
    const who = new.target.name
    checkSize(who, 'inputSize', inputSize)
    checkSize(who, 'hiddenSize', hiddenSize)
    const L = options.numLayers ?? 1
    checkSize(who, 'numLayers', L)
    const batchFirst = options.batchFirst ?? false
    if (typeof batchFirst !== 'boolean')
      throw new Error(`${who}: batchFirst must be true or false, got ${describeValue(batchFirst)}`)
    this.kind = kind
    this.inputSize = inputSize
    this.hiddenSize = hiddenSize
    this.numLayers = L
    this.batchFirst = batchFirst
    for (let k = 0; k < L; k++) {
      const w = initCellWeights(kind, k === 0 ? inputSize : hiddenSize, hiddenSize, options)
      this[`weightIhL${k}`] = w.weightIh
      this[`weightHhL${k}`] = w.weightHh
      if (w.biasIh) this[`biasIhL${k}`] = w.biasIh
      if (w.biasHh) this[`biasHhL${k}`] = w.biasHh
    }
  }

  /** Layer k's parameters, read from the fields at call time (so `apply` can swap them). */
  protected layerWeights(k: number): CellWeights {
    return {
      weightIh: this[`weightIhL${k}`]!,
      weightHh: this[`weightHhL${k}`]!,
      biasIh: this[`biasIhL${k}`],
      biasHh: this[`biasHhL${k}`],
    }
  }

  /**
   * Runs the layers over the sequence x: returns the last layer's outputs (x's layout, hidden
   * size H) and, per state component (h, and c for an LSTM), the final values stacked over
   * layers, [L, N, H]. `names` name the initial state's components in errors.
   */
  protected run(x: Tensor, initial: readonly unknown[] | undefined, names: readonly string[]): [Tensor, Tensor[]] {
    const who = this.constructor.name
    const { hiddenSize: H, numLayers: L, batchFirst } = this
    const dtype = this.weightIhL0!.dtype
    const layout = batchFirst
      ? `[N, T, ${this.inputSize}] or [T, ${this.inputSize}]`
      : `[T, N, ${this.inputSize}] or [T, ${this.inputSize}]`
    checkInput(who, x, [2, 3], layout, this.inputSize, dtype)
    const batched = x.ndim === 3
    const T = batched && batchFirst ? x.shape[1] : x.shape[0]
    const N = batched ? (batchFirst ? x.shape[0] : x.shape[1]) : 1
    if (T === 0) throw new Error(`${who}: the sequence is empty (input ${fmt(x.shape)}, T = 0)`)
    const shape = batched ? [L, N, H] : [L, H]
    const expected = batched ? `layers ${L}, batch ${N}, hidden ${H}` : `layers ${L}, unbatched input, hidden ${H}`
    const given = initial?.map((t, k) => checkState(who, `${names[k]}0`, t, shape, dtype, expected))

    // The steps run on [N, ·] slices; the unbatched form is a batch of one.
    let inputs: Tensor[] = []
    for (let t = 0; t < T; t++) {
      if (!batched) inputs.push(unsqueeze(slice(x, [t]), 0))
      else inputs.push(batchFirst ? slice(x, [null, t]) : slice(x, [t]))
    }
    const finals: Tensor[][] = names.map(() => [])
    for (let k = 0; k < L; k++) {
      const p = prepareCell(this.kind, this.layerWeights(k), H)
      let state = names.map((_, s) => (given ? layerSlice(given[s], k, batched) : zeros([N, H], { dtype })))
      const outputs: Tensor[] = new Array(T)
      for (let t = 0; t < T; t++) {
        state = cellStep(p, inputs[t], state)
        outputs[t] = state[0]
      }
      inputs = outputs
      state.forEach((s, i) => finals[i].push(s))
    }
    const timeAxis = batched && batchFirst ? 1 : 0
    const out = batched ? stack(inputs, timeAxis) : squeeze(stack(inputs, 0), 1)
    const last = finals.map((list) => (batched ? stack(list, 0) : squeeze(stack(list, 0), 1)))
    return [out, last]
  }

  override toString(): string {
    const extra = [
      this.numLayers > 1 ? `numLayers: ${this.numLayers}` : '',
      this.batchFirst ? 'batchFirst' : '',
      this.biasIhL0 ? '' : 'bias: false',
    ]
    const rest = extra.filter(Boolean).join(', ')
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize}${rest ? `, ${rest}` : ''})`
  }
}

/** Layer k of an initial state [L, N, H] (or [L, H]) as the step wants it: [N, H]. */
function layerSlice(t: Tensor, k: number, batched: boolean): Tensor {
  const s = slice(t, [k])
  return batched ? s : unsqueeze(s, 0)
}

/**
 * A multi-layer Elman RNN over a sequence: for each layer and time step,
 * h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh), act = tanh (default) or relu, with x_t the
 * input for layer 0 and the previous layer's h_t above it.
 * `forward(x, h0?)` takes x [T, N, in] ([N, T, in] with `batchFirst`, or unbatched [T, in]) and
 * h0 [L, N, H] (zeros when omitted); it returns [output, hN]: the last layer's h_t for every t,
 * [T, N, H], and the final h of every layer, [L, N, H].
 * @example
 * import { nn, seed, randn } from 'tapegrad'
 * seed(0)
 * const rnn = new nn.RNN(3, 8, { numLayers: 2 })
 * const [out, hN] = rnn.forward(randn([5, 4, 3]))
 * out.shape // [5, 4, 8]
 * hN.shape // [2, 4, 8]
 */
export class RNN extends Recurrent<[Tensor, Tensor]> {
  /** The activation: tanh or relu. */
  readonly nonlinearity: Nonlinearity

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    // The activation is checked as in RNNCell's constructor (nn/rnn-cell.ts), under this layer's
    // name; it must run before super(), which is passed the kind it picks.
    checkOptions('RNN', options, [...LAYER_OPTIONS, 'nonlinearity'])
    const act = options.nonlinearity ?? 'tanh'
    if (act !== 'tanh' && act !== 'relu')
      throw new Error(`RNN: nonlinearity must be 'tanh' or 'relu', got ${describeValue(act)}`)
    super(act === 'tanh' ? 'rnnTanh' : 'rnnRelu', inputSize, hiddenSize, options)
    this.nonlinearity = act
  }

  /** [output, hN] from the sequence x and the initial h0 (zeros when omitted). */
  override forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, h0 === undefined ? undefined : [h0], ['h'])
    return [out, hN]
  }
}

/**
 * A multi-layer LSTM over a sequence, each step the `LSTMCell` equations (gates i, f, g, o):
 *   i, f, o = σ(W_i·x_t + b_i + W_h·h_{t−1} + b_h) per gate,  g = tanh(…),
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 * with x_t the input for layer 0 and the previous layer's h_t above it.
 * `forward(x, [h0, c0]?)` takes x [T, N, in] ([N, T, in] with `batchFirst`, or unbatched
 * [T, in]) and h0, c0 [L, N, H] (zeros when omitted); it returns [output, [hN, cN]]: the last
 * layer's h_t for every t, [T, N, H], and the final h and c of every layer, [L, N, H] each.
 * @example
 * import { nn, seed, randn } from 'tapegrad'
 * seed(0)
 * const lstm = new nn.LSTM(16, 128, { batchFirst: true })
 * const [out, [hN, cN]] = lstm.forward(randn([32, 10, 16]))
 * out.shape // [32, 10, 128]
 * hN.shape // [1, 32, 128]
 * cN.shape // [1, 32, 128]
 */
export class LSTM extends Recurrent<[Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentLayerOptions = {}) {
    checkOptions('LSTM', options, LAYER_OPTIONS)
    super('lstm', inputSize, hiddenSize, options)
  }

  /** [output, [hN, cN]] from the sequence x and the initial [h0, c0] (zeros when omitted). */
  override forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) {
      throw new Error(
        `LSTM: the initial state must be [h0, c0] (two tensors of shape [L, N, ${this.hiddenSize}]), got ${describeValue(state)}${Array.isArray(state) ? ` of length ${state.length}` : ''}`,
      )
    }
    const [out, [hN, cN]] = this.run(x, state, ['h', 'c'])
    return [out, [hN, cN]]
  }
}

/**
 * A multi-layer GRU over a sequence, each step the `GRUCell` equations (gates r, z, n):
 *   r, z = σ(W_i·x_t + b_i + W_h·h_{t−1} + b_h) per gate,
 *   n = tanh(W_in·x_t + b_in + r ⊙ (W_hn·h_{t−1} + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 * with x_t the input for layer 0 and the previous layer's h_t above it.
 * `forward(x, h0?)` takes x [T, N, in] ([N, T, in] with `batchFirst`, or unbatched [T, in]) and
 * h0 [L, N, H] (zeros when omitted); it returns [output, hN] as `RNN` does.
 * @example
 * import { nn, seed, randn } from 'tapegrad'
 * seed(0)
 * const gru = new nn.GRU(8, 32)
 * const [out, hN] = gru.forward(randn([20, 4, 8]))
 * out.shape // [20, 4, 32]
 * hN.shape // [1, 4, 32]
 */
export class GRU extends Recurrent<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentLayerOptions = {}) {
    checkOptions('GRU', options, LAYER_OPTIONS)
    super('gru', inputSize, hiddenSize, options)
  }

  /** [output, hN] from the sequence x and the initial h0 (zeros when omitted). */
  override forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, h0 === undefined ? undefined : [h0], ['h'])
    return [out, hN]
  }
}
