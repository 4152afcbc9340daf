/**
 * Whole Jacobians and Hessians of small functions, built from the two modes: `jacfwd` runs one
 * jvp per input element (a column of J at a time), `jacrev` one pullback per output element (a
 * row at a time). `hessian` is forward-over-reverse, jacfwd(grad(f)); `hvp` is one column of it.
 */
import { fmt } from './nd.js'
import { reshape } from './ops/shape.js'
import { stack } from './ops/indexing.js'
import { grad, vjp } from './grad.js'
import { jvp } from './jvp.js'
import { Tensor } from './tensor.js'
import { checkTensor } from './check.js'

/** The i-th basis tensor of `shape`: 1 at flat index i, 0 elsewhere. */
function basis(like: Tensor, i: number): Tensor {
  const e = Tensor.full(like.shape, 0, like.dtype)
  e.data[i] = 1
  return e
}

/**
 * The Jacobian of f at x by forward mode: J[i…, j…] = ∂f(x)[i…]/∂x[j…], of shape
 * [...f(x).shape, ...x.shape], from one jvp per element of x (cheap when x is small).
 * @example
 * import { jacfwd, tensor, type Tensor } from 'tapegrad'
 * jacfwd((x: Tensor) => x.mul(x))(tensor([1, 2])).toArray() // [[2, 0], [0, 4]]
 */
export function jacfwd<R extends unknown[]>(f: (x: Tensor, ...rest: R) => Tensor): (x: Tensor, ...rest: R) => Tensor {
  return (x: Tensor, ...rest: R) => {
    checkTensor('jacfwd', x)
    const g = (z: Tensor) => f(z, ...rest)
    if (x.size === 0) {
      const y = g(x)
      return Tensor.full([...y.shape, ...x.shape], 0, y.dtype)
    }
    const columns: Tensor[] = []
    let outShape: number[] = []
    for (let j = 0; j < x.size; j++) {
      const [y, column] = jvp(g, [x], [basis(x, j)])
      outShape = y.shape
      columns.push(column)
    }
    return reshape(stack(columns, columns[0].ndim), [...outShape, ...x.shape])
  }
}

/**
 * The Jacobian of f at x by reverse mode: the same matrix as `jacfwd`, from one pullback per
 * element of f(x) (cheap when the output is small).
 * @example
 * import { jacrev, tensor, type Tensor } from 'tapegrad'
 * jacrev((x: Tensor) => x.mul(x))(tensor([1, 2])).toArray() // [[2, 0], [0, 4]]
 */
export function jacrev<R extends unknown[]>(f: (x: Tensor, ...rest: R) => Tensor): (x: Tensor, ...rest: R) => Tensor {
  return (x: Tensor, ...rest: R) => {
    checkTensor('jacrev', x)
    const [y, pullback] = vjp((z) => f(z, ...rest), [x])
    if (y.size === 0) return Tensor.full([...y.shape, ...x.shape], 0, x.dtype)
    const rows: Tensor[] = []
    for (let i = 0; i < y.size; i++) rows.push(pullback(basis(y, i))[0])
    return reshape(stack(rows, 0), [...y.shape, ...x.shape])
  }
}

/**
 * The Hessian of scalar f at x: H[i…, j…] = ∂²f/∂x[i…]∂x[j…], of shape [...x.shape, ...x.shape]
 * (forward-over-reverse: jacfwd of grad). f must return a scalar.
 * @example
 * import { hessian, tensor, type Tensor } from 'tapegrad'
 * hessian((x: Tensor) => x.pow(3).sum())(tensor([1, 2])).toArray() // [[6, 0], [0, 12]]
 */
export function hessian<R extends unknown[]>(f: (x: Tensor, ...rest: R) => Tensor): (x: Tensor, ...rest: R) => Tensor {
  const scalarF = (z: Tensor, ...rest: R) => {
    const y = f(z, ...rest)
    if (!(y instanceof Tensor))
      throw new Error(`hessian: f must return a Tensor, got ${y === null ? 'null' : typeof y}`)
    if (y.size !== 1) throw new Error(`hessian: f must return a scalar, got an output of shape ${fmt(y.shape)}`)
    return y
  }
  const g = grad(scalarF)
  return (x: Tensor, ...rest: R) => {
    checkTensor('hessian', x)
    return jacfwd((z: Tensor) => g(z, ...rest))(x)
  }
}

/**
 * The Hessian–vector product H·v of scalar f at x, without forming H: the jvp of ∇f along v
 * (forward-over-reverse), one forward and one backward pass. v has x's shape.
 * @example
 * import { hvp, tensor, type Tensor } from 'tapegrad'
 * hvp((x: Tensor) => x.pow(3).sum(), tensor([1, 2]), tensor([1, 1])).toArray() // [6, 12]
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  checkTensor('hvp', x)
  checkTensor('hvp', v, 'v')
  if (v.shape.length !== x.shape.length || v.shape.some((s, i) => s !== x.shape[i])) {
    throw new Error(`hvp: v has shape ${fmt(v.shape)} but x has shape ${fmt(x.shape)}`)
  }
  const g = grad((z: Tensor) => {
    const y = f(z)
    if (!(y instanceof Tensor) || y.size !== 1) {
      throw new Error(
        `hvp: f must return a scalar, got ${y instanceof Tensor ? `an output of shape ${fmt(y.shape)}` : typeof y}`,
      )
    }
    return y
  })
  return jvp(g, [x], [v])[1]
}
