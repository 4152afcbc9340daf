/**
 * Bytes of typed arrays as the file formats want them: little-endian, and as base64 text.
 *
 * One codec for everything tapegrad writes or reads as bytes — saved optimizer states
 * (optimizers/state-io.ts), saved agents (src/rl), safetensors files (src/io) and the matmul
 * kernel's WebAssembly (src/kernels/gemm.ts). base64 goes through `btoa`/`atob`, which are global
 * in every browser and in Node ≥ 16, after a strict check of its own: `atob` alone would accept
 * whitespace and missing padding, and its error names no position.
 */
import { describeValue } from './describe-value.js'

/** Whether this host stores numbers little-endian (every common one does; the formats do). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * A copy of `bytes` with the bytes of every `width`-byte element reversed (for big-endian hosts).
 * @example
 * import { swapBytes } from './src/byte-codec'
 * swapBytes(Uint8Array.of(1, 2, 3, 4), 4)   // [4, 3, 2, 1]
 * swapBytes(Uint8Array.of(1, 2, 3, 4), 2)   // [2, 1, 4, 3]
 */
export function swapBytes(bytes: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]
  }
  return out
}

/**
 * The bytes of a typed array, little-endian: a view of its memory on a little-endian host, a
 * swapped copy on a big-endian one.
 * @example
 * import { littleEndianBytes } from './src/byte-codec'
 * littleEndianBytes(Float32Array.of(1))   // [0, 0, 128, 63]
 */
export function littleEndianBytes(data: {
  buffer: ArrayBufferLike
  byteOffset: number
  byteLength: number
  BYTES_PER_ELEMENT: number
}): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return LITTLE_ENDIAN ? bytes : swapBytes(bytes, data.BYTES_PER_ELEMENT)
}

/** Bytes per String.fromCharCode call: well under any engine's limit on the number of arguments. */
const CHUNK = 8192

/**
 * base64 of bytes (standard alphabet, with padding).
 * @example
 * import { encodeBase64 } from './src/byte-codec'
 * encodeBase64(Uint8Array.of(0, 0, 128, 63))   // 'AACAPw=='
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let k = 0; k < bytes.length; k += CHUNK) binary += String.fromCharCode(...bytes.subarray(k, k + CHUNK))
  return btoa(binary)
}

/**
 * Decodes strict base64 (standard alphabet, padded, no whitespace); throws on anything else,
 * saying what is wrong and where.
 * @example
 * import { decodeBase64 } from './src/byte-codec'
 * decodeBase64('AACAPw==')   // [0, 0, 128, 63]
 * decodeBase64('AACA Pw=')   // throws character " " at position 4 is not base64
 * decodeBase64('AACAPw=')   // throws is not a multiple of 4
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 4 !== 0) throw new Error(`its length ${text.length} is not a multiple of 4 (truncated?)`)
  const body = text.replace(/={1,2}$/, '') // padding only at the end
  const bad = body.search(/[^A-Za-z0-9+/]/)
  if (bad >= 0) throw new Error(`character ${JSON.stringify(body[bad])} at position ${bad} is not base64`)
  return bytesOfBase64(text)
}

/**
 * The bytes of base64 text that is known to be well-formed (the kernel's own WebAssembly), unchecked:
 * what does not come from tapegrad itself goes through {@link decodeBase64}.
 * @example
 * import { bytesOfBase64 } from './src/byte-codec'
 * bytesOfBase64('AACAPw==')   // [0, 0, 128, 63]
 */
export function bytesOfBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

/**
 * base64 of a Float32Array's little-endian bytes (exact: the bits come back as they were).
 * @example
 * import { encodeFloat32 } from './src/byte-codec'
 * encodeFloat32(Float32Array.of(1))   // 'AACAPw=='
 */
export function encodeFloat32(a: Float32Array): string {
  return encodeBase64(littleEndianBytes(a))
}

/**
 * Decodes `count` float32 numbers from base64 text; throws `who: what …` on text that is not
 * base64 or holds another number of bytes. (Finite values are checked by the callers, which know
 * where each number belongs.)
 * @example
 * import { decodeFloat32 } from './src/byte-codec'
 * decodeFloat32('DQN.load', 'rewards', 'AACAPw==', 1)   // [1]
 * decodeFloat32('DQN.load', 'rewards', 'AACAPw==', 2)   // throws DQN.load: rewards
 */
export function decodeFloat32(who: string, what: string, text: unknown, count: number): Float32Array {
  if (typeof text !== 'string') throw new Error(`${who}: ${what} must be a base64 string, got ${describeValue(text)}`)
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = decodeBase64(text)
  } catch (e) {
    throw new Error(`${who}: ${what} is not valid base64: ${(e as Error).message}`, { cause: e })
  }
  if (bytes.length !== 4 * count) {
    const truncated = bytes.length < 4 * count ? ': truncated' : ''
    throw new Error(
      `${who}: ${what} holds ${bytes.length} bytes, expected ${4 * count} (${count} float32 numbers)${truncated}`,
    )
  }
  return new Float32Array((LITTLE_ENDIAN ? bytes : swapBytes(bytes, 4)).buffer)
}
