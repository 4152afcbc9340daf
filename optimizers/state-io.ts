/**
 * Saving and loading optimizer state, so that training can stop and resume exactly.
 *
 * `saveState(state)` returns a versioned, JSON-safe object: the optimizer's name and
 * hyper-parameters, the step count, the tree structure, and every flat array (parameters, slots,
 * extra state) as base64 of its little-endian float32 bytes (4 bytes per number, ~5.3 characters
 * in JSON, against ~10–12 for decimal text; and exact: the bits come back as they were saved).
 *
 * Schedules are functions and cannot be saved. So loading takes the optimizer too —
 * `loadState(json, adam(1e-3))` — made by the same factory call as the one that saved, and
 * checks it: same name, same numeric hyper-parameters, and a schedule that gives the same step
 * sizes as the saved one at the saved sample points (0, 1, 10, 100, 1000 and around the saved
 * step). Because every scalar of a step is a function of the step index, a loaded state then
 * continues bit-identically: 20 steps, save, load in a fresh process, 20 more steps gives the
 * same bits as 40 steps in one go.
 *
 * `loadState` validates everything before it changes anything — format, version, optimizer,
 * hyper-parameters, step, tree structure, array names, sizes, truncated or malformed base64,
 * non-finite values, and the CRC-32 checksum of the content — and throws an error that says what
 * was expected and what was found. The checksum is what catches damage that leaves a valid state
 * (a flipped bit inside an array's base64, a changed digit of the step): JSON text cannot tell
 * those from values.
 */
import type { Tree, TreeDef } from '../src/tree.js'
import { describeTree, sameTreeDef } from '../src/tree.js'
import { sizeOf } from '../src/nd.js'
import type { HyperValue } from './hyper-parameters.js'
import type { LeafInfo, OptState } from './opt-state.js'
import type { OptimizerCore } from './optimizer-core.js'
import { describeValue } from '../src/describe-value.js'
import { crc32 } from './crc32.js'
import { decodeFloat32, encodeFloat32 } from '../src/byte-codec.js'

/** The `format` field of every saved state. */
export const STATE_FORMAT = 'tapegrad.optimizer-state'
/** The version this code writes and reads. */
export const STATE_VERSION = 1

/** A hyper-parameter as saved: numbers, flags and strings as they are; a schedule as samples. */
export type SavedHyper =
  | number
  | boolean
  | string
  | null
  | { nonFinite: 'NaN' | 'Infinity' | '-Infinity' }
  | { schedule: string; samples: [number, number][] }

/** What `saveState` returns: plain data, safe for `JSON.stringify`. */
export interface SavedState {
  /** Always STATE_FORMAT: marks the object as a tapegrad optimizer state. */
  format: typeof STATE_FORMAT
  /** STATE_VERSION of the writer; loadState reads only its own version. */
  version: number
  /** Name of the optimizer ('adam', …). */
  optimizer: string
  /** Hyper-parameters with defaults filled in. */
  hyper: Record<string, SavedHyper>
  /** Number of updates applied: the `i` of the next update. */
  step: number
  /** The structure of the parameter tree (see src/tree.ts). */
  tree: TreeDef
  /** Dotted path of every leaf, in order (informative). */
  paths: string[]
  /** Total number of parameters. */
  size: number
  /** Element type of every array. */
  dtype: 'float32'
  /** How arrays are encoded: base64 of little-endian bytes. */
  encoding: 'base64-le'
  /** 'x' (parameters) and each slot: `size` float32 numbers each. */
  arrays: Record<string, string>
  /** Non-elementwise state (SM3), with its lengths. */
  extra: Record<string, { length: number; data: string }>
  /**
   * CRC-32 (8 hex digits) of the step, tree, paths, arrays and extra state: what loading writes
   * without checking it against the optimizer. Checked when present (states saved before it
   * existed have none); a state edited by hand on purpose loads once this field is deleted.
   */
  checksum?: string
}

// ---------------------------------------------------------------------------------------------
// Hyper-parameters

function scheduleSamples(step: number): number[] {
  const pts = new Set([0, 1, 10, 100, 1000, Math.max(0, step - 1), step, step + 1])
  return [...pts].sort((a, b) => a - b)
}

