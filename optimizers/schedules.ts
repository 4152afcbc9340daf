/**
 * Step-size schedules: functions from the 0-based step `i` to a step size. Every optimizer's
 * `stepSize` is a {@link ScheduleLike} — a number or a schedule — turned into a schedule once by
 * {@link makeSchedule}, then called once per step on the host (never per element).
 *
 * - JAX's five — {@link constant}, {@link exponentialDecay}, {@link inverseTimeDecay},
 *   {@link polynomialDecay}, {@link piecewiseConstant} — follow
 *   `jax/example_libraries/optimizers.py` ("learning rate schedules") formula for formula and
 *   argument for argument.
 * - {@link linearWarmup}, {@link cosineDecay}, {@link warmupCosineDecay} follow optax
 *   (`optax/schedules/_schedule.py`: `warmup_constant_schedule`, `cosine_decay_schedule`,
 *   `warmup_cosine_decay_schedule`), argument names in camelCase.
 * - {@link oneCycle} follows `torch.optim.lr_scheduler.OneCycleLR` (cos or linear anneal, two or
 *   three phases),
 *   {@link stepDecay} follows `torch.optim.lr_scheduler.StepLR`.
 *
 * Every factory checks its arguments and throws an error that names the schedule and the argument.
 * The returned schedules are plain functions of `i` with no state: calling one twice with the same
 * `i` gives the same value, so a saved optimizer state resumes the schedule exactly.
 */
import { describeValue } from '../src/describe-value.js'

/**
 * A step-size schedule: the 0-based step `i` ↦ the step size used at that step.
 * @example
 * import { type Schedule } from 'tapegrad/optimizers'
 *
 * const halfLife: Schedule = (i) => 0.1 * 0.5 ** (i / 1000)
 * halfLife(1000)   // 0.05
 */
export type Schedule = (i: number) => number

/**
 * What every optimizer accepts as `stepSize`: a fixed number or a {@link Schedule}.
 * @example
 * import { adam, exponentialDecay } from 'tapegrad/optimizers'
 *
 * adam(1e-3)                          // a number
 * adam(exponentialDecay(1e-3, 100, 0.9))  // a schedule
 */
export type ScheduleLike = number | Schedule

// Argument checks shared by the factories. Each throws `<schedule>: <argument> must be …, got …`.
function finite(who: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new TypeError(`${who}: ${name} must be a finite number, got ${describeValue(x)}`)
  return x
}
function positive(who: string, name: string, x: unknown): number {
  finite(who, name, x)
  if (!((x as number) > 0)) throw new RangeError(`${who}: ${name} must be > 0, got ${x}`)
  return x as number
}
function nonNegative(who: string, name: string, x: unknown): number {
  finite(who, name, x)
  if (!((x as number) >= 0)) throw new RangeError(`${who}: ${name} must be ≥ 0, got ${x}`)
  return x as number
}
function integer(who: string, name: string, x: unknown, min: number): number {
  finite(who, name, x)
  if (!Number.isInteger(x) || (x as number) < min)
    throw new RangeError(`${who}: ${name} must be an integer ≥ ${min}, got ${x}`)
  return x as number
}

/**
 * Turns a number or a schedule into a schedule, as JAX's `make_schedule`: a function is returned
 * as it is, a finite number becomes {@link constant}.
 *
 * @throws TypeError if `x` is neither a finite number nor a function.
 * @example
 * import { makeSchedule } from 'tapegrad/optimizers'
 *
 * const lr = makeSchedule(1e-3)                 // lr(i) = 0.001 for every i
 * lr(1000)                                      // 0.001
 * const inverse = (i: number) => 1 / (i + 1)
 * makeSchedule(inverse) === inverse             // true
 */
export function makeSchedule(x: ScheduleLike): Schedule {
  if (typeof x === 'function') return x
  if (typeof x === 'number' && Number.isFinite(x)) return constant(x)
  throw new TypeError(`makeSchedule: expected a finite number or a function (i) => number, got ${describeValue(x)}`)
}

