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
// 3. teach.html: stepping the tape backward one entry at a time (tapeOf(f).backwardSteps()) ends
//    with backward()'s gradients — in float64, to 1e-12 relative: backward() runs some ops'
//    first-order rules as fused loops (fastBackward), which round differently in the last bits
//    than the differentiable rules the stepper runs — through the API and the page's buttons; the
//    tape is drawn; a bad expression is refused; in the optimizer race Adam's move is
//    −stepSize·m̂/√v̂ as the page draws it.
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

const fmt = (r) =>
  `${r.label}: ${r.steps} steps at ${r.stepsPerSecond.toFixed(0)}/s, ${r.frames} frames, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`

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
    results.push([
      sameLoss,
      `MNIST MLP, ${FRAME_STEPS} steps: the worker and the main thread reach the same loss (${by.worker.loss} / ${by.main.loss} / ${by.budget.loss})`,
    ])
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
    const { page, wait } = await open(
      browser,
      url,
      `/catch.html?seed=0&speed=${CATCH_SPEED}`,
      '__catch',
      CATCH_TIMEOUT_MS,
      context,
    )
    const t0 = Date.now()
    await wait(() => window.__catch.error !== null || window.__catch.rewards.length >= 500, null, '500 balls')
    const s = await page.evaluate(() => ({ ...window.__catch, frameMs: window.__catch.frameMs.slice() }))
    if (s.error) return [[false, `catch.html: ${s.error}`]]
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
    const learned = mean(s.rewards.slice(400, 500))
    const sorted = s.frameMs.slice().sort((a, b) => a - b)
    results.push([
      learned > s.randomMean + 0.5,
      `Catch (seed 0, ${CATCH_SPEED} moves per frame, learner in the worker): mean reward of balls 401–500 ${learned.toFixed(2)}, first 100 ${mean(s.rewards.slice(0, 100)).toFixed(2)}, random policy ${s.randomMean.toFixed(2)} (must be > random + 0.5); ${((Date.now() - t0) / 1000).toFixed(0)} s, frame p50 ${sorted[sorted.length >> 1]?.toFixed(1)} ms while learning`,
    ])
    // Save: the button downloads the whole agent.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')])
    const file = await download.path()
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    const okFile = saved.format === 'tapegrad.dqn' && saved.learner.replay.size > 0 && saved.actor.steps > 0
    results.push([
      okFile,
      `save agent: downloaded ${download.suggestedFilename()} (${(readFileSync(file).length / 1024).toFixed(0)} KB): format ${saved.format}, ${saved.actor.steps} moves, ε ${saved.actor.epsilon}, ${saved.learner.replay.size} transitions in the replay buffer, ${saved.learner.updates} gradient steps`,
    ])
    await page.close()
    // Load it into a fresh page: the agent plays well from the first ball.
    const fresh = await open(
      browser,
      url,
      `/catch.html?seed=1&speed=${CATCH_SPEED}`,
      '__catch',
      CATCH_TIMEOUT_MS,
      context,
    )
    await fresh.wait(() => window.__catch.ready, null, 'the agent')
    await fresh.page.setInputFiles('#load', file)
    await fresh.wait(
      () => window.__catch.error !== null || window.__catch.loadError !== null || window.__catch.loads === 1,
      null,
      'the load',
    )
    const loadError = await fresh.page.evaluate(() => window.__catch.loadError)
    if (loadError) throw new Error(`load agent: ${loadError}`)
    await fresh.wait(
      () => window.__catch.error !== null || window.__catch.rewards.length >= 100,
      null,
      '100 balls after the load',
    )
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

/** Expressions whose stepped gradients must equal backward()'s: fan-out, constants, every function. */
const TEACH_EXPRESSIONS = [
  'tanh(x*y + b)',
  'x*x + x',
  'exp(-x^2) * sin(y) / (1 + b^2)',
  'sigmoid(a*x + b) - relu(x - y)^2 + max(x, y) * min(a, 3)',
  'sqrt(log(1 + x^2)) * cos(x*y) + abs(y) - square(b)',
  '(x - 2)^3 / 7 + x^y',
]