function encodeHyper(v: HyperValue, step: number): SavedHyper {
  if (typeof v === 'function') {
    return {
      schedule: v.name || 'anonymous',
      samples: scheduleSamples(step).map((i) => [i, encodeNumber(v(i))]) as [number, number][],
    }
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : { nonFinite: String(v) as 'NaN' }
  return v
}

function encodeNumber(x: number): number {
  // A schedule value that is not finite cannot be a JSON number; NaN never equals anything anyway.
  return Number.isFinite(x) ? x : (String(x) as unknown as number)
}

function showHyper(v: unknown): string {
  const s = v as { schedule?: unknown; samples?: unknown }
  if (s && typeof s === 'object' && typeof s.schedule === 'string' && Array.isArray(s.samples)) {
    const samples = s.samples.slice(0, 10).map((p) => (Array.isArray(p) ? `${shown(p[0])}: ${shown(p[1])}` : shown(p)))
    return `schedule '${s.schedule.slice(0, 40)}' (${samples.join(', ')}${s.samples.length > 10 ? ', …' : ''})`
  }
  return shown(v)
}

/** A value as JSON, for messages: cut at 60 characters; what JSON cannot write, described. */
function shown(v: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(v) // throws on cycles and BigInt, RangeError on very deep nesting
  } catch {
    text = undefined
  }
  if (text === undefined) return describeValue(v)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

/** Whether two values write the same JSON (false when one cannot be written). */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

/** Names for a message: the first ten, each cut at 40 characters. */
function list(names: readonly string[]): string {
  const shownNames = names.slice(0, 10).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n))
  return shownNames.join(', ') + (names.length > 10 ? `, … (${names.length} in all)` : '')
}

/** Own keys only: a saved object's '__proto__' or 'constructor' must not match inherited ones. */
function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key)
}

/** Differences between saved hyper-parameters and those of `opt`, one line each. */
function hyperDifferences(saved: Record<string, unknown>, opt: OptimizerCore, step: number): string[] {
  const diffs: string[] = []
  const mine = opt.hyper
  for (const k of Object.keys(mine)) {
    if (!has(saved, k)) {
      diffs.push(`'${k}' is missing from the saved state (this optimizer has ${showHyper(encodeHyper(mine[k], step))})`)
      continue
    }
    const s = saved[k]
    const v = mine[k]
    if (typeof v === 'function') {
      if (!s || typeof s !== 'object' || !Array.isArray((s as { samples?: unknown }).samples)) {
        diffs.push(`'${k}': saved ${showHyper(s)}, this optimizer has a schedule`)
        continue
      }
      const samples = (s as { samples: unknown[] }).samples
      for (const p of samples) {
        if (!Array.isArray(p) || p.length !== 2 || !Number.isSafeInteger(p[0]) || p[0] < 0) {
          diffs.push(`'${k}': malformed schedule sample ${shown(p)}`)
          break
        }
        const mineAt = encodeNumber(v(p[0]))
        if (!Object.is(mineAt, p[1])) {
          diffs.push(`'${k}': the saved schedule gives ${p[1]} at step ${p[0]}, this optimizer's gives ${mineAt}`)
          break
        }
      }
    } else {
      const enc = encodeHyper(v, step)
      if (!sameJson(enc, s)) diffs.push(`'${k}': saved ${showHyper(s)}, this optimizer has ${showHyper(enc)}`)
    }
  }
  for (const k of Object.keys(saved)) {
    if (!has(mine, k)) {
      diffs.push(`'${k.slice(0, 40)}' (saved ${showHyper(saved[k])}) is not a hyper-parameter of this optimizer`)
    }
  }
  return diffs
}

// ---------------------------------------------------------------------------------------------
// Save

/**
 * The state as a versioned, JSON-safe object (see the module comment for the format).
 *
 * @example
 * import { writeFileSync, readFileSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import { tensor, grad, type Tensor } from 'tapegrad'
 * import { adam, saveState, loadState } from 'tapegrad/optimizers'
 *
 * const lossGrad = grad((p: { w: Tensor }) => p.w.square().sum())
 * const opt = adam(1e-3)
 * let state = opt.init({ w: tensor([1, -2]) })
 * for (let i = 0; i < 20; i++) state = opt.update(i, lossGrad(opt.getParams(state)), state)
 * const file = join(tmpdir(), 'opt.json')
 * writeFileSync(file, JSON.stringify(saveState(state, opt)))
 * // later, in another process:
 * state = loadState(readFileSync(file, 'utf8'), adam(1e-3))
 * state.step                          // 20
 * opt.getParams(state).w.toArray()    // [0.98, -1.98]
 */
