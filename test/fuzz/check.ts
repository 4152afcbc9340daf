/**
 * Runs one fuzz case and judges it. A call must either
 *   - return what the reference says (the shape, the dtype and, where given, the values, with NaN,
 *     ±∞ and — where asked — the sign of zero matched exactly), or
 *   - throw an `Error` whose message starts with the op's name, where the reference says NumPy /
 *     PyTorch refuse the call too (or tapegrad's documented contract does);
 * never a TypeError / RangeError from inside. When the call succeeds on finite inputs, it is run
 * again with gradients: `backward` must not throw, and every differentiable input must get a
 * gradient of its own shape and dtype.
 */
import { add, sum, Tensor } from '../../src/index.js'
import { stored, type TSpec } from './arbitraries.js'
import { defaultRtol, fmt, isRefusal } from './reference.js'
import type { Expected, FuzzCase, Result } from './types.js'

/** What one case did, for the counts in the report. */
export interface Outcome {
  kind: 'value' | 'error'
  gradChecked: boolean
}

/** A case that takes longer than this fails (a hang is caught by the worker's watchdog). */
const CASE_LIMIT_MS = 5000

/** Shows a number the way a failure report needs it (−0, NaN and ±∞ spelled out). */
function num(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v)
}

function showValue(v: unknown): string {
  if (typeof v === 'number') return num(v)
  if (v === undefined) return 'undefined'
  if (Array.isArray(v)) return `[${v.map(showValue).join(', ')}]`
  if (v instanceof Tensor) return `Tensor ${v.dtype} ${fmt(v.shape)}`
  if (v !== null && typeof v === 'object') {
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${k}: ${showValue(x)}`)
      .join(', ')} }`
  }
  return JSON.stringify(v)
}

function showTensor(t: TSpec): string {
  const vs = t.values.length > 24 ? [...t.values.slice(0, 24).map(num), '…'] : t.values.map(num)
  return `${t.dtype} ${fmt(t.shape)} [${vs.join(', ')}]`
}

/** The case's arguments, for a failure report. */
function describeCase(c: FuzzCase): string {
  const ts = c.tensors.map((t, i) => `  t${i}: ${showTensor(t)}`)
  return [...ts, `  args: ${showValue(c.args)}`].join('\n')
}

/** Builds a Tensor from its spec (fresh storage every time). */
function build(t: TSpec, requiresGrad = false): Tensor {
  const data =
    t.dtype === 'float64'
      ? Float64Array.from(t.values)
      : t.dtype === 'int32'
        ? Int32Array.from(t.values)
        : Float32Array.from(t.values)
  const x = new Tensor(data, t.shape.slice())
  if (requiresGrad) x.setRequiresGrad()
  return x
}

/** Why an error thrown by `op` is not an acceptable refusal, or null when it is. */
function badError(op: string, e: unknown): string | null {
  if (!(e instanceof Error)) return `threw a non-Error: ${showValue(e)}`
  if (e.name !== 'Error') return `threw an internal ${e.name}: ${e.message}`
  if (!e.message.startsWith(op)) return `threw an error that does not name the op: "${e.message}"`
  return null
}

/** Why `got` differs from `want`, or null when it matches. */
function mismatch(got: unknown, want: Result): string | null {
  if (!(got instanceof Tensor)) return `returned ${showValue(got)}, expected a Tensor`
  if (fmt(got.shape) !== fmt(want.shape)) return `returned shape ${fmt(got.shape)}, expected ${fmt(want.shape)}`
  if (got.data.length !== got.shape.reduce((a, b) => a * b, 1))
    return `storage of ${got.data.length} elements for shape ${fmt(got.shape)}`
  if (got.dtype !== want.dtype) return `returned dtype ${got.dtype}, expected ${want.dtype}`
  if (!want.values) return null
  const rtol = Math.max(want.rtol ?? 0, defaultRtol(want.dtype))
  const atol = want.dtype === 'float32' ? 1e-37 : want.dtype === 'float64' ? 1e-300 : 0
  for (let i = 0; i < want.values.length; i++) {
    const w = want.values[i]
    if (w === null) continue
    const g = got.data[i]
    let ok: boolean
    if (Number.isNaN(w)) ok = Number.isNaN(g)
    else if (!Number.isFinite(w)) ok = g === w
    else if (w === 0 && want.signedZeros) ok = Object.is(g, w)
    else {
      const scale = want.scale ? want.scale[i] : Math.abs(w)
      ok = Math.abs(g - w) <= rtol * stored(scale, 'float64') + atol
    }
    if (!ok) {
      const shown =
        want.values.length > 24
          ? ''
          : `; got [${Array.from(got.data, num).join(', ')}], expected [${want.values.map((v) => (v === null ? '?' : num(v))).join(', ')}]`
      return `element ${i} is ${num(g)}, expected ${num(w)}${shown}`
    }
  }
  return null
}

