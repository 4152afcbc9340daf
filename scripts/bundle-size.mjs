#!/usr/bin/env node
// What tapegrad costs in a browser bundle, made the way an app's bundler makes it, and the budgets.
//
// Each case is a small user module (`import { tensor, grad } from 'tapegrad'` …) that esbuild
// bundles as an app would be bundled: minified ESM for the browser, code splitting (an import()
// becomes a lazily loaded chunk), tree shaking with package.json `exports` and `sideEffects`
// honoured. The optional peers gpu.js and @viz-js/viz stay out (external): a page that uses them
// loads them separately, and they are not tapegrad's bytes.
//
// Sizes: every output file minified, then gzipped on its own (level 9), as a server sends it.
// "eager" is the entry with every chunk it imports statically (what a page downloads before the
// code runs); "lazy" the chunks behind an import() (the gpu.js glue and calibration, loaded by
// setBackend('gpujs' | 'auto')). 1 KB = 1024 bytes.
//
// From: a project directory whose node_modules/tapegrad is the installed package (`--from DIR`;
// test/install.test.ts installs the packed tarball and checks the budgets there), or by default
// this repository's sources, resolved by the same names ('tapegrad', 'tapegrad/optimizers').
//
// Usage: node scripts/bundle-size.mjs [--from DIR] [--parts] [--markdown] [--json FILE] [--check]
//   --parts  per-folder and per-file bytes of each case (esbuild metafile, minified, before gzip)
//   --markdown  the tables of docs/backends.md instead of text (test/install.test.ts checks the page)
//   --json   writes every number to FILE, and (as `markdown`, a list of lines) the --markdown tables
//   --check  exits 1 when a budget is exceeded
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The cases; `budget` (KB min+gzip) applies to `budgetOf` ('eager' or 'all' = eager + lazy). */
export const CASES = [
  { name: 'tensor, grad', source: "export { tensor, grad } from 'tapegrad'" },
  {
    name: 'tensor, grad + adam',
    source: "export { tensor, grad } from 'tapegrad'\nexport { adam } from 'tapegrad/optimizers'",
    budget: 35,
    budgetOf: 'eager',
  },
  {
    name: 'a game agent: + MLP, mse',
    source:
      "export { tensor, grad } from 'tapegrad'\nexport { adam } from 'tapegrad/optimizers'\n" +
      "export { MLP, mse } from 'tapegrad/nn'",
    budget: 40,
    budgetOf: 'eager',
  },
  {
    name: 'a game agent in a worker: + worker, rl',
    source:
      "export { tensor, grad } from 'tapegrad'\nexport { adam } from 'tapegrad/optimizers'\n" +
      "export { MLP, mse } from 'tapegrad/nn'\n" +
      "export { defineTraining, startTraining } from 'tapegrad/worker'\nexport { DQN, dqnTraining, startDQN } from 'tapegrad/rl'",
    budget: 53,
    budgetOf: 'eager',
  },
  {
    // The same game agent written `nn.MLP`: esbuild keeps every member of a re-exported namespace,
    // so all of src/nn comes along (conv, recurrent, batch norm). Measured to show what
    // `tapegrad/nn` saves; no budget, since the namespace form is there for convenience.
    name: 'the game agent through the nn namespace',
    source:
      "import { nn } from 'tapegrad'\nexport { tensor, grad } from 'tapegrad'\n" +
      "export { adam } from 'tapegrad/optimizers'\nexport const MLP = nn.MLP, mse = nn.mse",
  },
  {
    name: 'tensor, grad + adam + setBackend',
    source:
      "export { tensor, grad, setBackend, getBackend } from 'tapegrad'\n" +
      "export { adam } from 'tapegrad/optimizers'",
  },
  {
    name: 'the whole library',
    source: "export * from 'tapegrad'\nexport * from 'tapegrad/optimizers'",
    // NOT issue 12's goal: it asked for ≤ 60 KB, and round 2 (conv and pooling, recurrent layers,
    // forward mode and higher order, safetensors, ~30 new ops, state checksums) brought the whole
    // library to 75.1 KB. This budget is the measured size plus 0.9 KB, so that growth still fails
    // the test; getting back to 60 KB is open work (see the round-2 closing note).
    budget: 76,
    budgetOf: 'all',
  },
  {
    // tapegrad/nn as a namespace of its own: its names are the root's `nn` members, and some
    // (relu, tanh, softmax, …) are also root ops, which two `export *` would make ambiguous.
    name: 'every entry point',
    source:
      "export * from 'tapegrad'\nexport * from 'tapegrad/optimizers'\nexport * as nnEntry from 'tapegrad/nn'\n" +
      "export * from 'tapegrad/worker'\nexport * from 'tapegrad/rl'",
  },
]

