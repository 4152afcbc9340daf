// Workload E's float64 reference: the tfjs-examples "mnist-core" CNN, forward and backward written
// out by hand, plus the Adam step, so that every contender's train step can be checked against it.
//
//   x [N, C0, S, S] → conv K×K (C0→C1, stride 1, 'same' zero padding P = (K−1)/2, no bias) → relu
//     → max-pool 2×2 stride 2 → conv K×K (C1→C2, same) → relu → max-pool 2×2 stride 2
//     → flatten (NCHW order: c, h, w) → dense [C2·(S/4)², classes] + bias → mean softmax cross-entropy
//
// Layouts (the workload's canonical ones): conv weights [O, C, kH, kW] (PyTorch), the dense weight
// row-major [in, out] with input index c·(S/4)² + h·(S/4) + w. Everything here is Float64Array.
// Written for clarity, not speed (one 64-image step takes well under a second).
import { makeTrainer, normalStream, softmaxCrossEntropy } from './nn-reference.mjs';

/** E's sizes: mnist-core (28×28 digits, 5×5 kernels, 8 and 16 channels, 10 classes). */
export const MNIST_CORE = Object.freeze({ imageSize: 28, kernel: 5, channels: [1, 8, 16], classes: 10 });

/** Number of inputs of the dense layer: C2 · (S/4)². */
export const cnnFlatSize = (spec) => spec.channels[2] * (spec.imageSize / 4) ** 2;

/**
 * mnist-core's initialisation, seeded: conv weights N(0, 0.1²), dense weight N(0, 1/in), dense bias 0
 * (tfjs-examples/mnist-core/model.js uses tf.randomNormal with these deviations). Values are rounded
 * to float32 so float32 and float64 contenders start from the same numbers.
 * @returns {{conv1: Float32Array, conv2: Float32Array, fc: Float32Array, fcBias: Float32Array}}
 */
export function cnnInit(spec, seed) {
  const {
    kernel: K,
    channels: [c0, c1, c2],
    classes,
  } = spec;
  const nrm = normalStream(seed);
  const fill = (n, sd) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = sd * nrm();
    return a;
  };
  const flat = cnnFlatSize(spec);
  return {
    conv1: fill(c1 * c0 * K * K, 0.1),
    conv2: fill(c2 * c1 * K * K, 0.1),
    fc: fill(flat * classes, 1 / Math.sqrt(flat)),
    fcBias: new Float32Array(classes),
  };
}

// ---------------- the layers (stride 1, zero padding P, square images) ----------------

/** out[n,o,i,j] = Σ_c,kh,kw w[o,c,kh,kw] · x[n,c,i+kh−P,j+kw−P] (zero outside); out is [N,O,S,S]. */
export function conv2dForward(x, w, N, C, S, O, K, P) {
  const out = new Float64Array(N * O * S * S);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const ob = (n * O + o) * S * S;
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * S * S;
        for (let kh = 0; kh < K; kh++)
          for (let kw = 0; kw < K; kw++) {
            const wv = w[((o * C + c) * K + kh) * K + kw];
            const dy = kh - P;
            const dx = kw - P;
            // output rows/columns whose input pixel (i+dy, j+dx) lies inside the image
            const i0 = Math.max(0, -dy),
              i1 = Math.min(S, S - dy);
            const j0 = Math.max(0, -dx),
              j1 = Math.min(S, S - dx);
            for (let i = i0; i < i1; i++) {
              const orow = ob + i * S;
              const xrow = xb + (i + dy) * S + dx;
              for (let j = j0; j < j1; j++) out[orow + j] += wv * x[xrow + j];
            }
          }
      }
    }
  return out;
}

/**
 * Backward of conv2dForward for the upstream gradient g [N,O,S,S]:
 *   dw[o,c,kh,kw] = Σ_n,i,j g[n,o,i,j] · x[n,c,i+kh−P,j+kw−P]
 *   dx[n,c,y,z]  = Σ_o,kh,kw g[n,o,y−kh+P,z−kw+P] · w[o,c,kh,kw]   (only when wantDx)
 */
