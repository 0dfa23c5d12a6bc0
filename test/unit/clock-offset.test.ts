/**
 * Clock offset estimation (metrics/clock-offset.ts) on synthetic samples whose truth is known:
 * every estimate must contain the true offset within its stated bound — with jitter, asymmetric
 * paths, outliers, drift, a stepped reference — and the bound must be as tight as the best round
 * trip allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_DRIFT_PPM,
  LiveClock,
  REDIS_TIME_RESOLUTION_MS,
  SAME_HOST_CLOCK_ERROR_MS,
  agentClock,
  driftOf,
  estimateOffset,
  offsetAt,
  sameHostClock,
  type OffsetEstimate,
  type ReferenceSample,
} from '../../src/metrics/clock-offset.js';
import { seededRandom as random } from '../helpers/seeded-random.js';

/**
 * A host's monotonic clock against true time τ (which the reference shows, truncated to its
 * resolution): local(τ) = originMs + τ × (1 + ppm·10⁻⁶) — a positive ppm runs fast.
 */
interface SimClock {
  originMs: number;
  ppm: number;
}
const localAt = (c: SimClock, tau: number) => c.originMs + tau * (1 + c.ppm * 1e-6);
const tauAt = (c: SimClock, local: number) => (local - c.originMs) / (1 + c.ppm * 1e-6);
/** The true offset to the reference (reference − local) at a local instant. */
const trueOffset = (c: SimClock, local: number) => tauAt(c, local) - local;

interface Delays {
  /** Request's one-way delay (ms) of sample i. */
  request: (i: number, rnd: () => number) => number;
  /** Reply's one-way delay (ms). */
  reply: (i: number, rnd: () => number) => number;
  /** A step of the reference (ms) from sample `at` on (a wall clock set by hand). */
  step?: { at: number; ms: number };
}

/** n samples taken back to back from true time `startTau`; returns them and the τ after the last. */
function takeSamples(
  clock: SimClock,
  startTau: number,
  n: number,
  delays: Delays,
  seed = 1,
): { samples: ReferenceSample[]; endTau: number } {
  const rnd = random(seed);
  const samples: ReferenceSample[] = [];
  let tau = startTau;
  for (let i = 0; i < n; i++) {
    const q = delays.request(i, rnd);
    const r = delays.reply(i, rnd);
    const readTau = tau + q + (delays.step && i >= delays.step.at ? delays.step.ms : 0);
    samples.push({
      sentMs: localAt(clock, tau),
      referenceMs: Math.floor(readTau / REDIS_TIME_RESOLUTION_MS) * REDIS_TIME_RESOLUTION_MS,
      receivedMs: localAt(clock, tau + q + r),
    });
    tau += q + r + 0.005; // the sampler's own turn between two reads
  }
  return { samples, endTau: tau };
}

const constant = (ms: number) => () => ms;
const uniform = (lo: number, hi: number) => (_: number, rnd: () => number) => lo + (hi - lo) * rnd();

function assertContains(estimate: { offsetMs: number; errorBoundMs: number }, truth: number, what: string) {
  const error = Math.abs(estimate.offsetMs - truth);
  assert.ok(
    error <= estimate.errorBoundMs + 1e-9,
    `${what}: true offset ${truth} is ${error} ms from the estimate ${estimate.offsetMs}, outside its bound ±${estimate.errorBoundMs}`,
  );
}

