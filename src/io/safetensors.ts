/**
 * safetensors files — Hugging Face's format (github.com/huggingface/safetensors), the door
 * through which weights travel between tapegrad, PyTorch, JAX/Flax and NumPy.
 *
 * A file is three parts:
 *
 *     8 bytes    N, the length of the header: an unsigned little-endian 64-bit integer
 *     N bytes    the header: UTF-8 JSON that starts with `{`, padded with spaces to a multiple of 8:
 *                { "__metadata__": { "key": "value", … },
 *                  "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, … }
 *     the rest   the byte buffer: each tensor's values, row-major and little-endian, in
 *                bytes [begin, end) counted from the start of the buffer
 *
 * The tensors tile the buffer exactly — sorted by `begin`, each starts where the one before ends,
 * the first at 0 and the last at the end of the file — so there are no gaps, no overlaps and
 * nothing hidden after the last tensor. `end − begin` is the element count times the dtype's size.
 *
 * The writer makes the same bytes as the Rust/Python library (`safetensors.torch.save_file`):
 * tensors ordered by dtype (F64, then F32, then I32) and within a dtype by name (byte order of
 * UTF-8), `__metadata__` first in the header, compact JSON, space padding.
 *
 * The reader checks everything before it returns anything, and refuses a corrupt or foreign file
 * with an error that says what is wrong: a truncated file, a header length past the end of the
 * file or over 100 MB (the Rust reader's limit), a header that is not UTF-8 JSON, duplicate names,
 * a bad shape, an unknown or unsupported dtype, offsets that overlap, leave gaps, run past the end
 * or do not match shape × dtype size, and metadata that is not a string → string map.
 *
 * dtypes: F32 ↔ float32, F64 ↔ float64, I32 ↔ int32 (Int32Array storage). I64 (PyTorch's default
 * integer type, e.g. BatchNorm's `num_batches_tracked`) is read as int32 when every value fits in
 * int32, and refused, naming the tensor and the value, when one does not: an exact conversion or
 * a clear error, never a wrapped-around number. Other dtypes (F16, BF16, U8, …) are refused with the
 * PyTorch call that converts them.
 */
import { describeValue } from '../describe-value.js'
import { fmt, type TypedArray } from '../nd.js'
import { Tensor } from '../tensor.js'
import { duplicateKey } from './duplicate-key.js'
import { LITTLE_ENDIAN, littleEndianBytes, swapBytes } from '../byte-codec.js'

/**
 * The most header bytes a file may have: the Rust reader's limit (100 MB); `loadSafetensors`
 * refuses a longer header before reading it, and `saveSafetensors` will not write one.
 * @example
 * import { SAFETENSORS_MAX_HEADER } from 'tapegrad'
 *
 * SAFETENSORS_MAX_HEADER // 100000000
 */
export const SAFETENSORS_MAX_HEADER = 100_000_000

/**
 * What {@link loadSafetensors} returns.
 * @example
 * import { zeros, saveSafetensors, loadSafetensors } from 'tapegrad'
 *
 * const { tensors, metadata } = loadSafetensors(saveSafetensors({ w: zeros([2]) }))
 * Object.keys(tensors)   // ['w']
 * metadata               // {}
 */
export interface SafetensorsContents {
  /** The tensors by name, in the order of their data in the file. */
  tensors: Record<string, Tensor>
  /** The `__metadata__` map (empty when the file has none). */
  metadata: Record<string, string>
}

/** The dtypes tapegrad writes and reads, by their safetensors names (rank: the writer's order). */
const DTYPES = {
  F64: { bytes: 8, rank: 2, make: Float64Array },
  F32: { bytes: 4, rank: 1, make: Float32Array },
  I32: { bytes: 4, rank: 0, make: Int32Array },
} as const
type Code = keyof typeof DTYPES

/** Read (as int32, when every value fits), never written. */
const I64_BYTES = 8
const SUPPORTED = 'F32, F64, I32, and I64 when every value fits in int32'
const TO_INT32_OR_DOUBLE = 't.to(torch.int32) if it fits, or t.double()'

