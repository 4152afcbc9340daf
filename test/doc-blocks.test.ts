/** The doc-test machinery itself: collection, the result-comment syntax, comparison, instrumenting. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'path'
import {
  checkers,
  examplesOf,
  fencesOf,
  instrument,
  matches,
  parseResultComment,
  runBlock,
  typeCheckBlocks,
  type Expected,
} from './doc-blocks.js'
import { tensor } from '../src/index.js'

/** Parses a comment and compares a value with it, as a doc block's check does. */
const ok = (actual: unknown, comment: string) => matches(actual, parseResultComment(comment) as Expected)

describe('parseResultComment', () => {
  test('reads values', () => {
    expect(parseResultComment('[1, 4]')).toEqual({
      kind: 'array',
      items: [
        { kind: 'number', value: 1, decimals: 0, negZero: false },
        { kind: 'number', value: 4, decimals: 0, negZero: false },
      ],
    })
    expect(parseResultComment(' -0 ')).toEqual({ kind: 'number', value: -0, decimals: 0, negZero: true })
    expect(parseResultComment('1e-3')).toEqual({ kind: 'number', value: 0.001, decimals: 0, negZero: false })
    expect(parseResultComment('0.7071')).toEqual({ kind: 'number', value: 0.7071, decimals: 4, negZero: false })
    expect(parseResultComment('-Infinity')).toMatchObject({ kind: 'number', value: -Infinity })
    expect(Number.isNaN((parseResultComment('NaN') as { value: number }).value)).toBe(true)
    expect(parseResultComment('true')).toEqual({ kind: 'literal', value: true })
    expect(parseResultComment('null')).toEqual({ kind: 'literal', value: null })
    expect(parseResultComment('undefined')).toEqual({ kind: 'literal', value: undefined })
    expect(parseResultComment(`'a\\nb'`)).toEqual({ kind: 'string', value: 'a\nb' })
    expect(parseResultComment(`"it's"`)).toEqual({ kind: 'string', value: "it's" })
    expect(parseResultComment(`{ a: 1, 'b c': [2] }`)).toMatchObject({
      kind: 'object',
      entries: [
        ['a', { value: 1 }],
        ['b c', { kind: 'array' }],
      ],
    })
    expect(parseResultComment('[[1, 2], [3, 4],]')).toMatchObject({
      kind: 'array',
      items: [{ kind: 'array' }, { kind: 'array' }],
    })
    expect(parseResultComment('≈ 0.5')).toEqual({ kind: 'number', value: 0.5, decimals: 1, negZero: false })
    expect(parseResultComment('throws shape mismatch')).toEqual({ kind: 'throws', text: 'shape mismatch' })
    expect(parseResultComment('throws: shape mismatch')).toEqual({ kind: 'throws', text: 'shape mismatch' })
    expect(parseResultComment('throws /^add: .*\\[2\\]/i')).toEqual({ kind: 'throws', regex: /^add: .*\[2\]/i })
  })

  test('prose is not a value', () => {
    for (const prose of [
      'C = A·B',
      'same as sum(x, 0)',
      'the gradient',
      ' ',
      'e.g. a tensor',
      'undefined behaviour',
      'Infinity and beyond',
      '= add(a, b)',
      'NaNs propagate',
      'trueish',
    ]) {
      expect(parseResultComment(prose)).toBeUndefined()
    }
  })

  test('a comment that starts like a value must parse', () => {
    for (const bad of [
      '[1, 2',
      '[0, −1000]',
      '0.6931 (= ln 2)',
      '{ a 1 }',
      "'open",
      '≈ ln 2',
      'true when x > 0',
      '-1 or more',
      'throws',
      'throws:',
      'throws /(/',
      '1..2',
    ]) {
      expect(() => parseResultComment(bad)).toThrow(/result comment/)
    }
  })
})