function compare(got: unknown, want: Result | Result[]): string | null {
  if (!Array.isArray(want)) return mismatch(got, want)
  if (!Array.isArray(got)) return `returned ${showValue(got)}, expected an array of ${want.length} tensors`
  if (got.length !== want.length) return `returned ${got.length} tensors, expected ${want.length}`
  for (let k = 0; k < want.length; k++) {
    const m = mismatch(got[k], want[k])
    if (m) return `output ${k}: ${m}`
  }
  return null
}

/** Runs the call again with gradients; the reason it failed, or null. */
function checkGradients(c: FuzzCase): string | null {
  const leaves = new Map<number, Tensor>()
  const made = new Map<number, Tensor>()
  const t = (i: number): Tensor => {
    let x = made.get(i)
    if (x) return x
    const spec = c.tensors[i]
    const wanted = (c.differentiable?.[i] ?? true) && spec.dtype !== 'int32'
    x = build(spec, wanted)
    made.set(i, x)
    if (wanted) leaves.set(i, x)
    return x
  }
  let out: unknown
  try {
    out = c.call(t)
  } catch (e) {
    return `the call with requiresGrad inputs threw: ${e instanceof Error ? `${e.name}: ${e.message}` : showValue(e)}`
  }
  if (leaves.size === 0) return null
  const outs = (Array.isArray(out) ? out : [out]).filter((o): o is Tensor => o instanceof Tensor && o.dtype !== 'int32')
  if (outs.length === 0) return null
  try {
    let loss = sum(outs[0])
    for (let k = 1; k < outs.length; k++) loss = add(loss, sum(outs[k]))
    if (!loss.requiresGrad) return 'the output does not require a gradient although its inputs do'
    loss.backward()
  } catch (e) {
    return `backward threw ${e instanceof Error ? `${e.name}: ${e.message}` : showValue(e)}`
  }
  for (const [i, x] of leaves) {
    const g = x.grad
    if (!(g instanceof Tensor)) return `input t${i} got no gradient`
    if (fmt(g.shape) !== fmt(x.shape))
      return `the gradient of t${i} has shape ${fmt(g.shape)}, expected ${fmt(x.shape)}`
    if (g.dtype !== x.dtype) return `the gradient of t${i} has dtype ${g.dtype}, expected ${x.dtype}`
  }
  return null
}

/** Runs one case of `op`; throws an Error describing the failure, or returns what happened. */
export function runCase(op: string, c: FuzzCase): Outcome {
  const fail = (why: string): never => {
    throw new Error(`${op}: ${why}\n${describeCase(c)}`)
  }
  const start = performance.now()
  let out: unknown
  let thrown: unknown
  let threw = false
  try {
    out = c.call((i) => build(c.tensors[i]))
  } catch (e) {
    threw = true
    thrown = e
  }
  const ms = performance.now() - start
  if (ms > CASE_LIMIT_MS) fail(`took ${Math.round(ms)} ms`)
  let want: Expected
  try {
    want = c.expected()
  } catch (e) {
    return fail(`the reference itself threw (a bug in the fuzz row): ${e instanceof Error ? e.stack : showValue(e)}`)
  }
  if (threw) {
    const bad = badError(op, thrown)
    if (bad) fail(bad)
    if (!isRefusal(want)) {
      const shapes = Array.isArray(want) ? want.map((w) => fmt(w.shape)).join(', ') : fmt(want.shape)
      fail(`threw "${(thrown as Error).message}", but the reference gives shape ${shapes}`)
    }
    return { kind: 'error', gradChecked: false }
  }
  if (isRefusal(want)) return fail(`returned ${showValue(out)}, expected an error (${want.error})`)
  const m = compare(out, want)
  if (m) fail(m)
  const finite = c.tensors.every((t) => t.values.every(Number.isFinite))
  if (!finite) return { kind: 'value', gradChecked: false }
  const g = checkGradients(c)
  if (g) fail(g)
  return { kind: 'value', gradChecked: true }
}
