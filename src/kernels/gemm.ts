/**
 * General matrix multiply on contiguous row-major storage, the one kernel behind `matmul` and its
 * backward:  C (+)= op(A)·op(B),  op(X) = X or Xᵀ,  op(A) is M×K, op(B) is K×N, C is M×N.
 *
 * Three paths, picked per call by size and dtype (all accumulate the dot products in float64
 * registers or f32x4 lanes; results are rounded once per K-block when stored):
 * - `direct`: plain loops, no packing. For small products (a tiny MLP's [1,2]·[2,16]) and for
 *   vector–matrix ones (M ≤ 2 or N = 1), where packing would cost as much as the arithmetic.
 * - `packed` (JS): BLIS-style. Blocks of A and B are copied ("packed") into float64 panels of
 *   4 rows / 4 columns laid out k-major, so the 4×4 micro-kernel (16 accumulators in registers)
 *   streams both panels contiguously whatever the transposes were — the backward pass of a dense
 *   layer (Aᵀ·G and G·Bᵀ) costs the same as the forward. Measured 1.7–2.9 GFLOP/s (Node 20).
 * - `wasm`: the same packing into WebAssembly memory and a hand-written f32x4 SIMD micro-kernel
 *   with a 4×8 tile (gemm.wat, embedded in gemm-wasm-bytes.ts), float32 only. Used when
 *   WebAssembly SIMD is available (Node ≥ 16.4, current browsers); otherwise `packed` runs.
 *   Measured 28 GFLOP/s at n = 64, 35 at 256, 40 at 1024 (Node 20, one core, no FMA in wasm).
 *
 * Scratch buffers are module-level and grow on demand, so steady-state calls allocate nothing.
 */
import { GEMM_WASM_BASE64 } from './gemm-wasm-bytes.js'
import { bytesOfBase64 } from '../byte-codec.js'

/** Float storage the kernels accept (A, B and C must all be of one kind). */
export type FloatArray = Float32Array | Float64Array

/**
 * Products with at most this many multiply-adds go through `direct` (packing does not pay: at
 * 6×6×6 direct and wasm cost the same ≈ 0.5 µs; at 8×8×8 wasm is 20% faster, at 16³ 2.4×).
 * So do vector–matrix products (M ≤ 2 or N = 1): packing B would cost as much as the arithmetic
 * (1×256×256: direct 62 µs, wasm 165 µs). With K ≤ 2 the wasm path's fixed cost of copying C
 * out dominates and the JS `packed` path wins (256×256×1: 83 µs against 140–150 µs).
 */
const DIRECT_MAX_MACS = 512
/** K-block depth: one 4-row A panel (4·KC floats) stays in L1 while it sweeps the B block. */
const KC = 256
/** Column block of B packed at once (KC×NC floats ≈ 256 KB in float32: L2-resident). */
const NC = 256
/** Row block of A packed at once (JS path). */
const MC = 64

/**
 * C (+)= op(A)·op(B) on contiguous row-major storage.
 *
 * op(A)[i,k] = transA ? A[aOff + k·M + i] : A[aOff + i·K + k]   (A is M×K, or K×M when transposed)
 * op(B)[k,j] = transB ? B[bOff + j·K + k] : B[bOff + k·N + j]   (B is K×N, or N×K when transposed)
 * C[cOff + i·N + j] = Σₖ op(A)[i,k]·op(B)[k,j]   (added to C when `accumulate`)
 *
 * Transposed operands are read in place (no transposed copy is made). With K = 0 the product
 * is all zeros.
 * @example
 * import { gemm } from './src/kernels/gemm'
 * const A = new Float32Array([1, 2, 3, 4, 5, 6])   // A: 2×3, row-major
 * const B = new Float32Array([1, 0, 0, 1, 1, 1])   // B: 3×2
 * const C = new Float32Array(4)
 * gemm(false, false, 2, 2, 3, A, B, C)             // C = A·B
 * C // [4, 5, 10, 11]
 * // dB = Aᵀ·G (3×2) with A read in place: no transposed copy is made
 * const G = new Float32Array([1, 0, 0, 1])         // G: 2×2
 * const dB = new Float32Array(6)
 * gemm(true, false, 3, 2, 2, A, G, dB)
 * dB // [1, 4, 2, 5, 3, 6]
 */
