/**
 * PyTorch's names and layouts for a module's state: what `stateDict({ format: 'torch' })` writes
 * and `loadStateDict(dict, { format: 'torch' })` reads, so that a `torch.nn` model loads the file
 * with `load_state_dict` and back.
 *
 * Each module says how its own state appears in a PyTorch `state_dict` by returning a list of
 * {@link TorchEntry} from `Module.torchEntries()`. The default (in module.ts) is the identity: every
 * tensor field under its own name, and every submodule's entries under the submodule's field
 * name. A layer whose names or layouts differ from PyTorch's overrides it with the helpers here:
 *
 *     Linear:      weight [in, out]  ↔  weight [out, in]           transposedEntry('weight', this.weight)
 *     Sequential:  layers.2.weight   ↔  2.weight                    prefixEntries('2', layer.torchEntries())
 *     BatchNorm:   runningMean       ↔  running_mean                torchEntry('running_mean', this.runningMean)
 */
import type { DType } from '../nd.js'
import { transpose } from '../ops/linalg.js'
import { Tensor } from '../tensor.js'

/**
 * One tensor of a module's state, as PyTorch names and lays it out.
 * @example
 * import { nn, zeros } from 'tapegrad'
 * const e = nn.transposedEntry('weight', zeros([3, 2]))   // a Linear(3 → 2) weight
 * // torch's [out, in]
 * e.shape                                                 // [2, 3]
 * e.name                                                  // 'weight'
 */
export interface TorchEntry {
  /** The name in PyTorch's `state_dict`, relative to the module: 'weight', '0.bias', 'running_mean'. */
  readonly name: string
  /** The shape in PyTorch's layout. */
  readonly shape: readonly number[]
  /** The element type (values loaded into the entry are converted to it). */
  readonly dtype: DType
  /** A fresh copy of the value in PyTorch's layout (no history). */
  read(): Tensor
  /**
   * Writes `value` (already checked: shape `shape`, dtype `dtype`) into the module, in place, so
   * that optimizers attached to the tensors keep working. It must not throw: loading checks every
   * entry first and then writes them all.
   */
  load(value: Tensor): void
}

/**
 * An entry stored as it is in tapegrad (same shape and layout), under PyTorch's `name`.
 * @example
 * import { nn, zeros } from 'tapegrad'
 * // stored as it is, under torch's name
 * nn.torchEntry('running_mean', zeros([4])).shape // [4]
 */
export function torchEntry(name: string, tensor: Tensor): TorchEntry {
  return {
    name,
    shape: tensor.shape.slice(),
    dtype: tensor.dtype,
    read: () => tensor.clone(),
    load: (value) => {
      tensor.data.set(value.data)
      tensor.markModified()
    },
  }
}

/**
 * An entry for a matrix that PyTorch stores transposed: tapegrad's [a, b] is torch's [b, a]
 * (Linear's weight: tapegrad [in, out] computes x·W, torch [out, in] computes x·Wᵀ).
 * @example
 * import { nn, tensor } from 'tapegrad'
 * nn.transposedEntry('weight', tensor([[1, 2, 3]])).read().toArray() // [[1], [2], [3]]
 */
export function transposedEntry(name: string, tensor: Tensor): TorchEntry {
  if (tensor.ndim !== 2) {
    throw new Error(`transposedEntry: '${name}' must be a matrix, got shape [${tensor.shape.join(',')}]`)
  }
  const [a, b] = tensor.shape
  return {
    name,
    shape: [b, a],
    dtype: tensor.dtype,
    read: () => transpose(tensor.detach()),
    load: (value) => {
      tensor.data.set(transpose(value.detach()).data)
      tensor.markModified()
    },
  }
}

/**
 * The entries of a submodule under `prefix` ('0' turns 'weight' into '0.weight').
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * nn.prefixEntries('2', new nn.Linear(3, 1).torchEntries()).map((e) => e.name) // ['2.weight', '2.bias']
 */
export function prefixEntries(prefix: string, entries: readonly TorchEntry[]): TorchEntry[] {
  return entries.map((e) => ({
    name: prefix ? `${prefix}.${e.name}` : e.name,
    shape: e.shape,
    dtype: e.dtype,
    read: () => e.read(),
    load: (value: Tensor) => e.load(value),
  }))
}
