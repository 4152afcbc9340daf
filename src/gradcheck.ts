/**
 * gradcheck: compares the gradients the tape computes with central finite differences.
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
 * comparison.
 */
import { fmt } from './nd.js'
import { Random } from './random.js'
import { backward, noGrad } from './tape.js'
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

/**
 * Checks the gradient of `f` at `inputs` against central finite differences in float64.
 * @example
 * const report = gradcheck((a, b) => a.mul(b).sum(), [randn([3]), randn([3])])
 * if (!report.ok) throw new Error(report.message)
 */
export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const eps = options.eps ?? 1e-6
  const atol = options.atol ?? 1e-5
  const rtol = options.rtol ?? 1e-3
  const wrt = options.wrt ?? inputs.map((_, i) => i)
  for (const i of wrt) {
    if (!(inputs[i] instanceof Tensor)) throw new Error(`gradcheck: input ${i} is not a Tensor`)
  }

  // float64 copies; only the checked inputs require gradients.
  const xs = inputs.map((t, i) => {
    const d = new Float64Array(t.data)
    const c = new Tensor(d, t.shape.slice())
    c.requiresGrad = wrt.includes(i)
    return c
  })

  const out = f(...xs)
  if (!(out instanceof Tensor)) throw new Error('gradcheck: f must return a Tensor')
  if (out.dtype !== 'float64') {
    throw new Error(`gradcheck: f returned ${out.dtype}; it must keep the float64 inputs in float64 (no constants of another dtype)`)
  }
  const rng = new Random(1234)
  const w = new Float64Array(out.size)
  for (let k = 0; k < w.length; k++) w[k] = out.size === 1 ? 1 : rng.uniform(0.5, 1.5) * (k % 2 ? -1 : 1)
  const weigh = (o: Tensor) => {
    let s = 0
    for (let k = 0; k < o.size; k++) s += w[k] * o.data[k]
    return s
  }

  if (out.requiresGrad) backward(out, new Tensor(w, out.shape.slice()))
  const analytic = xs.map((x) => x.grad?.data ?? new Float64Array(x.size))

  let maxAbs = 0
  let maxRel = 0
  let worst: GradcheckWorst | null = null
  let worstRatio = -1
  noGrad(() => {
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
        const a = analytic[i][j]
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
  })
  const ok = worstRatio <= 1
  const w0 = worst as GradcheckWorst | null
  const message = w0
    ? `gradcheck ${ok ? 'passed' : 'FAILED'}: worst at input ${w0.input} ${fmt(inputs[w0.input].shape)} flat index ${w0.index}: ` +
      `analytic ${w0.analytic}, numeric ${w0.numeric} (|error| ${w0.error.toExponential(2)}, atol ${atol}, rtol ${rtol})`
    : 'gradcheck passed: nothing to check'
  return { ok, maxAbsError: maxAbs, maxRelError: maxRel, worst: w0, message }
}
