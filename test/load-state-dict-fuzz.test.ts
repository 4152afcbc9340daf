/**
 * Fuzz of `Module.loadStateDict` on tapegrad's own format as JSON — what `serializeStateDict`
 * writes and `JSON.parse` gives back — to the standard of the safetensors fuzz
 * (test/safetensors.test.ts): a damaged or foreign dict is refused with a plain Error whose
 * message starts with 'loadStateDict (Sequential): ' (never a TypeError or RangeError from inside)
 * and the module is bit for bit what it was; or it loads exactly the values the text says. (A
 * flipped digit is another valid number: decimal JSON cannot tell it from a value, so those loads
 * are counted, and checked to hold exactly the number the damaged text reads.)
 *
 * The net has float32 weights, float32 buffers and an int32 buffer (BatchNorm's running
 * statistics and batch count), so every dtype rule is exercised.
 *
 * What the fuzz broke before it was fixed:
 * - a shape holding a BigInt (object path) or 5,000 nested arrays (valid JSON): TypeError /
 *   RangeError from JSON.stringify while writing the error message;
 * - any `dtype` field other than 'int32' was ignored ('bogus', 7, null loaded as float32);
 * - a finite number beyond float32's range (1e39) loaded as Infinity.
 * The figures are printed at the end.
 */
import { seed, Tensor, tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'

const make = () => new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Linear(4, 2))
seed(1)
const source = make()
source.forward(
  tensor([
    [1, 2, 3],
    [4, 5, 6],
    [0, 1, 0],
  ]),
) // the running statistics move away from 0 and 1
const goodObject = nn.serializeStateDict(source.stateDict())
const good = JSON.stringify(goodObject)
const counts: Record<string, number> = {}
const REMOVE = Symbol('remove')

/** Every value of the module's state as bits, by name. */
function bits(m: nn.Module<unknown>): string {
  return Object.entries(m.stateDict())
    .map(([k, t]) => `${k}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex')}`)
    .join('|')
}
/** The values a dict holds, as the module's dtypes store them (what a load must produce). */
function expectedBits(dict: Record<string, { shape: number[]; data: ArrayLike<number> }>): string {
  const m = make()
  return Object.entries(m.stateDict())
    .map(([k, t]) => {
      const stored = new (t.data.constructor as Float32ArrayConstructor)(Array.from(dict[k].data))
      return `${k}:${Buffer.from(stored.buffer).toString('hex')}`
    })
    .join('|')
}
const goodBits = expectedBits(goodObject)

type Outcome = 'not JSON' | 'refused' | 'loaded the same values' | 'loaded other values'

