/**
 * Every optimizer against PyTorch (or, where PyTorch has no equivalent, JAX's / optax's
 * published formulas), step by step: test/fixtures/optimizers.json holds 10-step trajectories
 * from fixed gradients, written by test/fixtures/optimizer_fixtures.py. The tapegrad call for
 * each case is in the table (test/table/optimizers.rows.ts).
 *
 * Tolerance: float32, |ours − ref| ≤ 1e-4·|ref| + 1e-6 for every parameter after every step.
 * The parameters move by only ~1e-3…1e-1 in 10 steps, so the same check is also applied to the
 * displacement from the start, normwise per step (max |Δours − Δref| ≤ 1e-3 · max |Δref|): a
 * wrong step formula cannot hide behind the size of the parameters.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Tensor } from '../src/tensor.js'
import { rows } from './table/optimizers.rows.js'

interface Fixture {
  steps: number
  shapes: Record<string, number[]>
  params: Record<string, number[]>
  grads: Record<string, number[]>[]
  cases: { name: string; source: string; trajectory: Record<string, number[]>[] }[]
}

const fixture: Fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'optimizers.json'), 'utf8'))
const keys = Object.keys(fixture.shapes)
const tree = (values: Record<string, number[]>) =>
  Object.fromEntries(keys.map((k) => [k, new Tensor(Float32Array.from(values[k]), fixture.shapes[k].slice())]))

const RTOL = 1e-4
const ATOL = 1e-6

describe('optimizers reproduce the reference trajectories (fixtures/optimizers.json)', () => {
  const claimed = new Map<string, string>()
  for (const row of rows) for (const name of Object.keys(row.fixtures)) claimed.set(name, row.name)

  test('every fixture case belongs to exactly one row, every row has a case', () => {
    const names = fixture.cases.map((c) => c.name)
    expect(names.filter((n) => !claimed.has(n))).toEqual([])
    expect([...claimed.keys()].filter((n) => !names.includes(n))).toEqual([])
    expect(rows.filter((r) => Object.keys(r.fixtures).length === 0).map((r) => r.name)).toEqual([])
  })

  for (const c of fixture.cases) {
    const row = rows.find((r) => c.name in r.fixtures)
    if (!row) continue
    test(`${row.name}: ${c.name}  [${c.source}]`, () => {
      const opt = row.fixtures[c.name]()
      let state = opt.init(tree(fixture.params))
      for (let i = 0; i < fixture.steps; i++) {
        state = opt.update(i, tree(fixture.grads[i]), state)
        const got = opt.getParams(state) as Record<string, Tensor>
        const want = c.trajectory[i]
        let maxDisp = 0
        let maxDispErr = 0
        for (const k of keys) {
          const g = got[k].data
          const w = want[k]
          const x0 = fixture.params[k]
          for (let j = 0; j < w.length; j++) {
            const err = Math.abs(g[j] - w[j])
            if (!(err <= RTOL * Math.abs(w[j]) + ATOL)) {
              throw new Error(
                `${c.name}: step ${i}, ${k}[${j}]: got ${g[j]}, reference ${w[j]} (|diff| ${err.toExponential(2)} > ${RTOL}·|ref| + ${ATOL})`,
              )
            }
            maxDisp = Math.max(maxDisp, Math.abs(w[j] - x0[j]))
            maxDispErr = Math.max(maxDispErr, Math.abs(g[j] - x0[j] - (w[j] - x0[j])))
          }
        }
        if (maxDisp > 0 && !(maxDispErr <= 1e-3 * maxDisp)) {
          throw new Error(
            `${c.name}: step ${i}: displacement from the start differs by ${maxDispErr.toExponential(2)}, more than 1e-3 of its size ${maxDisp.toExponential(2)}`,
          )
        }
      }
    })
  }
})
