import { optimizer, rule, checkStepSize, checkRange, checkNonNegative, readOptions, type ScheduleLike } from './optimizer.js'
import { firstMoment, secondMoment, runningMax } from './rules.js'

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
 * Options (PyTorch's names): `weightDecay` (coupled L2: g ← g + λ·x, torch.optim.Adam's
 * weight_decay; for decoupled decay use adamw), `amsgrad` (Reddi et al., 2018: divide by the
 * largest v seen so far), `maximize`.
 *
 * @example
 * const opt = adam(1e-3)                       // adam(stepSize, b1 = 0.9, b2 = 0.999, eps = 1e-8)
 * let state = opt.init(params)
 * state = opt.update(i, grads, state)
 * params = opt.getParams(state)
 */
export const adam = optimizer('adam', (stepSize: ScheduleLike, b1: number = 0.9, b2: number = 0.999, eps: number = 1e-8, options?: { weightDecay?: number; amsgrad?: boolean; maximize?: boolean }) => {
  const lr = checkStepSize('adam', stepSize)
  checkRange('adam', 'b1', b1, 0, 1)
  checkRange('adam', 'b2', b2, 0, 1)
  checkNonNegative('adam', 'eps', eps)
  const { weightDecay, amsgrad, maximize } = readOptions('adam', options, { weightDecay: 0, amsgrad: false, maximize: false })
  // The divisions by bias(i, β) are done as multiplications by 1/bias, computed once per step on
  // the host: the same numbers up to one rounding, and one division per element instead of three.
  const bias = (i: number, beta: number) => 1 - beta ** (i + 1)
  return {
    slots: amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'],
    scalars: (i: number) => ({ lr: lr(i), b1, b2, eps, invBias1: 1 / bias(i, b1), invBias2: 1 / bias(i, b2) }),
    rules: [
      rule('m', ['g', 'm', 'b1'], firstMoment), //   m = lerp(g, m, b1)
      rule('v', ['g', 'v', 'b2'], secondMoment), //  v = lerp(g², v, b2)
      ...(amsgrad ? [rule('vmax', ['vmax', 'v'], runningMax)] : []), // AMSGrad: divide by the largest v so far
      rule('x', ['x', 'm', amsgrad ? 'vmax' : 'v', 'lr', 'invBias1', 'invBias2', 'eps'], adamStep), // x − stepSize·velocity/(speed + eps)
    ],
    stepSize: lr,
    hyper: { stepSize, b1, b2, eps, weightDecay, amsgrad, maximize },
    weightDecay,
    maximize,
  }
})

/**
 * x ← x − stepSize · velocity / (speed + eps), velocity = m / bias(b1), speed = √(v / bias(b2))
 * (with 1/bias computed on the host).
 * @example rule('x', ['x', 'm', 'v', 'lr', 'invBias1', 'invBias2', 'eps'], adamStep)
 */
export function adamStep(x: number, m: number, v: number, lr: number, invBias1: number, invBias2: number, eps: number) {
  const velocity = m * invBias1
  const speed = Math.sqrt(v * invBias2)
  return x - (lr * velocity) / (speed + eps)
}