/** The other dtypes of the format, by the PyTorch call that converts each to one tapegrad reads. */
const FOREIGN: Record<string, string> = { C64: 'torch.view_as_real(t) (complex numbers have no tapegrad dtype)' }
for (const [call, codes] of [
  ['t.float()', 'F16 BF16 F8_E5M2 F8_E4M3 F8_E8M0 F8_E4M3FNUZ F8_E5M2FNUZ F4 F6_E2M3 F6_E3M2'],
  ['t.to(torch.int32)', 'U8 I8 I16 U16 BOOL'],
  [TO_INT32_OR_DOUBLE, 'U32 U64'],
])
  for (const c of codes.split(' ')) FOREIGN[c] = call

const utf8 = new TextEncoder()

// ---------------------------------------------------------------------------------------------
// Save

/**
 * Writes tensors (and an optional string → string metadata map) as a safetensors file.
 *
 * The bytes are those `safetensors.torch.save_file` writes for the same tensors: tensors ordered
 * by dtype (F64, F32, I32) then by name, header JSON padded with spaces to a multiple of 8 bytes.
 * float32 tensors are written as F32, float64 as F64, int32 as I32. PyTorch reads the file with
 * `safetensors.torch.load_file(path)`, JAX/Flax with `safetensors.flax.load_file(path)`, NumPy
 * with `safetensors.numpy.load_file(path)`.
 *
 * @param tensors name → Tensor, e.g. `net.stateDict({ format: 'torch' })`. Names are any strings
 *   but `__metadata__`.
 * @param metadata optional free-form strings stored in the header (`__metadata__`).
 * @example
 * import { tensor, saveSafetensors, loadSafetensors } from 'tapegrad'
 *
 * const bytes = saveSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { note: 'hello' })
 * // the header length (8 bytes), the header (96 bytes), the data (16 bytes):
 * bytes.length                       // 120
 * loadSafetensors(bytes).metadata    // { note: 'hello' }
 * // Node: fs.writeFileSync('model.safetensors', bytes)
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const refuse: Refuse = refuser('saveSafetensors')
  if (!isPlainRecord(tensors)) {
    refuse(`expected an object of name → Tensor (e.g. net.stateDict()), got ${describe(tensors)}`)
  }
  const entries = Object.keys(tensors).map((name) => {
    if (name === '__metadata__') refuse(`'__metadata__' is reserved for the metadata map; rename that tensor`)
    if (!wellFormed(name)) {
      refuse(`the name ${JSON.stringify(name)} has a lone UTF-16 surrogate, which UTF-8 cannot hold`)
    }
    const t = tensors[name]
    if (!(t instanceof Tensor)) refuse(`'${name}' must be a Tensor, got ${describe(t)}`)
    return { name, key: utf8.encode(name), code: codeOf(refuse, name, t.data), tensor: t }
  })
  // The Rust writer's order: larger dtypes first (keeps every tensor aligned to its element size
  // when the header is a multiple of 8), then by name as bytes.
  entries.sort((a, b) => DTYPES[b.code].rank - DTYPES[a.code].rank || compareBytes(a.key, b.key))

  const parts: string[] = []
  if (metadata !== undefined) parts.push(`"__metadata__":${metadataJson(refuse, metadata)}`)
  let offset = 0
  for (const { name, code, tensor } of entries) {
    const end = offset + tensor.data.byteLength
    const shape = JSON.stringify(tensor.shape)
    parts.push(`${JSON.stringify(name)}:{"dtype":"${code}","shape":${shape},"data_offsets":[${offset},${end}]}`)
    offset = end
  }
  const json = utf8.encode(`{${parts.join(',')}}`)
  const n = Math.ceil(json.length / 8) * 8
  if (n > SAFETENSORS_MAX_HEADER) {
    refuse(`the header would be ${n} bytes, over the format's limit of ${SAFETENSORS_MAX_HEADER}`)
  }

  const out = new Uint8Array(8 + n + offset)
  new DataView(out.buffer).setUint32(0, n, true) // the high 32 bits of the u64 stay 0: n ≤ 10⁸
  out.set(json, 8)
  out.fill(0x20, 8 + json.length, 8 + n)
  let at = 8 + n
  for (const { tensor } of entries) {
    out.set(littleEndianBytes(tensor.data), at)
    at += tensor.data.byteLength
  }
  return out
}

/** The safetensors dtype of a tensor's storage. */
function codeOf(refuse: Refuse, name: string, data: TypedArray): Code {
  if (data instanceof Float32Array) return 'F32'
  if (data instanceof Float64Array) return 'F64'
  if (data instanceof Int32Array) return 'I32'
  return refuse(`'${name}' is stored in ${describeValue(data)}, expected a Float32Array, Float64Array or Int32Array`)
}

