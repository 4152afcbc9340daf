/**
 * Hyper-parameters, checked by name. Optimizers share their hyper-parameters' names (`b1`, `eps`,
 * `weightDecay`, …), so what each name must be is written once, in {@link HYPER_PARAMETERS}, and
 * the lifter (optimizer.ts) checks every optimizer's arguments against it before the optimizer
 * is built. An error names the optimizer, the hyper-parameter and the value:
 *
 *     adam: b1 must be a number in [0, 1), got number 1
 *     adam: unknown option 'weight_decay' (known: amsgrad, weightDecay, maximize)
 *
 * An optimizer whose hyper-parameter has another range (sgd's momentum may be 1) or a name of
 * its own declares that constraint next to its defaults.
 */
import { describeValue } from '../src/describe-value.js'
import type { Schedule, ScheduleLike } from './schedules.js'

/** What a hyper-parameter must be: the words for errors, and the test. */
export interface Constraint {
  /** Completes "b1 must be …", e.g. 'a number in [0, 1)'. */
  readonly expected: string
  /** Whether `x` satisfies the constraint. */
  readonly accepts: (x: unknown) => boolean
}

/**
 * A finite number in [lo, hi), or in [lo, hi] when `closed`.
 * @example
 * import { interval } from 'tapegrad/optimizers'
 *
 * interval(0, 1).accepts(1)         // false
 * interval(0, 1, true).accepts(1)   // true
 * interval(0, Infinity).expected    // 'a number in [0, ∞)'
 */
export function interval(lo: number, hi: number, closed = false): Constraint {
  const left = lo === -Infinity ? '(-∞' : `[${lo}`
  const right = hi === Infinity ? '∞)' : `${hi}${closed ? ']' : ')'}`
  return {
    expected: `a number in ${left}, ${right}`,
    accepts: (x) => typeof x === 'number' && Number.isFinite(x) && x >= lo && (closed ? x <= hi : x < hi),
  }
}

/**
 * A finite number ≥ 0.
 * @example
 * import { nonNegative } from 'tapegrad/optimizers'
 *
 * nonNegative.accepts(-1)   // false
 */
export const nonNegative: Constraint = interval(0, Infinity)

/**
 * A decay rate or momentum: a number in [0, 1).
 * @example
 * import { fraction } from 'tapegrad/optimizers'
 *
 * fraction.accepts(0.999)   // true
 */
export const fraction: Constraint = interval(0, 1)

/**
 * `true` or `false`.
 * @example
 * import { flag } from 'tapegrad/optimizers'
 *
 * flag.accepts(1)   // false
 */
export const flag: Constraint = { expected: 'a boolean', accepts: (x) => typeof x === 'boolean' }

/**
 * A step size: a finite number or a schedule `(i) => number`.
 * @example
 * import { stepSizeOrSchedule } from 'tapegrad/optimizers'
 *
 * stepSizeOrSchedule.accepts(NaN)   // false
 */
export const stepSizeOrSchedule: Constraint = {
  expected: 'a finite number or a schedule (i) => number',
  accepts: (x) => typeof x === 'function' || (typeof x === 'number' && Number.isFinite(x)),
}

/**
 * The hyper-parameters optimizers share, by name: what each must be.
 * @example
 * import { HYPER_PARAMETERS } from 'tapegrad/optimizers'
 *
 * HYPER_PARAMETERS.eps.expected   // 'a number in [0, ∞)'
 */
export const HYPER_PARAMETERS: Readonly<Record<string, Constraint>> = Object.freeze({
  stepSize: stepSizeOrSchedule,
  b1: fraction, // running-average rates: 1 would never forget the zero start
  b2: fraction,
  rho: fraction,
  gamma: fraction,
  momentum: fraction,
  mass: interval(0, 1, true), // JAX's momentum / nesterov
  eps: nonNegative,
  weightDecay: nonNegative,
  dampening: nonNegative,
  lrDecay: nonNegative,
  initialAccumulatorValue: nonNegative,
  momentumDecay: nonNegative,
  amsgrad: flag,
  maximize: flag,
  nesterov: flag,
  centered: flag,
  epsInSqrt: flag,
})

/** The options every optimizer has, with their defaults: applied to the gradient by the lifter. */
export const GRADIENT_OPTIONS = Object.freeze({ weightDecay: 0, maximize: false })

/** A hyper-parameter's value: a number, a flag, a string, or (for `stepSize`) a schedule. */
export type HyperValue = number | boolean | string | null | Schedule

