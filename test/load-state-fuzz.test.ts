/**
 * Fuzz of `loadState`'s JSON path (optimizers/state-io.ts), to the standard of the safetensors
 * fuzzes (test/safetensors.test.ts, test/optimizers-state-safetensors.test.ts): every damaged,
 * foreign or malformed state is refused with a plain Error whose message starts with
 * 'loadState: ' — never a TypeError or RangeError from inside — and the target state it was to be
 * loaded into is bit for bit what it was. Loaded anyway are only states that are equal to the
 * good one. A flipped character inside an array's base64 data or a digit of the step still parses
 * to a valid state; the CRC-32 `checksum` that saveState writes is what refuses those (before it
 * existed, those flips loaded other values or another step).
 *
 * What the fuzz broke before it was fixed (now each refused, by name):
 * - a nested-array value (5,000 levels, valid JSON) in a hyper-parameter, the optimizer name or
 *   the tree: RangeError (stack overflow) while writing the error message;
 * - BigInt or cyclic values (the object path): TypeError from JSON.stringify in the comparison;
 * - a hole in the tree's children (object path): TypeError;
 * - hyper-parameters named '__proto__', 'constructor' or 'toString' were taken for this
 *   optimizer's own ('in' saw Object.prototype), so the state loaded;
 * - a step of 1e300 loaded (now: a safe integer);
 * - `extra` as an array, a Date or a Map loaded as "no extra state".
 * The figures (cases per kind and outcome) are printed at the end.
 */
import * as O from '../optimizers/index.js'
import { loadState, saveState, type OptState, type Optimizer, type SavedState } from '../optimizers/index.js'
import { tensor } from '../src/tensor.js'
import { instances, resumeGrads } from './table/optimizers.rows.js'

const params = () => ({
  w: tensor([
    [0.5, -1, 2],
    [1.5, 0.25, -0.75],
  ]),
  b: tensor([0.1, -0.2, 0.3]),
  s: tensor(2),
})
const make = () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true })

function steps(opt: Optimizer, state: OptState, from: number, to: number): OptState {
  for (let i = from; i < to; i++) state = opt.update(i, resumeGrads(i, opt.getParams(state)) as never, state)
  return state
}

/** Every number of the state as bits: the step, the parameters, the slots, the extra state. */
function bits(state: OptState): string {
  const arrays = [state.params, ...Object.values(state.slots), ...Object.values(state.extra)]
  return (
    `${state.step}:` + arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')).join('|')
  )
}

const goodObject = saveState(steps(make(), make().init(params()), 0, 5))
const good = JSON.stringify(goodObject)
const goodBits = bits(loadState(good, make()))
const counts: Record<string, number> = {}
/** Marks a field to delete (in the field fuzz). */
const REMOVE = Symbol('remove')

type Outcome = 'refused' | 'loaded the same state' | 'loaded another step' | 'loaded other values'

/**
 * Loads `input` into a fresh target (Adam after 2 steps); returns what happened, after checking
 * that a refusal is a plain, named Error and left the target untouched.
 */
