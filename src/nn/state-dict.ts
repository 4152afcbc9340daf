/**
 * State dicts as plain data, for JSON files: `serializeStateDict` here, and `loadStateDict`
 * accepts what `JSON.parse` gives back.
 */
import type { SerializedTensor, StateDict } from './module.js'

/**
 * Turns a state dict into plain `{ shape, dtype, data: number[] }` objects that `JSON.stringify`
 * writes and `Module.loadStateDict` reads back exactly (a float32 value printed as a double
 * parses back to the same float32).
 * @example fs.writeFileSync('weights.json', JSON.stringify(serializeStateDict(net.stateDict())))
 */
export function serializeStateDict(dict: StateDict): Record<string, SerializedTensor & { data: number[] }> {
  const out: Record<string, SerializedTensor & { data: number[] }> = {}
  for (const [name, t] of Object.entries(dict)) out[name] = { shape: t.shape.slice(), dtype: t.dtype, data: Array.from(t.data) }
  return out
}