export function saveState(state: OptState, opt?: OptimizerCore): SavedState {
  if (!state || !(state.params instanceof Float32Array) || !state.def)
    throw new Error(`saveState: expected an optimizer state (from init or loadState), got ${describe(state)}`)
  if (opt && opt.name !== state.optimizer)
    throw new Error(`saveState: the state was made by '${state.optimizer}', not '${opt.name}'`)
  const hyperSource = opt ? opt.hyper : state.hyper
  const hyper: Record<string, SavedHyper> = {}
  for (const [k, v] of Object.entries(hyperSource)) hyper[k] = encodeHyper(v, state.step)
  const arrays: Record<string, string> = { x: encodeFloat32(state.params) }
  for (const [k, a] of Object.entries(state.slots)) arrays[k] = encodeFloat32(a)
  const extra: Record<string, { length: number; data: string }> = {}
  for (const [k, a] of Object.entries(state.extra)) extra[k] = { length: a.length, data: encodeFloat32(a) }
  const saved: SavedState = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    optimizer: state.optimizer,
    hyper,
    step: state.step,
    tree: JSON.parse(JSON.stringify(state.def)),
    paths: state.leaves.map((l) => l.path),
    size: state.size,
    dtype: 'float32',
    encoding: 'base64-le',
    arrays,
    extra,
  }
  saved.checksum = checksumOf(saved)
  return saved
}

/**
 * The CRC-32 of what loading writes without checking it against the optimizer: the step, the
 * tree, the paths, and the arrays and extra state as their base64 text (names sorted, so that
 * the order of the keys in a file does not matter). The header fields are checked by value.
 */
function checksumOf(s: Partial<SavedState>): string {
  const arrays = (s.arrays ?? {}) as Record<string, unknown>
  const extra = (s.extra ?? {}) as Record<string, { length?: unknown; data?: unknown }>
  const parts = [`step ${s.step}`, `tree ${json(s.tree)}`, `paths ${json(s.paths)}`]
  for (const k of Object.keys(arrays).sort()) parts.push(`array ${k} ${String(arrays[k])}`)
  for (const k of Object.keys(extra).sort())
    parts.push(`extra ${k} ${String(extra[k].length)} ${String(extra[k].data)}`)
  return crc32(parts.join('\n'))
}

/** JSON text of a value, or a marker where JSON cannot write it (then no checksum matches). */
function json(v: unknown): string {
  try {
    return String(JSON.stringify(v))
  } catch {
    return '(not JSON)'
  }
}

// ---------------------------------------------------------------------------------------------
// Load

