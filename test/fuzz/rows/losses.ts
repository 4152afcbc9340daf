/**
 * Fuzz rows of crossEntropy and binaryCrossEntropyWithLogits, against PyTorch's definitions
 * written out in float64:
 *   F.cross_entropy, labels:         lossᵢ = −log_softmax(xᵢ)[yᵢ]   (a gather: nll_loss)
 *   F.cross_entropy, probabilities:  lossᵢ = −Σ_c p_c · log_softmax(xᵢ)_c
 *   F.binary_cross_entropy_with_logits: loss = max(x, 0) − x·t + log(1 + e^(−|x|))
 * with log_softmax(x)_c = (x_c − m) − log Σⱼ exp(xⱼ − m), m = max x (NaN if any is), each
 * difference rounded to the dtype as PyTorch computes it. Labels come as a plain array, an
 * Int32Array, an int32 Tensor or a float Tensor of integer values (tapegrad documents "a tensor
 * of integer values"; PyTorch wants int64), in range or not, sometimes 0.5 or NaN.
 *
 * Not value-checked (as the softmax row): a line whose max is +∞ (PyTorch: NaN from ∞ − ∞;
 * tapegrad: its limit at the other classes), and sums whose Σ|terms| overflow (order-dependent).
 */
import fc from 'fast-check'
import * as ops from '../../../src/ops/index.js'
import type { DType, Tensor } from '../../../src/index.js'
import {
  anyDtype,
  mostlyValidAxis,
  rankedShapeArb,
  shapeArb,
  sizeOf,
  stored,
  tensorOf,
  type TSpec,
} from '../arbitraries.js'
import { int32Refused, withJunk } from '../builders.js'
import { absSum, indices, ravel, refuse, result } from '../reference.js'
import type { Expected, FuzzCase, FuzzRow } from '../types.js'

// 'avg' is not a reduction: the row checks that it is refused by name.
type Red = 'mean' | 'sum' | 'none' | undefined | 'avg'
const reductionArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<Red>('mean', 'sum', 'none', undefined) },
  { weight: 1, arbitrary: fc.constant<Red>('avg') },
)
const overflowAt = (d: DType) => (d === 'float32' ? 3.4e38 : 1.7e308)

/** Reduces per-sample losses (null: not checked) as PyTorch's `reduction`. */
function reduced(losses: (number | null)[], scales: number[], shape: number[], dtype: DType, reduction: Red): Expected {
  if (reduction === 'avg') return refuse('unknown reduction')
  if (reduction === 'none') return result(shape, dtype, losses, { scale: scales })
  const known = losses.every((v) => v !== null)
  const total = known ? (losses as number[]).reduce((a, b) => a + b, 0) : null
  const scale = scales.reduce((a, b) => a + b, 0)
  // The mean of no samples is NaN (0/0), as torch.mean.
  const div = reduction === 'sum' ? 1 : losses.length
  const v = total === null || (!Number.isNaN(total) && scale > overflowAt(dtype)) ? null : total / div
  return result([], dtype, [v], { scale: [scale / div] })
}

// ---- crossEntropy ----------------------------------------------------------------------------

type Target =
  | { kind: 'labels'; form: 'array' | 'int32array'; vs: number[] }
  | { kind: 'labelTensor'; t: TSpec }
  | { kind: 'probs'; t: TSpec }

/** A label for C classes: mostly in range, one past either end, rarely 0.5 or NaN. */
const labelArb = (C: number, integers: boolean) => {
  const inRange = C > 0 ? fc.integer({ min: 0, max: C - 1 }) : fc.constant(0)
  const outside = fc.constantFrom(-1, C)
  return integers
    ? fc.oneof({ weight: 30, arbitrary: inRange }, { weight: 1, arbitrary: outside })
    : fc.oneof(
        { weight: 30, arbitrary: inRange },
        { weight: 1, arbitrary: outside },
        { weight: 1, arbitrary: fc.constantFrom(0.5, NaN) },
      )
}

