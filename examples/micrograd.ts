/**
 * micrograd's README example, line for line, with 0-d tensors.
 * Karpathy's micrograd prints g = 24.7041, ∂g/∂a = 138.8338, ∂g/∂b = 645.5773; so does this.
 *
 *   npm run example:micrograd
 */
import { tensor, type Tensor } from '../src/index.js'
import { isMain } from './is-main.js'

export function main(): { g: number; dgda: number; dgdb: number } {
  // float64 like Python's floats; 0-d tensors play micrograd's Value.
  const scalar = (v: number) => tensor(v, { dtype: 'float64', requiresGrad: true })
  const a = scalar(-4.0)
  const b = scalar(2.0)
  let c: Tensor = a.add(b)
  let d: Tensor = a.mul(b).add(b.pow(3))
  c = c.add(c.add(1))
  c = c.add(c.add(1).add(a.neg())) // c += 1 + c + (-a)
  d = d.add(d.mul(2).add(b.add(a).relu()))
  d = d.add(d.mul(3).add(b.sub(a).relu()))
  const e = c.sub(d)
  const f = e.pow(2)
  let g = f.div(2.0)
  g = g.add(f.pow(-1).mul(10.0)) // g += 10.0 / f
  g.backward()
  return { g: g.item(), dgda: a.grad!.item(), dgdb: b.grad!.item() }
}

if (isMain('micrograd')) {
  const { g, dgda, dgdb } = main()
  console.log(`g     = ${g.toFixed(4)}     (micrograd: 24.7041)`)
  console.log(`dg/da = ${dgda.toFixed(4)}    (micrograd: 138.8338)`)
  console.log(`dg/db = ${dgdb.toFixed(4)}    (micrograd: 645.5773)`)
}
