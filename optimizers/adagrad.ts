import { optimizer, rule, type Options, type ScheduleLike } from './optimizer.js'
import { addSquare, descend } from './rules.js'

/**
 * Adagrad (Duchi, Hazan & Singer, 2011): every parameter's step is divided by the root of the
 * sum of all its squared gradients so far.
 *
 *     s ← s + g²                                  (s starts at initialAccumulatorValue)
 *     d = g / (√s + eps)                          (0 where s = 0, as JAX's `where`)
 *     m ← momentum·m + (1 − momentum)·d           (only when momentum > 0)
 *     x ← x − lr(i) / (1 + i·lrDecay) · (momentum > 0 ? m : d)
 *
 * Defaults — momentum 0, eps 1e-10, lrDecay 0, initialAccumulatorValue 0 — are PyTorch's
 * (torch.optim.Adagrad), which is also the classic algorithm and optax's, so code ported from
 * PyTorch or the paper behaves the same. JAX's `example_libraries` adagrad differs in one
 * default: it mixes in momentum 0.9 and has no eps; `adagrad(lr, 0.9, { eps: 0 })` is exactly it.
 * Positional order is JAX's: adagrad(stepSize, momentum).
 *
 * @example
 * import { adagrad } from 'tapegrad/optimizers'
 *
 * const opt = adagrad(0.01)                        // PyTorch's Adagrad
 * const jaxAdagrad = adagrad(0.01, 0.9, { eps: 0 }) // JAX's example_libraries adagrad
 */
export const adagrad = optimizer(
  'adagrad',
  (stepSize: ScheduleLike, momentum = 0, options?: AdagradOptions) => ({ stepSize, momentum, options }),
  ({ stepSize, momentum, lrDecay, initialAccumulatorValue }) => ({
    initialValues: { sum: initialAccumulatorValue },
    scalars: (i) => ({ decayedLr: stepSize(i) / (1 + i * lrDecay) }),
    rules: [
      rule('sum', ['sum', 'g'], addSquare),
      momentum > 0 && rule('m', ['m', 'g', 'sum', 'eps', 'momentum'], adagradMomentum),
      momentum > 0
        ? rule('x', ['x', 'm', 'decayedLr'], descend)
        : rule('x', ['x', 'g', 'sum', 'decayedLr', 'eps'], adagradStep),
    ],
  }),
  { options: { eps: 1e-10, lrDecay: 0, initialAccumulatorValue: 0 } },
)

type AdagradOptions = Options<{ eps: number; lrDecay: number; initialAccumulatorValue: number }>

/** x ← x − lr·g/(√s + eps), unchanged where s = 0. */
function adagradStep(x: number, g: number, sum: number, lr: number, eps: number) {
  if (sum > 0) return x - (lr * g) / (Math.sqrt(sum) + eps)
  return x
}

/** m ← momentum·m + (1 − momentum)·d, d = g/(√s + eps) (0 where s = 0). */
function adagradMomentum(m: number, g: number, sum: number, eps: number, momentum: number) {
  let d = 0
  if (sum > 0) d = g / (Math.sqrt(sum) + eps)
  return (1 - momentum) * d + momentum * m
}
