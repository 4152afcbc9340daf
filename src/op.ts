/**
 * `defineOp`: the single way to add a differentiable primitive.
 *
 * An op is three rules side by side (see op-rules.ts), as in micrograd plus forward mode:
 *
 * ```ts
 * export const mulOp = defineOp({
 *   name: 'mul',
 *   forward: ([a, b]) => zipTensors('mul', a, b, times),          // out = a · b (broadcasting)
 *   backward: (g, [a, b]) => [mul(g, b), mul(g, a)],              // ā = g·b,  b̄ = g·a
 *   tangent: ([da, db], [a, b]) => add(mul(da, b), mul(a, db)),   // ȯut = ȧ·b + a·ḃ
 * })
 * ```
 *
 * The engine does the rest, once for all ops: it records the call on the tape when an input needs
 * a gradient, computes the output's tangent for every running `jvp` an input takes part in, sums
 * each returned gradient back over the axes broadcasting added (so `backward` may return gradients
 * of the output's shape), and adds up gradients of inputs used more than once.
 */
import { fmt, map, zip, type BinaryFn, type UnaryFn } from './nd.js'
import type { OpDef } from './op-rules.js'
import { forwardActive, levelAt, outsideLevel, visibleLevels } from './forward.js'
import { debugState, record, recording, type Entry } from './recording.js'
import { fingerprint } from './saved-values.js'
import { Tensor } from './tensor.js'

export type { OpDef } from './op-rules.js'

/** A primitive: call it with the input tensors and its attributes. */
export interface Op<A = void> {
  /** Runs the op on `inputs`, recording it on the tape when an input requires a gradient. */
  (inputs: Tensor[], attrs: A): Tensor
  /** The rules it was made from. */
  readonly def: OpDef<A>
}

/**
 * Turns an op's three rules into a recorded, differentiable primitive. The returned op checks its
 * inputs' dtypes (one float dtype unless `mixedDtypes`; int32 only with `integers`), runs
 * `forward`, records the call on the tape when recording is on and an input requires a gradient,
 * and computes the output's tangent while a `jvp` is running.
 * @example
 * import { defineOp, mapTensor, mul, square, tensor, jvp, grad, type Tensor } from 'tapegrad'
 * const cube = (x: number) => x * x * x
 * const cubeOp = defineOp({
 *   name: 'cube',                                                     // out = x³
 *   forward: ([x]) => mapTensor(x, cube),
 *   backward: (g, [x]) => [mul(g, mul(3, square(x)))],                // x̄ = g·3x²
 *   tangent: ([dx], [x]) => mul(dx, mul(3, square(x))),               // ȯut = 3x²·ẋ
 * })
 * cubeOp([tensor([2])]).item()                                        // 8
 * grad((x: Tensor) => cubeOp([x]).sum())(tensor([2])).toArray()      // [12]
 */
export function defineOp<A = void>(def: OpDef<A>): Op<A> {
  registry.push(def)
  const apply = function (inputs: Tensor[], attrs: A): Tensor {
    checkDtypes(def, inputs)
    const out = def.forward(inputs, attrs)
    if (debugState.checkFinite) checkFinite(def.name, out, inputs)
    if (recording.enabled) {
      for (let i = 0; i < inputs.length; i++) {
        if (inputs[i].requiresGrad) {
          if (out.dtype === 'int32') break // integers carry no gradient
          record(def, inputs, attrs, out)
          if (debugState.checkInPlace) fingerprint(out.entry as Entry)
          break
        }
      }
    }
    if (forwardActive()) pushTangents(def, inputs, attrs, out)
    return out
  } as Op<A>
  Object.defineProperty(apply, 'def', { value: def })
  Object.defineProperty(apply, 'name', { value: def.name })
  return apply
}

/** Every primitive defined so far (the op table checks that each one's rules are exercised). */
const registry: OpDef<any>[] = []

/**
 * The rules of every primitive defined so far, in definition order — for tests that check that
 * every primitive is covered.
 * @example
 * import { definedOps } from './src/op'
 * import 'tapegrad'
 * definedOps().map((d) => d.name).includes('mul') // true
 */
export function definedOps(): readonly OpDef<any>[] {
  return registry
}

/**
 * For every visible `jvp` level in which an input has a tangent, computes the output's tangent
 * with the op's tangent rule (zeros for the inputs without one). Outer levels go first: the rule
 * for an inner level may read the output's outer-level tangents (e.g. exp's ȯut = ẋ·out).
 */