/**
 * The constant schedule:  s(i) = stepSize.
 *
 * Source: `constant` in jax/example_libraries/optimizers.py.
 * @example
 * import { constant } from 'tapegrad/optimizers'
 *
 * constant(0.1)(1000)  // 0.1
 */
export function constant(stepSize: number): Schedule {
  finite('constant', 'stepSize', stepSize)
  return function constantSchedule(_i: number) {
    return stepSize
  }
}

/**
 * Smooth exponential decay:  s(i) = stepSize · decayRate^(i / decaySteps).
 *
 * The step size is multiplied by `decayRate` every `decaySteps` steps, continuously in between.
 * Equals `torch.optim.lr_scheduler.ExponentialLR` with `gamma = decayRate^(1/decaySteps)`.
 * Source: `exponential_decay` in jax/example_libraries/optimizers.py.
 *
 * @param stepSize   s(0), any finite number
 * @param decaySteps > 0
 * @param decayRate  > 0
 * @example
 * import { exponentialDecay } from 'tapegrad/optimizers'
 *
 * const s = exponentialDecay(1e-3, 100, 0.9)
 * s(0)    // 0.001
 * s(100)  // 0.0009
 * // half way to the first decay, 0.001 · √0.9:
 * s(50)   // 0.000948683
 */
export function exponentialDecay(stepSize: number, decaySteps: number, decayRate: number): Schedule {
  const who = 'exponentialDecay'
  finite(who, 'stepSize', stepSize)
  positive(who, 'decaySteps', decaySteps)
  positive(who, 'decayRate', decayRate)
  return function exponentialDecaySchedule(i: number) {
    return stepSize * decayRate ** (i / decaySteps)
  }
}

/**
 * Inverse-time decay:
 *   s(i) = stepSize / (1 + decayRate · i / decaySteps)             (staircase = false)
 *   s(i) = stepSize / (1 + decayRate · ⌊i / decaySteps⌋)           (staircase = true)
 *
 * Source: `inverse_time_decay` in jax/example_libraries/optimizers.py.
 *
 * @param stepSize   s(0), any finite number
 * @param decaySteps > 0
 * @param decayRate  ≥ 0 (a negative rate would divide by zero at some step)
 * @param staircase  decay in whole steps of `decaySteps` (default false)
 * @example
 * import { inverseTimeDecay } from 'tapegrad/optimizers'
 *
 * inverseTimeDecay(0.1, 10, 1)(10)        // 0.05
 * // staircase: ⌊15/10⌋ = 1, so 0.1 / 2 again
 * inverseTimeDecay(0.1, 10, 1, true)(15)  // 0.05
 */
export function inverseTimeDecay(stepSize: number, decaySteps: number, decayRate: number, staircase = false): Schedule {
  const who = 'inverseTimeDecay'
  finite(who, 'stepSize', stepSize)
  positive(who, 'decaySteps', decaySteps)
  nonNegative(who, 'decayRate', decayRate)
  if (typeof staircase !== 'boolean')
    throw new TypeError(`${who}: staircase must be a boolean, got ${describeValue(staircase)}`)
  if (staircase) {
    return function inverseTimeDecayStaircase(i: number) {
      return stepSize / (1 + decayRate * Math.floor(i / decaySteps))
    }
  }
  return function inverseTimeDecaySchedule(i: number) {
    return stepSize / (1 + (decayRate * i) / decaySteps)
  }
}

/**
 * Polynomial decay from `stepSize` to `finalStepSize` over `decaySteps` steps, then constant:
 *   t = min(i, decaySteps)
 *   s(i) = (1 − t / decaySteps)^power · (stepSize − finalStepSize) + finalStepSize
 *
 * `power = 1` is a linear ramp. With `finalStepSize = 0` this is
 * `torch.optim.lr_scheduler.PolynomialLR(total_iters = decaySteps, power)`.
 * Source: `polynomial_decay` in jax/example_libraries/optimizers.py.
 *
 * @param stepSize      s(0)
 * @param decaySteps    > 0
 * @param finalStepSize s(i) for i ≥ decaySteps
 * @param power         > 0 (default 1)
 * @example
 * import { polynomialDecay } from 'tapegrad/optimizers'
 *
 * const s = polynomialDecay(1, 10, 0.1)   // linear from 1 to 0.1 over 10 steps
 * s(5)   // 0.55
 * s(20)  // 0.1
 */
