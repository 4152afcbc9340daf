#!/usr/bin/env node
// `npm run test:browser`: builds dist/browser, serves it on 127.0.0.1, opens test/browser/index.html
// in headless Debian Chromium (playwright-core, never a Playwright browser download) with WebGL2
// through SwiftShader, and reports the page's checks. Prints PASS or FAIL; exits 1 on failure.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBrowser } from '../../scripts/build-browser.mjs'
import { launchChromium, serve } from '../../scripts/serve.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TIMEOUT_MS = 240_000

async function main() {
  await buildBrowser({ log: true })
  const server = await serve({
    '/index.html': join(root, 'test', 'browser', 'index.html'),
    '/favicon.ico': { body: '', type: 'image/x-icon' },
    '/test/browser/': join(root, 'test', 'browser'),
    '/dist/browser/': join(root, 'dist', 'browser'),
    '/gpu-browser.min.js': join(root, 'node_modules', 'gpu.js', 'dist', 'gpu-browser.min.js'),
  })
  let browser
  try {
    browser = await launchChromium()
    console.log(`chromium ${browser.version()} (headless, WebGL2 via SwiftShader)`)
    const page = await browser.newPage()
    // A script that fails to load or throws before reporting ends the test at once.
    let broken = null
    page.on('pageerror', (e) => { broken ??= `page error: ${e.message}` })
    page.on('response', (r) => { if (r.status() >= 400) broken ??= `${r.status()} for ${r.url()}` })
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`page ${m.type()}: ${m.text()}`) })
    await page.goto(`${server.url}/index.html`)
    const started = Date.now()
    while (!(await page.evaluate(() => window.__result !== undefined))) {
      if (broken) throw new Error(broken)
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`no result after ${TIMEOUT_MS / 1000} s`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const result = await page.evaluate(() => window.__result)
    for (const line of result.lines) console.log(line)
    return result.pass
  } finally {
    await browser?.close()
    await server.close()
  }
}

main().then(
  (pass) => {
    console.log(pass ? 'PASS test:browser' : 'FAIL test:browser')
    process.exit(pass ? 0 : 1)
  },
  (e) => {
    console.log(`FAIL test:browser: ${e && e.message ? e.message : e}`)
    process.exit(1)
  },
)
