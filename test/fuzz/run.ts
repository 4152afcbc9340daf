/**
 * Runs fuzz rows with fast-check and counts what the cases did: used by the worker that
 * test/fuzz.test.ts starts, and by test/fuzz/cli.ts for a run by hand.
 */
import fc from 'fast-check'
import { runCase } from './check.js'
import type { Family, FuzzCase, FuzzRow } from './types.js'

/** What one row's run did. */
export interface RowReport {
  op: string
  family: Family
  /** Cases run (not counting shrinking). */
  runs: number
  /** Cases that returned a value matching the reference, and cases refused with a proper error. */
  values: number
  errors: number
  /** Successful cases on finite inputs whose backward was checked too. */
  grads: number
  /** The (shrunk) counterexample's failure, if any. */
  failure?: string
  ms: number
}

/** Cases per row by default; FUZZ_RUNS overrides it. */
const DEFAULT_RUNS = 1000
/** The fixed seed of the suite's run; FUZZ_SEED overrides it. */
const DEFAULT_SEED = 20240611

export function settings(env: Record<string, string | undefined> = process.env): { runs: number; seed: number } {
  const runs = env.FUZZ_RUNS ? Number(env.FUZZ_RUNS) : DEFAULT_RUNS
  const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : DEFAULT_SEED
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, got '${env.FUZZ_RUNS}'`)
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got '${env.FUZZ_SEED}'`)
  return { runs, seed }
}

/** A seed per row, so a row's cases do not depend on which rows ran before it. */
function rowSeed(seed: number, op: string): number {
  let h = seed | 0
  for (let i = 0; i < op.length; i++) h = (Math.imul(h, 31) + op.charCodeAt(i)) | 0
  return h
}

/**
 * Runs one row: `runs` cases (scaled by the row's weight); `onCase` sees each case before it runs
 * (the worker records it, so that a hang can be reported with its input).
 */
export function runRow(row: FuzzRow, runs: number, seed: number, onCase?: (c: FuzzCase) => void): RowReport {
  const start = performance.now()
  const counts = { values: 0, errors: 0, grads: 0 }
  let shrinking = false
  const property = fc.property(row.cases, (c) => {
    onCase?.(c)
    try {
      const o = runCase(row.op, c)
      if (!shrinking) {
        if (o.kind === 'value') counts.values++
        else counts.errors++
        if (o.gradChecked) counts.grads++
      }
    } catch (e) {
      shrinking = true
      throw e
    }
  })
  const numRuns = Math.max(1, Math.round(runs * (row.weight ?? 1)))
  const details = fc.check(property, { numRuns, seed: rowSeed(seed, row.op) })
  const report: RowReport = {
    op: row.op,
    family: row.family,
    runs: counts.values + counts.errors,
    ...counts,
    ms: Math.round(performance.now() - start),
  }
  if (details.failed) {
    const err = details.errorInstance
    const message = err instanceof Error ? err.message : String(err)
    report.failure = `${message}\n(seed ${details.seed}, path "${details.counterexamplePath}", after ${details.numRuns} cases, ${details.numShrinks} shrinks)`
  }
  return report
}
