/**
 * The equations of the recurrent cells, shared by the cells (`RNNCell`, `LSTMCell`, `GRUCell`)
 * and the sequence layers (`RNN`, `LSTM`, `GRU`). Everything here is a composite of tapegrad
 * ops: gradients through time (BPTT) are the chain rule through the unrolled loop.
 *
 * Parameters are kept in PyTorch's layout — weightIh [G·H, in], weightHh [G·H, H], biasIh [G·H],
 * biasHh [G·H], the G gate blocks stacked in PyTorch's order — so PyTorch weights load as they
 * are. The step does not compute in that layout: `prepareCell` rearranges the weights once per
 * sequence, and each time step then costs, per gate, one matmul of [x, h, 1] (the input, the
 * hidden state and a constant 1 side by side) with that gate's block of [W_ih | W_hh | b]ᵀ.
 * Splitting the weights once per sequence, rather than one fused [N, G·H] product per step cut
 * into gates, saves the G slices per step, whose backward passes each write a full [N, G·H]
 * gradient.
 */
import { fmt, type DType, type FloatDType } from '../nd.js'
import { add, mul, relu, sigmoid, sub, tanh } from '../ops/elementwise.js'
import { concat, split } from '../ops/indexing.js'
import { matmul, transpose } from '../ops/linalg.js'
import { unsqueeze } from '../ops/shape.js'
import type { Random } from '../random.js'
import { ones, Tensor } from '../tensor.js'
import { describeValue } from '../describe-value.js'
import { uniform } from './init.js'

/** Options every recurrent cell and layer takes. */
export interface RecurrentOptions {
  /** Learn the biases biasIh and biasHh (default true). */
  bias?: boolean
  /** Generator for the initial weights (default: the global one, see `seed`). */
  rng?: Random
  /** Element type of the parameters (default 'float32'). */
  dtype?: FloatDType
}

/** The activation of a plain (Elman) RNN: h' = act(W_ih·x + b_ih + W_hh·h + b_hh). */
export type Nonlinearity = 'tanh' | 'relu'

/** Which cell: Elman RNN with tanh or ReLU, LSTM or GRU. */
export type CellKind = 'rnnTanh' | 'rnnRelu' | 'lstm' | 'gru'

/**
 * Number of gate blocks G stacked in the weights: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
 * @example
 * import { gateCount } from './src/nn/recurrent'
 * gateCount('rnnTanh') // 1
 * gateCount('lstm') // 4
 * gateCount('gru') // 3
 */
export function gateCount(kind: CellKind): number {
  return kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1
}

/**
 * Number of state tensors a cell carries: 2 for an LSTM ([h, c]), else 1 ([h]).
 * @example
 * import { stateCount } from './src/nn/recurrent'
 * stateCount('gru') // 1
 * stateCount('lstm') // 2
 */
export function stateCount(kind: CellKind): number {
  return kind === 'lstm' ? 2 : 1
}

/** One cell's parameters in PyTorch's layout (the names PyTorch uses, camel-cased). */
export interface CellWeights {
  /** [W_i·; W_f·; …], shape [G·H, inputSize]. */
  weightIh: Tensor
  /** [U_i·; U_f·; …], shape [G·H, H]. */
  weightHh: Tensor
  /** Shape [G·H], or absent with `bias: false`. */
  biasIh?: Tensor
  /** Shape [G·H], or absent with `bias: false`. */
  biasHh?: Tensor
}

/**
 * Fresh parameters of one cell, drawn in PyTorch's order (weightIh, weightHh, biasIh, biasHh)
 * from U(−1/√H, 1/√H), PyTorch's initialisation of every recurrent weight and bias.
 * @example
 * import { seed } from 'tapegrad'
 * import { initCellWeights } from './src/nn/recurrent'
 * seed(0)
 * const w = initCellWeights('lstm', 16, 128)
 * w.weightIh.shape // [512, 16]
 * w.weightHh.shape // [512, 128]
 * w.weightIh.abs().max().item() <= 1 / Math.sqrt(128) // true
 */
export function initCellWeights(
  kind: CellKind,
  inputSize: number,
  hiddenSize: number,
  options: RecurrentOptions = {},
): CellWeights {
  const G = gateCount(kind)
  const k = 1 / Math.sqrt(hiddenSize)
  const opts = { rng: options.rng, dtype: options.dtype }
  const weights: CellWeights = {
    weightIh: uniform([G * hiddenSize, inputSize], -k, k, opts),
    weightHh: uniform([G * hiddenSize, hiddenSize], -k, k, opts),
  }
  if (options.bias ?? true) {
    weights.biasIh = uniform([G * hiddenSize], -k, k, opts)
    weights.biasHh = uniform([G * hiddenSize], -k, k, opts)
  }
  return weights
}

