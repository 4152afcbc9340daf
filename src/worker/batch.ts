/**
 * Batches on their way to a learner: named arrays that are moved (transferred) to the worker
 * rather than copied, and rebuilt there as tensors.
 *
 * An array is moved when it owns its whole ArrayBuffer: then `postMessage` hands the buffer over
 * and the sender's array becomes empty (`byteLength` 0). An array that is a view into a larger
 * buffer is copied first (only its own bytes), because moving it would take the rest of that
 * buffer away too — and a structured clone of a view would copy the whole underlying buffer,
 * which is exactly the trap of copying more than was meant. Tensors are copied too: emptying the
 * storage of a Tensor the caller still holds would turn later reads of it into silent garbage.
 */
import { dtypeOf, fmt, sizeOf } from '../nd.js'
import { Tensor } from '../tensor.js'
import type { BatchArray, PackedArray } from './protocol.js'

export type { BatchArray }

/**
 * One entry of a batch: an array (a vector, shape `[length]`), an array with its shape, or a
 * Tensor (copied, see above).
 */
export type BatchValue = BatchArray | { readonly data: BatchArray; readonly shape: readonly number[] } | Tensor

/** Named arrays for one training step, e.g. `{ x: { data, shape: [64, 784] }, y: labels }`. */
export type TrainingBatch = Readonly<Record<string, BatchValue>>

/** A batch ready for `postMessage`, with the buffers to move and the bytes that had to be copied. */
export interface PackedBatch {
  arrays: PackedArray[]
  transfer: ArrayBuffer[]
  copiedBytes: number
}

function isBatchArray(x: unknown): x is BatchArray {
  return x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array
}

function describe(x: unknown): string {
  if (x === null) return 'null'
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}`
  if (Array.isArray(x)) return 'an array'
  return typeof x
}

/** Whether `a` can be moved: it covers a whole, plain, fixed-size ArrayBuffer. */
function movable(a: BatchArray): boolean {
  const b = a.buffer as ArrayBuffer & { resizable?: boolean }
  return (
    Object.prototype.toString.call(b) === '[object ArrayBuffer]' &&
    b.resizable !== true &&
    a.byteOffset === 0 &&
    a.byteLength === b.byteLength
  )
}

/**
 * Checks a batch and prepares it for sending: every array that owns its buffer goes in the
 * transfer list (a buffer used twice is moved once and copied for the second use), the others
 * are copied. Throws, naming the entry, on anything else; nothing is moved then.
 * @example
 * import { packBatch } from './src/worker/batch'   // internal: what trainer.train sends
 *
 * const x = new Float32Array(6)
 * packBatch('train', { x: { data: x, shape: [2, 3] } }).transfer[0] === x.buffer // true
 */
export function packBatch(who: string, batch: TrainingBatch): PackedBatch {
  if (
    batch === null ||
    typeof batch !== 'object' ||
    Array.isArray(batch) ||
    ArrayBuffer.isView(batch) ||
    batch instanceof Tensor
  ) {
    throw new Error(
      `${who}: a batch is an object of named arrays ({ x: { data, shape }, y: Float32Array }), got ${describe(batch)}`,
    )
  }
  const names = Object.keys(batch)
  if (names.length === 0) throw new Error(`${who}: the batch has no arrays`)
  const arrays: PackedArray[] = []
  const transfer: ArrayBuffer[] = []
  let copiedBytes = 0
  for (const name of names) {
    const v = batch[name] as unknown
    let data: BatchArray
    let shape: number[]
    let copy = false
    if (v instanceof Tensor) {
      if (!isBatchArray(v.data))
        throw new Error(`${who}: batch entry '${name}' is a Tensor with ${describe(v.data)} storage`)
      data = v.data
      shape = v.shape.slice()
      copy = true
    } else if (isBatchArray(v)) {
      data = v
      shape = [v.length]
    } else if (v !== null && typeof v === 'object' && 'data' in v && 'shape' in v) {
      const { data: d, shape: s } = v as { data: unknown; shape: unknown }
      if (!isBatchArray(d))
        throw new Error(
          `${who}: batch entry '${name}'.data must be a Float32Array, Float64Array or Int32Array, got ${describe(d)}`,
        )
      if (!Array.isArray(s) || s.some((n) => !Number.isInteger(n) || n < 0)) {
        throw new Error(
          `${who}: batch entry '${name}'.shape must be an array of non-negative integers, got ${JSON.stringify(s)}`,
        )
      }
      if (sizeOf(s) !== d.length)
        throw new Error(
          `${who}: batch entry '${name}' has ${d.length} values, which do not fit shape ${fmt(s)} (${sizeOf(s)})`,
        )
      data = d
      shape = s.slice()
    } else {
      throw new Error(
        `${who}: batch entry '${name}' must be a Float32Array, a Float64Array, an Int32Array (labels), { data, shape } or a Tensor, got ${describe(v)}`,
      )
    }
    if (!copy && (!movable(data) || transfer.includes(data.buffer as ArrayBuffer))) copy = true
    if (copy) {
      data = data.slice()
      copiedBytes += data.byteLength
    }
    transfer.push(data.buffer as ArrayBuffer)
    arrays.push({ name, data, shape, dtype: dtypeOf(data) })
  }
  return { arrays, transfer, copiedBytes }
}

/**
 * The tensors a learner receives: one per array, wrapping the received storage (no copy).
 * Each array is re-viewed with this module's own constructors: an array that arrived through
 * `postMessage` or `structuredClone` can belong to another JavaScript realm (a vm context, as
 * under jest), where `instanceof Float32Array` is false and the kernels would take another path.
 * @example
 * import { unpackBatch } from './src/worker/batch'   // internal: what the learner receives
 *
 * unpackBatch([{ name: 'x', data: new Float32Array(6), shape: [2, 3], dtype: 'float32' }]).x.shape // [2, 3]
 */
export function unpackBatch(arrays: readonly PackedArray[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {}
  for (const { name, data: d, shape, dtype } of arrays) {
    const b = d.buffer
    const data =
      dtype === 'float64'
        ? new Float64Array(b, d.byteOffset, d.length)
        : dtype === 'int32'
          ? new Int32Array(b, d.byteOffset, d.length)
          : new Float32Array(b, d.byteOffset, d.length)
    out[name] = new Tensor(data, shape.slice())
  }
  return out
}

/**
 * Moves a packed batch within one thread, exactly as postMessage would move it to a worker (the
 * sender's arrays become empty), so that training on the main thread and in a worker treat the
 * caller's arrays the same way.
 */
export function moveLocally(packed: PackedBatch): PackedArray[] {
  return structuredClone(packed.arrays, { transfer: packed.transfer }) as PackedArray[]
}
