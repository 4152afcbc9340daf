/**
 * Duplicate keys in JSON text. `JSON.parse` silently keeps the last of two equal keys, where a
 * format that forbids them (safetensors) must refuse the file instead.
 */

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON (parse it
 * first), with the key of the object it is in (null at the top level); null when there is none.
 * Keys are compared after unescaping (`"a\\u0062"` is `"ab"`). Reading valid JSON, a string is a
 * key exactly when it opens an object or follows a comma inside one.
 * @example
 * import { duplicateKey } from './src/io/duplicate-key'   // internal: loadSafetensors's check
 *
 * duplicateKey('{"a": 1, "b": {"c": 2, "c": 3}}')   // { key: 'c', inside: 'b' }
 * duplicateKey('{"a": [1, 1]}')                       // null
 */
export function duplicateKey(text: string): { key: string; inside: string | null } | null {
  const seen: (Set<string> | null)[] = [] // per open container: the keys so far, null for arrays
  const names: (string | null)[] = [] // per open container: the key it is the value of
  let lastKey: string | null = null
  let previous = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const keys = seen[seen.length - 1]
      if (keys && (previous === '{' || previous === ',')) {
        const key = JSON.parse(text.slice(i, j + 1)) as string
        if (keys.has(key)) return { key, inside: names[names.length - 1] }
        keys.add(key)
        lastKey = key
      }
      previous = '"'
      i = j
    } else if (c === '{' || c === '[') {
      seen.push(c === '{' ? new Set() : null)
      names.push(previous === ':' ? lastKey : null)
      previous = c
    } else if (c === '}' || c === ']') {
      seen.pop()
      names.pop()
      previous = c
    } else if (c === ',' || c === ':') {
      previous = c
    } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
      previous = 'value'
    }
  }
  return null
}
