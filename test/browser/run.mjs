#!/usr/bin/env node
// `npm run test:browser`: builds dist/browser, serves it on 127.0.0.1, opens test/browser/index.html
// in headless Debian Chromium (playwright-core, never a Playwright browser download) with WebGL2
// through SwiftShader, and reports the page's checks. Then opens test/browser/csp.mjs under
// several Content-Security-Policies (see CSP_CASES). Prints PASS or FAIL; exits 1 on failure.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildBrowser } from '../../scripts/build-browser.mjs'
import { launchChromium, serve } from '../../scripts/serve.mjs'
import { NO_GPUJS_ROUTES, noGpujsChecks } from './no-gpujs.mjs'
import { webChecks } from './web-checks.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TIMEOUT_MS = 240_000

/**
 * Content-Security-Policies the bundle is loaded under (a <meta> tag; script-src is honoured
 * there as in a header). With 'unsafe-eval' everything must run, optimizer states on the SIMD
 * tier: CSP Level 3 lets 'unsafe-eval' compile WebAssembly too. Without it nothing may compile
 * code, so the bundle must still load and give the same numbers: optimizer steps (same bits) on
 * the CPU backend's interpreter, tensor ops on src/nd.ts's plain loops (a matmul without
 * WebAssembly runs the JavaScript kernel, so gradients agree to 1e-5, not bit for bit).
 */
const CSP_CASES = [
  { name: 'no CSP', policy: null, expect: 'simd' },
  { name: "script-src 'self' 'unsafe-eval'", policy: "script-src 'self' 'unsafe-eval'", expect: 'simd' },
  { name: "script-src 'self' 'wasm-unsafe-eval'", policy: "script-src 'self' 'wasm-unsafe-eval'", expect: 'no-eval' },
  { name: "script-src 'self'", policy: "script-src 'self'", expect: 'no-eval' },
]

const cspPage = (policy) =>
  `<!doctype html><meta charset="utf-8">${policy ? `<meta http-equiv="Content-Security-Policy" content="${policy}">` : ''}<script type="module" src="/test/browser/csp.mjs"></script>`

/** Opens each CSP case; returns [ok, line] per case. */
async function cspChecks(browser, url) {
  const results = []
  let baseline = null
  for (const [k, c] of CSP_CASES.entries()) {
    const page = await browser.newPage()
    try {
      await page.goto(`${url}/csp/${k}.html`)
      await page.waitForFunction(() => window.__csp !== undefined, null, { timeout: 60_000 })
      const r = await page.evaluate(() => window.__csp)
      const same =
        baseline !== null &&
        r.x !== undefined &&
        r.x.length === baseline.x.length &&
        r.x.every((v, i) => Object.is(v, baseline.x[i])) &&
        r.g.length === baseline.g.length &&
        r.g.every((v, i) => Math.abs(v - baseline.g[i]) <= 1e-5 * Math.abs(baseline.g[i]) + 1e-6)
      if (c.policy === null && r.tier === 'simd') baseline = r
      let ok, what
      if (c.expect === 'simd') {
        ok = r.loaded && r.tier === 'simd' && (c.policy === null || same)
        what = r.loaded
          ? `loaded; 3 Adam steps ran on the CPU tier '${r.tier}'${c.policy === null ? '' : same ? ', same numbers as without a CSP' : ', DIFFERENT numbers from the page without a CSP'}`
          : `did not load: ${r.error}`
      } else {
        // It must load and run on the interpreter with the same numbers.
        ok = r.loaded && r.tier === 'interpreter' && same
        what = r.loaded
          ? `loaded; ran the CPU tier '${r.tier}'${same ? ', same numbers as without a CSP' : ', DIFFERENT numbers'}`
          : `the bundle does not load: ${r.error}`
      }
      results.push([ok, `CSP ${c.name}: ${what}`])
    } catch (e) {
      results.push([false, `CSP ${c.name}: ${e.message.split('\n')[0]}`])
    } finally {
      await page.close()
    }
  }
  return results
}

async function main() {
  await buildBrowser({ log: true })
  const cspRoutes = Object.fromEntries(CSP_CASES.map((c, k) => [`/csp/${k}.html`, { body: cspPage(c.policy) }]))
  const server = await serve({
    ...cspRoutes,
    ...NO_GPUJS_ROUTES,
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
    page.on('pageerror', (e) => {
      broken ??= `page error: ${e.message}`
    })
    page.on('response', (r) => {
      if (r.status() >= 400) broken ??= `${r.status()} for ${r.url()}`
    })
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.log(`page ${m.type()}: ${m.text()}`)
    })
    await page.goto(`${server.url}/index.html`)
    const started = Date.now()
    while (!(await page.evaluate(() => window.__result !== undefined))) {
      if (broken) throw new Error(broken)
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`no result after ${TIMEOUT_MS / 1000} s`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const result = await page.evaluate(() => window.__result)
    for (const line of result.lines) console.log(line)
    let pass = result.pass
    for (const [ok, line] of [
      ...(await cspChecks(browser, server.url)),
      ...(await noGpujsChecks(browser, server.url)),
    ]) {
      if (!ok) pass = false
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`)
    }
    // The demo site (examples/web): frame times while training, the DQN page (web-checks.mjs).
    for (const [ok, line] of await webChecks()) {
      if (!ok) pass = false
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`)
    }
    return pass
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
