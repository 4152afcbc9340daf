/**
 * The package as a user installs it: `import ... from 'tapegrad'` and `'tapegrad/optimizers'` in
 * plain Node ESM (no tsx, no ts-jest), resolved through package.json's `exports` map onto the
 * tsc build.
 *
 * The build goes to a temporary package (a copy of package.json, `dist/` from
 * `tsc -p tsconfig.build.json --outDir`, and a link to our node_modules for ndarray & co.), not
 * to the working tree's dist/: other test runs and engineers may be reading that one.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.join(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
let work = ''
let pkgDir = ''

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-exports-'))
  pkgDir = path.join(work, 'node_modules', 'tapegrad')
  fs.mkdirSync(pkgDir, { recursive: true })
  fs.copyFileSync(path.join(root, 'package.json'), path.join(pkgDir, 'package.json'))
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkgDir, 'node_modules'), 'dir')
  const tsc = require.resolve('typescript/bin/tsc')
  try {
    execFileSync(
      process.execPath,
      [
        tsc,
        '-p',
        path.join(root, 'tsconfig.build.json'),
        '--outDir',
        path.join(pkgDir, 'dist'),
        '--sourceMap',
        'false',
      ],
      { cwd: root, stdio: 'pipe' },
    )
  } catch (e) {
    // tsc emits despite type errors (the type-check step reports those); only missing output is fatal.
    const out = String((e as { stdout?: Buffer }).stdout ?? '')
    console.log(`exports: tsc reported type errors, emitting anyway:\n${out.split('\n').slice(0, 5).join('\n')}`)
  }
}, 60_000)

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** Runs an ES module in a fresh Node process from the temporary project; returns its stdout. */
function runModule(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
}

test('every file the exports map names exists after the build', () => {
  const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((value) =>
    typeof value === 'string' ? [value] : Object.values(value),
  )
  expect(targets).toEqual(
    expect.arrayContaining([
      './dist/src/index.js',
      './dist/src/index.d.ts',
      './dist/optimizers/index.js',
      './dist/optimizers/index.d.ts',
    ]),
  )
  const missing = targets.filter((f) => !fs.existsSync(path.join(pkgDir, f)))
  expect(missing).toEqual([])
  expect([pkg.main, pkg.types].filter((f: string) => !fs.existsSync(path.join(pkgDir, f)))).toEqual([])
})

test("import 'tapegrad' and 'tapegrad/optimizers' by name: a gradient and an Adam step", () => {
  const out = runModule(`
    const tg = await import('tapegrad')
    const O = await import('tapegrad/optimizers')
    const x = tg.tensor([[1, 2], [3, 4]], { requiresGrad: true })
    const y = x.mul(x).sum()
    y.backward()
    const opt = O.adam(0.1)
    let state = opt.init({ w: tg.tensor([1, -1]) })
    state = opt.update(0, { w: tg.tensor([2, -3]) }, state)
    tg.seed(0)
    const net = new tg.nn.MLP([2, 4, 1])
    console.log(JSON.stringify({
      y: y.item(), grad: x.grad.toArray(), w: Array.from(opt.getParams(state).w.data),
      params: net.numParameters(), sameTensorClass: opt.getParams(state).w instanceof tg.Tensor,
    }))
  `)
  const r = JSON.parse(out)
  expect(r.y).toBe(30)
  expect(r.grad).toEqual([
    [2, 4],
    [6, 8],
  ])
  // Adam's first step moves each parameter by stepSize against the sign of its gradient.
  expect(r.w.map((v: number) => Math.round(v * 1e6) / 1e6)).toEqual([0.9, -0.9])
  expect(r.params).toBe(2 * 4 + 4 + 4 * 1 + 1)
  // the optimizers entry uses the same Tensor class as the main entry (one module graph)
  expect(r.sameTensorClass).toBe(true)
})

