// Workload F: one character-LSTM train step - vocabulary 30, embedding 16, one LSTM layer of 128,
// sequences of 32 characters, batch 32, trained with backpropagation through the whole sequence
// (softmax cross-entropy on every step's next character, mean over the 32·32 predictions) and Adam
// (lr 1e-3, β (0.9, 0.999), ε 1e-8). h₀ = c₀ = 0 for every sequence (no state carried over).
// Text: a seeded synthetic corpus (lib/corpus.mjs: pseudo-words over a-z, space, '.', ',', newline),
// so every contender sees the same batches; windows of 33 characters at seeded offsets.
//
//   ids [32, 32] → embedding [30, 16] → LSTM(16 → 128), PyTorch's cell (gates i, f, g, o)
//     → dense 128 → 30 + bias at every step → cross-entropy against the next character
//
// Adapter contract (contender.workloads.charLstm[variant]):
//   create({ vocab: 30, embed: 16, hidden: 128, seqLen: 32, batchSize: 32,
//            init: { embedding: Float32Array(30·16) [V, E],
//                    weightIh: Float32Array(512·16) [4H, E], weightHh: Float32Array(512·128) [4H, H],
//                    biasIh: Float32Array(512), biasHh: Float32Array(512)   (PyTorch nn.LSTM layout,
//                            gate blocks i, f, g, o; Keras' kernel = weightIhᵀ, bias = biasIh + biasHh),
//                    outW: Float32Array(128·30) row-major [in, out], outB: Float32Array(30) },
//            lr, beta1, beta2, eps }) -> model (may be async)
//   model.trainStep(batch, wantLoss, prepared?) -> mean loss before the update, if wantLoss
//     batch = { inputs: Int32Array(32·32) batch-major (inputs[b·T + t]), targets: Int32Array(32·32)
//               (the next character of each input), text: string[32] (each window as 33 characters) }
//   model.prepareBatch?(batch) -> prepared: UNTIMED conversion into the library's own data format,
//     done once per batch before anything is timed and passed back as trainStep's third argument
//   model.params() -> { embedding, weightIh, weightHh, biasIh, biasHh, outW, outB } in the layouts
//     above; model.stats?(), model.note?, model.dispose?()
//   model.differentModel?: string - set by a library that cannot express this model (brain.js'
//     recurrent.LSTM: its own cell, per-sequence RMSProp updates); the string says how it differs.
//     Such a contender is timed on the same batches but not verified, and its row says why.
//
// Verification (before timing): 3 steps from the shared init on batches 0, 1, 2 against the
// float64 reference (lib/lstm-reference.mjs): each returned loss within 1e-4·max(1, |ref|), and the
// parameters after the 3 steps within 1e-5 absolute (components with a tiny gradient within
// 2·lr·3; see lib/train-bench.mjs).
// Timing: the same model keeps training on batches 3, 4, … (cycling over 32 batches); the checked
// steps are the first warm-up, more follow while they fit in 1 s; then each step is timed alone,
// ≥ 3 steps and ≥ 5 s (quick: 2, 1.5 s); median ms/step and characters/s = 32·32 / step time.
import { runWorkload } from '../lib/runner.mjs';
import { sig, log, now, msSince } from '../lib/common.mjs';
import { syntheticText, encode, makeBatches, ALPHABET } from '../lib/corpus.mjs';
import { CHAR_LSTM, lstmInit, makeLstmReference } from '../lib/lstm-reference.mjs';
import { checkLosses, checkParams, logChecks, timeSteps, isMissingKernel, mergeSteps } from '../lib/train-bench.mjs';

async function runChild({ impl, params }) {
  const { verifySteps } = params;
  const ids = encode(syntheticText(params.corpusLength, params.corpusSeed));
  const batches = makeBatches(ids, CHAR_LSTM, params.batches, params.batchSeed);
  const init = lstmInit(CHAR_LSTM, params.initSeed);
  const hp = { lr: params.lr, beta1: params.beta1, beta2: params.beta2, eps: params.eps };
  const model = await impl.create({ ...CHAR_LSTM, init, ...hp });
  const prepared = model.prepareBatch ? await Promise.all(batches.map((b) => model.prepareBatch(b))) : [];
  const train = (b, wantLoss) => model.trainStep(batches[b], wantLoss, prepared[b]);
  const charsPerStep = CHAR_LSTM.batchSize * CHAR_LSTM.seqLen;

  // ---- verify ----
  let verified = null;
  let lossCheck;
  let paramCheck;
  let lastStepMs = 0;
  const timed = async (s, wantLoss) => {
    const t0 = now();
    const loss = await train(s, wantLoss);
    lastStepMs = msSince(t0);
    return loss;
  };
  try {
    if (model.differentModel) {
      for (let s = 0; s < verifySteps; s++) await timed(s, false); // same steps as the others, unchecked
    } else {
      const ref = makeLstmReference(CHAR_LSTM, init, hp);
      const losses = [];
      const refLosses = [];
      for (let s = 0; s < verifySteps; s++) {
        refLosses.push(ref.step(batches[s].inputs, batches[s].targets));
        losses.push(await timed(s, true));
      }
      lossCheck = checkLosses(losses, refLosses, params.lossRelTol);
      paramCheck = checkParams(await model.params(), ref, {
        tol: params.paramTol,
        looseTol: 2 * hp.lr * verifySteps,
        gradFloor: params.gradFloor,
      });
      verified = lossCheck.ok && paramCheck.ok;
      logChecks(lossCheck, paramCheck);
    }
  } catch (e) {
    if (isMissingKernel(e)) return { unsupported: String(e.message ?? e).split('\n')[0] };
    throw e;
  }

  // ---- time ----
  const statsBefore = model.stats ? await model.stats() : undefined;
  const t = await timeSteps((k) => train((verifySteps + k) % params.batches, false), params.timing, lastStepMs);
  const statsAfter = model.stats ? await model.stats() : undefined;
  if (model.dispose) await model.dispose();
  log(`  ${t.msPerStep} ms/step (${t.timedSteps} steps)`);
  return {
    note: model.note,
    differentModel: model.differentModel,
    ...t,
    charsPerStep,
    charsPerSec: sig((charsPerStep * 1000) / t.msPerStep),
    verified,
    lossCheck,
    paramCheck,
    statsBefore,
    statsAfter,
  };
}

await runWorkload({
  id: 'F',
  key: 'charLstm',
  title: 'Character-LSTM train step: vocab 30, embed 16, hidden 128, seq 32, batch 32, BPTT + Adam',
  timeoutS: 1200,
  rounds: 2,
  longChildS: 120,
  merge: mergeSteps,
  params: (quick) => ({
    ...CHAR_LSTM,
    alphabet: ALPHABET,
    corpus: 'synthetic (lib/corpus.mjs): seeded pseudo-words, Zipf-like frequencies, sentences and lines',
    corpusLength: 200000,
    corpusSeed: 2024,
    batches: 32,
    batchSeed: 7,
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
