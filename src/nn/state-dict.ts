/**
 * State dicts as plain data, for JSON files: `serializeStateDict` here, and `loadStateDict`
 * accepts what `JSON.parse` gives back.
 */
import type { SerializedTensor, StateDict } from './module.js'

/**
 * Turns a state dict into plain `{ shape, dtype, data: number[] }` objects that `JSON.stringify`
 * writes and `Module.loadStateDict` reads back exactly (a float32 value printed as a double
 * parses back to the same float32).
 * @example
 * import { nn, seed } from 'tapegrad'
 * seed(0)
 * const net = new nn.Linear(2, 1)
 * const plain = nn.serializeStateDict(net.stateDict())
 * plain.bias // { shape: [1], dtype: 'float32', data: [0] }
 * const json = JSON.stringify(plain)   // what fs.writeFileSync('weights.json', json) would save
 * const copy = new nn.Linear(2, 1)
 * copy.loadStateDict(JSON.parse(json))
 * copy.weight.data.every((v, i) => v === net.weight.data[i]) // true
 */
export function serializeStateDict(dict: StateDict): Record<string, SerializedTensor & { data: number[] }> {
  const out: Record<string, SerializedTensor & { data: number[] }> = {}
  for (const [name, t] of Object.entries(dict))
    out[name] = { shape: t.shape.slice(), dtype: t.dtype, data: Array.from(t.data) }
  return out
}
