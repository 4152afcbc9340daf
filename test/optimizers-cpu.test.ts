/**
 * The CPU backend (src/backends/cpu.ts, cpu-simd.ts), which runs every optimizer step:
 * - the generated fused loop has the Backend semantics (rules in order, in place, a rule sees
 *   what the rules before it computed at the same index);
 * - its three tiers give the same bits: the WebAssembly SIMD kernel (f64x2), the generated
 *   JavaScript loop, and the interpreter used where code generation is forbidden — for every
 *   optimizer of the table, for hand-written rules covering the whole supported subset with
 *   special values (±0, NaN, ±∞), and for rules minified by esbuild;
 * - misuse gives errors that say what is wrong.
 */
import { transformSync } from 'esbuild'
import type { Rule } from '../src/backends/backend.js'
import {
  cpu,
  allocateFloat32Group,
  setSimdEnabled,
  setCpuCodegen,
  simdAvailable,
  describeCpuPlan,
  lastCpuTier,
} from '../src/backends/cpu.js'
import { rule, adam, type OptState } from '../optimizers/index.js'
import { Tensor } from '../src/tensor.js'
import { instances } from './table/optimizers.rows.js'

afterEach(() => {
  setSimdEnabled(true)
  setCpuCodegen(true)
})

/** The bits of every number, except that every NaN is written 'NaN' (a NaN's sign and payload
 *  are not specified: x86 SIMD makes negative NaNs where JavaScript makes positive ones). */
const hex = (a: Float32Array | Float64Array) =>
  Array.from(a, (v, k) =>
    Number.isNaN(v)
      ? 'NaN'
      : Buffer.from(a.buffer, a.byteOffset + k * a.BYTES_PER_ELEMENT, a.BYTES_PER_ELEMENT).toString('hex'),
  ).join('')

describe('cpu.elementwise: semantics', () => {
  function double(x: number) {
    return 2 * x
  }
  function addOne(x: number) {
    return x + 1
  }
  function combine(a: number, b: number, s: number) {
    return a * s + b
  }

  test('runs the rules in order at every index, in place; a rule sees earlier results', () => {
    const a = Float32Array.from([1, 2, 3])
    const b = Float32Array.from([10, 20, 30])
    const rules: Rule[] = [rule('a', ['a'], double), rule('b', ['a', 'b', 's'], combine), rule('a', ['a'], addOne)]
    cpu.elementwise(rules, { a, b }, { s: 0.5 }, 3)
    expect(Array.from(a)).toEqual([3, 5, 7]) // 2x + 1
    expect(Array.from(b)).toEqual([11, 22, 33]) // b + 0.5·(2x)
  })

  test('length limits the pass; the compiled loop is cached and reused across calls and arrays', () => {
    const rules = [rule('a', ['a'], double)]
    const a = Float32Array.from([1, 1, 1, 1])
    cpu.elementwise(rules, { a }, {}, 2)
    expect(Array.from(a)).toEqual([2, 2, 1, 1])
    const plan = describeCpuPlan(rules)
    expect(plan).toMatchObject({ arrays: ['a'], scalars: [] })
    const c = new Float64Array([5, 6])
    // another array kind: a new plan, float64 kept in float64
    cpu.elementwise(rules, { a: c as unknown as Float32Array }, {}, 2)
    expect(Array.from(c)).toEqual([10, 12])
    expect(describeCpuPlan(rules)!.simdReason).toMatch(/float64/)
  })

  test('errors say what is wrong', () => {
    const a = new Float32Array(3)
    expect(() => cpu.elementwise([rule('a', ['a', 'b', 's'], combine)], { a }, { s: 1 }, 3)).toThrow(
      /rule 0 \('combine' → a\) reads 'b', which is neither an array nor a scalar \(arrays: a; scalars: s\)/,
    )
    expect(() => cpu.elementwise([rule('q', ['a'], double)], { a }, {}, 3)).toThrow(
      /writes 'q', which is not one of the arrays/,
    )
    expect(() => cpu.elementwise([rule('a', ['a', 'a', 's'], combine)], { a }, { s: 'x' as never }, 3)).toThrow(
      /scalar 's' must be a number, got string x/,
    )
    expect(() => cpu.elementwise([rule('a', ['a'], double)], { a }, {}, 4)).toThrow(
      /array 'a' has 3 elements, fewer than length 4/,
    )
    expect(() => cpu.elementwise([rule('a', ['a', 'a', 's'], combine)], { a, s: a }, { s: 1 }, 3)).toThrow(
      /'s' is given both as an array and as a scalar/,
    )
    expect(() => cpu.elementwise([{ target: 'a', args: ['a', 'a'], fn: double }], { a }, {}, 3)).toThrow(
      /takes 1 arguments but lists 2 names/,
    )
    expect(() => cpu.elementwise([rule('a', ['a'], double)], { a: [1, 2, 3] as never }, {}, 3)).toThrow(
      /array 'a' must be a Float32Array or Float64Array, got an array/,
    )
    expect(() => cpu.elementwise([rule('a', ['a'], double)], { a }, {}, -1)).toThrow(
      /length must be a non-negative integer/,
    )
  })
})

