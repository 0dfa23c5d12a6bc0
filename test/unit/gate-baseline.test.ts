import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  baselineChecks,
  compareReports,
  judge,
  median,
  parseTolerance,
  samplingBand,
  sideStats,
  type SideStats,
} from '../../src/gate/baseline.js';
import { lookupMetric, type MetricRef } from '../../src/gate/metrics.js';
import { mergeReports } from '../../src/results/merge.js';
import { fakeReport, spread } from '../helpers/report.js';

const point = (v: number): SideStats => ({ value: v, low: v, high: v, runs: [v], band: 'none' });
const band = (v: number, low: number, high: number): SideStats => ({ value: v, low, high, runs: [low, v, high], band: 'runs' });

// [name, better, tolerance, baseline, current, verdict]
const cases: [string, 'lower' | 'higher', number, SideStats, SideStats, string][] = [
  ['identical', 'lower', 0.1, point(10), point(10), 'ok'],
  ['5% worse, under tolerance', 'lower', 0.1, point(10), point(10.5), 'ok'],
  ['20% worse, no noise information', 'lower', 0.1, point(10), point(12), 'regression'],
  ['20% worse but inside the baseline runs’ range', 'lower', 0.1, band(10, 8, 13), band(12, 11.5, 12.5), 'noise'],
  ['20% worse but the baseline is inside the current range', 'lower', 0.1, band(10, 9.5, 10.5), band(12, 9.8, 14), 'noise'],
  ['20% worse, both bands clear of each other', 'lower', 0.1, band(10, 9.5, 10.5), band(12, 11.5, 12.5), 'regression'],
  ['bands touch but medians are outside both', 'lower', 0.1, band(10, 9, 12), band(13, 10.5, 14), 'regression'],
  ['20% better', 'lower', 0.1, point(10), point(8), 'improved'],
  ['20% better inside noise', 'lower', 0.1, band(10, 7, 11), band(8, 7.5, 9), 'ok'],
  ['throughput 20% lower', 'higher', 0.1, point(1000), point(800), 'regression'],
  ['throughput 20% higher', 'higher', 0.1, point(1000), point(1200), 'improved'],
  ['throughput 5% lower', 'higher', 0.1, point(1000), point(950), 'ok'],
  ['loss appears from zero', 'lower', 0.1, point(0), point(0.001), 'regression'],
  ['loss appears from zero, baseline runs had some too', 'lower', 0.1, band(0, 0, 0.002), band(0.001, 0, 0.001), 'noise'],
  ['loss stays zero', 'lower', 0.1, point(0), point(0), 'ok'],
  ['tolerance 50% allows +40%', 'lower', 0.5, point(10), point(14), 'ok'],
  ['tolerance 0 flags any clear worsening', 'lower', 0, point(10), point(10.01), 'regression'],
];

for (const [name, better, tolerance, base, cur, verdict] of cases) {
  test(`judge: ${name} → ${verdict}`, () => {
    assert.equal(judge(better, tolerance, base, cur).verdict, verdict);
  });
}

test('judge: change is relative and positive when worse', () => {
  assert.equal(judge('lower', 0.1, point(10), point(12)).change, 0.2);
  assert.equal(judge('higher', 0.1, point(1000), point(800)).change, 0.2);
  assert.equal(judge('lower', 0.1, point(10), point(5)).change, -0.5);
  assert.equal(judge('lower', 0.1, point(0), point(1)).change, Infinity);
});

test('tolerances and the checked metrics', () => {
  assert.equal(parseTolerance('10%'), 0.1);
  assert.equal(parseTolerance(' 2.5 % '), 0.025);
  assert.equal(parseTolerance('10'), undefined);
  assert.equal(parseTolerance('-5%'), undefined);
  const defaults = baselineChecks();
  assert.deepEqual(
    defaults.map((c) => [c.ref.path, c.tolerance]),
    [
      ['fanout.p50', 0.1],
      ['fanout.p99', 0.1],
      ['delivery.lostRatio', 0.1],
      ['throughput.deliveriesPerSec', 0.1],
    ],
  );
  const custom = baselineChecks({
    maxRegression: 0.05,
    metrics: { 'websocket.fanout.p99': 0.25, 'delivery.lostRatio': 'off', 'longpoll.fanout.p50': 0.3 },
  });
  assert.deepEqual(
    custom.map((c) => [c.ref.transport, c.ref.def.name, c.tolerance]),
    [
      ['websocket', 'fanout.p50', 0.05],
      ['websocket', 'fanout.p99', 0.25],
      ['websocket', 'throughput.deliveriesPerSec', 0.05],
      ['longpoll', 'fanout.p50', 0.3],
    ],
  );
  assert.throws(() => baselineChecks({ metrics: { 'fanout.p98': 0.1 } }), /unknown metric "fanout\.p98"/);
});

