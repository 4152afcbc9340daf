/**
 * The one table of optimizers. Every optimizer exported from optimizers/index.ts has a row
 * (test/optimizers.test.ts checks that); each row says
 *   - which reference trajectories it must reproduce: fixture case name → the tapegrad call with
 *     the same hyper-parameters (the torch call or formula is in test/fixtures/optimizers.json,
 *     written by optimizer_fixtures.py);
 *   - hyper-parameters that converge on the quadratic and on the Rosenbrock function
 *     (test/optimizers.test.ts), and a typical instance for the generic tests.
 */
import * as O from '../../optimizers/index.js'
import type { Optimizer, OptimizerFactory } from '../../optimizers/index.js'

export interface OptimizerRow {
  /** The exported name. */
  name: string
  factory: OptimizerFactory<any>
  /** A typical instance, with options that use every slot kind it has (for generic tests). */
  typical: () => Optimizer
  /** More instances for the generic tests (other option combinations). */
  variants?: (() => Optimizer)[]
  /** Fixture case name → the same optimizer in tapegrad. */
  fixtures: Record<string, () => Optimizer>
  /** Converges to loss < 1e-4 on the quadratic within 500 steps from 0. */
  quadratic: () => Optimizer
  /** Converges to loss < 1e-3 on Rosenbrock within 10000 steps from (−1.2, 1). */
  rosenbrock: () => Optimizer
}