function metadataJson(refuse: Refuse, metadata: unknown): string {
  const parts = Object.entries(checkMetadata(refuse, 'metadata', metadata)).map(([k, v]) => {
    if (!wellFormed(k) || !wellFormed(v)) refuse(`metadata '${k}' has a lone UTF-16 surrogate, which UTF-8 cannot hold`)
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`
  })
  return `{${parts.join(',')}}`
}

/** `metadata` if it is a string → string map, else an error that names `what` and the bad value. */
function checkMetadata(refuse: Refuse, what: string, metadata: unknown): Record<string, string> {
  if (!isPlainRecord(metadata)) refuse(`${what} must be an object of string → string, got ${describe(metadata)}`)
  for (const k of Object.keys(metadata)) {
    const v = metadata[k]
    if (typeof v !== 'string') {
      refuse(
        `${what} '${k}' must be a string (the format allows only strings), got ${describe(v)}; ` +
          'use JSON.stringify for numbers and objects',
      )
    }
  }
  return metadata as Record<string, string>
}

// ---------------------------------------------------------------------------------------------
// Load

/** One header entry, checked. */
interface Entry {
  name: string
  code: Code | 'I64'
  shape: number[]
  begin: number
  end: number
}

const refuseLoad: Refuse = refuser('loadSafetensors')

/**
 * Reads a safetensors file: the tensors by name and the metadata map.
 *
 * Everything is checked before anything is returned (see the list at the top of this file);
 * a corrupt or foreign file is refused with an `Error` that names what is wrong. The input may
 * be any `Uint8Array` (a Node `Buffer`, a view at an odd offset of a larger buffer) or an
 * `ArrayBuffer`; values are copied out, so the tensors do not share its memory.
 * I64 tensors (PyTorch's integer default) become int32 when every value fits, else are refused.
 *
 * @example
 * import { tensor, saveSafetensors, loadSafetensors } from 'tapegrad'
 *
 * const { tensors, metadata } = loadSafetensors(saveSafetensors({ b: tensor([1, 2]) }, { epoch: '3' }))
 * tensors.b.toArray()   // [1, 2]
 * metadata.epoch        // '3'
 * // Node: loadSafetensors(fs.readFileSync('model.safetensors'))
 * // a browser: loadSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()))
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContents {
  const file = asBytes(bytes)
  if (!file) refuseLoad(`expected the file's bytes as a Uint8Array or ArrayBuffer, got ${describe(bytes)}`)
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const n = readHeaderLength(view)
  const { entries, metadata } = readEntries(parseHeader(file.subarray(8, 8 + n)))
  checkTiling(entries, file.length - 8 - n)
  const base = 8 + n // where the data starts
  for (const e of entries) if (e.code === 'I64') checkInt32Range(e, view, base)
  const tensors: Record<string, Tensor> = {}
  for (const e of entries) define(tensors, e.name, new Tensor(decode(file, view, base, e), e.shape))
  return { tensors, metadata }
}

function readHeaderLength(view: DataView): number {
  const size = view.byteLength
  if (size < 8) {
    refuseLoad(
      `the file is ${size} bytes, too short for the 8-byte header length that starts every safetensors file ` +
        '(truncated, or not a safetensors file)',
    )
  }
  const n = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true)
  if (n > SAFETENSORS_MAX_HEADER) {
    refuseLoad(
      `the header length is ${n} bytes, over the format's limit of ${SAFETENSORS_MAX_HEADER} (100 MB): ` +
        'not a safetensors file, or a corrupt one',
    )
  }
  if (8 + n > size) {
    refuseLoad(
      `the header length ${n} runs past the end of the file (${size} bytes, so at most ${size - 8} ` +
        'header bytes): the file is truncated or corrupt',
    )
  }
  if (n === 0) refuseLoad('the header is empty (length 0); it must be a JSON object')
  return n
}

function parseHeader(bytes: Uint8Array): Record<string, unknown> {
  if (bytes[0] !== 0x7b) {
    const found = bytes[0].toString(16).padStart(2, '0')
    refuseLoad(
      `the header must start with '{' (byte 0x7b), found byte 0x${found}: ` +
        'not a safetensors file, or a corrupt one',
    )
  }
  let text = ''
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    refuseLoad(`the header (${bytes.length} bytes) is not valid UTF-8`)
  }
  let header: unknown
  try {
    header = JSON.parse(text)
  } catch (e) {
    refuseLoad(`the header is not valid JSON: ${(e as Error).message}`)
  }
  if (!isPlainRecord(header)) refuseLoad(`the header must be a JSON object, got ${describe(header)}`)
  const dup = duplicateKey(text)
  if (dup) {
    const inside = dup.inside === null ? '' : ` inside ${JSON.stringify(dup.inside)}`
    refuseLoad(`the header has the key ${JSON.stringify(dup.key)} twice${inside}; names must be unique`)
  }
  return header
}

