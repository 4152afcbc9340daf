/**
 * Backends: the gpu.js kernels compute what the CPU backend computes.
 *
 * Modes: gpu.js 'cpu' (transpiled JavaScript, float64 arithmetic like the CPU backend) and every
 * other mode that starts here ('webasm': WebAssembly with float32 arithmetic; 'headlessgl' when
 * the optional `gl` package is installed). Unavailable modes are skipped with the reason printed.
 *
 * Tolerances. In gpu.js 'cpu' mode the arithmetic is JavaScript's, so results agree elementwise
 * at rtol 1e-5 (atol 1e-8). The float32-arithmetic modes (webasm here, WebGL in browsers) round
 * every intermediate to float32, and a rule with cancellation amplifies that rounding: Adam's
 * lerp form v = (v − g²)·b2 + g² at b2 = 0.999 loses three digits to the subtraction, and an
 * element of m that cancels to ~0 has no relative accuracy left on any float32 device. So there
 * the check is normwise per array, max|a − b| ≤ 1e-5 · max|b| (2e-4 for Adam's v) — which still
 * catches any wrong formula, index or argument order (those are O(1) wrong) — and the
 * elementwise figures are printed. Element functions (tensor ops) on O(1) data: elementwise
 * rtol 1e-5, atol 1e-6.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Rule } from '../src/backends/backend.js'
import { allocateFloat32Group, cpu, simdAvailable } from '../src/backends/cpu.js'
import { loadGpujs, gpujs, isGpujsMissing } from '../src/backends/gpujs.js'
import type { GpujsBackend, GpujsMode, GpujsStrategy } from '../src/backends/gpujs.js'
import { functionSource } from '../src/backends/kernelSource.js'
import { ADAM_RULES, adamArrays, adamScalars } from '../src/backends/calibrate.js'
import { getActiveBackend, getBackend, setBackend } from '../src/backends/index.js'
import type { SetBackendOptions } from '../src/backends/index.js'
import * as nd from '../src/nd.js'
import { Tensor, tensor } from '../src/tensor.js'
import { flatten } from '../src/tree.js'

// ---------------------------------------------------------------------------------------------
// helpers

interface Diff {
  maxAbs: number
  maxRel: number
  /** max|a − b| / max|b| */
  normRel: number
  /** elements outside |a − b| ≤ 1e-8 + 1e-5·|b| */
  violations: number
  worst: string
}

function diff(a: ArrayLike<number>, b: ArrayLike<number>): Diff {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let maxAbs = 0,
    maxRel = 0,
    maxB = 0,
    violations = 0,
    worst = ''
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    const bothNaN = Number.isNaN(a[i]) && Number.isNaN(b[i])
    if (bothNaN || a[i] === b[i]) continue
    // Infinities and NaN must match exactly (∞ − finite is ∞, which no tolerance should absorb).
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i]))
      return { maxAbs: NaN, maxRel: NaN, normRel: NaN, violations: violations + 1, worst: `[${i}] ${a[i]} vs ${b[i]}` }
    maxB = Math.max(maxB, Math.abs(b[i]))
    maxAbs = Math.max(maxAbs, d)
    const r = d / Math.abs(b[i])
    if (r > maxRel) {
      maxRel = r
      worst = `[${i}] ${a[i]} vs ${b[i]}`
    }
    if (d > 1e-8 + 1e-5 * Math.abs(b[i])) violations++
  }
  for (let i = 0; i < b.length; i++) maxB = Math.max(maxB, Math.abs(b[i]))
  return { maxAbs, maxRel, normRel: maxB === 0 ? maxAbs : maxAbs / maxB, violations, worst }
}

/**
 * 'cpu' (gpu.js cpu mode): elementwise rtol 1e-5, atol 1e-8. 'f32' (float32 arithmetic): normwise
 * rtol 1e-5. 'f32-elem': elementwise rtol 1e-5, atol 1e-6 (element functions on O(1) data).
 */
function expectClose(what: string, mode: string, got: ArrayLike<number>, want: ArrayLike<number>): Diff {
  const d = diff(got, want)
  if (mode === 'cpu') {
    if (d.violations !== 0)
      throw new Error(`${what}: ${d.violations} elements differ beyond rtol 1e-5 (worst ${d.worst}, rel ${d.maxRel})`)
  } else if (mode === 'f32-elem') {
    for (let i = 0; i < got.length; i++) {
      const a = got[i],
        b = want[i]
      if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue
      if (!(Number.isFinite(b) && Math.abs(a - b) <= 1e-6 + 1e-5 * Math.abs(b)))
        throw new Error(`${what}: element ${i}: ${a} vs ${b} (beyond rtol 1e-5, atol 1e-6)`)
    }
  } else if (!(d.normRel <= 1e-5)) {
    throw new Error(`${what}: max|a−b|/max|b| = ${d.normRel} > 1e-5 (worst ${d.worst})`)
  }
  return d
}

function fill(n: number, seed: number, scale = 1): Float32Array {
  // A small deterministic generator (xorshift) so every run sees the same values.
  const out = new Float32Array(n)
  let s = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out[i] = ((s / 4294967296) * 2 - 1) * scale
  }
  return out
}

const MODES: GpujsMode[] = ['cpu', 'webasm', 'headlessgl']
const available: Partial<Record<GpujsMode, GpujsBackend>> = {}
const unavailable: Partial<Record<GpujsMode, string>> = {}

