import { optimizer, rule, type HookContext, type LeafInfo, type Options, type ScheduleLike } from './optimizer.js'
import { addSquare, descend } from './rules.js'

/**
 * SM3 (Anil, Gupta, Koren & Singer, 2019, "Memory-Efficient Adaptive Optimization"), in JAX's
 * form (`jax.example_libraries.optimizers.sm3`). Adagrad's sum of squared gradients, but stored
 * per axis instead of per parameter: for a [r, c] matrix, r + c accumulators instead of r·c.
 *
 *     ν_i = min over axes d of acc_d[i_d] + g_i²       (i_d: the index of element i along axis d)
 *     m ← momentum·m + (1 − momentum)·g/√ν            (0 where ν = 0)
 *     x ← x − stepSize(i)·m
 *     acc_d[j] ← max of ν over the elements with i_d = j
 *
 * The per-axis accumulators are the optimizer's extra state (saved with it); the min/max over
 * axes run on the host around the per-element rules, which compute ν, m and x. ν itself is a
 * work array rewritten every step, not state. A 0-d parameter is treated as shape [1], as JAX's
 * `atleast_1d`. Default momentum 0.9 (JAX's). Options: `weightDecay` (coupled), `maximize`.
 *
 * @example
 * import { sm3 } from 'tapegrad/optimizers'
 *
 * const opt = sm3(0.1)                          // sm3(stepSize, momentum = 0.9)
 * opt.hyper   // { stepSize: 0.1, momentum: 0.9 }
 */
export const sm3 = optimizer(
  'sm3',
  (stepSize: ScheduleLike, momentum = 0.9, options?: Options) => ({ stepSize, momentum, options }),
  () => ({
    scratch: ['nu'],
    rules: [
      rule('nu', ['nu', 'g'], addSquare), // ν = min over axes (gathered by `before`) + g²
      rule('m', ['m', 'g', 'nu', 'momentum'], sm3Momentum),
      rule('x', ['x', 'm', 'lr'], descend),
    ],
    extra: { sizes: accumulatorSizes, before: gatherMin, after: scatterMax },
  }),
)

/** m ← momentum·m + (1 − momentum)·g/√ν. */
function sm3Momentum(m: number, g: number, nu: number, momentum: number) {
  let d = 0
  if (nu > 0) d = g / Math.sqrt(nu)
  return (1 - momentum) * d + momentum * m
}

const axesOf = (l: LeafInfo) => (l.shape.length === 0 ? [1] : l.shape)

/** One accumulator per index of every axis of every leaf. */
function accumulatorSizes(leaves: readonly LeafInfo[]): Record<string, number> {
  return { acc: leaves.reduce((n, l) => n + axesOf(l).reduce((a, b) => a + b, 0), 0) }
}

/** Visits every element of every leaf with the positions of its per-axis accumulators. */
function forEachElement(ctx: HookContext, visit: (flat: number, acc: Float32Array, slots: number[]) => void): void {
  const acc = ctx.extra.acc
  let base = 0
  for (const leaf of ctx.leaves) {
    const dims = axesOf(leaf)
    const starts = dims.map((_, d) => base + dims.slice(0, d).reduce((a, b) => a + b, 0))
    const idx = new Array<number>(dims.length).fill(0)
    const slots = starts.slice()
    for (let k = 0; k < leaf.size; k++) {
      visit(leaf.offset + k, acc, slots)
      // advance the multi-index (row-major)
      for (let d = dims.length - 1; d >= 0; d--) {
        if (++idx[d] < dims[d]) {
          slots[d]++
          break
        }
        idx[d] = 0
        slots[d] = starts[d]
      }
    }
    base += dims.reduce((a, b) => a + b, 0)
  }
}

/** Before the rules: ν_i = min over axes of the accumulators (the rules then add g²). */
function gatherMin(ctx: HookContext): void {
  const nu = ctx.arrays.nu
  forEachElement(ctx, (i, acc, slots) => {
    let v = acc[slots[0]]
    for (let d = 1; d < slots.length; d++) if (acc[slots[d]] < v) v = acc[slots[d]]
    nu[i] = v
  })
}

/** After the rules: acc_d[j] = max of ν over the slice i_d = j (ν ≥ 0, so start from 0). */
function scatterMax(ctx: HookContext): void {
  const nu = ctx.arrays.nu
  ctx.extra.acc.fill(0)
  forEachElement(ctx, (i, acc, slots) => {
    const v = nu[i]
    for (let d = 0; d < slots.length; d++) if (v > acc[slots[d]]) acc[slots[d]] = v
  })
}