export function gemm(
  // gemmDirect, gemmPacked and gemmWasm take these twelve parameters too, in this order: each path
  // stands in for gemm (the tests run each against the others). Plain positional numbers rather
  // than an options object, so that a call in a training loop allocates nothing.
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff = 0,
  bOff = 0,
  cOff = 0,
  accumulate = false,
): void {
  if (M === 0 || N === 0) return
  if (K === 0) {
    if (!accumulate) C.fill(0, cOff, cOff + M * N)
    return
  }
  // Crossovers measured on this kind of machine (Node 20, x64): see the comments on each path.
  if (M <= 2 || N === 1 || M * N * K <= DIRECT_MAX_MACS) {
    gemmDirect(transA, transB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
    return
  }
  const f32 = C instanceof Float32Array && A instanceof Float32Array && B instanceof Float32Array
  // gemmWasm returns false (having done nothing) where the SIMD kernel is unavailable.
  if (f32 && K > 2 && gemmWasm(transA, transB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)) return
  gemmPacked(transA, transB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
}

// ---------------------------------------------------------------------------------------------
// direct: no packing

let rowScratch = new Float64Array(64)

/**
 * The `direct` path of `gemm`, C = op(A)·op(B) with no packing (exported for tests; any size is
 * correct, small ones are fast).
 * @example
 * import { gemmDirect } from './src/kernels/gemm'
 * const A = new Float64Array([1, 2, 3, 4, 5, 6])   // A: 2×3, row-major
 * const B = new Float64Array([1, 0, 0, 1, 1, 1])   // B: 3×2
 * const C = new Float64Array(4)
 * gemmDirect(false, false, 2, 2, 3, A, B, C)       // same arguments and result as gemm
 * C // [4, 5, 10, 11]
 */
export function gemmDirect(
  // gemm's parameters, in gemm's order (see there).
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff = 0,
  bOff = 0,
  cOff = 0,
  accumulate = false,
): void {
  // Two separate functions on purpose: V8 compiled the dot-product loop 3× slower when it shared
  // a function with the row loop (measured on a 16×16 outer product).
  if (transB || K <= 8 || N < 32) directDots(transA, transB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
  else directRows(transA, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
}

/** C[i,j] (+)= Σₖ op(A)[i,k]·op(B)[k,j] one dot product at a time. With op(B) = Bᵀ both operands
 *  run contiguously along k; with a short K (an outer product in a backward pass has K = 1) the
 *  strided reads of B are few. */
function directDots(
  // gemm's parameters with none of them optional; directRows below takes the same but transB.
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff: number,
  bOff: number,
  cOff: number,
  accumulate: boolean,
): void {
  const sai = transA ? 1 : K
  const sak = transA ? M : 1
  const sbk = transB ? 1 : N
  const sbj = transB ? K : 1
  if (K === 1) {
    // An outer product (the weight gradient xᵀ·g of a layer fed one sample).
    for (let i = 0; i < M; i++) {
      const a = A[aOff + i * sai]
      const ci = cOff + i * N
      if (accumulate) for (let j = 0; j < N; j++) C[ci + j] += a * B[bOff + j * sbj]
      else for (let j = 0; j < N; j++) C[ci + j] = a * B[bOff + j * sbj]
    }
    return
  }
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * sai
    const ci = cOff + i * N
    let j = 0
    // Four columns at a time: four independent sums (one would be bound by the add latency),
    // and each element of A read once for all four.
    for (; j + 4 <= N; j += 4) {
      const b0 = bOff + j * sbj
      const b1 = b0 + sbj
      const b2 = b1 + sbj
      const b3 = b2 + sbj
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0
      for (let k = 0; k < K; k++) {
        const a = A[ai + k * sak]
        const o = k * sbk
        s0 += a * B[b0 + o]
        s1 += a * B[b1 + o]
        s2 += a * B[b2 + o]
        s3 += a * B[b3 + o]
      }
      if (accumulate) {
        C[ci + j] += s0
        C[ci + j + 1] += s1
        C[ci + j + 2] += s2
        C[ci + j + 3] += s3
      } else {
        C[ci + j] = s0
        C[ci + j + 1] = s1
        C[ci + j + 2] = s2
        C[ci + j + 3] = s3
      }
    }
    for (; j < N; j++) {
      const bj = bOff + j * sbj
      let s = 0
      for (let k = 0; k < K; k++) s += A[ai + k * sak] * B[bj + k * sbk]
      if (accumulate) C[ci + j] += s
      else C[ci + j] = s
    }
  }
}

/** op(B) = B with a longer K: rows of B are contiguous, so a row of C is accumulated in float64
 *  scratch, one scaled row of B at a time. */
function directRows(
  // directDots' parameters less transB (op(B) = B here): two functions on purpose, see gemmDirect.
  transA: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff: number,
  bOff: number,
  cOff: number,
  accumulate: boolean,
): void {
  const sai = transA ? 1 : K
  const sak = transA ? M : 1
  if (rowScratch.length < N) rowScratch = new Float64Array(Math.max(N, 2 * rowScratch.length))
  const t = rowScratch
  for (let i = 0; i < M; i++) {
    const ai = aOff + i * sai
    for (let j = 0; j < N; j++) t[j] = 0
    let k = 0
    // Four rows of B per sweep over the scratch row: a quarter of the loads and stores of t.
    for (; k + 4 <= K; k += 4) {
      const a0 = A[ai + k * sak]
      const a1 = A[ai + (k + 1) * sak]
      const a2 = A[ai + (k + 2) * sak]
      const a3 = A[ai + (k + 3) * sak]
      const r0 = bOff + k * N
      const r1 = r0 + N
      const r2 = r1 + N
      const r3 = r2 + N
      for (let j = 0; j < N; j++) t[j] += a0 * B[r0 + j] + a1 * B[r1 + j] + a2 * B[r2 + j] + a3 * B[r3 + j]
    }
    for (; k < K; k++) {
      const a = A[ai + k * sak]
      const bk = bOff + k * N
      for (let j = 0; j < N; j++) t[j] += a * B[bk + j]
    }
    const ci = cOff + i * N
    if (accumulate) for (let j = 0; j < N; j++) C[ci + j] += t[j]
    else for (let j = 0; j < N; j++) C[ci + j] = t[j]
  }
}

// ---------------------------------------------------------------------------------------------
// packed: 4×4 register-blocked JS micro-kernel over float64 panels

let packA = new Float64Array(MC * KC)
let packB = new Float64Array(KC * NC)
const edge = new Float64Array(16)

// Same parameters as gemm and gemmDirect: each path can stand in for another (tests compare them).
/**
 * The `packed` JS path of `gemm`, C = op(A)·op(B) over packed float64 panels (exported for tests;
 * used for float64 and without wasm SIMD).
 * @example
 * import { gemmDirect, gemmPacked } from './src/kernels/gemm'
 * const n = 64
 * const A = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i))
 * const B = Float64Array.from({ length: n * n }, (_, i) => Math.cos(i))
 * const packed = new Float64Array(n * n), direct = new Float64Array(n * n)
 * gemmPacked(false, true, n, n, n, A, B, packed)   // C = A·Bᵀ, same arguments as gemm
 * gemmDirect(false, true, n, n, n, A, B, direct)
 * packed.every((v, i) => Math.abs(v - direct[i]) < 1e-12) // true
 */
export function gemmPacked(
  // gemm's parameters, in gemm's order (see there).
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  aOff = 0,
  bOff = 0,
  cOff = 0,
  accumulate = false,
): void {
  if (K === 0) return gemmDirect(transA, transB, M, N, K, A, B, C, aOff, bOff, cOff, accumulate)
  const sai = transA ? 1 : K
  const sak = transA ? M : 1
  const sbk = transB ? 1 : N
  const sbj = transB ? K : 1
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc)
    const np = (nc + 3) >> 2
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc)
      const add = accumulate || pc > 0
      // Pack op(B)[pc:pc+kc, jc:jc+nc] as np panels of [kc][4], zero-padded past N.
      if (packB.length < np * 4 * kc) packB = new Float64Array(np * 4 * kc)
      const bp = packB
      for (let p = 0; p < np; p++) {
        const base = p * kc * 4
        for (let jj = 0; jj < 4; jj++) {
          const j = p * 4 + jj
          if (j < nc) {
            let src = bOff + pc * sbk + (jc + j) * sbj
            for (let k = 0; k < kc; k++, src += sbk) bp[base + k * 4 + jj] = B[src]
          } else {
            for (let k = 0; k < kc; k++) bp[base + k * 4 + jj] = 0
          }
        }
      }
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic)
        const mp = (mc + 3) >> 2
        // Pack op(A)[ic:ic+mc, pc:pc+kc] as mp panels of [kc][4], zero-padded past M: the loop of
        // op(B)'s packing above with rows for columns (strides sai/sak, bound mc). Both stay inline
        // next to the micro-kernel that reads them, so the panel layout is spelled out in one place.
        if (packA.length < mp * 4 * kc) packA = new Float64Array(mp * 4 * kc)
        const ap = packA
        for (let p = 0; p < mp; p++) {
          const base = p * kc * 4
          for (let ii = 0; ii < 4; ii++) {
            const i = p * 4 + ii
            if (i < mc) {
              let src = aOff + (ic + i) * sai + pc * sak
              for (let k = 0; k < kc; k++, src += sak) ap[base + k * 4 + ii] = A[src]
            } else {
              for (let k = 0; k < kc; k++) ap[base + k * 4 + ii] = 0
            }
          }
        }
        for (let pi = 0; pi < mp; pi++) {
          const i0 = ic + pi * 4
          for (let pj = 0; pj < np; pj++) {
            const j0 = jc + pj * 4
            // Sixteen accumulators, one per element of the 4×4 tile, as plain locals (V8 keeps them in
            // registers; an array would live in memory). Hence the rows written out four times below.
            let c00 = 0,
              c01 = 0,
              c02 = 0,
              c03 = 0
            let c10 = 0,
              c11 = 0,
              c12 = 0,
              c13 = 0
            let c20 = 0,
              c21 = 0,
              c22 = 0,
              c23 = 0
            let c30 = 0,
              c31 = 0,
              c32 = 0,
              c33 = 0
            let pa = pi * kc * 4
            let pb = pj * kc * 4
            for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
              const a0 = ap[pa],
                a1 = ap[pa + 1],
                a2 = ap[pa + 2],
                a3 = ap[pa + 3]
              const b0 = bp[pb],
                b1 = bp[pb + 1],
                b2 = bp[pb + 2],
                b3 = bp[pb + 3]
              c00 += a0 * b0
              c01 += a0 * b1
              c02 += a0 * b2
              c03 += a0 * b3
              c10 += a1 * b0
              c11 += a1 * b1
              c12 += a1 * b2
              c13 += a1 * b3
              c20 += a2 * b0
              c21 += a2 * b1
              c22 += a2 * b2
              c23 += a2 * b3
              c30 += a3 * b0
              c31 += a3 * b1
              c32 += a3 * b2
              c33 += a3 * b3
            }
            if (i0 + 4 <= M && j0 + 4 <= N) {
              let c = cOff + i0 * N + j0
              // The two branches are the same 16 stores, += and =: the test on `add` is made once per
              // tile instead of once per element.
              if (add) {
                C[c] += c00
                C[c + 1] += c01
                C[c + 2] += c02
                C[c + 3] += c03
                c += N
                C[c] += c10
                C[c + 1] += c11
                C[c + 2] += c12
                C[c + 3] += c13
                c += N
                C[c] += c20
                C[c + 1] += c21
                C[c + 2] += c22
                C[c + 3] += c23
                c += N
                C[c] += c30
                C[c + 1] += c31
                C[c + 2] += c32
                C[c + 3] += c33
              } else {
                C[c] = c00
                C[c + 1] = c01
                C[c + 2] = c02
                C[c + 3] = c03
                c += N
                C[c] = c10
                C[c + 1] = c11
                C[c + 2] = c12
                C[c + 3] = c13
                c += N
                C[c] = c20
                C[c + 1] = c21
                C[c + 2] = c22
                C[c + 3] = c23
                c += N
                C[c] = c30
                C[c + 1] = c31
                C[c + 2] = c32
                C[c + 3] = c33
              }
            } else {
              // A partial tile at the bottom/right edge: write only the rows/columns that exist.
              edge[0] = c00
              edge[1] = c01
              edge[2] = c02
              edge[3] = c03
              edge[4] = c10
              edge[5] = c11
              edge[6] = c12
              edge[7] = c13
              edge[8] = c20
              edge[9] = c21
              edge[10] = c22
              edge[11] = c23
              edge[12] = c30
              edge[13] = c31
              edge[14] = c32
              edge[15] = c33
              const mi = Math.min(4, M - i0)
              const nj = Math.min(4, N - j0)
              for (let ii = 0; ii < mi; ii++) {
                const c = cOff + (i0 + ii) * N + j0
                for (let jj = 0; jj < nj; jj++) C[c + jj] = add ? C[c + jj] + edge[ii * 4 + jj] : edge[ii * 4 + jj]
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// wasm: f32x4 SIMD micro-kernel (gemm.wat)

interface WasmKernel {
  memory: WebAssembly.Memory
  block: (ap: number, bp: number, c: number, mp: number, np: number, kc: number, ldc: number, acc: number) => void
  pack: (dst: number, src: number, np: number, w: number, kc: number, sk: number, sj: number, n: number) => void
  f32: Float32Array
}

let wasm: WasmKernel | null | undefined // undefined: not tried yet
let wasmDisabled = false

/**
 * The instantiated SIMD kernel, or null where WebAssembly or its SIMD proposal is unavailable
 * (or a Content-Security-Policy without 'wasm-unsafe-eval' forbids compiling it): the JS
 * `packed` path is used then. Compiled synchronously on first use (about 1 KB, well under the
 * browsers' 4 KB main-thread limit for synchronous compilation).
 */
function wasmKernel(): WasmKernel | null {
  if (wasm !== undefined) return wasmDisabled ? null : wasm
  wasm = null
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = bytesOfBase64(GEMM_WASM_BASE64)
      if (WebAssembly.validate(bytes)) {
        const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
        const memory = inst.exports.memory as WebAssembly.Memory
        wasm = {
          memory,
          block: inst.exports.gemm_block as WasmKernel['block'],
          pack: inst.exports.pack as WasmKernel['pack'],
          f32: new Float32Array(memory.buffer),
        }
      }
    }
  } catch {
    wasm = null
  }
  return wasmDisabled ? null : wasm
}

/**
 * Whether the WebAssembly SIMD kernel is in use for float32 (false: the JS kernel runs).
 * @example
 * import { wasmSimdAvailable } from './src/kernels/gemm'
 * // Node 20 and current browsers have WebAssembly SIMD; without it matmul runs the JS kernel
 * wasmSimdAvailable() // true
 */
export function wasmSimdAvailable(): boolean {
  return wasmKernel() !== null
}

/**
 * Turns the WebAssembly kernel off (true) or back on (false), e.g. to compare against the JS
 * kernel or to rule it out while debugging. Returns the previous setting.
 * @example
 * import { disableWasmGemm, wasmSimdAvailable } from './src/kernels/gemm'
 * const was = disableWasmGemm(true) // false
 * wasmSimdAvailable()               // false
 * disableWasmGemm(was)              // true
 * wasmSimdAvailable()               // true
 */
export function disableWasmGemm(disabled: boolean): boolean {
  const prev = wasmDisabled
  wasmDisabled = disabled
  return prev
}

/** Grows the wasm memory to hold `bytes` and returns the (possibly new) float view of it, or null
 *  when it cannot grow that far (wasm32 memory ends at 4 GiB; the JS path then runs). The memory
 *  keeps the size of the largest product seen: a working buffer, not a leak per call. */
function wasmHeap(k: WasmKernel, bytes: number): Float32Array | null {
  const have = k.memory.buffer.byteLength
  if (have < bytes) {
    try {
      k.memory.grow(Math.ceil((bytes - have) / 65536))
    } catch {
      return null
    }
    k.f32 = new Float32Array(k.memory.buffer)
  }
  return k.f32
}

/**
 * The `wasm` path of `gemm`, C = op(A)·op(B) (float32 only; exported for tests). Returns false
 * (doing nothing) where the SIMD kernel is unavailable or its memory cannot hold the operands.
 * @example
 * import { gemmPacked, gemmWasm } from './src/kernels/gemm'
 * const A = new Float32Array([1, 2, 3, 4, 5, 6])   // A: 2×3, row-major
 * const B = new Float32Array([1, 0, 0, 1, 1, 1])   // B: 3×2
 * const C = new Float32Array(4)
 * if (!gemmWasm(false, false, 2, 2, 3, A, B, C)) gemmPacked(false, false, 2, 2, 3, A, B, C)
 * C // [4, 5, 10, 11]
 */
export function gemmWasm(
  // gemm's parameters, in gemm's order (see there); float32 only. The checks below repeat gemm's
  // because the tests call this path directly.
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  aOff = 0,
  bOff = 0,
  cOff = 0,
  accumulate = false,
): boolean {
  const kern = wasmKernel()
  if (kern === null) return false
  if (M === 0 || N === 0) return true
  if (K === 0) {
    if (!accumulate) C.fill(0, cOff, cOff + M * N)
    return true
  }
  const sai = transA ? 1 : K
  const sak = transA ? M : 1
  const sbk = transB ? 1 : N
  const sbj = transB ? K : 1
  const M4 = (M + 3) & ~3
  const N8 = (N + 7) & ~7 // row length of the C buffer, in floats
  const kcMax = Math.min(KC, K)
  const ncMax = Math.min(NC, N8)
  // Memory layout (in floats, each region 16-byte aligned):
  // [ A copy (M·K) | B copy (K·N) | packed A block (M4 × kc) | packed B block (kc × nc) | C (M4 × N8) ]
  const aF = 0
  const bF = aF + ((M * K + 3) & ~3)
  const apF = bF + ((K * N + 3) & ~3)
  const bpF = apF + M4 * kcMax
  const cF = bpF + ncMax * kcMax
  const heap = wasmHeap(kern, (cF + M4 * N8) * 4)
  if (heap === null) return false
  heap.set(A.subarray(aOff, aOff + M * K), aF)
  heap.set(B.subarray(bOff, bOff + K * N), bF)
  const mp = M4 >> 2
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc)
    // op(A)[:, pc:pc+kc] → mp panels of [kc][4] (rows of op(A) are the panel columns).
    kern.pack(apF * 4, (aF + pc * sak) * 4, mp, 4, kc, sak, sai, M)
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc)
      const np = (nc + 7) >> 3
      // op(B)[pc:pc+kc, jc:jc+nc] → np panels of [kc][8] (L2-resident while every 4-row A panel
      // sweeps it).
      kern.pack(bpF * 4, (bF + pc * sbk + jc * sbj) * 4, np, 8, kc, sbk, sbj, nc)
      kern.block(apF * 4, bpF * 4, (cF + jc) * 4, mp, np, kc, N8, pc > 0 ? 1 : 0)
    }
  }
  // Copy the valid M × N part of the C buffer out.
  if (!accumulate && N8 === N) {
    C.set(heap.subarray(cF, cF + M * N), cOff)
  } else {
    for (let i = 0; i < M; i++) {
      const src = cF + i * N8
      const dst = cOff + i * N
      if (accumulate) for (let j = 0; j < N; j++) C[dst + j] += heap[src + j]
      else C.set(heap.subarray(src, src + N), dst)
    }
  }
  return true
}
