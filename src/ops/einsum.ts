/**
 * Products named by index letters: `einsum` for one or two operands, and its two most common
 * cases `outer` and `dot`. All are composites of permute, reshape, sum, mul and matmul, so their
 * derivatives of every order are those of these primitives.
 *
 * einsum('ij,jk->ik', A, B) reads: out[i,k] = Σ_j A[i,j]·B[j,k] — every index in the output is
 * kept, every other index is summed over. Two operands are combined in four steps:
 *   1. an index that only one operand has and the output lacks is summed out of that operand;
 *   2. the indices are sorted into batch (both operands and the output), contracted (both
 *      operands, not the output) and free (one operand and the output);
 *   3. with contracted and free indices, A is permuted/reshaped to [batch, free_A, contracted] and
 *      B to [batch, contracted, free_B], and one (batched) matmul does the work; otherwise the
 *      operands are aligned by broadcasting, multiplied, and the contracted indices summed;
 *   4. the result's axes are permuted into the output's order.
 */
import { fmt } from '../nd.js'
import { checkFloat, checkTensor, describeArg } from '../check.js'
import type { Tensor } from '../tensor.js'
import { mul } from './elementwise.js'
import { sum } from './reduce.js'
import { matmul, permute } from './linalg.js'
import { reshape } from './shape.js'

/** Two operands must share one dtype; the error names the op (not the mul or matmul inside it). */
function checkSameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new Error(
      `${op}: dtype mismatch: ${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)}; ` +
        `convert one with .astype('${a.dtype}')`,
    )
  }
}

/** A spec split into the index letters of each operand and of the output. */
interface Spec {
  inputs: string[][]
  output: string[]
}

const LETTER = /^[a-zA-Z]$/

/** Parses and checks `spec` against the operands' shapes; every error quotes spec and shapes. */
function parseSpec(spec: unknown, operands: Tensor[]): Spec {
  if (typeof spec !== 'string') {
    throw new Error(`einsum: spec must be a string such as 'ij,jk->ik', got ${describeArg(spec)}`)
  }
  const shapes = operands.map((t) => fmt(t.shape))
  const where = `('${spec}', ${operands.length === 1 ? `shape ${shapes[0]}` : `shapes ${shapes.join(' and ')}`})`
  const s = spec.replace(/\s+/g, '')
  if (s.includes('.')) {
    throw new Error(`einsum: ellipsis '...' is not supported; name every axis with a letter ${where}`)
  }
  const sides = s.split('->')
  if (sides.length > 2) throw new Error(`einsum: spec has more than one '->' ${where}`)
  const inputs = sides[0].split(',').map((part) => [...part])
  if (inputs.length > 2) {
    throw new Error(`einsum: at most two operands are supported, the spec names ${inputs.length} ${where}`)
  }
  if (inputs.length !== operands.length) {
    throw new Error(
      `einsum: the spec names ${inputs.length} operand${inputs.length === 1 ? '' : 's'}, ` +
        `got ${operands.length} ${where}`,
    )
  }
  const sizes = new Map<string, { size: number; operand: number }>()
  inputs.forEach((letters, k) => {
    const shape = operands[k].shape
    for (const c of letters) {
      if (!LETTER.test(c)) throw new Error(`einsum: '${c}' in operand ${k} is not an index letter (a–z, A–Z) ${where}`)
    }
    if (letters.length !== shape.length) {
      throw new Error(
        `einsum: operand ${k} has ${shape.length} axes but ${letters.length} indices '${letters.join('')}' ${where}`,
      )
    }
    letters.forEach((c, axis) => {
      if (letters.indexOf(c) !== axis) {
        throw new Error(
          `einsum: index ${c} appears twice in operand ${k}; diagonals and traces are not supported ${where}`,
        )
      }
      const seen = sizes.get(c)
      if (seen === undefined) sizes.set(c, { size: shape[axis], operand: k })
      else if (seen.size !== shape[axis]) {
        throw new Error(
          `einsum: index ${c} has size ${seen.size} in operand ${seen.operand} ` +
            `and ${shape[axis]} in operand ${k} ${where}`,
        )
      }
    })
  })
  let output: string[]
  if (sides.length === 2) {
    output = [...sides[1]]
    output.forEach((c, i) => {
      if (!LETTER.test(c)) throw new Error(`einsum: '${c}' in the output is not an index letter (a–z, A–Z) ${where}`)
      if (!sizes.has(c)) throw new Error(`einsum: output index ${c} does not appear in any operand ${where}`)
      if (output.indexOf(c) !== i) throw new Error(`einsum: output index ${c} appears twice ${where}`)
    })
  } else {
    // NumPy's implicit output: the indices that appear exactly once, in alphabetical (ASCII) order.
    const all = inputs.flat()
    output = [...new Set(all)].filter((c) => all.indexOf(c) === all.lastIndexOf(c)).sort()
  }
  return { inputs, output }
}