const windowCases: {
  name: string;
  clock: SimClock;
  n: number;
  delays: Delays;
  /** The bound must not exceed this (ms). */
  maxBoundMs: number;
  /** The estimate must be at least this far off (a case that shows a known bias the bound covers). */
  minErrorMs?: number;
  consistent?: boolean;
}[] = [
  {
    name: 'symmetric constant path: half the round trip plus half the resolution',
    clock: { originMs: 5_000, ppm: 0 },
    n: 20,
    delays: { request: constant(0.05), reply: constant(0.05) },
    maxBoundMs: (0.1 + REDIS_TIME_RESOLUTION_MS) / 2 + 1e-9,
  },
  {
    name: 'negative offset (local clock ahead of the reference)',
    clock: { originMs: 86_400_000, ppm: 0 },
    n: 20,
    delays: { request: constant(0.2), reply: constant(0.2) },
    maxBoundMs: 0.2006,
  },
  {
    name: 'jitter: the lowest round trips decide',
    clock: { originMs: -123_456.789, ppm: 0 },
    n: 200,
    delays: { request: uniform(0.03, 0.5), reply: uniform(0.03, 0.5) },
    maxBoundMs: 0.12,
  },
  {
    name: 'asymmetric path (slow request, fast reply): biased, and the bound still covers it',
    clock: { originMs: 1_000, ppm: 0 },
    n: 50,
    delays: { request: constant(2), reply: constant(0.1) },
    maxBoundMs: 1.051,
    minErrorMs: 0.9,
  },
  {
    name: 'asymmetric jitter (only the request path is noisy)',
    clock: { originMs: 42, ppm: 0 },
    n: 300,
    delays: { request: uniform(0.05, 5), reply: constant(0.05) },
    maxBoundMs: 0.2,
  },
  {
    name: 'outliers: 90 % of round trips above 20 ms, the fast tenth kept',
    clock: { originMs: 777, ppm: 0 },
    n: 400,
    delays: { request: (i, rnd) => (i % 10 === 3 ? 0.04 + 0.02 * rnd() : 10 + 30 * rnd()), reply: constant(0.04) },
    maxBoundMs: 0.07,
  },
  {
    name: 'drift of 500 ppm within a long window (round trips up to 10 ms, 400 samples over ~2 s)',
    clock: { originMs: 10, ppm: 500 },
    n: 400,
    delays: { request: uniform(0.02, 5), reply: uniform(0.02, 5) },
    maxBoundMs: 0.5,
  },
  {
    name: 'a slow clock (−300 ppm) over a WAN (40 ms each way)',
    clock: { originMs: 3.5e9, ppm: -300 },
    n: 64,
    delays: { request: uniform(40, 45), reply: uniform(40, 45) },
    maxBoundMs: 45,
  },
  {
    name: 'the reference steps by 5 ms mid-window: inconsistent, bound widened to both halves',
    clock: { originMs: 0, ppm: 0 },
    n: 40,
    delays: { request: constant(0.05), reply: constant(0.05), step: { at: 20, ms: 5 } },
    maxBoundMs: 3,
    consistent: false,
  },
];

for (const c of windowCases) {
  test(`estimateOffset: ${c.name}`, () => {
    const { samples } = takeSamples(c.clock, 1_000_000, c.n, c.delays);
    const e = estimateOffset(samples, { keepFraction: c.consistent === false ? 1 : 0.1 });
    assert.ok(e);
    assert.equal(e.consistent, c.consistent ?? true, 'consistent');
    assert.equal(e.samplesTaken, c.n);
    if (c.consistent !== false) assertContains(e, trueOffset(c.clock, e.atMs), c.name);
    assert.ok(e.errorBoundMs <= c.maxBoundMs, `bound ${e.errorBoundMs} ≤ ${c.maxBoundMs}`);
    // (Subtractions of large clock readings carry ~10⁻⁸ ms of rounding.)
    assert.ok(
      e.errorBoundMs <= (e.bestRttMs + REDIS_TIME_RESOLUTION_MS) / 2 + 1e-7 || c.consistent === false,
      'no looser than the best sample',
    );
    if (c.minErrorMs !== undefined) assert.ok(Math.abs(e.offsetMs - trueOffset(c.clock, e.atMs)) >= c.minErrorMs, 'the bias shows');
  });
}

test('estimateOffset: a stepped reference is flagged and its bound spans both sides of the step', () => {
  const clock = { originMs: 0, ppm: 0 };
  const { samples } = takeSamples(clock, 1_000_000, 40, { request: constant(0.05), reply: constant(0.05), step: { at: 20, ms: 5 } });
  const e = estimateOffset(samples, { keepFraction: 1 })!;
  assert.equal(e.consistent, false);
  // Before the step the offset is the true one; after it, 5 ms more: both inside the widened bound.
  assertContains(e, trueOffset(clock, e.atMs), 'before the step');
  assertContains(e, trueOffset(clock, e.atMs) + 5, 'after the step');
});

test('estimateOffset: invalid samples are dropped; none valid gives null', () => {
  const good: ReferenceSample = { sentMs: 10, referenceMs: 1010.05, receivedMs: 10.1 };
  const e = estimateOffset([{ sentMs: 5, referenceMs: 1, receivedMs: 4 }, { sentMs: Number.NaN, referenceMs: 1, receivedMs: 2 }, good])!;
  assert.equal(e.samplesTaken, 3);
  assert.equal(e.samplesUsed, 1);
  assert.ok(Math.abs(e.offsetMs - (1010.05 + 0.0005 - 10.05)) < 1e-9);
  assert.equal(estimateOffset([]), null);
  assert.equal(estimateOffset([{ sentMs: 5, referenceMs: 1, receivedMs: 4 }]), null);
});

