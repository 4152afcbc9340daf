// What higher order and forward mode cost on workload C's tiny MLP (2-16-16-1 tanh, one sample,
// squared error), as ratios to a first-order step, all measured interleaved in one process:
//   first order       loss.backward()                                   (today's training step)
//   createGraph       loss.backward({ createGraph: true })              (the gradient recorded)
//   grad of grad      ∇θ ‖∇θ L‖² with grad(…) nested                    (a gradient penalty)
//   jvp               jvp(L, [θ], [t])                                   (forward mode, one direction)
//   hvp               hvp(L, θ, v)                                       (forward-over-reverse)
// Run: npm run build && node bench/higher-order.mjs [rounds]
import * as tg from '../dist/src/index.js';

const rounds = Number(process.argv[2] ?? 7);
const sizes = [2, 16, 16, 1];

tg.seed(0);
const shapes = [];
for (let l = 0; l + 1 < sizes.length; l++) shapes.push([sizes[l], sizes[l + 1]], [sizes[l + 1]]);
const params = shapes.map((s) => tg.randn(s, { std: 0.5 }));
const x = tg.tensor([[0.3, -0.7]]);
const y = tg.tensor([[0.25]]);

/** The tiny MLP's loss for a flat list [W1, b1, W2, b2, W3, b3]. */
function loss(ps) {
  let h = x;
  for (let l = 0; l < 3; l++) {
    const z = h.matmul(ps[2 * l]).add(ps[2 * l + 1]);
    h = l < 2 ? z.tanh() : z;
  }
  return h.sub(y).square().sum();
}

const leaves = params.map((p) => tg.tensor(p.data, { shape: p.shape, requiresGrad: true }));
const directions = params.map((p) => tg.randn(p.shape));
const flatLoss = (theta) => {
  let k = 0;
  return loss(
    shapes.map((s) => {
      const n = s.reduce((a, b) => a * b, 1);
      const part = theta.slice([[k, k + n]]).reshape(s);
      k += n;
      return part;
    }),
  );
};
const theta = tg.concat(params.map((p) => p.reshape([-1])));
const v = tg.randn(theta.shape);

const cases = {
  'first order': () => {
    loss(leaves).backward();
    for (const p of leaves) p.grad = null;
  },
  createGraph: () => {
    loss(leaves).backward({ createGraph: true });
    for (const p of leaves) p.grad = null;
  },
  'grad of grad': () => {
    tg.grad((ps) =>
      tg
        .grad(loss)(ps)
        .map((g) => g.square().sum())
        .reduce((a, b) => a.add(b)),
    )(params);
  },
  jvp: () => {
    tg.jvp((...ps) => loss(ps), params, directions);
  },
  hvp: () => {
    tg.hvp(flatLoss, theta, v);
  },
};

function time(f, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t0) / 1e3 / n; // µs per call
}

const names = Object.keys(cases);
const calls = {};
for (const name of names) {
  time(cases[name], 300); // warm up
  // calls per repeat so that a repeat lasts ~100 ms
  calls[name] = Math.max(50, Math.round(1e5 / Math.max(time(cases[name], 200), 1)));
}
const samples = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  for (const name of order) samples[name].push(time(cases[name], calls[name]));
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const base = median(samples['first order']);
console.log(`tiny MLP 2-16-16-1, ${rounds} interleaved rounds, median µs per call (Node ${process.versions.node})`);
console.log(`${'case'.padEnd(14)} ${'µs/call'.padStart(9)} ${'× first order'.padStart(14)}`);
for (const name of names) {
  const m = median(samples[name]);
  console.log(`${name.padEnd(14)} ${m.toFixed(1).padStart(9)} ${(m / base).toFixed(2).padStart(14)}`);
}
