/**
 * Linear algebra: `matmul` (NumPy / PyTorch semantics, batched with broadcasting) and the axis
 * permutations `permute` / `transpose`.
 *
 * One primitive carries every matmul: it sees its operands as stacks of matrices
 * A[…, M, K] · B[…, K, N] and runs one `gemm` per pair of matrices (src/kernels/gemm.ts). Its
 * rules are those of the bilinear map C = A·B:
 *   backward  Ā = G·Bᵀ,   B̄ = Aᵀ·G          tangent  Ċ = Ȧ·B + A·Ḃ
 * written with matmul itself, so they differentiate again. The first-order `fastBackward` runs
 * the same kernel reading Bᵀ and Aᵀ in place (no transposed copies); where one matrix of A or B
 * served several products (broadcast batch axes), its gradient is the sum over them, accumulated
 * straight into a gradient of the input's own shape.
 */
import { allocate, fmt, permute as permuteData, type FloatArray } from '../nd.js'
import { defineOp, type Op } from '../op.js'
import { checkTensor } from '../check.js'
import { freshGradient } from '../grad-buffers.js'
import { Tensor } from '../tensor.js'
import { gemm } from '../kernels/gemm.js'
import { add } from './elementwise.js'
import { sum } from './reduce.js'
import { reshapeOp } from './shape.js'

/**
 * How one matmul maps onto gemm calls. Worked out (and validated) once by `matmul()`, then
 * reused by the forward and the backward.
 */
export interface MatmulPlan {
  /** Rows of each product (all rows of A when its batch axes were folded into M). */
  M: number
  K: number
  N: number
  /** Shape of the result. */
  outShape: number[]
  /** Number of matrix products. */
  count: number
  /** Matrix of A (resp. B) used by product t: aIndex[t]; null means t itself. */
  aIndex: number[] | null
  bIndex: number[] | null
  /** Whether a matrix of A (resp. B) serves several products, so its gradient is a sum. */
  aShared: boolean
  bShared: boolean
}

/**
 * The NumPy rules: a 1-D A is a row [1,K] and a 1-D B a column [K,1] (that axis is dropped from
 * the result); leading axes are batch axes, broadcast against each other.
 */
function planMatmul(as: readonly number[], bs: readonly number[]): MatmulPlan {
  if (as.length === 0 || bs.length === 0) {
    throw new Error(
      `matmul: shapes ${fmt(as)} and ${fmt(bs)}: a 0-d tensor is not a matrix or a vector (use mul to scale)`,
    )
  }
  const aVec = as.length === 1
  const bVec = bs.length === 1
  const M = aVec ? 1 : as[as.length - 2]
  const K = as[as.length - 1]
  const Kb = bVec ? bs[0] : bs[bs.length - 2]
  const N = bVec ? 1 : bs[bs.length - 1]
  if (K !== Kb) throw new Error(`matmul: shapes ${fmt(as)} and ${fmt(bs)} do not align (${K} ≠ ${Kb})`)
  const na = aVec ? 0 : as.length - 2 // number of batch axes
  const nb = bVec ? 0 : bs.length - 2
  const tail: number[] = []
  if (!aVec) tail.push(M)
  if (!bVec) tail.push(N)
  if (nb === 0) {
    // B is one matrix: A's batch axes fold into its rows, [b…, M, K] → [b…·M, K], one product.
    let rows = M
    for (let i = 0; i < na; i++) rows *= as[i]
    const outShape = na === 0 ? tail : [...as.slice(0, na), ...tail]
    return { M: rows, K, N, outShape, count: 1, aIndex: null, bIndex: null, aShared: false, bShared: false }
  }
  // Broadcast the batch axes (aligned on the right).
  const n = Math.max(na, nb)
  const batch = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const da = i < n - na ? 1 : as[i - (n - na)]
    const db = i < n - nb ? 1 : bs[i - (n - nb)]
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `matmul: batch axes of shapes ${fmt(as)} and ${fmt(bs)} cannot be broadcast together ` +
          `(${fmt(as.slice(0, na))} vs ${fmt(bs.slice(0, nb))}: ${da} ≠ ${db} at batch axis ${i - n})`,
      )
    }
    batch[i] = da === 1 ? db : da
  }
  let count = 1
  for (const d of batch) count *= d
  let countA = 1
  for (let i = 0; i < na; i++) countA *= as[i]
  let countB = 1
  for (let i = 0; i < nb; i++) countB *= bs[i]
  return {
    M,
    K,
    N,
    outShape: [...batch, ...tail],
    count,
    aIndex: countA === count ? null : batchIndex(batch, as.slice(0, na)),
    bIndex: countB === count ? null : batchIndex(batch, bs.slice(0, nb)),
    aShared: countA < count,
    bShared: countB < count,
  }
}