describe('matches', () => {
  test('numbers: written decimals set the precision', () => {
    expect(ok(Math.SQRT1_2, '0.7071')).toBe(true)
    expect(ok(0.70716, '0.7071')).toBe(false)
    expect(ok(0.25, '0.3')).toBe(true) // half a unit of the last written digit is still a match
    expect(ok(0.2499, '0.3')).toBe(false)
    expect(ok(1.5, '1.50')).toBe(true)
    expect(ok(3 + 1e-10, '3')).toBe(true)
    expect(ok(3 + 1e-6, '3')).toBe(false)
    expect(ok(1e-3 * (1 + 1e-10), '1e-3')).toBe(true)
    expect(ok(1.001e-3, '1e-3')).toBe(false)
    expect(ok(NaN, 'NaN')).toBe(true)
    expect(ok(0, 'NaN')).toBe(false)
    expect(ok(NaN, '0')).toBe(false)
    expect(ok(Infinity, 'Infinity')).toBe(true)
    expect(ok(-0, '0')).toBe(true)
    expect(ok(0, '-0')).toBe(false)
    expect(ok(-0, '-0')).toBe(true)
  })

  test('float32 values compare integers to 1e-6', () => {
    expect(ok(new Float32Array([0.1 * 3]), '[0.3]')).toBe(true)
    expect(ok(new Float32Array([16777216 + 2]), '[16777218]')).toBe(true)
    expect(ok(tensor([1 + 5e-7], { dtype: 'float32' }), '[1]')).toBe(true)
    expect(ok(tensor([1 + 5e-7], { dtype: 'float64' }), '[1]')).toBe(false)
    // toArray() of a float32 tensor: plain numbers, each exactly a float32
    expect(ok(tensor([2 - 1.2e-7], { dtype: 'float32' }).toArray(), '[2]')).toBe(true)
    expect(ok([2 - 1.2e-7], '[2]')).toBe(false)
  })

  test('tensors, typed arrays, arrays, objects, strings', () => {
    expect(
      ok(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        '[[1, 2], [3, 4]]',
      ),
    ).toBe(true)
    expect(ok(tensor(2.5), '2.5')).toBe(true)
    expect(ok(new Int32Array([1, 2]), '[1, 2]')).toBe(true)
    expect(ok([1, 2, 3], '[1, 2]')).toBe(false)
    expect(ok([1, [2]], '[1, 2]')).toBe(false)
    expect(ok({ a: 1, b: [2], c: 'extra' }, '{ a: 1, b: [2] }')).toBe(true)
    expect(ok({ a: 1 }, '{ a: 1, b: 2 }')).toBe(false)
    expect(ok([tensor([1]), tensor([2])], '[[1], [2]]')).toBe(true)
    expect(ok('ab', "'ab'")).toBe(true)
    expect(ok('ab ', "'ab'")).toBe(false)
    expect(ok(1, "'1'")).toBe(false)
    expect(ok(undefined, 'null')).toBe(false)
    expect(ok(false, 'false')).toBe(true)
  })
})

describe('instrument and the checks', () => {
  /** Runs instrumented code with the checks, reporting as file 'f.ts'. */
  const run = async (code: string) => {
    const { __check, __throws } = checkers('f.ts')
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor
    await new AsyncFunction('__check', '__throws', instrument(code, 10))(__check, __throws)
  }

  test('rewrites expressions, console.log, declarations and throws', () => {
    expect(instrument('f(x) // [1]')).toBe(`__check(() => (f(x)), "[1]", 1);`)
    expect(instrument('  console.log(a + b); // 3')).toBe(`  __check(() => (a + b), "3", 1);`)
    expect(instrument('const y: number = g() // 2', 5)).toBe(`const y: number = g(); __check(() => y, "2", 5);`)
    expect(instrument('f() // throws bad', 1)).toBe(`__throws(() => { f(); }, "throws bad", 1);`)
    expect(instrument('await f() // 1')).toBe(`await __check(async () => (await f()), "1", 1);`)
    expect(instrument('g() // prose, no check\nconst s = "// [1]"')).toBe('g() // prose, no check\nconst s = "// [1]"')
  })

  test('the checks pass, and fail naming file:line, the comment and the actual value', async () => {
    await run('const a = [1, 2]\na.length // 2\nconsole.log(a) // [1, 2]\nJSON.parse("{") // throws JSON')
    await run('const p = await Promise.resolve(3) // 3\nawait Promise.reject(new Error("no")) // throws /^no$/')
    await expect(run('const a = 2\na * 2 // 5')).rejects.toThrow('f.ts:11: expected // 5\n  actual: 4')
    await expect(run('Math.sqrt(2) // throws x')).rejects.toThrow(
      'f.ts:10: expected // throws x\n  but it did not throw',
    )
    await expect(run('null.x // throws nothing like it')).rejects.toThrow(
      /f\.ts:10: expected \/\/ throws nothing like it\n {2}actual message: /,
    )
    await expect(run('x // [1, 2')).rejects.toThrow(/line 10: result comment '\[1, 2'/)
    await expect(run('f(\n  a) \n// [1]')).rejects.toThrow(/line 12: .*on a line of its own/)
  })
})

describe('collection', () => {
  test('@example blocks: one-line, multi-line, fenced, up to the next tag', () => {
    const text = [
      '/** a + b. {@link add} @example add(1, 2) // 3 */', // line 1
      'export const x = 1',
      '/**',
      ' * Sum.',
      ' * @param x the input',
      ' * @example',
      ' * const y = sum(x)',
      ' *   y // 6',
      ' * @example ```ts',
      ' * f()',
      ' * ```',
      ' * @returns something',
      ' */',
    ].join('\n')
    expect(examplesOf('a.ts', text)).toEqual([
      { file: 'a.ts', line: 1, code: 'add(1, 2) // 3' },
      { file: 'a.ts', line: 7, code: 'const y = sum(x)\n  y // 6' },
      { file: 'a.ts', line: 10, code: 'f()' },
    ])
  })

  test('```ts and ```typescript fences, not other languages', () => {
    const md = [
      '# T',
      '```ts',
      'a() // 1',
      '```',
      '```js',
      'no()',
      '```',
      '- item',
      '  ```typescript',
      '  b()',
      '  ```',
    ].join('\n')
    expect(fencesOf('r.md', md)).toEqual([
      { file: 'r.md', line: 3, code: 'a() // 1' },
      { file: 'r.md', line: 10, code: 'b()' },
    ])
  })

  test('a fence ```ts excerpt=<path> records the file it quotes', () => {
    const md = ['```ts excerpt=src/x.ts', 'const a = 1', '```'].join('\n')
    expect(fencesOf('r.md', md)).toEqual([{ file: 'r.md', line: 2, code: 'const a = 1', excerpt: 'src/x.ts' }])
  })
})

