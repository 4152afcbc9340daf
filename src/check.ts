/**
 * The argument checks that ops and modules share, worded one way: an error names the function,
 * the argument, what was expected and what was found (`mul: expected tensors or numbers, got
 * tensor [2,3] and string`).
 */
import { describeValue } from './describe-value.js'
import { fmt, normalizeAxis } from './nd.js'
import { Tensor, type TensorLike } from './tensor.js'

/**
 * What an argument is, for errors: `tensor [2,3]` for a tensor, else describeValue's words.
 * @example
 * import { zeros } from 'tapegrad'
 * import { describeArg } from './src/check'
 * describeArg(zeros([2, 3])) // 'tensor [2,3]'
 * describeArg('x')           // 'string x'
 */
export function describeArg(x: unknown): string {
  return x instanceof Tensor ? `tensor ${fmt(x.shape)}` : describeValue(x)
}

/**
 * `x` if it is a Tensor, else an error naming `op` and the argument (`what`, default 'x').
 * @example
 * import { zeros } from 'tapegrad'
 * import { checkTensor } from './src/check'
 * const x = zeros([2])
 * checkTensor('exp', x) === x // true
 * checkTensor('exp', [1, 2]) // throws exp: x must be a Tensor, got an array
 */
export function checkTensor(op: string, x: unknown, what = 'x'): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${describeArg(x)}`)
  return x
}

/**
 * `x` if it is a float Tensor (float32 or float64), else an error naming `op`, worded as the
 * primitives' own dtype check. Composites call it first, so that an int32 input is refused by the
 * function the user called (softmax), not by a primitive inside it (max).
 * @example
 * import { tensor } from 'tapegrad'
 * import { checkFloat } from './src/check'
 * checkFloat('softmax', tensor([1, 2])).dtype // 'float32'
 * checkFloat('softmax', tensor([1, 2], { dtype: 'int32' })) // throws softmax: int32 tensor [2] given to a float op
 */
export function checkFloat(op: string, x: unknown, what = 'x'): Tensor {
  const t = checkTensor(op, x, what)
  if (t.dtype === 'int32') {
    throw new Error(`${op}: int32 tensor ${fmt(t.shape)} given to a float op; convert it first with .astype('float32')`)
  }
  return t
}

/** The axis argument of reductions and axis-wise ops: one axis, several, or null/undefined for all. */
export type AxisLike = number | readonly number[] | null | undefined

/**
 * Turns an axis argument into sorted, distinct, non-negative axes of `shape` (null/undefined: all
 * of them; negative axes count from the end); throws an error naming the op, the axis and the
 * shape when one is out of range, repeated or not an integer (nd.ts `normalizeAxis` words it).
 * @example
 * import { normalizeAxes } from './src/check'
 * normalizeAxes('sum', [2, 3, 4], [-1, 0]) // [0, 2]
 * normalizeAxes('sum', [2, 3, 4], null)    // [0, 1, 2]
 * normalizeAxes('sum', [2, 3, 4], 3)       // throws sum: axis 3 is out of range for shape [2,3,4]
 */
export function normalizeAxes(op: string, shape: readonly number[], axis: AxisLike): number[] {
  const nd = shape.length
  if (axis === null || axis === undefined) {
    const all = new Array<number>(nd)
    for (let i = 0; i < nd; i++) all[i] = i
    return all
  }
  const list = typeof axis === 'number' ? [axis] : axis
  if (!Array.isArray(list)) {
    throw new Error(`${op}: axis must be a number, an array of numbers or null, got ${describeArg(axis)}`)
  }
  const out: number[] = []
  for (const a of list) {
    const k = normalizeAxis(op, a, shape)
    if (out.includes(k))
      throw new Error(`${op}: axis ${a} appears more than once in [${list.join(',')}] (shape ${fmt(shape)})`)
    out.push(k)
  }
  return out.sort((p, q) => p - q)
}

/**
 * Checks that a target tensor (or number) fits the prediction — a float tensor of the same shape
 * and dtype — and returns it; numbers become 0-d constants. Every loss that compares a
 * prediction with a target elementwise uses it (ops/composite.ts, nn/losses.ts), so they word it alike.
 * @example
 * import { tensor } from 'tapegrad'
 * import { checkTarget } from './src/check'
 * checkTarget('mse', tensor([1, 2]), 0).shape // []
 * checkTarget('mse', tensor([1, 2]), tensor([1, 2, 3])) // throws mse: input [2] and target [3] must have the same shape
 */
export function checkTarget(op: string, pred: Tensor, target: TensorLike, predName = 'input'): Tensor {
  if (typeof target === 'number') {
    const d = pred.dtype === 'float64' ? new Float64Array([target]) : new Float32Array([target])
    return new Tensor(d, [])
  }
  checkFloat(op, target, 'target')
  const a = pred.shape
  const b = target.shape
  if (a.length !== b.length || a.some((s, i) => s !== b[i])) {
    throw new Error(`${op}: ${predName} ${fmt(a)} and target ${fmt(b)} must have the same shape`)
  }
  if (target.dtype !== pred.dtype) {
    throw new Error(`${op}: dtype mismatch: input ${pred.dtype} ${fmt(a)} and target ${target.dtype} ${fmt(b)}`)
  }
  return target
}

/**
 * A function given by name (a key of `table`) or directly, as that function; `what` names the
 * kind in the error (`Linear: unknown init 'he' (use xavierUniform, …, or a function)`).
 * @example
 * import { resolveNamed } from './src/check'
 * resolveNamed('MLP', 'activation', { relu: (x: number) => x }, 'relu')(2) // 2
 * resolveNamed('MLP', 'activation', { relu: (x: number) => x }, 'elu') // throws MLP: unknown activation 'elu' (use relu, or a function)
 */
export function resolveNamed<F extends (...args: never[]) => unknown>(
  who: string,
  what: string,
  table: Readonly<Record<string, F>>,
  value: string | F,
): F {
  if (typeof value === 'function') return value
  const f = Object.hasOwn(table, value) ? table[value] : undefined
  if (!f)
    throw new Error(`${who}: unknown ${what} '${String(value)}' (use ${Object.keys(table).join(', ')}, or a function)`)
  return f
}
