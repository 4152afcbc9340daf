// Workload E (the mnist-core CNN train step) for the tapegrad contender (see tapegrad.mjs). It needs
// conv2d and maxPool2d (NCHW, PyTorch's argument names and weight layout [O, C, kH, kW]); a build
// without them is reported as an error for this workload, and every other workload still runs.
// The net is written with ops rather than layers so the harness' initial weights load as they are:
//   maxPool2d(relu(conv2d(x, w1, undefined, { stride: 1, padding: 2 })), 2, { stride: 2 }), twice,
//   then reshape to [N, 784] (NCHW flatten, the workload's dense-row order), matmul + bias,
//   crossEntropy, loss.backward(), adam(...).attach. Uses the built library (npm run build).
import * as tg from '../../dist/src/index.js';
import { adam } from '../../dist/optimizers/index.js';

function create({ imageSize: S, kernel: K, padding: P, channels: [c0, c1, c2], classes, init, lr, beta1, beta2, eps }) {
  const missing = ['conv2d', 'maxPool2d'].filter((name) => typeof tg[name] !== 'function');
  if (missing.length) {
    throw new Error(
      `tapegrad has no ${missing.join(' and no ')} in this build (not exported by dist/src/index.js); ` +
        'workload E needs conv2d(x, w, bias?, { stride, padding }) and maxPool2d(x, kernelSize, { stride })',
    );
  }
  const param = (data, shape) => tg.tensor(data, { shape, requiresGrad: true });
  const flat = c2 * (S / 4) ** 2;
  const p = {
    conv1: param(init.conv1, [c1, c0, K, K]),
    conv2: param(init.conv2, [c2, c1, K, K]),
    fc: param(init.fc, [flat, classes]),
    fcBias: param(init.fcBias, [classes]),
  };
  const opt = adam(lr, beta1, beta2, eps).attach(p);
  const block = (x, w) =>
    tg.maxPool2d(tg.relu(tg.conv2d(x, w, undefined, { stride: 1, padding: P })), 2, { stride: 2 });
  return {
    note: 'conv2d + relu + maxPool2d (×2), reshape, matmul + bias, crossEntropy, loss.backward(), adam(...).attach',
    trainStep(x, y, labels, bs, wantLoss) {
      const h = block(block(new tg.Tensor(x, [bs, c0, S, S]), p.conv1), p.conv2);
      const logits = tg.matmul(tg.reshape(h, [bs, flat]), p.fc).add(p.fcBias);
      const loss = tg.crossEntropy(logits, labels);
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

export const workload = { 'conv2d + maxPool2d + adam.attach': { create } };