describe('runBlock', () => {
  const load = (name: string) => {
    if (name === 'node:path') return path
    throw new Error(`unexpected import ${name}`)
  }

  test('an excerpt is not run: it must still be in the file it quotes', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'excerpt-'))
    fs.writeFileSync(path.join(root, 'x.ts'), 'export const a = f()\nexport const b = 2\n')
    const block = { file: 'd.md', line: 4, code: 'export const a = f()\nexport const b = 2', excerpt: 'x.ts' }
    await expect(runBlock(block, root, load)).resolves.toBeUndefined()
    await expect(runBlock({ ...block, code: 'export const a = f()\nexport const b = 3' }, root, load)).rejects.toThrow(
      'd.md:4: the excerpt no longer matches x.ts; first line not found there:\n  export const b = 3',
    )
    await expect(runBlock({ ...block, excerpt: 'y.ts' }, root, load)).rejects.toThrow(
      'd.md:4: the excerpt quotes y.ts, which does not exist',
    )
  })

  test('transpiles TypeScript, imports, top-level await, import.meta.url, and checks', async () => {
    const code = [
      "import * as path from 'node:path'",
      'const n: number = await Promise.resolve(2) // 2',
      "path.basename(new URL('./x.js', import.meta.url).pathname) // 'x.js'",
      "new URL('.', import.meta.url).pathname.endsWith('/src/') // true",
    ].join('\n')
    await runBlock({ file: 'src/a.ts', line: 1, code }, '/repo', load)
  })

  test('a failing check names the file and line; a bad comment names them too', async () => {
    await expect(
      runBlock({ file: 'src/a.ts', line: 7, code: 'const x = 1\nx + 1 // 3' }, '/repo', load),
    ).rejects.toThrow('src/a.ts:8: expected // 3\n  actual: 2')
    await expect(runBlock({ file: 'src/a.ts', line: 7, code: 'f() // [1,' }, '/repo', load)).rejects.toThrow(
      /^src\/a\.ts:7: result comment/,
    )
  })
})

describe('typeCheckBlocks', () => {
  const root = path.resolve(__dirname, '..')

  test('errors at the lines of the documenting file; entry points, ./src imports, top-level await, modules', () => {
    const blocks = [
      // fine: the entry points and an internal helper by relative path, top-level await, import.meta
      {
        file: 'src/a.ts',
        line: 10,
        code: [
          "import { tensor, add } from 'tapegrad'",
          "import { adam } from 'tapegrad/optimizers'",
          "import { sumToShape } from './src/tape'",
          'const x = tensor([1, 2])',
          'const n: number = await Promise.resolve(2)',
          'add(x, n).toArray()',
          'adam(1e-3)',
          "sumToShape('add', x, [1]).shape",
          "new URL('.', import.meta.url)",
        ].join('\n'),
      },
      // two blocks without imports, with the same top-level name and a top-level await: modules
      // (a script could not await, and the two would clash)
      { file: 'src/a.ts', line: 30, code: 'const x = await Promise.resolve(1)\nx.toFixed()' },
      { file: 'src/a.ts', line: 40, code: "const x = 'a'\nx.length" },
      // a wrong argument type on the block's third line, a strict-mode error on its fifth
      {
        file: 'docs/b.md',
        line: 5,
        code: "import { tensor, add } from 'tapegrad'\nconst x = tensor([1, 2])\nadd(x, 'a')\nx.shape\nfunction f(y) { return y }",
      },
      // jest's globals are not a reader's
      { file: 'src/c.ts', line: 1, code: 'expect(1).toBe(1)' },
    ]
    const result = typeCheckBlocks(blocks, root)
    expect(result[0]).toEqual([])
    expect(result[1]).toEqual([])
    expect(result[2]).toEqual([])
    expect(result[3]).toEqual([
      {
        file: 'docs/b.md',
        line: 7,
        message: "Argument of type 'string' is not assignable to parameter of type 'TensorLike'.",
      },
      { file: 'docs/b.md', line: 9, message: "Parameter 'y' implicitly has an 'any' type." },
    ])
    expect(result[4]).toEqual([{ file: 'src/c.ts', line: 1, message: "Cannot find name 'expect'." }])
  }, 60_000)
})
