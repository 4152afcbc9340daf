/**
 * docs/engineering.md stays true: every path it names exists (and every module it names under
 * src/ or optimizers/ imports cleanly), and every import in src/ and optimizers/ goes down its
 * picture of levels — a file imports only from its own level or the levels above it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const ROOT = resolve(__dirname, '..')
const guide = readFileSync(join(ROOT, 'docs', 'engineering.md'), 'utf8')

function files(dir: string, keep = (p: string) => p.endsWith('.ts') && !p.endsWith('.d.ts')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p, keep) : keep(p) ? [relative(ROOT, p)] : []
  })
}
const sources = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'optimizers'))]

/** The paths the guide names: `src/…`, `optimizers/…`, `test/…`, `docs/…`, … (globs with *). */
function namedPaths(): string[] {
  const found = new Set<string>()
  for (const m of guide.matchAll(
    /(?<![\w/.])((?:src|optimizers|test|docs|bench|scripts|examples)\/[\w.*/<>-]*[\w*/])/g,
  )) {
    found.add(m[1].replace(/\/$/, ''))
  }
  return [...found]
}

function matches(pattern: string, path: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/<[^>]*>/g, '[^/]*') +
      '$',
  )
  return re.test(path)
}

test('every path the guide names exists, and every module it names imports', async () => {
  const named = namedPaths()
  expect(named.length).toBeGreaterThan(40)
  const any = () => true
  const all = [...sources, ...files(join(ROOT, 'test'), any), ...files(join(ROOT, 'docs'), any)]
  const missing = named.filter(
    (p) => !(p.includes('*') || p.includes('<') ? all.some((f) => matches(p, f)) : existsSync(join(ROOT, p))),
  )
  expect(missing).toEqual([])
  for (const p of named.filter((p) => /^(src|optimizers)\/.*\.ts$/.test(p) && !p.includes('*'))) {
    await expect(import(join(ROOT, p))).resolves.toBeDefined()
  }
})

/** The levels of the guide's picture, top (0) to bottom: the paths and folders on each line. */
function levels(): string[][] {
  const picture = /```\n(storage[\s\S]*?)```/.exec(guide)![1]
  return picture
    .split('\n')
    .filter((l) => /^\S/.test(l) && !l.startsWith('↓'))
    .map((l) => [...l.matchAll(/((?:src|optimizers)\/[\w.*/-]*)/g)].map((m) => m[1]))
}

function levelOf(file: string, ls: string[][]): number {
  for (let k = 0; k < ls.length; k++) {
    for (const p of ls[k]) {
      if (p.endsWith('/') ? file.startsWith(p) : matches(p, file)) return k
    }
  }
  return -1
}

test('every import in src/ and optimizers/ goes to its own level of the picture or one above it', () => {
  const ls = levels()
  expect(ls.length).toBeGreaterThanOrEqual(8)
  const unplaced = sources.filter((f) => levelOf(f, ls) < 0)
  expect(unplaced).toEqual([])
  const wrong: string[] = []
  for (const f of sources) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, f), 'utf8'), true, true)
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue
      const target = relative(ROOT, resolve(ROOT, dirname(f), ref.fileName)).replace(/\.js$/, '.ts')
      const t = sources.includes(target) ? target : sources.find((s) => s === target.replace(/\.ts$/, '/index.ts'))
      if (!t) continue
      if (levelOf(t, ls) > levelOf(f, ls))
        wrong.push(`${f} (level ${levelOf(f, ls)}) imports ${t} (level ${levelOf(t, ls)})`)
    }
  }
  expect(wrong).toEqual([])
})
