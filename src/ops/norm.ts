/**
 * `norm`: entrywise vector norms over axes, as a composite of existing primitives.
 *
 *     ord 2 (default), 'fro'   ‖x‖₂ = √(Σ x²)          (the Frobenius norm of a matrix)
 *     ord 1                    ‖x‖₁ = Σ |x|
 *     ord ∞ / −∞               max |x| / min |x|
 *     ord p > 0                ‖x‖ₚ = (Σ |x|ᵖ)^(1/p)
 *
 * Two guards make it safe where the textbook formulas are not:
 * - Overflow and underflow: the 2- and p-norms are computed as m·‖x/m‖ with m = max |x| held
 *   constant (as logsumexp holds its shift): the identity is exact for any fixed m > 0, so values
 *   and derivatives are unchanged, and x = 1e30 in float32 no longer squares to ∞.
 * - The point 0, where √ and the p-th root have an infinite slope (x/‖x‖ = 0/0): where a sum is 0
 *   the root is taken through `where` with a constant mask, so the gradient there is 0 — the
 *   subgradient PyTorch returns — and so are the higher derivatives, never NaN. The same guard
 *   keeps |xᵢ|ᵖ finite-sloped at xᵢ = 0 for p < 1 (PyTorch's masked_fill there).
 */
import { fmt, map } from '../nd.js'
import { MAX, reduceData, reducedCount, reducedShape } from '../reductions.js'
import { mapTensor } from '../op.js'
import { checkFloat, describeArg, normalizeAxes, type AxisLike } from '../check.js'
import { Tensor } from '../tensor.js'
import { abs, div, mul, pow, sqrt, square, where } from './elementwise.js'
import { max, min, sum } from './reduce.js'
import { reshapeOp } from './shape.js'

/** Which norm: 2 (default), 1, Infinity, -Infinity, 'fro' (= 2) or any number p > 0. */
export type NormOrd = number | 'fro'

const isZero = (v: number) => (v === 0 ? 1 : 0)
/**
 * tᵠ for t ≥ 0, with 0 (and a zero derivative of every order) wherever t = 0: the double-`where`
 * guard, so that no infinite slope at 0 reaches the chain rule as ∞·0 = NaN. Where t has no zero
 * it is plain tᵠ (the same value and derivatives, two ops fewer).
 */
function rootOrPower(t: Tensor, q: number): Tensor {
  const raise = (s: Tensor) => (q === 0.5 ? sqrt(s) : pow(s, q))
  const zero = mapTensor(t, isZero) // a constant of the graph
  if (!zero.data.includes(1)) return raise(t)
  return where(zero, 0, raise(where(zero, 1, t)))
}

/** max |x| over `axes` (keepdims), with 1 where it is 0, not finite, or over no elements. */
function scaleOf(x: Tensor, axes: number[]): Tensor {
  const keep = reducedShape(x.shape, axes, true)
  if (reducedCount(x.shape, axes) === 0) return Tensor.full(keep, 1, x.dtype)
  const m = reduceData(MAX, map(x.data, Math.abs), x.shape, axes)
  for (let i = 0; i < m.length; i++) if (!(m[i] > 0 && m[i] < Infinity)) m[i] = 1
  return new Tensor(m, keep)
}

function readOrd(ord: unknown, x: Tensor): number {
  if (ord === undefined || ord === null || ord === 'fro') return 2
  if (typeof ord === 'number' && (ord > 0 || ord === -Infinity)) return ord
  const shown = typeof ord === 'string' ? `'${ord}'` : typeof ord === 'number' ? String(ord) : describeArg(ord)
  throw new Error(
    `norm: ord ${shown} is not supported for shape ${fmt(x.shape)} ` +
      `(expected 2, 1, Infinity, -Infinity, 'fro' or a number p > 0; ` +
      `norm is entrywise, matrix norms such as 'nuc' are not provided)`,
  )
}

/**
 * The entrywise norm of x over `axis` (all axes by default: the norm of the flattened tensor,
 * i.e. the Frobenius norm of a matrix), like PyTorch's `linalg.vector_norm(x, ord, dim, keepdim)`
 * and `torch.norm(x, p)`: ord 2 = √(Σ x²) (default; 'fro' is the same), 1 = Σ |x|,
 * Infinity = max |x|, -Infinity = min |x|, p > 0 = (Σ |x|ᵖ)^(1/p). `keepdims` keeps the reduced
 * axes as size 1.
 *
 * Not the induced matrix norms: NumPy's `linalg.norm(A, 1)` and `torch.linalg.norm(A, 1)` of a
 * matrix give the largest column sum; here it is the sum of all |Aᵢⱼ|.
 *
 * Gradients: x/‖x‖₂ for ord 2, sign(x) for ord 1, |x|ᵖ⁻¹·sign(x)/‖x‖ₚᵖ⁻¹ for p; ±∞ send the
 * gradient to the largest (smallest) |xᵢ|, split equally among ties. At x = 0 (a whole slice of
 * zeros) the gradient is 0, PyTorch's subgradient, instead of 0/0 = NaN; elements equal to 0 get
 * gradient 0 for every ord. Large and tiny values neither overflow nor underflow (see the file's
 * notes). The ∞-norms of zero elements are an error; the other norms of zero elements are 0.
 * @example
 * import { norm, tensor } from 'tapegrad'
 * norm(tensor([3, 4]))                   // 5
 * norm(tensor([[1, -2], [3, -4]]), 1, 1)  // [3, 7]
 * norm(tensor([3, -4]), Infinity)         // 4
 */
export function norm(x: Tensor, ord: NormOrd = 2, axis?: AxisLike, keepdims = false): Tensor {
  checkFloat('norm', x)
  const p = readOrd(ord, x)
  const axes = normalizeAxes('norm', x.shape, axis)
  const k = !!keepdims
  if (p === 1) return sum(abs(x), axes, k)
  if (p === Infinity || p === -Infinity) {
    if (reducedCount(x.shape, axes) === 0) {
      throw new Error(
        `norm: the ${p > 0 ? '' : '−'}∞-norm of zero elements is undefined ` +
          `(axes [${axes.join(',')}] of shape ${fmt(x.shape)})`,
      )
    }
    return p > 0 ? max(abs(x), axes, k) : min(abs(x), axes, k)
  }
  const m = scaleOf(x, axes)
  const y = div(x, m) // |y| ≤ 1; a quotient, as 1/m overflows for a denormal m (norm(5e-324) gave ∞)
  const s = sum(p === 2 ? square(y) : rootOrPower(abs(y), p), axes, true)
  const r = mul(rootOrPower(s, 1 / p), m)
  return k ? r : reshapeOp([r], reducedShape(x.shape, axes, false))
}