/** How an app for the browser is bundled: shared with scripts/build-browser.mjs (the prebuilt bundle). */
export const BROWSER_BUILD = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
}

/**
 * The package's own entries for the sources mode, by the name an app imports: package.json's
 * `exports`, each `./dist/…/x.js` read back as the `…/x.ts` the build writes it from (rootDir '.',
 * outDir 'dist'), as test/doc-blocks.ts's sourceEntries does for the doc tests.
 */
const SOURCE_ENTRIES = (() => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const entries = {}
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue // './package.json'
    const source = /^\.\/dist\/(.*)\.js$/.exec(target.default)
    if (!source) throw new Error(`package.json exports['${key}'] is ${target.default}, not a file under ./dist/`)
    entries[key === '.' ? pkg.name : `${pkg.name}${key.slice(1)}`] = `${source[1]}.ts`
  }
  return entries
})()
const OPTIONAL_PEERS = ['gpu.js', '@viz-js/viz']

/** A part of the bundle an input file belongs to: its folder in the package, or its npm package. */
export function partOf(file) {
  const parts = file.split(/[\\/]/)
  const nm = parts.lastIndexOf('node_modules')
  if (nm >= 0 && parts[nm + 1] !== 'tapegrad') {
    const name = parts[nm + 1].startsWith('@') ? `${parts[nm + 1]}/${parts[nm + 2]}` : parts[nm + 1]
    return `npm: ${name}`
  }
  const inPackage = nm >= 0 ? parts.slice(nm + 2) : parts
  const dist = inPackage.indexOf('dist')
  const rel = dist >= 0 ? inPackage.slice(dist + 1) : inPackage
  const top = rel.findIndex((p) => p === 'src' || p === 'optimizers')
  const tail = top >= 0 ? rel.slice(top) : rel
  return tail.length > 2 ? tail.slice(0, 2).join('/') : tail[0]
}

/** The file's name within the package (`src/backends/cpu-simd`), or `npm: pkg/path`. */
function fileLabel(file) {
  const part = partOf(file)
  if (part.startsWith('npm: ')) {
    const inside = file
      .split(/node_modules[\\/]/)
      .pop()
      .split(/[\\/]/)
      .slice(part.split('/').length)
    return `${part}/${inside.join('/')}`
  }
  const m = /(?:^|[\\/])((?:src|optimizers)[\\/].*?)\.(?:ts|js)$/.exec(file)
  return m ? m[1].split(sep).join('/') : file
}

/**
 * Bundles one case; returns { eager, lazy, all, parts, files }, sizes as { files, min, gzip }
 * in bytes; `files` maps each input file to its minified bytes and whether it loads lazily.
 */
