// The checks of the demo site (examples/web/, scripts/demo.mjs) in headless Chromium, run by
// `npm run test:browser` after its own checks (test/browser/run.mjs calls webChecks):
//
// 1. worker.html: while the 784-128-10 MNIST MLP trains 300 steps, a requestAnimationFrame loop
//    keeps its frame times when training runs in a worker (startTraining with `worker`), and
//    loses them when the same loop runs on the main thread (without it). Checked relatively:
//    the worker run's p99 frame time must be under a third of the main-thread run's; one retry
//    on a miss, since the machine may be busy. Both runs must reach the same loss, bit for bit.
// 2. catch.html?seed=0&speed=60: the DQN learns Catch with its learner in the worker; the mean
//    reward of balls 401–500 must be clearly above a random policy's (by 0.5; the run is the
//    same on every machine, see catch.ts). Then the agent is saved (download), a fresh page
//    loads the file, and the loaded agent plays as well at once.
//
// The pages run in a Chromium of their own, without a GPU (CHROMIUM_ARGS_NO_GPU): they need no
// WebGL, and SwiftShader's emulated compositing would dominate the frame times being measured.
// Returns [ok, line] pairs; never throws for a failed check (a broken page is a failed check).
import { readFileSync } from 'node:fs'
import { buildWeb, serveWeb } from '../../scripts/demo.mjs'
import { CHROMIUM_ARGS_NO_GPU, launchChromium } from '../../scripts/serve.mjs'

const FRAME_STEPS = 300
const CATCH_SPEED = 60
const CATCH_TIMEOUT_MS = 240_000

