/**
 * fast-check arbitraries for the fuzz table: shapes (with 0-size axes and 0-d tensors), values
 * (with NaN, ±Inf, −0, denormals, ties for rounding and values near overflow), tensors of a
 * dtype, and the axis arguments of reductions (negative, out of range, repeated, empty lists).
 *
 * A tensor is generated as a plain `TSpec` (shape, dtype, values already rounded to the dtype),
 * so a reference can read the exact stored values and a case can build fresh tensors from it
 * as often as it needs (once for the forward, once more with requiresGrad for the backward).
 */
import fc from 'fast-check'
import type { DType } from '../../src/index.js'

/** A tensor argument, as data. */
export interface TSpec {
  shape: number[]
  dtype: DType
  /** Row-major values, exactly as stored (rounded to float32 for 'float32'). */
  values: number[]
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** An axis size: mostly 1..4, sometimes 0. */
export const dim = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constant(1) },
  { weight: 6, arbitrary: fc.integer({ min: 2, max: 4 }) },
)
/** An axis size of at least 1. */
export const positiveDim = fc.integer({ min: 1, max: 4 })

/** A shape of rank 0..maxRank (0-d tensors included). */
export const shapeArb = (maxRank = 4, d: fc.Arbitrary<number> = dim): fc.Arbitrary<number[]> =>
  fc.array(d, { maxLength: maxRank })

/**
 * IEEE special values and hard cases: NaN, ±∞, ±0, float64 and float32 denormals, ties of
 * round-half-to-even, values near exp's and float32's overflow, and huge finite values.
 */
export const SPECIAL = [
  NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  5e-324,
  -5e-324,
  1e-310,
  1e-40,
  -1e-40,
  1.4e-45,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  1e30,
  -1e30,
  3e38,
  -3e38,
  1e300,
  -1e300,
  88.8,
  -88.8,
  710,
  -745,
  1e-30,
]
/** Ordinary values: small integers (ties and exact results are common) and doubles in [−4, 4]. */
const tame = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 0.5, -0.5, 1.5, -2.5) },
  { weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
)
const wild = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...SPECIAL) }, { weight: 1, arbitrary: tame })

/** How a tensor's values are drawn: ordinary finite values, or with the special values mixed in. */
export type ValueMode = 'tame' | 'wild'
export const valueMode: fc.Arbitrary<ValueMode> = fc.constantFrom<ValueMode>('tame', 'wild')

/** A value as the dtype stores it. */
export function stored(v: number, dtype: DType): number {
  if (dtype === 'float32') return Math.fround(v)
  if (dtype === 'int32') return v | 0
  return v
}

/** n values of `dtype` (int32: small integers). */
function valuesArb(n: number, dtype: DType, mode: ValueMode): fc.Arbitrary<number[]> {
  const one = dtype === 'int32' ? fc.integer({ min: -4, max: 4 }) : mode === 'tame' ? tame : wild
  return fc.array(one, { minLength: n, maxLength: n }).map((vs) => vs.map((v) => stored(v, dtype)))
}

/** A tensor of `shape` and `dtype`, tame or wild values chosen at random. */
export function tensorOf(shape: number[], dtype: DType, mode?: ValueMode): fc.Arbitrary<TSpec> {
  const m = mode === undefined ? valueMode : fc.constant(mode)
  return m.chain((mm) => valuesArb(sizeOf(shape), dtype, mm)).map((values) => ({ shape, dtype, values }))
}

/** A float dtype, float32 more often. */
export const floatDtype: fc.Arbitrary<DType> = fc.constantFrom<DType>('float32', 'float32', 'float64')
/** Mostly a float dtype; sometimes int32 (which float ops must refuse). */
export const anyDtype: fc.Arbitrary<DType> = fc.oneof(
  { weight: 12, arbitrary: floatDtype },
  { weight: 1, arbitrary: fc.constant<DType>('int32') },
)

/** A tensor of any shape (rank ≤ maxRank) and mostly float dtype. */
export const tensorArb = (maxRank = 4, dtypes: fc.Arbitrary<DType> = anyDtype): fc.Arbitrary<TSpec> =>
  fc.tuple(shapeArb(maxRank), dtypes).chain(([s, d]) => tensorOf(s, d))

/** Something that is not a tensor, for argument checks. */
export const notATensor = fc.constantFrom<unknown>(null, undefined, 'x', [1, 2], { shape: [2] }, true)

/**
 * An axis argument for a tensor of rank `nd`: undefined or null (all axes), one axis (negative
 * included, sometimes one out of range on either side, rarely not an integer), or a list of
 * them (empty, repeated or out of range at times).
 */
export function axisArb(nd: number): fc.Arbitrary<number | number[] | null | undefined> {
  const one = fc.integer({ min: -nd - 1, max: nd })
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(undefined, null) },
    { weight: 5, arbitrary: one },
    { weight: 4, arbitrary: fc.array(one, { maxLength: nd + 1 }) },
    { weight: 1, arbitrary: fc.constant(0.5) },
  )
}

/** One axis (an integer in [−nd−1, nd], so one out of range on each side) or rarely a non-integer. */
export function oneAxisArb(nd: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: -nd - 1, max: nd }) },
    { weight: 1, arbitrary: fc.constant(1.5) },
  )
}

/** Mostly a valid axis of rank nd (negative ones included), now and then one from oneAxisArb. */
export function mostlyValidAxis(nd: number): fc.Arbitrary<number> {
  if (nd === 0) return oneAxisArb(0)
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -nd, max: nd - 1 }) },
    { weight: 1, arbitrary: oneAxisArb(nd) },
  )
}

/** A shape of rank 1..maxRank, now and then 0-d (for ops whose interesting cases need an axis). */
export const rankedShapeArb = (maxRank = 3): fc.Arbitrary<number[]> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<number[]>([]) },
    { weight: 8, arbitrary: fc.array(dim, { minLength: 1, maxLength: maxRank }) },
  )
