/**
 * gradcheck and gradgradcheck: compare the derivatives the engine computes with central finite
 * differences.
 *
 * For f: inputs → output, with a fixed cotangent w (all ones for a scalar output, fixed
 * pseudo-random weights otherwise) the checked scalar is s = Σ w ⊙ f(x). For every element xⱼ of
 * every checked input:
 *
 *     numeric_j  = (s(x + ε·eⱼ) − s(x − ε·eⱼ)) / 2ε          (error O(ε²))
 *     analytic_j = ∂s/∂xⱼ from backward()
 *
 * and the check passes when |analytic − numeric| ≤ atol + rtol·|numeric| everywhere. Inputs are
 * converted to float64 first: in float32 the rounding error of s (~1e-7·|s|/ε) would swamp the
 * comparison. gradgradcheck runs the same comparison one order up, on the first derivatives
 * computed with a recorded backward pass (like PyTorch's `gradgradcheck`).
 */
import { fmt } from './nd.js'
import { concat } from './ops/indexing.js'
import { reshape } from './ops/shape.js'
import { Random } from './random.js'
import { noGrad } from './recording.js'
import { backward, gradients } from './tape.js'
import { Tensor } from './tensor.js'

/** Options of {@link gradcheck}: the check passes where |analytic − numeric| ≤ atol + rtol·|numeric|. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number
  /** Absolute tolerance (default 1e-5). */
  atol?: number
  /** Relative tolerance (default 1e-3). */
  rtol?: number
  /** Indices of the inputs to check (default: all). */
  wrt?: number[]
}

/** Where the largest discrepancy was. */
export interface GradcheckWorst {
  /** Which input (position in `inputs`). */
  input: number
  /** Flat index of the element in that input. */
  index: number
  /** ∂s/∂xⱼ from backward(). */
  analytic: number
  /** (s(x + ε·eⱼ) − s(x − ε·eⱼ)) / 2ε. */
  numeric: number
  /** |analytic − numeric|. */
  error: number
}

/** What {@link gradcheck} found. */
export interface GradcheckReport {
  /** Whether every checked element was within tolerance. */
  ok: boolean
  /** max |analytic − numeric| over the checked elements. */
  maxAbsError: number
  /** max |analytic − numeric| / max(|numeric|, 1e-12) over the checked elements. */
  maxRelError: number
  /** The element with the largest error relative to its tolerance (null if nothing was checked). */
  worst: GradcheckWorst | null
  /** A one-line summary naming the worst element. */
  message: string
}

/** float64 copies of the inputs; only the checked ones require gradients. */
function float64Copies(inputs: Tensor[], wrt: number[]): Tensor[] {
  return inputs.map((t, i) => {
    const c = new Tensor(new Float64Array(t.data), t.shape.slice())
    c.requiresGrad = wrt.includes(i)
    return c
  })
}

/** Fixed pseudo-random cotangent weights (all ones for a scalar output). */
function weightsFor(out: Tensor, seed: number): Float64Array {
  const rng = new Random(seed)
  const w = new Float64Array(out.size)
  for (let k = 0; k < w.length; k++) w[k] = out.size === 1 ? 1 : rng.uniform(0.5, 1.5) * (k % 2 ? -1 : 1)
  return w
}

function checkWrt(who: string, inputs: Tensor[], wrt: number[]): void {
  for (const i of wrt) {
    if (!(inputs[i] instanceof Tensor)) throw new Error(`${who}: input ${i} is not a Tensor`)
  }
}

/**
 * The comparison itself: `analytic(xs, w)` gives ∂s/∂x for each input (s = Σ w ⊙ f(xs)), and
 * central differences of s give the numeric values. `tape`: evaluate the differences with
 * recording on (gradgradcheck's f computes gradients inside).
 */