/**
 * The options argument of an optimizer with options `T` (besides the two every optimizer has):
 * each may be left out.
 * @example
 * import { adam, type Options } from 'tapegrad/optimizers'
 *
 * type AdamOptions = Options<{ amsgrad: boolean }>   // every key optional: amsgrad, weightDecay, maximize
 * const options: AdamOptions = { amsgrad: true }
 * adam(1e-3, 0.9, 0.999, 1e-8, options).hyper.amsgrad   // true
 */
export type Options<T = unknown> = { [K in keyof T]?: T[K] } & { weightDecay?: number; maximize?: boolean }

/**
 * What an optimizer's factory returns from its arguments: its positional hyper-parameters by
 * name, and the options object as it was given (`undefined` when left out).
 * @example
 * import { type Options, type ScheduleLike } from 'tapegrad/optimizers'
 *
 * const named = (stepSize: ScheduleLike, b1: number = 0.9, options?: Options) => ({ stepSize, b1, options })
 * named(0.1)   // { stepSize: 0.1, b1: 0.9, options: undefined }
 */
export type NamedArguments = { stepSize: ScheduleLike; options?: unknown } & Record<string, unknown>

/**
 * The hyper-parameters as an optimizer's rules see them: every positional one by name (the step
 * size as a {@link Schedule}), every option with its default filled in.
 */
export type Resolved<N, D> = {
  readonly [K in keyof N as K extends 'options' ? never : K]: K extends 'stepSize' ? Schedule : N[K]
} & Readonly<D> & { readonly weightDecay: number; readonly maximize: boolean }

/**
 * Reads an optimizer's arguments into one record of hyper-parameters — the positional ones, then
 * every option with its default filled in — and checks each by name. Throws, naming the
 * optimizer, the hyper-parameter and the value, on an unknown option, a value that breaks its
 * constraint, or a name that has no constraint.
 *
 * @param who          the optimizer's name, for errors
 * @param named        what the factory returned: `{ stepSize, b1, …, options }`
 * @param defaults     every option's default (the optimizer's own and {@link GRADIENT_OPTIONS})
 * @param constraints  constraints for names the table does not have, or that differ from it
 * @example
 * import { readHyperParameters } from './optimizers/hyper-parameters'   // internal: the lifter calls it
 *
 * const named = { stepSize: 1e-3, b1: 0.9, options: { amsgrad: true } }
 * readHyperParameters('adam', named, { amsgrad: false })   // { stepSize: 0.001, b1: 0.9, amsgrad: true }
 * readHyperParameters('adam', { stepSize: 1e-3, b1: 1 }, { amsgrad: false })   // throws adam: b1 must be a number in [0, 1), got number 1
 */
export function readHyperParameters(
  who: string,
  named: NamedArguments,
  defaults: Readonly<Record<string, HyperValue>>,
  constraints: Readonly<Record<string, Constraint>> = {},
): Record<string, HyperValue> {
  if (!named || typeof named !== 'object') {
    const expected = 'its arguments by name ({ stepSize, …, options })'
    throw new Error(`optimizer '${who}': its args function must return ${expected}, got ${describeValue(named)}`)
  }
  const { options, ...positional } = named
  const hyper = { ...positional, ...readOptions(who, options, defaults) } as Record<string, HyperValue>
  for (const [name, value] of Object.entries(hyper)) {
    const constraint = constraints[name] ?? HYPER_PARAMETERS[name]
    if (!constraint) {
      const fix = `declare what it must be (constraints: { ${name}: interval(0, 1) })`
      const notInTable = `'${name}' is not a hyper-parameter of the table in hyper-parameters.ts`
      throw new Error(`optimizer '${who}': ${notInTable}; ${fix}`)
    }
    if (!constraint.accepts(value)) {
      throw new Error(`${who}: ${name} must be ${constraint.expected}, got ${describeValue(value)}`)
    }
  }
  return hyper
}

/** The options over their defaults, refusing names it does not know (a typo is an error, not
 *  an option silently ignored). `undefined` values keep the default. */
function readOptions(who: string, given: unknown, defaults: Readonly<Record<string, HyperValue>>) {
  if (given === undefined) return { ...defaults }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new Error(`${who}: options must be an object, got ${describeValue(given)}`)
  }
  const out: Record<string, HyperValue> = { ...defaults }
  for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
    if (!(name in defaults)) {
      throw new Error(`${who}: unknown option '${name}' (known: ${Object.keys(defaults).join(', ')})`)
    }
    if (value !== undefined) out[name] = value as HyperValue
  }
  return out
}
