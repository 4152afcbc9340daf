/**
 * Reductions over axes: sum, mean, max, min, logsumexp, variance, argmax.
 *
 * `axis` is a number, a list of numbers, or null/undefined for every axis; negative axes count
 * from the end (−1 is the last), as in NumPy. An empty list reduces nothing (NumPy's `axis=()`;
 * PyTorch's `dim=[]` would reduce everything). `keepdims` keeps each reduced axis as size 1, so
 * the result broadcasts against the input.
 *
 * Primitives are `sum`, `max` and `min`; the rest are composites of them. Their loops are in
 * src/reductions.ts (shared with the engine's un-broadcast); float32 sums accumulate in float64
 * and are rounded once at the end.
 */
import { allocate, dtypeOf, fmt, sizeOf, type TypedArray } from '../nd.js'
import { expand, MAX, MIN, product, reduceData, reducedCount, reducedShape, runsOf, SUM } from '../reductions.js'
import { defineOp, type Op } from '../op.js'
import { checkFloat, checkTensor, normalizeAxes, type AxisLike } from '../check.js'
import { Tensor } from '../tensor.js'
import { exp, log, mul, square, sub, add } from './elementwise.js'
import { broadcastToOp, reshapeOp } from './shape.js'

export type { AxisLike } from '../check.js'

/** Attributes of the reduction primitives. */
export interface ReduceAttrs {
  /** Normalised axes: non-negative, sorted, distinct. */
  axes: number[]
  keepdims: boolean
}

/** g (the reduced result's gradient) repeated along the reduced axes to x's shape, differentiably. */
function spread(g: Tensor, x: Tensor, axes: number[]): Tensor {
  return broadcastToOp([reshapeOp([g], reducedShape(x.shape, axes, true))], x.shape)
}

// ---- sum: out = Σ x over axes;  x̄ = g repeated along the reduced axes;  ȯut = Σ ẋ --------------
/** The sum primitive: attributes are normalised axes (sorted, distinct, non-negative). Use `sum`.
 * @example
 * import { sum, sumOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 2], [3, 4]])
 * sumOp([x], { axes: [0], keepdims: false }).toArray() // [4, 6]
 * sum(x, 0).toArray() // [4, 6]
 */
export const sumOp: Op<ReduceAttrs> = defineOp<ReduceAttrs>({
  name: 'sum',
  forward: ([x], { axes, keepdims }) =>
    new Tensor(reduceData(SUM, x.data, x.shape, axes), reducedShape(x.shape, axes, keepdims)),
  backward: (g, [x], _out, { axes }) => [spread(g, x, axes)],
  tangent: ([dx], _x, _out, attrs) => sumOp([dx], attrs),
  fastBackward: (g, [x], _out, { axes }) => [new Tensor(expand(g.data, x.shape, axes), x.shape.slice())],
})
/**
 * Σ of the elements over `axis` (all axes by default). The sum of no elements is 0.
 * float32 input is accumulated in float64 and rounded once.
 * @example
 * import { sum, tensor } from 'tapegrad'
 * sum(tensor([[1, 2], [3, 4]]), 0)        // [4, 6]
 * sum(tensor([[1, 2], [3, 4]]), -1, true) // [[3], [7]]
 */
export function sum(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkTensor('sum', x)
  return sumOp([x], { axes: normalizeAxes('sum', x.shape, axis), keepdims: !!keepdims })
}

/**
 * ∂max/∂x: g goes to the elements equal to the maximum; ties share it equally (each of k tied
 * elements gets g/k), as PyTorch's `amax`/`amin` do. Finite differences agree away from ties.
 */
