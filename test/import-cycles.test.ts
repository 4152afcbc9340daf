/**
 * Dependencies run one way: no import cycle in src/ or optimizers/, type-only imports included
 * (a cycle through types still ties two files together). Each module's imports are read with
 * TypeScript's own pre-processor; a cycle is reported as the chain of files that closes it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const ROOT = resolve(__dirname, '..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return sourceFiles(p)
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : []
  })
}

/** The project files a module imports (relative specifiers only; '.js' maps to '.ts'). */
function importsOf(file: string, known: Set<string>): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  const out: string[] = []
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue
    const base = resolve(dirname(file), ref.fileName).replace(/\.js$/, '')
    for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
      if (known.has(candidate)) {
        out.push(candidate)
        break
      }
    }
  }
  return out
}

/** Every elementary cycle's first occurrence found by a depth-first search, as file chains. */
export function findCycles(files: string[]): string[][] {
  const known = new Set(files)
  const graph = new Map(files.map((f) => [f, importsOf(f, known)]))
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (f: string) => {
    state.set(f, 'open')
    stack.push(f)
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g])
      else if (!state.has(g)) visit(g)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of files) if (!state.has(f)) visit(f)
  return cycles
}

test('src/ and optimizers/ have no import cycle (type-only imports included)', () => {
  const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'optimizers'))]
  expect(files.length).toBeGreaterThan(40)
  const cycles = findCycles(files).map((c) => c.map((f) => relative(ROOT, f)).join(' → '))
  expect(cycles).toEqual([])
})

test('the cycle finder finds a cycle (so the test above can fail)', () => {
  // a.ts → b.ts → a.ts, written to a temporary folder
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'))
  try {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js'\nexport const a = 1\n")
    writeFileSync(join(dir, 'b.ts'), "import type { a } from './a.js'\nexport const b = 2\n")
    writeFileSync(join(dir, 'c.ts'), "import { a } from './a.js'\n")
    const cycles = findCycles(['a.ts', 'b.ts', 'c.ts'].map((f) => join(dir, f)))
    expect(cycles.map((c) => c.map((f) => relative(dir, f)))).toEqual([['a.ts', 'b.ts', 'a.ts']])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
