/**
 * Optimizer state as safetensors (optimizers/state-safetensors.ts):
 * - 20 steps, save, load, 20 more = 40 uninterrupted steps, bit for bit, for every optimizer of the
 *   table, in this process and in a fresh one;
 * - the file: F32 1-D arrays, hyper-parameters and the tree in the metadata;
 * - foreign and corrupt files (another optimizer, other hyper-parameters, a weights file, wrong
 *   tensors, every truncation, every bit flip of the header) are refused with a message, and the
 *   target state is byte-identical afterwards.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as O from '../optimizers/index.js'
import { loadStateSafetensors, saveStateSafetensors, saveState } from '../optimizers/index.js'
import type { OptState, Optimizer } from '../optimizers/index.js'
import { loadSafetensors, saveSafetensors, tensor, Tensor } from '../src/index.js'
import * as nn from '../src/nn/index.js'
import { instances, resumeGrads } from './table/optimizers.rows.js'

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
  const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')
  return `${state.step}:` + arrays.map(hex).join('|')
}

describe('save after 20 steps, load, 20 more = 40 uninterrupted steps (bit-identical)', () => {
  test.each(instances())('$label', ({ make }) => {
    const opt = make()
    const straight = steps(opt, opt.init(params()), 0, 40)
    const bytes = saveStateSafetensors(steps(opt, opt.init(params()), 0, 20), opt)
    const fresh = make()
    expect(bits(steps(fresh, loadStateSafetensors(bytes, fresh), 20, 40))).toBe(bits(straight))
  })

  test('every optimizer of the table, resumed in a fresh Node process from the files alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-st-state-'))
    try {
      const expected: Record<string, string> = {}
      instances().forEach(({ label, make }, k) => {
        const opt = make()
        const bytes = saveStateSafetensors(steps(opt, opt.init(params()), 0, 20))
        fs.writeFileSync(path.join(dir, `${k}.safetensors`), bytes)
        expected[label] = bits(steps(opt, opt.init(params()), 0, 40))
      })
      const root = path.resolve(__dirname, '..')
      fs.writeFileSync(
        path.join(dir, 'resume.ts'),
        `import * as fs from 'node:fs'
import { loadStateSafetensors } from ${JSON.stringify(path.join(root, 'optimizers/index.ts'))}
import { instances, resumeGrads } from ${JSON.stringify(path.join(root, 'test/table/optimizers.rows.ts'))}
const out: Record<string, string> = {}
instances().forEach(({ label, make }, k) => {
  const opt = make()
  let state = loadStateSafetensors(fs.readFileSync(${JSON.stringify(dir)} + '/' + k + '.safetensors'), opt)
  for (let i = 20; i < 40; i++) state = opt.update(i, resumeGrads(i, opt.getParams(state)) as never, state)
  const arrays = [state.params, ...Object.values(state.slots), ...Object.values(state.extra)]
  const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')
  out[label] = state.step + ':' + arrays.map(hex).join('|')
})
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

  test("attach(): a trainer's state loads in place and the model tensors see the values", () => {
    const a = O.adam(0.05).attach(params())
    const model = params()
    const b = O.adam(0.05).attach(model)
    for (const k of Object.keys(model) as (keyof typeof model)[]) model[k].grad!.data.fill(0.5)
    a.step()
    a.step()
    loadStateSafetensors(saveStateSafetensors(a.state), b.optimizer, b.state)
    expect(b.stepCount).toBe(2)
    expect(Array.from(model.w.data)).toEqual(Array.from(a.state.views[0].data))
  })
})

describe('the file', () => {
  test("holds x and the slots as flat F32 tensors, SM3's extra state, the hyper-parameters in the metadata", () => {
    const opt = O.adam(1e-3, 0.9, 0.999, 1e-8, { amsgrad: true })
    const state = steps(opt, opt.init(params()), 0, 3)
    const { tensors, metadata } = loadSafetensors(saveStateSafetensors(state))
    expect(
      Object.entries(tensors)
        .map(([k, t]) => `${k} ${t.data.constructor.name} [${t.shape}]`)
        .sort(),
    ).toEqual(['m Float32Array [10]', 'v Float32Array [10]', 'vmax Float32Array [10]', 'x Float32Array [10]'])
    expect(Array.from(tensors.x.data)).toEqual(Array.from(state.params))
    expect(metadata.format).toBe('tapegrad.optimizer-state')
    expect(metadata.optimizer).toBe('adam')
    expect([metadata.version, metadata.step, metadata.size]).toEqual(['1', '3', '10'])
    expect(JSON.parse(metadata.hyper)).toEqual({
      stepSize: 0.001,
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: true,
      maximize: false,
    })
    expect(JSON.parse(metadata.paths)).toEqual(['w', 'b', 's'])
    // the same content as the JSON path
    const json = saveState(state)
    expect(JSON.parse(metadata.tree)).toEqual(json.tree)
    const sm3 = O.sm3(0.1)
    const s3 = steps(sm3, sm3.init(params()), 0, 2)
    const t3 = loadSafetensors(saveStateSafetensors(s3)).tensors
    const extra = Object.keys(t3).filter((k) => k.startsWith('extra.'))
    expect(extra.sort()).toEqual(
      Object.keys(s3.extra)
        .map((k) => `extra.${k}`)
        .sort(),
    )
  })
})

describe('foreign and corrupt files are refused and change nothing', () => {
  const make = () => O.adam(0.05, 0.9, 0.999, 1e-8, { amsgrad: true })
  let good: Uint8Array
  let target: OptState
  let snapshot: string
  beforeEach(() => {
    const opt = make()
    good = saveStateSafetensors(steps(opt, opt.init(params()), 0, 5))
    target = steps(opt, opt.init(params()), 0, 2)
    snapshot = bits(target)
  })
  /** The good file with its tensors or metadata edited. */
  const edited = (edit: (tensors: Record<string, Tensor>, metadata: Record<string, string>) => void) => {
    const { tensors, metadata } = loadSafetensors(good)
    edit(tensors, metadata)
    return saveSafetensors(tensors, metadata)
  }
  const cases: [string, () => Uint8Array, RegExp, (() => Optimizer) | null][] = [
    [
      "another optimizer's state",
      () => {
        const sgd = O.sgd(0.05, { momentum: 0.9 })
        return saveStateSafetensors(steps(sgd, sgd.init(params()), 0, 3))
      },
      /^loadStateSafetensors: the state was saved by 'sgd', but it is being loaded into 'adam'/,
      null,
    ],
    [
      'other hyper-parameters',
      () => good,
      /^loadStateSafetensors: the hyper-parameters of 'adam' differ .*\n {2}'b1': saved 0\.9, this optimizer has 0\.95/,
      () => O.adam(0.05, 0.95, 0.999, 1e-8, { amsgrad: true }),
    ],
    ['other options', () => good, /'amsgrad': saved true, this optimizer has false/, () => O.adam(0.05)],
    [
      'a weights file, not an optimizer state',
      () => saveSafetensors(new nn.Linear(2, 2).stateDict()),
      /^loadStateSafetensors: not a tapegrad optimizer state \(metadata format undefined, expected 'tapegrad\.optimizer/,
      null,
    ],
    [
      'another format',
      () => edited((_, m) => (m.format = 'other')),
      /not a tapegrad optimizer state \(metadata format 'other'/,
      null,
    ],
    [
      'a newer version',
      () => edited((_, m) => (m.version = '2')),
      /unsupported state version number 2; this tapegrad reads version 1/,
      null,
    ],
    [
      'a step that is not JSON',
      () => edited((_, m) => (m.step = 'five')),
      /^loadStateSafetensors: metadata 'step' is not valid JSON/,
      null,
    ],
    [
      'a negative step',
      () => edited((_, m) => (m.step = '-1')),
      /step must be a non-negative integer, got number -1/,
      null,
    ],
    [
      'no hyper-parameters',
      () => edited((_, m) => delete m.hyper),
      /^loadStateSafetensors: the metadata has no 'hyper'/,
      null,
    ],
    [
      'another tree',
      () => edited((_, m) => (m.tree = m.tree.replace('[2,3]', '[3,2]'))),
      /does not have the structure of the target state/,
      null,
    ],
    [
      'a missing slot',
      () => edited((t) => delete t.vmax),
      /the saved arrays are \[.*\], 'adam' with these options needs \[x, m, v, vmax\] \(missing: vmax\)/,
      null,
    ],
    ['an unexpected tensor', () => edited((t) => (t.u = t.m)), /\(unexpected: u\)/, null],
    [
      'a float64 slot',
      () => edited((t) => (t.m = t.m.astype('float64'))),
      /^loadStateSafetensors: tensor 'm' must be a flat F32 array, got float64 of shape \[10\]/,
      null,
    ],
    [
      'a 2-D slot',
      () => edited((t) => (t.m = t.m.reshape([2, 5]))),
      /tensor 'm' must be a flat F32 array, got float32 of shape \[2,5\]/,
      null,
    ],
    [
      'a short slot',
      () => edited((t) => (t.v = new Tensor(t.v.data.slice(0, 9), [9]))),
      /array 'v' holds 36 bytes, expected 40 \(10 float32 numbers\): truncated/,
      null,
    ],
    [
      'a non-finite moment',
      () => edited((t) => (t.v.data[9] = Infinity)),
      /array 'v' has a non-finite value Infinity at index 9 \('s' element 0\)/,
      null,
    ],
  ]
  test.each(cases)('%s', (_, bad, message, other) => {
    const opt = other ? other() : make()
    expect(() => loadStateSafetensors(bad(), opt, target)).toThrow(message)
    expect(bits(target)).toBe(snapshot)
    loadStateSafetensors(good, make(), target) // the good file still loads into it afterwards
    expect(target.step).toBe(5)
  })

  test('fuzz: every truncation, every bit flip of the header; no error from inside, no half-written state', () => {
    const n = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true))
    const counts: Record<string, number> = {}
    const goodBits = bits(loadStateSafetensors(good, make()))
    const attempt = (kind: string, bytes: Uint8Array) => {
      let outcome: string
      try {
        const loaded = loadStateSafetensors(bytes, make(), target)
        outcome = bits(loaded) === goodBits ? 'loaded the same state' : 'loaded another state'
        const sameStep = bits(loaded).split(':')[0] === '5'
        if (outcome === 'loaded another state') outcome += ` (${sameStep ? 'values' : 'step'})`
        loadStateSafetensors(good, make(), target) // back to the good state for the next attempt's snapshot
        snapshot = bits(target)
      } catch (e) {
        if ((e as Error).constructor !== Error || !/^loadStateSafetensors: /.test((e as Error).message)) throw e
        expect(bits(target)).toBe(snapshot)
        outcome = 'refused'
      }
      counts[`${kind}: ${outcome}`] = (counts[`${kind}: ${outcome}`] ?? 0) + 1
      return outcome
    }
    for (let length = 0; length < good.length; length++) {
      expect(attempt('truncation', good.subarray(0, length))).toBe('refused')
    }
    for (let byte = 0; byte < 8 + n; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = good.slice()
        damaged[byte] ^= 1 << bit
        attempt('bit flip', damaged)
      }
    }
    const lines = Object.entries(counts).map(([k, v]) => `${k}: ${v}`)
    console.log(`optimizer-state safetensors fuzz:\n  ${lines.join('\n  ')}`)
    // What a flip can change undetected is the step count (a digit of "step" turned into another
    // digit): the file format has no checksum, like the JSON path. Everything else is refused.
    expect(Object.keys(counts).filter((k) => k.includes('another state') && !k.endsWith('(step)'))).toEqual([])
  })
})
