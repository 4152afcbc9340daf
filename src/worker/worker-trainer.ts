/**
 * The main thread's side of training in a worker: a `Trainer` whose learner runs in the worker.
 *
 * - Batches go out moved (batch.ts), at most `maxQueued` at a time: `train` waits for room, and a
 *   second `train` while one is waiting is an error, so nothing piles up unseen.
 * - Weights come back moved, in one of the worker's two buffers (serve-training.ts). On arrival
 *   the model here is pointed at the new buffer and the one it held is moved back at once, so the
 *   worker has a free buffer again without either side waiting.
 * - A failure in the worker (an exception in a step, a script that does not load, an exit)
 *   rejects every pending call and every later one with the worker's message.
 */
import type { Module } from '../nn/module.js'
import { Random } from '../random.js'
import { packBatch, type TrainingBatch } from './batch.js'
import { connectWorker, type MainEndpoint, type WorkerLike } from './endpoint.js'
import { TAG, type FromWorker, type ToWorker, type WeightsDelivery } from './protocol.js'
import type { StartTrainingOptions, StepInfo, Trainer, TrainerStats } from './trainer.js'
import type { SavedTraining, TrainingSpec } from './training-spec.js'
import { describeLayout, layoutOf, sameLayout, viewWeights } from './weights.js'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

/** Connects to a worker that runs `spec`'s module; resolves once it has sent the first weights. */
export function workerTrainer<M extends Module>(
  who: string,
  spec: TrainingSpec<M>,
  worker: WorkerLike,
  options: StartTrainingOptions,
  maxQueued: number,
): Promise<Trainer<M>> {
  const model = spec.model(new Random(spec.seed ?? 0))
  const layout = layoutOf(who, model)
  let held: ArrayBuffer | null = null
  let weightsStep = 0
  let lossAtWeights: number | null = null
  let step = 0
  let loss: number | null = null
  let queued = 0
  let sent = 0
  let failure: Error | null = null
  let terminated = false
  let waiter: Pending | null = null
  const requests = new Map<number, Pending>()
  let nextId = 1
  const stats: TrainerStats = { movedBytes: 0, copiedBytes: 0, weightsReceived: 0 }
  let ready: Pending | null = null
  let timer: ReturnType<typeof setTimeout> | null = null

  const stopped = (): Error | null => failure ?? (terminated ? new Error(`${who}: the trainer was terminated`) : null)
  const rejectAll = (e: Error) => {
    ready?.reject(e)
    ready = null
    waiter?.reject(e)
    waiter = null
    for (const r of requests.values()) r.reject(e)
    requests.clear()
    if (timer !== null) clearTimeout(timer)
  }
  const fail = (e: Error) => {
    if (failure || terminated) return
    failure = e
    rejectAll(e)
    endpoint.close().catch(() => {})
    options.onError?.(e)
  }
  const receive = (w: WeightsDelivery) => {
    viewWeights(model, w.buffer)
    const old = held
    held = w.buffer
    weightsStep = w.step
    lossAtWeights = w.step === step ? loss : null
    stats.weightsReceived++
    if (old) post({ tag: TAG, type: 'return', buffer: old }, [old])
  }
  const post = (m: ToWorker, transfer: ArrayBuffer[]) => endpoint.post(m, transfer)
  const onMessage = (m: FromWorker) => {
    if (failure || terminated) return
    switch (m.type) {
      case 'ready': {
        if (!sameLayout(m.layout, layout)) {
          fail(
            new Error(
              `${who}: the worker's model does not match this thread's: worker ${describeLayout(m.layout)}; here ${describeLayout(layout)} (does the worker run this spec's module?)`,
            ),
          )
          return
        }
        receive(m.weights)
        if (timer !== null) clearTimeout(timer)
        ready?.resolve(trainer)
        ready = null
        return
      }
      case 'step': {
        step = m.step
        loss = m.loss
        queued--
        if (m.weights) receive(m.weights)
        if (waiter && queued < maxQueued) {
          const w = waiter
          waiter = null
          w.resolve(undefined)
        }
        options.onStep?.({ step, loss })
        return
      }
      case 'weights':
        receive(m.weights)
        return
      case 'done': {
        const r = requests.get(m.id)
        requests.delete(m.id)
        if (m.error !== undefined) r?.reject(new Error(`${who}: ${m.error}`))
        else r?.resolve(m.result)
        return
      }
      case 'error': {
        const e = new Error(`${who}: the worker failed during ${m.during}: ${m.message}`)
        if (m.stack) e.stack = `${e.message}\n  in the worker:\n${m.stack}`
        fail(e)
        return
      }
    }
  }
  const endpoint: MainEndpoint = connectWorker(who, worker, onMessage, (e) =>
    fail(new Error(`${who}: ${e.message}`, { cause: e })),
  )
  const request = (type: 'flush' | 'save' | 'load', saved?: SavedTraining): Promise<unknown> => {
    const e = stopped()
    if (e) return Promise.reject(e)
    const id = nextId++
    return new Promise((resolve, reject) => {
      requests.set(id, { resolve, reject })
      post(type === 'load' ? { tag: TAG, type, id, saved } : { tag: TAG, type, id }, [])
    })
  }

  const trainer: Trainer<M> = {
    model,
    inWorker: true,
    get step() {
      return step
    },
    get loss() {
      return loss
    },
    get queued() {
      return queued
    },
    get canTrain() {
      const e = stopped()
      if (e) throw e
      return queued < maxQueued
    },
    get error() {
      return failure
    },
    stats,
    async train(batch: TrainingBatch) {
      let e = stopped()
      if (e) throw e
      const packed = packBatch(`${who}: train`, batch)
      if (queued >= maxQueued) {
        if (waiter) {
          throw new Error(
            `${who}: train() was called while another train() is still waiting for room (${queued} of maxQueued ${maxQueued} batches queued); await each train(), or check canTrain first`,
          )
        }
        await new Promise((resolve, reject) => (waiter = { resolve, reject }))
        e = stopped()
        if (e) throw e
      }
      let bytes = 0
      for (const a of packed.arrays) bytes += a.data.byteLength
      post({ tag: TAG, type: 'train', arrays: packed.arrays }, packed.transfer)
      queued++
      sent++
      stats.copiedBytes += packed.copiedBytes
      stats.movedBytes += bytes - packed.copiedBytes
      return sent
    },
    latest() {
      return { step: weightsStep, loss: lossAtWeights, weights: new Float32Array(held!) }
    },
    async flush(): Promise<StepInfo> {
      const s = (await request('flush')) as number
      return { step: s, loss: s === step ? loss : null }
    },
    async save() {
      return (await request('save')) as SavedTraining
    },
    async load(saved: SavedTraining) {
      const s = (await request('load', saved)) as number
      step = s
      loss = null
    },
    async terminate() {
      if (terminated) return
      const wasFailed = failure !== null
      terminated = true
      rejectAll(new Error(`${who}: the trainer was terminated`))
      if (!wasFailed) await endpoint.close()
    },
  }

  return new Promise<Trainer<M>>((resolve, reject) => {
    ready = { resolve: resolve as (v: unknown) => void, reject }
    const ms = options.startTimeoutMs ?? 60_000
    timer = setTimeout(
      () =>
        fail(
          new Error(
            `${who}: the worker did not answer within ${ms} ms: does its module call defineTraining() with this spec?`,
          ),
        ),
      ms,
    )
    post({ tag: TAG, type: 'init', name: spec.name ?? null }, [])
  })
}
