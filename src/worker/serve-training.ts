/**
 * The worker's side of training: builds the model and the learner of the spec the main thread
 * asks for, takes one learning step per batch, and publishes the weights.
 *
 * Publishing. The worker owns two weight buffers. After a step, if one is free, it packs the
 * weights into it and moves it to the main thread with the step's report. The main thread then
 * points its model at that buffer and moves the one it held before back. If no buffer is free
 * (the main thread has not handed one back yet, e.g. it is busy), the worker does not wait: it
 * trains on and publishes when a buffer comes back. Each publication is one copy of the weights
 * inside the worker (a typed-array `set`) and no copy in transit.
 *
 * Messages are handled one at a time, in the order they were sent; after an error the worker
 * reports it once and ignores everything else (the main thread fails the trainer).
 */
import { Random, seed as seedGlobal } from '../random.js'
import type { Module } from '../nn/module.js'
import { unpackBatch } from './batch.js'
import type { WorkerEndpoint } from './endpoint.js'
import { TAG, type FromWorker, type ToWorker, type WeightLayout, type WeightsDelivery } from './protocol.js'
import { supervisedLearner } from './supervised-learner.js'
import {
  checkSaved,
  SAVED_FORMAT,
  SAVED_VERSION,
  specName,
  type Learner,
  type SavedTraining,
  type TrainingSpec,
} from './training-spec.js'
import { layoutOf, packWeights } from './weights.js'

interface Session {
  spec: TrainingSpec<Module>
  model: Module
  learner: Learner
  layout: WeightLayout
  /** Weight buffers the worker holds (0, 1 or 2). */
  free: ArrayBuffer[]
  /** Steps taken. */
  step: number
  /** Whether the weights changed since they were last published. */
  dirty: boolean
  /** Requests (flush, load) answered once the newest weights have been published. */
  waiting: { id: number; result: unknown }[]
}

/** Picks the spec the main thread named (or the only one). */
function pickSpec(specs: readonly TrainingSpec<Module>[], name: string | null): TrainingSpec<Module> {
  const names = specs.map(specName).join(', ')
  if (name === null) {
    if (specs.length !== 1)
      throw new Error(`this worker defines ${specs.length} training specs (${names}); give the spec a name`)
    return specs[0]
  }
  const found = specs.filter((s) => s.name === name)
  if (found.length !== 1)
    throw new Error(
      `this worker ${found.length ? 'defines two' : 'does not define a'} training spec named '${name}' (it defines ${names || 'none'})`,
    )
  return found[0]
}

/** Answers the main thread on `endpoint` with the given specs (called by defineTraining). */
export function serveTraining(endpoint: WorkerEndpoint, specs: readonly TrainingSpec<Module>[]): void {
  let session: Session | null = null
  let failed = false
  let during = 'init'
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => endpoint.post(m, transfer)

  /** Packs the weights into a free buffer, if there is one. */
  const publish = (s: Session): WeightsDelivery | null => {
    const buffer = s.free.pop()
    if (!buffer) return null
    packWeights(s.model, buffer)
    s.dirty = false
    return { step: s.step, buffer }
  }
  /** Publishes if needed and possible, then answers what was waiting for it. */
  const settle = (s: Session) => {
    if (s.dirty) {
      const w = publish(s)
      if (!w) return
      post({ tag: TAG, type: 'weights', weights: w }, [w.buffer])
    }
    for (const { id, result } of s.waiting.splice(0)) post({ tag: TAG, type: 'done', id, result })
  }

  const handle = (m: ToWorker) => {
    if (m.type === 'init') {
      during = 'init'
      if (session) throw new Error('init received twice')
      const spec = pickSpec(specs, m.name)
      const seed = spec.seed ?? 0
      seedGlobal(seed)
      const model = spec.model(new Random(seed))
      const learner = spec.learner ? spec.learner(model) : supervisedLearner(spec, model)
      const layout = layoutOf(`training '${specName(spec)}'`, model)
      session = {
        spec,
        model,
        learner,
        layout,
        free: [new ArrayBuffer(4 * layout.size), new ArrayBuffer(4 * layout.size)],
        step: 0,
        dirty: true,
        waiting: [],
      }
      const weights = publish(session)!
      post({ tag: TAG, type: 'ready', name: specName(spec), layout, weights }, [weights.buffer])
      return
    }
    const s = session
    if (!s) throw new Error(`'${m.type}' arrived before 'init'`)
    switch (m.type) {
      case 'train': {
        during = `step ${s.step + 1}`
        const loss = s.learner.learn(unpackBatch(m.arrays))
        if (loss !== null && typeof loss !== 'number')
          throw new Error(`the learner's learn() must return a number or null, got ${typeof loss}`)
        s.step++
        s.dirty = true
        const weights = publish(s)
        post({ tag: TAG, type: 'step', step: s.step, loss, weights }, weights ? [weights.buffer] : [])
        return
      }
      case 'return': {
        during = 'a weight buffer coming back'
        if (!(m.buffer instanceof ArrayBuffer) || m.buffer.byteLength !== 4 * s.layout.size || s.free.length >= 2) {
          throw new Error(
            `a returned weight buffer does not fit (${m.buffer?.byteLength} bytes, expected ${4 * s.layout.size}; ${s.free.length} held)`,
          )
        }
        s.free.push(m.buffer)
        settle(s)
        return
      }
      case 'flush':
        s.waiting.push({ id: m.id, result: s.step })
        settle(s)
        return
      case 'save': {
        // A save or load that fails fails only that request: the learner changes nothing then.
        let saved: SavedTraining
        try {
          saved = {
            format: SAVED_FORMAT,
            version: SAVED_VERSION,
            name: specName(s.spec),
            step: s.step,
            learner: s.learner.save(),
          }
        } catch (e) {
          post({ tag: TAG, type: 'done', id: m.id, result: null, error: (e as Error).message ?? String(e) })
          return
        }
        post({ tag: TAG, type: 'done', id: m.id, result: saved })
        return
      }
      case 'load': {
        try {
          const saved = checkSaved('load', m.saved, specName(s.spec))
          s.learner.load(saved.learner)
          s.step = saved.step
        } catch (e) {
          post({ tag: TAG, type: 'done', id: m.id, result: null, error: (e as Error).message ?? String(e) })
          return
        }
        s.dirty = true
        s.waiting.push({ id: m.id, result: s.step })
        settle(s)
        return
      }
    }
  }

  endpoint.onMessage((m) => {
    if (failed) return
    try {
      handle(m)
    } catch (e) {
      failed = true
      const err = e instanceof Error ? e : new Error(String(e))
      post({ tag: TAG, type: 'error', message: err.message, stack: err.stack ?? null, during })
    }
  })
}
