/**
 * Saving and loading optimizer state (optimizers/state-io.ts):
 * - 20 steps, save, load in a FRESH PROCESS, 20 more steps = 40 uninterrupted steps, bit for bit,
 *   for every optimizer of the table (and the same in-process from the JSON text alone);
 * - every kind of bad input is refused with a clear error, and the target state is unchanged;
 * - the base64 codec (native and pure-JS paths agree).
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as O from '../optimizers/index.js'
import { saveState, loadState, type SavedState, type OptState, type Optimizer } from '../optimizers/index.js'
import { encodeBase64, decodeBase64, swapBytes } from '../src/byte-codec.js'
import { tensor } from '../src/tensor.js'
import { instances, resumeGrads } from './table/optimizers.rows.js'
import { STATE_CASES, STEPS, runSteps } from './fixtures/optimizer_states.js'

const params = () => ({
  w: tensor([
    [0.5, -1, 2],
    [1.5, 0.25, -0.75],
  ]),
  b: tensor([0.1, -0.2, 0.3]),
  s: tensor(2),
})

function steps(opt: Optimizer, state: OptState, from: number, to: number): OptState {
  for (let i = from; i < to; i++) state = opt.update(i, resumeGrads(i, opt.getParams(state)) as never, state)
  return state
}

/** Every number of the state as bits: parameters, slots, extra state, and the step. */
function bits(state: OptState): string {
  const arrays = [state.params, ...Object.values(state.slots), ...Object.values(state.extra)]
  return (
    `${state.step}:` + arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')).join('|')
  )
}