/** As describeValue, with strings quoted (and cut at 40 characters): saved states are text. */
function describe(x: unknown): string {
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x)}`
  return describeValue(x)
}

/** Deeper trees than this are refused (a real parameter tree is a few levels deep; the tree
 *  functions recurse, so a crafted file must not be able to overflow the stack). */
const MAX_TREE_DEPTH = 100

/** Checks that `d` is a well-formed TreeDef (it came from JSON) and returns its leaf shapes. */
function checkTreeDef(who: string, d: unknown, at: string, shapes: number[][], depth = 0): void {
  const where = at ? ` at '${at.slice(0, 80)}'` : ''
  if (!d || typeof d !== 'object') throw new Error(`${who}: tree${where} must be an object, got ${describe(d)}`)
  if (depth > MAX_TREE_DEPTH) throw new Error(`${who}: tree${where} is nested deeper than ${MAX_TREE_DEPTH} levels`)
  const node = d as { kind?: unknown; shape?: unknown; children?: unknown; keys?: unknown }
  if (node.kind === 'leaf') {
    if (!Array.isArray(node.shape) || node.shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      throw new Error(`${who}: tree leaf${where} must have a shape of non-negative integers, got ${shown(node.shape)}`)
    }
    shapes.push(node.shape as number[])
    return
  }
  if (node.kind !== 'array' && node.kind !== 'object') {
    throw new Error(`${who}: tree node${where} has kind ${shown(node.kind)}, expected 'leaf', 'array' or 'object'`)
  }
  const { children, keys } = node
  if (!Array.isArray(children)) throw new Error(`${who}: tree node${where} has no children array`)
  const named = node.kind === 'object'
  if (named && (!Array.isArray(keys) || keys.length !== children.length || keys.some((k) => typeof k !== 'string'))) {
    throw new Error(`${who}: tree object${where} must have one string key per child`)
  }
  for (let k = 0; k < children.length; k++) {
    const name = named ? (keys as string[])[k] : String(k)
    checkTreeDef(who, children[k], at ? `${at}.${name}` : name, shapes, depth + 1)
  }
}

/**
 * Restores a state saved by {@link saveState}. `opt` must come from the same factory call as
 * the optimizer that saved it (schedules cannot be saved; they are checked by sampling). With
 * `into`, the values are written into that existing state in place (its tree must match) — the
 * tensors attached to it see them; otherwise a fresh state is returned.
 *
 * Everything is validated first; on any error nothing is changed.
 *
 * @example
 * import { tensor, type Tensor } from 'tapegrad'
 * import { adam, saveState, loadState } from 'tapegrad/optimizers'
 *
 * const text = JSON.stringify(saveState(adam(1e-3).init({ w: tensor([1, 2]) })))
 * const state = loadState<{ w: Tensor }>(JSON.parse(text), adam(1e-3))
 * const params = adam(1e-3).getParams(state)
 * params.w.toArray()                    // [1, 2]
 * loadState(text, adam(1e-2))           // throws the hyper-parameters of 'adam' differ from the saved ones
 */
export function loadState<T extends Tree = Tree>(
  // loadStateSafetensors (state-safetensors.ts) takes the same, with bytes for the JSON.
  json: SavedState | string,
  opt: OptimizerCore,
  into?: OptState<T>,
): OptState<T> {
  const who = 'loadState'
  checkOptimizer(who, opt)
  const saved = parseSaved(who, json)
  const step = checkHeader(who, saved, opt)
  checkHyper(who, saved, opt, step)
  const tree = readTree(who, saved)
  if (into) checkTargetTree(who, into, opt, tree)
  const arrays = readArrays(who, saved, opt, tree)
  const extra = readExtra(who, saved, opt, tree)
  if (into) checkTargetArrays(who, into, opt, tree, extra)
  checkChecksum(who, saved)
  // Everything is valid: only now write.
  const state = into ?? (opt.createState(tree.def, tree.paths) as OptState<T>)
  state.params.set(arrays.x)
  for (const k of opt.layout.slots) state.slots[k].set(arrays[k])
  for (const k of Object.keys(extra)) state.extra[k].set(extra[k])
  state.step = step
  for (const t of state.views) t.markModified() // see src/saved-values.ts
  return state
}

/** A checksum, when there is one, must be what the content gives (see `checksumOf`). */
function checkChecksum(who: string, s: Partial<SavedState>): void {
  if (!has(s, 'checksum')) return
  const given = s.checksum
  if (typeof given !== 'string' || !/^[0-9a-f]{8}$/.test(given)) {
    throw new Error(`${who}: checksum must be 8 hex digits (a CRC-32), got ${describe(given)}`)
  }
  const actual = checksumOf(s)
  if (given !== actual) {
    const fix = 'if it was edited on purpose, delete its "checksum" field'
    const what = `the state was changed or damaged after it was saved (${fix})`
    throw new Error(`${who}: the checksum ${given} does not match the content (${actual}): ${what}`)
  }
}

/** The tree a saved state describes: its structure, leaves and size. */
interface SavedTree {
  readonly def: TreeDef
  readonly paths: string[]
  readonly leaves: LeafInfo[]
  readonly size: number
}

function checkOptimizer(who: string, opt: OptimizerCore): void {
  if (!opt || typeof opt.update !== 'function' || typeof opt.createState !== 'function') {
    const which = 'made by the same call that saved the state (e.g. loadState(json, adam(1e-3)))'
    throw new Error(`${who}: pass the optimizer to load into, ${which}, got ${describe(opt)}`)
  }
}

/** The saved object, from JSON text or as given. */
function parseSaved(who: string, json: unknown): Partial<SavedState> & Record<string, unknown> {
  let obj = json
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json)
    } catch (e) {
      throw new Error(`${who}: the text is not valid JSON: ${(e as Error).message}`, { cause: e })
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`${who}: expected a saved state object, got ${describe(obj)}`)
  }
  const unknown = Object.keys(obj).filter((k) => !SAVED_FIELDS.has(k))
  if (unknown.length) {
    throw new Error(
      `${who}: unexpected field${unknown.length > 1 ? 's' : ''} ${list(unknown)} (a damaged or foreign file?)`,
    )
  }
  return obj as Partial<SavedState> & Record<string, unknown>
}

/** The fields of a saved state (SavedState): anything else means a damaged or foreign file. */
const SAVED_FIELDS = new Set([
  'format',
  'version',
  'optimizer',
  'hyper',
  'step',
  'tree',
  'paths',
  'size',
  'dtype',
  'encoding',
  'arrays',
  'extra',
  'checksum',
])

/** Format, version, optimizer, dtype and encoding; returns the saved step. */
function checkHeader(who: string, s: Partial<SavedState>, opt: OptimizerCore): number {
  if (s.format !== STATE_FORMAT) {
    throw new Error(`${who}: not a tapegrad optimizer state (format ${describe(s.format)}, expected '${STATE_FORMAT}')`)
  }
  if (s.version !== STATE_VERSION) {
    const readable = `this tapegrad reads version ${STATE_VERSION}`
    throw new Error(`${who}: unsupported state version ${describe(s.version)}; ${readable}`)
  }
  if (s.optimizer !== opt.name) {
    const name = typeof s.optimizer === 'string' ? `'${s.optimizer.slice(0, 40)}'` : describe(s.optimizer)
    const savedBy = `the state was saved by ${name}`
    throw new Error(`${who}: ${savedBy}, but it is being loaded into '${opt.name}'`)
  }
  if (!Number.isSafeInteger(s.step) || (s.step as number) < 0) {
    const big = Number.isInteger(s.step) && (s.step as number) > 0
    const unsafe = big ? ' (beyond 2⁵³, where integers are no longer exact)' : ''
    throw new Error(`${who}: step must be a non-negative integer, got ${describe(s.step)}${unsafe}`)
  }
  if (s.dtype !== 'float32') throw new Error(`${who}: dtype must be 'float32', got ${describe(s.dtype)}`)
  if (s.encoding !== 'base64-le') throw new Error(`${who}: encoding must be 'base64-le', got ${describe(s.encoding)}`)
  return s.step as number
}

/** The saved hyper-parameters must be this optimizer's (schedules compared by their samples). */
function checkHyper(who: string, s: Partial<SavedState>, opt: OptimizerCore, step: number): void {
  if (!s.hyper || typeof s.hyper !== 'object') {
    throw new Error(`${who}: hyper must be an object of hyper-parameters, got ${describe(s.hyper)}`)
  }
  const diffs = hyperDifferences(s.hyper as Record<string, unknown>, opt, step)
  if (diffs.length) {
    const differ = `the hyper-parameters of '${opt.name}' differ from the saved ones`
    const fix = '(make the optimizer with the same arguments)'
    throw new Error(`${who}: ${differ} ${fix}:\n  ${diffs.join('\n  ')}`)
  }
}

/** The saved tree: well-formed, its size as recorded; leaf paths where they are given. */
function readTree(who: string, s: Partial<SavedState>): SavedTree {
  const shapes: number[][] = []
  checkTreeDef(who, s.tree, '', shapes)
  const def = s.tree as TreeDef
  const size = shapes.reduce((a, sh) => a + sizeOf(sh), 0)
  if (s.size !== size) {
    throw new Error(`${who}: size is ${describe(s.size)} but the tree ${describeTree(def)} holds ${size} parameters`)
  }
  const given = s.paths
  const named = Array.isArray(given) && given.length === shapes.length && given.every((p) => typeof p === 'string')
  const paths = named ? (given as string[]) : shapes.map((_, k) => String(k))
  return { def, paths, leaves: pathsToLeaves(shapes, paths), size }
}

/** Loading in place: the target must be this optimizer's, with the saved tree's structure. */
function checkTargetTree(who: string, into: OptState, opt: OptimizerCore, tree: SavedTree): void {
  if (into.optimizer !== opt.name) {
    throw new Error(`${who}: the target state was made by '${into.optimizer}', not '${opt.name}'`)
  }
  if (!sameTreeDef(into.def, tree.def)) {
    const both = `  target ${describeTree(into.def)}\n  saved  ${describeTree(tree.def)}`
    throw new Error(`${who}: the saved tree does not have the structure of the target state:\n${both}`)
  }
}

/** Exactly 'x' and the slots, each `size` finite float32 numbers. */
function readArrays(who: string, s: Partial<SavedState>, opt: OptimizerCore, tree: SavedTree) {
  if (!s.arrays || typeof s.arrays !== 'object') {
    throw new Error(`${who}: arrays must be an object, got ${describe(s.arrays)}`)
  }
  const expected = ['x', ...opt.layout.slots]
  const found = Object.keys(s.arrays)
  const missing = expected.filter((k) => !found.includes(k))
  const unexpected = found.filter((k) => !expected.includes(k))
  if (missing.length || unexpected.length) {
    const needs = `'${opt.name}' with these options needs [${expected.join(', ')}]`
    throw new Error(
      `${who}: the saved arrays are [${list(found)}], ${needs}` +
        (missing.length ? ` (missing: ${missing.join(', ')})` : '') +
        (unexpected.length ? ` (unexpected: ${list(unexpected)})` : ''),
    )
  }
  const decoded: Record<string, Float32Array> = {}
  for (const k of expected) {
    const a = decodeFloat32(who, `array '${k}'`, (s.arrays as Record<string, unknown>)[k], tree.size)
    checkFinite(who, `array '${k}'`, a, tree.leaves)
    decoded[k] = a
  }
  return decoded
}

/** The extra (non-elementwise) arrays: exactly those the optimizer has, of their lengths for this tree. */
function readExtra(
  who: string,
  s: Partial<SavedState>,
  opt: OptimizerCore,
  tree: SavedTree,
): Record<string, Float32Array> {
  const sizes = opt.layout.extraSizes(tree.leaves)
  const given = (s.extra ?? {}) as Record<string, unknown>
  // A plain object, also from another realm (a worker's message, a vm context): its prototype is
  // that realm's Object.prototype, so compare the tag, which refuses arrays, Maps and Dates.
  if (given === null || typeof given !== 'object' || Object.prototype.toString.call(given) !== '[object Object]') {
    throw new Error(`${who}: extra must be an object of name → { length, data }, got ${describe(given)}`)
  }
  const names = Object.keys(sizes)
  const found = Object.keys(given)
  if (names.length !== found.length || names.some((n) => !found.includes(n))) {
    throw new Error(`${who}: the saved extra state is [${list(found)}], '${opt.name}' needs [${names.join(', ')}]`)
  }
  const decoded: Record<string, Float32Array> = {}
  for (const k of names) {
    const e = given[k] as { length?: unknown; data?: unknown }
    if (!e || typeof e !== 'object' || e.length !== sizes[k]) {
      throw new Error(`${who}: extra '${k}' must hold ${sizes[k]} numbers for this tree, got ${describe(e?.length)}`)
    }
    const a = decodeFloat32(who, `extra '${k}'`, e.data, sizes[k])
    checkFinite(who, `extra '${k}'`, a, null)
    decoded[k] = a
  }
  return decoded
}

/** Loading in place: the target must have every array the saved state fills, of its size. */
function checkTargetArrays(
  who: string,
  into: OptState,
  opt: OptimizerCore,
  tree: SavedTree,
  extra: Record<string, Float32Array>,
): void {
  const fits = (a: unknown, length: number) => a instanceof Float32Array && a.length === length
  const wrongSlots = opt.layout.slots.filter((k) => !fits(into.slots[k], tree.size))
  const wrongExtra = Object.keys(extra).filter((k) => !fits(into.extra[k], extra[k].length))
  const missing = [...wrongSlots, ...wrongExtra]
  if (into.size !== tree.size || missing.length) {
    const what = missing.join(', ') || `size ${into.size} ≠ ${tree.size}`
    const needs = `the arrays '${opt.name}' with these options needs (${what})`
    throw new Error(`${who}: the target state does not have ${needs}: was it made with other options?`)
  }
}

function pathsToLeaves(shapes: number[][], paths: string[]): LeafInfo[] {
  let offset = 0
  return shapes.map((shape, k) => {
    const size = sizeOf(shape)
    const l = { path: paths[k], shape, offset, size }
    offset += size
    return l
  })
}

function checkFinite(who: string, what: string, a: Float32Array, leaves: LeafInfo[] | null): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      let where = `index ${i}`
      if (leaves) {
        const l = leaves.find((l) => i >= l.offset && i < l.offset + l.size)
        if (l) where = `index ${i} ('${l.path || 'params'}' element ${i - l.offset})`
      }
      throw new Error(`${who}: ${what} has a non-finite value ${a[i]} at ${where}`)
    }
  }
}