/** For every position t of the broadcast batch, the flat index of the operand's matrix
 *  (axes the operand lacks or has as 1 are read at 0). */
function batchIndex(batch: readonly number[], own: readonly number[]): number[] {
  const count = batch.reduce((x, y) => x * y, 1)
  const out = new Array<number>(count)
  const lead = batch.length - own.length
  for (let t = 0; t < count; t++) {
    let rest = t
    let idx = 0
    let stride = 1
    for (let ax = batch.length - 1; ax >= lead; ax--) {
      const i = rest % batch[ax]
      const size = own[ax - lead]
      if (size !== 1) idx += i * stride
      stride *= size
      rest = (rest - i) / batch[ax]
    }
    out[t] = idx
  }
  return out
}

// ---- matmul: C = A·B;  ∂A = G·Bᵀ, ∂B = Aᵀ·G (per product, summed where a matrix was shared) ----
/**
 * The primitive behind {@link matmul}: C = A·B;  ∂A = G·Bᵀ, ∂B = Aᵀ·G (summed over broadcast
 * batch dimensions by the engine).
 * @example
 * import { matmul, matmulOp, tensor } from 'tapegrad'
 * const a = tensor([[1, 2], [3, 4]]), b = tensor([[5], [6]])
 * matmulOp([a, b], undefined).toArray() // [[17], [39]]
 * matmul(a, b).toArray()                // [[17], [39]]
 */
export const matmulOp = defineOp<MatmulPlan | undefined>({
  name: 'matmul',
  forward: ([a, b], plan) => {
    const p = plan ?? planMatmul(a.shape, b.shape)
    const { M, N, K, count, aIndex, bIndex } = p
    const out = allocate(a.dtype, count * M * N) as FloatArray
    for (let t = 0; t < count; t++) {
      const ia = aIndex ? aIndex[t] : t
      const ib = bIndex ? bIndex[t] : t
      gemm(false, false, M, N, K, a.data as FloatArray, b.data as FloatArray, out, ia * M * K, ib * K * N, t * M * N)
    }
    return new Tensor(out, p.outShape.slice())
  },
  backward: (g, [a, b]) => {
    // As matrices: a 1-D operand is a row [1,K] (left) or a column [K,1] (right), as in the
    // forward; the engine sums the gradients back over broadcast batch axes and drops those 1s.
    const a2 = a.ndim === 1 ? reshapeOp([a], [1, a.size]) : a
    const b2 = b.ndim === 1 ? reshapeOp([b], [b.size, 1]) : b
    const g2 = reshapeOp([g], matrixShape(a2.shape, b2.shape))
    return [
      a.requiresGrad ? asOperand(matmul(g2, transpose(b2)), a) : null, // Ā = G·Bᵀ
      b.requiresGrad ? asOperand(matmul(transpose(a2), g2), b) : null, // B̄ = Aᵀ·G
    ]
  },
  tangent: ([da, db], [a, b]) => add(matmul(da, b), matmul(a, db)), // Ċ = Ȧ·B + A·Ḃ
  fastBackward: (g, [a, b], _out, plan) => {
    const p = plan ?? planMatmul(a.shape, b.shape)
    const { M, N, K, count, aIndex, bIndex } = p
    const G = g.data as FloatArray
    let gA: Tensor | null = null
    let gB: Tensor | null = null
    if (a.requiresGrad) {
      const d = allocate(a.dtype, a.size) as FloatArray
      for (let t = 0; t < count; t++) {
        const ia = aIndex ? aIndex[t] : t
        const ib = bIndex ? bIndex[t] : t
        gemm(false, true, M, K, N, G, b.data as FloatArray, d, t * M * N, ib * K * N, ia * M * K, p.aShared) // G·Bᵀ
      }
      gA = freshGradient(new Tensor(d, a.shape.slice())) // allocated here, kept nowhere else
    }
    if (b.requiresGrad) {
      const d = allocate(b.dtype, b.size) as FloatArray
      for (let t = 0; t < count; t++) {
        const ia = aIndex ? aIndex[t] : t
        const ib = bIndex ? bIndex[t] : t
        gemm(true, false, K, N, M, a.data as FloatArray, G, d, ia * M * K, t * M * N, ib * K * N, p.bShared) // Aᵀ·G
      }
      gB = freshGradient(new Tensor(d, b.shape.slice()))
    }
    return [gA, gB]
  },
})