test("'tapegrad/nn' by name, on its own: the fluent methods are installed, and its classes are nn's", () => {
  // Imported first and alone, the nn entry must install Tensor's methods itself (src/methods.ts):
  // MLP.forward and the loss call them. Then the root entry, in the same module graph.
  const out = runModule(`
    const { MLP, mse, Linear, moons } = await import('tapegrad/nn')
    const net = new MLP([2, 3, 1])
    const { X, y } = moons(8, { seed: 1 })
    const loss = mse(net.forward(X).squeeze(1), y) // squeeze: a fluent method
    loss.backward()
    const T = await import('tapegrad')
    console.log(JSON.stringify({
      methods: typeof X.mul === 'function',
      finite: Number.isFinite(loss.item()),
      graded: net.namedParameters().length === 4 && net.namedParameters().every(([, p]) => p.grad !== null),
      same: MLP === T.nn.MLP && mse === T.nn.mse && Linear === T.nn.Linear,
      tensorClass: X instanceof T.Tensor,
    }))
  `)
  expect(JSON.parse(out)).toEqual({ methods: true, finite: true, graded: true, same: true, tensorClass: true })
})

test('files outside the exports map are not importable by deep path', () => {
  const out = runModule(`
    try {
      await import('tapegrad/dist/src/tensor.js')
      console.log('imported')
    } catch (e) {
      console.log(e.code)
    }
  `)
  expect(out.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED')
})

test("'tapegrad/worker' and 'tapegrad/rl' by name: the README's train-in-a-worker snippet in a real worker, and a DQN", () => {
  // The two files of the README, as a user writes them (plain ESM, imports by package name).
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ type: 'module' }))
  fs.writeFileSync(
    path.join(work, 'training.js'),
    `import { MLP, mse } from 'tapegrad/nn'
import { adam } from 'tapegrad/optimizers'
import { defineTraining } from 'tapegrad/worker'

export default defineTraining({
  model: (rng) => new MLP([2, 16, 1], { activation: 'tanh', rng }),
  optimizer: () => adam(3e-2),
  loss: (net, { x, y }) => mse(net.forward(x), y),
})
`,
  )
  const out = runModule(`
    import { noGrad, Random, tensor } from 'tapegrad'
    import { startTraining } from 'tapegrad/worker'
    import { DQN } from 'tapegrad/rl'
    const { default: spec } = await import(${JSON.stringify(pathToFileURL(path.join(work, 'training.js')).href)})
    const trainer = await startTraining(spec, { worker: new URL(${JSON.stringify(pathToFileURL(path.join(work, 'training.js')).href)}) })
    const rng = new Random(1)
    let x0 = null
    for (let i = 0; i < 500; i++) {
      const x = Float32Array.from({ length: 64 }, () => rng.uniform(-1, 1))
      const y = Float32Array.from({ length: 32 }, (_, k) => x[2 * k] * x[2 * k + 1])
      if (i === 0) x0 = x
      await trainer.train({ x: { data: x, shape: [32, 2] }, y: { data: y, shape: [32, 1] } })
    }
    await trainer.flush()
    const prediction = noGrad(() => trainer.model.forward(tensor([[0.5, 0.5]]))).item()
    const inWorker = trainer.inWorker, step = trainer.step, loss = trainer.loss, moved = x0.byteLength === 0
    await trainer.terminate()
    const agent = new DQN({ stateSize: 2, actions: 2, seed: 0 })
    const a = agent.act([0, 1])
    agent.learn(1, [1, 0], true)
    console.log(JSON.stringify({ inWorker, step, loss, prediction, moved, action: a, steps: agent.steps }))
  `)
  const r = JSON.parse(out)
  expect(r.inWorker).toBe(true)
  expect(r.step).toBe(500)
  expect(r.moved).toBe(true)
  expect(r.loss).toBeLessThan(0.005)
  expect(Math.abs(r.prediction - 0.25)).toBeLessThan(0.05) // the README says ≈ 0.25
  expect([0, 1]).toContain(r.action)
  expect(r.steps).toBe(1)
}, 60_000)
