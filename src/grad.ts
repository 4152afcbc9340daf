/**
 * `grad`, `valueAndGrad` and `vjp`: reverse mode as function transformations, in the style of JAX.
 *
 * They compose: `grad(grad(f))` is the second derivative, to any depth. The rule that makes it
 * work is recording whenever an enclosing transform is live. While `grad(g)` evaluates g, every
 * `grad` called inside g (a) links its inputs to the outer ones with a recorded alias, instead of
 * cutting them off, and (b) builds its backward pass out of recorded ops (createGraph). The inner
 * gradient is then an ordinary differentiable function of the outer input, and the outer `grad`
 * differentiates through it. Inputs are matched by identity on the tape, so an inner gradient can
 * never pick up a derivative meant for an outer variable: d/dx [x · d/dy (x + y)] is 1.
 * At top level, nothing is recorded beyond f itself, so first-order training stays as fast as
 * `loss.backward()`.
 */
import { fmt } from './nd.js'
import { forwardActive } from './forward.js'
import { defineOp } from './op.js'
import { transforms } from './recording.js'
import { gradients } from './tape.js'
import { Tensor } from './tensor.js'
import { flatten, unflatten, type Tree } from './tree.js'

/** out = x, sharing storage: an input of a nested transform, linked to the outer tensor. */
const aliasOp = defineOp({
  name: 'alias',
  integers: true,
  forward: ([x]) => new Tensor(x.data, x.shape.slice()),
  backward: (g) => [g],
  tangent: ([dx]) => dx,
})

/** Whether a transform starting now runs inside another one (or inside a jvp). */
function nested(): boolean {
  return transforms.depth > 0 || forwardActive()
}

/** The tensor a transform differentiates with respect to, standing for the caller's `t`. */
function inputFor(who: string, t: Tensor, path: string, linked: boolean): Tensor {
  if (t.dtype === 'int32') {
    const where = path ? ` '${path}'` : ''
    throw new Error(
      `${who}: the input${where} is an int32 tensor ${fmt(t.shape)}; gradients need float tensors (convert with .astype('float32'))`,
    )
  }
  // Top level: a fresh leaf sharing the data (the caller's tensor and its .grad stay untouched).
  // Nested: an alias recorded on the tape, so that the outer transform sees through it.
  const v = linked ? aliasOp([t]) : new Tensor(t.data, t.shape.slice())
  v.requiresGrad = true
  return v
}

/**
 * An int32 result has no derivative (JAX refuses it too): without this check its gradient would
 * come back as zeros, which reads as "f does not depend on its input".
 */
function checkFloatResult(who: string, value: Tensor): void {
  if (value.dtype === 'int32') {
    const why = "integers carry no gradient (an .astype('int32') or argmax inside f?)"
    throw new Error(`${who}: f returned an int32 tensor ${fmt(value.shape)}; ${why}`)
  }
}

/** Evaluates f while counting it as a running transform. */
function evaluate<T>(f: () => T): T {
  transforms.depth++
  try {
    return f()
  } finally {
    transforms.depth--
  }
}

/**
 * JAX's `value_and_grad`: returns a function that evaluates `f` and the gradient of its scalar
 * result with respect to its first argument, a tree of tensors (a tensor, an array or an object
 * of tensors). Gradients come back in the same tree shape; unused leaves get zeros. The other
 * arguments are passed through untouched. Nothing is written into any `.grad`.
 *   valueAndGrad(f)(p, …) = [f(p, …), ∇ₚ f(p, …)]
 * @example
 * import { tensor, valueAndGrad, type Tensor } from 'tapegrad'
 * const f = (p: { w: Tensor }, x: Tensor) => p.w.mul(x).sum()
 * const [value, g] = valueAndGrad(f)({ w: tensor([1, 2]) }, tensor([3, 4]))
 * value.item()       // 11
 * g.w.toArray()      // [3, 4]
 */
