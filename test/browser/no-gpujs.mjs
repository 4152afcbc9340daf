// The Node half of the no-gpu.js check of `npm run test:browser`: a page that does not load
// gpu-browser.js, so the bundle's import('gpu.js') fails in Chromium as it does in an app whose
// bundler left gpu.js out (an optional peer dependency that is not installed).
// setBackend('gpujs') must reject with the install hint and change nothing; setBackend('auto')
// must keep the CPU backend and say why; an Adam step still runs. The same steps as the Node
// check in test/install.test.ts: there Node's resolver fails, here Chromium's.

const PAGE = `<!doctype html><meta charset="utf-8"><title>tapegrad without gpu.js</title>
<script type="module">
const out = {}
try {
  const { setBackend, getBackend, lastCpuTier } = await import('/dist/browser/backends.js')
  const { Tensor } = await import('/dist/browser/tapegrad.js')
  const { adam } = await import('/dist/browser/optimizers.js')
  // (Chromium has a global GPU of its own: WebGPU's interface, without createKernel.)
  out.hasGpujsGlobal = typeof window.GPU?.prototype?.createKernel === 'function'
  try {
    await setBackend('gpujs')
    out.gpujs = 'resolved'
  } catch (e) {
    out.gpujs = e.message
    out.code = e.code
  }
  out.afterGpujs = getBackend()
  out.auto = await setBackend('auto')
  const opt = adam(0.1)
  let state = opt.init({ w: new Tensor(new Float32Array([1, -1]), [2]) })
  state = opt.update(0, { w: new Tensor(new Float32Array([2, -3]), [2]) }, state)
  out.w = Array.from(opt.getParams(state).w.data)
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e)
}
window.__noGpujs = out
</script>`

/** Routes to add to the test server. */
export const NO_GPUJS_ROUTES = { '/no-gpujs.html': { body: PAGE } }

/** Opens the page; returns [ok, line] per check. */
export async function noGpujsChecks(browser, url) {
  const page = await browser.newPage()
  try {
    await page.goto(`${url}/no-gpujs.html`)
    await page.waitForFunction(() => window.__noGpujs !== undefined, null, { timeout: 60_000 })
    const r = await page.evaluate(() => window.__noGpujs)
    if (r.error) return [[false, `without gpu.js: the page failed: ${r.error}`]]
    const hint = /gpu\.js is not installed\. gpu\.js is an optional peer dependency of tapegrad: install it with `npm/
    const rejected =
      !r.hasGpujsGlobal &&
      r.code === 'ERR_TAPEGRAD_GPUJS_MISSING' &&
      hint.test(r.gpujs) &&
      /Failed to resolve module specifier/.test(r.gpujs)
    return [
      [rejected, `without gpu.js: setBackend('gpujs') rejects with the install hint (${r.gpujs})`],
      [
        r.afterGpujs.name === 'cpu',
        `without gpu.js: after the rejected setBackend('gpujs') the backend is still ${r.afterGpujs.name}`,
      ],
      [
        r.auto.name === 'cpu' && /^gpu\.js is not installed, so the CPU backend runs everything/.test(r.auto.reason),
        `without gpu.js: setBackend('auto') runs on ${r.auto.name}: ${r.auto.reason}`,
      ],
      [
        r.w.map((v) => Math.round(v * 1e6) / 1e6).join() === '0.9,-0.9',
        `without gpu.js: an Adam step runs (${r.w.join(', ')})`,
      ],
    ]
  } catch (e) {
    return [[false, `without gpu.js: ${e.message.split('\n')[0]}`]]
  } finally {
    await page.close()
  }
}