/**
 * A gradient computed for an operand seen as a matrix, back in the operand's own shape: for a 1-D
 * operand, the batch axes are summed and the matrix's axis of size 1 dropped. (An N-D operand's
 * batch axes are summed by the engine, which aligns shapes on the right.)
 */
function asOperand(g: Tensor, x: Tensor): Tensor {
  if (x.ndim !== 1) return g
  const batch = Array.from({ length: g.ndim - 2 }, (_, i) => i)
  return reshapeOp([batch.length > 0 ? sum(g, batch) : g], x.shape)
}

/** The shape of A·B for operands that are both at least 2-D: batch axes broadcast, then [M, N]. */
function matrixShape(a: readonly number[], b: readonly number[]): number[] {
  const batchA = a.slice(0, -2)
  const batchB = b.slice(0, -2)
  const n = Math.max(batchA.length, batchB.length)
  const batch: number[] = []
  for (let i = 0; i < n; i++) {
    const da = i < n - batchA.length ? 1 : batchA[i - (n - batchA.length)]
    const db = i < n - batchB.length ? 1 : batchB[i - (n - batchB.length)]
    batch.push(da === 1 ? db : da)
  }
  return [...batch, a[a.length - 2], b[b.length - 1]]
}

/**
 * Matrix product with NumPy / PyTorch semantics:
 * - 1-D · 1-D: the dot product Σₖ aₖbₖ (a 0-d result);
 * - 2-D · 2-D: C[i,j] = Σₖ A[i,k]·B[k,j];
 * - 1-D · N-D: a is read as a row [1,K] and that axis is dropped; N-D · 1-D: b is read as a
 *   column [K,1] and that axis is dropped;
 * - N-D: stacks of matrices over the leading (batch) axes, which broadcast: [2,1,M,K]·[3,K,N]
 *   gives [2,3,M,N].
 * Gradients: ∂L/∂A = G·Bᵀ and ∂L/∂B = Aᵀ·G (summed over the batch axes an operand was
 * broadcast along). float32 products run on a WebAssembly SIMD kernel where available.
 * @example
 * import { matmul, randn, tensor } from 'tapegrad'
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])) // [[17], [39]]
 * matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).shape   // []
 * matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item()  // 32
 * matmul(randn([8, 5, 3]), randn([3, 4])).shape        // [8, 5, 4]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'the first operand')
  checkTensor('matmul', b, 'the second operand')
  return matmulOp([a, b], planMatmul(a.shape, b.shape))
}

// ---- permute: out = x with axes reordered, out.shape[i] = x.shape[axes[i]];  ∂x = g permuted back
function inversePermutation(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length)
  for (let i = 0; i < axes.length; i++) inv[axes[i]] = i
  return inv
}

/**
 * The primitive behind {@link permute} and {@link transpose}: out.shape[i] = x.shape[axes[i]];
 * ∂x = g permuted back by the inverse permutation.
 * @example
 * import { permute, permuteOp, tensor } from 'tapegrad'
 * const x = tensor([[1, 2, 3], [4, 5, 6]])
 * permuteOp([x], [1, 0]).toArray() // [[1, 4], [2, 5], [3, 6]]
 * permute(x, [1, 0]).toArray()     // [[1, 4], [2, 5], [3, 6]]
 */