function readEntries(header: Record<string, unknown>): { entries: Entry[]; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {}
  const entries: Entry[] = []
  for (const name of Object.keys(header)) {
    const info = header[name]
    if (name !== '__metadata__') {
      entries.push(readEntry(name, info))
      continue
    }
    if (info === null) continue // serde reads `null` as no metadata: so do we
    const given = checkMetadata(refuseLoad, '__metadata__', info)
    for (const k of Object.keys(given)) define(metadata, k, given[k])
  }
  return { entries, metadata }
}

function readEntry(name: string, info: unknown): Entry {
  const where = `tensor '${name}'`
  if (!isPlainRecord(info)) {
    refuseLoad(`${where} must be an object { dtype, shape, data_offsets }, got ${describe(info)}`)
  }
  const { dtype, shape, data_offsets: offsets } = info
  if (typeof dtype !== 'string') refuseLoad(`${where} has no dtype string (got ${describe(dtype)})`)
  if (Object.hasOwn(FOREIGN, dtype)) {
    refuseLoad(
      `${where} has dtype ${dtype}, which tapegrad does not read (it reads ${SUPPORTED}); ` +
        `convert it before saving, in PyTorch: ${FOREIGN[dtype]}`,
    )
  }
  if (!Object.hasOwn(DTYPES, dtype) && dtype !== 'I64') {
    refuseLoad(`${where} has the unknown dtype ${JSON.stringify(dtype)}; tapegrad reads ${SUPPORTED}`)
  }
  const code = dtype as Code | 'I64'
  if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    refuseLoad(`${where} must have a shape of non-negative integers, got ${JSON.stringify(shape)}`)
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    const got = JSON.stringify(offsets)
    refuseLoad(`${where} must have data_offsets [begin, end] of two non-negative integers, got ${got}`)
  }
  const [begin, end] = offsets as number[]
  if (end < begin) refuseLoad(`${where} has data_offsets [${begin}, ${end}]: the end is before the beginning`)
  let size = code === 'I64' ? I64_BYTES : DTYPES[code].bytes
  for (const s of shape as number[]) size *= s
  if (!Number.isSafeInteger(size)) refuseLoad(`${where} has shape ${fmt(shape)}, too large for any file`)
  if (end - begin !== size) {
    refuseLoad(
      `${where} (${dtype}, shape ${fmt(shape)}) needs ${size} bytes, ` +
        `but its data_offsets [${begin}, ${end}] hold ${end - begin}`,
    )
  }
  return { name, code, shape: (shape as number[]).slice(), begin, end }
}

