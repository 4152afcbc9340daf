/**
 * copyStrided (src/nd.ts) against ndarray-ops' assign, which it replaced, on the copies tapegrad
 * makes (transposes, broadcasts, stepped slices): medians of 7 × 20 copies, float32.
 *     npm install --no-save ndarray-ops && npx tsx scripts/bench-strided-copy.ts
 */
import ndarray from 'ndarray'
import ops from 'ndarray-ops'
import { copyStrided, stridesOf } from '../src/nd.js'
function time(f: () => void, reps: number): number {
  f()
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) f()
  return (performance.now() - t0) / reps
}
const N = 512
const src = new Float32Array(N * N).map((_, i) => i)
const dst = new Float32Array(N * N)
const cases: [string, number[], number[], number[], number][] = [
  ['transpose 512x512', [N, N], [1, N], stridesOf([N, N]), 0],
  ['broadcast [1,512]->[512,512]', [N, N], [0, 1], stridesOf([N, N]), 0],
  ['broadcast [512,1]->[512,512]', [N, N], [1, 0], stridesOf([N, N]), 0],
  ['slice x[::2, 1::2] of 512x512', [N / 2, N / 2 - 0], [2 * N, 2], stridesOf([N / 2, N / 2]), 1],
  ['permute [64,64,64] (2,0,1)', [64, 64, 64], [1, 4096, 64], stridesOf([64, 64, 64]), 0],
]
for (const [name, shape, ss, ds, off] of cases) {
  const a = () => copyStrided(src, off, ss, dst, 0, ds, shape)
  const b = () => ops.assign(ndarray(dst, shape.slice(), ds.slice(), 0), ndarray(src, shape.slice(), ss.slice(), off))
  const r: number[][] = [[], []]
  for (let k = 0; k < 7; k++) {
    r[0].push(time(a, 20))
    r[1].push(time(b, 20))
  }
  const med = (v: number[]) => v.sort((x, y) => x - y)[3]
  console.log(
    `${name.padEnd(34)} copyStrided ${med(r[0]).toFixed(3)} ms  ndarray-ops ${med(r[1]).toFixed(3)} ms  ratio ${(med(r[0]) / med(r[1])).toFixed(2)}`,
  )
}
