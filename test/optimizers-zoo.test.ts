/**
 * examples/optimizer-zoo.ts runs (at a few steps): it writes the SVG with one trajectory per
 * exported optimizer over the contour plot, and prints a final loss for each.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as O from '../optimizers/index.js'
import { main, parseArgs, ZOO, START } from '../examples/optimizer-zoo.js'

const exportedOptimizers = Object.entries(O)
  .filter(([, v]) => typeof v === 'function' && typeof (v as { optimizerName?: unknown }).optimizerName === 'string')
  .map(([k]) => k)
  .sort()

test('the zoo holds every exported optimizer', () => {
  expect(ZOO.map((z) => z.name).sort()).toEqual(exportedOptimizers)
  for (const z of ZOO) expect(z.make().name).toBe(z.name)
})

test('main() writes an SVG with a path per optimizer and prints the final losses', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-zoo-'))
  try {
    const out = path.join(dir, 'nested', 'zoo.svg')
    const lines: string[] = []
    const r = main({ steps: 40, out, log: (l) => lines.push(l) })
    const svg = fs.readFileSync(out, 'utf8')
    expect(svg).toBe(r.svg)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    for (const name of exportedOptimizers) {
      expect(svg).toMatch(
        new RegExp(`<path class="trajectory" data-optimizer="${name}" d="M[\\d.]+ [\\d.]+(L[-\\d.]+ [-\\d.]+){40}"`),
      )
    }
    expect(svg.match(/class="trajectory"/g)!.length).toBe(exportedOptimizers.length)
    expect(svg.match(/class="contour"/g)!.length).toBeGreaterThan(3)
    for (const z of r.results) {
      expect(z.path.length).toBe(41)
      expect(z.path[0]).toEqual(START)
      expect(Number.isFinite(z.loss)).toBe(true)
      expect(z.loss).toBeLessThan(24.2) // every optimizer went downhill from f(start) = 24.2
      expect(lines.some((l) => l.startsWith(z.label) && l.includes(z.loss.toExponential(2)))).toBe(true)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('--only keeps the named optimizers and refuses unknown names', () => {
  expect(parseArgs(['--only', 'adam, sgd'])).toEqual({ only: ['adam', 'sgd'] })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-zoo-'))
  try {
    const r = main({ steps: 5, out: path.join(dir, 'z.svg'), only: ['adam', 'sgd'], log: () => {} })
    expect(r.results.map((z) => z.name)).toEqual(['sgd', 'adam'])
    expect(r.svg.match(/class="trajectory"/g)!.length).toBe(2)
    expect(() => main({ steps: 5, out: path.join(dir, 'y.svg'), only: ['adma'], log: () => {} })).toThrow(
      /unknown optimizer adma \(known: sgd, momentum/,
    )
    expect(fs.existsSync(path.join(dir, 'y.svg'))).toBe(false)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('command line: --out and --steps, with clear errors', () => {
  expect(parseArgs(['--out', 'a.svg', '--steps', '10'])).toEqual({ out: 'a.svg', steps: 10 })
  expect(parseArgs([])).toEqual({})
  expect(() => parseArgs(['--steps', '0'])).toThrow(/--steps must be a positive integer/)
  expect(() => parseArgs(['--out'])).toThrow(/--out needs a value/)
  expect(() => parseArgs(['--bogus'])).toThrow(/unknown argument --bogus/)
})