function attempt(kind: string, input: unknown, opt: Optimizer = make(), into = true): Outcome {
  const target = into ? steps(make(), make().init(params()), 0, 2) : undefined
  const before = target ? bits(target) : ''
  let outcome: Outcome
  try {
    const loaded = loadState(input as SavedState, opt, target)
    const b = bits(loaded)
    if (b === goodBits) outcome = 'loaded the same state'
    else if (b.slice(b.indexOf(':')) === goodBits.slice(goodBits.indexOf(':'))) outcome = 'loaded another step'
    else outcome = 'loaded other values'
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.startsWith('loadState: ')) {
      throw new Error(`${kind}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, {
        cause: e,
      })
    }
    if (target && bits(target) !== before)
      throw new Error(`${kind}: a refused load changed the target state`, { cause: e })
    outcome = 'refused'
  }
  counts[`${kind}: ${outcome}`] = (counts[`${kind}: ${outcome}`] ?? 0) + 1
  return outcome
}

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const lines = Object.entries(counts).map(([k, v]) => `${k}: ${v}`)
  console.log(`loadState fuzz: ${total} cases\n  ${lines.join('\n  ')}`)
})

describe('the JSON text, damaged', () => {
  /** Where a flip can change a value undetected: inside the base64 of an array, the step's digits. */
  const dataRanges: [number, number][] = []
  for (const m of good.matchAll(/"(x|m|v|vmax)":"([A-Za-z0-9+/=]*)"/g)) {
    const start = m.index! + m[1].length + 4
    dataRanges.push([start, start + m[2].length])
  }
  const step = good.match(/"step":(\d+)/)!
  const stepRange: [number, number] = [step.index! + 7, step.index! + 7 + step[1].length]

  test('the good text loads, and the checks above see its four arrays and its step', () => {
    expect(attempt('undamaged', good)).toBe('loaded the same state')
    expect(dataRanges.length).toBe(4)
    expect(good.slice(...stepRange)).toBe('5')
  })

  test('truncated at every character: all refused', () => {
    for (let n = 0; n < good.length; n++) expect([n, attempt('truncation', good.slice(0, n))]).toEqual([n, 'refused'])
  })

  test('every single-bit flip of every character: refused (the checksum catches flips inside values)', () => {
    const unexpected: string[] = []
    for (let k = 0; k < good.length; k++) {
      for (let bit = 0; bit < 16; bit++) {
        if (bit >= 7 && bit !== 7 && bit !== 15) continue // ASCII bits, plus one high bit of each byte
        const damaged = good.slice(0, k) + String.fromCharCode(good.charCodeAt(k) ^ (1 << bit)) + good.slice(k + 1)
        const outcome = attempt('character flip', damaged)
        // Loaded the same state: a flip that JSON reads as the same value (1e-8 → 1E-8).
        if (outcome !== 'refused' && outcome !== 'loaded the same state')
          unexpected.push(`${k} (${JSON.stringify(good.slice(k - 10, k + 10))}), bit ${bit}: ${outcome}`)
      }
    }
    expect(unexpected).toEqual([])
  })
})

describe('the parsed object, with any field replaced or removed', () => {
  const deep = JSON.parse('['.repeat(5000) + ']'.repeat(5000))
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const oddValues: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['1e300', 1e300],
    ['""', ''],
    ['"x"', 'x'],
    ['a 100,000-character string', 'A'.repeat(100_000)],
    ['[]', []],
    ['{}', {}],
    ['true', true],
    ['[1]', [1]],
    ['{ a: 1 }', { a: 1 }],
    ['5,000 nested arrays', deep],
    ['a BigInt', 10n],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['a cycle', cyclic],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Float32Array', new Float32Array(2)],
    ['(removed)', REMOVE],
  ]
  /** Every path to a field of the saved object (arrays: their first two elements). */
  function fieldPaths(o: unknown, prefix: string[] = []): string[][] {
    if (o === null || typeof o !== 'object') return [prefix]
    const keys = Object.keys(o as object)
    const out: string[][] = prefix.length ? [prefix] : []
    for (const k of Array.isArray(o) ? keys.slice(0, 2) : keys)
      out.push(...fieldPaths((o as Record<string, unknown>)[k], [...prefix, k]))
    return out
  }
  /** The good object with the field at `path` set to `value` (or removed). */
  function edited(path: string[], value: unknown): Record<string, unknown> {
    const o = JSON.parse(good)
    let node = o
    for (const k of path.slice(0, -1)) node = node[k]
    const key = path[path.length - 1]
    if (value === REMOVE) delete node[key]
    else node[key] = value
    return o
  }

  test('every field × 25 odd values: refused, unless the field is informative or the value is what it was', () => {
    const paths = fieldPaths(goodObject)
    expect(paths.length).toBeGreaterThan(30)
    const loaded: string[] = []
    for (const path of paths) {
      for (const [name, value] of oddValues) {
        const outcome = attempt('field replaced', edited(path, value))
        if (outcome !== 'refused') loaded.push(`${path.join('.')} = ${name}: ${outcome}`)
      }
    }
    // What loads is the same state: a change to 'paths' (names for messages only), an absent or
    // empty `extra` (Adam has none), a removed checksum (states saved before it existed), a value
    // replaced by itself. (Step 0 for step 5 loaded before
    // the checksum; now refused.)
    expect(loaded.filter((l) => !l.endsWith(': loaded the same state'))).toEqual([])
    expect(
      loaded.filter(
        (l) =>
          !/^(paths(\.\d)?|checksum|extra|hyper\.amsgrad|hyper\.weightDecay|tree\.children\.2\.shape|step) = /.test(l),
      ),
    ).toEqual([])
  })

  test("keys that objects inherit ('__proto__', 'constructor', …) are not this optimizer's hyper-parameters", () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const text = good.replace('"hyper":{', `"hyper":{"${key}":1,`)
      expect(() => loadState(text, make())).toThrow(`'${key}' (saved 1) is not a hyper-parameter of this optimizer`)
      attempt('inherited key', text)
    }
    expect(attempt('__proto__ array', good.replace('"arrays":{', '"arrays":{"__proto__":"AAAA",'))).toBe('refused')
  })

  test('wrong versions, dtypes, encodings, sizes and shapes', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ...[0, 2, '1', null, 1.5, -1].map((v): [string, Record<string, unknown>, RegExp] => [
        `version ${String(v)}`,
        { ...goodObject, version: v },
        /^loadState: unsupported state version/,
      ]),
      [
        'dtype float64',
        { ...goodObject, dtype: 'float64' },
        /^loadState: dtype must be 'float32', got the string "float64"/,
      ],
      ['dtype int32', { ...goodObject, dtype: 'int32' }, /^loadState: dtype must be 'float32'/],
      [
        'encoding hex',
        { ...goodObject, encoding: 'hex' },
        /^loadState: encoding must be 'base64-le', got the string "hex"/,
      ],
      ['size 11', { ...goodObject, size: 11 }, /^loadState: size is number 11 but the tree/],
      [
        'a bigger leaf',
        { ...goodObject, tree: JSON.parse(JSON.stringify(goodObject.tree).replace('[2,3]', '[2,4]')), size: 12 },
        /^loadState: the saved tree does not have the structure of the target state/,
      ],
      [
        'a transposed leaf',
        { ...goodObject, tree: JSON.parse(JSON.stringify(goodObject.tree).replace('[2,3]', '[3,2]')) },
        /^loadState: the saved tree does not have the structure of the target state/,
      ],
      [
        'a step of 1e300',
        { ...goodObject, step: 1e300 },
        /^loadState: step must be a non-negative integer, got number 1e\+300 \(beyond 2⁵³, where integers/,
      ],
    ]
    for (const [kind, state, message] of cases) {
      expect(() => loadState(state as never, make(), steps(make(), make().init(params()), 0, 2))).toThrow(message)
      expect([kind, attempt('wrong field', state)]).toEqual([kind, 'refused'])
    }
    // A transposed leaf is another valid tree: loaded fresh (no target) with the checksum deleted
    // (edited on purpose), it makes a state of that tree; with the checksum, it is refused.
    expect(
      attempt('edited tree', {
        ...goodObject,
        tree: JSON.parse(JSON.stringify(goodObject.tree).replace('[2,3]', '[3,2]')),
      }),
    ).toBe('refused')
    const { checksum: _checksum, ...unchecked } = goodObject
    const transposed = { ...unchecked, tree: JSON.parse(JSON.stringify(goodObject.tree).replace('[2,3]', '[3,2]')) }
    expect(loadState(transposed as never, make()).leaves[0].shape).toEqual([3, 2])
  })

  test('a tree nested 10,000 levels deep (valid JSON text) is refused before any recursion gets deep', () => {
    let tree = '{"kind":"leaf","shape":[1]}'
    for (let k = 0; k < 10_000; k++) tree = `{"kind":"array","children":[${tree}]}`
    const text = good.replace(/"tree":\{.*?\}\]\},"paths"/, `"tree":${tree},"paths"`)
    expect(text).not.toBe(good)
    expect(() => loadState(text, make())).toThrow(/^loadState: tree at '0\.0\.0.*' is nested deeper than 100 levels/)
    expect(attempt('deep tree', text)).toBe('refused')
  })
})

describe('foreign states: other optimizers, the same optimizer with other options', () => {
  test('every optimizer of the table, into an Adam state and fresh', () => {
    for (const { label, make: other } of instances()) {
      const opt = other()
      const text = JSON.stringify(saveState(steps(opt, opt.init(params()), 0, 3)))
      if (opt.name === 'adam') continue // Adam rows are the next test's
      expect(() => loadState(text, make())).toThrow(
        `loadState: the state was saved by '${opt.name}', but it is being loaded into 'adam'`,
      )
      expect([label, attempt('another optimizer', text)]).toEqual([label, 'refused'])
      expect([label, attempt('another optimizer (no target)', text, make(), false)]).toEqual([label, 'refused'])
    }
  })

  test('Adam with other options, a schedule, weight decay or maximize: refused both ways', () => {
    const others: [string, () => Optimizer][] = [
      ['without amsgrad', () => O.adam(0.05)],
      ['another b1', () => O.adam(0.05, 0.8, 0.999, 1e-8, { amsgrad: true })],
      ['a schedule', () => O.adam(O.exponentialDecay(0.05, 10, 0.5), 0.9, 0.999, 1e-8, { amsgrad: true })],
      ['weight decay', () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true, weightDecay: 0.1 })],
      ['maximize', () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true, maximize: true })],
    ]
    for (const [label, other] of others) {
      expect(() => loadState(good, other())).toThrow(
        /^loadState: (the hyper-parameters of 'adam' differ from the saved ones|the saved arrays)/,
      )
      expect([label, attempt('the same optimizer, other options', good, other(), false)]).toEqual([label, 'refused'])
      const opt = other()
      const theirs = JSON.stringify(saveState(steps(opt, opt.init(params()), 0, 3)))
      expect([label, attempt('the same optimizer, other options', theirs)]).toEqual([label, 'refused'])
    }
  })
})
