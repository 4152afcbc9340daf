/**
 * Schedules against PyTorch's lr_scheduler (and, where torch has no equivalent, JAX's / optax's
 * published formulas evaluated in Python): test/fixtures/schedules.json, written by
 * test/fixtures/schedule_fixtures.py. Values are float64 and compared with
 * |actual − expected| ≤ RTOL·|expected| + ATOL·max|expected| over 30 steps.
 * Every factory's argument errors are checked here too.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type Schedule,
  type ScheduleLike,
  makeSchedule,
  constant,
  exponentialDecay,
  inverseTimeDecay,
  polynomialDecay,
  piecewiseConstant,
  linearWarmup,
  cosineDecay,
  warmupCosineDecay,
  oneCycle,
  stepDecay,
} from '../optimizers/schedules.js'

const RTOL = 1e-6
const ATOL = 1e-12 // relative to the largest value of the case: values that decay to exactly 0

interface ScheduleCase {
  name: string
  args: unknown[]
  source: string
  values: number[]
}
const fixtures: { steps: number; schedules: ScheduleCase[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'schedules.json'), 'utf8'),
)

// Every factory, by the name the fixture uses. A fixture with no factory here fails below.
const factories: Record<string, (...args: any[]) => Schedule> = {
  constant,
  exponentialDecay,
  inverseTimeDecay,
  polynomialDecay,
  piecewiseConstant,
  linearWarmup,
  cosineDecay,
  warmupCosineDecay,
  oneCycle,
  stepDecay,
}

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length).toBe(expected.length)
  const scale = Math.max(...expected.map(Math.abs))
  const bad: string[] = []
  actual.forEach((a, i) => {
    const e = expected[i]
    if (!(Math.abs(a - e) <= RTOL * Math.abs(e) + ATOL * scale)) bad.push(`step ${i}: got ${a}, expected ${e}`)
  })
  if (bad.length) throw new Error(`${what}:\n  ${bad.join('\n  ')}`)
}

describe('schedules vs torch.optim.lr_scheduler / published formulas', () => {
  it('has fixtures for every schedule', () => {
    const covered = new Set(fixtures.schedules.map((c) => c.name))
    expect([...covered].sort()).toEqual(Object.keys(factories).sort())
    expect(fixtures.steps).toBe(30)
  })

  it.each(
    fixtures.schedules.map((c) => [`${c.name}(${JSON.stringify(c.args).slice(1, -1)}) — ${c.source}`, c] as const),
  )('%s', (title, c) => {
    const make = factories[c.name]
    expect(make).toBeDefined()
    const s = make(...c.args)
    const got = Array.from({ length: fixtures.steps }, (_, i) => s(i))
    expectClose(got, c.values, title)
  })
})

describe('makeSchedule', () => {
  it('turns a number into a constant schedule', () => {
    const s = makeSchedule(0.25)
    expect([s(0), s(1), s(1e6)]).toEqual([0.25, 0.25, 0.25])
    expect(makeSchedule(0)(3)).toBe(0)
    expect(makeSchedule(-1e-3)(3)).toBe(-1e-3)
  })
  it('returns a function unchanged', () => {
    const f = (i: number) => 1 / (i + 1)
    expect(makeSchedule(f)).toBe(f)
    const e = exponentialDecay(1, 2, 0.5)
    expect(makeSchedule(e)).toBe(e)
  })
  it.each([
    [NaN, 'number NaN'],
    [Infinity, 'number Infinity'],
    [-Infinity, 'number -Infinity'],
    ['0.1', 'string 0.1'],
    [null, 'null'],
    [undefined, 'undefined'],
    [[0.1], 'an array'],
    [{ lr: 0.1 }, 'an object of class Object'],
  ])('rejects %p', (x, found) => {
    expect(() => makeSchedule(x as unknown as ScheduleLike)).toThrow(TypeError)
    expect(() => makeSchedule(x as unknown as ScheduleLike)).toThrow(
      `makeSchedule: expected a finite number or a function (i) => number, got ${found}`,
    )
  })
})

describe('behaviour the 30-step fixtures do not pin down', () => {
  it('piecewiseConstant keeps the previous value at a boundary (strict >) and copies its arrays', () => {
    const b = [10, 20]
    const v = [1, 2, 3]
    const s = piecewiseConstant(b, v)
    expect([s(10), s(10.5), s(20), s(21), s(1e9), s(-5)]).toEqual([1, 2, 2, 3, 3, 1])
    b[0] = 0
    v[0] = 100
    expect(s(0)).toBe(1)
  })
  it('polynomialDecay and cosineDecay hold their final value after decaySteps', () => {
    const p = polynomialDecay(1, 10, 0.25, 2)
    expect(p(10)).toBe(0.25)
    expect(p(1000)).toBe(0.25)
    const c = cosineDecay(2, 10, 0.1)
    expect(c(10)).toBeCloseTo(0.2, 15)
    expect(c(1000)).toBe(c(10))
  })
  it('linearWarmup reaches the peak at warmupSteps and stays; zero steps means no warmup', () => {
    const s = linearWarmup(0, 1, 4)
    expect([s(0), s(1), s(2), s(4), s(100)]).toEqual([0, 0.25, 0.5, 1, 1])
    expect(linearWarmup(0, 0.3, 0)(0)).toBe(0.3)
  })
  it('warmupCosineDecay: peak at warmupSteps, half way down at the cosine midpoint, endValue after decaySteps', () => {
    const s = warmupCosineDecay(0, 1e-3, 10, 110, 1e-4)
    expect(s(0)).toBe(0)
    expect(s(5)).toBeCloseTo(5e-4, 15)
    expect(s(10)).toBeCloseTo(1e-3, 15)
    expect(s(60)).toBeCloseTo((1e-3 + 1e-4) / 2, 15)
    expect(s(110)).toBeCloseTo(1e-4, 15)
    expect(s(500)).toBe(s(110))
    // peakValue 0: alpha is 0, not 0/0
    expect(warmupCosineDecay(0, 0, 2, 5)(4)).toBe(0)
  })
  it('oneCycle: peak at the end of the warmup, min at the last step, held after the cycle', () => {
    const s = oneCycle(0.1, 100)
    expect(s(0)).toBeCloseTo(0.004, 15)
    expect(s(29)).toBeCloseTo(0.1, 15)
    expect(s(99)).toBeCloseTo(4e-7, 18)
    expect(s(100)).toBe(s(99))
    expect(s(1e6)).toBe(s(99))
    // a one-step warmup phase (pctStart·totalSteps − 1 = 0) and pctStart = 0 and 1 stay finite
    for (const pct of [0, 0.1, 1]) {
      const t = oneCycle(1, 10, pct)
      for (let i = 0; i < 12; i++) expect(Number.isFinite(t(i))).toBe(true)
    }
    // e = 0: torch divides 0 by 0 (ZeroDivisionError); here the phase starts at its start value
    expect(oneCycle(1, 10, 0.1)(0)).toBeCloseTo(0.04, 15)
    // e < 0 (pctStart · totalSteps < 1): as torch, step 0 is already in the annealing phase, so a
    // one-step cycle is at min = maxStepSize / divFactor / finalDivFactor
    expect(oneCycle(1, 1)(0)).toBeCloseTo(4e-6, 20)
  })
  it('oneCycle three phases: up to the peak at e, back to the initial value at 2e, down to min at the end', () => {
    for (const annealStrategy of ['cos', 'linear'] as const) {
      const s = oneCycle(0.1, 100, 0.3, 25, 1e4, { annealStrategy, threePhase: true })
      expect(s(0)).toBeCloseTo(0.004, 15)
      expect(s(29)).toBeCloseTo(0.1, 15)
      expect(s(58)).toBeCloseTo(0.004, 15)
      expect(s(99)).toBeCloseTo(4e-7, 18)
      expect(s(1e6)).toBe(s(99))
    }
    // linear: halfway through each phase is halfway between its ends
    const lin = oneCycle(1, 21, 0.5, 4, 10, { annealStrategy: 'linear' }) // e = 9.5, phase 2 ends at 20
    expect(lin(0)).toBe(0.25)
    expect(lin(9.5 / 2)).toBeCloseTo((0.25 + 1) / 2, 15)
    expect(lin(9.5 + 10.5 / 2)).toBeCloseTo((1 + 0.025) / 2, 15)
    // cos and linear agree at the phase ends and differ in between
    const cos = oneCycle(1, 21, 0.5, 4, 10)
    expect(cos(20)).toBeCloseTo(lin(20), 15)
    expect(Math.abs(cos(3) - lin(3))).toBeGreaterThan(0.01)
    // pctStart > 0.5: the cycle ends during the way back down, as in torch
    const late = oneCycle(1, 10, 0.8, 5, 1, { annealStrategy: 'linear', threePhase: true }) // e = 7, 2e = 14
    expect(late(9)).toBeCloseTo(1 + ((0.2 - 1) * 2) / 7, 15)
    // the defaults are the two-phase cosine schedule
    expect(oneCycle(0.1, 30, 0.3, 25, 1e4, {})(12)).toBe(oneCycle(0.1, 30)(12))
  })
  it('stepDecay multiplies by gamma exactly at multiples of stepSizeEvery', () => {
    const s = stepDecay(0.1, 30, 0.1)
    expect(s(29)).toBe(0.1)
    expect(s(30)).toBeCloseTo(0.01, 17)
    expect(s(65)).toBeCloseTo(0.001, 17)
  })
  it('inverseTimeDecay staircase steps at multiples of decaySteps', () => {
    const s = inverseTimeDecay(0.1, 10, 1, true)
    expect([s(9), s(10), s(19), s(20)]).toEqual([0.1, 0.05, 0.05, 0.1 / 3])
  })
  it('schedules are pure: the same step gives the same value in any order', () => {
    for (const s of [oneCycle(0.1, 30), stepDecay(1, 3, 0.5), warmupCosineDecay(0, 1, 3, 20)]) {
      const forward = Array.from({ length: 30 }, (_, i) => s(i))
      const backward = Array.from({ length: 30 }, (_, i) => s(29 - i)).reverse()
      expect(backward).toEqual(forward)
    }
  })
})

describe('argument errors name the schedule and the argument', () => {
  const cases: [string, () => unknown, string][] = [
    ['constant NaN', () => constant(NaN), 'constant: stepSize must be a finite number, got number NaN'],
    [
      'constant string',
      () => constant('1' as unknown as number),
      'constant: stepSize must be a finite number, got string 1',
    ],
    [
      'exponentialDecay stepSize',
      () => exponentialDecay(Infinity, 10, 0.5),
      'exponentialDecay: stepSize must be a finite number, got number Infinity',
    ],
    [
      'exponentialDecay decaySteps 0',
      () => exponentialDecay(0.1, 0, 0.5),
      'exponentialDecay: decaySteps must be > 0, got 0',
    ],
    [
      'exponentialDecay decaySteps missing',
      () => (exponentialDecay as any)(0.1),
      'exponentialDecay: decaySteps must be a finite number, got undefined',
    ],
    [
      'exponentialDecay decayRate 0',
      () => exponentialDecay(0.1, 10, 0),
      'exponentialDecay: decayRate must be > 0, got 0',
    ],
    [
      'exponentialDecay decayRate < 0',
      () => exponentialDecay(0.1, 10, -0.5),
      'exponentialDecay: decayRate must be > 0, got -0.5',
    ],
    [
      'inverseTimeDecay decaySteps',
      () => inverseTimeDecay(0.1, -1, 0.5),
      'inverseTimeDecay: decaySteps must be > 0, got -1',
    ],
    [
      'inverseTimeDecay decayRate',
      () => inverseTimeDecay(0.1, 10, -0.5),
      'inverseTimeDecay: decayRate must be ≥ 0, got -0.5',
    ],
    [
      'inverseTimeDecay staircase',
      () => inverseTimeDecay(0.1, 10, 0.5, 1 as unknown as boolean),
      'inverseTimeDecay: staircase must be a boolean, got number 1',
    ],
    ['polynomialDecay decaySteps', () => polynomialDecay(0.1, 0, 0), 'polynomialDecay: decaySteps must be > 0, got 0'],
    [
      'polynomialDecay finalStepSize',
      () => polynomialDecay(0.1, 10, NaN),
      'polynomialDecay: finalStepSize must be a finite number, got number NaN',
    ],
    ['polynomialDecay power', () => polynomialDecay(0.1, 10, 0, 0), 'polynomialDecay: power must be > 0, got 0'],
    [
      'piecewiseConstant boundaries type',
      () => piecewiseConstant(5 as unknown as number[], [1]),
      'piecewiseConstant: boundaries must be an array of numbers, got number 5',
    ],
    [
      'piecewiseConstant values type',
      () => piecewiseConstant([], null as unknown as number[]),
      'piecewiseConstant: values must be an array of numbers, got null',
    ],
    [
      'piecewiseConstant lengths',
      () => piecewiseConstant([1, 2], [1, 2]),
      'piecewiseConstant: boundaries must be one shorter than values, got 2 boundaries and 2 values',
    ],
    [
      'piecewiseConstant no values',
      () => piecewiseConstant([], []),
      'piecewiseConstant: boundaries must be one shorter than values, got 0 boundaries and 0 values',
    ],
    [
      'piecewiseConstant boundary NaN',
      () => piecewiseConstant([1, NaN], [1, 2, 3]),
      'piecewiseConstant: boundaries[1] must be a finite number, got number NaN',
    ],
    [
      'piecewiseConstant value',
      () => piecewiseConstant([1], [1, Infinity]),
      'piecewiseConstant: values[1] must be a finite number, got number Infinity',
    ],
    [
      'piecewiseConstant order',
      () => piecewiseConstant([5, 5], [1, 2, 3]),
      'piecewiseConstant: boundaries must be strictly increasing, got boundaries[0] = 5 and boundaries[1] = 5',
    ],
    [
      'linearWarmup initValue',
      () => linearWarmup(NaN, 1, 10),
      'linearWarmup: initValue must be a finite number, got number NaN',
    ],
    [
      'linearWarmup peakValue',
      () => linearWarmup(0, undefined as unknown as number, 10),
      'linearWarmup: peakValue must be a finite number, got undefined',
    ],
    [
      'linearWarmup warmupSteps fractional',
      () => linearWarmup(0, 1, 2.5),
      'linearWarmup: warmupSteps must be an integer ≥ 0, got 2.5',
    ],
    [
      'linearWarmup warmupSteps negative',
      () => linearWarmup(0, 1, -1),
      'linearWarmup: warmupSteps must be an integer ≥ 0, got -1',
    ],
    ['cosineDecay decaySteps', () => cosineDecay(0.1, 0), 'cosineDecay: decaySteps must be > 0, got 0'],
    [
      'cosineDecay alpha',
      () => cosineDecay(0.1, 10, NaN),
      'cosineDecay: alpha must be a finite number, got number NaN',
    ],
    ['cosineDecay exponent', () => cosineDecay(0.1, 10, 0, -1), 'cosineDecay: exponent must be > 0, got -1'],
    [
      'warmupCosineDecay warmupSteps',
      () => warmupCosineDecay(0, 1, -2, 10),
      'warmupCosineDecay: warmupSteps must be an integer ≥ 0, got -2',
    ],
    [
      'warmupCosineDecay decaySteps',
      () => warmupCosineDecay(0, 1, 10, 10),
      'warmupCosineDecay: decaySteps (the total length, warmup included) must be > warmupSteps, got decaySteps = 10 and warmupSteps = 10',
    ],
    [
      'warmupCosineDecay decaySteps NaN',
      () => warmupCosineDecay(0, 1, 10, NaN),
      'warmupCosineDecay: decaySteps must be a finite number, got number NaN',
    ],
    [
      'warmupCosineDecay endValue',
      () => warmupCosineDecay(0, 1, 1, 10, Infinity),
      'warmupCosineDecay: endValue must be a finite number, got number Infinity',
    ],
    [
      'warmupCosineDecay exponent',
      () => warmupCosineDecay(0, 1, 1, 10, 0, 0),
      'warmupCosineDecay: exponent must be > 0, got 0',
    ],
    [
      'warmupCosineDecay initValue',
      () => warmupCosineDecay(NaN, 1, 1, 10),
      'warmupCosineDecay: initValue must be a finite number, got number NaN',
    ],
    [
      'warmupCosineDecay peakValue',
      () => warmupCosineDecay(0, NaN, 1, 10),
      'warmupCosineDecay: peakValue must be a finite number, got number NaN',
    ],
    ['oneCycle maxStepSize', () => oneCycle(NaN, 10), 'oneCycle: maxStepSize must be a finite number, got number NaN'],
    ['oneCycle totalSteps 0', () => oneCycle(0.1, 0), 'oneCycle: totalSteps must be an integer ≥ 1, got 0'],
    [
      'oneCycle totalSteps fractional',
      () => oneCycle(0.1, 10.5),
      'oneCycle: totalSteps must be an integer ≥ 1, got 10.5',
    ],
    ['oneCycle pctStart', () => oneCycle(0.1, 10, 1.5), 'oneCycle: pctStart must be in [0, 1], got 1.5'],
    [
      'oneCycle pctStart NaN',
      () => oneCycle(0.1, 10, NaN),
      'oneCycle: pctStart must be a finite number, got number NaN',
    ],
    ['oneCycle divFactor', () => oneCycle(0.1, 10, 0.3, 0), 'oneCycle: divFactor must be > 0, got 0'],
    ['oneCycle finalDivFactor', () => oneCycle(0.1, 10, 0.3, 25, -1), 'oneCycle: finalDivFactor must be > 0, got -1'],
    [
      'oneCycle annealStrategy',
      () => oneCycle(0.1, 10, 0.3, 25, 1e4, { annealStrategy: 'cosine' as 'cos' }),
      "oneCycle: annealStrategy must be 'cos' or 'linear', got string cosine",
    ],
    [
      'oneCycle threePhase',
      () => oneCycle(0.1, 10, 0.3, 25, 1e4, { threePhase: 1 as unknown as boolean }),
      'oneCycle: threePhase must be a boolean, got number 1',
    ],
    [
      'oneCycle unknown option',
      () => oneCycle(0.1, 10, 0.3, 25, 1e4, { three_phase: true } as never),
      "oneCycle: unknown option 'three_phase' (known: annealStrategy, threePhase)",
    ],
    [
      'oneCycle options',
      () => oneCycle(0.1, 10, 0.3, 25, 1e4, 'linear' as never),
      'oneCycle: options must be an object { annealStrategy, threePhase }, got string linear',
    ],
    [
      'stepDecay stepSize',
      () => stepDecay(NaN, 10, 0.1),
      'stepDecay: stepSize must be a finite number, got number NaN',
    ],
    ['stepDecay stepSizeEvery', () => stepDecay(0.1, 0, 0.1), 'stepDecay: stepSizeEvery must be an integer ≥ 1, got 0'],
    [
      'stepDecay stepSizeEvery fractional',
      () => stepDecay(0.1, 1.5, 0.1),
      'stepDecay: stepSizeEvery must be an integer ≥ 1, got 1.5',
    ],
    ['stepDecay gamma', () => stepDecay(0.1, 10, -0.1), 'stepDecay: gamma must be ≥ 0, got -0.1'],
  ]
  it.each(cases)('%s', (_title, make, message) => {
    expect(make).toThrow(message)
  })
})
