/**
 * The argument checks that ops and modules share, worded one way: an error names the function,
 * the argument, what was expected and what was found (`mul: expected tensors or numbers, got
 * tensor [2,3] and string`).
 */
import { describeValue } from './describe-value.js'
import { fmt } from './nd.js'
import { Tensor } from './tensor.js'

/**
 * What an argument is, for errors: `tensor [2,3]` for a tensor, else describeValue's words.
 * @example describeArg(zeros([2, 3])) // 'tensor [2,3]'
 */
export function describeArg(x: unknown): string {
  return x instanceof Tensor ? `tensor ${fmt(x.shape)}` : describeValue(x)
}

/**
 * `x` if it is a Tensor, else an error naming `op` and the argument (`what`, default 'x').
 * @example checkTensor('exp', x) // x
 */
export function checkTensor(op: string, x: unknown, what = 'x'): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${describeArg(x)}`)
  return x
}
