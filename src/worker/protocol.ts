/**
 * The messages between the main thread and a training worker (see start-training.ts for the
 * main side and serve-training.ts for the worker side). Every message carries `tag`, so that a
 * worker which also talks to other code can tell ours apart.
 *
 * The weights travel as one flat ArrayBuffer per publication, transferred (moved), never cloned:
 * the worker owns two such buffers, packs the newest weights into a free one and sends it; the
 * main thread views it and sends the buffer it held before back. So each side always has a
 * buffer of its own and neither waits for the other (see docs/worker-and-games.md).
 */

/** An array a batch may carry (int32 labels join when the int32 dtype lands). */
export type BatchArray = Float32Array | Float64Array | Int32Array

/** Marks our messages. */
export const TAG = 'tapegrad.training'
/** What a Node training worker finds in `workerData` (browser workers need no marker). */
export const WORKER_DATA = { tapegradTrainingWorker: 1 } as const

/** One array of a batch as it travels: name, data (moved where possible), shape. */
export interface PackedArray {
  readonly name: string
  readonly data: BatchArray
  readonly shape: readonly number[]
  /** The element type, told by the sender: across realms `instanceof` cannot tell it. */
  readonly dtype: 'float32' | 'float64' | 'int32'
}

/** Where each parameter lives in the flat weight buffer, in `namedParameters()` order. */
export interface WeightLayout {
  readonly paths: readonly string[]
  readonly shapes: readonly (readonly number[])[]
  /** Σ sizes: the buffer holds `size` float32 numbers. */
  readonly size: number
}

/** Weights of the model after `step` training steps, in a moved buffer. */
export interface WeightsDelivery {
  readonly step: number
  readonly buffer: ArrayBuffer
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly tag: typeof TAG; readonly type: 'init'; readonly name: string | null }
  | { readonly tag: typeof TAG; readonly type: 'train'; readonly arrays: readonly PackedArray[] }
  | { readonly tag: typeof TAG; readonly type: 'return'; readonly buffer: ArrayBuffer }
  | { readonly tag: typeof TAG; readonly type: 'flush'; readonly id: number }
  | { readonly tag: typeof TAG; readonly type: 'save'; readonly id: number }
  | { readonly tag: typeof TAG; readonly type: 'load'; readonly id: number; readonly saved: unknown }

/** Worker → main thread. */
export type FromWorker =
  | {
      readonly tag: typeof TAG
      readonly type: 'ready'
      readonly name: string
      readonly layout: WeightLayout
      readonly weights: WeightsDelivery
    }
  | {
      readonly tag: typeof TAG
      readonly type: 'step'
      readonly step: number
      readonly loss: number | null
      readonly weights: WeightsDelivery | null
    }
  | { readonly tag: typeof TAG; readonly type: 'weights'; readonly weights: WeightsDelivery }
  | {
      readonly tag: typeof TAG
      readonly type: 'done'
      readonly id: number
      readonly result: unknown
      readonly error?: string
    }
  | {
      readonly tag: typeof TAG
      readonly type: 'error'
      readonly message: string
      readonly stack: string | null
      readonly during: string
    }

/** Whether `m` is one of our messages. */
export function isOurs(m: unknown): boolean {
  return m !== null && typeof m === 'object' && (m as { tag?: unknown }).tag === TAG
}
