/**
 * The op table's checks beyond first-order gradcheck: forward mode against reverse mode, and
 * second order both ways. All in float64.
 *
 * - jvp against vjp: for random t and u, ⟨J·t, u⟩ = ⟨t, Jᵀ·u⟩. The tangent rules (forward mode)
 *   must agree with the backward rules (which gradcheck ties to finite differences).
 * - gradgradcheck: the recorded (differentiable) backward rules give the right first derivatives
 *   and their own derivatives match finite differences (see src/gradcheck.ts).
 * - forward-over-reverse against reverse-over-reverse: with G(x) = Jᵀ(x)·u, the jvp of G along t
 *   equals ∇ₓ⟨G(x), t⟩ (both are H·t, H the symmetric Hessian of ⟨f, u⟩) — this runs the tangent
 *   rules of the ops that backward rules are made of.
 */
import { concat, jacfwd, jacrev, jvp, reshape, Tensor, vjp } from '../../src/index.js'
import { det } from './ref.js'

function flat(ts: Tensor[]): number[] {
  return ts.flatMap((t) => Array.from(t.data))
}

function inner(a: number[], b: number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-8 * Math.max(1, scale)
}

/** Random float64 tensors like `xs` where `wrt` says, zeros elsewhere. */
function directions(xs: Tensor[], wrt: number[], salt: number): Tensor[] {
  return xs.map((x, i) => (wrt.includes(i) ? det(x.shape, -1, 1, salt + 7 * i) : Tensor.full(x.shape, 0, 'float64')))
}

/** Throws unless ⟨J·t, u⟩ = ⟨t, Jᵀ·u⟩ for f at xs. */
export function checkJvpAgainstVjp(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], wrt: number[]): void {
  const ts = directions(xs, wrt, 101)
  const [y, ty] = jvp(f, xs, ts)
  const [, pullback] = vjp(f, xs)
  const u = det(y.shape, -1, 1, 202)
  const lhs = inner(Array.from(ty.data), Array.from(u.data))
  const rhs = inner(flat(ts), flat(pullback(u)))
  const scale = Math.abs(lhs) + Math.abs(rhs)
  if (!close(lhs, rhs, scale))
    throw new Error(`${name}: ⟨J·t, u⟩ = ${lhs} but ⟨t, Jᵀ·u⟩ = ${rhs} (jvp disagrees with vjp)`)
  if (ty.shape.join() !== y.shape.join())
    throw new Error(`${name}: jvp's tangent has shape [${ty.shape}] for an output [${y.shape}]`)
}

/**
 * Throws unless the four ways to H·t agree, H the Hessian of ⟨f, u⟩ and G(x) = Jᵀ(x)·u:
 * forward-over-reverse jvp(G)(t), reverse-over-reverse ∇⟨G, t⟩, reverse-over-forward
 * ∇⟨u, jvp(f)(t)⟩, and (as the number ⟨s, H·t⟩) forward-over-forward.
 */
export function checkSecondOrderModes(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], wrt: number[]): void {
  const y = f(...xs)
  const u = det(y.shape, -1, 1, 303)
  const ts = directions(xs, wrt, 404)
  const ss = directions(xs, wrt, 505)
  const G = (...zs: Tensor[]) => {
    const [, pullback] = vjp(f, zs)
    return concat(
      pullback(u).map((g) => reshape(g, [-1])),
      0,
    )
  }
  const tangentAlongU = (...zs: Tensor[]) => jvp(f, zs, ts)[1].mul(u).sum() // ⟨u, J·t⟩
  const tFlat = Tensor.full([flat(ts).length], 0, 'float64')
  tFlat.data.set(flat(ts))
  const one = Tensor.full([], 1, 'float64')
  const ways: [string, number[]][] = [
    ['forward-over-reverse', Array.from(jvp(G, xs, ts)[1].data)],
    [
      'reverse-over-reverse',
      flat(
        vjp(
          (...zs: Tensor[]) =>
            G(...zs)
              .mul(tFlat)
              .sum(),
          xs,
        )[1](one),
      ),
    ],
    ['reverse-over-forward', flat(vjp(tangentAlongU, xs)[1](one))],
  ]
  const [refName, ref] = ways[1]
  for (const [way, got] of ways) {
    for (let i = 0; i < ref.length; i++) {
      if (!close(got[i], ref[i], Math.abs(got[i]) + Math.abs(ref[i]))) {
        throw new Error(`${name}: H·t element ${i}: ${way} ${got[i]}, ${refName} ${ref[i]}`)
      }
    }
  }
  const sHt = jvp(tangentAlongU, xs, ss)[1].item() // forward-over-forward: ⟨s, H·t⟩
  const expected = inner(flat(ss), ref)
  if (!close(sHt, expected, Math.abs(sHt) + Math.abs(expected))) {
    throw new Error(`${name}: ⟨s, H·t⟩: forward-over-forward ${sHt}, reverse-over-reverse ${expected}`)
  }
}

/** Inputs larger than this skip the full-Jacobian check (it costs one jvp per input element). */
const JACOBIAN_MAX_SIZE = 64

/**
 * Throws unless jacfwd and jacrev give the same full Jacobian with respect to each checked input
 * (the others held fixed). Returns whether any input was small enough to check.
 */
export function checkJacobians(name: string, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], wrt: number[]): boolean {
  let checked = false
  for (const i of wrt) {
    if (xs[i].size > JACOBIAN_MAX_SIZE) continue
    const fi = (z: Tensor) => f(...xs.map((x, k) => (k === i ? z : x)))
    const forward = jacfwd(fi)(xs[i])
    const reverse = jacrev(fi)(xs[i])
    if (forward.shape.join() !== reverse.shape.join()) {
      throw new Error(`${name}: jacfwd shape [${forward.shape}] but jacrev shape [${reverse.shape}] (input ${i})`)
    }
    for (let k = 0; k < forward.size; k++) {
      const a = forward.data[k]
      const b = reverse.data[k]
      if (!close(a, b, Math.abs(a) + Math.abs(b)))
        throw new Error(`${name}: Jacobian entry ${k} w.r.t. input ${i}: jacfwd ${a}, jacrev ${b}`)
    }
    checked = true
  }
  return checked
}
