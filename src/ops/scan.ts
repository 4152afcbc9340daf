/**
 * Running sums and products along an axis: `cumsum` and `prod`.
 *
 * cumsum is a primitive whose transpose is the same scan run the other way:
 *
 *     out_k = Σ_{j≤k} x_j        x̄_j = Σ_{k≥j} g_k  (a reverse cumsum of g)       ȯut = cumsum(ẋ)
 *
 * prod is a primitive over one axis; its derivative is the product of the other elements,
 *
 *     out = Π_j x_j              ∂out/∂x_i = Π_{j≠i} x_j = L_i · R_i
 *
 * with L_i = Π_{j<i} x_j and R_i = Π_{j>i} x_j the exclusive running products from the left and
 * from the right. There is no division by x_i (the textbook out/x_i), so the rule is right where x
 * holds zeros: with one zero at k only x̄_k is non-zero; with two zeros x̄ is 0, but the second
 * derivative ∂²out/∂x_k∂x_l is not. `fastBackward` computes L·R in two loops; `backward` and
 * `tangent` build L and R from slices, pads and muls (a Hillis–Steele scan, ⌈log₂ n⌉ steps), so
 * prod differentiates again, to any order. A product over several axes is one primitive per axis.
 *
 * Both accumulate in float64 (JavaScript numbers) and round once per element of the output.
 */
import { allocate, dtypeOf, fmt, type TypedArray } from '../nd.js'
import { product, reducedShape } from '../reductions.js'
import { defineOp, type Op } from '../op.js'
import { freshGradient } from '../grad-buffers.js'
import { checkTensor, describeArg, normalizeAxes, type AxisLike } from '../check.js'
import { Tensor } from '../tensor.js'
import { mul } from './elementwise.js'
import { sum } from './reduce.js'
import { reshape, reshapeOp } from './shape.js'
import { slice, type SliceSpec } from './indexing.js'
import { pad } from './layout.js'

/** x seen as [outer, n, inner] around `axis`. */
function around(shape: readonly number[], axis: number): [outer: number, n: number, inner: number] {
  return [product(shape, 0, axis), shape[axis], product(shape, axis + 1, shape.length)]
}

/** One axis, for ops that take exactly one: a number in [−ndim, ndim), made non-negative. */
function oneAxis(op: string, shape: readonly number[], axis: unknown): number {
  if (typeof axis !== 'number') {
    throw new Error(`${op}: axis must be one integer, got ${describeArg(axis)} (shape ${fmt(shape)})`)
  }
  return normalizeAxes(op, shape, axis)[0]
}

// ---- cumsum: out_k = Σ_{j≤k} x_j;  x̄ = reverse cumsum of g;  ȯut = cumsum(ẋ) -------------------
/** Attributes of `cumsumOp`: the axis, and whether the sum runs from the end (x̄'s direction). */
export interface CumsumAttrs {
  axis: number
  /** out_k = Σ_{j≥k} x_j instead: the transpose of the forward scan. */
  reverse: boolean
}

/** Running sums of [outer, n, inner] along n, in float64 accumulators (one per inner position). */
function runningSums(x: TypedArray, outer: number, n: number, inner: number, reverse: boolean): TypedArray {
  const out = allocate(dtypeOf(x), x.length)
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(0)
    for (let s = 0; s < n; s++) {
      const base = (o * n + (reverse ? n - 1 - s : s)) * inner
      for (let j = 0; j < inner; j++) {
        acc[j] += x[base + j]
        out[base + j] = acc[j]
      }
    }
  }
  return out
}

/**
 * The primitive behind {@link cumsum}: running sums along `axis` (from the end with `reverse`);
 * x̄ = the same scan of g in the other direction;  ȯut = the same scan of ẋ.
 * @example
 * import { cumsum, cumsumOp, tensor } from 'tapegrad'
 * const x = tensor([1, 2, 3])
 * cumsumOp([x], { axis: 0, reverse: false }).toArray() // [1, 3, 6]
 * cumsumOp([x], { axis: 0, reverse: true }).toArray()  // [6, 5, 3]
 * cumsum(x, 0).toArray()                               // [1, 3, 6]
 */
export const cumsumOp: Op<CumsumAttrs> = defineOp<CumsumAttrs>({
  name: 'cumsum',
  forward: ([x], { axis, reverse }) => {
    const [outer, n, inner] = around(x.shape, axis)
    return new Tensor(runningSums(x.data, outer, n, inner, reverse), x.shape.slice())
  },
  backward: (g, _x, _out, { axis, reverse }) => [cumsumOp([g], { axis, reverse: !reverse })],
  tangent: ([dx], _x, _out, attrs) => cumsumOp([dx], attrs),
})

/**
 * Cumulative sum along `axis`: out[…, k, …] = Σ_{j≤k} x[…, j, …], of x's shape. Without an axis
 * (null/undefined) x is flattened first and the result is 1-D, as NumPy's `cumsum` (PyTorch's
 * requires `dim`). Negative axes count from the end. ∂x = the reverse cumulative sum of g:
 * x̄_j = Σ_{k≥j} g_k. Sums run in float64 and are rounded once per element.
 * @example
 * import { cumsum, tensor } from 'tapegrad'
 * cumsum(tensor([[1, 2, 3], [4, 5, 6]]), 1)  // [[1, 3, 6], [4, 9, 15]]
 * cumsum(tensor([[1, 2], [3, 4]])).toArray() // [1, 3, 6, 10]
 */