test('estimateOffset: one sample gives [R − received, R + resolution − sent]', () => {
  const e = estimateOffset([{ sentMs: 100, referenceMs: 5000, receivedMs: 100.4 }])!;
  assert.ok(Math.abs(e.offsetMs - (5000 - 100.4 + 5000 + 0.001 - 100) / 2) < 1e-9);
  assert.ok(Math.abs(e.errorBoundMs - 0.2005) < 1e-9);
  assert.equal(e.atMs, 100.2);
  assert.ok(Math.abs(e.bestRttMs - 0.4) < 1e-9);
});

test('estimateOffset: keeping more samples never loosens the bound (intersection)', () => {
  const clock = { originMs: 9, ppm: 20 };
  const { samples } = takeSamples(clock, 1_000_000, 100, { request: uniform(0.05, 0.2), reply: uniform(0.05, 0.2) }, 7);
  const one = estimateOffset(samples, { keepFraction: 0.01 })!;
  const all = estimateOffset(samples, { keepFraction: 1 })!;
  assert.equal(one.samplesUsed, 1);
  assert.equal(all.samplesUsed, 100);
  assert.ok(all.errorBoundMs <= one.errorBoundMs);
  assertContains(all, trueOffset(clock, all.atMs), 'all samples');
});

/** Estimates every `everyMs` of true time over `spanMs`, each from a window of samples. */
function estimatesOver(clock: SimClock, spanMs: number, everyMs: number, delays: Delays, seed = 3): OffsetEstimate[] {
  const out: OffsetEstimate[] = [];
  for (let tau = 1_000_000, i = 0; tau < 1_000_000 + spanMs; tau += everyMs, i++) {
    out.push(estimateOffset(takeSamples(clock, tau, 64, delays, seed + i).samples)!);
  }
  return out;
}

const driftCases: { name: string; clock: SimClock; spanMs: number; everyMs: number; delays: Delays; maxDriftBoundPpm: number }[] = [
  {
    name: 'fast clock, +50 ppm, loopback-like round trips, every 10 s for 5 min',
    clock: { originMs: 100, ppm: 50 },
    spanMs: 300_000,
    everyMs: 10_000,
    delays: { request: uniform(0.03, 0.2), reply: uniform(0.03, 0.2) },
    maxDriftBoundPpm: 1,
  },
  {
    name: 'slow clock, −120 ppm, LAN round trips',
    clock: { originMs: -5e6, ppm: -120 },
    spanMs: 120_000,
    everyMs: 10_000,
    delays: { request: uniform(0.2, 1), reply: uniform(0.2, 1) },
    maxDriftBoundPpm: 10,
  },
  {
    name: 'no drift, WAN round trips',
    clock: { originMs: 0, ppm: 0 },
    spanMs: 600_000,
    everyMs: 30_000,
    delays: { request: uniform(30, 60), reply: uniform(30, 60) },
    maxDriftBoundPpm: 150,
  },
];

for (const c of driftCases) {
  test(`drift: ${c.name}`, () => {
    const estimates = estimatesOver(c.clock, c.spanMs, c.everyMs, c.delays);
    const drift = driftOf(estimates);
    // reference − local shrinks when the local clock runs fast: d/dt = 1/(1 + r) − 1.
    const trueDriftPpm = (1 / (1 + c.clock.ppm * 1e-6) - 1) * 1e6;
    assert.ok(drift.consistent);
    assert.ok(
      Math.abs(drift.driftPpm - trueDriftPpm) <= drift.driftBoundPpm + 1e-9,
      `${drift.driftPpm} vs ${trueDriftPpm} ± ${drift.driftBoundPpm}`,
    );
    assert.ok(drift.driftBoundPpm <= c.maxDriftBoundPpm, `drift bound ${drift.driftBoundPpm} ≤ ${c.maxDriftBoundPpm}`);
    const first = estimates[0]!.atMs;
    const last = estimates.at(-1)!.atMs;
    // Inside the track, between two estimates, and one minute past the last one.
    for (const t of [first, (first + last) / 2 + 1234.5, last, last + 60_000]) {
      const at = offsetAt(estimates, t);
      assert.ok(at.consistent);
      assertContains(at, trueOffset(c.clock, t), `offsetAt(${t - first} ms after the first)`);
    }
    // Extrapolating loosens the bound; at the latest estimate it is no looser than that estimate's.
    assert.ok(offsetAt(estimates, last).errorBoundMs <= estimates.at(-1)!.errorBoundMs + 1e-9);
    assert.ok(offsetAt(estimates, last + 60_000).errorBoundMs >= offsetAt(estimates, last).errorBoundMs);
  });
}

