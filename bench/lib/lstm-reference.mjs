// Workload F's float64 reference: a character LSTM, forward and backpropagation through time written
// out by hand, plus the Adam step, so that every contender's train step can be checked against it.
//
//   ids [B, T] → embedding [V, E] → one LSTM layer (PyTorch's cell, gate order i, f, g, o; h₀ = c₀ = 0)
//     → dense [H, V] + bias on every step's h → mean softmax cross-entropy over all B·T next characters
//
//   z = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh        (z split into four blocks of H: i, f, g, o)
//   i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
//   c_t = f ⊙ c_{t−1} + i ⊙ g                     h_t = o ⊙ tanh(c_t)
//
// Layouts (the workload's canonical ones): embedding [V, E]; weightIh [4H, E]; weightHh [4H, H];
// biasIh, biasHh [4H] (PyTorch's nn.LSTM); outW row-major [in = H, out = V]; outB [V]. Token ids are
// batch-major: ids[b·T + t]. Everything here is Float64Array.
import { mulberry32 } from './common.mjs';
import { makeTrainer, normalStream, softmaxCrossEntropy } from './nn-reference.mjs';

/** F's sizes. */
export const CHAR_LSTM = Object.freeze({ vocab: 30, embed: 16, hidden: 128, seqLen: 32, batchSize: 32 });

/**
 * PyTorch's default initialisation, seeded: embedding N(0, 1) (nn.Embedding), every LSTM weight and
 * bias U(−1/√H, 1/√H) (nn.LSTM), the output layer U(−1/√H, 1/√H) (nn.Linear's bound 1/√in).
 * Rounded to float32 so float32 and float64 contenders start from the same numbers.
 */
export function lstmInit(spec, seed) {
  const { vocab: V, embed: E, hidden: H } = spec;
  const r = mulberry32(seed);
  const k = 1 / Math.sqrt(H);
  const uni = (n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (2 * r() - 1) * k;
    return a;
  };
  const nrm = normalStream(seed + 1);
  const embedding = new Float32Array(V * E);
  for (let i = 0; i < embedding.length; i++) embedding[i] = nrm();
  return {
    embedding,
    weightIh: uni(4 * H * E),
    weightHh: uni(4 * H * H),
    biasIh: uni(4 * H),
    biasHh: uni(4 * H),
    outW: uni(H * V),
    outB: uni(V),
  };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/** Loss (mean over B·T) and gradients of every parameter for one batch. */
export function lstmLossAndGrads(spec, p, inputs, targets) {
  const { vocab: V, embed: E, hidden: H, seqLen: T, batchSize: B } = spec;
  const G = 4 * H;
  // ---- forward, keeping what the backward pass needs (per t: x, gates, c, tanh c, h) ----
  const xs = [],
    gates = [],
    cs = [],
    tcs = [],
    hs = [];
  let h = new Float64Array(B * H);
  let c = new Float64Array(B * H);
  const hPrev = [],
    cPrev = [];
  const logits = new Float64Array(B * T * V); // row (b·T + t), so labels are targets[b·T + t]
  for (let t = 0; t < T; t++) {
    const x = new Float64Array(B * E);
    for (let b = 0; b < B; b++) {
      const id = inputs[b * T + t];
      for (let e = 0; e < E; e++) x[b * E + e] = p.embedding[id * E + e];
    }
    const a = new Float64Array(B * G); // activated gates i, f, g, o
    const cn = new Float64Array(B * H),
      tc = new Float64Array(B * H),
      hn = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < G; r++) {
        let z = p.biasIh[r] + p.biasHh[r];
        for (let e = 0; e < E; e++) z += p.weightIh[r * E + e] * x[b * E + e];
        for (let q = 0; q < H; q++) z += p.weightHh[r * H + q] * h[b * H + q];
        a[b * G + r] = r >= 2 * H && r < 3 * H ? Math.tanh(z) : sigmoid(z);
      }
      for (let q = 0; q < H; q++) {
        const i = a[b * G + q],
          f = a[b * G + H + q],
          g = a[b * G + 2 * H + q],
          o = a[b * G + 3 * H + q];
        cn[b * H + q] = f * c[b * H + q] + i * g;
        tc[b * H + q] = Math.tanh(cn[b * H + q]);
        hn[b * H + q] = o * tc[b * H + q];
      }
      for (let v = 0; v < V; v++) {
        let s = p.outB[v];
        for (let q = 0; q < H; q++) s += hn[b * H + q] * p.outW[q * V + v];
        logits[(b * T + t) * V + v] = s;
      }
    }
    xs.push(x);
    gates.push(a);
    hPrev.push(h);
    cPrev.push(c);
    cs.push(cn);
    tcs.push(tc);
    hs.push(hn);
    h = hn;
    c = cn;
  }
  const { loss, dlogits } = softmaxCrossEntropy(logits, targets, B * T, V);
  // ---- backward through time ----
  const gr = {};
  for (const k of Object.keys(p)) gr[k] = new Float64Array(p[k].length);
  let dhNext = new Float64Array(B * H);
  let dcNext = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    const a = gates[t],
      tc = tcs[t],
      hn = hs[t],
      hp = hPrev[t],
      cp = cPrev[t],
      x = xs[t];
    const dh = dhNext.slice();
    for (let b = 0; b < B; b++)
      for (let v = 0; v < V; v++) {
        const d = dlogits[(b * T + t) * V + v];
        gr.outB[v] += d;
        for (let q = 0; q < H; q++) {
          gr.outW[q * V + v] += hn[b * H + q] * d;
          dh[b * H + q] += p.outW[q * V + v] * d;
        }
      }
    const dz = new Float64Array(B * G); // gradient of the pre-activations z
    const dc = new Float64Array(B * H);
    for (let b = 0; b < B; b++)
      for (let q = 0; q < H; q++) {
        const k = b * H + q;
        const i = a[b * G + q],
          f = a[b * G + H + q],
          g = a[b * G + 2 * H + q],
          o = a[b * G + 3 * H + q];
        const dO = dh[k] * tc[k];
        dc[k] = dh[k] * o * (1 - tc[k] * tc[k]) + dcNext[k];
        dz[b * G + q] = dc[k] * g * i * (1 - i);
        dz[b * G + H + q] = dc[k] * cp[k] * f * (1 - f);
        dz[b * G + 2 * H + q] = dc[k] * i * (1 - g * g);
        dz[b * G + 3 * H + q] = dO * o * (1 - o);
      }
    const dhPrev = new Float64Array(B * H);
    const dcPrev = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      for (let q = 0; q < H; q++) dcPrev[b * H + q] = dc[b * H + q] * a[b * G + H + q];
      const id = inputs[b * T + t];
      for (let r = 0; r < G; r++) {
        const d = dz[b * G + r];
        gr.biasIh[r] += d;
        gr.biasHh[r] += d;
        for (let e = 0; e < E; e++) {
          gr.weightIh[r * E + e] += d * x[b * E + e];
          gr.embedding[id * E + e] += d * p.weightIh[r * E + e];
        }
        for (let q = 0; q < H; q++) {
          gr.weightHh[r * H + q] += d * hp[b * H + q];
          dhPrev[b * H + q] += d * p.weightHh[r * H + q];
        }
      }
    }
    dhNext = dhPrev;
    dcNext = dcPrev;
  }
  return { loss, logits, grads: gr };
}

/** A float64 model of workload F that trains like a contender (see nn-reference.mjs' makeTrainer). */
export function makeLstmReference(spec, init, hp) {
  return makeTrainer(init, hp, (params, inputs, targets) => lstmLossAndGrads(spec, params, inputs, targets));
}
