/**
 * Property tests (fast-check): broadcasting, un-broadcasting, reshape/permute round trips and
 * parameter-tree flatten/unflatten round trips. References use explicit index arithmetic written
 * here (unravel an output index, ravel it into each input), not library code. Runs are kept small
 * (100 cases per property) so the file takes a few seconds.
 */
import fc from 'fast-check'
import {
  add,
  tensor,
  zeros,
  Tensor,
  flattenTree as flatten,
  unflattenTree as unflatten,
  mapTree,
  describeTree,
  type Tree,
} from '../src/index.js'
import { broadcastShapes } from '../src/nd.js'
import { unbroadcast } from '../src/reductions.js'
import { reshape } from '../src/ops/index.js'
import { sameTreeDef } from '../src/tree.js'

const RUNS = { numRuns: 100 }

// ---------------------------------------------------------------------------------------------
// Index arithmetic, by hand

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** The multi-index of flat position k in a row-major array of `shape`. */
function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length)
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = k % shape[a]
    k = Math.floor(k / shape[a])
  }
  return idx
}

/** Flat position in an array of `shape` read at the (right-aligned) output index `idx`, with
 *  size-1 axes read at 0: where broadcasting fetches an input element from. */
function ravelBroadcast(idx: readonly number[], shape: readonly number[]): number {
  const lead = idx.length - shape.length
  let off = 0
  for (let a = 0; a < shape.length; a++) off = off * shape[a] + (shape[a] === 1 ? 0 : idx[a + lead])
  return off
}

/** NumPy's broadcast of two shapes, written out here (null when incompatible). */
function broadcastRef(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)]
    const db = i < n - b.length ? 1 : b[i - (n - b.length)]
    if (da !== db && da !== 1 && db !== 1) return null
    out.push(da === 1 ? db : da)
  }
  return out
}

/** A float64 tensor with distinct values (so a value read from the wrong place shows). */
function distinct(shape: number[], scale: number): Tensor {
  const d = new Float64Array(size(shape))
  for (let i = 0; i < d.length; i++) d[i] = (i + 1) * scale
  return tensor(d, { shape, dtype: 'float64' })
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** An axis size: mostly 1..4, sometimes 0 (empty tensors must work too). */
const dim = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 12, arbitrary: fc.integer({ min: 1, max: 4 }) },
)
const shapeArb = (maxRank = 4, d: fc.Arbitrary<number> = dim) => fc.array(d, { maxLength: maxRank })

/** A shape that broadcasts to `out`: a suffix of it with some axes replaced by 1. */
const broadcastableTo = (out: number[]) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([k, ones]) => out.slice(out.length - k).map((s, i) => (ones[i] ? 1 : s)))

/** Two shapes that broadcast together (their broadcast may be smaller than `out`). */
const compatiblePair = shapeArb().chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)))

/** Two shapes that do not broadcast: on one aligned axis both sizes are ≥ 2 and differ. */
const incompatiblePair = fc
  .tuple(
    shapeArb(3, fc.integer({ min: 1, max: 3 })),
    fc.integer({ min: 2, max: 5 }),
    fc.integer({ min: 2, max: 5 }),
    fc.nat(),
  )
  .filter(([, p, q]) => p !== q)
  .chain(([out, p, q, at]) => {
    const axis = at % (out.length + 1) // position of the clashing axis counted from the right
    const full = [...out.slice(0, out.length - axis), 0, ...out.slice(out.length - axis)]
    const i = full.length - 1 - axis
    return fc.tuple(broadcastableTo(full), broadcastableTo(full)).map(([a, b]) => {
      const pad = (s: number[]) => [...new Array(Math.max(0, full.length - s.length)).fill(1), ...s]
      const [fa, fb] = [pad(a), pad(b)]
      fa[i] = p
      fb[i] = q
      return [fa, fb] as [number[], number[]]
    })
  })

// ---------------------------------------------------------------------------------------------

