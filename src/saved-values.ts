/**
 * Saved values: an op's backward rule reads the tensors the op was recorded with (its inputs and
 * its output) when `backward` runs, not when the op ran. If one of them was changed in place in
 * between — an optimizer step, a loaded state dict, a write into `.data` — the rule would compute
 * the gradient of a function that was never evaluated, with no sign that anything is wrong.
 * PyTorch guards against this with version counters; so does tapegrad, in two layers:
 *
 * - Always on, free when recording: every library mutator stamps the tensor it changes with the
 *   engine's clock (`Tensor.version`, src/clock.ts), and an entry's id is a tick of the same
 *   clock. Before running an entry's rule, `checkSaved` compares: `x.version > entry.id` means x
 *   changed after the op was recorded. One comparison per saved tensor per backward.
 * - `setDebug({ checkInPlace: true })`: `fingerprint` hashes every saved tensor when the op is
 *   recorded, and `checkSaved` hashes them again before the rule runs. This also catches writes
 *   into `.data` element by element that nothing declared (`markModified()`), at the cost of two
 *   passes over every op's data.
 *
 * Every input and the output of an entry on the backward path are checked, whether or not its
 * rule reads them: once a tensor of the graph changed, the graph no longer describes what was
 * computed. (PyTorch checks only what each op saves, so it would accept a changed bias of an
 * `add`; the stricter rule needs no per-op declaration and refuses only what is at best fragile.)
 * The check covers tensors that share storage through recorded ops (a `reshape` of a parameter
 * is recorded with the parameter as its input, so the parameter's stamp is checked at the
 * reshape's entry). Storage shared outside the tape (`detach()`, `new Tensor(x.data, …)`) is seen
 * by the fingerprints only.
 */
import { fmt } from './nd.js'
import { debugState, type Entry } from './recording.js'
import type { Tensor } from './tensor.js'

/** The fingerprints taken when each entry was recorded under `checkInPlace` (inputs, then out). */
const fingerprints = new WeakMap<Entry, Float64Array>()

/**
 * Under `setDebug({ checkInPlace: true })`: remembers a hash of every tensor `e` saved, for
 * `checkSaved` to compare against when the backward pass reaches `e`.
 * @example
 * import { setDebug, tensor } from 'tapegrad'
 * import { fingerprint, checkSaved } from './src/saved-values'
 * import type { Entry } from './src/recording'
 * const x = tensor([1, 2], { requiresGrad: true })
 * const y = x.mul(x)                 // recorded with checkInPlace off: no fingerprint taken
 * setDebug({ checkInPlace: true })
 * fingerprint(y.entry as Entry)              // what defineOp does right after recording under checkInPlace
 * x.data[0] = 5                      // a write into .data: the version stamp does not move
 * checkSaved('backward', y.entry as Entry) // throws its fingerprint differs
 * setDebug({ checkInPlace: false })
 */
export function fingerprint(e: Entry): void {
  const hashes = new Float64Array(e.inputs.length + 1)
  for (let i = 0; i < e.inputs.length; i++) hashes[i] = hashOf(e.inputs[i])
  hashes[e.inputs.length] = hashOf(e.out)
  fingerprints.set(e, hashes)
}

/**
 * Throws, naming the op, the tensor and what to do, when a tensor that entry `e` holds was
 * modified in place after `e` was recorded: by its version stamp always, and by its fingerprint
 * under `checkInPlace`. Called by the backward walk before it runs `e`'s rule.
 * @example
 * import { tensor } from 'tapegrad'
 * import { checkSaved } from './src/saved-values'
 * import type { Entry } from './src/recording'
 * const x = tensor([1, 2], { requiresGrad: true })
 * const y = x.mul(x)
 * // nothing happens while every saved tensor is unchanged
 * checkSaved('backward', y.entry as Entry) // undefined
 * x.markModified()
 * checkSaved('backward', y.entry as Entry) // throws backward: 'mul'
 */
export function checkSaved(who: string, e: Entry): void {
  const { inputs, out } = e
  const stamped =
    'its version moved: an optimizer step, loadState, loadStateDict, zeroGrad, a .data assignment or markModified()'
  for (let i = 0; i < inputs.length; i++) if (inputs[i].version > e.id) modified(who, e, i, stamped)
  if (out.version > e.id) modified(who, e, -1, stamped)
  if (!debugState.checkInPlace) return
  const hashes = fingerprints.get(e)
  if (hashes === undefined) return // recorded before checkInPlace was turned on
  const written = 'its fingerprint differs: a write into its .data'
  for (let i = 0; i < inputs.length; i++) if (hashOf(inputs[i]) !== hashes[i]) modified(who, e, i, written)
  if (hashOf(out) !== hashes[inputs.length]) modified(who, e, -1, written)
}

function modified(who: string, e: Entry, input: number, how: string): never {
  const t: Tensor = input < 0 ? e.out : e.inputs[input]
  const which = input < 0 ? 'its output' : `its input ${input}`
  const label = t.label ? ` '${t.label}'` : ''
  throw new Error(
    `${who}: '${e.op.name}' (%${e.id}) was recorded with ${which}, ${fmt(t.shape)}${label}, which was ` +
      `modified in place after the op was recorded (${how}); its gradient would be computed from the new values. ` +
      'Run the forward pass again after changing a tensor, or change it after backward()',
  )
}

/**
 * A 52-bit hash of a tensor's bits (two 32-bit multiplicative hashes over its 32-bit words, kept
 * in one double): equal bits give equal hashes; a change goes unseen only by a collision.
 */
function hashOf(t: Tensor): number {
  const d = t.data
  const words = new Int32Array(d.buffer, d.byteOffset, d.byteLength >> 2)
  let a = 0x811c9dc5
  let b = words.length
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    a = Math.imul(a ^ w, 0x01000193)
    b = Math.imul(b + w, 0x9e3779b1) ^ (b >>> 15)
  }
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) >>> 12)
}
