#!/usr/bin/env node
// `npm run bench:backends`: Adam-step throughput of every backend available here, in Node and in
// headless Chromium (WebGL2), for N = 1e3 … 4e6 float32 parameters. Each step is the real thing
// an optimizer does: upload of the host arrays, the kernels, readback into the host arrays.
//
// The arrays are allocated as the optimizer lifter allocates a state (calibrate.ts `adamArrays`
// with cpu.ts `allocateFloat32Group`: one WebAssembly memory), so the CPU column times the tier
// an optimizer state runs — the WebAssembly SIMD kernel where the engine has it (Node 20,
// Chromium). A second CPU column times the same rules on plain Float32Arrays, i.e. the fused
// JavaScript loop, for comparison; the bench checks which tier each CPU column actually ran
// (cpu.ts `lastCpuTier`).
//
// Writes the tables into docs/backends.md (between the bench:backends markers) with the machine
// they came from, and checks that `auto` picks, at every size, the backend that measured fastest
// among those it may pick (cpu as an optimizer state runs it, or gpu.js on a GPU context).
//
// Usage: node bench/backends.mjs [--quick] [--no-browser] [--no-docs]
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'node_modules', '.cache', 'tapegrad-bench');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const SIZES = QUICK ? [1e3, 1e5, 1e6] : [1e3, 1e4, 1e5, 3e5, 1e6, 4e6];
/** Per cell: at least MIN_REPS timed steps and MIN_MS of timing (after a warm-up), at most MAX_REPS. */
const MIN_REPS = 5,
  MAX_REPS = 60,
  MIN_MS = QUICK ? 150 : 400;

// The benchmark core, shared by Node and the browser page: it times `elementwise` of the Adam
// rules (src/backends/calibrate.ts) on a list of backends and returns rows.
const BENCH_CORE = `
export { cpu, lastCpuTier } from ${JSON.stringify(join(root, 'src/backends/cpu.ts'))}
import { allocateFloat32Group, cpu, lastCpuTier } from ${JSON.stringify(join(root, 'src/backends/cpu.ts'))}
export { gpujs, loadGpujs } from ${JSON.stringify(join(root, 'src/backends/gpujs.ts'))}
export { setBackend, getBackend, getActiveBackend } from ${JSON.stringify(join(root, 'src/backends/index.ts'))}
import { ADAM_RULES, adamArrays, adamScalars } from ${JSON.stringify(join(root, 'src/backends/calibrate.ts'))}
const now = () => performance.now()
/** opts.plain: copy the state into plain Float32Arrays (the CPU then runs its JavaScript loop). */
export function timeStep(backend, n, opts) {
  let arrays = adamArrays(n, allocateFloat32Group)
  if (opts.plain) arrays = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, a.slice()]))
  backend.elementwise(ADAM_RULES, arrays, adamScalars(0), n) // warm-up: compiles kernels
  // Browsers round performance.now() (to 0.1 ms in Chromium here, with jitter): time batches
  // of steps that take ≥ 5 ms each — the batch doubles until one does — and report the median
  // per step. (Sizing the batch from one timed step failed: a 6 µs step can read as 0 ms.)
  let t0, batch = 1
  for (;;) {
    t0 = now()
    for (let b = 0; b < batch; b++) backend.elementwise(ADAM_RULES, arrays, adamScalars(1 + b), n)
    if (now() - t0 >= 5 || batch >= 1 << 16) break
    batch *= 2
  }
  const times = []
  let total = 0
  for (let r = 0; r < opts.maxReps && (r < opts.minReps || total < opts.minMs); r++) {
    t0 = now()
    for (let b = 0; b < batch; b++) backend.elementwise(ADAM_RULES, arrays, adamScalars(2 + b), n)
    const dt = now() - t0
    times.push(dt / batch)
    total += dt
    if (total > opts.capMs) break
  }
  times.sort((a, b) => a - b)
  return { ms: times[times.length >> 1], reps: times.length * batch, tier: backend === cpu ? lastCpuTier() : null }
}
`;

async function bundle(platform) {
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(work, 'core.ts'), BENCH_CORE);
  const outfile = join(work, `core-${platform}.js`);
  await build({
    entryPoints: [join(work, 'core.ts')],
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    outfile,
    external: ['gpu.js'],
    logLevel: 'error',
  });
  return outfile;
}

/** The two CPU columns: what an optimizer state runs, and the JavaScript loop for comparison. */
const CPU_STATE = 'cpu SIMD (state arrays)';
const CPU_PLAIN = 'cpu JS loop (plain arrays)';
/** The tier each CPU column must have run (cpu.ts lastCpuTier); the bench fails otherwise. */
const EXPECTED_TIER = { [CPU_STATE]: 'simd', [CPU_PLAIN]: 'js' };

const fmtN = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
const fmtRate = (n, ms) => `${(n / ms / 1e3).toFixed(n / ms / 1e3 >= 10 ? 0 : 1)}`;