export const rows: OptimizerRow[] = [
  {
    name: 'sgd',
    factory: O.sgd,
    typical: () => O.sgd(0.05, { momentum: 0.9, nesterov: true }),
    variants: [
      () => O.sgd(0.1),
      () => O.sgd(0.05, { momentum: 0.9, dampening: 0.1, weightDecay: 0.01, maximize: true }),
    ],
    fixtures: {
      'sgd plain': () => O.sgd(0.1),
      'sgd momentum': () => O.sgd(0.05, { momentum: 0.9 }),
      'sgd nesterov': () => O.sgd(0.05, { momentum: 0.9, nesterov: true }),
      'sgd dampening': () => O.sgd(0.05, { momentum: 0.9, dampening: 0.5 }),
      'sgd weight decay': () => O.sgd(0.05, { momentum: 0.9, weightDecay: 0.1 }),
      'sgd maximize': () => O.sgd(0.05, { momentum: 0.5, maximize: true }),
    },
    quadratic: () => O.sgd(0.1),
    rosenbrock: () => O.sgd(1e-3, { momentum: 0.9 }),
  },
  {
    name: 'momentum',
    factory: O.momentum,
    typical: () => O.momentum(0.05, 0.9),
    fixtures: { momentum: () => O.momentum(0.05, 0.8) },
    quadratic: () => O.momentum(0.05, 0.9),
    rosenbrock: () => O.momentum(1e-3, 0.9),
  },
  {
    name: 'nesterov',
    factory: O.nesterov,
    typical: () => O.nesterov(0.05, 0.9),
    fixtures: { nesterov: () => O.nesterov(0.05, 0.8) },
    quadratic: () => O.nesterov(0.05, 0.9),
    rosenbrock: () => O.nesterov(1e-3, 0.9),
  },
  {
    name: 'adagrad',
    factory: O.adagrad,
    typical: () => O.adagrad(0.1),
    variants: [() => O.adagrad(0.1, 0.9, { eps: 0, initialAccumulatorValue: 0.1, lrDecay: 0.01 })],
    fixtures: {
      'adagrad default': () => O.adagrad(0.01),
      'adagrad lr decay': () => O.adagrad(0.1, 0, { lrDecay: 0.1, initialAccumulatorValue: 0.1 }),
      'adagrad weight decay maximize': () => O.adagrad(0.1, 0, { weightDecay: 0.1, maximize: true }),
      'adagrad jax': () => O.adagrad(0.1, 0.9, { eps: 0 }),
    },
    quadratic: () => O.adagrad(1),
    rosenbrock: () => O.adagrad(1),
  },
  {
    name: 'rmsprop',
    factory: O.rmsprop,
    typical: () => O.rmsprop(0.01),
    variants: [() => O.rmsprop(0.01, 0.9, 1e-8, { centered: true, momentum: 0.5, epsInSqrt: false })],
    fixtures: {
      'rmsprop torch default': () => O.rmsprop(0.01, 0.99, 1e-8, { epsInSqrt: false }),
      'rmsprop momentum': () => O.rmsprop(0.01, 0.9, 1e-8, { epsInSqrt: false, momentum: 0.9 }),
      'rmsprop centered': () => O.rmsprop(0.01, 0.9, 1e-8, { epsInSqrt: false, centered: true }),
      'rmsprop centered momentum decay': () =>
        O.rmsprop(0.01, 0.9, 1e-8, { epsInSqrt: false, centered: true, momentum: 0.5, weightDecay: 0.1 }),
      'rmsprop jax': () => O.rmsprop(0.01),
    },
    quadratic: () => O.rmsprop(0.05),
    rosenbrock: () => O.rmsprop(O.exponentialDecay(0.01, 1000, 0.1)),
  },
  {
    name: 'rmspropMomentum',
    factory: O.rmspropMomentum,
    typical: () => O.rmspropMomentum(0.01),
    variants: [() => O.rmspropMomentum(0.01, 0.9, 1e-8, 0.9, { centered: true, epsInSqrt: false })],
    fixtures: {
      'rmspropMomentum constant lr': () => O.rmspropMomentum(0.01, 0.9, 1e-8, 0.9, { epsInSqrt: false }),
      'rmspropMomentum jax schedule': () => O.rmspropMomentum((i: number) => 0.01 / (1 + i)),
    },
    quadratic: () => O.rmspropMomentum(0.01),
    rosenbrock: () => O.rmspropMomentum(O.exponentialDecay(1e-3, 1000, 0.1)),
  },
  {
    name: 'adam',
    factory: O.adam,
    typical: () => O.adam(0.05),
    variants: [() => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true, weightDecay: 0.01, maximize: true })],
    fixtures: {
      'adam default': () => O.adam(1e-3),
      'adam lr 0.05': () => O.adam(0.05),
      'adam amsgrad': () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true }),
      'adam weight decay': () => O.adam(0.05, 0.9, 0.999, 1e-8, { weightDecay: 0.1 }),
      'adam unusual betas': () => O.adam(0.05, 0.5, 0.9, 1e-4),
      'adam maximize': () => O.adam(0.05, 0.9, 0.999, 1e-8, { maximize: true }),
      'adam step decay schedule': () => O.adam(O.stepDecay(0.05, 3, 0.5)),
    },
    quadratic: () => O.adam(0.1),
    rosenbrock: () => O.adam(0.02),
  },
  {
    name: 'adamax',
    factory: O.adamax,
    typical: () => O.adamax(0.02),
    fixtures: {
      adamax: () => O.adamax(0.02),
      'adamax weight decay': () => O.adamax(0.02, 0.8, 0.99, 1e-8, { weightDecay: 0.1 }),
      'adamax jax': () => O.adamax(0.02),
    },
    quadratic: () => O.adamax(0.1),
    rosenbrock: () => O.adamax(0.02),
  },
  {
    name: 'sm3',
    factory: O.sm3,
    typical: () => O.sm3(0.1),
    fixtures: {
      'sm3 jax': () => O.sm3(0.1, 0.9),
      'sm3 jax momentum 0.5': () => O.sm3(0.05, 0.5),
    },
    quadratic: () => O.sm3(0.5),
    rosenbrock: () => O.sm3(0.3, 0.5),
  },
  {
    name: 'adamw',
    factory: O.adamw,
    typical: () => O.adamw(0.05),
    variants: [() => O.adamw(0.05, 0.9, 0.999, 1e-8, 0.1, { amsgrad: true, maximize: true })],
    fixtures: {
      'adamw default': () => O.adamw(1e-3),
      'adamw decay amsgrad': () => O.adamw(0.05, 0.9, 0.999, 1e-8, 0.5, { amsgrad: true }),
    },
    quadratic: () => O.adamw(0.1, 0.9, 0.999, 1e-8, 0),
    rosenbrock: () => O.adamw(0.02, 0.9, 0.999, 1e-8, 0),
  },
  {
    name: 'nadam',
    factory: O.nadam,
    typical: () => O.nadam(0.02),
    fixtures: {
      'nadam default': () => O.nadam(2e-3),
      'nadam options': () => O.nadam(0.05, 0.8, 0.99, 1e-8, { momentumDecay: 0.01, weightDecay: 0.1 }),
    },
    quadratic: () => O.nadam(0.1),
    rosenbrock: () => O.nadam(0.01),
  },
  {
    name: 'radam',
    factory: O.radam,
    typical: () => O.radam(0.02),
    fixtures: {
      'radam default': () => O.radam(1e-3),
      'radam lr 0.05 weight decay': () => O.radam(0.05, 0.9, 0.999, 1e-8, { weightDecay: 0.1 }),
    },
    quadratic: () => O.radam(0.1),
    rosenbrock: () => O.radam(O.linearWarmup(0, 0.02, 200)),
  },
  {
    name: 'adadelta',
    factory: O.adadelta,
    typical: () => O.adadelta(),
    fixtures: {
      'adadelta default': () => O.adadelta(),
      'adadelta options': () => O.adadelta(0.5, 0.8, 1e-5, { weightDecay: 0.1, maximize: true }),
    },
    quadratic: () => O.adadelta(1, 0.9, 1e-3),
    rosenbrock: () => O.adadelta(O.exponentialDecay(1, 2000, 0.1), 0.9, 1e-4),
  },
  {
    name: 'lion',
    factory: O.lion,
    typical: () => O.lion(0.01),
    variants: [() => O.lion(0.01, 0.9, 0.99, 0.1, { maximize: true })],
    fixtures: {
      lion: () => O.lion(0.01),
      'lion weight decay': () => O.lion(0.01, 0.8, 0.95, 0.5),
    },
    quadratic: () => O.lion(O.exponentialDecay(0.05, 500, 0.1)),
    rosenbrock: () => O.lion(O.exponentialDecay(0.01, 2000, 0.1)),
  },
]

