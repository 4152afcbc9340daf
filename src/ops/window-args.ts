/**
 * Reading the window arguments shared by convolution and pooling (kernel size, stride, padding,
 * dilation): one number for every spatial axis or one per axis, as in PyTorch, checked with
 * errors that name the op and the argument.
 */
import { describeValue } from '../describe-value.js'
import { fmt, type FloatDType } from '../nd.js'
import type { Tensor } from '../tensor.js'

/** A size given once for every spatial axis, or once per axis (`3` or `[3, 5]`). */
export type SpatialArg = number | readonly number[]

function what(dims: number, min: number): string {
  const kind = min > 0 ? 'a positive integer' : 'a non-negative integer'
  return dims === 1 ? `${kind} (or a list of one)` : `${kind} or a list of ${dims} of them`
}

function show(v: unknown): string {
  if (!Array.isArray(v)) return describeValue(v)
  return `[${v.map((x) => (typeof x === 'number' ? String(x) : describeValue(x))).join(', ')}]`
}

/**
 * `value` as one integer ≥ `min` per spatial axis: a number is repeated, a list must have
 * `dims` entries.
 * @example
 * import { perAxis } from './src/ops/window-args'
 * perAxis('conv2d', 'stride', 2, 2, 1)      // [2, 2]
 * perAxis('conv2d', 'stride', [1, 3], 2, 1) // [1, 3]
 * perAxis('conv2d', 'stride', 0, 2, 1)      // throws conv2d: stride must be
 */
export function perAxis(op: string, name: string, value: unknown, dims: number, min: number): number[] {
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min
  if (ok(value)) return new Array<number>(dims).fill(value)
  if (Array.isArray(value) && value.length === dims && value.every(ok)) return value.slice()
  throw new Error(`${op}: ${name} must be ${what(dims, min)}, got ${show(value)}`)
}

/** `[2,3]` → `2×3`, `[5]` → `5`: how window sizes are printed in errors. */
export function fmtWindow(sizes: readonly number[]): string {
  return sizes.join('×')
}

/**
 * x's dtype, refusing int32 in the engine's words (convolution and pooling are float ops; this
 * check runs before any kernel reads the storage).
 * @example
 * import { tensor } from 'tapegrad'
 * import { floatDtype } from './src/ops/window-args'
 * floatDtype('maxPool2d', tensor([1, 2]))                     // 'float32'
 * floatDtype('maxPool2d', tensor([1, 2], { dtype: 'int32' })) // throws maxPool2d: int32 tensor [2] given to a float op
 */
export function floatDtype(op: string, x: Tensor): FloatDType {
  const d = x.dtype
  if (d === 'int32') {
    throw new Error(`${op}: int32 tensor ${fmt(x.shape)} given to a float op; convert it first with .astype('float32')`)
  }
  return d
}
