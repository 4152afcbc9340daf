// Float64 building blocks shared by the E and F references: seeded normal numbers, mean softmax
// cross-entropy with its gradient, and the bias-corrected Adam step (the same formula as
// reference.mjs' adamReference, over a dictionary of arrays).
import { mulberry32 } from './common.mjs';

/** Standard normal numbers from a seeded uniform stream (Box–Muller). */
export function normalStream(seed) {
  const r = mulberry32(seed);
  let spare = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - r(); // (0, 1]: log(u) is finite
    const v = r();
    const rad = Math.sqrt(-2 * Math.log(u));
    spare = rad * Math.sin(2 * Math.PI * v);
    return rad * Math.cos(2 * Math.PI * v);
  };
}

/** Mean softmax cross-entropy of logits [N, K] against integer labels, and its gradient. */
export function softmaxCrossEntropy(logits, labels, N, K) {
  const dlogits = new Float64Array(N * K);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[n * K + k]);
    let se = 0;
    for (let k = 0; k < K; k++) se += Math.exp(logits[n * K + k] - mx);
    const lse = mx + Math.log(se);
    loss -= logits[n * K + labels[n]] - lse;
    for (let k = 0; k < K; k++) dlogits[n * K + k] = Math.exp(logits[n * K + k] - lse) / N;
    dlogits[n * K + labels[n]] -= 1 / N;
  }
  return { loss: loss / N, dlogits };
}

/** One bias-corrected Adam step (t is 1-based) on every array of `params`, in place. */
export function adamStep(params, grads, m, v, t, { lr, beta1, beta2, eps }) {
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  for (const k of Object.keys(params)) {
    const p = params[k],
      g = grads[k],
      mk = m[k],
      vk = v[k];
    for (let i = 0; i < p.length; i++) {
      mk[i] = beta1 * mk[i] + (1 - beta1) * g[i];
      vk[i] = beta2 * vk[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= (lr * (mk[i] / bc1)) / (Math.sqrt(vk[i] / bc2) + eps);
    }
  }
}

/**
 * A float64 trainer around `lossAndGrads(params, ...batch) -> { loss, grads }`: `step(...batch)`
 * returns the loss before the update, then takes one Adam step, as a contender's trainStep does.
 * `minRelGrad[k][i]` is the smallest |g_i| / rms(g_k) seen over the steps: a component that small
 * next to the rest of its array may come out with the other sign in float32, and Adam's first
 * steps move a parameter by about ±lr whatever its gradient's size, so the check treats those
 * components separately (see lib/train-bench.mjs).
 */
export function makeTrainer(init, hp, lossAndGrads) {
  const params = {};
  const m = {};
  const v = {};
  const minRelGrad = {};
  for (const k of Object.keys(init)) {
    params[k] = Float64Array.from(init[k]);
    m[k] = new Float64Array(init[k].length);
    v[k] = new Float64Array(init[k].length);
    minRelGrad[k] = new Float64Array(init[k].length).fill(Infinity);
  }
  let t = 0;
  return {
    params,
    minRelGrad,
    step(...batch) {
      const { loss, grads } = lossAndGrads(params, ...batch);
      for (const k of Object.keys(grads)) {
        const g = grads[k];
        let ss = 0;
        for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
        const rms = Math.sqrt(ss / g.length);
        const seen = minRelGrad[k];
        for (let i = 0; i < g.length; i++) seen[i] = Math.min(seen[i], rms > 0 ? Math.abs(g[i]) / rms : 0);
      }
      adamStep(params, grads, m, v, ++t, hp);
      return loss;
    },
  };
}