/** x with axes named `from` reordered to `to` (the same letters); no op when already in order. */
function arrange(x: Tensor, from: string[], to: string[]): Tensor {
  if (from.every((c, i) => c === to[i])) return x
  const axes = to.map((c) => from.indexOf(c))
  return permute(x, axes)
}

/** Sums the axes of x whose letters `drop` selects; returns the result and its letters. */
function sumOut(x: Tensor, letters: string[], drop: (c: string) => boolean): [Tensor, string[]] {
  const axes = letters.flatMap((c, i) => (drop(c) ? [i] : []))
  if (axes.length === 0) return [x, letters]
  return [sum(x, axes), letters.filter((c) => !drop(c))]
}

function sizesOf(x: Tensor, letters: string[], wanted: string[]): number[] {
  return wanted.map((c) => x.shape[letters.indexOf(c)])
}

function count(sizes: number[]): number {
  return sizes.reduce((p, q) => p * q, 1)
}

/** Two operands, after parsing: steps 1–4 of the file's notes. */
function contract(a0: Tensor, ia0: string[], b0: Tensor, ib0: string[], out: string[]): Tensor {
  const [a, ia] = sumOut(a0, ia0, (c) => !ib0.includes(c) && !out.includes(c))
  const [b, ib] = sumOut(b0, ib0, (c) => !ia0.includes(c) && !out.includes(c))
  const batch = ia.filter((c) => ib.includes(c) && out.includes(c))
  const contracted = ia.filter((c) => ib.includes(c) && !out.includes(c))
  const freeA = ia.filter((c) => !ib.includes(c))
  const freeB = ib.filter((c) => !ia.includes(c))
  const sBatch = sizesOf(a, ia, batch)
  const sFreeA = sizesOf(a, ia, freeA)
  const sFreeB = sizesOf(b, ib, freeB)
  let result: Tensor
  let letters: string[]
  if (contracted.length > 0 && (freeA.length > 0 || freeB.length > 0)) {
    // One matmul: [batch, M, K] · [batch, K, N], the batch axis left out when there is none.
    const lead = batch.length > 0 ? [count(sBatch)] : []
    const K = count(sizesOf(a, ia, contracted))
    const A = reshape(arrange(a, ia, [...batch, ...freeA, ...contracted]), [...lead, count(sFreeA), K])
    const B = reshape(arrange(b, ib, [...batch, ...contracted, ...freeB]), [...lead, K, count(sFreeB)])
    result = reshape(matmul(A, B), [...sBatch, ...sFreeA, ...sFreeB])
    letters = [...batch, ...freeA, ...freeB]
  } else {
    // Broadcasting: A as [batch, free_A, 1…, contracted], B as [batch, 1…, free_B, contracted].
    const ones = (n: number) => new Array<number>(n).fill(1)
    const sContracted = sizesOf(a, ia, contracted)
    const shapeA = [...sBatch, ...sFreeA, ...ones(freeB.length), ...sContracted]
    const shapeB = [...sBatch, ...ones(freeA.length), ...sFreeB, ...sContracted]
    const A = reshape(arrange(a, ia, [...batch, ...freeA, ...contracted]), shapeA)
    const B = reshape(arrange(b, ib, [...batch, ...freeB, ...contracted]), shapeB)
    result = mul(A, B)
    letters = [...batch, ...freeA, ...freeB, ...contracted]
    if (contracted.length > 0) [result, letters] = sumOut(result, letters, (c) => contracted.includes(c))
  }
  return arrange(result, letters, out)
}

