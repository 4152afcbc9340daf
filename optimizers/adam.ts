import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { movingAverage, movingAverageOfSquare, runningMax } from './rules.js'

/**
 * Adam (Kingma & Ba, 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), in the
 * form of `jax.example_libraries.optimizers.adam` — read as a velocity and a speed:
 *
 *     lerp(a, b, t) = (b − a)·t + a                 (t = 0 gives a, t = 1 gives b)
 *     m = lerp(g, m, b1)                            running mean of the gradient
 *     v = lerp(g², v, b2)                           running mean of its square
 *     bias(i, β) = 1 − β^(i+1)                      how much of the average is still the zero start
 *     velocity = m / bias(i, b1)                    where the gradient points, on average
 *     speed = √(v / bias(i, b2))                    how large it usually is
 *     x ← x − stepSize(i) · velocity / (speed + eps)
 *
 * velocity/speed is a unit-ish direction (about ±1 where the gradient is steady, smaller where it
 * flips sign), so stepSize(i) is roughly how far each parameter moves per step. docs/adam.md
 * shows this equals the paper's Algorithm 1 line by line.
 *
 * Options (PyTorch's names): `amsgrad` (Reddi et al., 2018: divide by the largest v seen so
 * far), and the two every optimizer has: `weightDecay` (coupled L2, g ← g + λ·x, as
 * torch.optim.Adam's weight_decay; for decoupled decay use adamw) and `maximize`.
 *
 * @example
 * import { tensor } from 'tapegrad'
 * import { adam } from 'tapegrad/optimizers'
 *
 * const opt = adam(1e-3)                       // adam(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 * let state = opt.init({ w: tensor([1, 2]) })
 * state = opt.update(0, { w: tensor([3, -0.01]) }, state)   // i = 0: the first step
 * // the first step is stepSize·sign(g), whatever the size of g:
 * opt.getParams(state).w.toArray()             // [0.999, 2.001]
 */
export const adam = optimizer(
  'adam',
  // The signature with its defaults, returning the arguments by name: kept as written.
  // prettier-ignore
  (stepSize: ScheduleLike, b1 = 0.9, b2 = 0.999, eps = 1e-8, options?: Options<{ amsgrad: boolean }>) =>
    ({ stepSize, b1, b2, eps, options }),
  ({ b1, b2, amsgrad }) => ({
    // Divisions by bias(i, β) as multiplications by 1/bias, computed once per step on the host:
    // the same numbers up to one rounding, and one division per element instead of three.
    scalars: (i) => ({ invBias1: 1 / (1 - b1 ** (i + 1)), invBias2: 1 / (1 - b2 ** (i + 1)) }),
    rules: [
      rule('m', ['g', 'm', 'b1'], movingAverage), //                    m = lerp(g, m, b1)
      rule('v', ['g', 'v', 'b2'], movingAverageOfSquare), //            v = lerp(g², v, b2)
      amsgrad && rule('vmax', ['vmax', 'v'], runningMax), //            AMSGrad: the largest v so far
      rule('x', ['x', 'm', amsgrad ? 'vmax' : 'v', 'lr', 'invBias1', 'invBias2', 'eps'], adamStep),
    ],
  }),
  { options: { amsgrad: false } },
)

/**
 * x ← x − stepSize · velocity / (speed + eps), velocity = m / bias(b1), speed = √(v / bias(b2))
 * (with 1/bias computed on the host). Adam's last rule:
 * `rule('x', ['x', 'm', 'v', 'lr', 'invBias1', 'invBias2', 'eps'], adamStep)`.
 */
function adamStep(x: number, m: number, v: number, lr: number, invBias1: number, invBias2: number, eps: number) {
  const velocity = m * invBias1
  const speed = Math.sqrt(v * invBias2)
  return x - (lr * velocity) / (speed + eps)
}