// ---------------------------------------------------------------------------------------------
// The tiers agree bit for bit

type Tier = 'simd' | 'js' | 'interpreter'
function withTier<T>(tier: Tier, f: () => T): T {
  setSimdEnabled(tier === 'simd')
  setCpuCodegen(tier !== 'interpreter')
  try {
    return f()
  } finally {
    setSimdEnabled(true)
    setCpuCodegen(true)
  }
}

describe('every optimizer: SIMD kernel = JS loop = interpreter, bit for bit', () => {
  const n = 1001 // odd: the SIMD kernel's pair loop and its one-element tail
  const params = () => ({
    w: new Tensor(
      Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2),
      [n],
    ),
    s: new Tensor(new Float32Array([0.5]), []),
  })
  const grads = (i: number) => ({
    w: new Tensor(
      Float32Array.from({ length: n }, (_, k) => (k % 7 === 0 ? 0 : Math.cos(k * 0.37 + i) * 10 ** ((k % 5) - 3))),
      [n],
    ),
    s: new Tensor(new Float32Array([0.1 * i - 0.3]), []),
  })
  test.each(instances())('$label', ({ make }) => {
    const run = (tier: Tier) =>
      withTier(tier, () => {
        const opt = make()
        let state: OptState = opt.init(params())
        for (let i = 0; i < 6; i++) {
          state = opt.update(i, grads(i), state)
          expect(lastCpuTier()).toBe(tier)
        }
        if (tier === 'simd' && simdAvailable)
          expect(describeCpuPlan(opt.rules)).toMatchObject({ simd: true, simdReason: null })
        return [state.params, ...Object.values(state.slots), ...Object.values(state.extra)].map(hex).join('|')
      })
    const js = run('js')
    expect(run('interpreter')).toBe(js)
    if (simdAvailable) expect(run('simd')).toBe(js)
  })
})

test('optimizer states from 256 parameters live in one WebAssembly memory and run as SIMD; smaller ones on the JS loop', () => {
  const opt = adam(0.1)
  const small = opt.update(
    0,
    new Tensor(new Float32Array(255).fill(1), [255]),
    opt.init(new Tensor(new Float32Array(255), [255])),
  )
  expect(lastCpuTier()).toBe('js')
  const big = opt.update(
    0,
    new Tensor(new Float32Array(256).fill(1), [256]),
    opt.init(new Tensor(new Float32Array(256), [256])),
  )
  expect(lastCpuTier()).toBe(simdAvailable ? 'simd' : 'js')
  expect(hex(big.params.subarray(0, 255))).toBe(hex(small.params))
})

