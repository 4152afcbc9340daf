// Workload D (square float32 matmul, C = A·B) for the tapegrad contender (see tapegrad.mjs).
// `run()` is what a user writes, `matmul(A, B)`: it allocates the result tensor on every call (the
// harness counts that as part of the cost) and runs the WebAssembly SIMD kernel where available.
// The second variant turns the wasm kernel off to show the plain-JS fallback (4×4 register-blocked).
import * as tg from '../../dist/src/index.js';
import { disableWasmGemm, wasmSimdAvailable } from '../../dist/src/kernels/gemm.js';

function variant(useWasm) {
  return {
    create({ n, a, b }) {
      disableWasmGemm(!useWasm);
      if (useWasm && !wasmSimdAvailable()) throw new Error('WebAssembly SIMD is not available in this runtime');
      const A = tg.tensor(a, { shape: [n, n] });
      const B = tg.tensor(b, { shape: [n, n] });
      let C = null;
      return {
        run() {
          C = tg.matmul(A, B);
        },
        read() {
          return C.data.slice();
        },
        stats() {
          return { kernel: wasmSimdAvailable() ? 'wasm-simd f32x4 4x8' : 'js 4x4' };
        },
        dispose() {
          C = null;
          disableWasmGemm(false);
        },
      };
    },
  };
}

export const workload = {
  matmul: variant(true),
  'matmul [JS kernel, wasm off]': variant(false),
};
