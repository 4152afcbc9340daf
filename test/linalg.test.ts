/**
 * matmul / transpose / permute: error messages, and the gemm kernels (every path, every
 * transpose combination, odd and block-crossing sizes, K = 0, offsets, accumulation, float64)
 * against a naive triple loop. Forward values and float64 gradients of the ops themselves are
 * in the op table (test/table/linalg.rows.ts).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { matmul, permute, tensor, transpose, randn, seed, Tensor, tapeOf } from '../src/index.js'
import {
  disableWasmGemm,
  gemm,
  gemmDirect,
  gemmPacked,
  gemmWasm,
  wasmSimdAvailable,
  type FloatArray,
} from '../src/kernels/gemm.js'

/** C = op(A)·op(B) by the textbook triple loop, in float64. */
function naive(
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  aOff = 0,
  bOff = 0,
): Float64Array {
  const C = new Float64Array(M * N)
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0
      for (let k = 0; k < K; k++) {
        const a = tA ? A[aOff + k * M + i] : A[aOff + i * K + k]
        const b = tB ? B[bOff + j * K + k] : B[bOff + k * N + j]
        s += a * b
      }
      C[i * N + j] = s
    }
  }
  return C
}

/** Deterministic values in [-1, 1) (an LCG, independent of the library's PRNG). */
function fill<T extends FloatArray>(arr: T, salt: number): T {
  let s = (salt * 2654435761) >>> 0
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    arr[i] = (s >>> 8) / 8388608 - 1
  }
  return arr
}

type Kernel = (
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff?: number,
  bOff?: number,
  cOff?: number,
  acc?: boolean,
) => unknown

const kernels: [string, Kernel, boolean][] = [
  ['gemm (dispatch)', gemm, true],
  ['direct', gemmDirect, true],
  ['packed (JS 4×4)', gemmPacked, true],
  ['wasm (SIMD 4×8)', gemmWasm as Kernel, false],
]

/** Runs one kernel on one problem with guard zones around every operand and checks it. */
function check(
  kernel: Kernel,
  f64: boolean,
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  accumulate: boolean,
  salt: number,
): void {
  const T = f64 ? Float64Array : Float32Array
  const aOff = 3
  const bOff = 5
  const cOff = 2
  const A = fill(new T(aOff + M * K + 4), salt)
  const B = fill(new T(bOff + K * N + 4), salt + 1)
  const C = fill(new T(cOff + M * N + 4), salt + 2)
  const before = C.slice()
  kernel(tA, tB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
  const want = naive(tA, tB, M, N, K, A, B, aOff, bOff)
  const tol = (f64 ? 1e-13 : 2e-6) * (K + 1)
  for (let i = 0; i < M * N; i++) {
    const expected = want[i] + (accumulate ? before[cOff + i] : 0)
    const got = C[cOff + i]
    if (!(Math.abs(got - expected) <= tol)) {
      throw new Error(
        `${f64 ? 'f64' : 'f32'} transA=${tA} transB=${tB} M=${M} N=${N} K=${K} acc=${accumulate}: C[${i}] = ${got}, expected ${expected}`,
      )
    }
  }
  // Nothing outside C[cOff, cOff + M·N) was written.
  for (let i = 0; i < C.length; i++) {
    if ((i < cOff || i >= cOff + M * N) && !Object.is(C[i], before[i])) {
      throw new Error(`transA=${tA} transB=${tB} M=${M} N=${N} K=${K}: wrote C[${i}] outside the output`)
    }
  }
}

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]