function pushTangents<A>(def: OpDef<A>, inputs: Tensor[], attrs: A, out: Tensor): void {
  const n = visibleLevels()
  if (out.dtype === 'int32') return // integers carry no tangent
  for (let depth = 0; depth < n; depth++) {
    const { tangents } = levelAt(depth)
    let any = false
    for (let i = 0; i < inputs.length && !any; i++) any = tangents.has(inputs[i])
    if (!any) continue
    const ts = inputs.map((x) => tangents.get(x) ?? Tensor.full(x.shape, 0, x.dtype))
    const t = outsideLevel(depth, () => def.tangent(ts, inputs, out, attrs))
    if (!(t instanceof Tensor) || t.shape.length !== out.shape.length || t.shape.some((s, i) => s !== out.shape[i])) {
      const got = t instanceof Tensor ? `shape ${fmt(t.shape)}` : String(t)
      throw new Error(`${def.name} (tangent rule): returned ${got} for an output of shape ${fmt(out.shape)}`)
    }
    tangents.set(out, t)
  }
}

function checkDtypes<A>(def: OpDef<A>, inputs: Tensor[]): void {
  const d = inputs.length > 0 ? inputs[0].dtype : 'float32'
  for (let i = 0; i < inputs.length; i++) {
    const di = inputs[i].dtype
    if (di === 'int32' && !def.integers) {
      throw new Error(
        `${def.name}: int32 tensor ${fmt(inputs[i].shape)} given to a float op; convert it first with .astype('float32')`,
      )
    }
    if (di !== d && !def.mixedDtypes) {
      const list = inputs.map((t) => `${t.dtype} ${fmt(t.shape)}`).join(' and ')
      throw new Error(`${def.name}: dtype mismatch: ${list}; convert one with .astype('${d}')`)
    }
  }
}

function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i
  return -1
}

/**
 * With `setDebug({ checkFinite: true })`: names the first op whose output turned non-finite
 * (throws only when the op's inputs were all finite, so the error blames the op that did it).
 * @example
 * import { tensor } from 'tapegrad'
 * import { checkFinite } from './src/op'
 * checkFinite('log', tensor([-Infinity]), [tensor([0])]) // throws log (forward): produced -Infinity at flat index 0 of output [1] from finite inputs of shapes [1]
 * // an input was already non-finite: an earlier op is to blame, so nothing is thrown
 * checkFinite('log', tensor([-Infinity]), [tensor([-Infinity])]) // undefined
 */
export function checkFinite(name: string, out: Tensor, inputs: Tensor[], phase = 'forward'): void {
  const k = firstNonFinite(out.data)
  if (k < 0) return
  // Only blame this op when its inputs were finite: otherwise an earlier op is to blame.
  for (const t of inputs) if (firstNonFinite(t.data) >= 0) return
  const shapes = inputs.map((t) => fmt(t.shape)).join(', ')
  throw new Error(
    `${name} (${phase}): produced ${out.data[k]} at flat index ${k} of output ${fmt(out.shape)} ` +
      `from finite inputs of shapes ${shapes}`,
  )
}

/**
 * out = fn(x, c) elementwise, as a new tensor (for op authors; records nothing). Define `fn` once
 * at module level: each function gets one compiled loop.
 * @example
 * import { mapTensor, tensor } from 'tapegrad'
 * const square = (x: number) => x * x
 * mapTensor(tensor([1, 2]), square).toArray() // [1, 4]
 */
export function mapTensor(x: Tensor, fn: UnaryFn, c = 0): Tensor {
  return new Tensor(map(x.data, fn, c), x.shape.slice())
}

/**
 * out = fn(a, b, c) elementwise with broadcasting, as a new tensor (records nothing); `name`
 * is the op named in a broadcasting error.
 * @example
 * import { zipTensors, tensor } from 'tapegrad'
 * const plus = (a: number, b: number) => a + b
 * zipTensors('add', tensor([[1], [2]]), tensor([10, 20]), plus).toArray() // [[11, 21], [12, 22]]
 */
export function zipTensors(name: string, a: Tensor, b: Tensor, fn: BinaryFn, c = 0): Tensor {
  const { data, shape } = zip(name, a.data, a.shape, b.data, b.shape, fn, c)
  return new Tensor(data, shape)
}
