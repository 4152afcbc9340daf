/**
 * The engine's logical clock: one counter that orders two kinds of events, so that they can be
 * compared with a single `>`.
 *
 * - Recording an op stamps its tape entry (`Entry.id`, src/recording.ts).
 * - Changing a tensor's values in place stamps the tensor (`Tensor.version`, src/tensor.ts).
 *
 * A backward pass can then tell, for each entry, whether a tensor it saved changed after the op
 * was recorded: `x.version > entry.id`. Recording pays nothing extra for this (it took a number
 * from a counter already), and the check is one comparison per saved tensor.
 */

let now = 0

/**
 * The next tick of the clock: a number larger than every tick before it.
 * @example
 * import { tick } from './src/clock'
 * tick() < tick() // true
 */
export function tick(): number {
  return ++now
}
