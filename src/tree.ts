/**
 * Parameter trees: a Tensor, an array of trees, or a plain object of trees — the shape in which
 * `grad`, `valueAndGrad` and the optimizers take parameters. `flatten` lists the leaves in a fixed
 * order (arrays by index, objects by key in insertion order) together with a description of the
 * structure, so that `unflatten` can rebuild the same tree around other leaves.
 */
import { describeValue } from './describe-value.js'
import { fmt } from './nd.js'
import { Tensor } from './tensor.js'

/** A tree whose leaves are `L` (Tensors by default). */
export type Tree<L = Tensor> = L | Tree<L>[] | { [key: string]: Tree<L> }

/** The structure of a tree with the leaves taken out. */
export type TreeDef =
  | { kind: 'leaf'; shape: number[] }
  | { kind: 'array'; children: TreeDef[] }
  | { kind: 'object'; keys: string[]; children: TreeDef[] }

/** A flattened tree: the leaves in order, their dotted paths (`"layers.0.weight"`), the structure. */
export interface Flat<L = Tensor> {
  /** The leaves, arrays by index and objects by key in insertion order. */
  leaves: L[]
  /** Each leaf's dotted path ('' for a lone tensor). */
  paths: string[]
  /** The structure, for unflatten. */
  def: TreeDef
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/**
 * Lists the leaves of a tree of Tensors with their paths and the tree's structure.
 * @example
 * import { flattenTree, zeros } from 'tapegrad'   // exported as flattenTree
 * const { leaves, paths } = flattenTree({ w: zeros([2]), layers: [zeros([3])] })
 * paths // ['w', 'layers.0']
 * leaves.map((t) => t.shape) // [[2], [3]]
 */
export function flatten(tree: Tree): Flat {
  const leaves: Tensor[] = []
  const paths: string[] = []
  const walk = (node: unknown, path: string): TreeDef => {
    if (node instanceof Tensor) {
      leaves.push(node)
      paths.push(path)
      return { kind: 'leaf', shape: node.shape.slice() }
    }
    if (Array.isArray(node)) {
      return { kind: 'array', children: node.map((c, i) => walk(c, path ? `${path}.${i}` : String(i))) }
    }
    if (isPlainObject(node)) {
      const keys = Object.keys(node)
      return { kind: 'object', keys, children: keys.map((k) => walk(node[k], path ? `${path}.${k}` : k)) }
    }
    const where = path ? ` at '${path}'` : ''
    throw new Error(`tree: expected a Tensor, an array or a plain object${where}, got ${describeValue(node)}`)
  }
  const def = walk(tree, '')
  return { leaves, paths, def }
}

/**
 * Rebuilds a tree of structure `def` around `leaves` (taken in order).
 * @example
 * import { flattenTree, unflattenTree, tensor } from 'tapegrad'   // exported as unflattenTree
 * const { def } = flattenTree({ w: tensor([1, 2]), b: tensor(3) })
 * unflattenTree(def, [tensor([10, 20]), tensor(30)]) // { w: [10, 20], b: 30 }
 */
export function unflatten<L>(def: TreeDef, leaves: readonly L[]): Tree<L> {
  let k = 0
  const build = (d: TreeDef): Tree<L> => {
    if (d.kind === 'leaf') {
      if (k >= leaves.length) throw new Error(`tree: unflatten ran out of leaves (${leaves.length} given)`)
      return leaves[k++]
    }
    if (d.kind === 'array') return d.children.map(build)
    const obj: { [key: string]: Tree<L> } = {}
    d.keys.forEach((key, i) => {
      const value = build(d.children[i])
      // A key named "__proto__" (JSON.parse makes those) must stay a key: assignment would set
      // the prototype instead, so that one key is defined; the rest are assigned (much faster).
      if (key === '__proto__')
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
      else obj[key] = value
    })
    return obj
  }
  const out = build(def)
  if (k !== leaves.length) throw new Error(`tree: unflatten got ${leaves.length} leaves for a structure with ${k}`)
  return out
}

/**
 * Applies `fn` to every leaf, keeping the structure.
 * @example
 * import { mapTree, zeros } from 'tapegrad'
 * mapTree({ w: zeros([2, 3]), b: zeros([3]) }, (t) => t.size) // { w: 6, b: 3 }
 */
export function mapTree<L>(tree: Tree, fn: (leaf: Tensor, path: string) => L): Tree<L> {
  const { leaves, paths, def } = flatten(tree)
  return unflatten(
    def,
    leaves.map((t, i) => fn(t, paths[i])),
  )
}

/**
 * A one-line picture of a structure: `{w: [2,3], b: [3], layers: [[4], [4]]}`.
 * @example
 * import { describeTree, flattenTree, zeros } from 'tapegrad'
 * describeTree(flattenTree({ w: zeros([2, 3]), layers: [zeros([4])] }).def) // '{w: [2,3], layers: [[4]]}'
 */
export function describeTree(def: TreeDef): string {
  if (def.kind === 'leaf') return fmt(def.shape)
  if (def.kind === 'array') return `[${def.children.map(describeTree).join(', ')}]`
  return `{${def.keys.map((k, i) => `${k}: ${describeTree(def.children[i])}`).join(', ')}}`
}

/**
 * Whether two structures are the same (same nesting, keys in the same order, leaf shapes).
 * @example
 * import { flattenTree, zeros } from 'tapegrad'
 * import { sameTreeDef } from './src/tree'
 * const params = { w: zeros([2, 3]), b: zeros([3]) }
 * sameTreeDef(flattenTree(params).def, flattenTree({ w: zeros([2, 3]), b: zeros([3]) }).def) // true
 * sameTreeDef(flattenTree(params).def, flattenTree({ b: zeros([3]), w: zeros([2, 3]) }).def) // false
 */
export function sameTreeDef(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'leaf')
    return b.kind === 'leaf' && a.shape.length === b.shape.length && a.shape.every((s, i) => s === b.shape[i])
  const bc = (b as { children: TreeDef[] }).children
  if (a.children.length !== bc.length) return false
  if (a.kind === 'object') {
    const bk = (b as { keys: string[] }).keys
    if (a.keys.some((k, i) => k !== bk[i])) return false
  }
  return a.children.every((c, i) => sameTreeDef(c, bc[i]))
}

/**
 * Throws, showing both structures, unless `tree` has the structure `expected`; returns the
 * flattened tree.
 * @example
 * import { flattenTree, zeros } from 'tapegrad'
 * import { assertSameStructure } from './src/tree'
 * const { def } = flattenTree({ w: zeros([2]) })
 * assertSameStructure('sgd.update', def, { w: zeros([2]) }).leaves.length // 1
 * assertSameStructure('sgd.update', def, { v: zeros([2]) }) // throws sgd.update: tree structure mismatch
 */
export function assertSameStructure(who: string, expected: TreeDef, tree: Tree): Flat {
  const flat = flatten(tree)
  if (!sameTreeDef(expected, flat.def)) {
    throw new Error(
      `${who}: tree structure mismatch:\n  expected ${describeTree(expected)}\n  got      ${describeTree(flat.def)}`,
    )
  }
  return flat
}