beforeAll(async () => {
  for (const mode of MODES) {
    try {
      available[mode] = await loadGpujs({ mode })
    } catch (e) {
      unavailable[mode] = (e as Error).message
      console.log(`backends.test: skipping gpu.js mode '${mode}': ${(e as Error).message}`)
    }
  }
})

afterAll(async () => {
  for (const be of Object.values(available)) be?.destroy()
  await setBackend('cpu')
})

/** Runs `body` for each mode that started; a mode that did not start is reported, not failed. */
function eachMode(body: (be: GpujsBackend, mode: GpujsMode) => void | Promise<void>): () => Promise<void> {
  return async () => {
    expect(available.cpu).toBeDefined() // gpu.js 'cpu' mode works everywhere: its absence is a failure
    for (const mode of MODES) {
      const be = available[mode]
      if (be) await body(be, mode)
    }
  }
}

// Rules written here the way optimizers write them: function declarations over numbers.
function sgdStep(x: number, g: number, lr: number): number {
  return x - lr * g
}
function decay(x: number, wd: number): number {
  return x * (1 - wd)
}
function clipped(g: number, lim: number): number {
  if (g > lim) return lim
  if (g < -lim) return -lim
  return g
}

function reference(
  rules: readonly Rule[],
  arrays: Record<string, Float32Array>,
  scalars: Record<string, number>,
  n: number,
): void {
  cpu.elementwise(rules, arrays, scalars, n)
}

function cloneArrays(a: Record<string, Float32Array>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {}
  for (const k of Object.keys(a)) out[k] = a[k].slice()
  return out
}

// ---------------------------------------------------------------------------------------------

