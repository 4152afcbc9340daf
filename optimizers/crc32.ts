/**
 * CRC-32 (the IEEE polynomial of zip, PNG and gzip), which saved optimizer states carry so that a
 * damaged file — a flipped bit inside an array's data, a changed digit of the step — is refused
 * on loading instead of resuming from other numbers (see state-io.ts).
 */

const TABLE = (() => {
  const t = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  return t
})()

/**
 * The CRC-32 of a string's UTF-8 bytes, as 8 lowercase hex digits.
 * @example
 * import { crc32 } from './optimizers/crc32'   // internal: the state formats' checksum
 *
 * // the standard check value of CRC-32:
 * crc32('123456789') // 'cbf43926'
 */
export function crc32(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let c = -1
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ((c ^ -1) >>> 0).toString(16).padStart(8, '0')
}
