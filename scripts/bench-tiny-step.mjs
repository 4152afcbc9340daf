/**
 * The cost of an engine change on the tiny-MLP step (the per-op overhead that small nets and games
 * pay), measured as it should be: two builds of the library loaded into ONE process and run in
 * alternating rounds, so that both see the same machine state, and compared by medians.
 *
 *     npm run build                                   # this checkout → dist/
 *     git worktree add /tmp/base main && (cd /tmp/base && npm ci && npm run build)
 *     node scripts/bench-tiny-step.mjs /tmp/base/dist dist [rounds]
 *
 * Two steps per build, each a 2-16-16-1 tanh MLP on one sample:
 * - 'backward + sgd loop': tensors per layer, loss.backward(), p −= lr·∂L/∂p by hand, zeroGrad
 *   (bench workload C, tapegrad's 'backward() f32');
 * - 'nn.MLP + adam.attach': the library all the way: nn.MLP, nn.mse, backward, train.step().
 * Times are CPU time of this process (process.cpuUsage), which other processes on a shared machine
 * disturb less than wall time. Prints µs per step (median over rounds) for each build, and the median of the per-round ratios
 * new/base (paired rounds cancel slow changes in the machine's load). Pass the same build twice,
 * from two copies of its folder, to see the noise: the ratio should then be ≈ 1.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [baseDir, newDir, roundsArg] = process.argv.slice(2)
if (!baseDir || !newDir) {
  console.error('usage: node scripts/bench-tiny-step.mjs <base dist dir> <new dist dir> [rounds = 15]')
  process.exit(2)
}
const rounds = Number(roundsArg ?? 41)
const STEPS = 2000 // steps per round, build and variant

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

const libs = [await load(baseDir), await load(newDir)]
const variants = { 'backward + sgd loop': sgdLoop, 'nn.MLP + adam.attach': mlpAdam }
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
  const q = (p) => ratios.slice().sort((x, y) => x - y)[Math.floor(p * (ratios.length - 1))]
  console.log(
    `${name.padEnd(22)} base ${a.toFixed(2)} µs/step   new ${b.toFixed(2)} µs/step   ` +
      `new/base ${median(ratios).toFixed(3)} (quartiles ${q(0.25).toFixed(3)}–${q(0.75).toFixed(3)}, ${rounds} paired rounds)`,
  )
}
