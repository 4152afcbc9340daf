/**
 * The shape of the fuzz table (test/fuzz.test.ts). Each file test/fuzz/rows/<family>.ts exports
 * `rows: FuzzRow[]`, one row per exported op: an arbitrary of cases, each of which knows how to
 * call the op and what NumPy / PyTorch say the call gives — a result (shape, dtype, values) or an
 * error.
 */
import type fc from 'fast-check'
import type { DType, Tensor } from '../../src/index.js'
import type { TSpec } from './arbitraries.js'

/** What the reference says one output is. */
export interface Result {
  shape: number[]
  dtype: DType
  /**
   * Expected values (row-major, rounded to dtype); a null entry is not checked (its reference value
   * depends on an unspecified summation order, e.g. products that overflow midway). Omitted: only
   * shape and dtype are checked.
   */
  values?: (number | null)[]
  /** Relative tolerance, at least the dtype's default (1e-5 for float32, 1e-12 for float64, 0 for int32). */
  rtol?: number
  /**
   * The magnitude errors are measured against, per element (default |expected|): Σ|terms| for a
   * sum, so that cancellation does not demand more accuracy than the dtype has.
   */
  scale?: number[]
  /** Check the sign of zero results too (default false). */
  signedZeros?: boolean
}

/** An expected error, with the reason NumPy / PyTorch (or tapegrad's documented contract) gives. */
export interface Refusal {
  error: string
}

export type Expected = Result | Result[] | Refusal

/** One generated call of an op. */
export interface FuzzCase {
  /** The tensor arguments, as data; `call` builds them with `t(i)`. */
  tensors: TSpec[]
  /** Calls the op; `t(i)` builds a fresh Tensor from tensors[i]. */
  call: (t: (i: number) => Tensor) => unknown
  /** The other arguments, printed in failure reports. */
  args: unknown[]
  /** What NumPy / PyTorch give for this call. */
  expected: () => Expected
  /**
   * Which tensors must receive a gradient when the call succeeds on finite inputs (default: every
   * float tensor). Labels, conditions and indices are not differentiated.
   */
  differentiable?: boolean[]
}

export type Family = 'unary' | 'binary' | 'reduction' | 'shape' | 'indexing' | 'linalg' | 'composite' | 'conv'

export interface FuzzRow {
  /** The exported function's name in src/ops. */
  op: string
  family: Family
  cases: fc.Arbitrary<FuzzCase>
  /** Cases per run relative to the default (e.g. 0.5 for slow ops); default 1. */
  weight?: number
}