describe('kernelSource: functions as gpu.js source', () => {
  test('function declarations are renamed, arrows and methods become functions', () => {
    expect(functionSource(sgdStep, 'r0').source).toMatch(/^function r0\(x, g, lr\) \{/)
    expect(functionSource((a: number, b: number) => a * b, 'r1')).toMatchObject({
      source: 'function r1(a, b) { return (a * b); }',
      params: ['a', 'b'],
    })
    expect(
      functionSource(
        ((x: number) => {
          return -x
        }) as Function,
        'r2',
      ).source,
    ).toMatch(/^function r2\(x\) \{\s*return -x;?\s*\}$/)
    const obj = {
      twice(x: number) {
        return 2 * x
      },
    }
    expect(functionSource(obj.twice, 'r3').source).toMatch(/^function r3\(x\) \{/)
    expect(functionSource(Math.exp, 'r4').source).toBe('function r4(x0) { return Math.exp(x0); }')
    // default values are dropped (every caller passes every argument)
    expect(
      functionSource(new Function('x', 'c', 'return x + c') as (x: number, c: number) => number, 'r5').params,
    ).toEqual(['x', 'c'])
    expect(functionSource(eval('(function (x, c = 0) { return x + c })'), 'r6').params).toEqual(['x', 'c'])
  })
  test('Math.pow, Math.log and Math.tanh are routed to the safe helpers', () => {
    const s = functionSource((x: number, p: number) => Math.pow(x, p), 'f')
    expect(s.source).toContain('tgPow(x, p)')
    expect(s.helpers).toEqual(['tgPow'])
    expect(functionSource(Math.tanh, 'f').helpers).toEqual(['tgTanh'])
    expect(functionSource(Math.log, 'f').helpers).toEqual(['tgLog'])
    expect(functionSource(Math.log2, 'f').helpers).toEqual([]) // only Math.log( itself
  })
  test('what gpu.js cannot compile is refused with the reason', () => {
    expect(() =>
      functionSource(
        async function f() {
          return 1
        } as unknown as Function,
        'f',
      ),
    ).toThrow(/only plain functions/)
    expect(() => functionSource(class A {}, 'f')).toThrow(/only plain functions/)
    expect(() => functionSource(eval('(function (x) { return x ** 2 })'), 'f')).toThrow(/'\*\*'/)
    expect(() => functionSource(eval('(function ({ a }) { return a })'), 'f')).toThrow(/only plain names/)
    expect(() => functionSource(Math.random, 'f')).toThrow(/native function random/)
    expect(() => functionSource(sgdStep.bind(null), 'f')).toThrow(/native function/)
  })
})

describe('gpujs.elementwise equals cpu.elementwise', () => {
  test('gpu.js mode cpu always starts', () => {
    expect(unavailable.cpu).toBeUndefined()
  })

  for (const strategy of ['kernels', 'pipeline'] as GpujsStrategy[]) {
    test(
      `Adam rules, 5 steps, 100k elements (${strategy})`,
      eachMode(async (shared, mode) => {
        const be = gpujs({ gpu: shared.gpu, strategy })
        const n = 100_000
        const want = adamArrays(n, allocateFloat32Group),
          got = cloneArrays(want)
        for (let step = 0; step < 5; step++) {
          const g = fill(n, 100 + step)
          want.g.set(g)
          got.g.set(g)
          reference(ADAM_RULES, want, adamScalars(step), n)
          be.elementwise(ADAM_RULES, got, adamScalars(step), n)
        }
        const report: string[] = []
        for (const k of ['x', 'm', 'v']) {
          // v = (v − g²)·b2 + g² (the lerp form Adam runs) loses ~3 digits to the subtraction in
          // float32 arithmetic (see the next test); the parameters and m keep normwise 1e-5.
          const lerpV = k === 'v' && mode !== 'cpu'
          const d = lerpV ? diff(got[k], want[k]) : expectClose(`${mode}/${strategy} ${k}`, mode, got[k], want[k])
          if (lerpV) expect(d.normRel).toBeLessThan(2e-4)
          report.push(
            `${k}: rel ${d.maxRel.toExponential(1)} norm ${d.normRel.toExponential(1)} outside-allclose ${d.violations}`,
          )
        }
        console.log(`Adam ${mode}/${strategy}: ${report.join('; ')}`)
        // The scalars changed every step (bias corrections): still one kernel per rule.
        expect(be.kernelCount).toBe(3)
        be.destroy()
      }),
    )
  }

  test(
    "float32: PyTorch's form of Adam's moments keeps v to 1e-5, the lerp form to ~1e-4",
    eachMode((be, mode) => {
      // lerp(g², v, b2) = (v − g²)·b2 + g² (optimizers/rules.ts) is exact enough in float64 (the CPU
      // loop) but three digits short in float32 arithmetic (webasm here, WebGL in browsers).
      // torch.optim.Adam's exp_avg.lerp_(grad, 1 − β), i.e. m + (g − m)·(1 − β) with 1 − β from the
      // host, is the same value without the cancellation. Measured here, for docs/backends.md.
      function torchFirstMoment(g: number, m: number, omb1: number) {
        return m + (g - m) * omb1
      }
      function torchSecondMoment(g: number, v: number, omb2: number) {
        return v + (g * g - v) * omb2
      }
      const torchRules: Rule[] = [
        { target: 'm', args: ['g', 'm', 'omb1'], fn: torchFirstMoment },
        { target: 'v', args: ['g', 'v', 'omb2'], fn: torchSecondMoment },
        ADAM_RULES[2],
      ]
      const n = 100_000
      const rel: Record<string, number> = {}
      for (const [form, rules] of [
        ['lerp', ADAM_RULES],
        ['torch', torchRules],
      ] as const) {
        const want = adamArrays(n, allocateFloat32Group),
          got = cloneArrays(want)
        for (let step = 0; step < 5; step++) {
          const g = fill(n, 100 + step)
          want.g.set(g)
          got.g.set(g)
          const s = { ...adamScalars(step), omb1: 1 - 0.9, omb2: 1 - 0.999 }
          reference(rules, want, s, n)
          be.elementwise(rules, got, s, n)
        }
        expectClose(`${mode} ${form}-form x`, mode === 'cpu' ? 'cpu' : 'f32', got.x, want.x)
        rel[form] = diff(got.v, want.v).normRel
      }
      expect(rel.torch).toBeLessThan(mode === 'cpu' ? 1e-7 : 1e-5)
      expect(rel.lerp).toBeLessThan(mode === 'cpu' ? 1e-7 : 2e-4)
      const [lerp, torch] = [rel.lerp.toExponential(1), rel.torch.toExponential(1)]
      console.log(`Adam's v on ${mode}, normwise rel: lerp form ${lerp}, torch form ${torch}`)
    }),
  )

  test(
    'a target written twice, a rule reading an earlier target, arrays longer than length',
    eachMode((be, mode) => {
      const rules: Rule[] = [
        { target: 'g', args: ['g', 'lim'], fn: clipped },
        { target: 'x', args: ['x', 'wd'], fn: decay },
        { target: 'x', args: ['x', 'g', 'lr'], fn: sgdStep },
      ]
      const n = 5000
      const want = { x: fill(n + 7, 1), g: fill(n + 7, 2, 3) }
      // The lifter hands views into one shared buffer (byteOffset ≠ 0): gpu.js must honour offsets.
      const shared = new Float32Array(3 + 2 * (n + 7))
      const got = { x: shared.subarray(3, 3 + n + 7), g: shared.subarray(3 + n + 7) }
      got.x.set(want.x)
      got.g.set(want.g)
      const s = { lim: 1.5, wd: 0.01, lr: 0.1 }
      reference(rules, want, s, n)
      be.elementwise(rules, got, s, n)
      expectClose(`${mode} x`, mode, got.x, want.x)
      expectClose(`${mode} g`, mode, got.g, want.g)
      // elements past `length` are untouched
      expect(Array.from(got.x.subarray(n))).toEqual(Array.from(fill(n + 7, 1).subarray(n)))
    }),
  )

  test(
    'length 0 and empty rule lists do nothing',
    eachMode((be) => {
      const x = new Float32Array([1, 2])
      be.elementwise([{ target: 'x', args: ['x', 'x', 'lr'], fn: sgdStep }], { x }, { lr: 1 }, 0)
      be.elementwise([], { x }, {}, 2)
      expect(Array.from(x)).toEqual([1, 2])
    }),
  )

  test('errors name the rule and the missing name, and change nothing', () => {
    const be = available.cpu!
    const x = new Float32Array([1, 2])
    expect(() => be.elementwise([{ target: 'x', args: ['x', 'g', 'lr'], fn: sgdStep }], { x }, { lr: 1 }, 2)).toThrow(
      /rule 0 \(target 'x'\) reads 'g', which is neither an array \[x\] nor a scalar \[lr\]/,
    )
    expect(() => be.elementwise([{ target: 'y', args: ['x', 'x', 'lr'], fn: sgdStep }], { x }, { lr: 1 }, 2)).toThrow(
      /writes 'y', which is not one of the arrays/,
    )
    expect(() => be.elementwise([{ target: 'x', args: ['x', 'lr'], fn: sgdStep }], { x }, { lr: 1 }, 2)).toThrow(
      /lists 2 args \[x, lr\] but its function takes 3/,
    )
    expect(() => be.elementwise([{ target: 'x', args: ['x', 'x', 'lr'], fn: sgdStep }], { x }, { lr: 1 }, 3)).toThrow(
      /at least 3 elements/,
    )
    expect(Array.from(x)).toEqual([1, 2])
  })

  test('webgpu is refused with the reason (kernels there return Promises)', () => {
    const fake = {
      mode: 'webgpu',
      createKernel: () => {
        throw new Error('unused')
      },
    }
    expect(() => gpujs({ gpu: fake })).toThrow(/webgpu.*synchronous/)
  })
})

// ---------------------------------------------------------------------------------------------
// Every optimizer, 5 steps, through the lifter: cpu vs gpujs.

type Optimizer = {
  init(p: unknown): unknown
  update(i: number, g: unknown, s: unknown): unknown
  getParams(s: unknown): unknown
}

function loadOptimizers(): Array<[string, (lr: number) => Optimizer]> {
  let mod: Record<string, unknown>
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../optimizers/index.js')
  } catch (e) {
    console.log(`backends.test: optimizers/index.ts not loadable yet: ${(e as Error).message.split('\n')[0]}`)
    return []
  }
  const out: Array<[string, (lr: number) => Optimizer]> = []
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value !== 'function') continue
    let made: unknown
    try {
      made = (value as (lr: number) => unknown)(0.01)
    } catch {
      continue
    }
    const o = made as Partial<Optimizer> | null
    if (o && typeof o.init === 'function' && typeof o.update === 'function' && typeof o.getParams === 'function') {
      out.push([name, value as (lr: number) => Optimizer])
    }
  }
  return out
}

