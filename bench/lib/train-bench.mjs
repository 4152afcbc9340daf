// What workloads E and F share: checking a contender's train steps against a float64 trainer, and
// timing train steps one by one.
import { now, msSince, summary, sig, kernelUsage, log } from './common.mjs';

/**
 * Compare the losses a contender returned for its first steps with the float64 trainer's.
 * ok when every |loss − ref| ≤ relTol · max(1, |ref|).
 */
export function checkLosses(got, ref, relTol) {
  let worst = 0;
  for (let s = 0; s < ref.length; s++) {
    const e = Math.abs(got[s] - ref[s]) / Math.max(1, Math.abs(ref[s]));
    worst = Number.isNaN(e) || Number.isNaN(worst) ? NaN : Math.max(worst, e);
  }
  return {
    ok: got.length === ref.length && worst <= relTol,
    worstRelErr: sig(worst, 3),
    losses: got.map((x) => sig(x, 7)),
    refLosses: ref.map((x) => sig(x, 7)),
  };
}

/** Log the outcome of the checks on stderr (the child's progress). */
export function logChecks(lossCheck, paramCheck) {
  const ok = (c) => (c.ok ? 'ok' : 'WRONG');
  log(
    `  check: losses ${ok(lossCheck)} (worst rel ${lossCheck.worstRelErr}), ` +
      `params ${ok(paramCheck)} (max ${paramCheck.maxAbsErr}, ${paramCheck.loose} loose)`,
  );
}

/**
 * Compare the parameters after the checked steps with the float64 trainer's, array by array.
 * A component whose gradient was tiny next to the rest of its array (ref.minRelGrad < gradFloor)
 * may legitimately have taken an Adam step of the other sign in float32 (Adam moves it by ≈ ±lr
 * whatever its size), so those components are held to `looseTol` (2·lr·steps: no step moves a
 * parameter further early in training) and counted; every other one must be within `tol`.
 */
export function checkParams(got, ref, { tol, looseTol, gradFloor }) {
  const out = { ok: true, maxAbsErr: 0, loose: 0, maxLooseErr: 0, perArray: {} };
  for (const k of Object.keys(ref.params)) {
    const r = ref.params[k];
    const g = got?.[k];
    if (!g || g.length !== r.length) {
      out.ok = false;
      out.perArray[k] = `missing or wrong length (${g ? g.length : 'none'} ≠ ${r.length})`;
      continue;
    }
    let maxErr = 0;
    let loose = 0;
    let maxLoose = 0;
    for (let i = 0; i < r.length; i++) {
      const e = Math.abs(g[i] - r[i]);
      if (ref.minRelGrad[k][i] < gradFloor) {
        loose++;
        if (!(e <= maxLoose)) maxLoose = Number.isNaN(e) ? NaN : Math.max(maxLoose, e);
      } else if (!(e <= maxErr)) maxErr = Number.isNaN(e) ? NaN : Math.max(maxErr, e);
    }
    const ok = maxErr <= tol && maxLoose <= looseTol;
    out.ok &&= ok;
    out.maxAbsErr = Number.isNaN(maxErr) ? NaN : Math.max(out.maxAbsErr, maxErr);
    out.maxLooseErr = Number.isNaN(maxLoose) ? NaN : Math.max(out.maxLooseErr, maxLoose);
    out.loose += loose;
    out.perArray[k] = { maxAbsErr: sig(maxErr, 3), loose, maxLooseErr: sig(maxLoose, 3), ok };
  }
  out.maxAbsErr = sig(out.maxAbsErr, 3);
  out.maxLooseErr = sig(out.maxLooseErr, 3);
  return out;
}

/**
 * Time `step(k)` (k = 0, 1, 2, …: the k-th call) one call at a time. The caller's checked steps
 * were the first warm-up; more warm-up calls follow while each is expected to end within
 * `warmupMs` (judged by the previous call, starting from `lastStepMs`, the last checked step), so
 * a 50 ms step gets ~20 of them and a 30 s step none. Then timed calls until at least `minSteps`
 * and `minMs` (at most `maxSteps`). Each call is awaited when it returns a promise. Returns the
 * per-step summary in ms, and the kernel-side cost (page faults, sys time) of the timed region.
 */
export async function timeSteps(step, { warmupMs, minSteps, minMs, maxSteps }, lastStepMs) {
  let k = 0;
  const tw = now();
  let prev = lastStepMs;
  while (msSince(tw) + prev <= warmupMs) {
    const ts = now();
    await step(k++);
    prev = msSince(ts);
  }
  if (global.gc) global.gc();
  const ru0 = process.resourceUsage();
  const t0 = now();
  const ms = [];
  while (ms.length < maxSteps && (ms.length < minSteps || msSince(t0) < minMs)) {
    const ts = now();
    await step(k++);
    ms.push(msSince(ts));
  }
  const wall = msSince(t0);
  const s = summary(ms);
  return {
    msPerStep: sig(s.median),
    p10p90: [sig(s.p10), sig(s.p90)],
    minMs: sig(s.min),
    timedSteps: ms.length,
    warmupSteps: k - ms.length,
    kernel: kernelUsage(ru0, process.resourceUsage(), wall, ms.length),
  };
}

/** An error thrown because a backend lacks a kernel (tfjs: "Kernel 'X' not registered for backend 'y'"). */
export const isMissingKernel = (e) => /not registered for backend/i.test(String(e?.message ?? e));

/** Rounds of E/F: keep the one with the lowest step time; all rounds' step times stay visible. */
export function mergeSteps(list) {
  const timed = list.filter((r) => r.msPerStep != null);
  if (!timed.length) return { ...list[0], roundsMerged: list.length };
  const best = timed.reduce((a, b) => (b.msPerStep < a.msPerStep ? b : a));
  return {
    ...best,
    roundsMsPerStep: timed.map((r) => r.msPerStep),
    verified: list.every((r) => r.verified !== false) ? best.verified : false,
    probe: list.map((r) => r.probe),
    roundsMerged: list.length,
  };
}
