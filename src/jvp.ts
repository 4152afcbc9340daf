/**
 * `jvp`: forward mode, in the style of JAX. Every primitive carries a tangent rule beside its
 * backward rule (op-rules.ts), and while a `jvp` runs, each op applied to a tensor that has a
 * tangent computes its output's tangent right away: ȯut = Σᵢ ∂f/∂xᵢ · ẋᵢ. One forward pass gives
 * f(x) and the directional derivative J·t together — no tape, no backward pass.
 */
import { fmt } from './nd.js'
import { enterLevel, exitLevel } from './forward.js'
import { defineOp } from './op.js'
import { Tensor } from './tensor.js'
import { checkTensor } from './check.js'

// The identity op, as grad.ts's aliasOp: its own name so that a printed tape says that jvp put it
// there, not grad.
/** out = x, sharing storage: the primal a jvp attaches its tangent to (the caller's stays clean). */
const primalOp = defineOp({
  name: 'primal',
  integers: true,
  forward: ([x]) => new Tensor(x.data, x.shape.slice()),
  backward: (g) => [g],
  tangent: ([dx]) => dx,
})

/**
 * JAX's `jvp`: evaluates f at `primals` and, in the same forward pass, the Jacobian–vector
 * product J·t along `tangents` (one per primal, of the primal's shape and dtype):
 *   jvp(f, [x₁…xₙ], [t₁…tₙ]) = [f(x), Σᵢ ∂f/∂xᵢ · tᵢ]
 * It nests with itself and with `grad` (jvp of grad is a Hessian–vector product).
 * @example
 * import { jvp, tensor } from 'tapegrad'
 * // f(x) = x₀² + x₁² along the direction (1, 0): the derivative ∂f/∂x₀ = 2x₀
 * const [y, dy] = jvp((x) => x.mul(x).sum(), [tensor([1, 2])], [tensor([1, 0])])
 * y.item()   // 5
 * dy.item()  // 2
 */
export function jvp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): [Tensor, Tensor] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new Error('jvp: primals and tangents must be arrays of tensors, e.g. jvp(f, [x], [t])')
  }
  if (primals.length !== tangents.length) {
    throw new Error(`jvp: got ${primals.length} primals and ${tangents.length} tangents; give one tangent per primal`)
  }
  for (let i = 0; i < primals.length; i++) {
    const p = primals[i]
    const t = tangents[i]
    checkTensor('jvp', p, `primal ${i}`)
    checkTensor('jvp', t, `tangent ${i}`)
    if (t.shape.length !== p.shape.length || t.shape.some((s, k) => s !== p.shape[k])) {
      throw new Error(`jvp: tangent ${i} has shape ${fmt(t.shape)} but its primal has shape ${fmt(p.shape)}`)
    }
    if (t.dtype !== p.dtype)
      throw new Error(`jvp: tangent ${i} is ${t.dtype} but its primal is ${p.dtype} ${fmt(p.shape)}`)
    if (p.dtype === 'int32')
      throw new Error(`jvp: primal ${i} is an int32 tensor ${fmt(p.shape)}; tangents need float tensors`)
  }
  const level = enterLevel()
  try {
    const xs = primals.map((p, i) => {
      const x = primalOp([p]) // linked to p on the tape and in enclosing jvps
      level.tangents.set(x, tangents[i])
      return x
    })
    const out = f(...xs)
    if (!(out instanceof Tensor))
      throw new Error(`jvp: f must return a Tensor, got ${out === null ? 'null' : typeof out}`)
    return [out, level.tangents.get(out) ?? Tensor.full(out.shape, 0, out.dtype)]
  } finally {
    exitLevel(level)
  }
}
