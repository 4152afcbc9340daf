/**
 * What a value is, in the words errors use for "got …": `null`, `undefined`, `an array`,
 * `an object of class Foo`, `a function`, or the type and the value (`number -1`, `string x`).
 * One describer for the argument checks of trees, optimizers, schedules, clipping and state I/O,
 * so their errors read alike.
 * @example
 * import { describeValue } from './src/describe-value'
 * describeValue([1, 2])       // 'an array'
 * describeValue(new Map())    // 'an object of class Map'
 * describeValue(-1)           // 'number -1'
 */
export function describeValue(x: unknown): string {
  if (x === null) return 'null'
  if (x === undefined) return 'undefined'
  if (Array.isArray(x)) return 'an array'
  if (typeof x === 'object') return `an object of class ${(x as object).constructor?.name ?? 'unknown'}`
  if (typeof x === 'function') return 'a function'
  return `${typeof x} ${String(x)}`
}