async function benchNode() {
  const core = await import(pathToFileURL(await bundle('node')).href);
  const contenders = [
    [CPU_STATE, core.cpu, 'cpu'],
    [CPU_PLAIN, core.cpu, 'cpu-js', { plain: true }],
  ];
  const skipped = [];
  for (const mode of ['cpu', 'webasm', 'headlessgl']) {
    for (const strategy of mode === 'headlessgl' ? ['pipeline', 'kernels'] : ['kernels', 'pipeline']) {
      try {
        const be = await core.loadGpujs({ mode, strategy });
        contenders.push([`gpujs/${mode} ${strategy}`, be, mode]);
      } catch (e) {
        if (strategy === 'kernels' || mode === 'headlessgl') skipped.push(`gpujs/${mode}: ${e.message.split('\n')[0]}`);
        break;
      }
    }
  }
  const rows = [];
  for (const n of SIZES) {
    const row = { n, cells: {} };
    for (const [name, be, , extra] of contenders) {
      // gpu.js 'cpu' mode at 4M takes seconds per step: cap the time, not the sizes.
      row.cells[name] = core.timeStep(be, n, {
        minReps: MIN_REPS,
        maxReps: MAX_REPS,
        minMs: MIN_MS,
        capMs: 4000,
        ...extra,
      });
    }
    rows.push(row);
    console.log(
      `node  N=${fmtN(n).padStart(5)}  ` +
        contenders.map(([name]) => `${name}: ${row.cells[name].ms.toFixed(3)} ms`).join('  |  '),
    );
  }
  const auto = await core.setBackend('auto');
  const autoChoice = (n) => (core.getActiveBackend(n).name === 'cpu' ? CPU_STATE : null);
  await core.setBackend('cpu');
  return {
    where: 'node',
    contenders: contenders.map(([n, , m]) => [n, m]),
    skipped,
    rows,
    auto,
    autoChoice: SIZES.map((n) => autoChoice(n) ?? core.getActiveBackend(n).name),
  };
}