function compare(
  who: string,
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions,
  analytic: (xs: Tensor[], out: Tensor, w: Float64Array) => ArrayLike<number>[],
  tape: boolean,
): GradcheckReport {
  const eps = options.eps ?? 1e-6
  const atol = options.atol ?? 1e-5
  const rtol = options.rtol ?? 1e-3
  const wrt = options.wrt ?? inputs.map((_, i) => i)
  checkWrt(who, inputs, wrt)
  const xs = float64Copies(inputs, wrt)
  const out = f(...xs)
  if (!(out instanceof Tensor)) throw new Error(`${who}: f must return a Tensor`)
  if (out.dtype !== 'float64') {
    throw new Error(
      `${who}: f returned ${out.dtype}; it must keep the float64 inputs in float64 (no constants of another dtype)`,
    )
  }
  const w = weightsFor(out, 1234)
  const weigh = (o: Tensor) => {
    let s = 0
    for (let k = 0; k < o.size; k++) s += w[k] * o.data[k]
    return s
  }
  const exact = analytic(xs, out, w)

  let maxAbs = 0
  let maxRel = 0
  let worst: GradcheckWorst | null = null
  let worstRatio = -1
  const differences = () => {
    for (const i of wrt) {
      const d = xs[i].data
      for (let j = 0; j < d.length; j++) {
        const saved = d[j]
        d[j] = saved + eps
        const plus = weigh(f(...xs))
        d[j] = saved - eps
        const minus = weigh(f(...xs))
        d[j] = saved
        const numeric = (plus - minus) / (2 * eps)
        const a = exact[i][j]
        const err = Math.abs(a - numeric)
        const tol = atol + rtol * Math.abs(numeric)
        const ratio = Number.isNaN(err) ? Infinity : err / tol
        maxAbs = Math.max(maxAbs, err)
        maxRel = Math.max(maxRel, err / Math.max(Math.abs(numeric), 1e-12))
        if (ratio > worstRatio) {
          worstRatio = ratio
          worst = { input: i, index: j, analytic: a, numeric, error: err }
        }
      }
    }
  }
  if (tape) differences()
  else noGrad(differences)
  const ok = worstRatio <= 1
  const w0 = worst as GradcheckWorst | null
  const message = w0
    ? `${who} ${ok ? 'passed' : 'FAILED'}: worst at input ${w0.input} ${fmt(inputs[w0.input].shape)} flat index ${w0.index}: ` +
      `analytic ${w0.analytic}, numeric ${w0.numeric} (|error| ${w0.error.toExponential(2)}, atol ${atol}, rtol ${rtol})`
    : `${who} passed: nothing to check`
  return { ok, maxAbsError: maxAbs, maxRelError: maxRel, worst: w0, message }
}

/** The analytic side of a check by one plain (unrecorded) backward pass from out with cotangent w:
 *  each input's gradient, zeros where out does not depend on it. */
function plainGradients(xs: Tensor[], out: Tensor, w: Float64Array): ArrayLike<number>[] {
  if (out.requiresGrad) backward(out, new Tensor(w, out.shape.slice()), { createGraph: false })
  return xs.map((x) => x.grad?.data ?? new Float64Array(x.size))
}

/**
 * Checks the gradient of `f` at `inputs` against central finite differences in float64.
 * @example
 * import { gradcheck, randn, seed } from 'tapegrad'
 * seed(0)
 * const report = gradcheck((a, b) => a.mul(b).sum(), [randn([3]), randn([3])])
 * report.ok // true
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  return compare('gradcheck', f, inputs, options, plainGradients, false)
}

/**
 * Checks second derivatives of `f` at `inputs` against finite differences of its gradient, in
 * float64, like PyTorch's `gradgradcheck`. With u a fixed cotangent for f's output and
 * G(x) = uᵀ·∂f/∂x (all checked inputs' gradients, computed by a recorded backward pass, as one
 * vector), it checks (1) G against finite differences of uᵀf — the recorded rules give the right
 * first derivative — and (2) the gradient of vᵀG against finite differences of vᵀG for a fixed v.
 * @example
 * import { gradgradcheck, randn, seed } from 'tapegrad'
 * seed(0)
 * const report = gradgradcheck((x) => x.sin().mul(x), [randn([3], { dtype: 'float64' })])
 * report.ok // true
 */
export function gradgradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const wrt = options.wrt ?? inputs.map((_, i) => i)
  checkWrt('gradgradcheck', inputs, wrt)
  const recordedGradients = (xs: Tensor[], out: Tensor, w: Float64Array): Tensor[] =>
    gradients(
      out,
      wrt.map((i) => xs[i]),
      new Tensor(w, out.shape.slice()),
      { createGraph: true, retainGraph: true, who: 'gradgradcheck' },
    )
  // (1) first derivatives through the recorded (differentiable) backward rules
  const first = compare(
    'gradgradcheck (first derivatives)',
    f,
    inputs,
    options,
    (xs, out, w) => {
      const gs = recordedGradients(xs, out, w)
      return xs.map((x, i) => (wrt.includes(i) ? gs[wrt.indexOf(i)].data : new Float64Array(x.size)))
    },
    true,
  )
  if (!first.ok) return first
  // (2) second derivatives: G(x) = uᵀ·∂f/∂x as one flat vector, differentiated once more
  const probe = f(...float64Copies(inputs, wrt))
  if (!(probe instanceof Tensor)) throw new Error('gradgradcheck: f must return a Tensor')
  const u = weightsFor(probe, 4321)
  const G = (...xs: Tensor[]) => {
    const out = f(...xs)
    const gs = recordedGradients(xs, out, u)
    return concat(
      gs.map((g) => reshape(g, [-1])),
      0,
    )
  }
  return compare('gradgradcheck', G, inputs, options, plainGradients, true)
}
