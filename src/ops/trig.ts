/**
 * Trigonometric and hyperbolic ops: sin, cos, tan, atan, atan2, sinh, cosh, asinh. The first
 * functions every autodiff course differentiates — and, since each rule is written with these
 * same ops, differentiates again: sin′ = cos, cos′ = −sin, so d³/dx³ sin(sin(sin(x))) works.
 */
import { checkTensor, describeArg } from '../check.js'
import { defineOp, mapTensor, zipTensors } from '../op.js'
import { asTensor, Tensor, type TensorLike } from '../tensor.js'
import { add, div, mul, neg, sqrt, square, sub } from './elementwise.js'

// ---- sin: out = sin x;  x̄ = g·cos x;  ȯut = ẋ·cos x -------------------------------------------
/**
 * The primitive behind {@link sin}.
 * @example
 * import { sin, sinOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * sinOp([x]).toArray() // [0, 0.8415]
 * sin(x).toArray()     // [0, 0.8415]
 */
export const sinOp = defineOp({
  name: 'sin',
  forward: ([x]) => mapTensor(x, Math.sin),
  backward: (g, [x]) => [mul(g, cos(x))],
  tangent: ([dx], [x]) => mul(dx, cos(x)),
})
/**
 * sin x (radians);  ∂/∂x = cos x.
 * @example
 * import { sin, tensor } from 'tapegrad'
 * sin(tensor([0])).toArray() // [0]
 */
export function sin(x: Tensor): Tensor {
  return sinOp([checkTensor('sin', x)])
}

// Each op's three rules stay side by side in its own block (DESIGN §Style), so the blocks of
// this file have one shape; what differs is the math.
// ---- cos: out = cos x;  x̄ = −g·sin x;  ȯut = −ẋ·sin x -----------------------------------------
/**
 * The primitive behind {@link cos}.
 * @example
 * import { cos, cosOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * cosOp([x]).toArray() // [1, 0.5403]
 * cos(x).toArray()     // [1, 0.5403]
 */
export const cosOp = defineOp({
  name: 'cos',
  forward: ([x]) => mapTensor(x, Math.cos),
  backward: (g, [x]) => [neg(mul(g, sin(x)))],
  tangent: ([dx], [x]) => neg(mul(dx, sin(x))),
})
/**
 * cos x (radians);  ∂/∂x = −sin x.
 * @example
 * import { cos, tensor } from 'tapegrad'
 * cos(tensor([0])).toArray() // [1]
 */
export function cos(x: Tensor): Tensor {
  return cosOp([checkTensor('cos', x)])
}

// ---- tan: out = tan x;  x̄ = g·(1 + out²);  ȯut = ẋ·(1 + out²) ---------------------------------
/**
 * The primitive behind {@link tan}.
 * @example
 * import { tan, tanOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * tanOp([x]).toArray() // [0, 1.5574]
 * tan(x).toArray()     // [0, 1.5574]
 */
export const tanOp = defineOp({
  name: 'tan',
  forward: ([x]) => mapTensor(x, Math.tan),
  backward: (g, _x, out) => [mul(g, add(square(out), 1))],
  tangent: ([dx], _x, out) => mul(dx, add(square(out), 1)),
})
/**
 * tan x (radians);  ∂/∂x = 1 + tan²x = 1/cos²x.
 * @example
 * import { tan, tensor } from 'tapegrad'
 * tan(tensor([0])).toArray() // [0]
 */
export function tan(x: Tensor): Tensor {
  return tanOp([checkTensor('tan', x)])
}

// ---- atan: out = atan x;  x̄ = g/(1 + x²);  ȯut = ẋ/(1 + x²) ----------------------------------
/**
 * The primitive behind {@link atan}.
 * @example
 * import { atan, atanOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * atanOp([x]).toArray() // [0, 0.7854]
 * atan(x).toArray()     // [0, 0.7854]
 */
export const atanOp = defineOp({
  name: 'atan',
  forward: ([x]) => mapTensor(x, Math.atan),
  backward: (g, [x]) => [div(g, add(square(x), 1))],
  tangent: ([dx], [x]) => div(dx, add(square(x), 1)),
})
/**
 * arctan x, in (−π/2, π/2);  ∂/∂x = 1/(1 + x²).
 * @example
 * import { atan, tensor } from 'tapegrad'
 * atan(tensor([1])).toArray() // [0.7854]
 */
export function atan(x: Tensor): Tensor {
  return atanOp([checkTensor('atan', x)])
}

