// Workload C (2-16-16-1 tanh MLP, one sample, forward + backward + SGD) for the tapegrad contender
// (see tapegrad.mjs). Written as a user would with the public API: tensors per layer, the forward
// pass recorded on the tape, loss = (out − y)², loss.backward(), then p −= lr·∂L/∂p and zeroGrad.
import * as tg from '../../dist/src/index.js';

function variant(dtype) {
  return {
    create({ sizes, params, lr }) {
      // Canonical layout: per layer W row-major [in, out], then b [out].
      const layers = [];
      let off = 0;
      for (let l = 0; l + 1 < sizes.length; l++) {
        const nin = sizes[l];
        const nout = sizes[l + 1];
        const W = tg.tensor(params.subarray(off, off + nin * nout), { shape: [nin, nout], dtype, requiresGrad: true });
        off += nin * nout;
        const b = tg.tensor(params.subarray(off, off + nout), { shape: [nout], dtype, requiresGrad: true });
        off += nout;
        layers.push({ W, b });
      }
      const ps = layers.flatMap(({ W, b }) => [W, b]);
      const x = tg.zeros([sizes[0]], { dtype }); // the input, refilled each step (no gradient)
      const last = layers.length - 1;
      return {
        step(xs, y, wantLoss) {
          for (let i = 0; i < xs.length; i++) x.data[i] = xs[i];
          let h = x;
          for (let l = 0; l <= last; l++) {
            const z = tg.matmul(h, layers[l].W).add(layers[l].b);
            h = l < last ? z.tanh() : z;
          }
          const d = h.sub(y);
          const loss = d.mul(d);
          loss.backward();
          for (const p of ps) {
            const w = p.data;
            const g = p.grad.data;
            for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
            p.zeroGrad();
          }
          if (wantLoss) return loss.item();
        },
        params() {
          const out = new Float64Array(off);
          let k = 0;
          for (const p of ps) for (let i = 0; i < p.size; i++) out[k++] = p.data[i];
          return out;
        },
      };
    },
  };
}

export const workload = {
  'backward() f32': variant('float32'),
  'backward() f64': variant('float64'),
};