export function conv2dBackward(g, x, w, N, C, S, O, K, P, wantDx) {
  const dw = new Float64Array(O * C * K * K);
  const dx = wantDx ? new Float64Array(N * C * S * S) : null;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const gb = (n * O + o) * S * S;
      for (let c = 0; c < C; c++) {
        const xb = (n * C + c) * S * S;
        for (let kh = 0; kh < K; kh++)
          for (let kw = 0; kw < K; kw++) {
            const wi = ((o * C + c) * K + kh) * K + kw;
            const wv = w[wi];
            const dy = kh - P;
            const ddx = kw - P;
            const i0 = Math.max(0, -dy),
              i1 = Math.min(S, S - dy);
            const j0 = Math.max(0, -ddx),
              j1 = Math.min(S, S - ddx);
            let acc = 0;
            for (let i = i0; i < i1; i++) {
              const grow = gb + i * S;
              const xrow = xb + (i + dy) * S + ddx;
              for (let j = j0; j < j1; j++) {
                acc += g[grow + j] * x[xrow + j];
                if (dx) dx[xrow + j] += wv * g[grow + j];
              }
            }
            dw[wi] += acc;
          }
      }
    }
  return { dw, dx };
}

/** 2×2 max-pool, stride 2, on [N·C, S, S] planes; arg[p] = index into x of the window's first max. */
export function maxPool2Forward(x, NC, S) {
  const T = S >> 1;
  const out = new Float64Array(NC * T * T);
  const arg = new Int32Array(NC * T * T);
  for (let p = 0; p < NC; p++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < T; j++) {
        let best = -Infinity;
        let at = -1;
        for (let a = 0; a < 2; a++)
          for (let b = 0; b < 2; b++) {
            const k = (p * S + 2 * i + a) * S + 2 * j + b;
            if (x[k] > best) {
              best = x[k];
              at = k;
            }
          }
        const o = (p * T + i) * T + j;
        out[o] = best;
        arg[o] = at;
      }
  return { out, arg };
}

/** Backward of maxPool2Forward: each output's gradient goes to its window's argmax. */
export function maxPool2Backward(g, arg, inputSize) {
  const dx = new Float64Array(inputSize);
  for (let o = 0; o < g.length; o++) dx[arg[o]] += g[o];
  return dx;
}

/** Loss and gradients of every parameter for one batch; params as Float64Arrays (or any arrays). */
export function cnnLossAndGrads(spec, params, x, labels, N) {
  const {
    imageSize: S,
    kernel: K,
    channels: [c0, c1, c2],
    classes,
  } = spec;
  const P = (K - 1) >> 1;
  const S2 = S >> 1,
    S4 = S >> 2;
  const flat = c2 * S4 * S4;
  // forward
  const a1 = conv2dForward(x, params.conv1, N, c0, S, c1, K, P);
  const r1 = a1.map((v) => (v > 0 ? v : 0));
  const p1 = maxPool2Forward(r1, N * c1, S);
  const a2 = conv2dForward(p1.out, params.conv2, N, c1, S2, c2, K, P);
  const r2 = a2.map((v) => (v > 0 ? v : 0));
  const p2 = maxPool2Forward(r2, N * c2, S2); // p2.out is [N, flat] in NCHW order
  const logits = new Float64Array(N * classes);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < classes; k++) {
      let s = params.fcBias[k];
      for (let f = 0; f < flat; f++) s += p2.out[n * flat + f] * params.fc[f * classes + k];
      logits[n * classes + k] = s;
    }
  const { loss, dlogits } = softmaxCrossEntropy(logits, labels, N, classes);
  // backward
  const fc = new Float64Array(flat * classes);
  const fcBias = new Float64Array(classes);
  const dflat = new Float64Array(N * flat);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < classes; k++) {
      const d = dlogits[n * classes + k];
      fcBias[k] += d;
      for (let f = 0; f < flat; f++) {
        fc[f * classes + k] += p2.out[n * flat + f] * d;
        dflat[n * flat + f] += params.fc[f * classes + k] * d;
      }
    }
  const dr2 = maxPool2Backward(dflat, p2.arg, a2.length);
  for (let i = 0; i < dr2.length; i++) if (!(a2[i] > 0)) dr2[i] = 0;
  const g2 = conv2dBackward(dr2, p1.out, params.conv2, N, c1, S2, c2, K, P, true);
  const dr1 = maxPool2Backward(g2.dx, p1.arg, a1.length);
  for (let i = 0; i < dr1.length; i++) if (!(a1[i] > 0)) dr1[i] = 0;
  const g1 = conv2dBackward(dr1, x, params.conv1, N, c0, S, c1, K, P, false);
  return { loss, logits, grads: { conv1: g1.dw, conv2: g2.dw, fc, fcBias } };
}

/** A float64 model of workload E that trains like a contender (see nn-reference.mjs' makeTrainer). */
export function makeCnnReference(spec, init, hp) {
  return makeTrainer(init, hp, (params, x, labels, N) => cnnLossAndGrads(spec, params, x, labels, N));
}
