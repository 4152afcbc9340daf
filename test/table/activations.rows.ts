/** Table rows for src/ops/activations.ts. References are the textbook formulas in plain JS. */
import * as tg from '../../src/index.js'
import { f64 } from './ref.js'
import { unary } from './elementwise.rows.js'
import type { OpRow } from './types.js'

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

export const rows: OpRow[] = [
  {
    op: 'softplus',
    cases: [
      ...unary(tg.softplus, (x) => Math.log1p(Math.exp(x)), -3, 3),
      {
        label: 'stable at ±40',
        inputs: () => [f64([40, -40])],
        f: (x) => tg.softplus(x),
        expected: [40 + Math.exp(-40), Math.exp(-40)],
        atol: 1e-15,
      },
      {
        label: 'beta 2',
        inputs: () => [f64([-1, 0.5, 2])],
        f: (x) => tg.softplus(x, 2),
        expected: [-1, 0.5, 2].map((v) => Math.log1p(Math.exp(2 * v)) / 2),
      },
    ],
  },
  { op: 'silu', cases: unary(tg.silu, (x) => x * sigmoid(x), -3, 3) },
  {
    op: 'elu',
    cases: [
      ...unary(tg.elu, (x) => (x > 0 ? x : Math.expm1(x)), -3, 3),
      {
        label: 'alpha 0.5',
        inputs: () => [f64([-2, -0.5, 1.5])],
        f: (x) => tg.elu(x, 0.5),
        expected: [0.5 * Math.expm1(-2), 0.5 * Math.expm1(-0.5), 1.5],
      },
    ],
  },
  { op: 'softsign', cases: unary(tg.softsign, (x) => x / (1 + Math.abs(x)), -3, 3) },
  {
    op: 'hardtanh',
    cases: [
      ...unary(tg.hardtanh, (x) => Math.min(Math.max(x, -1), 1), -3, 3),
      {
        label: 'bounds [0, 2]',
        inputs: () => [f64([-1, 0.5, 1.5, 3])],
        f: (x) => tg.hardtanh(x, 0, 2),
        expected: [0, 0.5, 1.5, 2],
      },
    ],
  },
]
