// tapegrad as a contender of the peer benchmark (bench/README.md).
// Each workload lives in its own `_tapegrad-*.mjs` file (a leading `_` keeps the harness from
// treating it as a contender); this file only puts them together.
// Run: npm run bench   (builds dist/ first; the contender imports the built library)
import { createRequire } from 'node:module';
import { workload as adam } from './_tapegrad-adam.mjs';
import { workload as mnistMlp } from './_tapegrad-mnist.mjs';
import { workload as scalarMlp } from './_tapegrad-scalar.mjs';
import { workload as matmul } from './_tapegrad-matmul.mjs';
import { workload as mnistCnn } from './_tapegrad-cnn.mjs';
import { workload as charLstm } from './_tapegrad-lstm.mjs';

const pkg = createRequire(import.meta.url)('../../package.json');

export const info = { library: 'tapegrad', version: pkg.version, backend: 'cpu' };

export async function setup() {
  return { backend: 'cpu' };
}

export const workloads = { adam, mnistMlp, scalarMlp, matmul, mnistCnn, charLstm };