describe('gemm kernels against a naive triple loop', () => {
  test('the embedded wasm bytes were generated from the current gemm.wat', () => {
    // gemm-wasm.gen.mjs stamps the hash of the source it assembled; editing gemm.wat without
    // regenerating (npm install --no-save wabt && node src/kernels/gemm-wasm.gen.mjs) fails here.
    const dir = join(__dirname, '..', 'src', 'kernels')
    const sha = createHash('sha256')
      .update(readFileSync(join(dir, 'gemm.wat'), 'utf8'))
      .digest('hex')
      .slice(0, 16)
    expect(readFileSync(join(dir, 'gemm-wasm-bytes.ts'), 'utf8')).toContain(`from gemm.wat (sha256 ${sha}…)`)
  })

  test('the WebAssembly SIMD kernel compiles and runs in this Node', () => {
    // Node ≥ 16.4 has WebAssembly SIMD: if this fails, the embedded bytes are invalid.
    expect(wasmSimdAvailable()).toBe(true)
  })

  describe.each(kernels)('%s', (_name, kernel, hasF64) => {
    const dtypes = hasF64 ? [false, true] : [false]
    test.each(dtypes.map((d) => [d ? 'float64' : 'float32', d] as const))(
      'every size 1..17 (M, N) with K in {0,1,3,17}, all transposes: %s',
      (_d, f64) => {
        let salt = 1
        for (const [tA, tB] of FLAGS) {
          for (let M = 1; M <= 17; M++) {
            for (let N = 1; N <= 17; N++) {
              for (const K of [0, 1, 3, 17]) check(kernel, f64, tA, tB, M, N, K, false, salt++)
            }
          }
        }
      },
    )
    test.each(dtypes.map((d) => [d ? 'float64' : 'float32', d] as const))(
      'accumulate (C += op(A)·op(B)), offsets: %s',
      (_d, f64) => {
        let salt = 100
        for (const [tA, tB] of FLAGS) {
          for (const [M, N, K] of [
            [1, 1, 1],
            [4, 8, 3],
            [5, 9, 7],
            [17, 13, 0],
            [33, 20, 19],
          ])
            check(kernel, f64, tA, tB, M, N, K, true, salt++)
        }
      },
    )
    test.each(dtypes.map((d) => [d ? 'float64' : 'float32', d] as const))(
      'sizes that cross the K, N and M blocks (257, 300, 70): %s',
      (_d, f64) => {
        let salt = 200
        for (const [tA, tB] of FLAGS) {
          check(kernel, f64, tA, tB, 70, 300, 9, false, salt++)
          check(kernel, f64, tA, tB, 9, 11, 300, false, salt++)
          check(kernel, f64, tA, tB, 67, 258, 257, tA, salt++)
        }
      },
    )
  })

  test('M = 0 or N = 0 writes nothing', () => {
    const C = new Float32Array([7, 7])
    gemm(false, false, 0, 2, 3, new Float32Array(0), new Float32Array(6), C)
    gemm(false, false, 2, 0, 3, new Float32Array(6), new Float32Array(0), C)
    expect(Array.from(C)).toEqual([7, 7])
  })

  test('without the wasm kernel, float32 falls back to the JS kernel with the same results', () => {
    const prev = disableWasmGemm(true)
    try {
      expect(wasmSimdAvailable()).toBe(false)
      for (const [tA, tB] of FLAGS) check(gemm, false, tA, tB, 40, 37, 45, false, 300)
      expect(gemmWasm(false, false, 2, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(4))).toBe(false)
    } finally {
      disableWasmGemm(prev)
    }
    expect(wasmSimdAvailable()).toBe(true)
  })

  test('mixed float32/float64 arrays take a JS path and stay correct', () => {
    const A = fill(new Float32Array(40 * 30), 1)
    const B = fill(new Float64Array(30 * 20), 2)
    const C = new Float64Array(40 * 20)
    gemm(false, false, 40, 20, 30, A, B, C)
    const want = naive(false, false, 40, 20, 30, A, B)
    for (let i = 0; i < C.length; i++) expect(Math.abs(C[i] - want[i])).toBeLessThan(1e-12)
  })
})

describe('matmul in float32 through the fast kernels (forward and backward)', () => {
  // Gradients of s = Σ W ⊙ (A·B) are ∂A = W·Bᵀ and ∂B = Aᵀ·W, written out with naive loops.
  test.each([
    ['2-D', [37, 70], [70, 45]],
    ['batched with shared weights', [3, 20, 33], [33, 18]],
    ['broadcast batches', [2, 1, 19, 21], [3, 21, 22]],
  ])('%s', (_label, sa, sb) => {
    seed(5)
    const a = randn(sa as number[], { requiresGrad: true })
    const b = randn(sb as number[], { requiresGrad: true })
    const out = matmul(a, b)
    const w = randn(out.shape)
    out.mul(w).sum().backward()
    const M = sa[sa.length - 2]
    const K = sa[sa.length - 1]
    const N = sb[sb.length - 1]
    const aBatch = sa.slice(0, -2)
    const bBatch = sb.slice(0, -2)
    const batch = out.shape.slice(0, -2)
    const count = batch.reduce((x, y) => x * y, 1)
    const gA = new Float64Array(a.size)
    const gB = new Float64Array(b.size)
    // Matrix index of an operand at batch position t (right-aligned, size-1 axes read at 0).
    const index = (t: number, own: number[]) => {
      let idx = 0
      let stride = 1
      let rest = t
      for (let ax = batch.length - 1; ax >= 0; ax--) {
        const i = rest % batch[ax]
        rest = Math.floor(rest / batch[ax])
        const o = ax - (batch.length - own.length)
        if (o >= 0) {
          if (own[o] !== 1) idx += i * stride
          stride *= own[o]
        }
      }
      return idx
    }
    for (let t = 0; t < count; t++) {
      const ia = index(t, aBatch) * M * K
      const ib = index(t, bBatch) * K * N
      const C = naive(false, false, M, N, K, a.data, b.data, ia, ib)
      for (let e = 0; e < M * N; e++) expect(Math.abs(out.data[t * M * N + e] - C[e])).toBeLessThan(1e-4)
      const dA = naive(false, true, M, K, N, w.data, b.data, t * M * N, ib)
      const dB = naive(true, false, K, N, M, a.data, w.data, ia, t * M * N)
      for (let e = 0; e < M * K; e++) gA[ia + e] += dA[e]
      for (let e = 0; e < K * N; e++) gB[ib + e] += dB[e]
    }
    for (let e = 0; e < gA.length; e++) expect(Math.abs(a.grad!.data[e] - gA[e])).toBeLessThan(1e-3)
    for (let e = 0; e < gB.length; e++) expect(Math.abs(b.grad!.data[e] - gB[e])).toBeLessThan(1e-3)
  })

  test('only the operand that requires a gradient gets one', () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    )
    const b = tensor([
      [5, 6],
      [7, 8],
    ])
    matmul(a, b).sum().backward()
    expect(a.grad!.toArray()).toEqual([
      [11, 15],
      [11, 15],
    ])
    expect(b.grad).toBeNull()
  })

  test('fluent forms: a.matmul(b), x.T, x.transpose(), x.permute()', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ])
    expect(x.matmul(tensor([1, 1, 1])).toArray()).toEqual([6, 15])
    expect(x.T.toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ])
    expect(x.transpose().toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ])
    expect(x.permute([1, 0]).shape).toEqual([3, 2])
  })

  test('transpose of a 0-d or 1-D tensor is the tensor itself', () => {
    const v = tensor([1, 2])
    expect(transpose(v)).toBe(v)
  })
})