export async function measureCase(source, { from = null } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'tapegrad-bundle-'))
  try {
    const resolveDir = from ?? root
    const plugins = from
      ? []
      : [
          {
            name: 'tapegrad-sources',
            setup(b) {
              // Only the package's entries: a deep path ('tapegrad/dist/…') is left to fail as in an app.
              b.onResolve({ filter: /^tapegrad(\/|$)/ }, (a) =>
                a.path in SOURCE_ENTRIES ? { path: join(root, SOURCE_ENTRIES[a.path]) } : undefined,
              )
            },
          },
        ]
    const result = await build({
      absWorkingDir: resolveDir,
      stdin: { contents: source, resolveDir, loader: 'js', sourcefile: 'app.js' },
      ...BROWSER_BUILD,
      external: OPTIONAL_PEERS,
      outdir,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins,
    })
    const outputs = result.metafile.outputs
    const text = new Map(result.outputFiles.map((f) => [resolve(f.path), f.contents]))
    const bytesOf = (out) => text.get(resolve(resolveDir, out))
    const entry = Object.keys(outputs).find((k) => outputs[k].entryPoint === 'app.js')
    const eagerFiles = new Set()
    const walk = (f) => {
      if (eagerFiles.has(f)) return
      eagerFiles.add(f)
      for (const imp of outputs[f].imports) if (imp.kind === 'import-statement' && !imp.external) walk(imp.path)
    }
    walk(entry)
    const js = Object.keys(outputs).filter((k) => k.endsWith('.js'))
    const size = (list) => {
      let min = 0,
        gzip = 0
      for (const f of list) {
        const b = bytesOf(f)
        min += b.length
        gzip += gzipSync(b, { level: 9 }).length
      }
      return { files: list.length, min, gzip }
    }
    const lazyFiles = js.filter((f) => !eagerFiles.has(f))
    const files = {}
    const parts = {}
    for (const f of js) {
      for (const [input, { bytesInOutput }] of Object.entries(outputs[f].inputs)) {
        if (bytesInOutput === 0) continue
        const label = fileLabel(input)
        const lazy = !eagerFiles.has(f)
        files[label] = { bytes: (files[label]?.bytes ?? 0) + bytesInOutput, lazy }
        const part = `${partOf(input)}${lazy ? ' (lazy)' : ''}`
        parts[part] = (parts[part] ?? 0) + bytesInOutput
      }
    }
    return { eager: size([...eagerFiles]), lazy: size(lazyFiles), all: size(js), parts, files }
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

/** Every case measured; `over` lists the cases above their budget. */
export async function measureAll({ from = null } = {}) {
  const cases = []
  for (const c of CASES) {
    const m = await measureCase(c.source, { from })
    const measured = c.budget ? m[c.budgetOf].gzip : null
    cases.push({ ...c, ...m, overBudget: c.budget ? measured > c.budget * 1024 : false })
  }
  return { from: from ?? `${root} (sources)`, cases, over: cases.filter((c) => c.overBudget).map((c) => c.name) }
}

const kb = (b) => (b / 1024).toFixed(1)

/** The report as text lines. */
export function formatReport(report, { parts = false } = {}) {
  const lines = [`tapegrad bundle sizes (esbuild, minified ESM, split, tree-shaken; gzip per file) from ${report.from}`]
  for (const c of report.cases) {
    const budget = c.budget ? `  budget ${c.budgetOf} ≤ ${c.budget} KB: ${c.overBudget ? 'OVER' : 'ok'}` : ''
    const eager = `eager ${kb(c.eager.min).padStart(6)} KB min ${kb(c.eager.gzip).padStart(5)} KB gzip`
    lines.push(`  ${c.name.padEnd(40)} ${eager}  lazy +${kb(c.lazy.gzip).padStart(4)} KB gzip${budget}`)
    if (parts) {
      for (const [p, b] of Object.entries(c.parts).sort((a, z) => z[1] - a[1])) {
        lines.push(`      ${kb(b).padStart(6)} KB min  ${p}`)
      }
      const top = Object.entries(c.files)
        .sort((a, z) => z[1].bytes - a[1].bytes)
        .slice(0, 12)
      const named = top.map(([f, v]) => `${f}${v.lazy ? ' (lazy)' : ''} ${kb(v.bytes)}`)
      lines.push(`      largest files (KB min): ${named.join(', ')}`)
    }
  }
  return lines
}

/** The cases whose parts the Markdown report lists side by side. */
export const PARTS_CASES = ['tensor, grad + adam', 'a game agent: + MLP, mse', 'the whole library']

/**
 * The report as the two Markdown tables of docs/backends.md: every case (KB min and min+gzip;
 * the budget and what it is checked on), and the minified KB of each part in PARTS_CASES.
 * test/install.test.ts compares the page's tables with these, made from the packed tarball, so
 * the page cannot drift.
 */
export function formatMarkdown(report) {
  const lines = ['| app | eager min | eager min+gzip | lazy min+gzip | budget |', '|---|---:|---:|---:|---|']
  for (const c of report.cases) {
    const budget = c.budget ? `≤ ${c.budget} KB ${c.budgetOf === 'all' ? 'eager + lazy' : 'eager'}` : ''
    lines.push(`| ${c.name} | ${kb(c.eager.min)} KB | ${kb(c.eager.gzip)} KB | ${kb(c.lazy.gzip)} KB | ${budget} |`)
  }
  const shown = PARTS_CASES.map((n) => report.cases.find((c) => c.name === n))
  const names = [...new Set(shown.flatMap((c) => Object.keys(c.parts)))]
  const total = (p) => shown.reduce((a, c) => a + (c.parts[p] ?? 0), 0)
  names.sort((a, z) => total(z) - total(a))
  lines.push('', `| part (KB min) | ${PARTS_CASES.join(' | ')} |`, `|---|${PARTS_CASES.map(() => '---:').join('|')}|`)
  for (const p of names) lines.push(`| ${p} | ${shown.map((c) => (c.parts[p] ? kb(c.parts[p]) : '')).join(' | ')} |`)
  return lines
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : null)
  const from = opt('--from')
  measureAll({ from: from ? resolve(from) : null }).then(
    (report) => {
      const format = args.includes('--markdown') ? formatMarkdown : formatReport
      for (const line of format(report, { parts: args.includes('--parts') })) console.log(line)
      const json = opt('--json')
      if (json) writeFileSync(json, JSON.stringify({ ...report, markdown: formatMarkdown(report) }, null, 2))
      if (args.includes('--check') && report.over.length) {
        console.error(`over budget: ${report.over.join(', ')}`)
        process.exit(1)
      }
    },
    (e) => {
      console.error(e)
      process.exit(1)
    },
  )
}
