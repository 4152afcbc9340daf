/**
 * Mini-batches: `batches(X, Y, { batchSize, shuffle, seed })` walks a data set in chunks of rows.
 */
import { allocate, fmt, type TypedArray } from '../nd.js'
import { defaultRandom, Random } from '../random.js'
import { Tensor } from '../tensor.js'

/** Options of `batches`. */
export interface BatchOptions {
  /** Rows per batch (default 32). The last batch is smaller unless `dropLast`. */
  batchSize?: number
  /** Visit the rows in a random order (default false). */
  shuffle?: boolean
  /** Seed of the shuffle: the same seed gives the same order (default: the global generator). */
  seed?: number
  /** Skip a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean
}

/** One mini-batch: rows of X, the same rows of Y, and which rows they were. */
export interface Batch {
  /** The rows of X in this batch. */
  x: Tensor
  /** The matching rows of Y. */
  y: Tensor
  /** Row indices into X/Y of this batch, in batch order. */
  indices: Int32Array
}

/** Copies rows `order[from…to)` of `data` (rows of `rowSize` values) into a new array. */
function takeRows(data: TypedArray, rowSize: number, order: Int32Array, from: number, to: number): TypedArray {
  const out = allocate(data instanceof Float64Array ? 'float64' : 'float32', (to - from) * rowSize)
  for (let k = from; k < to; k++) {
    const src = order[k] * rowSize
    const dst = (k - from) * rowSize
    if (rowSize >= 32) out.set(data.subarray(src, src + rowSize), dst)
    else for (let j = 0; j < rowSize; j++) out[dst + j] = data[src + j]
  }
  return out
}

/**
 * Iterates over mini-batches of matching rows of X and Y (first axes must agree): each batch
 * holds `batchSize` rows (fewer in the last one unless `dropLast`), in order or shuffled.
 * Batches are new tensors with no history (copies when shuffled, views of X and Y otherwise).
 * Shuffling with a `seed` is repeatable; for a new order each epoch, pass `seed + epoch`.
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const { X, y: Y } = nn.blobs(200, { centers: 3, seed: 0 })
 * const net = new nn.MLP([2, 16, 3])
 * const sizes: number[] = []
 * for (const epoch of [0, 1]) {
 *   for (const { x, y } of nn.batches(X, Y, { batchSize: 64, shuffle: true, seed: epoch })) {
 *     const loss = nn.crossEntropy(net.forward(x), y)
 *     loss.backward()   // an optimizer's step would follow
 *     sizes.push(x.shape[0])
 *   }
 * }
 * sizes // [64, 64, 64, 8, 64, 64, 64, 8]
 */
export function* batches(X: Tensor, Y: Tensor, options: BatchOptions = {}): Generator<Batch> {
  if (!(X instanceof Tensor) || !(Y instanceof Tensor))
    throw new Error(`batches: X and Y must be Tensors, got ${typeof X} and ${typeof Y}`)
  if (X.ndim === 0 || Y.ndim === 0 || X.shape[0] !== Y.shape[0]) {
    throw new Error(`batches: X ${fmt(X.shape)} and Y ${fmt(Y.shape)} must have the same number of rows (first axis)`)
  }
  const batchSize = options.batchSize ?? 32
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`)
  const n = X.shape[0]
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  if (options.shuffle) (options.seed === undefined ? defaultRandom() : new Random(options.seed)).shuffle(order)
  const xRow = X.size / Math.max(n, 1)
  const yRow = Y.size / Math.max(n, 1)
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize)
    if (options.dropLast && to - from < batchSize) break
    const m = to - from
    const indices = order.slice(from, to)
    let x: Tensor
    let y: Tensor
    if (options.shuffle) {
      x = new Tensor(takeRows(X.data, xRow, order, from, to), [m, ...X.shape.slice(1)])
      y = new Tensor(takeRows(Y.data, yRow, order, from, to), [m, ...Y.shape.slice(1)])
    } else {
      x = new Tensor(X.data.subarray(from * xRow, to * xRow), [m, ...X.shape.slice(1)])
      y = new Tensor(Y.data.subarray(from * yRow, to * yRow), [m, ...Y.shape.slice(1)])
    }
    yield { x, y, indices }
  }
}

/**
 * The number of batches `batches` yields for n rows: ⌈n / batchSize⌉, or ⌊n / batchSize⌋ with dropLast.
 * @example
 * import { nn } from 'tapegrad'
 * nn.numBatches(8000, 64) // 125
 * nn.numBatches(8000, 64, true) // 125
 * nn.numBatches(100, 64) // 2
 * nn.numBatches(100, 64, true) // 1
 */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize)
}
