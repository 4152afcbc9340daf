/**
 * The fuzz table: for every row of test/fuzz/rows, fast-check generates shapes (0-size axes, 0-d
 * tensors, broadcasting mismatches, negative and out-of-range axes) and values (NaN, ±∞, −0,
 * denormals, ties, values near overflow), and every call must either return what a float64
 * reference with NumPy's semantics gives (shape, dtype, values within float32/float64 tolerance)
 * or throw an `Error` whose message starts with the op's name. A TypeError / RangeError from
 * inside, a wrong shape or a case over 5 s fails. Successful calls on finite inputs are run again
 * with gradients (backward must not throw; every input gets a gradient of its shape and dtype).
 *
 * Cases per row: FUZZ_RUNS (default 1000; `FUZZ_RUNS=5000 npx tsx test/fuzz/cli.ts` runs more by hand).
 *
 * Choices where NumPy is not followed or is platform-specific (each documented at its row):
 * transpose() without axes swaps the last two axes (tapegrad's Aᵀ; NumPy reverses all); tril/triu
 * need ≥ 2 axes (as PyTorch); softmax of a 0-d tensor is refused (as scipy); softmax values of a
 * line holding +∞ are not checked (NumPy: all NaN; tapegrad: NaN at the ∞, its limit elsewhere);
 * einsum diagonals ('ii->i') are refused; astype of NaN/±∞/out-of-range to int32 is refused
 * (NumPy: undefined); conv2d sums whose Σ|terms| overflow are not value-checked (order-dependent).
 * Round 2's rows (test/fuzz/rows/indexing.ts, losses.ts, windows.ts): float Tensors of integer
 * values are accepted as indices and labels (documented; NumPy / PyTorch want integer dtypes);
 * indexSelect refuses a 0-d index (PyTorch reads it as [i]); crossEntropy lines whose max logit is
 * +∞ are not value-checked (as softmax); binaryCrossEntropyWithLogits at x = ±∞ is checked against
 * the limit (PyTorch's spelling gives NaN at x = −∞); a max-pool window of padding only is refused
 * (PyTorch: −∞); pools with 0 channels return an empty result (PyTorch refuses). The window rows
 * (conv1d, the three pools) and crossEntropy run half the cases (weight 0.5, direct loops).
 *
 * What broke before the fixes (found by this table, 2026-12-02; regression tests in
 * test/elementwise-edges.test.ts unless said otherwise):
 * - relu: float32 [NaN] → 0 (NumPy / PyTorch: NaN). Fix: reluFn keeps NaN.
 * - maximum / minimum: maximum(float64 [[NaN]], [0, 0]) → [0, 0], minimum(NaN, t) → t (NumPy: NaN).
 *   Fix: a NaN on either side wins.
 * - sub / div: float32 − float64 threw "add: dtype mismatch…", [2] − [4] threw "add: shapes … cannot
 *   be broadcast" (errors named the primitive inside the composite). Fix: floatPair checks dtype and
 *   broadcast under the composite's name.
 * - div: float64 0 / 5e-324 → NaN (and x / 1e-310 → ±∞): the composite a · b⁻¹ overflowed b⁻¹.
 *   Fix: div is a primitive (a / b) with its own backward and tangent.
 * - astype: float32 [NaN] → int32 [0] (also ±∞ and |x| ≥ 2³¹, silently wrong). Fix: refused by name.
 * - softmax / logSoftmax: float32 [0] (an empty axis) → a tensor off the tape (x.clone()): backward
 *   gave the input no gradient. Fix: mul(x, 1).
 * - norm: float64 [5e-324] → ∞ (x · (1/max|x|) overflowed). Fix: x / max|x| (regression test in
 *   test/norm.test.ts).
 * - argmax: float32 [0, 1], axis 1 → "cannot take the argmax of zero elements" (NumPy: an empty
 *   int result of shape [0]). Fix: refused only when a searched slice is empty (test/reduce.test.ts).
 * - pow: float32 pow([0, 0], −5e−324) → [∞, ∞], where the exponent, like every number operand, is
 *   float32 −0 (NumPy: 1); pow(1, NaN) → NaN (C99 / NumPy: 1). Fix: exponent rounded to the dtype,
 *   C99's pow rules for 1ᵖ and (−1)^±∞.
 *
 * Round 2 (2026-12-03; regression tests in test/fuzz-found-edges.test.ts):
 * - slice: float64 [3,3,3,3], [−1, [−5, 5, null], …] threw "step must be a non-zero integer"
 *   (the doc says any part may be null; Python's None step is 1). Fix: a null step is 1.
 * - gather / indexSelect: ragged nested indices [[], [0]] threw "tensor: ragged nested array…"
 *   (an error naming another function). Fix: refused as "gather: indices ragged…".
 * - pad: float64 [0, 0, 0], [[0, 1]], value −0 → [0, 0, 0, 0] (NumPy: last −0). Fix: filled
 *   unless the value is +0.
 * - pad: int32 [0], value 1e300 → [0] (and 2³¹ → −2³¹): Int32Array wraps modulo 2³². Fix: refused.
 * - crossEntropy: float32 [[0, 0, −∞]], label 0 → NaN (PyTorch: log 2): the one-hot product
 *   0 · (−∞). Fix: the label's log-probability picked with where, not a product.
 * - binaryCrossEntropyWithLogits: float32 x = +∞, t = 0 → NaN (PyTorch and the limit: +∞):
 *   softplus(x) − x·t is ∞ − ∞ there. Fix: (1 − t)·x + softplus(−x) for x ≥ 0 (same function).
 * - conv1d: float64 input, float32 weight threw "conv2d: dtype mismatch…" (the primitive's name).
 *   Fix: conv1d / conv2d check the dtypes of input, weight and bias themselves.
 * - adaptiveAvgPool2d: float32 [1,1,3,3] with ∞ at [0,0,0,1], output 2 → [∞, ∞, NaN, NaN]
 *   (PyTorch: [∞, ∞, 6, 7]); a NaN made its whole plane NaN: the matmuls with the averaging
 *   matrices multiply the ∞ by their zeros. Fix: direct-loop primitives (an average and its adjoint).
 */
import * as ops from '../src/ops/index.js'
import { allRows } from './fuzz/rows/index.js'
import { runRow, settings, type RowReport } from './fuzz/run.js'

const { runs, seed } = settings()
const reports: RowReport[] = []

describe.each(allRows.map((r) => [r.op, r] as const))('fuzz %s', (_op, row) => {
  test(`${runs} cases`, () => {
    const r = runRow(row, runs, seed)
    reports.push(r)
    if (r.failure) throw new Error(r.failure)
  })
})

afterAll(() => {
  const total = reports.reduce((s, r) => s + r.runs, 0)
  const values = reports.reduce((s, r) => s + r.values, 0)
  const grads = reports.reduce((s, r) => s + r.grads, 0)
  const ms = reports.reduce((s, r) => s + r.ms, 0)
  console.log(
    `fuzz: ${total} cases over ${reports.length} ops (${values} values checked, ${total - values} refusals, ` +
      `${grads} backward passes), ${(ms / 1000).toFixed(1)} s, seed ${seed}`,
  )
})

test('every exported op has a fuzz row', () => {
  const exported = Object.entries(ops)
    .filter(([name, v]) => typeof v === 'function' && !(name.endsWith('Op') && 'def' in (v as object)))
    .map(([name]) => name)
  const covered = new Set(allRows.map((r) => r.op))
  expect(exported.filter((name) => !covered.has(name))).toEqual([])
  expect([...covered].filter((name) => !exported.includes(name))).toEqual([])
})