function extremumGrad(g: Tensor, x: Tensor, out: Tensor, axes: number[]): Tensor[] {
  const runs = runsOf(x.shape, axes)
  if (runs.length === 1) {
    const [first, last] = runs[0]
    const outer = product(x.shape, 0, first)
    const n = product(x.shape, first, last + 1)
    const inner = product(x.shape, last + 1, x.shape.length)
    return [new Tensor(extremumGradRun(x.data, out.data, g.data, outer, n, inner), x.shape.slice())]
  }
  // Several runs: materialise the maximum, the tie counts and g at x's shape.
  const xd = x.data
  const ob = expand(out.data, x.shape, axes)
  const mask = allocate(x.dtype, x.size)
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i]
    const m = ob[i]
    if (v === m || (v !== v && m !== m)) mask[i] = 1
  }
  const counts = expand(reduceData(SUM, mask, x.shape, axes), x.shape, axes)
  const gb = expand(g.data, x.shape, axes)
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) mask[i] = gb[i] / counts[i]
  return [new Tensor(mask, x.shape.slice())]
}

/**
 * One run in the [outer, n, inner] view. A first pass counts the elements equal to each output
 * and remembers where the first one is; an output without ties (the usual case) sends g there
 * directly, and only outputs with ties take a second pass that hands out g / count. The walk is
 * row by row, so a first-axis reduction reads memory in order.
 */
function extremumGradRun(
  xd: TypedArray,
  od: TypedArray,
  gd: TypedArray,
  outer: number,
  n: number,
  inner: number,
): TypedArray {
  const grad = allocate(dtypeOf(xd), xd.length)
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n
      const m = od[o]
      let count = 0
      let at = 0
      for (let k = 0; k < n; k++) {
        const v = xd[base + k]
        if (v === m || (v !== v && m !== m)) {
          if (count === 0) at = base + k
          count++
        }
      }
      if (count === 1) grad[at] = gd[o]
      else {
        const share = gd[o] / count
        for (let k = 0; k < n; k++) {
          const v = xd[base + k]
          if (v === m || (v !== v && m !== m)) grad[base + k] = share
        }
      }
    }
    return grad
  }
  const count = new Float64Array(inner)
  const at = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    const ob = o * inner
    count.fill(0)
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) {
        const v = xd[base + j]
        const m = od[ob + j]
        if (v === m || (v !== v && m !== m)) {
          if (count[j] === 0) at[j] = base + j
          count[j]++
        }
      }
    }
    let ties = false
    for (let j = 0; j < inner; j++) {
      if (count[j] === 1) grad[at[j]] = gd[ob + j]
      else ties = true
    }
    if (!ties) continue
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) {
        const v = xd[base + j]
        const m = od[ob + j]
        if (count[j] > 1 && (v === m || (v !== v && m !== m))) grad[base + j] = gd[ob + j] / count[j]
      }
    }
  }
  return grad
}

/**
 * The share of the gradient each element of x gets in max/min over `axes`: 1/k for each of the k
 * elements equal to the extremum, 0 elsewhere — a constant of the graph (it changes only where x
 * has ties, which have measure zero).
 */
function extremumShare(x: Tensor, out: Tensor, axes: number[]): Tensor {
  const ones = new Tensor(allocate(out.dtype, out.size).fill(1), out.shape.slice())
  return extremumGrad(ones, x, out, axes)[0]
}

function checkNotEmpty(op: string, x: Tensor, axes: number[]): void {
  if (reducedCount(x.shape, axes) === 0) {
    throw new Error(
      `${op}: cannot reduce over zero elements (axes [${axes.join(',')}] of shape ${fmt(x.shape)}); it has no identity`,
    )
  }
}

/** The max primitive (normalised axes); `max` validates and calls it.
 * @example
 * import { max, maxOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 5], [7, 2]])
 * maxOp([x], { axes: [1], keepdims: true }).toArray() // [[5], [7]]
 * max(x, 1, true).toArray()                           // [[5], [7]]
 */