function paramsTree(): Record<string, Tensor> {
  return {
    w: new Tensor(fill(300 * 40, 11, 0.5), [300, 40]),
    b: new Tensor(fill(40, 12, 0.1), [40]),
    e: new Tensor(fill(7 * 9, 13), [7, 9]),
  }
}

function gradsTree(step: number): Record<string, Tensor> {
  return {
    w: new Tensor(fill(300 * 40, 20 + step, 2), [300, 40]),
    b: new Tensor(fill(40, 30 + step, 0.2), [40]),
    e: new Tensor(fill(7 * 9, 40 + step, 5), [7, 9]),
  }
}

function runOptimizer(make: (lr: number) => Optimizer): Float32Array[] {
  const opt = make(0.01)
  let state = opt.init(paramsTree())
  for (let i = 0; i < 5; i++) state = opt.update(i, gradsTree(i), state)
  return flatten(opt.getParams(state) as Tensor).leaves.map((t) => Float32Array.from(t.data))
}

describe('every optimizer: cpu vs gpujs, 5 steps', () => {
  const optimizers = loadOptimizers()
  test('the optimizers module exports optimizers (or is not there yet)', () => {
    if (optimizers.length === 0) {
      console.log('backends.test: no optimizers exported yet; the per-optimizer equivalence runs once they land')
    }
    expect(Array.isArray(optimizers)).toBe(true)
  })
  for (const [name, make] of optimizers) {
    test(
      `${name}`,
      eachMode(async (_be, mode) => {
        await setBackend('cpu')
        const want = runOptimizer(make)
        await setBackend('gpujs', { mode, threshold: 0 })
        const active = getActiveBackend(1) as GpujsBackend
        expect(active.name).toBe(`gpujs/${mode}`)
        const before = active.runs
        const got = runOptimizer(make)
        // The lifter must have run its rules on gpu.js, not bypassed the backend.
        if (active.runs === before)
          throw new Error(
            `${name}: no gpu.js kernel ran: the optimizer lifter did not take its backend from getActiveBackend()`,
          )
        const report = got.map((g, k) => {
          const d = expectClose(`${name} ${mode} leaf ${k}`, mode, g, want[k])
          return d.maxRel.toExponential(1)
        })
        console.log(`${name} on gpujs/${mode}: max elementwise rel per leaf ${report.join(', ')}`)
        await setBackend('cpu')
      }),
    )
  }
})

// ---------------------------------------------------------------------------------------------
// Large elementwise ops: the engine's element functions (the same shapes of function as in
// src/ops/elementwise.ts: arrows, Math natives, ternaries) on gpu.js vs nd.map / nd.zip.

const negate = (x: number) => -x
const powConst = (x: number, p: number) => Math.pow(x, p)
const sigmoidFn = (x: number) => 1 / (1 + Math.exp(-x))
const reluFn = (x: number) => (x > 0 ? x : 0)
const tanhGrad = (g: number, y: number) => g * (1 - y * y)
const plus = (a: number, b: number) => a + b
const times = (a: number, b: number) => a * b
const over = (g: number, x: number) => g / x
const timesSign = (g: number, x: number) => (x > 0 ? g : x < 0 ? -g : 0)
const timesLog = (y: number, a: number) => (y === 0 ? 0 : y * Math.log(a))
const powPair = (a: number, b: number) => Math.pow(a, b)
const OUTSIDE = 3
const usesClosure = (x: number) => x * OUTSIDE