describe('broadcasting', () => {
  test('add(a, b) equals a loop over the broadcast index space', () => {
    fc.assert(
      fc.property(compatiblePair, ([sa, sb]) => {
        const a = distinct(sa, 1)
        const b = distinct(sb, 1000)
        const out = add(a, b)
        const shape = broadcastRef(sa, sb)!
        expect(out.shape).toEqual(shape)
        expect(out.size).toBe(size(shape))
        for (let k = 0; k < out.size; k++) {
          const idx = unravel(k, shape)
          const want = a.data[ravelBroadcast(idx, sa)] + b.data[ravelBroadcast(idx, sb)]
          if (out.data[k] !== want)
            throw new Error(
              `add ${JSON.stringify(sa)} + ${JSON.stringify(sb)}: element ${k} is ${out.data[k]}, expected ${want}`,
            )
        }
      }),
      RUNS,
    )
  })

  test('broadcastShapes is commutative and agrees with the reference', () => {
    fc.assert(
      fc.property(shapeArb(), shapeArb(), (a, b) => {
        const want = broadcastRef(a, b)
        if (want === null) {
          expect(() => broadcastShapes('t', a, b)).toThrow()
          expect(() => broadcastShapes('t', b, a)).toThrow()
        } else {
          expect(broadcastShapes('t', a, b)).toEqual(want)
          expect(broadcastShapes('t', b, a)).toEqual(want)
        }
      }),
      RUNS,
    )
  })

  test('incompatible shapes throw an error naming the op and both shapes', () => {
    fc.assert(
      fc.property(incompatiblePair, ([sa, sb]) => {
        expect(broadcastRef(sa, sb)).toBeNull()
        const a = zeros(sa)
        const b = zeros(sb)
        expect(() => add(a, b)).toThrow(
          `add: shapes [${sa.join(',')}] and [${sb.join(',')}] cannot be broadcast together`,
        )
        expect(() => add(b, a)).toThrow(
          `add: shapes [${sb.join(',')}] and [${sa.join(',')}] cannot be broadcast together`,
        )
      }),
      RUNS,
    )
  })
})

describe('un-broadcasting', () => {
  /** An output shape and an input shape that broadcasts to it. */
  const target = shapeArb().chain((out) => fc.tuple(fc.constant(out), broadcastableTo(out)))

  test('nd.unbroadcast sums a gradient back exactly like a loop over the index map', () => {
    fc.assert(
      fc.property(target, ([out, small]) => {
        const g = distinct(out, 1) // integers: every sum is exact whatever the order
        const got = unbroadcast(g.data, out, small)
        const want = new Float64Array(size(small))
        for (let k = 0; k < g.size; k++) want[ravelBroadcast(unravel(k, out), small)] += g.data[k]
        expect(Array.from(got)).toEqual(Array.from(want))
      }),
      RUNS,
    )
  })

  test('the gradient of sum(a + b) with respect to a broadcast b is each element’s multiplicity', () => {
    fc.assert(
      fc.property(target, ([out, small]) => {
        const a = zeros(out, { dtype: 'float64' })
        const b = zeros(small, { dtype: 'float64', requiresGrad: true })
        add(a, b).sum().backward()
        const count = new Float64Array(size(small))
        for (let k = 0; k < size(out); k++) count[ravelBroadcast(unravel(k, out), small)] += 1
        expect(b.grad!.shape).toEqual(small)
        expect(Array.from(b.grad!.data)).toEqual(Array.from(count))
      }),
      RUNS,
    )
  })
})

