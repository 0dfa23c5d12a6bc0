/**
 * Capacity along a stage ramp (gate/ramp-capacity.ts): the condition checked interval by interval
 * of a timeline, as a table of timelines and conditions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThreshold } from '../../src/gate/expression.js';
import { capacityAlongRamp, intervalAsTransport } from '../../src/gate/ramp-capacity.js';
import type { RunReport } from '../../src/results/types.js';
import { fakeReport, spread } from '../helpers/report.js';
import { timelineFrom, type IntervalSamples } from '../helpers/timeline.js';

/** A report whose websocket timeline is `intervals` (1 s each). */
function withTimeline(intervals: IntervalSamples[]): RunReport {
  const report = fakeReport({ websocket: { fanoutMs: spread(100, 1, 10) } });
  report.transports.websocket!.timeline = timelineFrom(intervals);
  return report;
}

/** A publishing interval at second k with `open` connections and latencies around `ms`. */
const at = (k: number, open: number, ms: number, over: Partial<IntervalSamples> = {}): IntervalSamples => ({
  startMs: k * 1000,
  open,
  publishes: open,
  fanoutMs: spread(200, ms / 2, ms),
  ...over,
});

test('the last interval that held before the first that broke; warm-up, connecting and empty intervals are skipped', () => {
  const cases: [
    name: string,
    intervals: IntervalSamples[],
    condition: string,
    lastGood: number | null,
    firstBad: number | null,
    inconclusive: boolean,
  ][] = [
    [
      'latency grows with the ramp',
      [at(0, 10, 5, { phase: 'connecting' }), at(1, 100, 5), at(2, 200, 20), at(3, 300, 80), at(4, 400, 300), at(5, 500, 20)],
      'fanout.p99 < 100ms',
      300,
      400,
      false,
    ],
    ['holds to the end', [at(1, 100, 5), at(2, 200, 6)], 'fanout.p99 < 100ms', 200, null, false],
    ['the first breaks', [at(1, 100, 500), at(2, 200, 6)], 'fanout.p99 < 100ms', null, 100, false],
    [
      'loss in an interval breaks it',
      [at(1, 100, 5), at(2, 200, 5, { lost: 50 }), at(3, 300, 5)],
      'delivery.lostRatio == 0',
      100,
      200,
      false,
    ],
    [
      'the tool overloaded: inconclusive',
      [at(1, 100, 5), at(2, 200, 5, { cpu: 95 }), at(3, 300, 5)],
      'fanout.p99 < 100ms',
      100,
      null,
      true,
    ],
    ['nothing measured', [at(1, 100, 5, { phase: 'warmup' }), { startMs: 2000, open: 200 }], 'fanout.p99 < 100ms', null, null, false],
  ];
  for (const [name, intervals, condition, lastGood, firstBad, inconclusive] of cases) {
    const r = capacityAlongRamp(withTimeline(intervals), 'websocket', parseThreshold(condition));
    assert.equal(r.lastGood?.connections ?? null, lastGood, `${name}: last good`);
    assert.equal(r.firstBad?.connections ?? null, firstBad, `${name}: first bad`);
    assert.equal(r.inconclusive !== null, inconclusive, `${name}: inconclusive`);
  }
});

test('an interval read as a report: its latency, its ledger and its rates; the rest the run’s', () => {
  const report = withTimeline([at(1, 100, 40, { lost: 10, publishes: 50 })]);
  const t = report.transports.websocket!;
  const one = intervalAsTransport(t, t.timeline!.intervals[0]!, 1000);
  assert.equal(one.fanoutLatencyMs.count, 200);
  assert.ok(one.fanoutLatencyMs.max >= 39 && one.fanoutLatencyMs.max <= 41, `${one.fanoutLatencyMs.max}`);
  assert.deepEqual([one.delivery.delivered, one.delivery.lost, one.delivery.expected], [200, 10, 210]);
  assert.equal(one.throughput.deliveriesPerSec, 200);
  assert.equal(one.throughput.publishesPerSec, 50);
  assert.deepEqual(one.connectLatencyMs, t.connectLatencyMs, 'not per interval: the run’s');
});