/** Opens `path` and waits for window[key]; fails on a page error or a failed request. */
async function open(browser, url, path, key, timeoutMs, context = null) {
  const page = await (context ?? browser).newPage()
  let broken = null
  page.on('pageerror', (e) => (broken ??= `page error: ${e.message}`))
  page.on('response', (r) => {
    if (r.status() >= 400) broken ??= `${r.status()} for ${r.url()}`
  })
  await page.goto(`${url}${path}`)
  const started = Date.now()
  const wait = async (fn, arg, what) => {
    while (!(await page.evaluate(fn, arg))) {
      if (broken) throw new Error(broken)
      if (Date.now() - started > timeoutMs) throw new Error(`${path}: ${what} not reached after ${timeoutMs / 1000} s`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  if (key) await wait((k) => window[k] !== undefined, key, `window.${key}`)
  return { page, wait, broken: () => broken }
}

const fmt = (r) => `${r.label}: ${r.steps} steps at ${r.stepsPerSecond.toFixed(0)}/s, ${r.frames} frames, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`

async function framesCheck(browser, url) {
  const results = []
  for (let attempt = 1; attempt <= 2; attempt++) {
    const { page } = await open(browser, url, `/worker.html?auto&steps=${FRAME_STEPS}`, '__frames', 300_000)
    const r = await page.evaluate(() => window.__frames)
    await page.close()
    if (r.error) return [[false, `worker.html: ${r.error}`]]
    const by = Object.fromEntries(r.rows.map((row) => [row.mode, row]))
    const lines = r.rows.map((row) => `     frame times, training ${fmt(row)}`)
    const ok = by.worker.p99 < by.main.p99 / 3
    const sameLoss = by.worker.loss !== null && by.worker.loss === by.main.loss && by.main.loss === by.budget.loss
    results.push(...lines.map((l) => [true, l]))
    results.push([sameLoss, `MNIST MLP, ${FRAME_STEPS} steps: the worker and the main thread reach the same loss (${by.worker.loss} / ${by.main.loss} / ${by.budget.loss})`])
    const verdict = `frame times while training (attempt ${attempt}): p99 ${by.worker.p99.toFixed(1)} ms with the worker vs ${by.main.p99.toFixed(1)} ms on the main thread (must be < 1/3)`
    if (ok || attempt === 2) {
      results.push([ok, verdict])
      return results
    }
    results.push([true, `${verdict}: missed, measuring again`])
  }
  return results
}

async function catchCheck(browser, url) {
  const results = []
  const context = await browser.newContext({ acceptDownloads: true })
  try {
    const { page, wait } = await open(browser, url, `/catch.html?seed=0&speed=${CATCH_SPEED}`, '__catch', CATCH_TIMEOUT_MS, context)
    const t0 = Date.now()
    await wait(() => window.__catch.error !== null || window.__catch.rewards.length >= 500, null, '500 balls')
    const s = await page.evaluate(() => ({ ...window.__catch, frameMs: window.__catch.frameMs.slice() }))
    if (s.error) return [[false, `catch.html: ${s.error}`]]
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
    const learned = mean(s.rewards.slice(400, 500))
    const sorted = s.frameMs.slice().sort((a, b) => a - b)
    results.push([learned > s.randomMean + 0.5, `Catch (seed 0, ${CATCH_SPEED} moves per frame, learner in the worker): mean reward of balls 401–500 ${learned.toFixed(2)}, first 100 ${mean(s.rewards.slice(0, 100)).toFixed(2)}, random policy ${s.randomMean.toFixed(2)} (must be > random + 0.5); ${((Date.now() - t0) / 1000).toFixed(0)} s, frame p50 ${sorted[sorted.length >> 1]?.toFixed(1)} ms while learning`])
    // Save: the button downloads the whole agent.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')])
    const file = await download.path()
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    const okFile = saved.format === 'tapegrad.dqn' && saved.learner.replay.size > 0 && saved.actor.steps > 0
    results.push([okFile, `save agent: downloaded ${download.suggestedFilename()} (${(readFileSync(file).length / 1024).toFixed(0)} KB): format ${saved.format}, ${saved.actor.steps} moves, ε ${saved.actor.epsilon}, ${saved.learner.replay.size} transitions in the replay buffer, ${saved.learner.updates} gradient steps`])
    await page.close()
    // Load it into a fresh page: the agent plays well from the first ball.
    const fresh = await open(browser, url, `/catch.html?seed=1&speed=${CATCH_SPEED}`, '__catch', CATCH_TIMEOUT_MS, context)
    await fresh.wait(() => window.__catch.ready, null, 'the agent')
    await fresh.page.setInputFiles('#load', file)
    await fresh.wait(() => window.__catch.error !== null || window.__catch.loadError !== null || window.__catch.loads === 1, null, 'the load')
    const loadError = await fresh.page.evaluate(() => window.__catch.loadError)
    if (loadError) throw new Error(`load agent: ${loadError}`)
    await fresh.wait(() => window.__catch.error !== null || window.__catch.rewards.length >= 100, null, '100 balls after the load')
    const after = await fresh.page.evaluate(() => ({ ...window.__catch }))
    const played = mean(after.rewards.slice(0, 100))
    results.push([
      after.error === null && played > after.randomMean + 0.5,
      `load agent: a fresh page (seed 1) loaded the file and its first 100 balls average ${played.toFixed(2)} (random policy ${after.randomMean.toFixed(2)}; must be > random + 0.5)${after.error ? `; error: ${after.error}` : ''}`,
    ])
    await fresh.page.close()
  } catch (e) {
    results.push([false, `catch.html: ${e.message.split('\n')[0]}`])
  } finally {
    await context.close()
  }
  return results
}

const CHECKS = { frames: framesCheck, catch: catchCheck }

/**
 * Builds and serves the demo site, runs the checks (all, or those named in `only`: 'frames',
 * 'catch') in a GPU-less Chromium; returns [ok, line] pairs.
 */
export async function webChecks({ only = Object.keys(CHECKS) } = {}) {
  await buildWeb()
  const server = await serveWeb()
  const browser = await launchChromium({ args: CHROMIUM_ARGS_NO_GPU })
  try {
    const results = []
    for (const check of only.map((name) => CHECKS[name])) {
      try {
        results.push(...(await check(browser, server.url)))
      } catch (e) {
        results.push([false, `${check.name}: ${e.message.split('\n')[0]}`])
      }
    }
    return results
  } finally {
    await browser.close()
    await server.close()
  }
}