function ref(path: string): MetricRef {
  const found = lookupMetric(path);
  assert.ok(found.ok);
  return found.ref;
}

test('single run: a percentile’s band is its sampling interval, narrowing with more samples', () => {
  const small = fakeReport({ websocket: { fanoutMs: spread(100, 1, 100) } });
  const large = fakeReport({ websocket: { fanoutMs: spread(100_000, 1, 100) } });
  const s = samplingBand(small.transports.websocket!, ref('fanout.p50'))!;
  const l = samplingBand(large.transports.websocket!, ref('fanout.p50'))!;
  assert.ok(s.low < 50 && s.high > 51, JSON.stringify(s));
  assert.ok(l.low > 49 && l.high < 51.5, JSON.stringify(l));
  assert.ok(s.high - s.low > 5 * (l.high - l.low));
  // Non-percentiles have no band.
  assert.equal(samplingBand(small.transports.websocket!, ref('fanout.max')), null);
  const side = sideStats(small, ref('delivery.lostRatio'))!;
  assert.deepEqual([side.band, side.low, side.high], ['none', 0, 0]);
});

test('repeated runs: median of the runs, band = median ± their range (never below 0)', () => {
  const runs = [24, 20, 22].map((ms, i) => fakeReport({ websocket: { fanoutMs: [ms, ms, ms] } }, `r${i}`));
  const merged = mergeReports(runs);
  const side = sideStats(merged, ref('fanout.p50'))!;
  assert.equal(side.band, 'runs');
  assert.equal(side.runs.length, 3);
  assert.equal(side.value, median(side.runs));
  assert.ok(Math.abs(side.value - 22) < 0.05 && Math.abs(side.low - 18) < 0.1 && Math.abs(side.high - 26) < 0.1, JSON.stringify(side));
  const wide = mergeReports([1, 10, 2].map((ms, i) => fakeReport({ websocket: { fanoutMs: [ms] } }, `w${i}`)));
  assert.equal(sideStats(wide, ref('fanout.p50'))!.low, 0);
});

test('repeated runs: identical-but-noisy sets are noise, a shift larger than the spread is a regression', () => {
  const set = (values: number[]) => mergeReports(values.map((ms, i) => fakeReport({ websocket: { fanoutMs: [ms] } }, `s${i}`)));
  const specs = baselineChecks({ metrics: { 'fanout.p99': 'off' } });
  // Tail-like noise: 8–14 ms against 14–70 ms (real figures from the noise bench).
  const noisy = compareReports(set([8.3, 10.8, 14]), set([14.3, 15.8, 70]), specs).checks.find((c) => c.metric === 'fanout.p50')!;
  assert.equal(noisy.verdict, 'noise', noisy.message);
  const shifted = compareReports(set([1.0, 1.1, 1.2]), set([21.0, 21.1, 21.3]), specs).checks.find((c) => c.metric === 'fanout.p50')!;
  assert.equal(shifted.verdict, 'regression', shifted.message);
  assert.match(shifted.message, /median of 3 runs 1(\.\d+)? ms–1\.2\d* ms, noise band/);
});

test('compareReports: a report against itself passes; a slower one fails naming the metric', () => {
  const base = fakeReport({ websocket: { fanoutMs: spread(2000, 0.2, 1.5) } });
  const same = compareReports(base, base, baselineChecks());
  assert.equal(same.passed, true);
  assert.ok(same.checks.every((c) => c.verdict === 'ok'));
  const slow = fakeReport({ websocket: { fanoutMs: spread(2000, 20.2, 21.5) } });
  const result = compareReports(base, slow, baselineChecks());
  assert.equal(result.passed, false);
  const p50 = result.checks.find((c) => c.metric === 'fanout.p50')!;
  assert.equal(p50.verdict, 'regression');
  assert.match(
    p50.message,
    /^fanout\.p50 regressed: 0\.85\d* ms → 20\.8\d+ ms \(\+\d+% worse\), worse than the 10% tolerance and outside the noise of both sides/,
  );
  assert.equal(result.runs.baseline, 1);
});

test('compareReports: a metric missing from the baseline is skipped, missing from the current fails', () => {
  const withLongpoll = fakeReport({ websocket: {}, longpoll: {} });
  const without = fakeReport({ websocket: {} });
  const specs = baselineChecks({ metrics: { 'longpoll.fanout.p50': 0.1 } });
  const skipped = compareReports(without, withLongpoll, specs).checks.find((c) => c.metric === 'longpoll.fanout.p50')!;
  assert.equal(skipped.verdict, 'skipped');
  assert.equal(skipped.passed, true);
  const missing = compareReports(withLongpoll, without, specs);
  assert.equal(missing.passed, false);
  assert.equal(missing.checks.find((c) => c.metric === 'longpoll.fanout.p50')!.verdict, 'missing');
});
