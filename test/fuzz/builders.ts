/**
 * Row builders for the common signatures: a unary elementwise op, one with number parameters,
 * a broadcasting binary op, a reduction over axes, and any op from an arbitrary of (tensors,
 * args). Each adds, at a low rate, a call with a non-tensor argument (which must be refused with
 * an error naming the op).
 */
import fc from 'fast-check'
import type { DType, Tensor, TensorLike } from '../../src/index.js'
import {
  anyDtype,
  dim,
  floatDtype,
  notATensor,
  shapeArb,
  SPECIAL,
  stored,
  tensorArb,
  tensorOf,
  valueMode,
  type TSpec,
} from './arbitraries.js'
import { broadcast, fmt, indices, readBroadcast, refuse, result } from './reference.js'
import type { Expected, Family, FuzzCase, FuzzRow, Result } from './types.js'

/** Options of a reference result (tolerance, signed zeros). */
export type RefOptions = Pick<Result, 'rtol' | 'signedZeros'>

/** The refusal of an int32 tensor by a float op. */
export const int32Refused = refuse('int32 given to a float op')

/** A call with something that is not a tensor where `slot` expects one. */
function junkCase(call: (junk: unknown) => unknown): fc.Arbitrary<FuzzCase> {
  return notATensor.map((junk) => ({
    tensors: [],
    args: [junk],
    call: () => call(junk),
    expected: () => refuse('not a tensor'),
  }))
}

/** `cases` plus, once in ~25, a junk argument. */
export function withJunk(cases: fc.Arbitrary<FuzzCase>, call: (junk: unknown) => unknown): fc.Arbitrary<FuzzCase> {
  return fc.oneof({ weight: 24, arbitrary: cases }, { weight: 1, arbitrary: junkCase(call) })
}

/** A row of a unary elementwise op out = f(x): the reference is `ref` on each element. */
export function unary(
  op: string,
  family: Family,
  fn: (x: Tensor) => unknown,
  ref: (x: number) => number,
  opts: RefOptions = {},
): FuzzRow {
  const cases = tensorArb().map((x): FuzzCase => ({
    tensors: [x],
    args: [],
    call: (t) => fn(t(0)),
    expected: () => (x.dtype === 'int32' ? int32Refused : result(x.shape, x.dtype, x.values.map(ref), opts)),
  }))
  return { op, family, cases: withJunk(cases, (j) => fn(j as Tensor)) }
}

/**
 * A row of a unary op with number parameters: out = f(x; p), refused when `invalid(p)` names a
 * reason.
 */
export function unaryWith<P>(
  op: string,
  family: Family,
  params: fc.Arbitrary<P>,
  fn: (x: Tensor, p: P) => unknown,
  invalid: (p: P) => string | null,
  ref: (x: number, p: P) => number,
  opts: RefOptions = {},
): FuzzRow {
  const cases = fc.tuple(tensorArb(), params).map(([x, p]): FuzzCase => ({
    tensors: [x],
    args: [p],
    call: (t) => fn(t(0), p),
    expected: () => {
      const why = invalid(p)
      if (why !== null) return refuse(why)
      if (x.dtype === 'int32') return int32Refused
      return result(
        x.shape,
        x.dtype,
        x.values.map((v) => ref(v, p)),
        opts,
      )
    },
  }))
  return { op, family, cases: withJunk(cases, (j) => fn(j as Tensor, undefined as P)) }
}

/** A number parameter drawn from ordinary values and a few hard ones. */
export const numberParam = (ordinary: number[]): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ordinary) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0) },
  )

/**
 * Shapes for the operands of a broadcasting op: suffixes of one shape with some axes set to 1,
 * and now and then one axis changed to another size (which may or may not still broadcast).
 */
function broadcastingShapes(count: number): fc.Arbitrary<number[][]> {
  const operand = (out: number[]) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.option(fc.tuple(fc.nat(), dim), { freq: 6 }),
      )
      .map(([k, ones, clash]) => {
        const s = out.slice(out.length - k).map((v, i) => (ones[i] ? 1 : v))
        if (clash && s.length > 0) s[clash[0] % s.length] = clash[1]
        return s
      })
  return shapeArb().chain((out) => fc.tuple(...Array.from({ length: count }, () => operand(out))))
}

/** An operand of a binary op: a tensor spec, or a plain number. */
export type Operand = { tensor: TSpec } | { number: number }

const numberOperand = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.integer({ min: -3, max: 3 }),
  fc.double({ min: -4, max: 4, noNaN: true }),
)

/**
 * The operands of a broadcasting op with `count` tensor-or-number operands: one dtype (float32 or
 * float64; sometimes a mismatch or int32), and sometimes a number in place of a tensor.
 */