export function polynomialDecay(stepSize: number, decaySteps: number, finalStepSize: number, power = 1.0): Schedule {
  const who = 'polynomialDecay'
  // cosineDecay below has the same shape (two finite arguments, two positive ones, a named closure):
  // each schedule checks its own arguments under its own name; the formulas differ.
  finite(who, 'stepSize', stepSize)
  positive(who, 'decaySteps', decaySteps)
  finite(who, 'finalStepSize', finalStepSize)
  positive(who, 'power', power)
  return function polynomialDecaySchedule(i: number) {
    const t = Math.min(i, decaySteps)
    const mult = (1 - t / decaySteps) ** power
    return mult * (stepSize - finalStepSize) + finalStepSize
  }
}

/**
 * Piecewise constant:  s(i) = values[k], where k = #{ j : i > boundaries[j] }.
 *
 * So `values[0]` is used for i ≤ boundaries[0], `values[1]` for boundaries[0] < i ≤ boundaries[1],
 * …, and the last value after the last boundary. Note the strict `>`: at i = boundaries[j] the
 * previous value still holds (JAX's convention; torch's MultiStepLR milestones switch one step
 * earlier, at i = milestone).
 * Source: `piecewise_constant` in jax/example_libraries/optimizers.py.
 *
 * @param boundaries strictly increasing finite numbers
 * @param values     finite numbers, exactly one more than `boundaries`
 * @example
 * import { piecewiseConstant } from 'tapegrad/optimizers'
 *
 * const s = piecewiseConstant([10, 20], [1e-2, 1e-3, 1e-4])
 * s(10)  // 0.01
 * s(11)  // 0.001
 * s(25)  // 0.0001
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): Schedule {
  const who = 'piecewiseConstant'
  if (!Array.isArray(boundaries))
    throw new TypeError(`${who}: boundaries must be an array of numbers, got ${describeValue(boundaries)}`)
  if (!Array.isArray(values))
    throw new TypeError(`${who}: values must be an array of numbers, got ${describeValue(values)}`)
  if (boundaries.length !== values.length - 1) {
    throw new RangeError(
      `${who}: boundaries must be one shorter than values, got ${boundaries.length} boundaries and ${values.length} values`,
    )
  }
  boundaries.forEach((b, j) => finite(who, `boundaries[${j}]`, b))
  values.forEach((v, j) => finite(who, `values[${j}]`, v))
  for (let j = 1; j < boundaries.length; j++) {
    if (!(boundaries[j] > boundaries[j - 1])) {
      throw new RangeError(
        `${who}: boundaries must be strictly increasing, got boundaries[${j - 1}] = ${boundaries[j - 1]} and boundaries[${j}] = ${boundaries[j]}`,
      )
    }
  }
  // Copies: later changes to the caller's arrays must not change the schedule.
  const bs = boundaries.slice()
  const vs = values.slice()
  return function piecewiseConstantSchedule(i: number) {
    let k = 0
    while (k < bs.length && i > bs[k]) k++
    return vs[k]
  }
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps` steps, then constant:
 *   s(i) = initValue + (peakValue − initValue) · min(i, warmupSteps) / warmupSteps
 *
 * optax's `warmup_constant_schedule(init_value, peak_value, warmup_steps)` (a `linear_schedule`).
 * Equals `torch.optim.lr_scheduler.LinearLR(start_factor = initValue/peakValue, end_factor = 1,
 * total_iters = warmupSteps)` on a base rate of `peakValue`. One deliberate difference: with
 * `warmupSteps = 0` optax holds `initValue` forever; here there is no warmup and s(i) = peakValue.
 *
 * @param initValue   s(0)
 * @param peakValue   s(i) for i ≥ warmupSteps
 * @param warmupSteps integer ≥ 0
 * @example
 * import { linearWarmup } from 'tapegrad/optimizers'
 *
 * const s = linearWarmup(0, 1e-3, 10)
 * s(0)   // 0
 * s(5)   // 0.0005
 * s(50)  // 0.001
 */