export function cumsum(x: Tensor, axis?: number | null): Tensor {
  checkTensor('cumsum', x)
  if (axis === null || axis === undefined) return cumsumOp([reshape(x, [-1])], { axis: 0, reverse: false })
  return cumsumOp([x], { axis: oneAxis('cumsum', x.shape, axis), reverse: false })
}

// ---- prod over one axis: out = Π x_j (kept as size 1);  x̄_i = g · Π_{j≠i} x_j ------------------
/** Products of [outer, n, inner] along n, in float64 accumulators; the empty product is 1. */
function products(x: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const out = allocate(dtypeOf(x), outer * inner)
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(1)
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) acc[j] *= x[base + j]
    }
    out.set(acc, o * inner)
  }
  return out
}

/**
 * g · Π_{j≠i} x_j for every element i of [outer, n, inner], g of shape [outer, 1, inner]: a pass
 * from the left stores L_i = Π_{j<i} x_j, a pass from the right multiplies in R_i = Π_{j>i} x_j.
 */
function gradOfProducts(g: TypedArray, x: TypedArray, outer: number, n: number, inner: number): TypedArray {
  const lr = new Float64Array(x.length)
  const acc = new Float64Array(inner)
  for (let o = 0; o < outer; o++) {
    acc.fill(1)
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) {
        lr[base + j] = acc[j]
        acc[j] *= x[base + j]
      }
    }
    for (let j = 0; j < inner; j++) acc[j] = g[o * inner + j]
    for (let k = n - 1; k >= 0; k--) {
      const base = (o * n + k) * inner
      for (let j = 0; j < inner; j++) {
        lr[base + j] *= acc[j]
        acc[j] *= x[base + j]
      }
    }
  }
  const out = allocate(dtypeOf(x), x.length)
  out.set(lr)
  return out
}

/** y moved `s` places along `axis` — towards the end, or towards the start with `fromRight` —
 *  with ones filling the places it left (the identity of a product). */
function shiftInOnes(y: Tensor, axis: number, s: number, fromRight: boolean): Tensor {
  const n = y.shape[axis]
  const k = Math.min(s, n)
  const lead: SliceSpec[] = new Array(axis).fill(null)
  const widths = y.shape.map((): [number, number] => [0, 0])
  widths[axis] = fromRight ? [0, k] : [k, 0]
  const kept = slice(y, [...lead, fromRight ? [k, n] : [0, n - k]])
  return pad(kept, widths, 1)
}

/**
 * Exclusive running products along `axis`, Π_{j<i} x_j (or Π_{j>i} x_j with `fromRight`), in
 * differentiable ops: the inclusive scan y ← y · (y shifted by s), s = 1, 2, 4, … (Hillis–Steele),
 * then one more shift by 1.
 */
function exclusiveProducts(x: Tensor, axis: number, fromRight: boolean): Tensor {
  let y = x
  for (let s = 1; s < x.shape[axis]; s *= 2) y = mul(y, shiftInOnes(y, axis, s, fromRight))
  return shiftInOnes(y, axis, 1, fromRight)
}

/** Π_{j≠i} x_j along `axis` for every element i: L·R, in differentiable ops (no division). */
function productOfOthers(x: Tensor, axis: number): Tensor {
  return mul(exclusiveProducts(x, axis, false), exclusiveProducts(x, axis, true))
}

/**
 * The primitive behind {@link prod}: the product over one axis, kept as size 1;
 * x̄_i = g · Π_{j≠i} x_j;  ȯut = Σ_i ẋ_i · Π_{j≠i} x_j. Zero-safe: no division by x_i.
 * @example
 * import { prod, prodOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 2], [3, 4]])
 * prodOp([x], 1).toArray()   // [[2], [12]]
 * prod(x, 1, true).toArray() // [[2], [12]]
 */
export const prodOp: Op<number> = defineOp<number>({
  name: 'prod',
  forward: ([x], axis) => {
    const [outer, n, inner] = around(x.shape, axis)
    return new Tensor(products(x.data, outer, n, inner), reducedShape(x.shape, [axis], true))
  },
  backward: (g, [x], _out, axis) => [mul(g, productOfOthers(x, axis))],
  tangent: ([dx], [x], _out, axis) => sum(mul(dx, productOfOthers(x, axis)), axis, true),
  fastBackward: (g, [x], _out, axis) => {
    const [outer, n, inner] = around(x.shape, axis)
    // Storage allocated here and kept nowhere else: the engine may accumulate into it in place.
    return [freshGradient(new Tensor(gradOfProducts(g.data, x.data, outer, n, inner), x.shape.slice()))]
  },
})

/**
 * Product of the elements over `axis` (all axes by default; a number or a list, negative axes
 * from the end); `keepdims` keeps the reduced axes as size 1. The product of no elements is 1.
 * Gradient: ∂out/∂x_i = Π_{j≠i} x_j, the product of the others — computed without dividing by
 * x_i, so it is exact where x has zeros (one zero: only that element gets a gradient; two or more:
 * the gradient is 0), and so are the second derivatives.
 * @example
 * import { prod, tensor } from 'tapegrad'
 * prod(tensor([[1, 2], [3, 4]]), 1)        // [2, 12]
 * const x = tensor([2, 0, 5], { requiresGrad: true })
 * const p = prod(x)
 * p.item() // 0
 * p.backward()
 * x.grad!.toArray() // [0, 10, 0]
 */
export function prod(x: Tensor, axis?: AxisLike, keepdims = false): Tensor {
  checkTensor('prod', x)
  const axes = normalizeAxes('prod', x.shape, axis)
  let y = x
  for (const a of axes) y = prodOp([y], a) // each keeps its axis as size 1
  return keepdims ? y : reshapeOp([y], reducedShape(x.shape, axes, false))
}
