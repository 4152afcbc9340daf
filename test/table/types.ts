/**
 * The shape of a row in the one table of ops (test/ops-table.test.ts). Each file
 * `test/table/<area>.rows.ts` exports `rows: OpRow[]`; the table runs, for every case, a forward
 * check against an independent reference and a central-finite-difference gradcheck in float64.
 * A meta-test fails when a function exported from src/ops has no row.
 */
import type { NestedArray, Tensor } from '../../src/index.js'

export interface OpCase {
  /** What this case covers, e.g. 'broadcast [2,3] + [3]'. */
  label: string
  /** Builds fresh inputs; make them float64 (`{ dtype: 'float64' }`) so gradcheck is exact. */
  inputs: () => Tensor[]
  /** Applies the op under test to the inputs (extra arguments written inline). */
  f: (...xs: Tensor[]) => Tensor
  /**
   * The expected forward value, computed independently of the library (by hand, or by a plain
   * JS loop over `x.toArray()`/`x.data`): nested arrays or a number, or a function of the inputs.
   */
  expected: NestedArray | ((...xs: Tensor[]) => NestedArray)
  /** Expected output shape (checked when given). */
  shape?: number[]
  /**
   * Run the derivative checks (default true): gradcheck, gradgradcheck, jvp against vjp, and
   * forward-over-reverse against reverse-over-reverse. False only where finite differences cannot
   * see the derivative (a non-differentiable point, a cast through float32).
   */
  gradcheck?: boolean
  /** Skip gradgradcheck only (e.g. a kink hit by the finite differences of the gradient). */
  secondOrder?: boolean
  /** Indices of inputs to gradcheck (default: all). */
  wrt?: number[]
  /** Forward tolerance (default 1e-9 relative + 1e-9 absolute in float64). */
  atol?: number
}

export interface OpRow {
  /** The exported function's name in src/ops (e.g. 'add'). */
  op: string
  cases: OpCase[]
}