/**
 * Einstein summation over one or two operands: the spec names each operand's axes by letters,
 * then '->' and the output's letters. Output letters are kept; all others are summed over:
 * 'ij,jk->ik' is out[i,k] = Σ_j a[i,j]·b[j,k] (matmul), 'bij,bjk->bik' a batched matmul,
 * 'i,i->' a dot product, 'ij->ji' a transpose, 'bi,bi->b' row-wise dots, 'ij->i' row sums,
 * 'i,j->ij' an outer product. Without '->' the output is NumPy's implicit one: the letters that
 * appear exactly once, in alphabetical order (so 'ij,jk' is 'ij,jk->ik' and 'ji' is a transpose).
 * Spaces are ignored. An index shared by two operands must have one size in both (no
 * broadcasting of size 1).
 *
 * Not supported, with an error naming the spec: three or more operands, a letter repeated
 * within one operand (diagonals, traces: 'ii->i'), ellipsis '...'.
 * Composite (permute, reshape, sum, mul, matmul): differentiable to any order in both modes.
 * @example
 * import { einsum, tensor } from 'tapegrad'
 * einsum('ij,jk->ik', tensor([[1, 2]]), tensor([[3], [4]])) // [[11]]
 * einsum('i,i->', tensor([1, 2, 3]), tensor([4, 5, 6]))     // 32
 * einsum('ij->ji', tensor([[1, 2, 3]])).shape                // [3, 1]
 */
export function einsum(spec: string, a: Tensor, b?: Tensor): Tensor {
  checkTensor('einsum', a, 'the first operand')
  if (b !== undefined) {
    // Two operands are multiplied: float only, refused here rather than by the matmul inside.
    checkFloat('einsum', a, 'the first operand')
    checkFloat('einsum', b, 'the second operand')
    checkSameDtype('einsum', a, b)
  }
  const operands = b === undefined ? [a] : [a, b]
  const { inputs, output } = parseSpec(spec, operands)
  if (b === undefined) {
    const [x, letters] = sumOut(a, inputs[0], (c) => !output.includes(c))
    return arrange(x, letters, output)
  }
  return contract(a, inputs[0], b, inputs[1], output)
}

/**
 * The outer product of two vectors: out[i, j] = a[i]·b[j], shape [a.length, b.length]
 * (torch.outer; NumPy's outer also flattens N-D inputs, here they are refused).
 * ∂a = g·b, ∂b = gᵀ·a. Composite: a reshaped to a column times b, broadcasting.
 * @example
 * import { outer, tensor } from 'tapegrad'
 * outer(tensor([1, 2]), tensor([3, 4, 5])) // [[3, 4, 5], [6, 8, 10]]
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkFloat('outer', a, 'the first operand')
  checkFloat('outer', b, 'the second operand')
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new Error(
      `outer: expected two 1-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)} ` +
        '(flatten them first, or use einsum)',
    )
  }
  checkSameDtype('outer', a, b)
  return mul(reshape(a, [a.size, 1]), b)
}

/**
 * The dot product of two vectors of one length: Σᵢ aᵢ·bᵢ, a 0-d tensor (torch.dot).
 * ∂a = g·b, ∂b = g·a. Composite: matmul of two 1-D tensors. For matrices use `matmul`.
 * @example
 * import { dot, tensor } from 'tapegrad'
 * dot(tensor([1, 2, 3]), tensor([4, 5, 6])) // 32
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkFloat('dot', a, 'the first operand')
  checkFloat('dot', b, 'the second operand')
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new Error(
      `dot: expected two 1-D tensors, got shapes ${fmt(a.shape)} and ${fmt(b.shape)} (use matmul for matrices)`,
    )
  }
  if (a.size !== b.size) {
    throw new Error(`dot: the vectors differ in length: shapes ${fmt(a.shape)} and ${fmt(b.shape)}`)
  }
  checkSameDtype('dot', a, b)
  return matmul(a, b)
}