/** One gate's affine map a = v·w (+ b) of a row vector v, w of shape [len(v), H]. */
interface Gate {
  w: Tensor
  b: Tensor | null
}

/** A cell's weights rearranged for the step (see `prepareCell`). */
export interface PreparedCell {
  kind: CellKind
  hiddenSize: number
  /** Whether the bias rides in the gates' w as their last row (then the step appends a 1 to [x, h]). */
  bias: boolean
  /** RNN: the one gate; LSTM: i, f, g, o; GRU: r, z (n is below: it treats x and h apart). */
  gates: Gate[]
  /** GRU only: x·W_inᵀ + b_in and h·W_hnᵀ + b_hn, kept apart because r multiplies the second. */
  nx?: Gate
  nh?: Gate
}

/**
 * Rearranges PyTorch-layout weights for the step, once per sequence. Gate k gets
 *   w_k = [W_ih,k | W_hh,k | b_ih,k + b_hh,k]ᵀ   of shape [in + H + 1, H]
 * so that [x, h, 1]·w_k = W_ih,k·x + W_hh,k·h + b_ih,k + b_hh,k in one matmul: the bias rides
 * along as the last row, multiplied by a constant 1 (without bias: [x, h]·[W_ih,k | W_hh,k]ᵀ).
 * That saves a broadcast add per gate and step, and the sum over the batch in its backward.
 * These are ops on the tape, so gradients flow back to the parameters in their own layout.
 * @example
 * import { seed } from 'tapegrad'
 * import { prepareCell, initCellWeights } from './src/nn/recurrent'
 * seed(0)
 * const p = prepareCell('lstm', initCellWeights('lstm', 16, 128), 128)
 * // each gate: 16 inputs + 128 hidden + the bias row, by 128
 * p.gates.map((g) => g.w.shape) // [[145, 128], [145, 128], [145, 128], [145, 128]]
 */
export function prepareCell(kind: CellKind, p: CellWeights, hiddenSize: number): PreparedCell {
  const wx = split(p.weightIh, hiddenSize)
  const wh = split(p.weightHh, hiddenSize)
  const bx = p.biasIh ? split(p.biasIh, hiddenSize) : null
  const bh = p.biasHh ? split(p.biasHh, hiddenSize) : null
  const bias = bx !== null && bh !== null
  const fused = (k: number): Gate => {
    const blocks = [wx[k], wh[k]]
    if (bias) blocks.push(unsqueeze(add(bx[k], bh[k]), 1)) // a column [H, 1]
    return { w: transpose(concat(blocks, 1)), b: null }
  }
  if (kind !== 'gru') return { kind, hiddenSize, bias, gates: wx.map((_, k) => fused(k)) }
  return {
    kind,
    hiddenSize,
    bias,
    gates: [fused(0), fused(1)],
    nx: { w: transpose(wx[2]), b: bx ? bx[2] : null },
    nh: { w: transpose(wh[2]), b: bh ? bh[2] : null },
  }
}

function affine(v: Tensor, gate: Gate): Tensor {
  const a = matmul(v, gate.w)
  return gate.b ? add(a, gate.b) : a
}

/**
 * One time step on a batch: x [N, in] and the state ([h] or, for an LSTM, [h, c], each [N, H])
 * give the new state. With σ the logistic function (PyTorch's equations, gate order as PyTorch
 * stacks them):
 *
 *   RNN:   h' = act(W_ih·x + b_ih + W_hh·h + b_hh),      act = tanh or relu
 *
 *   LSTM:  i = σ(W_ii·x + b_ii + W_hi·h + b_hi)           input gate
 *          f = σ(W_if·x + b_if + W_hf·h + b_hf)           forget gate
 *          g = tanh(W_ig·x + b_ig + W_hg·h + b_hg)        candidate cell
 *          o = σ(W_io·x + b_io + W_ho·h + b_ho)           output gate
 *          c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
 *
 *   GRU:   r = σ(W_ir·x + b_ir + W_hr·h + b_hr)           reset gate
 *          z = σ(W_iz·x + b_iz + W_hz·h + b_hz)           update gate
 *          n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))  candidate (r inside, as PyTorch)
 *          h' = (1 − z) ⊙ n + z ⊙ h  = n + z ⊙ (h − n)
 * @example
 * import { seed, randn, zeros } from 'tapegrad'
 * import { prepareCell, initCellWeights, cellStep } from './src/nn/recurrent'
 * seed(0)
 * const p = prepareCell('lstm', initCellWeights('lstm', 3, 4), 4)
 * const [h, c] = cellStep(p, randn([2, 3]), [zeros([2, 4]), zeros([2, 4])])
 * h.shape // [2, 4]
 * c.shape // [2, 4]
 */
