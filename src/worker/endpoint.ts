/**
 * The one file that knows both platforms: a browser Web Worker (`new Worker(url, { type:
 * 'module' })`, messages through `addEventListener`) and a Node `worker_threads` Worker (an
 * EventEmitter, messages through `on`). Everything else in src/worker talks to the plain
 * interfaces below, so the protocol is written once.
 *
 * Node's module is reached through `process.getBuiltinModule` (Node ≥ 20.16) rather than an
 * `import` statement, so that a browser bundle of tapegrad contains no reference to a Node module
 * and needs no bundler configuration.
 */
import type * as WorkerThreads from 'node:worker_threads'
import { isOurs, WORKER_DATA, type FromWorker, type ToWorker } from './protocol.js'

/**
 * What a browser `Worker` and a Node `worker_threads.Worker` have in common, as far as the
 * trainer uses them (structural, so that no DOM type is needed to type-check in Node).
 */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: any): void
  terminate(): unknown
  /** Browser workers. */
  addEventListener?(type: string, listener: (event: any) => void): void
  /** Node workers. */
  on?(event: string, listener: (...args: any[]) => void): unknown
}

/** Options passed on to Node's `new Worker(url, options)` (not `workerData`: the trainer sets it). */
export type NodeWorkerOptions = Omit<WorkerThreads.WorkerOptions, 'workerData'>

/** The main thread's side of the channel. */
export interface MainEndpoint {
  post(message: ToWorker, transfer: ArrayBuffer[]): void
  /** Terminates the worker; resolves when it is gone. */
  close(): Promise<void>
}

/** The worker's side of the channel. */
export interface WorkerEndpoint {
  post(message: FromWorker, transfer: ArrayBuffer[]): void
  onMessage(handler: (message: ToWorker) => void): void
}

interface NodeProcess {
  versions?: { node?: string }
  execArgv?: string[]
  getBuiltinModule?: (id: string) => unknown
}

/** `args` without `--input-type=…` / `--input-type …`. */
function withoutInputType(args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--input-type') i++
    else if (!args[i].startsWith('--input-type=')) out.push(args[i])
  }
  return out
}

function nodeProcess(): NodeProcess | null {
  const p = (globalThis as { process?: NodeProcess }).process
  return p && p.versions && typeof p.versions.node === 'string' ? p : null
}

/** Node's worker_threads, or null outside Node. Throws on a Node too old to hand it out. */
function workerThreads(who: string): typeof WorkerThreads | null {
  const p = nodeProcess()
  if (!p) return null
  if (typeof p.getBuiltinModule !== 'function') {
    throw new Error(
      `${who}: training workers in Node need process.getBuiltinModule (Node ≥ 20.16), this is Node ${p.versions!.node}`,
    )
  }
  return p.getBuiltinModule('node:worker_threads') as typeof WorkerThreads
}

/**
 * Starts a worker running the module at `url`: a module Web Worker in the browser, a
 * worker_threads Worker in Node (marked through `workerData` as a training worker).
 */
export function createWorker(who: string, url: string | URL, nodeOptions: NodeWorkerOptions = {}): WorkerLike {
  const wt = workerThreads(who)
  if (wt) {
    if ('workerData' in (nodeOptions as object))
      throw new Error(
        `${who}: workerOptions.workerData is set by the trainer; pass data to your worker through argv or env`,
      )
    const target = typeof url === 'string' && /^file:/.test(url) ? new URL(url) : url
    // A worker inherits this process's execArgv unless told otherwise; `--input-type` (as in
    // `node --input-type=module -e …`) is only valid for string input and would make it fail.
    const execArgv = nodeOptions.execArgv ?? withoutInputType(nodeProcess()!.execArgv ?? [])
    return new wt.Worker(target, { ...nodeOptions, execArgv, workerData: WORKER_DATA }) as unknown as WorkerLike
  }
  const BrowserWorker = (globalThis as { Worker?: new (url: string | URL, options: object) => WorkerLike }).Worker
  if (typeof BrowserWorker !== 'function')
    throw new Error(`${who}: this environment has neither Web Workers nor Node's worker_threads`)
  return new BrowserWorker(url, { type: 'module', name: 'tapegrad-training' })
}

/**
 * Listens to `worker` (browser or Node) and returns the main side of the channel. `failure` is
 * called once with an Error when the worker cannot go on: an uncaught error or a failed script
 * load, a message that could not be read, or (Node) an exit that `close()` did not ask for.
 */
export function connectWorker(
  who: string,
  worker: WorkerLike,
  message: (m: FromWorker) => void,
  failure: (e: Error) => void,
): MainEndpoint {
  let closing = false
  const onMessage = (data: unknown) => {
    if (isOurs(data)) message(data as FromWorker)
  }
  if (typeof worker.on === 'function') {
    worker.on('message', onMessage)
    worker.on('error', (e: unknown) => failure(e instanceof Error ? e : new Error(String(e))))
    worker.on('messageerror', (e: unknown) =>
      failure(new Error(`a message from the worker could not be read: ${String(e)}`)),
    )
    worker.on('exit', (code: number) => {
      if (!closing) failure(new Error(`the worker exited with code ${code}`))
    })
  } else if (typeof worker.addEventListener === 'function') {
    worker.addEventListener('message', (e: { data: unknown }) => onMessage(e.data))
    worker.addEventListener('error', (e: { message?: string; filename?: string; lineno?: number }) => {
      // A script that fails to load or parse reports an ErrorEvent with an empty message.
      const where = e.filename ? ` (${e.filename}:${e.lineno ?? '?'})` : ''
      failure(new Error(`${e.message || 'the worker script failed to load or threw while loading'}${where}`))
    })
    worker.addEventListener('messageerror', () =>
      failure(new Error('a message from the worker could not be read (messageerror)')),
    )
  } else {
    throw new Error(
      `${who}: expected a Worker (a browser Worker or a Node worker_threads Worker), got an object without on/addEventListener`,
    )
  }
  return {
    post(m, transfer) {
      worker.postMessage(m, transfer)
    },
    async close() {
      closing = true
      await worker.terminate()
    },
  }
}

/**
 * The worker side of the channel when this code runs in a training worker: a Node worker that
 * `createWorker` marked, or any dedicated Web Worker; null elsewhere (the main thread, a Node
 * worker started for something else).
 */
export function workerSelf(): WorkerEndpoint | null {
  const wt = workerThreads('defineTraining')
  if (wt) {
    const port = wt.parentPort
    const data = wt.workerData as { tapegradTrainingWorker?: unknown } | null | undefined
    if (wt.isMainThread || !port || !data || data.tapegradTrainingWorker !== WORKER_DATA.tapegradTrainingWorker)
      return null
    return {
      post: (m, transfer) => port.postMessage(m, transfer),
      onMessage: (h) => port.on('message', (m: unknown) => isOurs(m) && h(m as ToWorker)),
    }
  }
  const g = globalThis as { DedicatedWorkerGlobalScope?: new () => unknown } & Partial<WorkerLike>
  if (typeof g.DedicatedWorkerGlobalScope !== 'function' || !(globalThis instanceof g.DedicatedWorkerGlobalScope))
    return null
  return {
    post: (m, transfer) => g.postMessage!(m, transfer),
    onMessage: (h) => g.addEventListener!('message', (e: { data: unknown }) => isOurs(e.data) && h(e.data as ToWorker)),
  }
}