export function linearWarmup(initValue: number, peakValue: number, warmupSteps: number): Schedule {
  const who = 'linearWarmup'
  finite(who, 'initValue', initValue)
  finite(who, 'peakValue', peakValue)
  integer(who, 'warmupSteps', warmupSteps, 0)
  if (warmupSteps === 0) return constant(peakValue)
  return function linearWarmupSchedule(i: number) {
    const t = Math.min(Math.max(i, 0), warmupSteps)
    return (peakValue - initValue) * (t / warmupSteps) + initValue
  }
}

// Each schedule checks its own arguments by their own names (optax's names), so the opening lines
// of the schedules look alike; the schedule functions after them are what differs.
/**
 * Cosine decay (Loshchilov & Hutter, SGDR, 2017) from `initValue` to `alpha · initValue`:
 *   t = min(i, decaySteps)
 *   c = ½ · (1 + cos(π · t / decaySteps))
 *   s(i) = initValue · ((1 − alpha) · c^exponent + alpha)
 *
 * optax's `cosine_decay_schedule(init_value, decay_steps, alpha, exponent)`. With `exponent = 1`
 * this is `torch.optim.lr_scheduler.CosineAnnealingLR(T_max = decaySteps, eta_min = alpha ·
 * initValue)` for i ≤ decaySteps (torch then rises again; here the value stays at alpha · initValue).
 *
 * @param initValue  s(0)
 * @param decaySteps > 0
 * @param alpha      the final value as a fraction of `initValue` (default 0)
 * @param exponent   > 0 (default 1)
 * @example
 * import { cosineDecay } from 'tapegrad/optimizers'
 *
 * const s = cosineDecay(0.1, 100)
 * s(50)   // 0.05
 * s(100)  // 0
 */
export function cosineDecay(initValue: number, decaySteps: number, alpha = 0.0, exponent = 1.0): Schedule {
  const who = 'cosineDecay'
  // Checked as polynomialDecay above, with its own argument names in the errors.
  finite(who, 'initValue', initValue)
  positive(who, 'decaySteps', decaySteps)
  finite(who, 'alpha', alpha)
  positive(who, 'exponent', exponent)
  return function cosineDecaySchedule(i: number) {
    const t = Math.min(i, decaySteps)
    const c = 0.5 * (1 + Math.cos((Math.PI * t) / decaySteps))
    return initValue * ((1 - alpha) * c ** exponent + alpha)
  }
}

/**
 * Linear warmup from `initValue` to `peakValue` over `warmupSteps`, then cosine decay to
 * `endValue` at step `decaySteps` (which counts the warmup), then constant:
 *   i < warmupSteps:  s(i) = initValue + (peakValue − initValue) · i / warmupSteps
 *   i ≥ warmupSteps:  s(i) = cosineDecay(peakValue, decaySteps − warmupSteps, alpha, exponent)(i − warmupSteps)
 *                     with alpha = endValue / peakValue (0 when peakValue = 0)
 *
 * optax's `warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
 * end_value, exponent)`. With `exponent = 1` it equals torch's LinearLR for the warmup followed
 * by CosineAnnealingLR(T_max = decaySteps − warmupSteps, eta_min = endValue).
 *
 * @param initValue   s(0)
 * @param peakValue   s(warmupSteps)
 * @param warmupSteps integer ≥ 0
 * @param decaySteps  total length including the warmup; > warmupSteps
 * @param endValue    s(i) for i ≥ decaySteps (default 0)
 * @param exponent    > 0 (default 1)
 * @example
 * import { warmupCosineDecay } from 'tapegrad/optimizers'
 *
 * const s = warmupCosineDecay(0, 1e-3, 10, 110)
 * const warmingUp = s(5)   // 0.0005
 * const peak = s(10)       // 0.001
 * const halfWay = s(60)    // 0.0005
 * s(200)                   // 0
 */
