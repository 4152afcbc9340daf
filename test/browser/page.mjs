// The in-page half of `npm run test:browser` (test/browser/run.mjs drives it in headless Chromium).
// Uses the browser bundle exactly as a page would: gpu.js from its own <script>, tapegrad from
// dist/browser/. Reports through window.__result = { pass, lines }.
import { Tensor } from '/dist/browser/tapegrad.js'
import { adam } from '/dist/browser/optimizers.js'
import { setBackend, getBackend, getActiveBackend, lastCpuTier } from '/dist/browser/backends.js'

const lines = []
let pass = true
const log = (s) => {
  lines.push(s)
  document.getElementById('log').textContent = lines.join('\n')
}
const check = (ok, what) => {
  if (!ok) pass = false
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
}

function fill(n, seed, scale = 1) {
  const out = new Float32Array(n)
  let s = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out[i] = ((s / 4294967296) * 2 - 1) * scale
  }
  return out
}

/** max|a−b|/max|b|, the largest elementwise relative difference, and the elements outside allclose(1e-5, 1e-8). */
function compare(a, b) {
  let maxAbs = 0,
    maxB = 0,
    maxRel = 0,
    outside = 0
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue
    const d = Math.abs(a[i] - b[i])
    if (Number.isNaN(d)) return { normRel: NaN, maxRel: NaN, outside: a.length }
    maxAbs = Math.max(maxAbs, d)
    if (!Number.isFinite(b[i])) continue // ±Infinity that differ are caught by the NaN check above
    maxB = Math.max(maxB, Math.abs(b[i]))
    maxRel = Math.max(maxRel, d / Math.abs(b[i]))
    if (d > 1e-8 + 1e-5 * Math.abs(b[i])) outside++
  }
  for (let i = 0; i < b.length; i++) maxB = Math.max(maxB, Math.abs(b[i]))
  return { normRel: maxB ? maxAbs / maxB : maxAbs, maxRel, outside }
}

/** rtol 1e-5, atol 1e-6 for finite values; infinities and NaN must match exactly. */
const close = (a, b) =>
  a === b ||
  (Number.isNaN(a) && Number.isNaN(b)) ||
  (Number.isFinite(b) && Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b))

const N_W = [250, 400] // 100k parameters in two leaves
function adamRun() {
  const opt = adam(1e-3)
  let state = opt.init({
    w: new Tensor(fill(N_W[0] * N_W[1], 1, 0.5), N_W.slice()),
    b: new Tensor(fill(N_W[1], 2, 0.1), [N_W[1]]),
  })
  for (let i = 0; i < 5; i++) {
    state = opt.update(
      i,
      {
        w: new Tensor(fill(N_W[0] * N_W[1], 10 + i, 2), N_W.slice()),
        b: new Tensor(fill(N_W[1], 20 + i, 0.2), [N_W[1]]),
      },
      state,
    )
  }
  const p = opt.getParams(state)
  return { w: Float32Array.from(p.w.data), b: Float32Array.from(p.b.data) }
}