describe('the SIMD compiler: the whole rule subset, special values, minified sources', () => {
  // Inputs with the awkward values: ±0, NaN, ±∞, tiny and huge numbers.
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3e38, -3e38, 1, -1, 0.5, -2.5, 7, 1e-8]
  const N = 2 * specials.length * specials.length + 1
  const input = (seed: number) =>
    Float32Array.from({ length: N }, (_, k) =>
      k < 2 * specials.length ** 2
        ? specials[(seed === 0 ? k : Math.floor(k / specials.length)) % specials.length]
        : 0.25,
    )

  function ternaries(a: number, b: number) {
    return a > b ? a - b : a < b ? b - a : a === b ? 0 : -1
  }
  function branches(a: number, b: number, s: number) {
    // eslint-disable-next-line no-useless-assignment -- the compiler's input: a declaration with a value
    let d = 0
    if (a > 0 && b > 0) d = a * b
    else if (a < 0 || !(b >= 0)) {
      d = -a / (b + s)
    } else {
      const t = a + b
      d = t * t
    }
    return d + s
  }
  function early(a: number, b: number) {
    if (a !== a) return 42
    if (b == 0) return -b
    return a / b
  }
  function maths(a: number, b: number) {
    return Math.max(a, b, 0.5) - Math.min(a, b) + Math.abs(a) * Math.sign(b) + Math.sqrt(Math.abs(b))
  }
  function literals(a: number) {
    return a * 1e-3 + 0.5 - 0x10 + 2.5e2 * +a - -a
  }
  function signs(a: number) {
    return Math.sign(a)
  }
  function truthy(a: number, b: number) {
    return a ? b : -b
  }
  function blocks(a: number, b: number) {
    {
      const c = a - b
      a = c * 2
    }
    return a
  }
  // Assignments on one side of a branch only: esbuild minifies `if (c) x = a; else x = b` to
  // `c ? x = a : x = b`, and `if (c) x = a` to `c && (x = a)`.
  function assignsInTernary(a: number, b: number) {
    // eslint-disable-next-line no-useless-assignment -- the compiler's input, as esbuild writes it
    let x = a
    // eslint-disable-next-line @typescript-eslint/no-unused-expressions
    a > b ? (x = a - b) : (x = b * 2)
    return x
  }
  function assignsAfterAndOr(a: number, b: number) {
    let x = 1
    // eslint-disable-next-line @typescript-eslint/no-unused-expressions
    a > 0 && (x = b)
    // eslint-disable-next-line @typescript-eslint/no-unused-expressions
    b > 2 || (x = x + a)
    return x
  }
  function andOrValues(a: number, b: number) {
    return (a && b) - (a || b) // on numbers, && and || return one of their operands
  }
  function shadows(a: number, b: number) {
    const x = a
    {
      const x = b * 3 // a block's const hides the outer x only inside the block
      b = x + 1
    }
    return x + b
  }
  const subset = [
    ternaries,
    branches,
    early,
    maths,
    literals,
    signs,
    truthy,
    blocks,
    assignsInTernary,
    assignsAfterAndOr,
    andOrValues,
    shadows,
  ]

  const check = (label: string, fns: ((...x: number[]) => number)[]) => {
    const run = (tier: Tier) =>
      withTier(tier, () => {
        const [a, b, out] = allocateFloat32Group([N, N, N])
        a.set(input(0))
        b.set(input(1))
        const rules = fns.map((fn) => ({ target: 'out', args: ['a', 'b', 's'].slice(0, fn.length), fn }))
        // each rule also feeds the next one through 'a'
        const chained: Rule[] = rules.flatMap((r) => [r, { target: 'a', args: ['out'], fn: keep }])
        cpu.elementwise(chained, { a, b, out }, { s: 0.75 }, N)
        expect(lastCpuTier()).toBe(tier)
        return { bits: hex(out) + hex(a), plan: describeCpuPlan(chained) }
      })
    const js = run('js')
    expect(run('interpreter').bits).toBe(js.bits)
    if (simdAvailable) {
      const simd = run('simd')
      expect({ label, reason: simd.plan!.simdReason }).toEqual({ label, reason: null })
      expect(simd.bits).toBe(js.bits)
    }
  }
  function keep(x: number) {
    return x
  }

  test.each(subset.map((f) => [f.name, f] as const))('%s', (name, fn) => check(name, [fn]))

  test('all of them fused in one kernel', () => check('all', subset))

  test('the same rules minified by esbuild (renamed parameters, comma sequences, !0)', () => {
    const minified = subset.map((fn) => {
      const code = transformSync(`module.exports = ${fn.toString()}`, { minify: true, loader: 'js' }).code
      const module = { exports: null as unknown }
      new Function('module', code)(module)
      return module.exports as (...x: number[]) => number
    })
    expect(minified.map((f) => f.toString()).join('\n')).toMatch(/return \w=\(\w-\w\)\*2,\w/) // really minified: blocks() became a comma sequence
    check('minified', minified)
  })

  test('rules outside the subset stay on the JS loop, with the reason', () => {
    function expLike(a: number) {
      return Math.exp(a)
    }
    function loop(a: number) {
      let s = 0
      for (let k = 0; k < 3; k++) s += a
      return s
    }
    for (const [fn, reason] of [
      [expLike, /Math\.exp/],
      [loop, /'for'/],
    ] as const) {
      const [a] = allocateFloat32Group([5])
      a.set([1, 2, 3, 4, 5])
      const rules = [rule('a', ['a'], fn)]
      cpu.elementwise(rules, { a }, {}, 5)
      expect(lastCpuTier()).toBe('js')
      if (simdAvailable) expect(describeCpuPlan(rules)!.simdReason).toMatch(reason)
      expect(a[1]).toBeCloseTo(fn(2), 4)
    }
  })

  test('arrays outside one allocated memory run on the JS loop with the same result', () => {
    function axpy(x: number, g: number, lr: number) {
      return x - lr * g
    }
    const rules = [rule('x', ['x', 'g', 'lr'], axpy)]
    const [x1, g1] = allocateFloat32Group([9, 9])
    const x2 = new Float32Array(9)
    const g2 = new Float32Array(9)
    for (let k = 0; k < 9; k++) x1[k] = x2[k] = g1[k] = g2[k] = Math.sin(k)
    cpu.elementwise(rules, { x: x1, g: g1 }, { lr: 0.3 }, 9)
    if (simdAvailable) expect(lastCpuTier()).toBe('simd')
    cpu.elementwise(rules, { x: x2, g: g2 }, { lr: 0.3 }, 9)
    expect(lastCpuTier()).toBe('js')
    expect(hex(x1)).toBe(hex(x2))
  })

  test('allocateFloat32Group: zeroed, 16-byte aligned, in one memory; plain arrays for empty groups', () => {
    const arrays = allocateFloat32Group([3, 0, 5])
    expect(arrays.map((a) => a.length)).toEqual([3, 0, 5])
    for (const a of arrays) {
      expect(a.byteOffset % 16).toBe(0)
      expect(Array.from(a).every((v) => v === 0)).toBe(true)
    }
    if (simdAvailable) expect(new Set(arrays.map((a) => a.buffer)).size).toBe(1)
    expect(allocateFloat32Group([0])[0].length).toBe(0)
    expect(() => allocateFloat32Group([-1])).toThrow(/non-negative integers/)
  })
})