export function operandsArb(count: number, dtypes: fc.Arbitrary<DType> = anyDtype): fc.Arbitrary<Operand[]> {
  const kinds = fc.array(
    fc.oneof({ weight: 8, arbitrary: fc.constant('tensor') }, { weight: 1, arbitrary: fc.constant('number') }),
    {
      minLength: count,
      maxLength: count,
    },
  )
  return fc
    .tuple(broadcastingShapes(count), dtypes, fc.option(floatDtype, { freq: 10 }), kinds)
    .chain(([shapes, dtype, other, kind]) =>
      fc.tuple(
        ...shapes.map((s, i) =>
          kind[i] === 'number'
            ? numberOperand.map((n): Operand => ({ number: n }))
            : valueMode
                .chain((m) => tensorOf(s, i === count - 1 && other !== null ? other : dtype, m))
                .map((t): Operand => ({ tensor: t })),
        ),
      ),
    )
}

/**
 * The operands as the op sees them: numbers become 0-d tensors of the dtype of the first tensor
 * operand (float32 when there is none), as tapegrad's `asTensor` does.
 */
function asSpecs(ops: Operand[]): TSpec[] {
  const first = ops.find((o): o is { tensor: TSpec } => 'tensor' in o)
  const dtype = first ? first.tensor.dtype : 'float32'
  return ops.map((o) => ('tensor' in o ? o.tensor : { shape: [], dtype, values: [stored(o.number, dtype)] }))
}

/**
 * The case of a broadcasting op over `operands`: numbers passed as numbers, tensors built by the
 * case. `ref` maps the operands' elements at each output index to the output element.
 */
export function broadcastCase(
  operands: Operand[],
  call: (xs: TensorLike[]) => unknown,
  ref: (vs: number[]) => number,
  opts: RefOptions & { integers?: boolean; conditionFirst?: boolean } = {},
): FuzzCase {
  const tensors = operands.flatMap((o) => ('tensor' in o ? [o.tensor] : []))
  // where's condition keeps its own dtype; numbers take the dtype of the other operands.
  const specs = opts.conditionFirst
    ? [...asSpecs(operands.slice(0, 1)), ...asSpecs(operands.slice(1))]
    : asSpecs(operands)
  const expected = (): Expected => {
    const shape = broadcast(...specs.map((s) => s.shape))
    if (shape === null) return refuse(`shapes ${specs.map((s) => fmt(s.shape)).join(', ')} do not broadcast`)
    const data = opts.conditionFirst ? specs.slice(1) : specs
    if (data.some((s) => s.dtype !== data[0].dtype)) return refuse('dtype mismatch')
    if (!opts.integers && specs.some((s) => s.dtype === 'int32')) return int32Refused
    const values = indices(shape).map((idx) => ref(specs.map((s) => readBroadcast(s, idx))))
    return result(shape, data[0].dtype, values, opts)
  }
  return {
    tensors,
    args: operands.map((o) => ('number' in o ? o.number : `t${tensors.indexOf(o.tensor)}`)),
    call: (t) => {
      let k = 0
      return call(operands.map((o) => ('number' in o ? o.number : t(k++))))
    },
    expected,
    differentiable: opts.conditionFirst
      ? tensors.map((x) => x !== (operands[0] as { tensor?: TSpec }).tensor)
      : undefined,
  }
}

/** A row of a broadcasting binary op out = f(a, b). */
export function binary(
  op: string,
  fn: (a: TensorLike, b: TensorLike) => unknown,
  ref: (a: number, b: number) => number,
  opts: RefOptions = {},
): FuzzRow {
  const cases = operandsArb(2).map((ops) =>
    broadcastCase(
      ops,
      ([a, b]) => fn(a, b),
      ([a, b]) => ref(a, b),
      opts,
    ),
  )
  return { op, family: 'binary', cases: withJunk(cases, (j) => fn(j as Tensor, 1)) }
}

/** A row from an arbitrary of (tensors, args), the call and the reference (layout.ts, more.ts). */
export function row<A>(
  op: string,
  family: Family,
  arb: fc.Arbitrary<[TSpec[], A]>,
  call: (xs: Tensor[], a: A) => unknown,
  ref: (xs: TSpec[], a: A) => Expected,
): FuzzRow {
  const cases = arb.map(([xs, a]): FuzzCase => ({
    tensors: xs,
    args: [a],
    call: (t) =>
      call(
        xs.map((_, i) => t(i)),
        a,
      ),
    expected: () => ref(xs, a),
  }))
  return { op, family, cases: withJunk(cases, (j) => call([j as Tensor, j as Tensor], undefined as A)) }
}

/** A tensor of any shape with its args drawn from its shape. */
export const oneTensor = <A>(args: (shape: number[]) => fc.Arbitrary<A>, dtypes = anyDtype, maxRank = 4) =>
  fc.tuple(shapeArb(maxRank), dtypes).chain(([s, d]) =>
    fc.tuple(
      tensorOf(s, d).map((x) => [x]),
      args(s),
    ),
  )