export function cellStep(p: PreparedCell, x: Tensor, state: readonly Tensor[]): Tensor[] {
  const h = state[0]
  // [x, h, 1] (or [x, h]): each gate is one matmul of it (see prepareCell).
  const xh = concat(p.bias ? [x, h, ones([x.shape[0], 1], { dtype: x.dtype })] : [x, h], 1)
  switch (p.kind) {
    case 'rnnTanh':
      return [tanh(affine(xh, p.gates[0]))]
    case 'rnnRelu':
      return [relu(affine(xh, p.gates[0]))]
    case 'lstm': {
      const [gi, gf, gg, go] = p.gates
      const i = sigmoid(affine(xh, gi))
      const f = sigmoid(affine(xh, gf))
      const g = tanh(affine(xh, gg))
      const o = sigmoid(affine(xh, go))
      const c = add(mul(f, state[1]), mul(i, g))
      return [mul(o, tanh(c)), c]
    }
    case 'gru': {
      const r = sigmoid(affine(xh, p.gates[0]))
      const z = sigmoid(affine(xh, p.gates[1]))
      const n = tanh(add(affine(x, p.nx!), mul(r, affine(h, p.nh!))))
      return [add(n, mul(z, sub(h, n)))]
    }
  }
}

/**
 * Throws unless `options` is an object whose keys are all in `allowed`: a misspelt or an
 * unsupported PyTorch option (`bidirectional`, `dropout`, `projSize`) must not be ignored.
 * @example
 * import { checkOptions } from './src/nn/recurrent'
 * checkOptions('LSTM', { bidirectional: true }, ['numLayers']) // throws unknown option 'bidirectional' (not supported)
 */
export function checkOptions(who: string, options: unknown, allowed: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${who}: options must be an object, got ${describeValue(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const why = ['bidirectional', 'dropout', 'projSize'].includes(key) ? ' (not supported)' : ''
      throw new Error(`${who}: unknown option '${key}'${why}; the options are ${allowed.join(', ')}`)
    }
  }
}

/**
 * Throws unless `v` is a positive integer.
 * @example
 * import { checkSize } from './src/nn/recurrent'
 * checkSize('LSTM', 'hiddenSize', 0) // throws LSTM: hiddenSize must be a positive integer, got number 0
 */
export function checkSize(who: string, what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new Error(`${who}: ${what} must be a positive integer, got ${describeValue(v)}`)
}

/**
 * Throws unless `t` is a tensor of `shape` and `dtype`; `expected` explains the shape.
 * @example
 * import { zeros } from 'tapegrad'
 * import { checkState } from './src/nn/recurrent'
 * checkState('LSTMCell', 'h', zeros([2, 64]), [4, 128], 'float32', 'batch 4, hidden 128') // throws h has shape [2,64], expected [4,128] (batch 4, hidden 128)
 */
export function checkState(
  who: string,
  name: string,
  t: unknown,
  shape: readonly number[],
  dtype: DType,
  expected: string,
): Tensor {
  if (!(t instanceof Tensor))
    throw new Error(`${who}: ${name} must be a Tensor of shape ${fmt(shape)}, got ${describeValue(t)}`)
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${who}: ${name} has shape ${fmt(t.shape)}, expected ${fmt(shape)} (${expected})`)
  }
  if (t.dtype !== dtype) {
    throw new Error(`${who}: ${name} is ${t.dtype} but the weights are ${dtype}; convert it with .astype('${dtype}')`)
  }
  return t
}

/**
 * Throws unless the input `x` is a tensor with one of `ranks` axes, ending in `inputSize`, of `dtype`.
 * @example
 * import { zeros } from 'tapegrad'
 * import { checkInput } from './src/nn/recurrent'
 * checkInput('LSTMCell', zeros([2, 7]), [1, 2], '[N, 8] or [8]', 8, 'float32') // throws input has shape [2,7], expected [N, 8] or [8]
 */
export function checkInput(
  who: string,
  x: unknown,
  ranks: readonly number[],
  layout: string,
  inputSize: number,
  dtype: DType,
): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${who}: input must be a Tensor ${layout}, got ${describeValue(x)}`)
  if (!ranks.includes(x.ndim) || x.shape[x.ndim - 1] !== inputSize) {
    throw new Error(`${who}: input has shape ${fmt(x.shape)}, expected ${layout} with input size ${inputSize}`)
  }
  if (x.dtype !== dtype) {
    // An int32 input is converted; weights cannot be int32.
    const fix =
      x.dtype === 'int32'
        ? `convert it (x.astype('${dtype}'))`
        : `convert one (x.astype('${dtype}'), or create the module with { dtype: '${x.dtype}' })`
    throw new Error(`${who}: input ${fmt(x.shape)} is ${x.dtype} but the weights are ${dtype}; ${fix}`)
  }
  return x
}