describe('large elementwise ops on gpu.js equal nd.map / nd.zip', () => {
  const n = 70_000
  const x = fill(n, 5, 3)
  x[0] = 0
  x[1] = -2
  x[2] = 50
  x[3] = -50
  x[4] = 1e-4 // edges: 0, negative, tanh overflow, tiny
  const pos = x.map(Math.abs).map((v) => v + 0.1)
  pos[0] = 0 // log 0 = −∞, 1/0 = ∞, checked exactly
  const y = fill(n, 6, 2)

  const unaries: Array<[string, (x: number, c: number) => number, Float32Array, number]> = [
    ['neg', negate, x, 0],
    ['exp', Math.exp as (x: number) => number, x, 0],
    ['log', Math.log as (x: number) => number, pos, 0],
    ['sqrt', Math.sqrt as (x: number) => number, pos, 0],
    ['abs', Math.abs as (x: number) => number, x, 0],
    ['tanh', Math.tanh as (x: number) => number, x, 0],
    ['sigmoid', sigmoidFn, x, 0],
    ['relu', reluFn, x, 0],
    ['pow 2', powConst, x, 2],
    ['pow -1', powConst, x, -1],
    ['pow 3', powConst, x, 3],
    ['pow 0.5', powConst, pos, 0.5],
  ]
  const binaries: Array<[string, (a: number, b: number, c: number) => number, Float32Array, Float32Array]> = [
    ['add', plus, x, y],
    ['mul', times, x, y],
    ['div', over, y, pos],
    ['abs backward', timesSign, y, x],
    ['pow backward (b)', timesLog, y, pos],
    ['tanh backward', tanhGrad, y, x],
  ]

  test(
    'unary',
    eachMode((be, mode) => {
      for (const [name, fn, input, c] of unaries) {
        const want = nd.map(input, fn, c) as Float32Array
        const got = new Float32Array(n)
        expect(be.unary(fn, input, got, c)).toBe(true)
        // exp(50) ≈ 5e21 etc.: elementwise rtol, with infinities/NaN compared exactly
        expectClose(`${mode} ${name}`, mode === 'cpu' ? 'cpu' : 'f32-elem', got, want)
      }
    }),
  )

  test(
    'binary',
    eachMode((be, mode) => {
      for (const [name, fn, a, b] of binaries) {
        const want = nd.zip(name, a, [n], b, [n], fn).data as Float32Array
        const got = new Float32Array(n)
        expect(be.binary(fn, a, b, got, 0)).toBe(true)
        expectClose(`${mode} ${name}`, mode === 'cpu' ? 'cpu' : 'f32-elem', got, want)
      }
    }),
  )

  test(
    'binary with a scalar operand (length-1 a or b, as in x.mul(2))',
    eachMode((be, mode) => {
      const two = Float32Array.of(2.5)
      for (const [name, fn] of [
        ['mul', times],
        ['div', over],
        ['pow', powPair],
      ] as const) {
        const right = nd.zip(name, pos, [n], two, [1], fn).data as Float32Array
        const left = nd.zip(name, two, [1], pos, [n], fn).data as Float32Array
        const gotRight = new Float32Array(n),
          gotLeft = new Float32Array(n)
        expect(be.binary(fn, pos, two, gotRight, 0)).toBe(true)
        expect(be.binary(fn, two, pos, gotLeft, 0)).toBe(true)
        expectClose(`${mode} ${name} (a, scalar)`, mode === 'cpu' ? 'cpu' : 'f32-elem', gotRight, right)
        expectClose(`${mode} ${name} (scalar, b)`, mode === 'cpu' ? 'cpu' : 'f32-elem', gotLeft, left)
      }
      // shapes it does not handle (a row broadcast) are declined, not miscomputed
      expect(be.binary(times, pos, pos.subarray(0, 10), new Float32Array(n), 0)).toBe(false)
    }),
  )

  test(
    'functions gpu.js cannot compile are declined, output untouched',
    eachMode((be) => {
      const out = new Float32Array(n).fill(7)
      expect(be.unary(usesClosure, x, out, 0)).toBe(false)
      expect(out[0]).toBe(7)
      // declined once, declined again without retrying the compile
      expect(be.unary(usesClosure, x, out, 0)).toBe(false)
    }),
  )

  test('through tensor ops, forward and backward (the nd.ts hook)', async () => {
    // 7 elementwise ops forward (exp, mul, tanh, add, mul, sigmoid, sub) on 2^17 elements, above
    // MIN_OP_LENGTH, and their backward passes.
    const run = () => {
      const a = tensor(fill(1 << 17, 7, 2), { shape: [1 << 17], requiresGrad: true })
      const b = tensor(fill(1 << 17, 8, 2), { shape: [1 << 17], requiresGrad: true })
      const out = a.exp().mul(b).add(a.tanh()).sub(b.mul(b).sigmoid())
      out.sum().backward()
      return [out.data, a.grad!.data, b.grad!.data].map((d) => Float32Array.from(d))
    }
    await setBackend('cpu')
    const want = run()
    let checked = 0
    for (const mode of ['cpu', 'webasm'] as GpujsMode[]) {
      if (!available[mode]) continue
      await setBackend('gpujs', { mode })
      const be = getActiveBackend() as GpujsBackend
      const got = run()
      // Every forward op and the backward ops went through gpu.js (not just some of them).
      expect(be.runs).toBeGreaterThan(7)
      got.forEach((g, k) => expectClose(`tensor ops ${mode} [${k}]`, mode === 'cpu' ? 'cpu' : 'f32', g, want[k]))
      // Back on cpu the hook is gone: the same ops run no gpu.js kernel.
      await setBackend('cpu')
      const runsAfter = be.runs
      run()
      expect(be.runs).toBe(runsAfter)
      checked++
    }
    expect(checked).toBeGreaterThan(0) // gpu.js 'cpu' mode works everywhere
  })
})

// ---------------------------------------------------------------------------------------------

