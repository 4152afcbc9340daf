/**
 * Doc tests (issue 11): every `@example` of the TSDoc in src/ and optimizers/, and every ```ts
 * block of README.md and docs/*.md, runs as a test named `<file>:<line>`, and its result comments
 * (`x.toArray() // [1, 4]`) are checked. See test/doc-blocks.ts for the comment syntax.
 *
 * `DOCTEST_FILTER=src/ops npx jest --maxWorkers=1 test/docs.test.ts` runs the blocks of the files
 * whose path contains `src/ops`.
 */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { collectBlocks, markdownFiles, runBlock, sourceEntries, sourceFiles, TS_FENCE } from './doc-blocks.js'
import { seed, setDebug, setBackend, getBackend } from '../src/index.js'

const ROOT = path.resolve(__dirname, '..')

/** What a block's `import … from '<name>'` loads: the public entry points, from the sources. */
const ENTRY_POINTS = sourceEntries(ROOT)

/** `require` for a block: entry points as above, relative paths from the repository root. */
function blockRequire(name: string): unknown {
  const entry = ENTRY_POINTS[name]
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (entry) return require(entry)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (name.startsWith('.')) return require(path.resolve(ROOT, name))
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(name)
}

const filter = process.env.DOCTEST_FILTER ?? ''
const all = collectBlocks(ROOT)
const blocks = all.filter((b) => b.file.includes(filter))

describe('doc blocks', () => {
  // Blocks run in a scratch directory, so an example that saves a file ('model.safetensors')
  // writes it there and not into the repository (imports still resolve from the root).
  const home = process.cwd()
  let scratch = ''
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-doctest-'))
    process.chdir(scratch)
  })
  afterAll(() => {
    process.chdir(home)
    fs.rmSync(scratch, { recursive: true, force: true })
  })
  afterEach(async () => {
    if (getBackend().requested !== 'cpu') await setBackend('cpu')
  })
  if (blocks.length === 0) test.skip(`no block in a file matching '${filter}'`, () => {})
  for (const block of blocks) {
    test(`${block.file}:${block.line}`, async () => {
      seed(0)
      setDebug({ checkFinite: false, checkInPlace: false })
      if (getBackend().requested !== 'cpu') await setBackend('cpu')
      await runBlock(block, ROOT, blockRequire)
    })
  }
})

describe('the collector', () => {
  test('collects at least one block per @example tag that a plain grep finds', () => {
    let tags = 0
    for (const file of sourceFiles(ROOT))
      tags += (fs.readFileSync(path.join(ROOT, file), 'utf8').match(/@example\b/g) ?? []).length
    const collected = all.filter((b) => !b.file.endsWith('.md')).length
    expect(tags).toBeGreaterThan(0)
    expect(collected).toBeGreaterThanOrEqual(tags)
  })

  test('collects every ```ts fence of README.md and docs/*.md', () => {
    const missed: string[] = []
    for (const file of markdownFiles(ROOT)) {
      const fences = fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .filter((l) => TS_FENCE.test(l)).length
      const got = all.filter((b) => b.file === file).length
      if (got !== fences) missed.push(`${file}: ${fences} fences, ${got} blocks`)
    }
    expect(missed).toEqual([])
  })
})
