/**
 * The one table of ops. Every function exported from src/ops has a row (test/table/*.rows.ts);
 * each case is checked forward against an independent reference and backward against central
 * finite differences in float64 (gradcheck). The meta-test at the bottom fails when an export
 * has no row, so a new op cannot land untested.
 */
import { join } from 'node:path'
import * as ops from '../src/ops/index.js'
import { gradcheck, Tensor, type NestedArray } from '../src/index.js'
import type { OpRow } from './table/types.js'

// One rows file per file of src/ops (test/table/optimizers.rows.ts is the optimizers' table).
const AREAS = ['elementwise', 'reduce', 'linalg', 'shape', 'indexing', 'composite']
const rowFiles = AREAS.map((a) => `${a}.rows.ts`)
// eslint-disable-next-line @typescript-eslint/no-var-requires
const rows: OpRow[] = rowFiles.flatMap((f) => require(join(__dirname, 'table', f)).rows as OpRow[])

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
    if (c.gradcheck !== false) {
      const report = gradcheck(c.f, c.inputs(), { wrt: c.wrt })
      if (!report.ok) throw new Error(`${row.op} / ${c.label}: ${report.message}`)
    }
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