export const maxOp = defineOp<ReduceAttrs>({
  name: 'max',
  forward: ([x], { axes, keepdims }) =>
    new Tensor(reduceData(MAX, x.data, x.shape, axes), reducedShape(x.shape, axes, keepdims)),
  backward: (g, [x], out, { axes }) => [mul(spread(g, x, axes), extremumShare(x, out, axes))],
  tangent: ([dx], [x], out, attrs) => sumOp([mul(dx, extremumShare(x, out, attrs.axes))], attrs),
  fastBackward: (g, [x], out, { axes }) => extremumGrad(g, x, out, axes),
})
/**
 * Maximum over `axis` (all axes by default); NaN propagates. The gradient goes to the maximal
 * elements, split equally among ties (PyTorch's `amax` rule): max([1, 3, 3]) sends g/2 to each 3.
 * Reducing over zero elements is an error.
 * @example
 * import { max, tensor } from 'tapegrad'
 * max(tensor([[1, 5], [7, 2]]), 1) // [5, 7]
 */
export function max(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkTensor('max', x)
  const axes = normalizeAxes('max', x.shape, axis)
  checkNotEmpty('max', x, axes)
  return maxOp([x], { axes, keepdims: !!keepdims })
}

// minOp repeats maxOp's backward, tangent and fast backward on purpose: an op's rules stay side
// by side in its block (the gradient goes to the elements equal to the result, for both).
/** The min primitive (normalised axes); `min` validates and calls it.
 * @example
 * import { min, minOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 5], [7, 2]])
 * minOp([x], { axes: [1], keepdims: false }).toArray() // [1, 2]
 * min(x, 1).toArray() // [1, 2]
 */
export const minOp = defineOp<ReduceAttrs>({
  name: 'min',
  forward: ([x], { axes, keepdims }) =>
    new Tensor(reduceData(MIN, x.data, x.shape, axes), reducedShape(x.shape, axes, keepdims)),
  backward: (g, [x], out, { axes }) => [mul(spread(g, x, axes), extremumShare(x, out, axes))],
  tangent: ([dx], [x], out, attrs) => sumOp([mul(dx, extremumShare(x, out, attrs.axes))], attrs),
  fastBackward: (g, [x], out, { axes }) => extremumGrad(g, x, out, axes),
})
/**
 * Minimum over `axis` (all axes by default); NaN propagates; ties share the gradient equally
 * (PyTorch's `amin`). Reducing over zero elements is an error.
 * @example
 * import { min, tensor } from 'tapegrad'
 * min(tensor([[1, 5], [7, 2]]), 0) // [1, 2]
 */
export function min(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkTensor('min', x)
  const axes = normalizeAxes('min', x.shape, axis)
  checkNotEmpty('min', x, axes)
  return minOp([x], { axes, keepdims: !!keepdims })
}

/**
 * Arithmetic mean over `axis` (all axes by default): Σx / n, with n the number of elements
 * reduced. Composite (sum, then a constant factor). The mean of no elements is NaN (as NumPy).
 * @example
 * import { mean, tensor } from 'tapegrad'
 * mean(tensor([[1, 2], [3, 4]]), 1) // [1.5, 3.5]
 */
export function mean(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkFloat('mean', x)
  const axes = normalizeAxes('mean', x.shape, axis)
  const n = reducedCount(x.shape, axes)
  return mul(sumOp([x], { axes, keepdims: !!keepdims }), n === 0 ? NaN : 1 / n)
}

/**
 * log Σ exp(x) over `axis` (all axes by default), computed stably as
 * m + log Σ exp(x − m) with m = max x held constant (it cancels in the value and the gradient,
 * so the gradient is softmax(x) exactly). Finite at x = ±1000 where the naive form overflows.
 * An all −∞ slice gives −∞; the logsumexp of no elements is −∞ (log 0).
 * @example
 * import { logsumexp, tensor } from 'tapegrad'
 * logsumexp(tensor([1000, 1000])).item() // 1000.6932
 */
export function logsumexp(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkFloat('logsumexp', x)
  const axes = normalizeAxes('logsumexp', x.shape, axis)
  const keep = reducedShape(x.shape, axes, true)
  let m: TypedArray
  if (reducedCount(x.shape, axes) === 0) m = allocate(x.dtype, sizeOf(keep))
  else {
    m = reduceData(MAX, x.data, x.shape, axes)
    // An infinite maximum (all −∞, or some +∞) would make x − m NaN; shifting by 0 is exact there.
    for (let i = 0; i < m.length; i++) if (m[i] === Infinity || m[i] === -Infinity) m[i] = 0
  }
  const shifted = sub(x, new Tensor(m, keep))
  const s = sumOp([exp(shifted)], { axes, keepdims: !!keepdims })
  return add(log(s), new Tensor(m, reducedShape(x.shape, axes, !!keepdims)))
}