describe('save after 20 steps, load, 20 more = 40 uninterrupted steps (bit-identical)', () => {
  test.each(instances())('$label, from the JSON text in this process', ({ make }) => {
    const opt = make()
    const straight = steps(opt, opt.init(params()), 0, 40)
    const first = steps(opt, opt.init(params()), 0, 20)
    const text = JSON.stringify(saveState(first))
    const fresh = make() // the same factory call, new objects
    const resumed = steps(fresh, loadState(text, fresh), 20, 40)
    expect(bits(resumed)).toBe(bits(straight))
  })

  test('every optimizer of the table, resumed in a fresh Node process', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-state-'))
    try {
      const saved: Record<string, string> = {}
      const expected: Record<string, string> = {}
      for (const { label, make } of instances()) {
        const opt = make()
        saved[label] = JSON.stringify(saveState(steps(opt, opt.init(params()), 0, 20)))
        expected[label] = bits(steps(opt, opt.init(params()), 0, 40))
      }
      fs.writeFileSync(path.join(dir, 'saved.json'), JSON.stringify(saved))
      const root = path.resolve(__dirname, '..')
      // The child knows nothing but the JSON text and the factory calls of the table.
      fs.writeFileSync(
        path.join(dir, 'resume.ts'),
        `import * as fs from 'node:fs'
import { loadState } from ${JSON.stringify(path.join(root, 'optimizers/index.ts'))}
import { instances, resumeGrads } from ${JSON.stringify(path.join(root, 'test/table/optimizers.rows.ts'))}
const saved = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, 'saved.json'))}, 'utf8'))
const out: Record<string, string> = {}
for (const { label, make } of instances()) {
  const opt = make()
  let state = loadState(saved[label], opt)
  for (let i = 20; i < 40; i++) state = opt.update(i, resumeGrads(i, opt.getParams(state)) as never, state)
  const arrays = [state.params, ...Object.values(state.slots), ...Object.values(state.extra)]
  out[label] = state.step + ':' + arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')).join('|')
}
process.stdout.write(JSON.stringify(out))
`,
      )
      const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
      const stdout = execFileSync(tsx, [path.join(dir, 'resume.ts')], { cwd: root, encoding: 'utf8', timeout: 60000 })
      const got = JSON.parse(stdout)
      for (const { label } of instances()) expect(`${label} ${got[label]}`).toBe(`${label} ${expected[label]}`)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('attach(): saveState(train.state) / loadState(json, opt, train.state) round-trips in place; the model tensors see the values', () => {
    const run = (train: O.Trainer, from: number, to: number) => {
      const leaves = [train.params as { w: O.OptState['views'][0] }]
      for (let i = from; i < to; i++) {
        const g = resumeGrads(i, train.params) as Record<string, { data: Float32Array }>
        const p = train.params as Record<string, { grad: { data: Float32Array } }>
        for (const k of Object.keys(p)) p[k].grad.data.set(g[k].data)
        train.step()
      }
      return leaves
    }
    const a = O.adamw(0.05).attach(params())
    run(a, 0, 40)
    const b = O.adamw(0.05).attach(params())
    run(b, 0, 20)
    const json = saveState(b.state)
    const modelC = params()
    const c = O.adamw(0.05).attach(modelC)
    loadState(JSON.stringify(json), c.optimizer, c.state)
    expect(Array.from(modelC.w.data)).toEqual(Array.from(b.state.views[0].data)) // the tensors see the loaded values
    expect(c.stepCount).toBe(20)
    run(c, 20, 40)
    expect(bits(c.state)).toBe(bits(a.state))
  })
})

// ---------------------------------------------------------------------------------------------
// Files written by earlier versions

describe('state files written by earlier versions load and resume bit-identically', () => {
  // Each file: for every case of fixtures/optimizer_states.ts, the state saved after STEPS
  // updates and the state after STEPS more. Written once by that version's code, never rewritten.
  const files = ['optimizer-states-v1.json']
  // Cases whose math was fixed after the file was written: they load, and resume with the fixed
  // math, so they no longer reproduce `after` (the fix itself is tested in optimizers.test.ts).
  const fixedSince: Record<string, Record<string, string>> = {
    'optimizer-states-v1.json': {
      lion: "v1 dropped lion's decoupled weightDecay when maximize was set",
    },
  }
  for (const file of files) {
    const data = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8'))
    test(`${file}: covers every case`, () => {
      expect(data.steps).toBe(STEPS)
      expect(Object.keys(data.cases).sort()).toEqual(Object.keys(STATE_CASES).sort())
    })
    test.each(Object.keys(data.cases))(`${file}: %s`, (label) => {
      const { saved, after } = data.cases[label] as { saved: SavedState; after: SavedState }
      const opt = STATE_CASES[label]()
      const resumed = runSteps(opt, loadState(JSON.stringify(saved), opt), STEPS, STEPS)
      const now = saveState(resumed)
      expect(now.step).toBe(after.step)
      if (fixedSince[file]?.[label]) {
        expect(now.arrays).not.toEqual(after.arrays)
        return
      }
      expect(now.arrays).toEqual(after.arrays)
      expect(now.extra).toEqual(after.extra)
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Format

describe('the saved format', () => {
  test('is versioned, JSON-safe and compact (base64 of little-endian float32)', () => {
    const opt = O.adam(O.exponentialDecay(0.1, 10, 0.5), 0.9, 0.999, 1e-8, { amsgrad: true })
    const state = steps(opt, opt.init(params()), 0, 3)
    const s = saveState(state)
    expect(JSON.parse(JSON.stringify(s))).toEqual(s)
    expect(s).toMatchObject({
      format: 'tapegrad.optimizer-state',
      version: 1,
      optimizer: 'adam',
      step: 3,
      size: 10,
      dtype: 'float32',
      encoding: 'base64-le',
      paths: ['w', 'b', 's'],
    })
    expect(Object.keys(s.arrays)).toEqual(['x', 'm', 'v', 'vmax'])
    expect(s.hyper).toMatchObject({ b1: 0.9, b2: 0.999, eps: 1e-8, amsgrad: true, weightDecay: 0, maximize: false })
    expect((s.hyper.stepSize as { samples: [number, number][] }).samples).toContainEqual([3, 0.1 * 0.5 ** 0.3])
    expect(s.arrays.x.length).toBe(Math.ceil((10 * 4) / 3) * 4)
    const bytes = decodeBase64(s.arrays.x)
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 10))).toEqual(Array.from(state.params))
  })

  test('saveState(state) and saveState(state, opt) agree; SM3 saves its per-axis accumulators', () => {
    const opt = O.sm3(0.1)
    const state = steps(opt, opt.init(params()), 0, 2)
    expect(saveState(state, opt)).toEqual(saveState(state))
    expect(saveState(state).extra.acc.length).toBe(2 + 3 + 3 + 1) // w: 2 + 3, b: 3, s: [1]
    expect(Object.keys(saveState(state).arrays)).toEqual(['x', 'm']) // ν is scratch, not state
  })

  test("base64: the codec agrees with Node's Buffer both ways, and decoding is strict", () => {
    // 0..39 bytes (every padding case) and one past the 8192-byte chunk of encodeBase64
    for (const n of [...Array.from({ length: 40 }, (_, n) => n), 8192 * 2 + 5]) {
      const bytes = Uint8Array.from({ length: n }, (_, k) => (k * 73 + n * 11) & 255)
      const enc = encodeBase64(bytes)
      expect(enc).toBe(Buffer.from(bytes).toString('base64'))
      expect(Array.from(decodeBase64(enc))).toEqual(Array.from(bytes))
    }
    expect(() => decodeBase64('A===')).toThrow(/character "=" at position 1/)
    expect(() => decodeBase64('AB=C')).toThrow(/character "=" at position 2/)
    expect(() => decodeBase64('abc')).toThrow(/not a multiple of 4/)
    expect(() => decodeBase64('ab c')).toThrow(/character " " at position 2/)
    expect(() => decodeBase64('ab-_')).toThrow(/character "-"/)
    const eight = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    expect(Array.from(swapBytes(swapBytes(eight, 4), 4))).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(Array.from(swapBytes(Uint8Array.from([1, 2, 3, 4]), 4))).toEqual([4, 3, 2, 1])
    expect(Array.from(swapBytes(eight, 8))).toEqual([8, 7, 6, 5, 4, 3, 2, 1])
    expect(Array.from(swapBytes(eight, 2))).toEqual([2, 1, 4, 3, 6, 5, 8, 7])
  })
})

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error, and nothing changed

describe('loadState refuses bad input and changes nothing', () => {
  const make = () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true })
  let good: SavedState
  let target: OptState
  let snapshot: string
  beforeEach(() => {
    const opt = make()
    good = saveState(steps(opt, opt.init(params()), 0, 5))
    target = steps(opt, opt.init(params()), 0, 2)
    snapshot = bits(target)
  })
  const clone = (): SavedState & Record<string, unknown> => JSON.parse(JSON.stringify(good))
  /** The good state with element `index` of saved array `name` set to `value`. */
  const withValue = (name: string, index: number, value: number) => {
    const s = clone()
    const f = new Float32Array(decodeBase64(s.arrays[name]).buffer)
    f[index] = value
    s.arrays[name] = encodeBase64(new Uint8Array(f.buffer))
    return s
  }
  const cases: [string, () => unknown, RegExp, (() => Optimizer) | null][] = [
    ['not JSON', () => '{"format": ', /not valid JSON/, null],
    ['not an object', () => [1, 2], /expected a saved state object, got an array/, null],
    [
      'another format',
      () => ({ ...clone(), format: 'something' }),
      /not a tapegrad optimizer state \(format the string "something"/,
      null,
    ],
    [
      'a newer version',
      () => ({ ...clone(), version: 2 }),
      /unsupported state version number 2; this tapegrad reads version 1/,
      null,
    ],
    [
      'another optimizer',
      () => ({ ...clone(), optimizer: 'sgd' }),
      /saved by 'sgd', but it is being loaded into 'adam'/,
      null,
    ],
    [
      'other hyper-parameters',
      () => clone(),
      /'b1': saved 0\.9, this optimizer has 0\.95/,
      () => O.adam(0.05, 0.95, 0.999, 1e-8, { amsgrad: true }),
    ],
    [
      'other options',
      () => clone(),
      /the saved arrays are \[x, m, v, vmax\], 'adam' with these options needs \[x, m, v\]|'amsgrad': saved true/,
      () => O.adam(0.05),
    ],
    [
      'another schedule',
      () => clone(),
      /'stepSize': saved 0\.05, this optimizer has a schedule/,
      () => O.adam((i: number) => 0.05 / (1 + i), 0.9, 0.999, 1e-8, { amsgrad: true }),
    ],
    ['a negative step', () => ({ ...clone(), step: -1 }), /step must be a non-negative integer, got number -1/, null],
    ['a fractional step', () => ({ ...clone(), step: 2.5 }), /step must be a non-negative integer/, null],
    [
      'a size that does not match the tree',
      () => ({ ...clone(), size: 11 }),
      /size is number 11 but the tree \{w: \[2,3\], b: \[3\], s: \[\]\} holds 10 parameters/,
      null,
    ],
    [
      'a malformed tree',
      () => ({ ...clone(), tree: { kind: 'leaf', shape: [-1] } }),
      /tree leaf must have a shape of non-negative integers/,
      null,
    ],
    [
      'another tree',
      () => {
        const s = clone()
        s.tree = {
          kind: 'object',
          keys: ['w', 'b', 's'],
          children: [
            { kind: 'leaf', shape: [3, 2] },
            { kind: 'leaf', shape: [3] },
            { kind: 'leaf', shape: [] },
          ],
        }
        return s
      },
      /does not have the structure of the target state:\n {2}target \{w: \[2,3\], b: \[3\], s: \[\]\}\n {2}saved {2}\{w: \[3,2\], b: \[3\], s: \[\]\}/,
      null,
    ],
    [
      'a missing slot',
      () => {
        const s = clone()
        delete s.arrays.vmax
        return s
      },
      /saved arrays are \[x, m, v\].*needs \[x, m, v, vmax\] \(missing: vmax\)/,
      null,
    ],
    [
      'an unexpected array',
      () => {
        const s = clone()
        s.arrays.u = s.arrays.m
        return s
      },
      /\(unexpected: u\)/,
      null,
    ],
    [
      'truncated data',
      () => {
        const s = clone()
        s.arrays.m = s.arrays.m.slice(0, 36)
        return s
      },
      /array 'm' holds 27 bytes, expected 40 \(10 float32 numbers\): truncated/,
      null,
    ],
    [
      'cut mid-quantum',
      () => {
        const s = clone()
        s.arrays.v = s.arrays.v.slice(0, 37)
        return s
      },
      /array 'v' is not valid base64: its length 37 is not a multiple of 4/,
      null,
    ],
    [
      'not base64',
      () => {
        const s = clone()
        s.arrays.x = '*' + s.arrays.x.slice(1)
        return s
      },
      /array 'x' is not valid base64: character "\*" at position 0/,
      null,
    ],
    [
      'a non-finite value',
      () => withValue('x', 7, NaN),
      /array 'x' has a non-finite value NaN at index 7 \('b' element 1\)/,
      null,
    ],
    [
      'an infinite moment',
      () => withValue('v', 9, Infinity),
      /array 'v' has a non-finite value Infinity at index 9 \('s' element 0\)/,
      null,
    ],
  ]
  test.each(cases)('%s', (_, bad, message, other) => {
    // (every row has 4 entries: with fewer, jest would pass its done callback as `other`)
    const opt = other ? other() : make()
    expect(() => loadState(bad() as SavedState, opt, target)).toThrow(message)
    expect(bits(target)).toBe(snapshot)
    // the good state still loads into it afterwards
    loadState(good, make(), target)
    expect(target.step).toBe(5)
  })

  test("the optimizer is required, and a state of another structure is refused when loading into a trainer's state", () => {
    expect(() => loadState(good, undefined as never)).toThrow(/pass the optimizer to load into/)
    const train = make().attach({ w: tensor([1, 2]) })
    const before = Array.from(train.state.params)
    expect(() => loadState(good, train.optimizer, train.state)).toThrow(
      /target \{w: \[2\]\}\n {2}saved {2}\{w: \[2,3\], b: \[3\], s: \[\]\}/,
    )
    expect(Array.from(train.state.params)).toEqual(before)
  })

  test('a schedule is checked by its values at the saved sample steps', () => {
    const opt = O.adam(O.exponentialDecay(0.1, 10, 0.5))
    const saved = saveState(steps(opt, opt.init(params()), 0, 30))
    expect(() => loadState(saved, O.adam(O.exponentialDecay(0.1, 10, 0.5)))).not.toThrow()
    expect(() => loadState(saved, O.adam(O.exponentialDecay(0.1, 20, 0.5)))).toThrow(
      /'stepSize': the saved schedule gives 0\.0933\d* at step 1, this optimizer's gives 0\.09659/,
    )
    expect(() => loadState(saved, O.adam(0.1))).toThrow(
      /'stepSize': saved schedule 'exponentialDecaySchedule|'stepSize': saved schedule/,
    )
  })

  test('a target state made with other options is refused before anything is written', () => {
    const plainTarget = O.adam(0.05).init(params())
    const before = bits(plainTarget)
    expect(() => loadState(good, make(), plainTarget)).toThrow(
      /the target state does not have the arrays 'adam' with these options needs \(vmax\)/,
    )
    expect(bits(plainTarget)).toBe(before)
  })

  test('SM3: extra state of the wrong length is refused', () => {
    const opt = O.sm3(0.1)
    const s = JSON.parse(JSON.stringify(saveState(steps(opt, opt.init(params()), 0, 2))))
    s.extra.acc.length = 8
    expect(() => loadState(s, O.sm3(0.1))).toThrow(/extra 'acc' must hold 9 numbers for this tree, got number 8/)
  })
})
