/**
 * What an op is made of: three rules side by side, as a student reads them.
 *
 * ```
 * forward   out = f(x₁, …, xₙ)              the value
 * backward  x̄ᵢ = ḡ · ∂f/∂xᵢ                  reverse mode: the output's cotangent to each input's
 * tangent   ȯut = Σᵢ ∂f/∂xᵢ · ẋᵢ             forward mode: the inputs' tangents to the output's
 * ```
 *
 * `backward` and `tangent` are written with differentiable tapegrad ops, so the engine can record
 * them (gradients of gradients, forward-over-reverse). An op may add `fastBackward`, the same math
 * as `backward` in fused loops, which the engine uses when no graph is being built.
 */
import type { Tensor } from './tensor.js'

/** The rules of a primitive. `A` is the type of its non-tensor attributes (axis, exponent, …). */
export interface OpDef<A = void> {
  /** Name used on the tape, in errors and in graph pictures. */
  name: string
  /** Computes the output from the input values with raw loops. Never records anything. */
  forward(inputs: Tensor[], attrs: A): Tensor
  /**
   * Reverse rule: given g = ∂L/∂out, returns ∂L/∂input for each input (null where an input takes
   * no gradient, e.g. a condition or an index), written in differentiable ops. A gradient may have
   * the output's (broadcast) shape: the engine sums it back to the input's shape.
   */
  backward(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A): (Tensor | null)[]
  /**
   * Forward rule: given each input's tangent (zeros where an input has none), returns the output's
   * tangent, of the output's shape, written in differentiable ops.
   */
  tangent(tangents: Tensor[], inputs: Tensor[], out: Tensor, attrs: A): Tensor
  /**
   * Optional: `backward` in fused loops, for first-order passes only (the result is not
   * differentiated again). It must agree with `backward`; the op table checks that it does.
   */
  fastBackward?(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A): (Tensor | null)[]
  /** Allow inputs of different dtypes (default: all inputs must share one dtype). */
  mixedDtypes?: boolean
  /** Accept int32 inputs (default: refused — float ops do not silently compute on integers). */
  integers?: boolean
}
