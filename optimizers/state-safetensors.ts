/**
 * Optimizer state as a safetensors file: the same content and the same guarantees as
 * `saveState`/`loadState` (state-io.ts), in the format PyTorch, JAX and NumPy read.
 *
 * Tensors (all F32, 1-D, flat in the order of the parameter tree's leaves):
 *     x              the parameters
 *     m, v, …        the optimizer's per-element slots (Adam's moments, …)
 *     extra.<name>   non-elementwise state (SM3's per-axis accumulators)
 * Metadata (strings; JSON text where the value is not a plain string):
 *     format "tapegrad.optimizer-state", version "1", optimizer "adam", step "20", size "10",
 *     hyper '{"stepSize":0.001,"b1":0.9,…}', tree (the tree structure), paths '["w","b"]',
 *     checksum "1a2b3c4d" (CRC-32 of the content, as in the JSON state; checked when present)
 *
 * Loading turns the file back into what `saveState` returns and hands it to `loadState`, so
 * every check of the JSON path applies unchanged — format, version, optimizer, hyper-parameters,
 * schedules by their values, step, tree, array names and sizes, non-finite values — and nothing
 * is written before all of them pass. A resumed run continues bit-identically (the float32 bits
 * are stored as they are).
 *
 * Why two functions and not a `format` option on saveState: saveState returns a JSON-safe object
 * and this returns bytes; one function whose return type depended on an option would be harder to
 * read and to type.
 */
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors.js'
import { describeValue } from '../src/describe-value.js'
import { Tensor } from '../src/tensor.js'
import type { Tree } from '../src/tree.js'
import type { Optimizer, OptState } from './optimizer.js'
import { loadState, saveState, STATE_FORMAT, type SavedState } from './state-io.js'
import { encodeFloat32 } from '../src/byte-codec.js'

/** The metadata keys whose values are JSON text (the others are plain strings). */
const JSON_KEYS = ['version', 'step', 'size', 'hyper', 'tree', 'paths'] as const

/**
 * The state as the bytes of a safetensors file (layout in the comment at the top of this file).
 * `opt`, when given, must be the optimizer that made the state; its hyper-parameters are
 * recorded (as `saveState(state, opt)`).
 *
 * @example
 * import { zeros, ones, loadSafetensors } from 'tapegrad'
 * import { adam, saveStateSafetensors, loadStateSafetensors } from 'tapegrad/optimizers'
 *
 * const opt = adam(1e-3)
 * let state = opt.init({ w: zeros([2, 3]) })
 * state = opt.update(0, { w: ones([2, 3]) }, state)
 * const bytes = saveStateSafetensors(state)
 * loadSafetensors(bytes).metadata.optimizer          // 'adam'
 * loadStateSafetensors(bytes, adam(1e-3)).step       // 1
 * // Python: safetensors.numpy.load_file('opt.safetensors')['m'] is Adam's first moment
 */
export function saveStateSafetensors(state: OptState, opt?: Optimizer): Uint8Array {
  const saved = saveState(state, opt) // its checks, and the hyper-parameters encoded as for JSON
  const flat = (a: Float32Array) => new Tensor(a, [a.length])
  const tensors: Record<string, Tensor> = { x: flat(state.params) }
  for (const k of Object.keys(saved.arrays)) if (k !== 'x') tensors[k] = flat(state.slots[k])
  for (const k of Object.keys(saved.extra)) tensors[`extra.${k}`] = flat(state.extra[k])
  const metadata: Record<string, string> = { format: saved.format, optimizer: saved.optimizer }
  for (const k of JSON_KEYS) metadata[k] = JSON.stringify(saved[k])
  if (saved.checksum !== undefined) metadata.checksum = saved.checksum // covers the tensors' bytes too
  return saveSafetensors(tensors, metadata)
}

// loadState's signature on purpose: this decodes the file and hands it to loadState.
/**
 * Restores a state saved by {@link saveStateSafetensors}: as `loadState(json, opt, into)`, from
 * the file's bytes. `opt` must come from the same factory call as the optimizer that saved it;
 * with `into` the values are written into that state in place (for a trainer made by `attach`:
 * `loadStateSafetensors(bytes, train.optimizer, train.state)`). Everything is validated first;
 * on any error nothing is changed.
 *
 * @example
 * import * as fs from 'node:fs'
 * import * as os from 'node:os'
 * import * as path from 'node:path'
 * import { zeros } from 'tapegrad'
 * import { adam, saveStateSafetensors, loadStateSafetensors } from 'tapegrad/optimizers'
 *
 * const file = path.join(os.tmpdir(), 'opt.safetensors')
 * fs.writeFileSync(file, saveStateSafetensors(adam(1e-3).init({ w: zeros([2, 3]) })))
 * const state = loadStateSafetensors(fs.readFileSync(file), adam(1e-3))
 * state.size   // 6
 */
export function loadStateSafetensors<T extends Tree = Tree>(
  // loadState's parameters (state-io.ts) with bytes for the JSON: either loader fits the same call.
  bytes: Uint8Array | ArrayBuffer,
  opt: Optimizer,
  into?: OptState<T>,
): OptState<T> {
  const who = 'loadStateSafetensors'
  let file: ReturnType<typeof loadSafetensors>
  try {
    file = loadSafetensors(bytes)
  } catch (e) {
    throw new Error(`${who}: ${(e as Error).message.replace(/^loadSafetensors: /, '')}`, { cause: e })
  }
  const { tensors, metadata } = file
  if (metadata.format !== STATE_FORMAT) {
    const found = describe(metadata.format)
    throw new Error(`${who}: not a tapegrad optimizer state (metadata format ${found}, expected '${STATE_FORMAT}')`)
  }
  const saved: Record<string, unknown> = {
    format: metadata.format,
    optimizer: metadata.optimizer,
    dtype: 'float32',
    encoding: 'base64-le',
  }
  for (const k of JSON_KEYS) {
    if (!Object.hasOwn(metadata, k)) throw new Error(`${who}: the metadata has no '${k}'`)
    try {
      saved[k] = JSON.parse(metadata[k])
    } catch (e) {
      throw new Error(`${who}: metadata '${k}' is not valid JSON: ${(e as Error).message}`, { cause: e })
    }
  }
  const arrays: Record<string, string> = {}
  const extra: Record<string, { length: number; data: string }> = {}
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t.data instanceof Float32Array) || t.ndim !== 1) {
      const got = `${t.dtype} of shape [${t.shape.join(',')}]`
      throw new Error(`${who}: tensor '${name}' must be a flat F32 array, got ${got}`)
    }
    const data = encodeFloat32(t.data)
    if (name.startsWith('extra.')) extra[name.slice('extra.'.length)] = { length: t.size, data }
    else arrays[name] = data
  }
  saved.arrays = arrays
  saved.extra = extra
  if (Object.hasOwn(metadata, 'checksum')) saved.checksum = metadata.checksum
  try {
    return loadState(saved as unknown as SavedState, opt, into)
  } catch (e) {
    // loadState's checks are ours too; only the name of the function that failed changes.
    throw new Error((e as Error).message.replace(/^loadState: /, `${who}: `), { cause: e })
  }
}

function describe(x: unknown): string {
  return typeof x === 'string' ? `'${x}'` : describeValue(x)
}
