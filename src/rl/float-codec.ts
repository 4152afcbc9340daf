/**
 * Float32Arrays as base64 text (little-endian bytes, exact), for the JSON-safe saved agents — the
 * same encoding as saved optimizer state (optimizers/state-io.ts), whose base64 code this reuses.
 */
import { decodeBase64, encodeBase64, swap32 } from '../../optimizers/state-io.js'

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * base64 of the array's little-endian float32 bytes.
 * @example encodeFloat32(Float32Array.of(1)) // 'AACAPw=='
 */
export function encodeFloat32(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  return encodeBase64(LITTLE_ENDIAN ? bytes : swap32(bytes))
}

/**
 * Decodes `count` float32 numbers; throws, naming `what`, on bad base64, a wrong length or a
 * non-finite value.
 * @example decodeFloat32('DQN.load', 'rewards', 'AACAPw==', 1) // Float32Array [1]
 */
export function decodeFloat32(who: string, what: string, text: unknown, count: number): Float32Array {
  if (typeof text !== 'string') throw new Error(`${who}: ${what} must be a base64 string, got ${text === null ? 'null' : typeof text}`)
  let bytes: Uint8Array
  try {
    bytes = decodeBase64(text)
  } catch (e) {
    throw new Error(`${who}: ${what} is not valid base64: ${(e as Error).message}`)
  }
  if (bytes.length !== 4 * count) throw new Error(`${who}: ${what} holds ${bytes.length} bytes, expected ${4 * count} (${count} float32 numbers)`)
  if (!LITTLE_ENDIAN) bytes = swap32(bytes)
  const out = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new Error(`${who}: ${what}[${i}] is ${out[i]}`)
  return out
}