describe('setBackend / getBackend / getActiveBackend', () => {
  afterEach(async () => {
    await setBackend('cpu')
  })

  test('cpu is the default and runs every size', async () => {
    await setBackend('cpu')
    expect(getBackend()).toMatchObject({ requested: 'cpu', name: 'cpu', mode: 'js' })
    expect(getActiveBackend(1e9)).toBe(cpu)
    expect(getActiveBackend()).toBe(cpu)
  })

  test('forced gpujs, with a threshold below which the cpu runs', async () => {
    const info = await setBackend('gpujs', { mode: 'cpu', threshold: 1000 })
    expect(info).toMatchObject({ requested: 'gpujs', name: 'gpujs', mode: 'cpu', threshold: 1000 })
    expect(info.reason).toMatch(/forced: gpu.js in cpu mode for buffers of ≥ 1000 elements/)
    expect(getActiveBackend(999)).toBe(cpu)
    expect(getActiveBackend(1000).name).toBe('gpujs/cpu')
  })

  test('forced gpujs on a GPU instance the caller made', async () => {
    const gpu = available.cpu!.gpu
    const info = await setBackend('gpujs', { gpu })
    expect(info.mode).toBe('cpu')
    expect((getActiveBackend(10) as GpujsBackend).gpu).toBe(gpu)
  })

  test("gpu.js's own GPU class is a valid `gpu` option for the type checker too", async () => {
    // The documented call `setBackend('gpujs', { gpu: new GPU({ mode: 'webgl2' }) })` did not
    // type-check: GpuKernelLike declared kernel.constructor as { mode?: string }, which gpu.js's
    // Function-typed constructor does not satisfy. `npm run typecheck` compiles this line.
    const { GPU } = await import('gpu.js')
    const options: SetBackendOptions = { gpu: new GPU({ mode: 'cpu' }) }
    const info = await setBackend('gpujs', options)
    expect(info.mode).toBe('cpu')
  })

  test('auto without a GPU context picks cpu and says why', async () => {
    // Here gpu.js finds no WebGL/headless-gl: it would fall back to webasm (or cpu).
    const info = await setBackend('auto')
    expect(info.name).toBe('cpu')
    expect(info.reason).toMatch(/no GPU context/)
    expect(getActiveBackend(1e7)).toBe(cpu)
    // even when the caller passes a GPU instance in a CPU mode
    const forcedCpuMode = await setBackend('auto', { gpu: available.cpu!.gpu })
    expect(forcedCpuMode.reason).toMatch(/gpu.js would run in cpu mode, which is not a GPU/)
  })

  test('auto on a GL context: the choice follows the calibration, which is cached; a given threshold replaces it', async () => {
    // A GPU that says it is WebGL2 but runs gpu.js's JavaScript kernels (measured 2–3× slower
    // than the CPU backend). No timing is asserted: only that the choice follows the measurements.
    const real = available.cpu!.gpu
    const fakeGl = {
      mode: 'webgl2',
      createKernel: (src: string, settings?: Record<string, unknown>) => real.createKernel(src, settings),
    }
    const first = await setBackend('auto', { gpu: fakeGl })
    const rows = first.calibration!
    expect(rows.length).toBeGreaterThan(0)
    expect(rows[0].length).toBe(1 << 22) // largest first
    const threshold = first.threshold ?? Infinity
    for (const r of rows) {
      // The CPU side was timed on the tier an optimizer state runs (arrays in one wasm memory).
      expect(r.cpuTier).toBe(simdAvailable ? 'simd' : 'js')
      // every measured size at or above the threshold: gpu.js was faster; the last row measured
      // (where the calibration stopped) is the one where it was not, unless it won everywhere
      if (r.length >= threshold) expect(r.gpuMs).toBeLessThan(r.cpuMs)
    }
    if (first.name === 'cpu') {
      expect(first.reason).toMatch(
        /gpu.js webgl2 was slower than the CPU backend at every measured size \(calibrated now on this device\)/,
      )
      expect(rows[0].gpuMs).toBeGreaterThanOrEqual(rows[0].cpuMs)
      expect(getActiveBackend(1 << 22)).toBe(cpu)
    } else {
      expect(first.reason).toMatch(
        /for buffers of ≥ \d+ elements, the CPU backend below \(calibrated now on this device\)/,
      )
      expect(getActiveBackend(threshold).name).toBe('gpujs/webgl2')
      if (threshold > 1) expect(getActiveBackend(threshold - 1)).toBe(cpu)
    }
    const again = await setBackend('auto', { gpu: fakeGl })
    expect(again.threshold ?? Infinity).toBe(threshold)
    expect(again.reason).toMatch(/\(calibrated earlier on this device \(cached\)\)/)
    const forced = await setBackend('auto', { gpu: fakeGl, threshold: 5000 })
    expect(forced).toMatchObject({ name: 'gpujs', mode: 'webgl2', threshold: 5000 })
    expect(forced.reason).toMatch(
      /for buffers of ≥ 5000 elements, the CPU backend below \(threshold set by the caller\)/,
    )
    expect(getActiveBackend(4999)).toBe(cpu)
    expect(getActiveBackend(5000).name).toBe('gpujs/webgl2')
  }, 120_000)

  test('bad choices and thresholds are refused and change nothing', async () => {
    await setBackend('gpujs', { mode: 'cpu', threshold: 5 })
    await expect(setBackend('webgl' as never)).rejects.toThrow(/unknown backend 'webgl'/)
    await expect(setBackend('gpujs', { threshold: -1 })).rejects.toThrow(/threshold must be a number ≥ 0/)
    expect(getBackend()).toMatchObject({ name: 'gpujs', threshold: 5 })
  })

  test('a later setBackend wins over an earlier one still loading', async () => {
    const slow = setBackend('gpujs', { mode: 'cpu' })
    const fast = setBackend('cpu')
    await Promise.all([slow, fast])
    expect(getBackend().name).toBe('cpu')
  })
})

