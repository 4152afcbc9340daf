/**
 * `RNNCell`, `LSTMCell` and `GRUCell`: one time step of a recurrent net, with PyTorch's parameter
 * layout, gate order and initialisation (the equations are in recurrent.ts, `cellStep`).
 *
 * A cell is what you loop over yourself (sampling one character at a time, or a custom
 * recurrence); `RNN`, `LSTM` and `GRU` run a whole sequence and are faster for training, since
 * they rearrange the weights once per sequence instead of once per step.
 */
import { squeeze, unsqueeze } from '../ops/shape.js'
import { Tensor, zeros } from '../tensor.js'
import { describeValue } from '../describe-value.js'
import { Module } from './module.js'
import {
  cellStep,
  checkInput,
  checkOptions,
  checkSize,
  checkState,
  initCellWeights,
  prepareCell,
  type CellKind,
  type Nonlinearity,
  type RecurrentOptions,
} from './recurrent.js'

/** Options of `RNNCell` and `RNN`: the common ones and the activation. */
export interface RNNCellOptions extends RecurrentOptions {
  /** tanh (default) or relu. */
  nonlinearity?: Nonlinearity
}

const CELL_OPTIONS = ['bias', 'rng', 'dtype'] as const

/**
 * What the three cells share: parameters in PyTorch's layout, the argument checks, and the
 * unbatched form (x of shape [in] and a state of shape [H] work as a batch of one).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const cells: nn.RecurrentCell<unknown>[] = [new nn.RNNCell(3, 4), new nn.LSTMCell(3, 4), new nn.GRUCell(3, 4)]
 * cells.map((c) => c.weightIh.shape) // [[4, 3], [16, 3], [12, 3]]
 */
export abstract class RecurrentCell<Out> extends Module<Out> {
  /** [W_i·; …] stacked over the G gates, shape [G·H, inputSize]; PyTorch's `weight_ih`. */
  weightIh: Tensor
  /** [W_h·; …] stacked over the G gates, shape [G·H, H]; PyTorch's `weight_hh`. */
  weightHh: Tensor
  /** Shape [G·H] (absent with `bias: false`); PyTorch's `bias_ih`. */
  biasIh?: Tensor
  /** Shape [G·H] (absent with `bias: false`); PyTorch's `bias_hh`. */
  biasHh?: Tensor
  /** Size of the input's last axis. */
  readonly inputSize: number
  /** Size H of the hidden state. */
  readonly hiddenSize: number
  /** Which equations the cell runs. */
  readonly kind: CellKind

  protected constructor(kind: CellKind, inputSize: number, hiddenSize: number, options: RecurrentOptions) {
    super()
    const who = new.target.name
    checkSize(who, 'inputSize', inputSize)
    checkSize(who, 'hiddenSize', hiddenSize)
    this.kind = kind
    this.inputSize = inputSize
    this.hiddenSize = hiddenSize
    const w = initCellWeights(kind, inputSize, hiddenSize, options)
    this.weightIh = w.weightIh
    this.weightHh = w.weightHh
    if (w.biasIh) this.biasIh = w.biasIh
    if (w.biasHh) this.biasHh = w.biasHh
  }

  /**
   * Checks x and the state, fills a missing state with zeros, runs one step; `names` are the
   * state's names in errors (['h'] or ['h', 'c']).
   */
  protected step(x: Tensor, state: readonly unknown[] | undefined, names: readonly string[]): Tensor[] {
    const who = this.constructor.name
    const H = this.hiddenSize
    const dtype = this.weightIh.dtype
    checkInput(who, x, [1, 2], `[N, ${this.inputSize}] or [${this.inputSize}]`, this.inputSize, dtype)
    const batched = x.ndim === 2
    const N = batched ? x.shape[0] : 1
    const shape = batched ? [N, H] : [H]
    const expected = batched ? `batch ${N}, hidden ${H}` : `unbatched input, hidden ${H}`
    const s = state ?? names.map(() => zeros(shape, { dtype }))
    const checked = names.map((name, k) => checkState(who, name, s[k], shape, dtype, expected))
    const p = prepareCell(this.kind, this, H)
    if (batched) return cellStep(p, x, checked)
    return cellStep(
      p,
      unsqueeze(x, 0),
      checked.map((t) => unsqueeze(t, 0)),
    ).map((t) => squeeze(t, 0))
  }

  override toString(): string {
    return `${this.constructor.name}(${this.inputSize}, ${this.hiddenSize}${this.biasIh ? '' : ', bias: false'})`
  }
}

