/**
 * The cost of an engine change on the tiny-MLP step (the per-op overhead that small nets and games
 * pay), measured as it should be: two builds of the library loaded into ONE process and run in
 * alternating rounds, so that both see the same machine state, and compared by medians.
 *
 *     npm run build                                   # this checkout → dist/
 *     git worktree add /tmp/base main && (cd /tmp/base && npm ci && npm run build)
 *     node scripts/bench-tiny-step.mjs /tmp/base/dist dist [rounds = 31]
 *
 * Three steps per build:
 * - 'backward + sgd loop': a 2-16-16-1 tanh MLP on one sample, tensors per layer,
 *   loss.backward(), p −= lr·∂L/∂p by hand, zeroGrad (bench workload C, 'backward() f32');
 * - 'nn.MLP + adam.attach': the same net with the library all the way: nn.MLP, nn.mse,
 *   backward, train.step();
 * - 'game-loop step': examples/game-loop.ts's step, a 4-16-16-2 tanh MLP on a batch of 32 with
 *   Adam, then one prediction under noGrad.
 * Times are CPU time (process.cpuUsage), which other processes on a shared machine disturb less
 * than wall time; each round times STEPS steps of one build, the builds alternating.
 *
 * Load order matters: in one process the build loaded second measured 8–30% slower even when
 * both are copies of the same build (an A/A run). So the comparison runs twice, in two child
 * processes, once in each order, and reports for each variant the geometric mean of the two
 * medians of paired ratios new/base — the order bias cancels. Pass two copies of one build to see
 * what is left of the noise (≈ 1).
 */
import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const child = args[0] === '--child'
const [baseDir, newDir, roundsArg] = child ? args.slice(1) : args
if (!baseDir || !newDir) {
  console.error('usage: node scripts/bench-tiny-step.mjs <base dist dir> <new dist dir> [rounds = 31]')
  process.exit(2)
}
const rounds = Number(roundsArg ?? 31)
const STEPS = 2000 // steps per round, build and variant

if (!child) {
  const self = fileURLToPath(import.meta.url)
  const once = (a, b) =>
    JSON.parse(execFileSync(process.execPath, [self, '--child', a, b, String(rounds)], { encoding: 'utf8' }))
  const forward = once(baseDir, newDir) // ratios new/base, base loaded first
  const backward = once(newDir, baseDir) // ratios base/new, new loaded first
  for (const name of Object.keys(forward)) {
    const f = forward[name]
    const b = backward[name]
    const ratio = Math.sqrt(f.ratio / b.ratio)
    const bias = Math.sqrt(f.ratio * b.ratio)
    console.log(
      `${name.padEnd(22)} base ${f.a.toFixed(2)}/${b.b.toFixed(2)} µs/step   ` +
        `new ${f.b.toFixed(2)}/${b.a.toFixed(2)} µs/step   ` +
        `new/base ${ratio.toFixed(3)} (each order: ${f.ratio.toFixed(3)}, ${(1 / b.ratio).toFixed(3)}; ` +
        `second-loaded build slower by ×${bias.toFixed(3)}; ${rounds} rounds)`,
    )
  }
  process.exit(0)
}

async function load(dir) {
  const url = (p) => pathToFileURL(resolve(dir, p)).href
  return { tg: await import(url('src/index.js')), optim: await import(url('optimizers/index.js')) }
}

/** Workload C's step, written with the public API (as bench/contenders/_tapegrad-scalar.mjs). */
function sgdLoop({ tg }) {
  tg.seed(1)
  const sizes = [2, 16, 16, 1]
  const layers = []
  for (let l = 0; l + 1 < sizes.length; l++) {
    const W = tg.randn([sizes[l], sizes[l + 1]], { std: 0.5, requiresGrad: true })
    const b = tg.zeros([sizes[l + 1]], { requiresGrad: true })
    layers.push({ W, b })
  }
  const ps = layers.flatMap(({ W, b }) => [W, b])
  const x = tg.zeros([2])
  return (i) => {
    x.data[0] = Math.sin(i)
    x.data[1] = Math.cos(i)
    let h = x
    for (let l = 0; l < layers.length; l++) {
      const z = tg.matmul(h, layers[l].W).add(layers[l].b)
      h = l < layers.length - 1 ? z.tanh() : z
    }
    const d = h.sub(0.5)
    d.mul(d).backward()
    for (const p of ps) {
      const w = p.data
      const g = p.grad.data
      for (let k = 0; k < w.length; k++) w[k] -= 1e-3 * g[k]
      p.zeroGrad()
    }
  }
}

function mlpAdam({ tg, optim }) {
  tg.seed(1)
  const net = new tg.nn.MLP([2, 16, 16, 1], { activation: 'tanh' })
  const train = optim.adam(1e-3).attach(net.parameters())
  const x = tg.zeros([1, 2])
  const y = tg.tensor([[0.5]])
  return (i) => {
    x.data[0] = Math.sin(i)
    x.data[1] = Math.cos(i)
    const loss = tg.nn.mse(net.forward(x), y)
    train.zeroGrad()
    loss.backward()
    train.step()
  }
}

function gameLoopStep({ tg, optim }) {
  tg.seed(1)
  const net = new tg.nn.MLP([4, 16, 16, 2], { activation: 'tanh' })
  const train = optim.adam(3e-3).attach(net.parameters())
  const x = tg.randn([32, 4])
  const y = tg.randn([32, 2])
  const query = tg.zeros([1, 4])
  return (i) => {
    x.data[i & 127] = Math.sin(i)
    const loss = tg.nn.mse(net.forward(x), y)
    train.zeroGrad()
    loss.backward()
    train.step()
    query.data[0] = Math.cos(i)
    tg.noGrad(() => net.forward(query))
  }
}

const libs = [await load(baseDir), await load(newDir)]
const report = {}
const variants = { 'backward + sgd loop': sgdLoop, 'nn.MLP + adam.attach': mlpAdam, 'game-loop step': gameLoopStep }
const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1]

for (const [name, make] of Object.entries(variants)) {
  const steps = libs.map((lib) => make(lib))
  const times = [[], []]
  for (let i = 0; i < 2 * STEPS; i++) steps.forEach((s) => s(i)) // warm-up: JIT both
  for (let r = 0; r < rounds; r++) {
    // Alternate which build goes first, so neither always runs on a warmer cache.
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = process.cpuUsage()
      for (let i = 0; i < STEPS; i++) steps[k](i)
      const t = process.cpuUsage(t0)
      times[k].push((t.user + t.system) / STEPS)
    }
  }
  const [a, b] = times.map(median)
  const ratios = times[1].map((t, r) => t / times[0][r])
  report[name] = { a, b, ratio: median(ratios) }
}
process.stdout.write(JSON.stringify(report))
