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
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(pkgDir, 'dist'), '--sourceMap', 'false'], { cwd: root, stdio: 'pipe' })
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
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
}

test('every file the exports map names exists after the build', () => {
  const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>)
    .flatMap((value) => (typeof value === 'string' ? [value] : Object.values(value)))
  expect(targets).toEqual(expect.arrayContaining(['./dist/src/index.js', './dist/src/index.d.ts', './dist/optimizers/index.js', './dist/optimizers/index.d.ts']))
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
  expect(r.grad).toEqual([[2, 4], [6, 8]])
  // Adam's first step moves each parameter by stepSize against the sign of its gradient.
  expect(r.w.map((v: number) => Math.round(v * 1e6) / 1e6)).toEqual([0.9, -0.9])
  expect(r.params).toBe(2 * 4 + 4 + 4 * 1 + 1)
  // the optimizers entry uses the same Tensor class as the main entry (one module graph)
  expect(r.sameTensorClass).toBe(true)
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