export function warmupCosineDecay(
  initValue: number,
  peakValue: number,
  warmupSteps: number,
  decaySteps: number,
  endValue = 0.0,
  exponent = 1.0,
): Schedule {
  const who = 'warmupCosineDecay'
  finite(who, 'initValue', initValue)
  finite(who, 'peakValue', peakValue)
  integer(who, 'warmupSteps', warmupSteps, 0)
  finite(who, 'decaySteps', decaySteps)
  if (!(decaySteps > warmupSteps)) {
    throw new RangeError(
      `${who}: decaySteps (the total length, warmup included) must be > warmupSteps, got decaySteps = ${decaySteps} and warmupSteps = ${warmupSteps}`,
    )
  }
  finite(who, 'endValue', endValue)
  positive(who, 'exponent', exponent)
  const alpha = peakValue === 0 ? 0 : endValue / peakValue
  const cosine = cosineDecay(peakValue, decaySteps - warmupSteps, alpha, exponent)
  return function warmupCosineDecaySchedule(i: number) {
    if (i < warmupSteps) return (peakValue - initValue) * (Math.max(i, 0) / warmupSteps) + initValue
    return cosine(i - warmupSteps)
  }
}

/**
 * Options of {@link oneCycle}, with PyTorch's meaning.
 * @example
 * import { oneCycle } from 'tapegrad/optimizers'
 *
 * const options = { annealStrategy: 'linear', threePhase: true } as const
 * oneCycle(0.1, 100, 0.3, 25, 1e4, options)(58)   // 0.004
 */
export interface OneCycleOptions {
  /** How each phase goes from its start value to its end value: 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear'
  /** Three phases instead of two: up to the peak, back down to the initial value over as many
   *  steps, then down to the minimum (PyTorch's `three_phase`). Default false. */
  threePhase?: boolean
}

/**
 * The one-cycle policy (Smith & Topin, "Super-Convergence", 2017), exactly as PyTorch's
 * `OneCycleLR(max_lr = maxStepSize, total_steps = totalSteps, pct_start, anneal_strategy,
 * div_factor, final_div_factor, three_phase)`:
 *   initial = maxStepSize / divFactor        min = initial / finalDivFactor
 *   e = pctStart · totalSteps − 1            (the last step of the warmup phase)
 *   cos:     anneal(a, b, p) = b + (a − b) · (1 + cos(π · p)) / 2
 *   linear:  anneal(a, b, p) = (b − a) · p + a
 *   two phases (default)                         three phases (threePhase: true)
 *     0 … e:        initial → maxStepSize          0 … e:          initial → maxStepSize
 *     e … T − 1:    maxStepSize → min              e … 2e:         maxStepSize → initial
 *                                                  2e … T − 1:     initial → min
 * where step i of a phase from step a to step b is at p = (i − a) / (b − a), and T = totalSteps.
 *
 * Steps past the cycle (i ≥ totalSteps, where torch raises) stay at s(totalSteps − 1) = min.
 * A zero-length first phase (e = 0) starts at its start value instead of torch's division by zero.
 *
 * @param maxStepSize    the peak step size
 * @param totalSteps     integer ≥ 1, the length of the cycle
 * @param pctStart       fraction of the cycle spent warming up, in [0, 1] (default 0.3)
 * @param divFactor      > 0, initial = maxStepSize / divFactor (default 25)
 * @param finalDivFactor > 0, min = initial / finalDivFactor (default 1e4)
 * @param options        `annealStrategy` ('cos' or 'linear'), `threePhase`
 * @example
 * import { oneCycle } from 'tapegrad/optimizers'
 *
 * const s = oneCycle(0.1, 100)
 * s(0)   // 0.004
 * // the peak, at e = 0.3 · 100 − 1 = 29:
 * s(29)  // 0.1
 * s(99)  // 4e-7
 * const t = oneCycle(0.1, 100, 0.3, 25, 1e4, { annealStrategy: 'linear', threePhase: true })
 * t(29)  // 0.1
 * // back at the initial value at 2e:
 * t(58)  // 0.004
 */