async function benchBrowser() {
  const { launchChromium, serve } = await import(pathToFileURL(join(root, 'scripts', 'serve.mjs')).href);
  const coreFile = await bundle('browser');
  const page = `<!doctype html><meta charset="utf-8"><script src="/gpu-browser.min.js"></script><script type="module">
import * as core from '/core.js'
const SIZES = ${JSON.stringify(SIZES)}
const opts = ${JSON.stringify({ minReps: MIN_REPS, maxReps: MAX_REPS, minMs: MIN_MS, capMs: 6000 })}
async function run() {
  const contenders = [[${JSON.stringify(CPU_STATE)}, core.cpu, 'cpu'], [${JSON.stringify(CPU_PLAIN)}, core.cpu, 'cpu-js', { plain: true }]]
  const skipped = []
  for (const [mode, strategies] of [['webgl2', ['pipeline', 'kernels']], ['webgl', ['kernels']], ['webasm', ['kernels']]]) {
    for (const strategy of strategies) {
      try {
        const be = core.gpujs({ gpu: new GPU({ mode }), strategy })
        be.elementwise([], {}, {}, 0)
        contenders.push(['gpujs/' + mode + ' ' + strategy, be, mode])
      } catch (e) { skipped.push('gpujs/' + mode + ': ' + e.message) }
    }
  }
  const rows = []
  for (const n of SIZES) {
    const row = { n, cells: {} }
    for (const [name, be, , extra] of contenders) row.cells[name] = core.timeStep(be, n, { ...opts, ...extra })
    rows.push(row)
    await new Promise((r) => setTimeout(r, 0))
  }
  const renderer = contenders.find(([, be]) => be.isGpu)?.[1].renderer() ?? ''
  const t0 = performance.now()
  const auto = await core.setBackend('auto', { gpu: new GPU({ mode: 'webgl2' }), recalibrate: true })
  const calibrationMs = performance.now() - t0
  const autoChoice = SIZES.map((n) => { const b = core.getActiveBackend(n); return b.name === 'cpu' ? ${JSON.stringify(CPU_STATE)} : b.name + ' ' + b.strategy })
  return { where: 'chromium', contenders: contenders.map(([n, , m]) => [n, m]), skipped, rows, auto: { ...auto }, autoChoice, renderer, calibrationMs, userAgent: navigator.userAgent }
}
run().then((r) => { window.__bench = r }, (e) => { window.__bench = { error: String(e && e.stack || e) } })
</script>`;
  const server = await serve({
    '/index.html': { body: page },
    '/favicon.ico': { body: '', type: 'image/x-icon' },
    '/core.js': coreFile,
    '/gpu-browser.min.js': join(root, 'node_modules', 'gpu.js', 'dist', 'gpu-browser.min.js'),
  });
  const browser = await launchChromium();
  try {
    const p = await browser.newPage();
    await p.goto(`${server.url}/index.html`);
    await p.waitForFunction(() => window.__bench !== undefined, null, { timeout: 590_000, polling: 500 });
    const result = await p.evaluate(() => window.__bench);
    if (result.error) throw new Error(result.error);
    result.version = browser.version();
    for (const row of result.rows) {
      console.log(
        `chromium N=${fmtN(row.n).padStart(5)}  ` +
          result.contenders.map(([name]) => `${name}: ${row.cells[name].ms.toFixed(3)} ms`).join('  |  '),
      );
    }
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Markdown table: M params/s per backend, the fastest in bold, and auto's pick. */
function table(result) {
  const names = result.contenders.map(([n]) => n);
  const lines = [`| N | ${names.join(' | ')} | auto picks |`, `|---:|${names.map(() => '---:').join('|')}|---|`];
  const violations = [];
  result.rows.forEach((row, k) => {
    const best = names.reduce((a, b) => (row.cells[b].ms < row.cells[a].ms ? b : a));
    const cells = names.map((name) => {
      const c = row.cells[name];
      const s = `${fmtRate(row.n, c.ms)} (${c.ms < 1 ? c.ms.toFixed(3) : c.ms.toFixed(1)} ms)`;
      return name === best ? `**${s}**` : s;
    });
    for (const [name, tier] of Object.entries(EXPECTED_TIER)) {
      if (row.cells[name] && row.cells[name].tier !== tier)
        violations.push(
          `${result.where} N=${fmtN(row.n)}: column '${name}' ran the CPU tier '${row.cells[name].tier}', not '${tier}'`,
        );
    }
    const pick = result.autoChoice[k];
    lines.push(`| ${fmtN(row.n)} | ${cells.join(' | ')} | ${pick} |`);
    // auto may pick cpu (as an optimizer state runs it: the state-arrays column) or gpu.js on a
    // GPU context (never gpu.js cpu/webasm): among those it may pick, the one it picks must not
    // have measured slower than another.
    const allowed = result.contenders
      .filter(([, mode]) => mode === 'cpu' || ['webgl2', 'webgl', 'headlessgl'].includes(mode))
      .map(([n]) => n);
    const pickName = names.find((n) => n === pick) ?? names.find((n) => n.startsWith(pick.split(' ')[0])) ?? pick;
    const bestAllowed = allowed.reduce((a, b) => (row.cells[b].ms < row.cells[a].ms ? b : a));
    if (row.cells[pickName] && row.cells[pickName].ms > row.cells[bestAllowed].ms * 1.1) {
      violations.push(
        `${result.where} N=${fmtN(row.n)}: auto picks ${pickName} (${row.cells[pickName].ms.toFixed(3)} ms) but ${bestAllowed} measured ${row.cells[bestAllowed].ms.toFixed(3)} ms`,
      );
    }
  });
  return { md: lines.join('\n'), violations };
}

async function main() {
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, gpu.js ${JSON.parse(readFileSync(join(root, 'node_modules/gpu.js/package.json'), 'utf8')).version}`;
  console.log(`machine: ${machine}`);
  const node = await benchNode();
  const results = [node];
  if (!args.has('--no-browser')) {
    try {
      results.push(await benchBrowser());
    } catch (e) {
      console.log(`chromium part skipped: ${e.message.split('\n')[0]}`);
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const parts = [
    `Measured ${date} by \`npm run bench:backends\`${QUICK ? ' --quick' : ''} on: ${machine}. No GPU on this machine; the machine is shared with other jobs, so timings are noisy (compare within one table). Cells: M params/s (median ms per Adam step, upload and readback included); fastest in bold. \`${CPU_STATE}\` is what an optimizer state runs (its arrays share one WebAssembly memory); \`${CPU_PLAIN}\` is the same rules on plain Float32Arrays (checked: the CPU tier each column ran).`,
  ];
  const violations = [];
  for (const r of results) {
    const t = table(r);
    violations.push(...t.violations);
    const head =
      r.where === 'node'
        ? `**Node** (${r.skipped.length ? `not available: ${r.skipped.join('; ')}` : 'all modes available'}). auto: ${r.auto.name} — ${r.auto.reason}.`
        : `**Headless Chromium ${r.version}** (renderer: ${r.renderer}${r.skipped.length ? `; not available: ${r.skipped.join('; ')}` : ''}). auto: ${r.auto.name} — ${r.auto.reason} (calibration took ${(r.calibrationMs / 1000).toFixed(1)} s).`;
    parts.push(head, t.md);
  }
  parts.push(
    violations.length
      ? `auto check: VIOLATIONS: ${violations.join('; ')}`
      : 'auto check: at every size, auto picked the fastest of the backends it may pick (within 10% timing noise), and each CPU column ran the tier it is named after.',
  );
  const text = parts.join('\n\n');
  console.log('\n' + text);
  if (!args.has('--no-docs')) {
    const docs = join(root, 'docs', 'backends.md');
    const start = '<!-- bench:backends:start -->',
      end = '<!-- bench:backends:end -->';
    let md;
    try {
      md = readFileSync(docs, 'utf8');
    } catch {
      md = `# Backends\n\n${start}\n${end}\n`;
    }
    if (!md.includes(start)) md += `\n${start}\n${end}\n`;
    md = md.slice(0, md.indexOf(start) + start.length) + '\n' + text + '\n' + md.slice(md.indexOf(end));
    writeFileSync(docs, md);
    console.log(`\nwrote the tables into docs/backends.md`);
  }
  if (violations.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
