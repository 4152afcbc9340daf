/**
 * Float32Arrays as base64 text (little-endian bytes, exact), for the JSON-safe saved agents — the
 * same encoding as saved optimizer state, through the one codec of src/byte-codec.ts.
 */
import { decodeFloat32 as decodeBytes } from '../byte-codec.js'

export { encodeFloat32 } from '../byte-codec.js'

/**
 * Decodes `count` float32 numbers; throws, naming `what`, on bad base64, a wrong length or a
 * non-finite value.
 * @example
 * import { decodeFloat32 } from './src/rl/float-codec'   // internal: reading a saved replay
 *
 * decodeFloat32('DQN.load', 'rewards', 'AACAPw==', 1) // [1]
 * decodeFloat32('DQN.load', 'rewards', 'AACAPw==', 2) // throws DQN.load
 */
export function decodeFloat32(who: string, what: string, text: unknown, count: number): Float32Array {
  const out = decodeBytes(who, what, text, count)
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) throw new Error(`${who}: ${what}[${i}] is ${out[i]}`)
  return out
}
