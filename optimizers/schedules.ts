/**
 * Step-size schedules: functions from the 0-based step `i` to a step size. Every optimizer's
 * `stepSize` is a {@link ScheduleLike} — a number or a schedule — turned into a schedule once by
 * {@link makeSchedule}.
 *
 * JAX's five (`constant`, `exponentialDecay`, `inverseTimeDecay`, `polynomialDecay`,
 * `piecewiseConstant`) follow `jax/example_libraries/optimizers.py` formula for formula and argument
 * for argument.
 */

/** A step-size schedule: the 0-based step `i` ↦ the step size used at that step. */
export type Schedule = (i: number) => number

/** What every optimizer accepts as `stepSize`: a fixed number or a {@link Schedule}. */
export type ScheduleLike = number | Schedule

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (Array.isArray(x)) return 'an array'
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'unknown'}`
  return `${typeof x} ${String(x)}`
}

/**
 * Turns a number or a schedule into a schedule, as JAX's `make_schedule`: a function is returned
 * as it is, a finite number becomes {@link constant}.
 *
 * @throws if `x` is neither a finite number nor a function.
 * @example
 * const lr = makeSchedule(1e-3)              // lr(i) = 0.001 for every i
 * const lr2 = makeSchedule((i) => 1 / (i + 1))
 */
export function makeSchedule(x: ScheduleLike): Schedule {
  if (typeof x === 'function') return x
  if (typeof x === 'number' && Number.isFinite(x)) return constant(x)
  throw new TypeError(`makeSchedule: expected a finite number or a function (i) => number, got ${describe(x)}`)
}

/**
 * The constant schedule:  s(i) = stepSize.
 *
 * Source: `constant` in jax/example_libraries/optimizers.py.
 * @example
 * constant(0.1)(1000)  // 0.1
 */
export function constant(stepSize: number): Schedule {
  if (typeof stepSize !== 'number' || !Number.isFinite(stepSize)) {
    throw new TypeError(`constant: stepSize must be a finite number, got ${describe(stepSize)}`)
  }
  return function constantSchedule(_i: number) {
    return stepSize
  }
}