async function main() {
  check(
    typeof GPU === 'function' && typeof GPU.prototype.createKernel === 'function',
    'gpu.js loaded from its own script (global GPU)',
  )
  const gpu = new GPU({ mode: 'webgl2' })

  await setBackend('cpu')
  const want = adamRun()
  // The reference ran as an optimizer state runs in this browser: the WebAssembly SIMD kernel.
  check(
    lastCpuTier() === 'simd',
    `the CPU reference ran on the WebAssembly SIMD tier (lastCpuTier() = ${lastCpuTier()})`,
  )

  for (const strategy of ['pipeline', 'kernels']) {
    const info = await setBackend('gpujs', { gpu, strategy })
    check(
      info.name === 'gpujs' && info.mode === 'webgl2' && getBackend().mode === 'webgl2',
      `getBackend() reports gpujs on WebGL2 (${JSON.stringify({ name: info.name, mode: info.mode, reason: info.reason })})`,
    )
    const be = getActiveBackend(100_400)
    const runsBefore = be.runs
    const got = adamRun()
    check(
      be.runs - runsBefore === 5,
      `the 5 Adam steps ran on ${be.name} (${be.runs - runsBefore} gpu.js runs, strategy ${be.strategy})`,
    )
    for (const k of ['w', 'b']) {
      const d = compare(got[k], want[k])
      check(
        d.normRel <= 1e-5,
        `Adam ×5, ${N_W[0] * N_W[1] + N_W[1]} params, leaf ${k}: WebGL2 vs CPU max|a−b|/max|b| = ${d.normRel.toExponential(2)} (≤ 1e-5); elementwise max rel ${d.maxRel.toExponential(2)}, ${d.outside} elements outside allclose(rtol 1e-5, atol 1e-8)`,
      )
    }
    if (strategy === 'pipeline') log(`     renderer: ${be.renderer()}`)
  }

  // Element functions of the engine's elementwise ops, on WebGL2 against JavaScript.
  const be = getActiveBackend()
  const n = 70_000
  const x = fill(n, 5, 3)
  x[0] = 0
  x[1] = -2
  x[2] = 50
  x[3] = -50
  x[4] = 1e-4
  const pos = x.map((v) => Math.abs(v) + 0.1)
  const y = fill(n, 6, 2)
  const powConst = (v, p) => Math.pow(v, p)
  const unaries = [
    ['neg', (v) => -v, x, 0],
    ['exp', Math.exp, x.map((v) => Math.max(-20, Math.min(20, v))), 0],
    ['log', Math.log, pos, 0],
    ['sqrt', Math.sqrt, pos, 0],
    ['tanh', Math.tanh, x, 0],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v)), x, 0],
    ['relu', (v) => (v > 0 ? v : 0), x, 0],
    ['pow 2', powConst, x, 2],
    ['pow -1', powConst, x, -1],
    ['pow 3', powConst, x, 3],
  ]
  for (const [name, fn, input, c] of unaries) {
    const wantU = new Float32Array(n)
    for (let i = 0; i < n; i++) wantU[i] = fn(input[i], c)
    const got = new Float32Array(n)
    const ran = be.unary(fn, input, got, c)
    let bad = -1
    for (let i = 0; i < n && bad < 0; i++) if (!close(got[i], wantU[i])) bad = i
    const d = compare(got, wantU)
    check(
      ran && bad < 0,
      `op ${name} on WebGL2: ${ran ? (bad < 0 ? `within rtol 1e-5 + atol 1e-6 (max rel ${d.maxRel.toExponential(1)})` : `element ${bad}: f(${input[bad]}) = ${got[bad]}, JS ${wantU[bad]}`) : 'declined'}`,
    )
  }
  const binaries = [
    ['add', (a, b) => a + b, x, y],
    ['div', (g, v) => g / v, y, pos],
    ['abs backward', (g, v) => (v > 0 ? g : v < 0 ? -g : 0), y, x],
    ['tanh backward', (g, t) => g * (1 - t * t), y, x.map(Math.tanh)],
  ]
  for (const [name, fn, a, b] of binaries) {
    const wantB = new Float32Array(n)
    for (let i = 0; i < n; i++) wantB[i] = fn(a[i], b[i], 0)
    const got = new Float32Array(n)
    const ran = be.binary(fn, a, b, got, 0)
    let bad = -1
    for (let i = 0; i < n && bad < 0; i++) if (!close(got[i], wantB[i])) bad = i
    check(
      ran && bad < 0,
      `op ${name} on WebGL2: ${ran ? (bad < 0 ? 'within rtol 1e-5 + atol 1e-6' : `element ${bad}: f(${a[bad]}, ${b[bad]}) = ${got[bad]}, JS ${wantB[bad]}`) : 'declined'}`,
    )
  }

  // IEEE edge cases the tensor ops rely on (log 0 = −∞ in log-probabilities, 1/0 = ∞, √−1 = NaN).
  // Not checked: subnormal inputs (GPUs flush them to zero) and exp(NaN) (∞ on SwiftShader:
  // still non-finite, so setDebug({ checkFinite }) still catches it).
  const edges = Float32Array.from([0, -0, -1, Infinity, -Infinity, NaN, 3e38, 1e-30])
  const padded = new Float32Array(4096)
  padded.set(edges)
  for (const [name, fn] of [
    ['log', Math.log],
    ['sqrt', Math.sqrt],
    ['exp', Math.exp],
    ['reciprocal', (v) => 1 / v],
    ['abs', Math.abs],
    ['tanh', Math.tanh],
    ['relu', (v) => (v > 0 ? v : 0)],
  ]) {
    const got = new Float32Array(padded.length)
    const ran = be.unary(fn, padded, got, 0)
    const bad = []
    for (let i = 0; i < edges.length; i++) {
      if (name === 'exp' && Number.isNaN(edges[i])) continue
      const w = Math.fround(fn(edges[i]))
      if (!close(got[i], w)) bad.push(`f(${edges[i]}) = ${got[i]}, JS ${w}`)
    }
    check(
      ran && bad.length === 0,
      `op ${name} at IEEE edges on WebGL2: ${ran ? (bad.length ? bad.join('; ') : 'as in JavaScript') : 'declined'}`,
    )
  }

  // auto: a real calibration on this (software) WebGL2 device. It must not pick gpu.js at a
  // size where gpu.js measured slower.
  const t0 = performance.now()
  const auto = await setBackend('auto', { gpu: new GPU({ mode: 'webgl2' }), recalibrate: true })
  const rows = (auto.calibration ?? [])
    .map((r) => `${r.length}: cpu (${r.cpuTier}) ${r.cpuMs.toFixed(2)} ms, gpu.js ${r.gpuMs.toFixed(2)} ms`)
    .join('; ')
  log(`     auto: ${auto.name} — ${auto.reason} [${rows}] (calibration ${(performance.now() - t0).toFixed(0)} ms)`)
  const slowerPicked = (auto.calibration ?? []).some(
    (r) => auto.name === 'gpujs' && r.length >= auto.threshold && r.gpuMs >= r.cpuMs,
  )
  check(!slowerPicked, `auto never routes a size to gpu.js where gpu.js measured slower`)
  // The calibration timed the CPU tier an optimizer state runs here, not the JavaScript loop.
  check(
    (auto.calibration ?? []).length > 0 && auto.calibration.every((r) => r.cpuTier === 'simd'),
    `the calibration timed the CPU's SIMD tier (${(auto.calibration ?? []).map((r) => r.cpuTier).join(', ')})`,
  )
  await setBackend('cpu')
}

main().then(
  () => {
    window.__result = { pass, lines }
  },
  (e) => {
    lines.push(`FAIL exception: ${e && e.stack ? e.stack : e}`)
    window.__result = { pass: false, lines }
  },
)