describe('round trips', () => {
  /** A shape and another shape with the same number of elements (one size possibly -1). */
  const reshapePair = shapeArb(4, fc.integer({ min: 1, max: 4 })).chain((shape) =>
    fc
      .tuple(
        fc.constant(shape),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 2 }),
        fc.boolean(),
      )
      .map(([s, picks, ones, infer]) => {
        let rest = size(s)
        const t: number[] = []
        for (const p of picks) {
          const divisors: number[] = []
          for (let d = 1; d <= rest; d++) if (rest % d === 0) divisors.push(d)
          const d = divisors[p % divisors.length]
          t.push(d)
          rest /= d
        }
        t.push(rest)
        for (const o of ones) t.splice(o % (t.length + 1), 0, 1)
        const spec = t.slice()
        if (infer) spec[picks.length % spec.length] = -1
        return { shape: s, spec, target: t }
      }),
  )

  test('reshape to a compatible shape and back is the identity (same values, same order)', () => {
    fc.assert(
      fc.property(reshapePair, ({ shape, spec, target }) => {
        const x = distinct(shape, 1)
        const y = reshape(x, spec)
        expect(y.shape).toEqual(target)
        const z = reshape(y, shape)
        expect(z.shape).toEqual(shape)
        expect(Array.from(z.data)).toEqual(Array.from(x.data))
      }),
      RUNS,
    )
  })

  const permutation = shapeArb(4).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.shuffledSubarray(
        shape.map((_, i) => i),
        { minLength: shape.length, maxLength: shape.length },
      ),
    ),
  )

  test('permute by p moves axis p[i] to i (index arithmetic), and permute by p⁻¹ undoes it', () => {
    fc.assert(
      fc.property(permutation, ([shape, p]) => {
        const x = distinct(shape, 1)
        const y = x.permute(p)
        const outShape = p.map((a) => shape[a])
        expect(y.shape).toEqual(outShape)
        for (let k = 0; k < y.size; k++) {
          const idx = unravel(k, outShape)
          const src = new Array<number>(shape.length)
          p.forEach((a, i) => (src[a] = idx[i]))
          let off = 0
          for (let a = 0; a < shape.length; a++) off = off * shape[a] + src[a]
          if (y.data[k] !== x.data[off])
            throw new Error(
              `permute ${JSON.stringify(shape)} by ${JSON.stringify(p)}: element ${k} is ${y.data[k]}, expected ${x.data[off]}`,
            )
        }
        const inv = new Array<number>(p.length)
        p.forEach((a, i) => (inv[a] = i))
        const back = y.permute(inv)
        expect(back.shape).toEqual(shape)
        expect(Array.from(back.data)).toEqual(Array.from(x.data))
      }),
      RUNS,
    )
  })

  test('transposing twice (last two axes) is the identity', () => {
    fc.assert(
      fc.property(shapeArb(4), (shape) => {
        const x = distinct(shape, 1)
        const y = x.transpose().transpose()
        expect(y.shape).toEqual(shape)
        expect(Array.from(y.data)).toEqual(Array.from(x.data))
      }),
      RUNS,
    )
  })
})

describe('parameter trees', () => {
  // Keys from a small alphabet without '.', so dotted paths are unambiguous.
  const key = fc.constantFrom('w', 'b', 'layers', 'x1', 'emb', '0', '7')
  const leafArb = shapeArb(3).map((s) => zeros(s))
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leafArb,
      fc.array(tie('tree'), { maxLength: 3 }),
      fc.dictionary(key, tie('tree'), { maxKeys: 3 }),
    ),
  })) as { tree: fc.Arbitrary<Tree> }

  /** Same structure, and leaves that are the very same objects. */
  function sameTree(a: unknown, b: unknown): boolean {
    if (a instanceof Tensor || b instanceof Tensor) return a === b
    if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameTree(v, b[i]))
    if (Array.isArray(b)) return false
    const ka = Object.keys(a as object)
    const kb = Object.keys(b as object)
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameTree((a as any)[k], (b as any)[k]))
  }

  /** Follows a dotted path ("layers.0.w") through a tree. */
  function at(t: unknown, path: string): unknown {
    if (path === '') return t
    return path.split('.').reduce((node: any, k) => node[Array.isArray(node) ? Number(k) : k], t)
  }

  test('unflatten(flatten(tree)) rebuilds the tree around the same leaves', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const { leaves, paths, def } = flatten(t)
        expect(paths.length).toBe(leaves.length)
        expect(new Set(paths).size).toBe(paths.length)
        paths.forEach((p, i) => expect(at(t, p)).toBe(leaves[i]))
        const back = unflatten(def, leaves)
        if (!sameTree(t, back))
          throw new Error(`round trip changed ${describeTree(def)} into ${describeTree(flatten(back).def)}`)
        expect(sameTreeDef(flatten(back).def, def)).toBe(true)
      }),
      RUNS,
    )
  })

  test('mapTree keeps the structure and puts each mapped leaf at its path', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const { leaves, paths, def } = flatten(t)
        const mapped = mapTree(t, (leaf, path) => {
          const c = leaf.clone()
          c.label = path
          return c
        }) as Tree
        const m = flatten(mapped)
        expect(sameTreeDef(m.def, def)).toBe(true)
        expect(m.paths).toEqual(paths)
        m.leaves.forEach((leaf, i) => {
          expect(leaf).not.toBe(leaves[i])
          expect(leaf.label).toBe(paths[i])
          expect(leaf.shape).toEqual(leaves[i].shape)
        })
      }),
      RUNS,
    )
  })

  test('unflatten rejects a wrong number of leaves', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const { leaves, def } = flatten(t)
        expect(() => unflatten(def, [...leaves, zeros([1])])).toThrow('tree: unflatten got')
        if (leaves.length > 0)
          expect(() => unflatten(def, leaves.slice(1))).toThrow('tree: unflatten ran out of leaves')
      }),
      RUNS,
    )
  })
})
