/**
 * Small generated data sets for classification demos, all seeded (the same seed gives the same
 * points on every run). Each returns X of shape [n, 2] and y of shape [n] holding class ids
 * (0, 1, …) as float32; `y.mul(2).sub(1)` turns two classes into the ±1 targets of `hinge`.
 */
import { defaultRandom, Random } from '../random.js'
import { Tensor } from '../tensor.js'

/** A generated data set: inputs X [n, 2], class ids y [n]. */
export interface ToyDataset {
  /** Points, shape [n, 2]. */
  X: Tensor
  /** Class ids 0 … classes − 1 as float32, shape [n]. */
  y: Tensor
  /** The number of classes. */
  classes: number
}

/** Options common to the generators. */
export interface ToyOptions {
  /** Standard deviation of Gaussian noise added to each coordinate. */
  noise?: number
  /** Seed (default: the global generator, see `seed`). */
  seed?: number
}

function rngOf(options: ToyOptions): Random {
  return options.seed === undefined ? defaultRandom() : new Random(options.seed)
}

function checkN(who: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${who}: n must be an integer ≥ ${min}, got ${n}`)
}

function pack(points: number[], labels: number[], classes: number): ToyDataset {
  const n = labels.length
  return { X: new Tensor(Float32Array.from(points), [n, 2]), y: new Tensor(Float32Array.from(labels), [n]), classes }
}

/** Shuffles points and labels together (the generators emit them class by class). */
function shuffled(rng: Random, points: number[], labels: number[]): [number[], number[]] {
  const order = rng.shuffle(Array.from(labels, (_, i) => i))
  return [order.flatMap((i) => [points[2 * i], points[2 * i + 1]]), order.map((i) => labels[i])]
}

/**
 * Two interleaving half circles (scikit-learn's `make_moons`): class 0 is (cos t, sin t), class 1
 * is (1 − cos t, ½ − sin t), t ∈ [0, π], plus noise (default 0.1), shuffled.
 * @example
 * import { nn } from 'tapegrad'
 * const { X, y } = nn.moons(100, { noise: 0.1, seed: 1 })
 * X.shape // [100, 2]
 * y.shape // [100]
 * y.dtype // 'float32'
 * y.sum().item() // 50
 */
export function moons(n: number, options: ToyOptions = {}): ToyDataset {
  checkN('moons', n, 2)
  const rng = rngOf(options)
  const noise = options.noise ?? 0.1
  const nOut = Math.floor(n / 2)
  const nIn = n - nOut
  const points: number[] = []
  const labels: number[] = []
  for (let i = 0; i < nOut; i++) {
    const t = nOut > 1 ? (Math.PI * i) / (nOut - 1) : 0
    points.push(Math.cos(t), Math.sin(t))
    labels.push(0)
  }
  for (let i = 0; i < nIn; i++) {
    const t = nIn > 1 ? (Math.PI * i) / (nIn - 1) : 0
    points.push(1 - Math.cos(t), 0.5 - Math.sin(t))
    labels.push(1)
  }
  const [p, l] = shuffled(rng, points, labels)
  for (let i = 0; i < p.length; i++) p[i] += noise * rng.normal()
  return pack(p, l, 2)
}

/**
 * XOR: points uniform in [−1, 1]², class 1 where the two coordinates have opposite signs
 * (x₀·x₁ < 0), plus noise (default 0) after labelling.
 * @example
 * import { nn } from 'tapegrad'
 * const { X, y } = nn.xor(200, { seed: 0 })
 * X.shape // [200, 2]
 * X.data.every((v) => v >= -1 && v <= 1) // true
 */
export function xor(n: number, options: ToyOptions = {}): ToyDataset {
  checkN('xor', n)
  const rng = rngOf(options)
  const noise = options.noise ?? 0
  const points: number[] = []
  const labels: number[] = []
  for (let i = 0; i < n; i++) {
    const a = rng.uniform(-1, 1)
    const b = rng.uniform(-1, 1)
    labels.push(a * b < 0 ? 1 : 0)
    points.push(a + noise * rng.normal(), b + noise * rng.normal())
  }
  return pack(points, labels, 2)
}

/**
 * Interleaved spirals (the CS231n toy set): class k's points are r·(sin θ, cos θ) with
 * r ∈ [0, 1] and θ = 4k + 4r·turns, plus Gaussian noise on θ (default 0.2), shuffled.
 * @example
 * import { nn } from 'tapegrad'
 * const { X, y } = nn.spirals(300, { classes: 3, seed: 0 })
 * X.shape // [300, 2]
 * y.max().item() // 2
 */
export function spirals(n: number, options: ToyOptions & { classes?: number; turns?: number } = {}): ToyDataset {
  const classes = options.classes ?? 2
  if (!Number.isInteger(classes) || classes < 2)
    throw new Error(`spirals: classes must be an integer ≥ 2, got ${classes}`)
  checkN('spirals', n, classes)
  const rng = rngOf(options)
  const noise = options.noise ?? 0.2
  const turns = options.turns ?? 1
  const points: number[] = []
  const labels: number[] = []
  for (let k = 0; k < classes; k++) {
    const m = Math.floor(n / classes) + (k < n % classes ? 1 : 0)
    for (let i = 0; i < m; i++) {
      const r = m > 1 ? i / (m - 1) : 0
      const theta = ((2 * Math.PI) / classes) * k + 4 * r * turns + noise * rng.normal()
      points.push(r * Math.sin(theta), r * Math.cos(theta))
      labels.push(k)
    }
  }
  const [p, l] = shuffled(rng, points, labels)
  return pack(p, l, classes)
}

/**
 * Gaussian blobs (scikit-learn's `make_blobs`): `centers` cluster centres drawn uniformly in
 * [−10, 10]² (or given as a list of points), points N(centre, std²) with std 1 by default.
 * @example
 * import { nn } from 'tapegrad'
 * const { X, y } = nn.blobs(300, { centers: 3, seed: 0 })
 * X.shape // [300, 2]
 * y.max().item() // 2
 */
export function blobs(
  n: number,
  options: ToyOptions & { centers?: number | [number, number][]; std?: number } = {},
): ToyDataset {
  const rng = rngOf(options)
  const spec = options.centers ?? 3
  let centers: [number, number][]
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1)
      throw new Error(`blobs: centers must be a positive integer or a list of [x, y] points, got ${spec}`)
    centers = Array.from({ length: spec }, () => [rng.uniform(-10, 10), rng.uniform(-10, 10)] as [number, number])
  } else {
    if (!Array.isArray(spec) || spec.length === 0 || spec.some((c) => !Array.isArray(c) || c.length !== 2)) {
      throw new Error(`blobs: centers must be a positive integer or a non-empty list of [x, y] points`)
    }
    centers = spec
  }
  checkN('blobs', n, centers.length)
  const std = options.std ?? options.noise ?? 1
  const points: number[] = []
  const labels: number[] = []
  centers.forEach(([cx, cy], k) => {
    const m = Math.floor(n / centers.length) + (k < n % centers.length ? 1 : 0)
    for (let i = 0; i < m; i++) {
      points.push(cx + std * rng.normal(), cy + std * rng.normal())
      labels.push(k)
    }
  })
  const [p, l] = shuffled(rng, points, labels)
  return pack(p, l, centers.length)
}
