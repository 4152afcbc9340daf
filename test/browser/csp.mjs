// The in-page half of the Content-Security-Policy check of `npm run test:browser`: run.mjs opens
// this module from pages whose <meta http-equiv="Content-Security-Policy"> differs, and reads
// window.__csp = { loaded, tier, x, error }: whether the bundle loaded, which CPU tier ran three
// Adam steps on 1000 parameters (an optimizer state: its arrays share one WebAssembly memory),
// and the resulting parameters (the same bits in every tier), and `g`, a gradient computed
// through elementwise ops, a reduction and a matmul (src/nd.ts compiles their loops; without
// WebAssembly the matmul runs on the JavaScript kernel, which rounds differently).
const out = { loaded: false }
try {
  const { Tensor, grad } = await import('/dist/browser/tapegrad.js')
  const { adam } = await import('/dist/browser/optimizers.js')
  const { lastCpuTier } = await import('/dist/browser/backends.js')
  out.loaded = true
  const n = 1000
  const x = new Float32Array(n).map((_, i) => Math.sin(0.7 * i))
  const opt = adam(1e-2)
  let state = opt.init({ w: new Tensor(x, [n]) })
  for (let i = 0; i < 3; i++)
    state = opt.update(
      i,
      {
        w: new Tensor(
          new Float32Array(n).map((_, j) => Math.cos(0.37 * j + i)),
          [n],
        ),
      },
      state,
    )
  out.tier = lastCpuTier()
  const w = opt.getParams(state).w
  const g = grad((v) =>
    v
      .reshape([10, 100])
      .tanh()
      .matmul(v.reshape([100, 10]).exp())
      .sum(),
  )(w)
  out.x = Array.from(w.data)
  out.g = Array.from(g.data)
} catch (e) {
  out.error = `${e && e.name ? e.name : 'Error'}: ${String(e && e.message ? e.message : e).split('\n')[0]}`
}
window.__csp = out