export function oneCycle(
  maxStepSize: number,
  totalSteps: number,
  pctStart = 0.3,
  divFactor = 25.0,
  finalDivFactor = 1e4,
  options: OneCycleOptions = {},
): Schedule {
  const who = 'oneCycle'
  finite(who, 'maxStepSize', maxStepSize)
  integer(who, 'totalSteps', totalSteps, 1)
  finite(who, 'pctStart', pctStart)
  if (pctStart < 0 || pctStart > 1) throw new RangeError(`${who}: pctStart must be in [0, 1], got ${pctStart}`)
  positive(who, 'divFactor', divFactor)
  positive(who, 'finalDivFactor', finalDivFactor)
  const { annealStrategy, threePhase } = oneCycleOptions(options)
  const initial = maxStepSize / divFactor
  const min = initial / finalDivFactor
  const warmupEnd = pctStart * totalSteps - 1
  const last = totalSteps - 1
  // torch's phases: each runs from the previous one's end step to its own.
  const up = phase(warmupEnd, initial, maxStepSize)
  const phases = threePhase
    ? [up, phase(2 * pctStart * totalSteps - 2, maxStepSize, initial), phase(last, initial, min)]
    : [up, phase(last, maxStepSize, min)]
  const anneal = annealStrategy === 'cos' ? annealCos : annealLinear
  return function oneCycleSchedule(i: number) {
    const t = Math.min(i, last)
    // torch: the first phase whose end step is ≥ t, or the last phase.
    let start = 0
    let k = 0
    while (k < phases.length - 1 && t > phases[k].end) start = phases[k++].end
    const { end, from, to } = phases[k]
    return anneal(from, to, end - start > 0 ? (t - start) / (end - start) : 0)
  }
}

function phase(end: number, from: number, to: number) {
  return { end, from, to }
}

function oneCycleOptions(options: unknown): Required<OneCycleOptions> {
  const who = 'oneCycle'
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${who}: options must be an object { annealStrategy, threePhase }, got ${describeValue(options)}`,
    )
  }
  for (const k of Object.keys(options)) {
    if (k !== 'annealStrategy' && k !== 'threePhase') {
      throw new TypeError(`${who}: unknown option '${k}' (known: annealStrategy, threePhase)`)
    }
  }
  const { annealStrategy = 'cos', threePhase = false } = options as OneCycleOptions
  if (annealStrategy !== 'cos' && annealStrategy !== 'linear') {
    throw new RangeError(`${who}: annealStrategy must be 'cos' or 'linear', got ${describeValue(annealStrategy)}`)
  }
  if (typeof threePhase !== 'boolean') {
    throw new TypeError(`${who}: threePhase must be a boolean, got ${describeValue(threePhase)}`)
  }
  return { annealStrategy, threePhase }
}

/** torch's `_annealing_cos`: from `start` at pct 0 to `end` at pct 1 along a half cosine. */
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
}

/** torch's `_annealing_linear`. */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start
}

/**
 * Step decay: multiply by `gamma` every `stepSizeEvery` steps:
 *   s(i) = stepSize · gamma^⌊i / stepSizeEvery⌋
 *
 * `torch.optim.lr_scheduler.StepLR(step_size = stepSizeEvery, gamma)` on a base rate of `stepSize`.
 *
 * @param stepSize      s(0)
 * @param stepSizeEvery integer ≥ 1, the period in steps
 * @param gamma         ≥ 0, the factor applied at each period
 * @example
 * import { stepDecay } from 'tapegrad/optimizers'
 *
 * const s = stepDecay(0.1, 30, 0.1)
 * s(29)  // 0.1
 * s(30)  // 0.01
 * s(65)  // 0.001
 */
export function stepDecay(stepSize: number, stepSizeEvery: number, gamma: number): Schedule {
  const who = 'stepDecay'
  finite(who, 'stepSize', stepSize)
  integer(who, 'stepSizeEvery', stepSizeEvery, 1)
  nonNegative(who, 'gamma', gamma)
  return function stepDecaySchedule(i: number) {
    return stepSize * gamma ** Math.floor(i / stepSizeEvery)
  }
}
