/**
 * Clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (float32 tensors), from
 * test/fixtures/schedules.json (written by test/fixtures/schedule_fixtures.py). Compared with
 * |actual − expected| ≤ RTOL·|expected| + ATOL, NaN matching NaN and ±∞ matching exactly.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tensor, tensor, valueAndGrad } from '../src/index.js'
import { flatten, type Tree } from '../src/tree.js'
import { clipGradNorm, clipGradValue, gradsOf, l2Norm } from '../optimizers/clip.js'

const RTOL = 1e-5
const ATOL = 1e-12

type Num = number | 'NaN' | 'Infinity' | '-Infinity'
interface JLeaf {
  shape: number[]
  data: Num[]
}
type JTree = JLeaf | JTree[] | { [k: string]: JTree }
interface NormCase {
  tree: string
  maxNorm: number
  normType: number | 'inf'
  grads: JTree
  totalNorm: Num
  clipped: JTree
  source: string
}
interface ValueCase {
  tree: string
  clipValue: number
  grads: JTree
  clipped: JTree
  source: string
}
const fixtures: { clipGradNorm: NormCase[]; clipGradValue: ValueCase[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'schedules.json'), 'utf8'),
)

const num = (x: Num): number => (typeof x === 'number' ? x : Number(x))
const isLeaf = (t: JTree): t is JLeaf =>
  !Array.isArray(t) && Array.isArray((t as JLeaf).shape) && Array.isArray((t as JLeaf).data)

function build(t: JTree, dtype: 'float32' | 'float64' = 'float32'): Tree {
  if (isLeaf(t)) return tensor(t.data.map(num), { shape: t.shape, dtype })
  if (Array.isArray(t)) return t.map((c) => build(c, dtype))
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, build(v, dtype)]))
}

function close(a: number, e: number): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a)
  if (!Number.isFinite(e)) return a === e
  return Math.abs(a - e) <= RTOL * Math.abs(e) + ATOL
}

function expectTreeClose(actual: Tree, expected: JTree, what: string): void {
  const { leaves, paths } = flatten(actual)
  const { leaves: want } = flatten(build(expected, 'float64'))
  expect(leaves.length).toBe(want.length)
  const bad: string[] = []
  leaves.forEach((t, j) => {
    expect(t.shape).toEqual(want[j].shape)
    t.data.forEach((a, k) => {
      const e = want[j].data[k]
      if (!close(a, e)) bad.push(`${paths[j] || '(root)'}[${k}]: got ${a}, expected ${e}`)
    })
  })
  if (bad.length) throw new Error(`${what}:\n  ${bad.slice(0, 10).join('\n  ')}`)
}

const snapshot = (tree: Tree) => flatten(tree).leaves.map((t) => Array.from(t.data))

describe('clipGradNorm vs torch.nn.utils.clip_grad_norm_', () => {
  it('covers norm types 2, 1, other p and inf, and non-finite gradients', () => {
    const types = new Set(fixtures.clipGradNorm.map((c) => String(c.normType)))
    for (const t of ['2', '1', '3', '1.5', 'inf']) expect(types.has(t)).toBe(true)
    expect(fixtures.clipGradNorm.some((c) => Number.isNaN(num(c.totalNorm)))).toBe(true)
  })

  it.each(fixtures.clipGradNorm.map((c) => [`${c.tree}, maxNorm ${c.maxNorm}, normType ${c.normType}`, c] as const))(
    '%s',
    (title, c) => {
      const grads = build(c.grads)
      const norm = clipGradNorm(grads, c.maxNorm, { normType: c.normType })
      if (!close(norm, num(c.totalNorm))) throw new Error(`${title}: total norm ${norm}, expected ${c.totalNorm}`)
      expectTreeClose(grads, c.clipped, title)
    },
  )

  it('l2Norm equals the fixtures’ finite 2-norms and does not change the tree', () => {
    for (const c of fixtures.clipGradNorm.filter((c) => c.normType === 2)) {
      const grads = build(c.grads)
      const before = snapshot(grads)
      const n = l2Norm(grads)
      if (!close(n, num(c.totalNorm))) throw new Error(`${c.tree}: l2Norm ${n}, expected ${c.totalNorm}`)
      expect(snapshot(grads)).toEqual(before)
    }
  })
})

describe('clipGradValue vs torch.nn.utils.clip_grad_value_', () => {
  it.each(fixtures.clipGradValue.map((c) => [`${c.tree}, clipValue ${c.clipValue}`, c] as const))('%s', (title, c) => {
    const grads = build(c.grads)
    const out = clipGradValue(grads, c.clipValue)
    expect(out).toBe(grads)
    expectTreeClose(grads, c.clipped, title)
  })
})

describe('l2Norm', () => {
  it('is the norm of all leaves as one vector, in float64', () => {
    expect(l2Norm({ w: tensor([3, 0]), b: tensor([4]) })).toBe(5)
    expect(
      l2Norm(
        tensor(
          [
            [1, 2],
            [2, 4],
          ],
          { dtype: 'float64' },
        ),
      ),
    ).toBe(5)
    expect(l2Norm([])).toBe(0)
    expect(l2Norm({})).toBe(0)
    // 1e5 entries of 0.1f: a float32 running sum would drift; float64 gives √(1e5 · 0.1f²)
    const n = 100000
    const t = tensor(new Float32Array(n).fill(0.1))
    expect(l2Norm(t)).toBeCloseTo(Math.sqrt(n) * Math.fround(0.1), 9)
  })
  it('names itself on a malformed tree', () => {
    expect(() => l2Norm({ w: 3 } as unknown as Tree)).toThrow(
      /^l2Norm: tree: expected a Tensor, an array or a plain object at 'w', got number 3/,
    )
  })
})

describe('clipGradNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) when above, leaves the tree bit-identical when below', () => {
    const g = { a: tensor([3, 4], { dtype: 'float64' }) }
    expect(clipGradNorm(g, 1)).toBe(5)
    const c = 1 / (5 + 1e-6)
    expect(Array.from((g.a as Tensor).data)).toEqual([3 * c, 4 * c])
    const h = [tensor([0.1, -0.2]), tensor([[0.3]])]
    const before = snapshot(h)
    clipGradNorm(h, 10)
    expect(snapshot(h)).toEqual(before)
  })
  it('accepts Infinity as maxNorm and normType "inf" / Infinity alike', () => {
    const g = tensor([1, -7, 2])
    expect(clipGradNorm(g, Infinity)).toBeCloseTo(Math.sqrt(54), 6)
    expect(Array.from(g.data)).toEqual([1, -7, 2])
    expect(clipGradNorm(tensor([1, -7, 2]), 100, { normType: 'inf' })).toBe(7)
    expect(clipGradNorm(tensor([1, -7, 2]), 100, { normType: Infinity })).toBe(7)
  })
  it('returns 0 for an empty tree', () => {
    expect(clipGradNorm([], 1)).toBe(0)
  })
  it('clips the gradient tree from valueAndGrad, leaving the parameters alone', () => {
    const params = { w: tensor([1, 2, 3]), b: tensor([4]) }
    const [, g] = valueAndGrad((p: typeof params) => p.w.mul(p.w).sum().add(p.b.mul(p.b).sum()))(params)
    const norm = clipGradNorm(g, 1) // grads 2w, 2b = [2,4,6],[8]: norm √120
    expect(norm).toBeCloseTo(Math.sqrt(120), 5)
    expect(l2Norm(g)).toBeCloseTo(1, 5)
    expect(Array.from(params.w.data)).toEqual([1, 2, 3])
  })
  it('scales leaves that share one storage buffer once', () => {
    const data = new Float32Array([3, 4])
    const a = new Tensor(data, [2])
    const b = new Tensor(data, [2, 1])
    const norm = clipGradNorm([a, b], 1) // counted twice in the norm, as torch: √50
    expect(norm).toBeCloseTo(Math.sqrt(50), 5)
    const c = 1 / (Math.sqrt(50) + 1e-6)
    expect(data[0]).toBeCloseTo(3 * c, 6)
    expect(data[1]).toBeCloseTo(4 * c, 6)
  })
  it('with errorIfNonfinite throws naming the norm and changes nothing', () => {
    for (const [bad, normType, shown] of [
      [NaN, 2, 'NaN'],
      [Infinity, 2, 'Infinity'],
      [-Infinity, 'inf', 'Infinity'],
      [NaN, 'inf', 'NaN'],
    ] as const) {
      const g = { w: tensor([1, 2, 3]), b: tensor([bad]) }
      const before = snapshot(g)
      const p = normType === 'inf' ? 'Infinity' : '2'
      expect(() => clipGradNorm(g, 1, { errorIfNonfinite: true, normType })).toThrow(
        `clipGradNorm: the total norm of order ${p} of the gradients is ${shown}, so it cannot be clipped; nothing was changed`,
      )
      expect(snapshot(g)).toEqual(before)
    }
    // finite gradients are clipped as usual with the flag on
    const ok = tensor([3, 4])
    expect(clipGradNorm(ok, 1, { errorIfNonfinite: true })).toBe(5)
    expect(l2Norm(ok)).toBeCloseTo(1, 5)
  })
  it.each([
    [-1, 'clipGradNorm: maxNorm must be a number ≥ 0, got number -1'],
    [NaN, 'clipGradNorm: maxNorm must be a number ≥ 0, got number NaN'],
    ['1', 'clipGradNorm: maxNorm must be a number ≥ 0, got string 1'],
    [undefined, 'clipGradNorm: maxNorm must be a number ≥ 0, got undefined'],
  ])('rejects maxNorm %p', (maxNorm, message) => {
    const g = tensor([30, 40])
    expect(() => clipGradNorm(g, maxNorm as number)).toThrow(message)
    expect(Array.from(g.data)).toEqual([30, 40])
  })
  it.each([
    [0, 'number 0'],
    [-2, 'number -2'],
    [NaN, 'number NaN'],
    ['fro', 'string fro'],
  ])('rejects normType %p', (normType, found) => {
    const g = tensor([30, 40])
    expect(() => clipGradNorm(g, 1, { normType: normType as number })).toThrow(
      `clipGradNorm: normType must be a number > 0 or Infinity / 'inf', got ${found}`,
    )
    expect(Array.from(g.data)).toEqual([30, 40])
  })
  it('names itself on a malformed tree', () => {
    expect(() => clipGradNorm([tensor([1]), 'x'] as unknown as Tree, 1)).toThrow(
      /^clipGradNorm: tree: expected a Tensor, an array or a plain object at '1', got string x/,
    )
  })
})

describe('clipGradValue', () => {
  it('clamps to [−c, c], keeps NaN, and handles float64', () => {
    const g = { a: tensor([-3, -0.5, 0, 0.5, 3, NaN], { dtype: 'float64' }) }
    clipGradValue(g, 1)
    expect(Array.from((g.a as Tensor).data)).toEqual([-1, -0.5, 0, 0.5, 1, NaN])
    const inf = tensor([-Infinity, Infinity])
    clipGradValue(inf, Infinity)
    expect(Array.from(inf.data)).toEqual([-Infinity, Infinity])
    clipGradValue(inf, 2)
    expect(Array.from(inf.data)).toEqual([-2, 2])
  })
  it.each([
    [-0.5, 'number -0.5'],
    [NaN, 'number NaN'],
    [null, 'null'],
  ])('rejects clipValue %p and changes nothing', (c, found) => {
    const g = tensor([5, -5])
    expect(() => clipGradValue(g, c as number)).toThrow(`clipGradValue: clipValue must be a number ≥ 0, got ${found}`)
    expect(Array.from(g.data)).toEqual([5, -5])
  })
})

describe('gradsOf', () => {
  it('lists the .grad tensors of a parameter tree, skipping parameters without one', () => {
    const w = tensor([1, 2], { requiresGrad: true })
    const b = tensor([3], { requiresGrad: true })
    const unused = tensor([9], { requiresGrad: true })
    w.mul(w)
      .sum()
      .add(b.mul(tensor([10])).sum())
      .backward()
    const grads = gradsOf({ layer: { w, b }, unused })
    expect(grads).toEqual([w.grad, b.grad])
    expect(grads[0]).toBe(w.grad)
    // clipping the list clips the parameters' gradients in place: grads [2, 4] and [10]
    const norm = clipGradNorm(gradsOf({ w, b }), 1)
    expect(norm).toBeCloseTo(Math.sqrt(120), 5)
    expect(l2Norm([w.grad!, b.grad!])).toBeCloseTo(1, 5)
    expect(Array.from(w.data)).toEqual([1, 2])
    expect(gradsOf(unused)).toEqual([])
  })
  it('names itself on a malformed tree', () => {
    expect(() => gradsOf(null as unknown as Tree)).toThrow(/^gradsOf: tree: expected a Tensor/)
  })
})
