#!/usr/bin/env node
// Takes the demo site's screenshots for the docs, with the same headless Chromium as the tests:
//   docs/catch.png   the Catch page after the agent has learned (seed 0, 500 balls at 60× speed,
//                    then back to live speed for the picture)
//   docs/teach.png   the teaching page, two entries into stepping tanh(x·y + b) backward, and the
//                    optimizer race after 600 steps
// Usage: npm run demo:screenshots
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildWeb, serveWeb } from './demo.mjs'
import { CHROMIUM_ARGS_NO_GPU, launchChromium } from './serve.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function waitFor(page, fn, timeoutMs, what) {
  const started = Date.now()
  while (!(await page.evaluate(fn))) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not reached after ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Screenshot of everything in the page's <body>, with a margin. */
async function shoot(page, file) {
  const box = await page.evaluate(() => {
    const r = document.body.getBoundingClientRect()
    return { x: Math.max(0, r.x - 16), y: 0, width: r.width + 32, height: r.bottom + 16 }
  })
  await page.screenshot({ path: file, clip: box, fullPage: true })
  console.log(`wrote ${file.slice(root.length + 1)} (${Math.round(box.width)}×${Math.round(box.height)})`)
}

await buildWeb()
const server = await serveWeb()
const browser = await launchChromium({ args: CHROMIUM_ARGS_NO_GPU })
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } })
  await page.goto(`${server.url}/catch.html?seed=0&speed=60`)
  await waitFor(
    page,
    () => window.__catch && (window.__catch.error !== null || window.__catch.rewards.length >= 500),
    300_000,
    '500 balls',
  )
  await page.selectOption('#speed', '1')
  await new Promise((r) => setTimeout(r, 2500))
  await shoot(page, join(root, 'docs', 'catch.png'))
  await page.close()
  const teach = await browser.newPage({ viewport: { width: 1100, height: 900 } })
  await teach.goto(`${server.url}/teach.html?steps=2`)
  await waitFor(teach, () => window.__teach && window.__teach.ready, 60_000, 'the teaching page')
  await teach.evaluate(async () => {
    const r = window.__teach.race
    r.pause()
    r.reset()
    r.advance(600)
    await window.__teach.drawn()
  })
  await new Promise((r) => setTimeout(r, 500))
  await shoot(teach, join(root, 'docs', 'teach.png'))
} finally {
  await browser.close()
  await server.close()
}