/** Sorted by where they start, the tensors must cover [0, dataLength) exactly once. */
function checkTiling(entries: Entry[], dataLength: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end)
  let at = 0
  let previous: Entry | null = null
  for (const e of entries) {
    if (e.begin > at) {
      const gap = previous ? `between tensor '${previous.name}' and '${e.name}'` : `before tensor '${e.name}'`
      refuseLoad(`bytes ${at}–${e.begin} of the data belong to no tensor (a gap ${gap}); the format allows no holes`)
    }
    if (previous && e.begin < at) {
      refuseLoad(
        `tensor '${e.name}' (bytes ${e.begin}–${e.end}) overlaps tensor '${previous.name}' ` +
          `(bytes ${previous.begin}–${previous.end})`,
      )
    }
    if (e.end > dataLength) {
      refuseLoad(
        `tensor '${e.name}' ends at byte ${e.end} of the data, past its end ` +
          `(${dataLength} bytes after the header): the file is truncated or corrupt`,
      )
    }
    at = e.end
    previous = e
  }
  if (at !== dataLength) {
    const what = previous ? `the tensors end at byte ${at}` : 'there are no tensors'
    refuseLoad(`the data is ${dataLength} bytes but ${what}: ${dataLength - at} bytes after them belong to no tensor`)
  }
}

function checkInt32Range(e: Entry, view: DataView, base: number): void {
  for (let at = base + e.begin, i = 0; at < base + e.end; at += I64_BYTES, i++) {
    // A 64-bit value fits in int32 when its high word is the sign extension of its low word.
    const low = view.getInt32(at, true)
    if (view.getInt32(at + 4, true) !== (low < 0 ? -1 : 0)) {
      const value = view.getBigInt64(at, true)
      refuseLoad(
        `tensor '${e.name}' (I64, shape ${fmt(e.shape)}) holds ${value} at flat index ${i}, outside int32; ` +
          `tapegrad reads I64 as int32 only when every value fits: in PyTorch save it as ${TO_INT32_OR_DOUBLE}`,
      )
    }
  }
}

/** The values of one checked entry, copied into a fresh array (so `file` may be at any offset). */
function decode(file: Uint8Array, view: DataView, base: number, e: Entry): TypedArray {
  const start = base + e.begin
  if (e.code === 'I64') {
    const out = new Int32Array((e.end - e.begin) / I64_BYTES)
    // the low word of each value (the range was checked)
    for (let i = 0; i < out.length; i++) out[i] = view.getInt32(start + I64_BYTES * i, true)
    return out
  }
  const { bytes, make } = DTYPES[e.code]
  const copy = file.slice(start, base + e.end) // a fresh buffer: aligned for any dtype
  return new make((LITTLE_ENDIAN ? copy : swapBytes(copy, bytes)).buffer as ArrayBuffer)
}

// ---------------------------------------------------------------------------------------------
// Small helpers

type Refuse = (message: string) => never

/** A function that throws `who: message`: every error of this file names the function that refused. */
function refuser(who: string): Refuse {
  return (message) => {
    throw new Error(`${who}: ${message}`)
  }
}

/** The bytes of a Uint8Array (a Node Buffer too) or an ArrayBuffer; null for anything else. */
function asBytes(x: unknown): Uint8Array | null {
  // Not `instanceof`: a Buffer or an ArrayBuffer from another realm (a worker, a vm context) fails it.
  if (ArrayBuffer.isView(x) && (x as Uint8Array).BYTES_PER_ELEMENT === 1) {
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  }
  if (Object.prototype.toString.call(x) === '[object ArrayBuffer]') return new Uint8Array(x as ArrayBuffer)
  return null
}

function isPlainRecord(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** Sets `obj[key]` as an own property, also for the key "__proto__" (which `=` would not). */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Whether a string has no lone surrogate (so that UTF-8 encodes it as it is). */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

function describe(x: unknown): string {
  if (x instanceof Tensor) return `a Tensor ${fmt(x.shape)}`
  return describeValue(x)
}
