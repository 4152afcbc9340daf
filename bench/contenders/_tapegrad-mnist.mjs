// Workload B (mnistMlp) for the tapegrad contender: a 784-128-10 ReLU MLP built from nn.MLP,
// trained PyTorch style through the tape (forward, crossEntropy, backward, Adam attached to the
// module's parameters). The harness' initial weights are loaded with loadStateDict, so every
// contender starts from the same point; inputs are wrapped as tensors without copying.
// Imported by ./tapegrad.mjs; uses the built library (npx tsc -p tsconfig.build.json).
import { Tensor, noGrad } from '../../dist/src/index.js';
import * as nn from '../../dist/src/nn/index.js';
import { adam } from '../../dist/optimizers/index.js';

function create({ sizes, init, lr, beta1, beta2, eps }) {
  const [nin, nh, nout] = sizes;
  const net = new nn.MLP(sizes, { activation: 'relu' });
  net.loadStateDict({
    'layers.0.weight': { shape: [nin, nh], data: init.W1 },
    'layers.0.bias': { shape: [nh], data: init.b1 },
    'layers.1.weight': { shape: [nh, nout], data: init.W2 },
    'layers.1.bias': { shape: [nout], data: init.b2 },
  });
  const opt = adam(lr, beta1, beta2, eps).attach(net.parameters());
  return {
    note: 'nn.MLP + nn.crossEntropy + loss.backward() + adam(...).attach(net.parameters()); no dispose calls',
    trainStep(x, y, labels, bs, wantLoss) {
      const logits = net.forward(new Tensor(x, [bs, nin]));
      const loss = nn.crossEntropy(logits, labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return wantLoss ? loss.item() : undefined;
    },
    predict(X, n) {
      const out = new Int32Array(n);
      const chunk = 500;
      for (let s = 0; s < n; s += chunk) {
        const m = Math.min(chunk, n - s);
        const logits = noGrad(() => net.forward(new Tensor(X.subarray(s * nin, (s + m) * nin), [m, nin]))).data;
        for (let i = 0; i < m; i++) {
          let best = 0;
          for (let j = 1; j < nout; j++) if (logits[i * nout + j] > logits[i * nout + best]) best = j;
          out[s + i] = best;
        }
      }
      return out;
    },
  };
}

export const workload = { 'nn.MLP+adam.attach': { create } };