test('drift: one estimate says nothing of the rate (0 ± the assumed limit), and its bound grows at that limit', () => {
  const clock = { originMs: 0, ppm: 0 };
  const e = estimateOffset(takeSamples(clock, 1_000_000, 64, { request: constant(0.05), reply: constant(0.05) }).samples)!;
  assert.deepEqual(driftOf([e]), { driftPpm: 0, driftBoundPpm: DEFAULT_MAX_DRIFT_PPM, consistent: true });
  const later = offsetAt([e], e.atMs + 10_000);
  assert.ok(Math.abs(later.errorBoundMs - (e.errorBoundMs + DEFAULT_MAX_DRIFT_PPM * 1e-6 * 10_000)) < 1e-9);
  assert.throws(() => offsetAt([], 0), RangeError);
});

test('drift: a reference that steps between estimates breaks the constant-rate model and says so', () => {
  const clock = { originMs: 0, ppm: 0 };
  const delays = { request: constant(0.05), reply: constant(0.05) };
  const before = estimatesOver(clock, 50_000, 10_000, delays);
  const stepped = { originMs: -50, ppm: 0 }; // the same local clock against a reference set 50 ms ahead
  const after = estimatesOver(stepped, 50_000, 10_000, delays).map((e) => ({ ...e, atMs: e.atMs + 60_000 }));
  const all = [...before, ...after];
  assert.equal(driftOf(all).consistent, false);
  assert.equal(offsetAt(all, all.at(-1)!.atMs).consistent, false);
});

test('agentClock: +250 ms injected on the agent is recovered within the sum of both bounds', () => {
  const coordinator: SimClock = { originMs: 2_000_000, ppm: 0 };
  const agent: SimClock = { originMs: 2_000_250, ppm: 0 };
  const delays = { request: uniform(0.03, 0.3), reply: uniform(0.03, 0.3) };
  const c = estimatesOver(coordinator, 30_000, 10_000, delays, 11);
  const a = estimatesOver(agent, 30_000, 10_000, delays, 21);
  const at = a.at(-1)!.atMs;
  const clock = agentClock(a, c, at);
  assert.equal(clock.mode, 'estimated');
  assert.ok(clock.consistent);
  assertContains(clock, 250, 'agent − coordinator');
  assert.ok(clock.errorBoundMs <= 0.4, `bound ${clock.errorBoundMs}`);
});

test('agentClock: drift is the agent gaining on the coordinator, offset true at any instant of the run', () => {
  const coordinator: SimClock = { originMs: 0, ppm: -20 }; // coordinator 20 ppm slow
  const agent: SimClock = { originMs: -7_000, ppm: 80 }; // agent 80 ppm fast, 7 s behind at τ = 0
  const delays = { request: uniform(0.5, 3), reply: uniform(0.5, 3) };
  const c = estimatesOver(coordinator, 300_000, 10_000, delays, 5);
  const a = estimatesOver(agent, 300_000, 10_000, delays, 9);
  for (const tau of [1_000_000, 1_150_000, 1_290_000, 1_400_000]) {
    const t = localAt(agent, tau);
    const clock = agentClock(a, c, t);
    const truth = t - localAt(coordinator, tau);
    assertContains(clock, truth, `at τ = ${tau}`);
  }
  // The agent runs 100 ppm faster than the coordinator: it gains on it.
  const drift = agentClock(a, c, localAt(agent, 1_150_000)).driftPpm;
  assert.ok(Math.abs(drift - 100) < 2, `drift ${drift}`);
});

test('sameHostClock: exact, one host\u2019s bound', () => {
  assert.deepEqual(sameHostClock(), { mode: 'exact', offsetMs: 0, errorBoundMs: SAME_HOST_CLOCK_ERROR_MS, driftPpm: 0, consistent: true });
});