const ceArb = fc
  .tuple(rankedShapeArb(3), anyDtype, fc.option(mostlyValidAxis(3), { nil: undefined }), reductionArb)
  .chain(([s, d, axis, red]) => {
    const nd = s.length
    const a = axis === undefined ? nd - 1 : axis < 0 ? axis + nd : axis
    const ok = nd > 0 && Number.isInteger(a) && a >= 0 && a < nd
    const C = ok ? s[a] : 2
    const labelShape = ok ? s.filter((_, i) => i !== a) : [2]
    // Now and then a label shape one too long or short (which fits neither reading).
    const wrong = fc.constantFrom([...labelShape, 1], labelShape.slice(1), [sizeOf(labelShape) + 1])
    const target: fc.Arbitrary<Target> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .array(labelArb(C, false), { minLength: sizeOf(labelShape), maxLength: sizeOf(labelShape) })
          .map((vs): Target => ({ kind: 'labels', form: 'array', vs })),
      },
      {
        weight: 2,
        arbitrary: fc
          .array(labelArb(C, true), { minLength: sizeOf(labelShape), maxLength: sizeOf(labelShape) })
          .map((vs): Target => ({ kind: 'labels', form: 'int32array', vs })),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            fc.oneof({ weight: 8, arbitrary: fc.constant(labelShape) }, { weight: 1, arbitrary: wrong }),
            fc.constantFrom<DType>('int32', 'int32', 'float32', 'float64'),
          )
          .chain(([ls, ld]) =>
            fc
              .array(labelArb(C, ld === 'int32'), { minLength: sizeOf(ls), maxLength: sizeOf(ls) })
              .map((vs): Target => ({
                kind: 'labelTensor',
                t: { shape: ls, dtype: ld, values: vs.map((v) => stored(v, ld)) },
              })),
          ),
      },
      // Probabilities of the logits' shape: same dtype mostly; another dtype or int32 now and then.
      {
        weight: 3,
        arbitrary: fc
          .oneof({ weight: 10, arbitrary: fc.constant(d) }, { weight: 1, arbitrary: anyDtype })
          .chain((pd) => tensorOf(s, pd))
          .map((t): Target => ({ kind: 'probs', t })),
      },
    )
    return fc.tuple(tensorOf(s, d), target, fc.constant(axis), fc.constant(red))
  })

/** log_softmax along axis a of the line through idx, as PyTorch computes it in the dtype. */
function logSoftmaxLine(x: TSpec, a: number, idx: number[]): { logp: number[]; infMax: boolean; scale: number[] } {
  const line = Array.from(
    { length: x.shape[a] },
    (_, j) =>
      x.values[
        ravel(
          idx.map((v, i) => (i === a ? j : v)),
          x.shape,
        )
      ],
  )
  const m = line.some(Number.isNaN) ? NaN : Math.max(...line)
  const d = line.map((v) => stored(v - m, x.dtype))
  const ls = Math.log(d.reduce((acc, v) => acc + Math.exp(v), 0))
  // log Σ of a sum ≥ 1 (the max term is e⁰) carries an absolute error of one ulp of 1: the "+ 1".
  return { logp: d.map((v) => v - ls), infMax: m === Infinity, scale: d.map((v) => Math.abs(v) + Math.abs(ls) + 1) }
}

function ceRef(x: TSpec, target: Target, axis: number | undefined, red: Red): Expected {
  if (x.dtype === 'int32') return int32Refused
  const nd = x.shape.length
  if (nd === 0) return refuse('logits need a class axis')
  const ax = axis ?? -1
  if (!Number.isInteger(ax) || ax < -nd || ax >= nd) return refuse('axis out of range')
  if (red === 'avg') return refuse('unknown reduction')
  const a = ax < 0 ? ax + nd : ax
  const C = x.shape[a]
  const labelShape = x.shape.filter((_, i) => i !== a)
  const samples = indices(labelShape).map((li) => [...li.slice(0, a), 0, ...li.slice(a)])
  const losses: (number | null)[] = []
  const scales: number[] = []
  // A tensor with as many axes as the logits is read as probabilities (tapegrad's documented rule).
  if (target.kind === 'probs' || (target.kind === 'labelTensor' && target.t.shape.length === nd)) {
    const p = target.t
    if (p.shape.join() !== x.shape.join()) return refuse("probabilities must have the logits' shape")
    if (p.dtype === 'int32') return refuse('int32 probabilities')
    if (p.dtype !== x.dtype) return refuse('dtype mismatch')
    for (const idx of samples) {
      const { logp, infMax, scale } = logSoftmaxLine(x, a, idx)
      const terms = logp.map((l, c) =>
        stored(
          p.values[
            ravel(
              idx.map((v, i) => (i === a ? c : v)),
              x.shape,
            )
          ] * l,
          x.dtype,
        ),
      )
      // Each term's error is measured against |p_c| · (|x_c − m| + |log Σ|): cancellation inside logp.
      const sa = logp.reduce(
        (acc, _l, c) =>
          acc +
          Math.abs(
            p.values[
              ravel(
                idx.map((v, i) => (i === a ? c : v)),
                x.shape,
              )
            ],
          ) *
            scale[c],
        0,
      )
      const s = -terms.reduce((acc, t) => acc + t, 0)
      losses.push(infMax || (!Number.isNaN(s) && absSum(terms) > overflowAt(x.dtype)) ? null : s)
      scales.push(sa)
    }
  } else {
    const vs = target.kind === 'labels' ? target.vs : target.t.values
    const shape = target.kind === 'labels' ? [vs.length] : target.t.shape
    if (target.kind === 'labelTensor' && shape.join() !== labelShape.join()) return refuse('label shape does not fit')
    if (vs.length !== sizeOf(labelShape)) return refuse('label count does not fit')
    if (vs.some((c) => !Number.isInteger(c) || c < 0 || c >= C)) return refuse('label not a class index')
    samples.forEach((idx, k) => {
      const { logp, infMax, scale } = logSoftmaxLine(x, a, idx)
      losses.push(infMax ? null : -logp[vs[k]])
      scales.push(scale[vs[k]])
    })
  }
  return reduced(losses, scales, labelShape, x.dtype, red)
}