export const permuteOp: Op<number[]> = defineOp<number[]>({
  name: 'permute',
  integers: true,
  forward: ([x], axes) =>
    new Tensor(
      permuteData(x.data, x.shape, axes),
      axes.map((ax) => x.shape[ax]),
    ),
  backward: (g, _x, _out, axes) => [permuteOp([g], inversePermutation(axes))],
  tangent: ([dx], _x, _out, axes) => permuteOp([dx], axes),
})

/** Checks that `axes` is a permutation of x's axes (negative axes count from the end). */
function checkPermutation(op: string, x: Tensor, axes: unknown): number[] {
  const n = x.ndim
  if (!Array.isArray(axes)) throw new Error(`${op}: axes must be an array of ${n} axis numbers, got ${String(axes)}`)
  if (axes.length !== n) {
    throw new Error(
      `${op}: axes ${fmt(axes)} do not match shape ${fmt(x.shape)}: expected ${n} axes, got ${axes.length}`,
    )
  }
  const seen = new Array<boolean>(n).fill(false)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    const ax = axes[i]
    if (!Number.isInteger(ax) || ax < -n || ax >= n) {
      throw new Error(
        `${op}: axis ${ax} is out of range for shape ${fmt(x.shape)} (expected an integer in [${-n}, ${n - 1}])`,
      )
    }
    const a = ax < 0 ? ax + n : ax
    if (seen[a])
      throw new Error(
        `${op}: axes ${fmt(axes)} are not a permutation of the ${n} axes of shape ${fmt(x.shape)} (axis ${a} repeated)`,
      )
    seen[a] = true
    out[i] = a
  }
  return out
}

/**
 * Reorders the axes of x: out.shape[i] = x.shape[axes[i]] and
 * out[i₀, …, iₙ₋₁] = x[j] with j[axes[k]] = iₖ. Negative axes count from the end.
 * The gradient is g permuted back by the inverse permutation.
 * @example
 * import { permute, zeros } from 'tapegrad'
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape // [4, 2, 3]
 */
export function permute(x: Tensor, axes: number[]): Tensor {
  checkTensor('permute', x, 'x')
  return permuteOp([x], checkPermutation('permute', x, axes))
}

/**
 * Transpose. Without `axes`, swaps the last two axes (the matrix transpose Aᵀ, batched over
 * leading axes); a 0-d or 1-D tensor is returned unchanged. With `axes`, the same as
 * `permute(x, axes)`.
 * @example
 * import { tensor, transpose } from 'tapegrad'
 * transpose(tensor([[1, 2, 3], [4, 5, 6]])) // [[1, 4], [2, 5], [3, 6]]
 */
export function transpose(x: Tensor, axes?: number[]): Tensor {
  checkTensor('transpose', x, 'x')
  if (axes !== undefined && axes !== null) return permuteOp([x], checkPermutation('transpose', x, axes))
  const n = x.ndim
  if (n < 2) return x
  const perm = new Array<number>(n)
  for (let i = 0; i < n; i++) perm[i] = i
  perm[n - 2] = n - 1
  perm[n - 1] = n - 2
  return permuteOp([x], perm)
}