describe('errors name the op and the shapes, and change nothing', () => {
  const t = (shape: number[]) => randn(shape, { requiresGrad: true })

  test('inner sizes that do not align', () => {
    expect(() => matmul(t([2, 3]), t([4, 5]))).toThrow('matmul: shapes [2,3] and [4,5] do not align (3 ≠ 4)')
    expect(() => matmul(t([3]), t([4]))).toThrow('matmul: shapes [3] and [4] do not align (3 ≠ 4)')
    expect(() => matmul(t([2, 3]), t([2]))).toThrow('matmul: shapes [2,3] and [2] do not align (3 ≠ 2)')
    expect(() => matmul(t([5, 2, 3]), t([5, 4, 2]))).toThrow('matmul: shapes [5,2,3] and [5,4,2] do not align (3 ≠ 4)')
  })

  test('batch axes that do not broadcast name both shapes', () => {
    expect(() => matmul(t([2, 3, 4]), t([5, 4, 6]))).toThrow(
      'matmul: batch axes of shapes [2,3,4] and [5,4,6] cannot be broadcast together ([2] vs [5]: 2 ≠ 5 at batch axis -1)',
    )
    expect(() => matmul(t([3, 2, 2, 4]), t([2, 4, 4, 1]))).toThrow('[3,2,2,4] and [2,4,4,1]')
  })

  test('0-d operands and non-tensors', () => {
    expect(() => matmul(t([]), t([3]))).toThrow(
      'matmul: shapes [] and [3]: a 0-d tensor is not a matrix or a vector (use mul to scale)',
    )
    expect(() => matmul(2 as unknown as Tensor, t([3]))).toThrow(
      'matmul: the first operand must be a Tensor, got number',
    )
  })

  test('dtype mismatch', () => {
    expect(() => matmul(tensor([[1, 2]]), tensor([[1], [2]], { dtype: 'float64' }))).toThrow(
      /matmul: dtype mismatch: float32 \[1,2\] and float64 \[2,1\]/,
    )
  })

  test('bad permutations', () => {
    const x = t([2, 3, 4])
    expect(() => permute(x, [0, 1])).toThrow('permute: axes [0,1] do not match shape [2,3,4]: expected 3 axes, got 2')
    expect(() => permute(x, [0, 1, 1])).toThrow(
      'permute: axes [0,1,1] are not a permutation of the 3 axes of shape [2,3,4] (axis 1 repeated)',
    )
    expect(() => permute(x, [0, 1, 3])).toThrow(
      'permute: axis 3 is out of range for shape [2,3,4] (expected an integer in [-3, 2])',
    )
    expect(() => permute(x, [0, -1, 2])).toThrow('(axis 2 repeated)')
    expect(() => permute(x, [0, 1.5, 2])).toThrow('permute: axis 1.5 is out of range')
    expect(() => permute(x, 'abc' as unknown as number[])).toThrow(
      'permute: axes must be an array of 3 axis numbers, got abc',
    )
    expect(() => transpose(x, [2, 2, 0])).toThrow('transpose: axes [2,2,0] are not a permutation')
  })

  test('a failed call records nothing and leaves its inputs alone', () => {
    const a = t([2, 3])
    const b = t([4, 5])
    const aData = a.data.slice()
    expect(() => matmul(a, b)).toThrow()
    expect(Array.from(a.data)).toEqual(Array.from(aData))
    expect(a.entry).toBeNull()
    const y = a.mul(2)
    expect(() => matmul(y, b)).toThrow()
    expect(tapeOf(y).entries.length).toBe(1)
  })
})
