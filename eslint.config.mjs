// ESLint (flat config): `npm run lint`. Formatting is Prettier's job (`npm run format:check`);
// unused exports and files are knip's (`npm run lint:exports`). The rules here catch mistakes.
//
// typescript-eslint's `recommended` set, not `recommended-type-checked`: the type-checked rules
// build a TypeScript program for every file and take minutes on a two-core machine; `npx tsc
// --noEmit` already type-checks everything once.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import { importX } from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const code = '**/*.{ts,mts,cts,js,mjs,cjs}'

export default defineConfig(
  {
    // Generated or installed output; bench/ is a package of its own with its own node_modules.
    ignores: ['dist/', 'coverage/', 'docs/api/', 'out/', 'bench-results/', 'bench/node_modules/', 'bench/.cache/'],
  },
  {
    files: [
      `src/${code}`,
      `optimizers/${code}`,
      `test/${code}`,
      `examples/${code}`,
      `scripts/${code}`,
      `bench/${code}`,
      `.ci/${code}`,
      '*.{js,mjs,cjs}',
    ],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    plugins: { 'import-x': importX },
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      // The library runs in Node, in browsers and in workers; the scripts drive pages through
      // Playwright (`page.evaluate` bodies run in the browser). no-undef is off for .ts files
      // (typescript-eslint's advice: the compiler already checks names); for .js/.mjs it is on.
      globals: { ...globals.node, ...globals.browser },
    },
    settings: {
      // import-x follows imports only into files with these extensions (by default only .js
      // files: no-cycle would then see no .ts file and never fire), parsed by this parser.
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      // Resolves './x.js' to './x.ts' the way TypeScript's NodeNext resolution does.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          // Comments count, and are wrapped by hand. Strings and template literals do not: they are
          // mostly error messages, and a message split across `+` can no longer be found by
          // searching the code for the text a user saw.
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreComments: false,
          // Nor does an @example line with a result comment (` * expr   // value`): the doc tests
          // (test/doc-blocks.ts) read the value from the expression's own line.
          ignorePattern: String.raw`^\s*\*.*\S\s+// `,
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // `any` is how this code says "any instantiation" where TypeScript has no other word for it:
      // registries of ops and training specs of every type (`OpDef<any>[]`), rest arguments of the
      // method table, test helpers that poke at wrong inputs. `strict` already rules out an
      // implicit `any`; an explicit one is a choice the reader can see.
      '@typescript-eslint/no-explicit-any': 'off',
      // `Function` is the type of "some function, compared by identity or read as source text":
      // the compiled-loop caches (WeakMap<Function, …>) and gpu.js, which parses a rule's source.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      // Value imports only (import-x skips `import type`); test/import-cycles.test.ts is the
      // stricter check, type-only imports included, and the one that runs in `npm test`. This
      // rule shows a cycle in the editor as it is written.
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['test/**', '**/*.test.ts'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // CommonJS config files (jest.config.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