export function valueAndGrad<T extends Tree, R extends unknown[]>(
  f: (params: T, ...rest: R) => Tensor,
): (params: T, ...rest: R) => [Tensor, T] {
  return (params: T, ...rest: R) => {
    const { leaves, paths, def } = flatten(params)
    const linked = nested()
    const inputs = leaves.map((t, i) => inputFor('valueAndGrad', t, paths[i], linked))
    const value = evaluate(() => f(unflatten(def, inputs) as T, ...rest))
    if (!(value instanceof Tensor)) throw new Error(`valueAndGrad: f must return a Tensor, got ${typeof value}`)
    if (value.size !== 1) {
      throw new Error(
        `valueAndGrad: f must return a scalar, got shape ${fmt(value.shape)}; reduce it (e.g. .sum() or .mean())`,
      )
    }
    checkFloatResult('valueAndGrad', value)
    const grads = gradients(value, inputs, undefined, { createGraph: linked, retainGraph: linked, who: 'valueAndGrad' })
    return [linked ? value : value.detach(), unflatten(def, grads) as T]
  }
}

/**
 * JAX's `grad`: the gradient of scalar-valued `f` with respect to its first argument (a tree),
 * in the same tree shape. Composes: `grad(grad(f))` is f″.
 *   grad(f)(p, …) = ∇ₚ f(p, …)
 * @example
 * import { tensor, grad, type Tensor } from 'tapegrad'
 * grad((x: Tensor) => x.mul(x).sum())(tensor([1, 2])).toArray()          // [2, 4]
 * // the second derivative of x³ is 6x: 12 at x = 2
 * grad(grad((x: Tensor) => x.pow(3).sum()))(tensor(2)).item()             // 12
 */
export function grad<T extends Tree, R extends unknown[]>(
  f: (params: T, ...rest: R) => Tensor,
): (params: T, ...rest: R) => T {
  const vg = valueAndGrad(f)
  return (params: T, ...rest: R) => vg(params, ...rest)[1]
}

/**
 * JAX's `vjp`: evaluates `f(...primals)` and returns it with its pullback, the function that maps
 * a cotangent u (of the output's shape) to the vector–Jacobian products uᵀ·∂f/∂xᵢ, one per primal.
 * The pullback may be called any number of times.
 * @example
 * import { tensor, vjp } from 'tapegrad'
 * const [y, pullback] = vjp((a, b) => a.mul(b), [tensor([1, 2]), tensor([3, 4])])
 * y.toArray()                                   // [3, 8]
 * pullback(tensor([1, 1])).map((t) => t.toArray()) // [[3, 4], [1, 2]]
 */
export function vjp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[]): [Tensor, (cotangent: Tensor) => Tensor[]] {
  if (!Array.isArray(primals)) throw new Error(`vjp: primals must be an array of tensors, got ${typeof primals}`)
  primals.forEach((p, i) => {
    if (!(p instanceof Tensor))
      throw new Error(`vjp: primal ${i} must be a Tensor, got ${p === null ? 'null' : typeof p}`)
  })
  const linked = nested()
  const inputs = primals.map((p, i) => inputFor('vjp', p, `primal ${i}`, linked))
  const out = evaluate(() => f(...inputs))
  if (!(out instanceof Tensor)) throw new Error(`vjp: f must return a Tensor, got ${typeof out}`)
  checkFloatResult('vjp', out)
  const pullback = (cotangent: Tensor) => {
    if (!(cotangent instanceof Tensor)) throw new Error(`vjp: the cotangent must be a Tensor, got ${typeof cotangent}`)
    if (cotangent.shape.length !== out.shape.length || cotangent.shape.some((s, i) => s !== out.shape[i])) {
      throw new Error(
        `vjp: cotangent of shape ${fmt(cotangent.shape)} does not match the output shape ${fmt(out.shape)}`,
      )
    }
    return gradients(out, inputs, cotangent, { createGraph: linked || nested(), retainGraph: true, who: 'vjp' })
  }
  return [linked ? out : out.detach(), pullback]
}
