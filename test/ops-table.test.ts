/**
 * The one table of ops. Every function exported from src/ops has a row (test/table/*.rows.ts);
 * each case is checked
 *   1. forward, against an independent reference;
 *   2. first derivative, by gradcheck (central finite differences, float64);
 *   3. second derivative, by gradgradcheck (the recorded backward rules, differentiated again);
 *   4. forward mode against reverse mode: ⟨J·t, u⟩ = ⟨t, Jᵀ·u⟩; H·t four ways (forward and
 *      reverse over each other); and the full Jacobian by jacfwd against jacrev
 *      (test/table/checks.ts).
 * The meta-tests at the bottom fail when an export has no row, or when a primitive's backward,
 * tangent or fastBackward rule never ran in the table — so a new op cannot land untested.
 */
import { join } from 'node:path'
import * as ops from '../src/ops/index.js'
import { gradcheck, gradgradcheck, Tensor, type NestedArray } from '../src/index.js'
import { definedOps } from '../src/op.js'
import type { OpDef } from '../src/op-rules.js'
import { checkJacobians, checkJvpAgainstVjp, checkSecondOrderModes } from './table/checks.js'
import type { OpRow } from './table/types.js'

// Count every rule call of every primitive while the table runs (this file's modules only).
type RuleName = 'backward' | 'tangent' | 'fastBackward'
const calls = new Map<OpDef<any>, Record<RuleName, number>>()
for (const def of definedOps()) {
  const count = { backward: 0, tangent: 0, fastBackward: 0 }
  calls.set(def, count)
  for (const rule of ['backward', 'tangent', 'fastBackward'] as RuleName[]) {
    const fn = def[rule] as ((...args: unknown[]) => unknown) | undefined
    if (!fn) continue
    ;(def as unknown as Record<string, unknown>)[rule] = (...args: unknown[]) => {
      count[rule]++
      return fn.apply(def, args)
    }
  }
}

// One rows file per file of src/ops (test/table/optimizers.rows.ts is the optimizers' table).
const AREAS = [
  'elementwise',
  'trig',
  'activations',
  'reduce',
  'linalg',
  'shape',
  'indexing',
  'composite',
  'scan',
  'layout',
  'norm',
  'einsum',
  'conv',
]
const rowFiles = AREAS.map((a) => `${a}.rows.ts`)
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the row files are named in AREAS
const rows: OpRow[] = rowFiles.flatMap((f) => require(join(__dirname, 'table', f)).rows as OpRow[])

/** The ops for which jacfwd and jacrev were compared on at least one case. */
const jacobiansChecked = new Set<string>()

function flat(x: NestedArray): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x]
}

function shapeOf(x: NestedArray): number[] {
  const s: number[] = []
  let v = x
  while (Array.isArray(v)) {
    s.push(v.length)
    v = v[0]
  }
  return s
}

describe.each(rows.map((r) => [r.op, r] as const))('%s', (_name, row) => {
  test.each(row.cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const xs = c.inputs()
    const out = c.f(...xs)
    expect(out).toBeInstanceOf(Tensor)
    const expected = typeof c.expected === 'function' ? c.expected(...c.inputs()) : c.expected
    if (c.shape) expect(out.shape).toEqual(c.shape)
    else if (Array.isArray(expected)) expect(out.shape).toEqual(shapeOf(expected))
    const got = Array.from(out.data)
    const want = flat(expected)
    expect(got.length).toBe(want.length)
    const tol = c.atol ?? 1e-9
    for (let i = 0; i < want.length; i++) {
      const ok = Object.is(got[i], want[i]) || Math.abs(got[i] - want[i]) <= tol + 1e-9 * Math.abs(want[i])
      if (!ok) throw new Error(`${row.op} / ${c.label}: forward element ${i}: got ${got[i]}, expected ${want[i]}`)
    }
    if (c.gradcheck === false) return
    const where = `${row.op} / ${c.label}`
    const wrt = c.wrt ?? xs.map((_, i) => i)
    const first = gradcheck(c.f, c.inputs(), { wrt: c.wrt })
    if (!first.ok) throw new Error(`${where}: ${first.message}`)
    if (c.secondOrder !== false) {
      const second = gradgradcheck(c.f, c.inputs(), { wrt: c.wrt })
      if (!second.ok) throw new Error(`${where}: ${second.message}`)
    }
    checkJvpAgainstVjp(where, c.f, c.inputs(), wrt)
    checkSecondOrderModes(where, c.f, c.inputs(), wrt)
    if (checkJacobians(where, c.f, c.inputs(), wrt)) jacobiansChecked.add(row.op)
  })
})

test('every exported op has a row in the table', () => {
  const covered = new Set(rows.map((r) => r.op))
  // Exported functions, without the `xxxOp` primitives (their wrapper function has the row).
  const exported = Object.entries(ops)
    .filter(([name, v]) => typeof v === 'function' && !(name.endsWith('Op') && 'def' in (v as object)))
    .map(([name]) => name)
  const missing = exported.filter((name) => !covered.has(name))
  expect(missing).toEqual([])
  // and every row names a real export
  const unknown = [...covered].filter((name) => !exported.includes(name))
  expect(unknown).toEqual([])
})

test('every primitive had its backward, tangent and fastBackward rules run by the table', () => {
  const missing: string[] = []
  for (const [def, count] of calls) {
    if (count.backward === 0) missing.push(`${def.name}: backward`)
    if (count.tangent === 0) missing.push(`${def.name}: tangent`)
    if (def.fastBackward && count.fastBackward === 0) missing.push(`${def.name}: fastBackward`)
  }
  expect(missing).toEqual([])
})

test('jacfwd and jacrev were compared on every differentiable op', () => {
  const differentiable = rows.filter((r) => r.cases.some((c) => c.gradcheck !== false)).map((r) => r.op)
  expect(differentiable.filter((op) => !jacobiansChecked.has(op))).toEqual([])
})
