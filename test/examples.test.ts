/**
 * The examples of the nn issue, run at small sizes, asserting what they are for.
 * (examples/micrograd.ts has its own test.)
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { TypedArray } from '../src/nd.js'
import * as nn from '../src/nn/index.js'
import { main as moons } from '../examples/moons.js'
import { accuracy, loadMnist, main as mnist, parseCommandLine } from '../examples/mnist.js'
import { MnistCore, main as mnistCnn, parseCommandLine as parseCnnCommandLine } from '../examples/mnist-cnn.js'
import { main as gameLoop } from '../examples/game-loop.js'
import { main as tape } from '../examples/tape.js'
import { main as newton, parseArgs as newtonArgs } from '../examples/newton.js'
import {
  Bigram,
  encodeBatch,
  loadNames,
  main as names,
  parseCommandLine as parseNamesCommandLine,
  vocabularyOf,
} from '../examples/names.js'

const quiet = () => {}
let tmp: string
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-examples-'))
})
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true })
})

test('moons: the 2-16-16-1 MLP separates the moons (≥ 95% train accuracy) and draws them', () => {
  const r = moons({ out: path.join(tmp, 'moons.svg'), log: quiet })
  expect(r.accuracy).toBeGreaterThanOrEqual(0.95)
  expect(r.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
  expect(r.svg.match(/<circle /g)!.length).toBe(100) // every data point
  expect(r.svg).toContain('#f6c7c3') // both sides of the boundary appear
  expect(r.svg).toContain('#c3d7f6')
  expect(fs.readFileSync(r.svgPath!, 'utf8')).toBe(r.svg)
})

describe('mnist', () => {
  test('the split is fixed and disjoint: 8,000 + 2,000 of the 10,000 digits', () => {
    const { train, test } = loadMnist(8000, 2000)
    expect(train.X.shape).toEqual([8000, 784])
    expect(test.X.shape).toEqual([2000, 784])
    const counts = new Array(10).fill(0)
    for (const v of test.y.data) counts[v]++
    expect(counts.every((c) => c > 100)).toBe(true) // every digit is in the test set
    const key = (X: TypedArray, i: number) =>
      Array.from(X.subarray(i * 784, i * 784 + 784), (v) => Math.round(v * 255)).join(',')
    const trainKeys = new Set(Array.from({ length: 8000 }, (_, i) => key(train.X.data, i)))
    let shared = 0
    for (let i = 0; i < 2000; i++) if (trainKeys.has(key(test.X.data, i))) shared++
    expect(shared).toBeLessThan(10) // (the package itself holds a few exact duplicates)
    const again = loadMnist(100, 10)
    expect(Array.from(again.train.y.data)).toEqual(Array.from(train.y.data.slice(0, 100)))
  })

  test('a 1,000-digit run beats 0.85 test accuracy, and its saved weights load back', () => {
    const out = path.join(tmp, 'w.json')
    const r = mnist({ trainSize: 1000, testSize: 1000, epochs: 10, out, progress: false, log: quiet })
    expect(r.testAccuracy).toBeGreaterThan(0.85)
    expect(r.epochs).toHaveLength(10)
    expect(r.epochs[9].loss).toBeLessThan(r.epochs[0].loss)
    // The file is a state dict: a fresh net that loads it scores the same.
    const net = new nn.MLP([784, 256, 10])
    net.loadStateDict(JSON.parse(fs.readFileSync(out, 'utf8')))
    const { test: digits } = loadMnist(1000, 1000)
    expect(accuracy(net, digits)).toBe(r.testAccuracy)
  })

  test('command line: options, --help, and clear errors', () => {
    expect(
      parseCommandLine([
        '--epochs',
        '3',
        '--batch-size',
        '32',
        '--lr',
        '1e-3',
        '--optimizer',
        'sgd',
        '--seed',
        '7',
        '--hidden',
        '128,64',
        '--no-save',
      ]),
    ).toEqual({
      epochs: 3,
      batchSize: 32,
      lr: 1e-3,
      optimizer: 'sgd',
      seed: 7,
      hidden: [128, 64],
      out: null,
    })
    expect(parseCommandLine(['--help'])).toBe('help')
    expect(() => parseCommandLine(['--epochs', '0'])).toThrow("--epochs: expected an integer ≥ 1, got '0'")
    expect(() => parseCommandLine(['--lr', 'fast'])).toThrow("--lr: expected a positive number, got 'fast'")
    expect(() => parseCommandLine(['--optimizer', 'magic'])).toThrow(/unknown optimizer 'magic' \(try .*adam/)
    expect(() => parseCommandLine(['--hidden', '12,x'])).toThrow(/--hidden: expected positive integers/)
    expect(() => parseCommandLine(['--bogus'])).toThrow(/bogus/)
  })
})

describe('mnist-cnn', () => {
  test('the mnist-core CNN on 1,000 digits beats 0.85 test accuracy; --load evaluates the saved weights to the same', () => {
    const out = path.join(tmp, 'cnn.json')
    // (measured: 0.906 with these settings; the full run reaches ≥ 0.98)
    const r = mnistCnn({ trainSize: 1000, testSize: 500, epochs: 4, augment: 0, out, progress: false, log: quiet })
    expect(r.testAccuracy).toBeGreaterThan(0.85)
    expect(r.epochs).toHaveLength(4)
    expect(r.epochs[3].loss).toBeLessThan(r.epochs[0].loss)
    expect(r.weightsPath).toBe(out)
    expect(Object.keys(JSON.parse(fs.readFileSync(out, 'utf8')))).toEqual([
      'conv1.weight',
      'conv2.weight',
      'dense.weight',
      'dense.bias',
    ])
    const lines: string[] = []
    const loaded = mnistCnn({ load: out, trainSize: 1000, testSize: 500, log: (l) => lines.push(l) })
    expect(loaded.testAccuracy).toBe(r.testAccuracy)
    expect(loaded.epochs).toEqual([])
    expect(lines.join('\n')).toContain(`test accuracy ${r.testAccuracy.toFixed(4)}`)
    expect(() => mnistCnn({ load: path.join(tmp, 'missing.json'), log: quiet })).toThrow(
      /mnist-cnn: no weights file at .*missing\.json/,
    )
  })

  test('the net: shapes and parameters of tfjs-examples mnist-core, in PyTorch layout', () => {
    const net = new MnistCore()
    expect(net.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual([
      'conv1.weight 8x1x5x5',
      'conv2.weight 16x8x5x5',
      'dense.weight 784x10',
      'dense.bias 10',
    ])
    expect(net.forward(loadMnist(5, 1).train.X).shape).toEqual([5, 10])
  })

  test('command line: the shared options, --load, and clear errors', () => {
    expect(
      parseCnnCommandLine(['--epochs', '2', '--lr', '3e-3', '--seed', '4', '--load', 'w.json', '--no-save']),
    ).toEqual({
      epochs: 2,
      lr: 3e-3,
      seed: 4,
      load: 'w.json',
      out: null,
    })
    expect(parseCnnCommandLine(['-h'])).toBe('help')
    expect(() => parseCnnCommandLine(['--batch-size', '0'])).toThrow("--batch-size: expected an integer ≥ 1, got '0'")
    expect(() => parseCnnCommandLine(['--hidden', '128'])).toThrow(/hidden/)
  })
})

test('game loop: the keeper learns, and the heap after 10,000 frames is where it was before', () => {
  const r = gameLoop({ frames: 10_000, stepsPerFrame: 2, budgetMs: Infinity, log: quiet })
  expect(r.trainingSteps).toBeGreaterThan(19_000)
  expect(r.errorLast).toBeLessThan(0.6 * r.errorFirst)
  expect(r.errorLast).toBeLessThan(0.6 * r.errorStayPut)
  expect(r.gcForced).toBe(true)
  // ~20,000 training steps each make a tape and temporaries: any of it kept alive would show here.
  expect(r.heapAfter - r.heapBefore).toBeLessThan(Math.max(1.5 * 2 ** 20, 0.1 * r.heapBefore))
})

test("tape: micrograd's lecture neuron, its tape, DOT and SVG", async () => {
  const r = await tape({ outDir: tmp, log: quiet })
  expect(r.value).toBeCloseTo(0.7071, 4)
  expect(r.grads.x1).toBeCloseTo(-1.5, 4)
  expect(r.grads.w1).toBeCloseTo(1.0, 4)
  expect(r.grads.x2).toBeCloseTo(0.5, 4)
  expect(r.grads.w2).toBeCloseTo(0.0, 4)
  expect(r.grads.b).toBeCloseTo(0.5, 4)
  expect(r.tape.split('\n').map((l) => l.replace(/^%\d+ = /, ''))).toEqual([
    'mul(x1[], w1[]) -> []',
    'mul(x2[], w2[]) -> []',
    expect.stringMatching(/^add\(%\d+, %\d+\) -> \[\]$/),
    expect.stringMatching(/^add\(%\d+, b\[\]\) -> \[\]$/),
    expect.stringMatching(/^tanh\(%\d+\) -> \[\]$/),
  ])
  for (const op of ['#1 mul', '#2 mul', '#3 add', '#4 add', '#5 tanh']) expect(r.dot).toContain(op)
  expect(r.svg).toContain('<svg')
  expect(r.files.map((f) => path.basename(f))).toEqual(['tape.dot', 'tape.svg'])
  expect(fs.readFileSync(r.files[1], 'utf8')).toBe(r.svg)
})

test("newton: Newton's method reaches Rosenbrock's minimum in a few steps, through the textbook iterates", () => {
  const out = path.join(tmp, 'newton.svg')
  const r = newton({ out, log: quiet })
  const last = r.iterates[r.iterates.length - 1]
  expect(r.iterates.length).toBeLessThanOrEqual(11)
  expect(last.point[0]).toBeCloseTo(1, 9)
  expect(last.point[1]).toBeCloseTo(1, 9)
  // pure Newton from (−1.2, 1) overshoots into the valley's far side first (Nocedal & Wright's example)
  expect(r.iterates[2].point[0]).toBeCloseTo(0.763115, 5)
  expect(r.iterates[2].point[1]).toBeCloseTo(-3.175034, 5)
  expect(r.svg.match(/class="iterate"/g)!.length).toBe(r.iterates.length)
  expect(fs.readFileSync(out, 'utf8')).toBe(r.svg)
  expect(newtonArgs(['--steps', '3', '--start', '0,0'])).toEqual({ steps: 3, start: [0, 0] })
  expect(() => newtonArgs(['--start', '1'])).toThrow('newton: --start must be two numbers like -1.2,1, got 1')
})

describe('names', () => {
  test('the data: 8,849 names, 8,422 distinct, split 90/10 by a fixed seed, disjoint', () => {
    const { train, dev, total } = loadNames()
    expect(total).toBe(8849)
    expect(train.length + dev.length).toBe(8422)
    expect(dev.length).toBe(842)
    const seen = new Set(train)
    expect(dev.filter((n) => seen.has(n))).toEqual([])
    expect(loadNames().dev).toEqual(dev)
    expect(vocabularyOf([...train, ...dev])).toBe('.-abcdefghijklmnopqrstuvwxyz')
  })

  test('batches are time-major, start with ".", end by predicting "." and mask the padding', () => {
    const b = encodeBatch(['ab', 'c'], '.abc')
    expect(b.inputs).toEqual([
      [0, 0],
      [1, 3],
      [2, 0],
    ])
    expect(b.targets).toEqual([1, 3, 2, 0, 0, 0])
    expect(Array.from(b.mask.data)).toEqual([1, 1, 1, 1, 1, 0])
    expect(b.count).toBe(5)
    expect(() => encodeBatch(['a!'], '.abc')).toThrow(
      "names: 'a!' has the character '!', which is not in the model's characters '.abc'",
    )
  })

  test('the bigram baseline: (count + 1) smoothing, per character', () => {
    // '.ab.' has 3 transitions, each seen once; every row has 3 + 1 + 1 + 1 = 4 in total (3 + 1 smoothing):
    // p = (1 + 1) / (1 + 3) = 1/2 each, so the loss is ln 2.
    expect(new Bigram('.ab', ['ab']).loss(['ab'])).toBeCloseTo(Math.log(2), 12)
  })

  test('a small LSTM beats the bigram on dev; its saved model loads back and gives the same numbers and samples', () => {
    const out = path.join(tmp, 'names.json')
    const small = {
      limit: 1500,
      epochs: 2,
      hidden: 48,
      embedding: 16,
      batchSize: 32,
      samples: 8,
      out,
      progress: false,
      log: quiet,
    }
    const r = names(small)
    expect(r.epochs).toHaveLength(2)
    expect(r.model.dev).toBeLessThan(r.bigram.dev - 0.05)
    expect(r.samples).toHaveLength(8)
    for (const s of r.samples) expect(s).toMatch(/^[-a-z]*$/)
    const again = names({ ...small, load: out })
    expect(again.epochs).toEqual([])
    expect(again.model.dev).toBe(r.model.dev)
    expect(again.model.train).toBe(r.model.train)
    expect(again.samples).toEqual(r.samples)
    fs.writeFileSync(
      path.join(tmp, 'not-a-model.json'),
      JSON.stringify({ 'layers.0.weight': { shape: [1], data: [0] } }),
    )
    expect(() => names({ ...small, load: path.join(tmp, 'not-a-model.json') })).toThrow(
      /is not a model saved by examples\/names.ts/,
    )
    expect(() => names({ ...small, load: path.join(tmp, 'missing.json') })).toThrow(/names: cannot read the model file/)
  })

  test('command line: options, --help, and clear errors', () => {
    expect(
      parseNamesCommandLine([
        '--epochs',
        '3',
        '--cell',
        'gru',
        '--hidden',
        '64',
        '--load',
        'm.json',
        '--samples',
        '0',
        '--no-save',
      ]),
    ).toEqual({
      epochs: 3,
      cell: 'gru',
      hidden: 64,
      samples: 0,
      load: 'm.json',
      out: null,
    })
    expect(parseNamesCommandLine(['--help'])).toBe('help')
    expect(() => parseNamesCommandLine(['--cell', 'transformer'])).toThrow(
      "--cell: expected lstm or gru, got 'transformer'",
    )
    expect(() => parseNamesCommandLine(['--limit', '0'])).toThrow("--limit: expected an integer ≥ 1, got '0'")
  })
})