/** Loads `dict` (or JSON text) into a fresh net; checks refusals (named, nothing changed) and loads (exact). */
function attempt(kind: string, input: unknown, options: nn.LoadStateDictOptions = {}): Outcome {
  let dict = input
  let outcome: Outcome
  if (typeof input === 'string') {
    try {
      dict = JSON.parse(input)
    } catch {
      outcome = 'not JSON'
      counts[`${kind}: ${outcome}`] = (counts[`${kind}: ${outcome}`] ?? 0) + 1
      return outcome
    }
  }
  seed(99)
  const target = make()
  const before = bits(target)
  try {
    target.loadStateDict(dict as never, options)
    const after = bits(target)
    if (options.strict !== false && after !== expectedBits(dict as never)) {
      throw new Error(`${kind}: loaded values other than the dict's`)
    }
    outcome = after === goodBits ? 'loaded the same values' : 'loaded other values'
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.startsWith('loadStateDict (Sequential): ')) {
      throw new Error(`${kind}: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, {
        cause: e,
      })
    }
    if (bits(target) !== before) throw new Error(`${kind}: a refused load changed the module`, { cause: e })
    outcome = 'refused'
  }
  counts[`${kind}: ${outcome}`] = (counts[`${kind}: ${outcome}`] ?? 0) + 1
  return outcome
}

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const lines = Object.entries(counts).map(([k, v]) => `${k}: ${v}`)
  console.log(`loadStateDict fuzz (JSON): ${total} cases\n  ${lines.join('\n  ')}`)
})

describe('the JSON text, damaged', () => {
  /** Where a flip can make another number: inside a number of a `data` array. */
  const numberRanges: [number, number][] = []
  for (const m of good.matchAll(/"data":\[([^\]]*)\]/g)) {
    const start = m.index! + 8
    for (const n of m[1].matchAll(/[^,]+/g)) numberRanges.push([start + n.index!, start + n.index! + n[0].length])
  }

  test('the good text loads the source net exactly', () => {
    expect(attempt('undamaged', good)).toBe('loaded the same values')
    expect(numberRanges.length).toBe(Object.values(goodObject).reduce((n, t) => n + t.data.length, 0))
  })

  test('truncated at every character: never JSON (JSON.parse refuses; nothing reaches loadStateDict)', () => {
    for (let n = 0; n < good.length; n++) expect([n, attempt('truncation', good.slice(0, n))]).toEqual([n, 'not JSON'])
  })

  test('every single-bit flip of every character: not JSON, refused, or exactly the number it now reads', () => {
    const unexpected: string[] = []
    for (let k = 0; k < good.length; k++) {
      for (const bit of [0, 1, 2, 3, 4, 5, 6, 7, 15]) {
        const damaged = good.slice(0, k) + String.fromCharCode(good.charCodeAt(k) ^ (1 << bit)) + good.slice(k + 1)
        const outcome = attempt('character flip', damaged)
        const inNumber = numberRanges.some(([a, b]) => k >= a && k < b)
        if (outcome === 'loaded other values' && !inNumber)
          unexpected.push(`${k} ${JSON.stringify(good.slice(k - 12, k + 12))} bit ${bit}`)
      }
    }
    expect(unexpected).toEqual([])
  })

  test('every data array cut short at every length: refused', () => {
    for (const [name, t] of Object.entries(goodObject)) {
      for (let n = 0; n < t.data.length; n++) {
        const dict = JSON.parse(good)
        dict[name].data = dict[name].data.slice(0, n)
        expect([name, n, attempt('data cut short', dict)]).toEqual([name, n, 'refused'])
      }
    }
  })
})

describe('the parsed dict, with any field replaced or removed', () => {
  const oddValues: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['1e39', 1e39],
    ['-1e39', -1e39],
    ['1e-50', 1e-50],
    ['2³¹', 2 ** 31],
    ['""', ''],
    ['"x"', 'x'],
    ['"1"', '1'],
    ['[]', []],
    ['{}', {}],
    ['true', true],
    ['[1]', [1]],
    ['{ a: 1 }', { a: 1 }],
    ['a BigInt', 10n],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['5,000 nested arrays', JSON.parse('['.repeat(5000) + ']'.repeat(5000))],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Float32Array(2)', new Float32Array(2)],
    ['an Int32Array(2)', new Int32Array(2)],
    ['a Float64Array(16)', new Float64Array(16)],
    ['(removed)', REMOVE],
  ]
  /** Paths to every field: each entry, its shape (and the shape's elements), dtype, data and two data elements. */
  function fieldPaths(): string[][] {
    const out: string[][] = []
    for (const [name, t] of Object.entries(goodObject)) {
      out.push(
        [name],
        [name, 'shape'],
        ...t.shape.map((_, i) => [name, 'shape', String(i)]),
        [name, 'dtype'],
        [name, 'data'],
      )
      out.push(...[0, 1].filter((i) => i < t.data.length).map((i) => [name, 'data', String(i)]))
    }
    return out
  }
  function edited(path: string[], value: unknown): Record<string, unknown> {
    const o = JSON.parse(good)
    let node = o
    for (const k of path.slice(0, -1)) node = node[k]
    if (value === REMOVE) delete node[path[path.length - 1]]
    else node[path[path.length - 1]] = value
    return o
  }

  test('every field × 29 odd values: refused, or loaded exactly as given where the value is a valid one', () => {
    const loaded: string[] = []
    for (const path of fieldPaths()) {
      for (const [name, value] of oddValues) {
        const outcome = attempt('field replaced', edited(path, value))
        if (outcome !== 'refused') loaded.push(`${path.slice(1).join('.')} = ${name}`)
      }
    }
    // Loaded (attempt checked that the module then holds exactly the dict's values): a missing dtype
    // (float32 is the default), shape [] where it was [], a data element replaced by a number its
    // dtype holds, and data arrays of the right length ([1] for the 0-d batch count, a
    // Float32Array(2) for the last bias).
    const valid = new RegExp(
      '^(dtype = (undefined|\\(removed\\))|shape = \\[\\]|data\\.\\d = (0|-1|1\\.5|NaN|Infinity|1e-50|2³¹)' +
        '|data = (\\[1\\]|a Float32Array\\(2\\)))$',
    )
    expect([...new Set(loaded.filter((l) => !valid.test(l)))]).toEqual([])
    // the int32 batch count took only what int32 holds exactly
    expect(loaded.filter((l) => l.startsWith('data.0 = ')).length).toBeGreaterThan(0)
    const int32 = edited(['layers.1.numBatchesTracked', 'data', '0'], 1.5)
    expect(() => make().loadStateDict(int32 as never)).toThrow(
      /'layers\.1\.numBatchesTracked' has 1\.5 at flat index 0, which int32 cannot hold exactly/,
    )
  })

  test('dtype fields and float32 overflow, with the messages', () => {
    const weight = 'layers.0.weight'
    const cases: [string, unknown, RegExp][] = [
      [
        'dtype bogus',
        edited([weight, 'dtype'], 'bogus'),
        /'layers\.0\.weight' has dtype 'bogus', expected 'float32', 'float64' or 'int32'/,
      ],
      ['dtype null', edited([weight, 'dtype'], null), /'layers\.0\.weight' has dtype null/],
      [
        'dtype int32 for a weight',
        edited([weight, 'dtype'], 'int32'),
        /'layers\.0\.weight' is int32, expected floating-point values \(float32\)/,
      ],
      [
        '1e39 in a float32 weight',
        edited([weight, 'data', '3'], 1e39),
        /'layers\.0\.weight' has 1e\+39 at flat index 3, beyond the float32 range \(it would become Infinity\)/,
      ],
      [
        'a BigInt in a shape',
        edited([weight, 'shape', '0'], 10n),
        /'layers\.0\.weight' has no valid shape \(got an array\), expected \[3,4\]/,
      ],
      [
        'a deep shape',
        edited([weight, 'shape'], JSON.parse('['.repeat(5000) + ']'.repeat(5000))),
        /'layers\.0\.weight' has no valid shape \(got (an array|\[\[\[\[.*)\), expected \[3,4\]/,
      ],
    ]
    for (const [kind, dict, message] of cases) {
      expect(() => make().loadStateDict(dict as never)).toThrow(message)
      expect([kind, attempt('bad field', dict)]).toEqual([kind, 'refused'])
    }
    // float64 values for float32 weights are converted (rounded), as documented
    const f64 = edited([weight, 'dtype'], 'float64')
    expect(attempt('float64 values', f64)).toBe('loaded the same values')
  })
})

describe('foreign dicts', () => {
  test('other nets, torch-format names, extra keys: refused (strict), and non-strict loads only what fits', () => {
    seed(2)
    const others: [string, nn.Module<unknown>][] = [
      ['an MLP', new nn.MLP([3, 4, 2])],
      ['wider layers', new nn.Sequential(new nn.Linear(3, 5), new nn.BatchNorm1d(5), new nn.Linear(5, 2))],
      ['no BatchNorm', new nn.Sequential(new nn.Linear(3, 4), new nn.Linear(4, 2))],
    ]
    for (const [label, m] of others) {
      const dict = JSON.parse(JSON.stringify(nn.serializeStateDict(m.stateDict())))
      expect([label, attempt('another net', dict)]).toEqual([label, 'refused'])
      expect([label, attempt('another net, strict: false', dict, { strict: false })]).toEqual([label, 'refused'])
    }
    const torchNames = JSON.parse(JSON.stringify(nn.serializeStateDict(source.stateDict({ format: 'torch' }))))
    expect(attempt('torch names in the tapegrad format', torchNames)).toBe('refused')
    const extra = { ...JSON.parse(good), 'layers.3.weight': { shape: [1], data: [1] } }
    expect(attempt('an extra key', extra)).toBe('refused')
    expect(attempt('an extra key, strict: false', extra, { strict: false })).toBe('loaded the same values')
    const proto = JSON.parse(good.replace('{', '{"__proto__":{"shape":[1],"data":[1]},'))
    expect(Object.keys(proto)[0]).toBe('__proto__')
    expect(attempt("a '__proto__' key", proto)).toBe('refused')
  })

  test('not a dict at all', () => {
    for (const value of [null, [], 5, new Tensor(new Float32Array(1), [])]) {
      expect(attempt('not a dict', value)).toBe('refused')
    }
    expect(() => make().loadStateDict('{}' as never)).toThrow(
      'loadStateDict (Sequential): expected an object of parameter name → tensor, got string',
    )
  })
})
