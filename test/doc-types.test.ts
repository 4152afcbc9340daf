/**
 * Doc tests, the types: every doc block (see test/docs.test.ts) must also be correct TypeScript,
 * since a reader copies it into a TypeScript project. The runner only transpiles a block, which
 * accepts a wrong argument type or a missing cast; here all blocks are type-checked together in
 * one program (test/doc-blocks.ts, `typeCheckBlocks`) with tsconfig.json's strict options, and
 * each block is a test `<file>:<line> type-checks` that fails with its errors as
 * `<file>:<line>: <message>`, at the lines of the documenting file.
 *
 * `DOCTEST_FILTER=src/nn npx jest --maxWorkers=1 test/doc-types.test.ts` checks the blocks of the
 * files whose path contains `src/nn`.
 */
import * as path from 'path'
import { collectBlocks, typeCheckBlocks, type BlockDiagnostic } from './doc-blocks.js'

const ROOT = path.resolve(__dirname, '..')

const filter = process.env.DOCTEST_FILTER ?? ''
// An excerpt (```ts excerpt=<path>) is a quoted piece of a module, not a program: test/docs.test.ts
// checks that <path> still says it verbatim, and `npm run typecheck` checks <path>.
const blocks = collectBlocks(ROOT).filter((b) => b.file.includes(filter) && b.excerpt === undefined)

describe('doc blocks type-check', () => {
  // One program for all blocks: the library's types are read once (one program per block would
  // read them hundreds of times).
  let diagnostics: BlockDiagnostic[][] = []
  beforeAll(() => {
    diagnostics = typeCheckBlocks(blocks, ROOT)
  }, 180_000)

  if (blocks.length === 0) test.skip(`no block in a file matching '${filter}'`, () => {})
  blocks.forEach((block, i) => {
    test(`${block.file}:${block.line} type-checks`, () => {
      const errors = diagnostics[i].map((d) => `${d.file}:${d.line}: ${d.message}`)
      if (errors.length) throw new Error(errors.join('\n'))
    })
  })
})