/**
 * Elman RNN cell: h' = act(W_ih·x + b_ih + W_hh·h + b_hh) with act = tanh (default) or relu.
 * x is [N, in] (or [in]); h is [N, H] (or [H]), zeros when omitted. Parameters: weightIh [H, in],
 * weightHh [H, H], biasIh [H], biasHh [H], all from U(−1/√H, 1/√H) as in PyTorch.
 * @example
 * import { nn, seed, tensor } from 'tapegrad'
 * seed(0)
 * const cell = new nn.RNNCell(3, 5)
 * let h = cell.forward(tensor([[1, 0, 0]]))   // from h = 0
 * h.shape // [1, 5]
 * h = cell.forward(tensor([[0, 1, 0]]), h)
 * h.shape // [1, 5]
 */
export class RNNCell extends RecurrentCell<Tensor> {
  /** The activation: tanh or relu. */
  readonly nonlinearity: Nonlinearity

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    // RNN's constructor (nn/rnn.ts) checks the activation alike, under its own name.
    checkOptions('RNNCell', options, [...CELL_OPTIONS, 'nonlinearity'])
    const act = options.nonlinearity ?? 'tanh'
    if (act !== 'tanh' && act !== 'relu')
      throw new Error(`RNNCell: nonlinearity must be 'tanh' or 'relu', got ${describeValue(act)}`)
    super(act === 'tanh' ? 'rnnTanh' : 'rnnRelu', inputSize, hiddenSize, options)
    this.nonlinearity = act
  }

  /** h' from x and h (zeros when omitted). */
  override forward(x: Tensor, h?: Tensor): Tensor {
    return this.step(x, h === undefined ? undefined : [h], ['h'])[0]
  }
}

/**
 * LSTM cell (Hochreiter & Schmidhuber, 1997, with the forget gate of Gers et al., 2000), PyTorch's
 * equations and gate order i, f, g, o:
 *   i = σ(W_ii·x + b_ii + W_hi·h + b_hi)      f = σ(W_if·x + b_if + W_hf·h + b_hf)
 *   g = tanh(W_ig·x + b_ig + W_hg·h + b_hg)   o = σ(W_io·x + b_io + W_ho·h + b_ho)
 *   c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')
 * x is [N, in] (or [in]); h and c are [N, H] (or [H]), zeros when omitted. Parameters:
 * weightIh = [W_ii; W_if; W_ig; W_io] of shape [4H, in], weightHh [4H, H], biasIh and biasHh [4H].
 * @example
 * import { nn, seed, randn } from 'tapegrad'
 * seed(0)
 * const cell = new nn.LSTMCell(8, 16)
 * const [h, c] = cell.forward(randn([4, 8]))   // from zeros
 * h.shape // [4, 16]
 * c.shape // [4, 16]
 * const [h2, c2] = cell.forward(randn([4, 8]), [h, c])
 * h2.shape // [4, 16]
 */
export class LSTMCell extends RecurrentCell<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    checkOptions('LSTMCell', options, CELL_OPTIONS)
    super('lstm', inputSize, hiddenSize, options)
  }

  /** [h', c'] from x and [h, c] (zeros when omitted). */
  override forward(x: Tensor, state?: [Tensor, Tensor]): [Tensor, Tensor] {
    if (state !== undefined && (!Array.isArray(state) || state.length !== 2)) {
      throw new Error(
        `LSTMCell: the state must be [h, c] (two tensors of shape [N, ${this.hiddenSize}]), got ${describeValue(state)}${Array.isArray(state) ? ` of length ${state.length}` : ''}`,
      )
    }
    const [h, c] = this.step(x, state, ['h', 'c'])
    return [h, c]
  }
}

/**
 * GRU cell (Cho et al., 2014), PyTorch's equations and gate order r, z, n:
 *   r = σ(W_ir·x + b_ir + W_hr·h + b_hr)        z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
 *   n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 * (the reset gate multiplies W_hn·h + b_hn, after the product, as in PyTorch and cuDNN).
 * x is [N, in] (or [in]); h is [N, H] (or [H]), zeros when omitted. Parameters:
 * weightIh = [W_ir; W_iz; W_in] of shape [3H, in], weightHh [3H, H], biasIh and biasHh [3H].
 * @example
 * import { nn, seed, randn } from 'tapegrad'
 * seed(0)
 * const cell = new nn.GRUCell(8, 16)
 * const h = cell.forward(randn([4, 8]))   // from h = 0
 * h.shape // [4, 16]
 * cell.forward(randn([4, 8]), h).shape         // [4, 16]
 */
export class GRUCell extends RecurrentCell<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    checkOptions('GRUCell', options, CELL_OPTIONS)
    super('gru', inputSize, hiddenSize, options)
  }

  /** h' from x and h (zeros when omitted). */
  override forward(x: Tensor, h?: Tensor): Tensor {
    return this.step(x, h === undefined ? undefined : [h], ['h'])[0]
  }
}