/** Every instance of the table (typical and variants) with a stable label. */
export function instances(): { label: string; make: () => Optimizer }[] {
  return rows.flatMap((r) =>
    [r.typical, ...(r.variants ?? [])].map((make, k) => ({ label: `${r.name}${k ? ` (variant ${k})` : ''}`, make })),
  )
}

/**
 * Deterministic gradients that depend on the parameters (so a trajectory depends on the whole
 * state): g = 0.5·(x − 0.3) + 0.1·sin(1.7·i + j) for element j of each leaf. Used by the
 * save/load tests, in the test process and in the fresh child process alike.
 */
export function resumeGrads(i: number, params: unknown): unknown {
  const walk = (node: unknown): unknown => {
    if (node && typeof node === 'object' && 'data' in (node as object) && 'shape' in (node as object)) {
      const t = node as {
        data: Float32Array
        shape: number[]
        constructor: new (d: Float32Array, s: number[]) => unknown
      }
      const g = new Float32Array(t.data.length)
      for (let j = 0; j < g.length; j++) g[j] = 0.5 * (t.data[j] - 0.3) + 0.1 * Math.sin(1.7 * i + j)
      return new t.constructor(g, t.shape.slice())
    }
    if (Array.isArray(node)) return node.map(walk)
    return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, walk(v)]))
  }
  return walk(params)
}
