// Workload F (character LSTM, BPTT + Adam) for the tapegrad contender (see tapegrad.mjs), written with
// the ops that exist today: nn.Embedding, matmul, split, sigmoid, tanh, crossEntropy and
// adam(...).attach. The cell is PyTorch's (gate blocks i, f, g, o; weightIh [4H, E], weightHh [4H, H],
// biasIh, biasHh), so the harness' initial weights load as they are. The sequence is processed
// time-major (row t·B + b), the input projection x·W_ihᵀ for all 32 steps is one matmul, and the
// loss is one crossEntropy over the 32·32 predictions. Where the build has the nn.LSTM layer, a
// second variant runs the same model through it (PyTorch's names: weightIhL0 ↔ weight_ih_l0); the
// variant is absent from builds without it. Uses the built library (npm run build).
import { tensor, matmul, transpose, slice, split, concat, sigmoid, tanh, crossEntropy } from '../../dist/src/index.js';
import * as nn from '../../dist/src/nn/index.js';
import { adam } from '../../dist/optimizers/index.js';

function create({ vocab: V, embed: E, hidden: H, seqLen: T, batchSize: B, init, lr, beta1, beta2, eps }) {
  const param = (data, shape) => tensor(data, { shape, requiresGrad: true });
  const embedding = new nn.Embedding(V, E);
  embedding.loadStateDict({ weight: { shape: [V, E], data: init.embedding } });
  const p = {
    embedding: embedding.weight,
    weightIh: param(init.weightIh, [4 * H, E]),
    weightHh: param(init.weightHh, [4 * H, H]),
    biasIh: param(init.biasIh, [4 * H]),
    biasHh: param(init.biasHh, [4 * H]),
    outW: param(init.outW, [H, V]),
    outB: param(init.outB, [V]),
  };
  const opt = adam(lr, beta1, beta2, eps).attach(p);
  // batch-major [b·T + t] → time-major [t·B + b]
  const timeMajor = (ids, out) => {
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[t * B + b] = ids[b * T + t];
    return out;
  };
  const idsT = new Int32Array(B * T);
  const targetsT = new Int32Array(B * T);
  return {
    note:
      'hand-written LSTM cell from tapegrad ops (nn.Embedding, matmul, split, sigmoid, tanh) + crossEntropy + ' +
      'loss.backward() + adam(...).attach',
    trainStep({ inputs, targets }, wantLoss) {
      const x = embedding.forward(timeMajor(inputs, idsT)); // [T·B, E]
      const xw = matmul(x, transpose(p.weightIh)).add(p.biasIh).add(p.biasHh); // [T·B, 4H]
      const whhT = transpose(p.weightHh); // [H, 4H], once per step rather than once per time step
      let h = null;
      let c = null;
      const hs = [];
      for (let t = 0; t < T; t++) {
        let z = slice(xw, [[t * B, (t + 1) * B]]);
        if (h) z = z.add(matmul(h, whhT)); // h₀ = 0: nothing to add at t = 0
        const [zi, zf, zg, zo] = split(z, H, 1);
        const ig = sigmoid(zi).mul(tanh(zg));
        c = c ? sigmoid(zf).mul(c).add(ig) : ig; // c₀ = 0
        h = sigmoid(zo).mul(tanh(c));
        hs.push(h);
      }
      const logits = matmul(concat(hs, 0), p.outW).add(p.outB); // [T·B, V]
      const loss = crossEntropy(logits, timeMajor(targets, targetsT));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return wantLoss ? loss.item() : undefined;
    },
    params() {
      const out = {};
      for (const [k, t] of Object.entries(p)) out[k] = t.data.slice();
      return out;
    },
  };
}

/** The same model with nn.LSTM (one layer, input [T, B, E]) in place of the hand-written cell. */
function createWithLayer({ vocab: V, embed: E, hidden: H, seqLen: T, batchSize: B, init, lr, beta1, beta2, eps }) {
  const embedding = new nn.Embedding(V, E);
  embedding.loadStateDict({ weight: { shape: [V, E], data: init.embedding } });
  const lstm = new nn.LSTM(E, H);
  lstm.loadStateDict({
    weightIhL0: { shape: [4 * H, E], data: init.weightIh },
    weightHhL0: { shape: [4 * H, H], data: init.weightHh },
    biasIhL0: { shape: [4 * H], data: init.biasIh },
    biasHhL0: { shape: [4 * H], data: init.biasHh },
  });
  const outW = tensor(init.outW, { shape: [H, V], requiresGrad: true });
  const outB = tensor(init.outB, { shape: [V], requiresGrad: true });
  const p = {
    embedding: embedding.weight,
    weightIh: lstm.weightIhL0,
    weightHh: lstm.weightHhL0,
    biasIh: lstm.biasIhL0,
    biasHh: lstm.biasHhL0,
    outW,
    outB,
  };
  const opt = adam(lr, beta1, beta2, eps).attach(p);
  const timeMajor = (ids, out) => {
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[t * B + b] = ids[b * T + t];
    return out;
  };
  const idsT = new Int32Array(B * T);
  const targetsT = new Int32Array(B * T);
  return {
    note: 'nn.Embedding → nn.LSTM (one layer, [T, B, E]) → matmul + bias, crossEntropy, backward(), adam(...).attach',
    trainStep({ inputs, targets }, wantLoss) {
      const x = embedding.forward(timeMajor(inputs, idsT)).reshape([T, B, E]);
      const [out] = lstm.forward(x); // [T, B, H], row t·B + b once flattened
      const logits = matmul(out.reshape([T * B, H]), outW).add(outB);
      const loss = crossEntropy(logits, timeMajor(targets, targetsT));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return wantLoss ? loss.item() : undefined;
    },
    params() {
      const out = {};
      for (const [k, t] of Object.entries(p)) out[k] = t.data.slice();
      return out;
    },
  };
}

export const workload = {
  'LSTM cell from ops + adam.attach': { create },
  ...(typeof nn.LSTM === 'function' ? { 'nn.LSTM + adam.attach': { create: createWithLayer } } : {}),
};