async function teachCheck(browser, url) {
  const results = []
  const { page, broken } = await open(browser, url, '/teach.html', '__teach', 60_000)
  try {
    // 1. The stepping API against backward(), on several expressions.
    for (const expr of TEACH_EXPRESSIONS) {
      const r = await page.evaluate((e) => window.__teach.check(e, { x: 0.7, y: 1.3, b: -0.4, a: 1.5 }), expr)
      const show = (g) =>
        Object.entries(g)
          .map(([n, v]) => `${n} ${Number(v).toPrecision(6)}`)
          .join(', ')
      const how = r.bitForBit
        ? 'bit for bit'
        : `to ${r.difference.toExponential(1)} (fused first-order rules in backward())`
      results.push([
        r.agree && r.steps === r.entries,
        `teach: f = ${expr}: ${r.steps} backward steps over ${r.entries} tape entries; the stepped gradients ${r.agree ? `equal backward()'s ${how}` : `DIFFER from backward()'s by ${r.difference.toExponential(1)}`} (${show(r.stepped)})`,
      ])
    }
    // 2. The same through the page: type, record, click "step backward" until done, read the table.
    await page.fill('#expr', 'tanh(x*y + b) * x')
    await page.dispatchEvent('#expr', 'input')
    await page.fill('#var-x', '0.3')
    await page.click('#build')
    let clicks = 0
    while (!(await page.textContent('#message')).startsWith('done') && clicks < 50) {
      await page.click('#step')
      clicks++
    }
    const rows = await page.$$eval('#values tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.children, (td) => td.textContent)),
    )
    const leaves = rows.filter((r) => r[3] !== '')
    const message = await page.textContent('#message')
    const tableOk =
      leaves.length === 3 &&
      leaves.every((r) => r[2] === r[3]) &&
      /^done: every gradient equals what f\.backward\(\) gives/.test(message)
    results.push([
      tableOk,
      `teach page: 'tanh(x*y + b) * x' stepped with the button (${clicks} clicks): ${leaves.map((r) => `∂f/∂${r[0]} ${r[2]} (backward ${r[3]})`).join(', ')}; "${message}"`,
    ])
    const svg = await page.$eval('#graph', (g) => g.innerHTML)
    results.push([
      /<svg/.test(svg) && svg.includes('#1 mul') && svg.includes('tanh'),
      `teach page: the tape is drawn by Graphviz (${(svg.length / 1024).toFixed(1)} KB of SVG)`,
    ])
    // 3. A bad expression is refused with where and what.
    await page.fill('#expr', 'tanh(x*')
    await page.click('#build')
    const error = await page.textContent('#message')
    results.push([
      /^at 8: expected a number, a variable, a function or '\(', found the end$/.test(error),
      `teach page: a bad expression is refused: "${error}"`,
    ])
    // 4. The race: Adam's move is −stepSize · m̂/√v̂, and the optimizers go downhill.
    const race = await page.evaluate(() => {
      const r = window.__teach.race
      r.pause()
      r.reset()
      r.advance(400)
      return { adam: r.adam(), positions: r.positions() }
    })
    const a = race.adam
    const rel = Math.max(
      ...[0, 1].map((i) => Math.abs(a.move[i] + a.stepSize * a.ratio[i]) / Math.max(1e-12, Math.abs(a.move[i]))),
    )
    const start = (1 + 1.2) ** 2 + 100 * (1 - 1.44) ** 2
    const downhill = race.positions.every((p) => Number.isFinite(p.f) && p.f < start)
    results.push([
      rel < 1e-4 && downhill,
      `teach page race, 400 steps: Adam's move = −stepSize·m̂/√v̂ (max rel. difference ${rel.toExponential(1)}); f from ${start.toFixed(2)} to ${race.positions.map((p) => `${p.name} ${p.f.toExponential(2)}`).join(', ')}`,
    ])
    if (broken()) results.push([false, `teach page: ${broken()}`])
  } finally {
    await page.close()
  }
  return results
}

const CHECKS = { frames: framesCheck, catch: catchCheck, teach: teachCheck }

/**
 * Builds and serves the demo site, runs the checks (all, or those named in `only`: 'frames',
 * 'catch', 'teach') in a GPU-less Chromium; returns [ok, line] pairs.
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
