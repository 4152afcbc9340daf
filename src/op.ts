/**
 * `defineOp`: the single way to add a differentiable primitive.
 *
 * An op is its forward and its backward, side by side, as in micrograd:
 *
 * ```ts
 * export const mul = defineOp({
 *   name: 'mul',
 *   forward: ([a, b]) => zipTensors('mul', a, b, times),       // out = a · b (broadcasting)
 *   backward: (g, [a, b]) => [g.mul(b), g.mul(a)],             // ∂L/∂a = g·b, ∂L/∂b = g·a
 * })
 * ```
 *
 * The engine does the rest, once for all ops: it records the call on the tape when an input
 * needs a gradient, runs `backward` under `noGrad`, sums each returned gradient back over the
 * axes broadcasting added (so `backward` may return gradients of the output's shape), and
 * accumulates (`+=`) into inputs used more than once.
 */
import { fmt, map, zip, type BinaryFn, type UnaryFn } from './nd.js'
import { Tensor } from './tensor.js'
import { debugState, gradState, record } from './tape.js'

/** What an op is made of. `A` is the type of its non-tensor attributes (axis, exponent, …). */
export interface OpDef<A = void> {
  /** Name used on the tape, in errors and in graph pictures. */
  name: string
  /** Computes the output from the input values. Never records anything. */
  forward(inputs: Tensor[], attrs: A): Tensor
  /**
   * Given g = ∂L/∂out, returns ∂L/∂input for each input (null where an input takes no gradient,
   * e.g. a condition or an index). A gradient may have the output's (broadcast) shape: the engine
   * sums it back to the input's shape.
   */
  backward(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A): (Tensor | null)[]
  /** Allow inputs of different dtypes (default: all inputs must share one dtype). */
  mixedDtypes?: boolean
}

/** A primitive: call it with the input tensors and its attributes. */
export interface Op<A = void> {
  /** Runs the op on `inputs`, recording it on the tape when an input requires a gradient. */
  (inputs: Tensor[], attrs: A): Tensor
  /** The definition it was made from. */
  readonly def: OpDef<A>
}

/**
 * Turns a forward/backward pair into a recorded, differentiable primitive. The returned op checks
 * that its inputs share a dtype (unless `mixedDtypes`), runs `forward`, and records the call on
 * the tape when recording is on and an input requires a gradient.
 * @example
 * const cube = (x: number) => x * x * x
 * const cubeGrad = (g: number, x: number) => 3 * g * x * x
 * const cubeOp = defineOp({
 *   name: 'cube',                                                    // out = x³
 *   forward: ([x]) => mapTensor(x, cube),
 *   backward: (g, [x]) => [zipTensors('cube', g, x, cubeGrad)],    // ∂x = 3·g·x²
 * })
 * cubeOp([tensor([2], { requiresGrad: true })])                      // tensor([8])
 */
export function defineOp<A = void>(def: OpDef<A>): Op<A> {
  const apply = function (inputs: Tensor[], attrs: A): Tensor {
    if (!def.mixedDtypes && inputs.length > 1) checkDtypes(def.name, inputs)
    const out = def.forward(inputs, attrs)
    if (debugState.checkFinite) checkFinite(def.name, out, inputs)
    if (gradState.enabled) {
      for (let i = 0; i < inputs.length; i++) {
        if (inputs[i].requiresGrad) {
          record(def, inputs, attrs, out)
          break
        }
      }
    }
    return out
  } as Op<A>
  Object.defineProperty(apply, 'def', { value: def })
  Object.defineProperty(apply, 'name', { value: def.name })
  return apply
}

function checkDtypes(name: string, inputs: Tensor[]): void {
  const d = inputs[0].dtype
  for (let i = 1; i < inputs.length; i++) {
    if (inputs[i].dtype !== d) {
      const list = inputs.map((t) => `${t.dtype} ${fmt(t.shape)}`).join(' and ')
      throw new Error(`${name}: dtype mismatch: ${list}; convert one with .astype('${d}')`)
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
 * @example checkFinite('log', out, [x]) // log (forward): produced -Infinity at flat index 0 of output [2] from finite inputs of shapes [2]
 */
export function checkFinite(name: string, out: Tensor, inputs: Tensor[], phase = 'forward'): void {
  const k = firstNonFinite(out.data)
  if (k < 0) return
  // Only blame this op when its inputs were finite: otherwise an earlier op is to blame.
  for (const t of inputs) if (firstNonFinite(t.data) >= 0) return
  const shapes = inputs.map((t) => fmt(t.shape)).join(', ')
  throw new Error(
    `${name} (${phase}): produced ${out.data[k]} at flat index ${k} of output ${fmt(out.shape)} from finite inputs of shapes ${shapes}`,
  )
}

/**
 * out = fn(x, c) elementwise, as a new tensor (for op authors; records nothing). Define `fn` once
 * at module level: each function gets one compiled loop.
 * @example mapTensor(tensor([1, 2]), square) // [1, 4], with const square = (x: number) => x * x
 */
export function mapTensor(x: Tensor, fn: UnaryFn, c = 0): Tensor {
  return new Tensor(map(x.data, fn, c), x.shape.slice())
}

/**
 * out = fn(a, b, c) elementwise with broadcasting, as a new tensor (records nothing); `name`
 * is the op named in a broadcasting error.
 * @example zipTensors('add', tensor([[1], [2]]), tensor([10, 20]), plus) // [[11, 21], [12, 22]]
 */
export function zipTensors(name: string, a: Tensor, b: Tensor, fn: BinaryFn, c = 0): Tensor {
  const { data, shape } = zip(name, a.data, a.shape, b.data, b.shape, fn, c)
  return new Tensor(data, shape)
}