describe('what the calibration times is what an Adam step runs', () => {
  test('ADAM_RULES and adamScalars(i) are the rules and scalars adam(1e-3) hands the backend at step i', async () => {
    await setBackend('cpu')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { adam } = require('../optimizers/index.js') as typeof import('../optimizers/index.js')
    // The rule as gpu.js compiles it: target, argument names, and the function's source (renamed).
    const form = (r: Rule) => ({ target: r.target, args: r.args, source: functionSource(r.fn, 'rule').source })
    const spy = jest.spyOn(cpu, 'elementwise')
    try {
      const opt = adam(1e-3)
      let state = opt.init({ w: new Tensor(fill(1000, 1), [1000]) })
      for (let i = 0; i < 3; i++) {
        state = opt.update(i, { w: new Tensor(fill(1000, 2 + i), [1000]) }, state)
        expect(spy).toHaveBeenCalledTimes(i + 1)
        const [rules, arrays, scalars, length] = spy.mock.calls[i]
        expect(rules.map(form)).toEqual(ADAM_RULES.map(form))
        expect(scalars).toEqual(adamScalars(i))
        expect(length).toBe(1000)
        for (const name of ['x', 'g', 'm', 'v']) expect(arrays[name]).toBeInstanceOf(Float32Array)
      }
    } finally {
      spy.mockRestore()
    }
  })
})

describe('gpu.js missing', () => {
  test('the wordings of a missing gpu.js are recognised; a missing dependency of gpu.js is not', () => {
    const missing = [
      "Cannot find package 'gpu.js' imported from /app/node_modules/tapegrad/dist/src/backends/gpujs.js", // Node ESM
      "Cannot find module 'gpu.js' from 'src/backends/gpujs.ts'", // jest / require
      "Failed to resolve module specifier 'gpu.js'", // Chromium 156 (test/browser checks it there)
      'Failed to resolve module specifier "gpu.js". Relative references must start with either "/", "./", or "../".',
      'The specifier “gpu.js” was a bare specifier, but was not remapped to anything.', // Firefox
      "Module name, 'gpu.js' does not resolve to a valid URL.", // Safari
    ]
    for (const m of missing) expect([m, isGpujsMissing(new TypeError(m))]).toEqual([m, true])
    const broken = [
      "Cannot find package 'acorn' imported from /app/node_modules/gpu.js/src/utils.js",
      "Cannot find module './kernel' from 'node_modules/gpu.js/src/index.js'",
      'WebGL is not supported',
    ]
    for (const m of broken) expect([m, isGpujsMissing(new Error(m))]).toEqual([m, false])
  })
  // The missing-module path itself runs for real in test/install.test.ts (Node, a project
  // installed from the packed tarball without gpu.js) and in test/browser (Chromium, a page
  // without gpu-browser.js).
})

// ---------------------------------------------------------------------------------------------
// The rules survive toolchains: tsc's dist/ build and an esbuild-minified bundle, run in a
// child Node process (ESM), give the numbers the sources give.

