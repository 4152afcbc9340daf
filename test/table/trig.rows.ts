/** Table rows for src/ops/trig.ts. References are plain Math.* over broadcast indices. */
import * as tg from '../../src/index.js'
import { binary, unary } from './elementwise.rows.js'
import type { OpRow } from './types.js'

export const rows: OpRow[] = [
  { op: 'sin', cases: unary(tg.sin, Math.sin, -3, 3) },
  { op: 'cos', cases: unary(tg.cos, Math.cos, -3, 3) },
  { op: 'tan', cases: unary(tg.tan, Math.tan, -1.2, 1.2) },
  { op: 'atan', cases: unary(tg.atan, Math.atan, -3, 3) },
  // atan2(y, x) with both signs of x (the branch cut at x < 0, y = 0 is avoided: y ∈ [0.2, 2]).
  { op: 'atan2', cases: binary(tg.atan2, Math.atan2, 0.2, 2).concat(binary(tg.atan2, Math.atan2, -2, -0.2)) },
  { op: 'sinh', cases: unary(tg.sinh, Math.sinh, -3, 3) },
  { op: 'cosh', cases: unary(tg.cosh, Math.cosh, -3, 3) },
  { op: 'asinh', cases: unary(tg.asinh, Math.asinh, -3, 3) },
]
