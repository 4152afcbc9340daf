/**
 * Rule functions shared by several optimizers — building blocks for writing your own.
 *
 * Each is a `function` declaration over numbers (what gpu.js can compile, see rule.ts). The
 * running averages are written as `lerp(a, b, t) = (b − a)·t + a`, JAX's reading of an
 * exponential moving average: `lerp(g, avg, β) = β·avg + (1 − β)·g`.
 */

/**
 * m ← lerp(g, m, β) = (m − g)·β + g: the moving average of the gradient (Adam's m).
 * @example rule('m', ['g', 'm', 'b1'], movingAverage)
 */
export function movingAverage(g: number, m: number, beta: number) {
  return (m - g) * beta + g
}

/**
 * v ← lerp(g², v, β) = (v − g²)·β + g²: the moving average of the squared gradient (Adam's v).
 * @example rule('v', ['g', 'v', 'b2'], movingAverageOfSquare)
 */
export function movingAverageOfSquare(g: number, v: number, beta: number) {
  const g2 = g * g
  return (v - g2) * beta + g2
}

/**
 * max(a, b): a running maximum (AMSGrad's largest v so far).
 * @example rule('vmax', ['vmax', 'v'], runningMax)
 */
export function runningMax(a: number, b: number) {
  return Math.max(a, b)
}

/**
 * sum ← sum + g²: the sum of squared gradients (Adagrad's accumulator).
 * @example rule('sum', ['sum', 'g'], addSquare)
 */
export function addSquare(sum: number, g: number) {
  return sum + g * g
}

/**
 * x ← x − lr·d: a plain descent step along d.
 * @example rule('x', ['x', 'g', 'lr'], descend)   // SGD
 */
export function descend(x: number, d: number, lr: number) {
  return x - lr * d
}

/**
 * v ← mass·v + g: the heavy-ball velocity (JAX's momentum).
 * @example rule('v', ['v', 'g', 'mass'], accumulateVelocity)
 */
export function accumulateVelocity(v: number, g: number, mass: number) {
  return mass * v + g
}

/**
 * x ← x − lr·(g + mass·v): Nesterov's look-ahead step.
 * @example rule('x', ['x', 'g', 'v', 'lr', 'mass'], nesterovStep)
 */
export function nesterovStep(x: number, g: number, v: number, lr: number, mass: number) {
  return x - lr * (g + mass * v)
}
