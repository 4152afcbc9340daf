/**
 * Rule functions shared by several optimizers — building blocks for writing your own.
 *
 * Each is a `function` declaration over numbers (what gpu.js can compile, see rule.ts). The
 * running averages are written as `lerp(a, b, t) = (b − a)·t + a`, JAX's reading of an
 * exponential moving average: `lerp(g, avg, β) = β·avg + (1 − β)·g`.
 */

/**
 * m ← lerp(g, m, β) = (m − g)·β + g: the moving average of the gradient (Adam's m).
 * @example
 * import { rule, movingAverage } from 'tapegrad/optimizers'
 *
 * const r = rule('m', ['g', 'm', 'b1'], movingAverage)
 * movingAverage(1, 0, 0.9)   // 0.1
 */
export function movingAverage(g: number, m: number, beta: number) {
  return (m - g) * beta + g
}

/**
 * v ← lerp(g², v, β) = (v − g²)·β + g²: the moving average of the squared gradient (Adam's v).
 * @example
 * import { rule, movingAverageOfSquare } from 'tapegrad/optimizers'
 *
 * const r = rule('v', ['g', 'v', 'b2'], movingAverageOfSquare)
 * movingAverageOfSquare(2, 0, 0.9)   // 0.4
 */
export function movingAverageOfSquare(g: number, v: number, beta: number) {
  const g2 = g * g
  return (v - g2) * beta + g2
}

/**
 * max(a, b): a running maximum (AMSGrad's largest v so far).
 * @example
 * import { rule, runningMax } from 'tapegrad/optimizers'
 *
 * const r = rule('vmax', ['vmax', 'v'], runningMax)
 * runningMax(0.5, 0.25)   // 0.5
 */
export function runningMax(a: number, b: number) {
  return Math.max(a, b)
}

/**
 * sum ← sum + g²: the sum of squared gradients (Adagrad's accumulator).
 * @example
 * import { rule, addSquare } from 'tapegrad/optimizers'
 *
 * const r = rule('sum', ['sum', 'g'], addSquare)
 * addSquare(1, 3)   // 10
 */
export function addSquare(sum: number, g: number) {
  return sum + g * g
}

/**
 * x ← x − lr·d: a plain descent step along d.
 * @example
 * import { rule, descend } from 'tapegrad/optimizers'
 *
 * const r = rule('x', ['x', 'g', 'lr'], descend)   // SGD's rule
 * descend(1, 10, 0.01)   // 0.9
 */
export function descend(x: number, d: number, lr: number) {
  return x - lr * d
}

/**
 * v ← mass·v + g: the heavy-ball velocity (JAX's momentum).
 * @example
 * import { rule, accumulateVelocity } from 'tapegrad/optimizers'
 *
 * const r = rule('v', ['v', 'g', 'mass'], accumulateVelocity)
 * accumulateVelocity(1, 2, 0.9)   // 2.9
 */
export function accumulateVelocity(v: number, g: number, mass: number) {
  return mass * v + g
}

/**
 * x ← x − lr·(g + mass·v): Nesterov's look-ahead step.
 * @example
 * import { rule, nesterovStep } from 'tapegrad/optimizers'
 *
 * const r = rule('x', ['x', 'g', 'v', 'lr', 'mass'], nesterovStep)
 * nesterovStep(1, 2, 1, 0.1, 0.9)   // 0.71
 */
export function nesterovStep(x: number, g: number, v: number, lr: number, mass: number) {
  return x - lr * (g + mass * v)
}