function passTarget(target: Target, t: (i: number) => Tensor): ops.Labels {
  if (target.kind === 'labels') return target.form === 'array' ? target.vs.slice() : Int32Array.from(target.vs)
  return t(1)
}

// ---- binaryCrossEntropyWithLogits --------------------------------------------------------------

type BceTarget = { tensor: TSpec } | { number: number }

const bceArb = fc.tuple(shapeArb(3), anyDtype, reductionArb).chain(([s, d, red]) =>
  fc.tuple(
    tensorOf(s, d),
    fc.oneof(
      { weight: 8, arbitrary: tensorOf(s, d).map((t): BceTarget => ({ tensor: t })) },
      // A target of another dtype, int32 or another shape (refused: no broadcasting), or a number.
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.oneof(fc.constant(s), shapeArb(3)), anyDtype)
          .chain(([ts, td]) => tensorOf(ts, td))
          .map((t): BceTarget => ({ tensor: t })),
      },
      { weight: 2, arbitrary: fc.constantFrom(0, 1, 0.25, NaN, -1).map((n): BceTarget => ({ number: n })) },
    ),
    fc.constant(red),
  ),
)

/**
 * PyTorch's loss per element, in float64: max(x, 0) − x·t + log1p(e^(−|x|)). At x = ±∞ the
 * limits are: (1 − t)·∞ for x = +∞ and −t·(−∞) for x = −∞, and NaN where that is 0·∞.
 */
function bceOne(x: number, t: number): number {
  if (x === Infinity) return t === 1 ? NaN : (1 - t) * Infinity
  if (x === -Infinity) return t === 0 ? NaN : t * Infinity
  return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)))
}

function bceRef(x: TSpec, target: BceTarget, red: Red): Expected {
  if (x.dtype === 'int32') return int32Refused
  let t: number[]
  if ('number' in target) t = x.values.map(() => stored(target.number, x.dtype))
  else {
    if (target.tensor.dtype === 'int32') return refuse('int32 target')
    if (target.tensor.shape.join() !== x.shape.join() || target.tensor.shape.length !== x.shape.length)
      return refuse('shapes differ')
    if (target.tensor.dtype !== x.dtype) return refuse('dtype mismatch')
    t = target.tensor.values
  }
  if (red === 'avg') return refuse('unknown reduction')
  // x·t is rounded to the dtype, as the library and PyTorch form it.
  const losses = x.values.map((v, i) =>
    Number.isFinite(v) && Math.abs(v * t[i]) > overflowAt(x.dtype) ? null : bceOne(v, t[i]),
  )
  const scales = x.values.map((v, i) => Math.abs(v) * (1 + Math.abs(t[i])) + 1)
  return reduced(losses, scales, x.shape, x.dtype, red)
}

export const rows: FuzzRow[] = [
  {
    op: 'crossEntropy',
    family: 'composite',
    weight: 0.5, // the slowest of these rows (a log-softmax per case, both ways)
    cases: withJunk(
      ceArb.map(([x, target, axis, red]): FuzzCase => ({
        tensors: target.kind === 'labels' ? [x] : [x, target.t],
        args: [target.kind === 'labels' ? target : 't1', { axis, reduction: red }],
        call: (t) => ops.crossEntropy(t(0), passTarget(target, t), { axis, reduction: red as ops.Reduction }),
        expected: () => ceRef(x, target, axis, red),
        differentiable: [true, target.kind === 'probs'],
      })),
      (j) => ops.crossEntropy(j as Tensor, [0]),
    ),
  },
  {
    op: 'binaryCrossEntropyWithLogits',
    family: 'composite',
    cases: withJunk(
      bceArb.map(([x, target, red]): FuzzCase => ({
        tensors: 'tensor' in target ? [x, target.tensor] : [x],
        args: ['number' in target ? target.number : 't1', red],
        call: (t) =>
          ops.binaryCrossEntropyWithLogits(t(0), 'tensor' in target ? t(1) : target.number, red as ops.Reduction),
        expected: () => bceRef(x, target, red),
      })),
      (j) => ops.binaryCrossEntropyWithLogits(j as Tensor, 0),
    ),
  },
]
