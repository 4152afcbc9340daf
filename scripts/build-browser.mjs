#!/usr/bin/env node
// The browser build: ES modules of tapegrad in dist/browser/, minified, gpu.js NOT included.
//
//   dist/browser/tapegrad.js     the core (tensors, ops, tape, nn, …) — what `import 'tapegrad'` is
//   dist/browser/optimizers.js   tapegrad/optimizers
//   dist/browser/backends.js     setBackend / getBackend / getActiveBackend
//   dist/browser/chunk-*.js      code shared between the entries
//   dist/browser/<name>-*.js     chunks behind a dynamic import(): the gpu.js glue and the
//                                calibration (chooseGpujs-*.js, fetched only by
//                                setBackend('gpujs'|'auto')), and Graphviz for toSvg
//
// gpu.js is an optional peer dependency of tapegrad and stays out of this build. A page loads it
// itself (`<script src="gpu-browser.min.js">`, which defines the global `GPU`; the browser test
// serves it from the devDependency), or passes a GPU instance:
// `await setBackend('gpujs', { gpu: new GPU({ mode: 'webgl2' }) })`. Without either,
// setBackend('gpujs') rejects with how to install it and 'auto' stays on the CPU.
// What an app's own bundler makes of the package, and the size budgets: scripts/bundle-size.mjs.
// One build with code splitting, so the three entries share one Tensor class and one backend state.
//
// Prints the size of each entry with everything it loads statically, minified and gzipped, and
// of each lazily loaded chunk with what it adds to that.
// Usage: node scripts/build-browser.mjs [--quiet]
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BROWSER_BUILD } from './bundle-size.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'dist', 'browser')
const quiet = process.argv.includes('--quiet')

/** Builds dist/browser and returns { outdir, sizes }. */
export async function buildBrowser({ log = !quiet } = {}) {
  rmSync(outdir, { recursive: true, force: true })
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      tapegrad: 'src/index.ts',
      optimizers: 'optimizers/index.ts',
      backends: 'src/backends/index.ts',
    },
    outdir,
    ...BROWSER_BUILD,
    sourcemap: false,
    // gpu.js stays out: the page loads it (its browser build is ~640 kB minified).
    external: ['gpu.js'],
    metafile: true,
    logLevel: 'warning',
  })
  const outputs = result.metafile.outputs
  /** Files an output loads statically (import-statements), itself included. */
  const closure = (file, seen = new Set()) => {
    if (seen.has(file)) return seen
    seen.add(file)
    for (const imp of outputs[file].imports)
      if (imp.kind === 'import-statement' && !imp.external) closure(imp.path, seen)
    return seen
  }
  const entrySources = new Set(['src/index.ts', 'optimizers/index.ts', 'src/backends/index.ts'])
  const measure = (files) => {
    const text = files.map((f) => readFileSync(join(root, f))).reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0))
    return { files: files.length, min: text.length, gzip: gzipSync(text, { level: 9 }).length }
  }
  const sizes = {}
  const loadedByEntries = new Set()
  for (const [file, out] of Object.entries(outputs)) {
    if (!out.entryPoint || !entrySources.has(out.entryPoint)) continue
    const files = [...closure(file)]
    files.forEach((f) => loadedByEntries.add(f))
    sizes[relative(outdir, join(root, file))] = measure(files)
  }
  // Chunks behind a dynamic import() (the gpu.js backend and calibration, the graph viewer):
  // what they add to what the entries already loaded.
  for (const [file, out] of Object.entries(outputs)) {
    if (!out.entryPoint || entrySources.has(out.entryPoint)) continue
    const files = [...closure(file)].filter((f) => !loadedByEntries.has(f))
    sizes[`${relative(outdir, join(root, file))} (loaded lazily: ${out.entryPoint})`] = measure(files)
  }
  if (log) {
    console.log(`dist/browser (esbuild, minified, ESM, gpu.js external):`)
    for (const [name, s] of Object.entries(sizes)) {
      console.log(
        `  ${name.padEnd(66)} ${(s.min / 1024).toFixed(1).padStart(7)} kB min ${(s.gzip / 1024).toFixed(1).padStart(6)} kB min+gzip (${s.files} file${s.files > 1 ? 's' : ''})`,
      )
    }
  }
  return { outdir, sizes }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBrowser().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
