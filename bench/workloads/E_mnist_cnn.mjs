// Workload E: one CNN train step - the tfjs-examples "mnist-core" net on a batch of 64 real MNIST
// digits (the same `mnist` package and 8000/2000 split as B), forward + backward + Adam.
//
//   x [64, 1, 28, 28] → conv 5×5, 1→8, stride 1, 'same' padding (2), no bias → relu → max-pool 2×2/2
//     → conv 5×5, 8→16, stride 1, 'same', no bias → relu → max-pool 2×2/2 → flatten (16·7·7 = 784)
//     → dense 784→10 + bias → mean softmax cross-entropy;  Adam lr 1e-3, β (0.9, 0.999), ε 1e-8.
// As in mnist-core/model.js: 'same' convolutions without bias, pools with stride 2 and no padding,
// init N(0, 0.1²) for the convs and N(0, 1/784) for the dense weight, zero dense bias (seeded here,
// so every contender starts from the same numbers). mnist-core trains with SGD 0.1; E uses Adam,
// like A and B.
//
// Adapter contract (contender.workloads.mnistCnn[variant]):
//   create({ imageSize: 28, kernel: 5, padding: 2, channels: [1, 8, 16], classes: 10, batchSize: 64,
//            init: { conv1: Float32Array(8·1·5·5)  [O, C, kH, kW] (PyTorch layout),
//                    conv2: Float32Array(16·8·5·5) [O, C, kH, kW],
//                    fc: Float32Array(784·10) row-major [in, out], input index c·49 + h·7 + w
//                        (the NCHW flatten; an NHWC library permutes the rows),
//                    fcBias: Float32Array(10) },
//            lr, beta1, beta2, eps }) -> model (may be async)
//   model.trainStep(x: Float32Array(bs·784) (row n = one 28×28 digit, row-major, pixels in [0, 1];
//                   the same bytes as NCHW with C = 1 and as NHWC), y: Float32Array(bs·10) one-hot,
//                   labels: Int32Array(bs), bs, wantLoss) -> mean loss before the update, if wantLoss
//   model.params() -> { conv1, conv2, fc, fcBias } in the layouts above (Float32Array|Float64Array)
//   model.stats?() -> { numTensors?, ... } (before and after timing: must stay flat)
//   model.note?, model.dispose?()
// A backend that lacks a kernel the step needs (tfjs-wasm has no Conv2DBackpropFilter, tfjs #8474)
// throws; its error is reported as "unsupported" with the message, and the run goes on.
//
// Verification (before timing): 3 steps from the shared init on batches 0, 1, 2 against the
// float64 reference (lib/cnn-reference.mjs): each returned loss within 1e-4·max(1, |ref|), and the
// parameters after the 3 steps within 1e-5 absolute (components with a tiny gradient, which may
// step the other way in float32, within 2·lr·3; see lib/train-bench.mjs).
// Timing: the same model keeps training on batches 3, 4, … (cycling over the first 32 batches of
// B's epoch-1 order); the checked steps are the first warm-up, more follow while they fit in 1 s;
// then each step is timed alone, ≥ 3 steps and ≥ 5 s (quick: 2, 1.5 s); median ms/step, images/s.
import { runWorkload } from '../lib/runner.mjs';
import { sig, log, now, msSince, permutation } from '../lib/common.mjs';
import { loadMnist, reorder } from '../lib/mnist.mjs';
import { MNIST_CORE, cnnInit, makeCnnReference } from '../lib/cnn-reference.mjs';
import { checkLosses, checkParams, logChecks, timeSteps, isMissingKernel, mergeSteps } from '../lib/train-bench.mjs';

async function runChild({ impl, params }) {
  const { batchSize: bs, verifySteps } = params;
  const data = loadMnist({ nTrain: params.nTrain, nTest: params.nTest, seed: params.dataSeed });
  const order = reorder(data.train, permutation(params.nTrain, params.orderSeed));
  const batches = [];
  for (let b = 0; b < params.batches; b++) {
    batches.push({
      x: order.X.slice(b * bs * 784, (b + 1) * bs * 784),
      y: order.Y.slice(b * bs * 10, (b + 1) * bs * 10),
      labels: order.labels.slice(b * bs, (b + 1) * bs),
    });
  }
  const init = cnnInit(MNIST_CORE, params.initSeed);
  const hp = { lr: params.lr, beta1: params.beta1, beta2: params.beta2, eps: params.eps };
  const model = await impl.create({ ...MNIST_CORE, padding: 2, batchSize: bs, init, ...hp });
  const train = (b, wantLoss) => model.trainStep(batches[b].x, batches[b].y, batches[b].labels, bs, wantLoss);

  // ---- verify ----
  const ref = makeCnnReference(MNIST_CORE, init, hp);
  const losses = [];
  const refLosses = [];
  let lastStepMs = 0;
  try {
    for (let s = 0; s < verifySteps; s++) {
      refLosses.push(ref.step(batches[s].x, batches[s].labels, bs));
      const t0 = now();
      losses.push(await train(s, true));
      lastStepMs = msSince(t0);
    }
  } catch (e) {
    if (isMissingKernel(e)) return { unsupported: String(e.message ?? e).split('\n')[0] };
    throw e;
  }
  const lossCheck = checkLosses(losses, refLosses, params.lossRelTol);
  const paramCheck = checkParams(await model.params(), ref, {
    tol: params.paramTol,
    looseTol: 2 * hp.lr * verifySteps,
    gradFloor: params.gradFloor,
  });
  const verified = lossCheck.ok && paramCheck.ok;
  logChecks(lossCheck, paramCheck);

  // ---- time ----
  const statsBefore = model.stats ? await model.stats() : undefined;
  const t = await timeSteps((k) => train((verifySteps + k) % params.batches, false), params.timing, lastStepMs);
  const statsAfter = model.stats ? await model.stats() : undefined;
  if (model.dispose) await model.dispose();
  log(`  ${t.msPerStep} ms/step (${t.timedSteps} steps)`);
  return {
    note: model.note,
    ...t,
    imagesPerSec: sig((bs * 1000) / t.msPerStep),
    verified,
    lossCheck,
    paramCheck,
    statsBefore,
    statsAfter,
  };
}

await runWorkload({
  id: 'E',
  key: 'mnistCnn',
  title: 'CNN train step: mnist-core net (conv5x5x8, pool, conv5x5x16, pool, dense 10), batch 64, Adam',
  timeoutS: 1200,
  rounds: 2,
  longChildS: 120,
  merge: mergeSteps,
  params: (quick) => ({
    net: 'mnist-core: conv 5x5 1->8 same, relu, maxpool 2/2, conv 5x5 8->16 same, relu, maxpool 2/2, dense 784->10',
    ...MNIST_CORE,
    padding: 2,
    batchSize: 64,
    nTrain: 8000,
    nTest: 2000,
    dataSeed: 1234, // B's split
    orderSeed: 1001, // B's epoch-1 order (epochSeed 1000 + 1)
    batches: 32,
    initSeed: 42,
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    verifySteps: 3,
    lossRelTol: 1e-4,
    paramTol: 1e-5,
    gradFloor: 1e-3,
    // the checked steps are the first warm-up; more follow while they fit in warmupMs
    timing: quick
      ? { warmupMs: 300, minSteps: 2, minMs: 1500, maxSteps: 50 }
      : { warmupMs: 1000, minSteps: 3, minMs: 5000, maxSteps: 300 },
  }),
  runChild,
});