describe('rules survive toolchains', () => {
  const root = path.resolve(__dirname, '..')
  const work = path.join(root, 'node_modules', '.cache', 'tapegrad-backends-test')

  test('tsc dist/ and an esbuild --minify bundle compute what the sources compute', () => {
    fs.rmSync(work, { recursive: true, force: true })
    fs.mkdirSync(work, { recursive: true })
    // Under node_modules a file has no package scope: say these are ES modules.
    fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ type: 'module' }))
    const dist = path.join(work, 'dist')
    try {
      execFileSync(
        process.execPath,
        [
          require.resolve('typescript/bin/tsc'),
          '-p',
          path.join(root, 'tsconfig.build.json'),
          '--outDir',
          dist,
          '--sourceMap',
          'false',
          '--declaration',
          'false',
        ],
        { cwd: root, stdio: 'pipe' },
      )
    } catch (e) {
      // Type errors elsewhere do not stop tsc from emitting; only a missing output is fatal here.
      const text = String((e as { stdout?: Buffer }).stdout ?? '')
      console.log(
        `toolchains: tsc reported ${text.split('\n').filter((l) => / error TS/.test(l)).length} type errors (emitting anyway)`,
      )
      if (!fs.existsSync(path.join(dist, 'src', 'backends', 'index.js'))) throw e
    }
    const hasOptimizers = fs.existsSync(path.join(dist, 'optimizers', 'index.js'))
    const entry = path.join(work, 'entry.ts')
    fs.writeFileSync(
      entry,
      [
        `export { setBackend, getActiveBackend } from ${JSON.stringify(path.join(root, 'src/backends/index.ts'))}`,
        `export { allocateFloat32Group } from ${JSON.stringify(path.join(root, 'src/backends/cpu.ts'))}`,
        `export { ADAM_RULES, adamArrays, adamScalars } from ${JSON.stringify(path.join(root, 'src/backends/calibrate.ts'))}`,
        `export { Tensor } from ${JSON.stringify(path.join(root, 'src/tensor.ts'))}`,
        `export { flatten } from ${JSON.stringify(path.join(root, 'src/tree.ts'))}`,
        hasOptimizers
          ? `export * as optimizers from ${JSON.stringify(path.join(root, 'optimizers/index.ts'))}`
          : 'export const optimizers = {}',
      ].join('\n'),
    )
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild')
    esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      external: ['gpu.js'],
      outfile: path.join(work, 'bundle.min.js'),
      logLevel: 'silent',
    })
    const distEntry = path.join(work, 'dist-entry.js')
    fs.writeFileSync(
      distEntry,
      [
        `export { setBackend, getActiveBackend } from './dist/src/backends/index.js'`,
        `export { allocateFloat32Group } from './dist/src/backends/cpu.js'`,
        `export { ADAM_RULES, adamArrays, adamScalars } from './dist/src/backends/calibrate.js'`,
        `export { Tensor } from './dist/src/tensor.js'`,
        `export { flatten } from './dist/src/tree.js'`,
        hasOptimizers ? `export * as optimizers from './dist/optimizers/index.js'` : 'export const optimizers = {}',
      ].join('\n'),
    )
    // The child runs each build on cpu and on gpujs in gpu.js modes cpu and webasm.
    const child = path.join(work, 'child.mjs')
    fs.writeFileSync(child, CHILD)
    const resultFile = path.join(work, 'results.json')
    execFileSync(process.execPath, [child, distEntry, path.join(work, 'bundle.min.js'), resultFile], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const results = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Record<
      string,
      Record<string, Record<string, number[][]>>
    >

    // In-process (sources) reference for the Adam rules.
    const n = 4096
    const want = adamArrays(n, allocateFloat32Group)
    for (let i = 0; i < 5; i++) {
      want.g.set(fill(n, 100 + i))
      cpu.elementwise(ADAM_RULES, want, adamScalars(i), n)
    }
    for (const build of ['dist', 'bundle']) {
      for (const mode of ['cpu', 'gpujs-cpu', 'gpujs-webasm']) {
        if (!results[build][mode]) continue
        const got = results[build][mode]['ADAM_RULES'][0]
        expectClose(`${build} ${mode} ADAM_RULES`, mode === 'gpujs-webasm' ? 'f32' : 'cpu', got, want.x)
        for (const name of Object.keys(results[build].cpu)) {
          if (name === 'ADAM_RULES') continue
          if (mode !== 'cpu' && !(results[build].kernels as unknown as Record<string, number>)[`${mode} ${name}`]) {
            throw new Error(
              `${build} ${mode} ${name}: no gpu.js kernel ran: the optimizer lifter did not take its backend from getActiveBackend()`,
            )
          }
          results[build][mode][name].forEach((leaf, k) =>
            expectClose(
              `${build} ${mode} ${name} leaf ${k}`,
              mode === 'gpujs-webasm' ? 'f32' : 'cpu',
              leaf,
              results.dist.cpu[name][k],
            ),
          )
        }
      }
    }
    // The minifier renamed the rule functions and their parameters, and gpu.js still compiled them.
    expect(fs.readFileSync(path.join(work, 'bundle.min.js'), 'utf8')).not.toContain('function speedSquared(')
    console.log(
      `toolchains: optimizers checked through dist/ and the minified bundle: ${Object.keys(results.dist.cpu).join(', ')}`,
    )
  }, 300_000)
})

/** The child process: loads a build, runs Adam rules and every optimizer on each backend, prints JSON. */
const CHILD = String.raw`
const [distEntry, bundle] = process.argv.slice(2)
function fill(n, seed, scale = 1) {
  const out = new Float32Array(n); let s = seed >>> 0 || 1
  for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = ((s / 4294967296) * 2 - 1) * scale }
  return out
}
async function runBuild(file) {
  const lib = await import(file)
  const result = {}
  for (const [key, choice, mode] of [['cpu', 'cpu'], ['gpujs-cpu', 'gpujs', 'cpu'], ['gpujs-webasm', 'gpujs', 'webasm']]) {
    await lib.setBackend(choice, { mode, threshold: 0 })
    const r = (result[key] = {})
    const n = 4096, a = lib.adamArrays(n, lib.allocateFloat32Group)
    for (let i = 0; i < 5; i++) { a.g.set(fill(n, 100 + i)); lib.getActiveBackend(n).elementwise(lib.ADAM_RULES, a, lib.adamScalars(i), n) }
    r.ADAM_RULES = [Array.from(a.x)]
    for (const [name, make] of Object.entries(lib.optimizers)) {
      if (typeof make !== 'function') continue
      let opt
      try { opt = make(0.01) } catch { continue }
      if (!opt || typeof opt.init !== 'function' || typeof opt.update !== 'function' || typeof opt.getParams !== 'function') continue
      const T = lib.Tensor
      const runsBefore = lib.getActiveBackend(1).runs ?? 0
      const params = { w: new T(fill(2000, 11, 0.5), [50, 40]), b: new T(fill(40, 12, 0.1), [40]) }
      let state = opt.init(params)
      for (let i = 0; i < 5; i++) state = opt.update(i, { w: new T(fill(2000, 20 + i, 2), [50, 40]), b: new T(fill(40, 30 + i, 0.2), [40]) }, state)
      r[name] = lib.flatten(opt.getParams(state)).leaves.map((t) => Array.from(t.data))
      // How many steps ran on gpu.js (0 on cpu; > 0 proves the lifter routed to gpu.js).
      ;(result.kernels ??= {})[key + ' ' + name] = (lib.getActiveBackend(1).runs ?? 0) - runsBefore
    }
  }
  await lib.setBackend('cpu')
  return result
}
const out = { dist: await runBuild(distEntry), bundle: await runBuild(bundle) }
// A file, not stdout: process.exit would cut a large piped write short.
;(await import('node:fs')).writeFileSync(process.argv[4], JSON.stringify(out))
process.exit(0)
`