// ---- atan2: out = atan2(y, x), the angle of the point (x, y) ---------------------------------
//   ȳ = g·x/(x² + y²),  x̄ = −g·y/(x² + y²);  ȯut = (x·ẏ − y·ẋ)/(x² + y²)
const atan2Fn = (y: number, x: number) => Math.atan2(y, x)
/**
 * The primitive behind {@link atan2}.
 * @example
 * import { atan2, atan2Op, tensor } from 'tapegrad'
 * const y = tensor([1, 1]), x = tensor([1, -1])
 * atan2Op([y, x]).toArray() // [0.7854, 2.3562]
 * atan2(y, x).toArray()     // [0.7854, 2.3562]
 */
export const atan2Op = defineOp({
  name: 'atan2',
  forward: ([y, x]) => zipTensors('atan2', y, x, atan2Fn),
  backward: (g, [y, x]) => {
    const r2 = add(square(x), square(y))
    return [y.requiresGrad ? div(mul(g, x), r2) : null, x.requiresGrad ? neg(div(mul(g, y), r2)) : null]
  },
  tangent: ([dy, dx], [y, x]) => div(sub(mul(x, dy), mul(y, dx)), add(square(x), square(y))),
})
/**
 * atan2(y, x): the angle of the point (x, y) in (−π, π], broadcasting (NumPy's argument order:
 * y first);  ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²).
 * @example
 * import { atan2, tensor } from 'tapegrad'
 * atan2(tensor([1]), tensor([-1])).toArray() // [2.3562]
 */
export function atan2(y: TensorLike, x: TensorLike): Tensor {
  const ok = (v: unknown) => v instanceof Tensor || typeof v === 'number'
  if (!ok(y) || !ok(x))
    throw new Error(`atan2: expected tensors or numbers, got ${describeArg(y)} and ${describeArg(x)}`)
  const like = y instanceof Tensor ? y : x instanceof Tensor ? x : undefined
  return atan2Op([asTensor(y, like), asTensor(x, like)])
}

// ---- sinh: out = sinh x;  x̄ = g·cosh x;  cosh: out = cosh x;  x̄ = g·sinh x ---------------------
/**
 * The primitive behind {@link sinh}.
 * @example
 * import { sinh, sinhOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * sinhOp([x]).toArray() // [0, 1.1752]
 * sinh(x).toArray()     // [0, 1.1752]
 */
export const sinhOp = defineOp({
  name: 'sinh',
  forward: ([x]) => mapTensor(x, Math.sinh),
  backward: (g, [x]) => [mul(g, cosh(x))],
  tangent: ([dx], [x]) => mul(dx, cosh(x)),
})
/**
 * sinh x = (eˣ − e⁻ˣ)/2;  ∂/∂x = cosh x.
 * @example
 * import { sinh, tensor } from 'tapegrad'
 * sinh(tensor([0])).toArray() // [0]
 */
export function sinh(x: Tensor): Tensor {
  return sinhOp([checkTensor('sinh', x)])
}
/**
 * The primitive behind {@link cosh}.
 * @example
 * import { cosh, coshOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * coshOp([x]).toArray() // [1, 1.5431]
 * cosh(x).toArray()     // [1, 1.5431]
 */
export const coshOp = defineOp({
  name: 'cosh',
  forward: ([x]) => mapTensor(x, Math.cosh),
  backward: (g, [x]) => [mul(g, sinh(x))],
  tangent: ([dx], [x]) => mul(dx, sinh(x)),
})
/**
 * cosh x = (eˣ + e⁻ˣ)/2;  ∂/∂x = sinh x.
 * @example
 * import { cosh, tensor } from 'tapegrad'
 * cosh(tensor([0])).toArray() // [1]
 */
export function cosh(x: Tensor): Tensor {
  return coshOp([checkTensor('cosh', x)])
}

// ---- asinh: out = asinh x = ln(x + √(x² + 1));  x̄ = g/√(x² + 1) ----------------------------------
/**
 * The primitive behind {@link asinh}.
 * @example
 * import { asinh, asinhOp, tensor } from 'tapegrad'
 * const x = tensor([0, 1])
 * asinhOp([x]).toArray() // [0, 0.8814]
 * asinh(x).toArray()     // [0, 0.8814]
 */
export const asinhOp = defineOp({
  name: 'asinh',
  forward: ([x]) => mapTensor(x, Math.asinh),
  backward: (g, [x]) => [div(g, sqrt(add(square(x), 1)))],
  tangent: ([dx], [x]) => div(dx, sqrt(add(square(x), 1))),
})
/**
 * asinh x = ln(x + √(x² + 1)), the inverse of sinh;  ∂/∂x = 1/√(x² + 1).
 * @example
 * import { asinh, tensor } from 'tapegrad'
 * asinh(tensor([0])).toArray() // [0]
 */
export function asinh(x: Tensor): Tensor {
  return asinhOp([checkTensor('asinh', x)])
}