test('LiveClock: every receipt converted during a run is within the bound the report states', () => {
  const coordinator: SimClock = { originMs: 50_000, ppm: -10 };
  const agent: SimClock = { originMs: 80_250, ppm: 40 }; // 30 s + 250 ms ahead, 50 ppm faster than the coordinator
  const delays = { request: uniform(0.1, 0.6), reply: uniform(0.1, 0.6) };
  const live = new LiveClock();
  let worst = 0;
  let stretchWorst = 0;
  const stretches: { worst: number; boundAtClose: number }[] = [];
  const startTau = 1_000_000;
  for (let tau = startTau, w = 0; tau < startTau + 120_000; tau += 250) {
    if ((tau - startTau) % 10_000 === 0) {
      // Both sides re-estimate; the coordinator's estimate reaches the agent with its window.
      const a = estimateOffset(takeSamples(agent, tau, 64, delays, 100 + w).samples)!;
      const c = estimateOffset(takeSamples(coordinator, tau, 64, delays, 200 + w).samples)!;
      w++;
      const t = localAt(agent, tau + 50);
      if (w > 1) stretches.push({ worst: stretchWorst, boundAtClose: live.stretchBound(t) });
      live.update({ agent: a, coordinator: [c] }, t);
      stretchWorst = 0;
    }
    const t = localAt(agent, tau + 100);
    const error = Math.abs(live.toCoordinatorMs(t) - localAt(coordinator, tau + 100));
    worst = Math.max(worst, error);
    stretchWorst = Math.max(stretchWorst, error);
  }
  const report = live.report(localAt(agent, startTau + 120_000));
  assert.equal(report.mode, 'estimated');
  assert.ok(report.consistent);
  assert.ok(
    Math.abs(report.offsetMs - (localAt(agent, startTau + 120_000) - localAt(coordinator, startTau + 120_000))) <= report.errorBoundMs,
  );
  assert.ok(Math.abs(report.driftPpm - 50) < 1, `drift ${report.driftPpm}`);
  assert.ok(worst <= report.errorBoundMs, `worst conversion error ${worst} within the reported ${report.errorBoundMs}`);
  for (const [i, s] of stretches.entries()) assert.ok(s.worst <= s.boundAtClose + 1e-9, `stretch ${i}: ${s.worst} ≤ ${s.boundAtClose}`);
  // The first stretch knows no drift yet (±600 ppm over 10 s): the bound says so, and it is the largest.
  assert.ok(report.errorBoundMs > 1, `${report.errorBoundMs}`);
  assert.ok(stretches.at(-1)!.boundAtClose < 0.3 * stretches[0]!.boundAtClose, 'later stretches know the drift');
  assert.throws(() => new LiveClock().toCoordinatorMs(0), RangeError);
  assert.throws(
    () => agentClock([estimateOffset([{ sentMs: 0, referenceMs: 1, receivedMs: 0.1 }])!], [], 0),
    /at least one coordinator estimate/,
  );
});

test('LiveClock: measuring from after the drift is learnt (warm-up) states the tighter bound of the measured window', () => {
  const coordinator: SimClock = { originMs: 0, ppm: 0 };
  const agent: SimClock = { originMs: 250, ppm: 30 };
  const delays = { request: uniform(0.05, 0.2), reply: uniform(0.05, 0.2) };
  const live = new LiveClock();
  const estimateAt = (tau: number, seed: number) => ({
    agent: estimateOffset(takeSamples(agent, tau, 64, delays, seed).samples)!,
    coordinator: [estimateOffset(takeSamples(coordinator, tau, 64, delays, seed + 1).samples)!],
  });
  // Connecting and warm-up: three estimates 5 s apart.
  for (let k = 0; k < 3; k++) live.update(estimateAt(1_000_000 + k * 5_000, 10 * k), localAt(agent, 1_000_000 + k * 5_000 + 10));
  live.measureFrom(localAt(agent, 1_010_020));
  let worst = 0;
  for (let tau = 1_010_020; tau < 1_040_000; tau += 100) {
    if ((tau - 1_010_020) % 10_000 === 0 && tau > 1_010_020) live.update(estimateAt(tau - 20, tau), localAt(agent, tau));
    worst = Math.max(worst, Math.abs(live.toCoordinatorMs(localAt(agent, tau)) - localAt(coordinator, tau)));
  }
  const report = live.report(localAt(agent, 1_040_000));
  assert.ok(worst <= report.errorBoundMs, `${worst} ≤ ${report.errorBoundMs}`);
  assert.ok(report.errorBoundMs < 1, `the measured window's bound ${report.errorBoundMs} ms`);
});