/**
 * Variance over `axis` (all axes by default): Σ(x − x̄)² / (n − correction), two-pass (the mean
 * is subtracted first, so large offsets do not cancel catastrophically).
 * `correction = 0` (the default) is the population variance, like NumPy's `var` (ddof=0) and
 * JAX; PyTorch's default `var` (unbiased) is `correction = 1`. When n − correction ≤ 0 the
 * result is NaN or +∞, as in NumPy. Composite: mean, sub, square, sum.
 * @example
 * import { tensor, variance } from 'tapegrad'
 * variance(tensor([1, 2, 3, 4]))              // 1.25
 * variance(tensor([1, 2, 3, 4]), 0, false, 1) // 1.6667
 */
export function variance(x: Tensor, axis?: AxisLike, keepdims = false, correction = 0): Tensor {
  checkFloat('variance', x)
  if (typeof correction !== 'number' || !Number.isFinite(correction)) {
    throw new Error(`variance: correction must be a finite number, got ${String(correction)} (shape ${fmt(x.shape)})`)
  }
  const axes = normalizeAxes('variance', x.shape, axis)
  const n = reducedCount(x.shape, axes)
  const centred = sub(x, mean(x, axes, true))
  const ss = sumOp([square(centred)], { axes, keepdims: !!keepdims })
  const dof = Math.max(n - correction, 0)
  return mul(ss, dof === 0 ? (n === 0 ? NaN : Infinity) : 1 / dof)
}

/**
 * Index of the maximum along `axis`, or the flat (row-major) index over all elements when
 * `axis` is null/undefined. The first maximal index wins; a NaN counts as the maximum (as
 * NumPy). Not differentiable: returns a new int32 tensor of indices (requiresGrad false). With
 * keepdims the reduced axis (all axes, for axis null) stays as size 1.
 * @example
 * import { argmax, tensor } from 'tapegrad'
 * argmax(tensor([[1, 9, 9], [4, 0, 2]]), 1) // [1, 0]
 * argmax(tensor([[1, 9], [4, 0]])).item()   // 1
 */
export function argmax(x: Tensor, axis?: number | null, keepdims = false): Tensor {
  checkTensor('argmax', x)
  if (axis !== null && axis !== undefined && typeof axis !== 'number') {
    throw new Error(
      `argmax: axis must be one number or null, got ${Array.isArray(axis) ? `[${(axis as number[]).join(',')}]` : typeof axis} (shape ${fmt(x.shape)})`,
    )
  }
  const axes = normalizeAxes('argmax', x.shape, axis)
  // Refused only when a slice to search is empty: argmax over a size-1 axis of a [0, 1] tensor is [] (as NumPy).
  if (reducedCount(x.shape, axes) === 0) {
    throw new Error(`argmax: cannot take the argmax of zero elements (shape ${fmt(x.shape)}, axis ${axis ?? 'null'})`)
  }
  const d = x.data
  let outer: number, n: number, inner: number
  if (axes.length === 1) {
    outer = product(x.shape, 0, axes[0])
    n = x.shape[axes[0]]
    inner = product(x.shape, axes[0] + 1, x.shape.length)
  } else {
    outer = 1
    n = x.size
    inner = 1
  }
  const out = allocate('int32', outer * inner)
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j
      let best = d[base]
      let at = 0
      if (best === best) {
        for (let k = 1; k < n; k++) {
          const v = d[base + k * inner]
          if (v > best || v !== v) {
            best = v
            at = k
            if (v !== v) break
          }
        }
      }
      out[o * inner + j] = at
    }
  }
  return new Tensor(out, reducedShape(x.shape, axes, !!keepdims))
}
