/**
 * One worker's timeline (src/engine/interval-collector.ts), driven with explicit times: deliveries
 * by intended publish time, errors/handshakes/connections by wall time, lost from the ledger's
 * missing runs, live closing (once, after the grace; late arrivals only in the final results), and
 * totals that are exactly the sums of the intervals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalCollector, LIVE_GRACE_MS } from '../../src/engine/interval-collector.js';
import { IntervalGrid } from '../../src/engine/interval-grid.js';
import { OpenLoopSchedule, constantRate } from '../../src/engine/pacer.js';
import { decodeHistogram, HIGHEST_US } from '../../src/metrics/histogram.js';
import { ClientLedger } from '../../src/metrics/ledger.js';
import { PublishOutcomes } from '../../src/metrics/publish-outcomes.js';
import type { WorkerInterval } from '../../src/engine/worker-messages.js';

const ORIGIN = 50_000;
const T0 = ORIGIN + 2_500; // publishing starts half-way through interval 2

function collector(over: { rate?: number; total?: number; channels?: number; tracked?: number } = {}) {
  const total = over.total ?? 100;
  const tracked = over.tracked ?? total;
  const perPublish = {
    firstLatencyMs: new Float32Array(tracked).fill(Number.POSITIVE_INFINITY),
    lastLatencyMs: new Float32Array(tracked),
    recipients: new Uint32Array(tracked),
  };
  const c = new IntervalCollector(
    {
      timeline: { originMs: ORIGIN, lengthMs: 1000 },
      publishRate: constantRate(over.rate ?? 10),
      totalPublishes: total,
      channelCount: over.channels ?? 1,
    },
    perPublish,
    null,
    ORIGIN + 100,
  );
  return { c, perPublish, schedule: new OpenLoopSchedule(T0, over.rate ?? 10, total) };
}

const countOf = (i: WorkerInterval) => (i.fanout ? decodeHistogram(i.fanout).totalCount : 0);
const byIndex = (intervals: WorkerInterval[]) => new Map(intervals.map((i) => [i.index, i]));

test('collector: a delivery counts in the interval of its intended time, whenever it arrives', () => {
  const { c, schedule } = collector();
  c.publishing(T0);
  // Messages 0..24 (due 2.5 s … 4.9 s): each arrives 300 ms late, 20..24 much later.
  for (let seq = 0; seq < 25; seq++) {
    const slot = c.delivered(schedule.dueAt(seq));
    assert.equal(c.recordLatency(slot, seq >= 20 ? 1500 : 300), false);
  }
  const intervals = byIndex(c.finish(ORIGIN + 9000));
  assert.deepEqual(
    [2, 3, 4].map((k) => [intervals.get(k)!.deliveries, countOf(intervals.get(k)!)]),
    [
      [5, 5],
      [10, 10],
      [10, 10],
    ],
  );
  const four = decodeHistogram(intervals.get(4)!.fanout!);
  assert.ok(four.maxValue >= 1_499_000, 'the late ones stay in the interval they were due in');
  assert.equal(c.fanoutTotal.totalCount, 25, 'the total is the sum of the intervals');
});

test('collector: warm-up deliveries count as deliveries, not in the histogram; clamping is reported', () => {
  const { c, schedule } = collector();
  c.publishing(T0);
  c.delivered(schedule.dueAt(0)); // warm-up: the pool records no latency
  const slot = c.delivered(schedule.dueAt(1));
  assert.equal(c.recordLatency(slot, (HIGHEST_US / 1000) * 2), true, 'above the bound: clamped');
  assert.equal(c.recordLatency(slot, -1), true, 'negative: clamped');
  const [two] = c.finish(ORIGIN + 4000).filter((i) => i.index === 2);
  assert.equal(two!.deliveries, 2);
  assert.equal(countOf(two!), 2);
});

test('collector: errors, handshakes and connections by wall time; connections open carried to the end', () => {
  const { c } = collector();
  c.openedAt(ORIGIN + 200, 5);
  c.openedAt(ORIGIN + 900, 7);
  c.openedAt(ORIGIN + 1100, 9);
  c.errorAt(ORIGIN + 1200, 3);
  c.closedAt(ORIGIN + 3500);
  c.closedAt(ORIGIN + 5100);
  c.closedAt(ORIGIN + 5100);
  const intervals = c.finish(ORIGIN + 5200);
  assert.deepEqual(
    intervals.map((i) => [i.index, i.connectionsOpen, i.connect?.count ?? 0, i.errors]),
    [
      [0, 2, 2, 0],
      [1, 3, 1, 3],
      [2, 3, 0, 0],
      [3, 2, 0, 0],
      [4, 2, 0, 0],
      [5, 0, 0, 0],
    ],
  );
  assert.equal(decodeHistogram(intervals[0]!.connect!.histogram).totalCount, 2);
  assert.equal(c.connectTotal.totalCount, 3);
});

test('collector: lost from the ledger, in the intervals the missing messages were due in (several channels; never an unpublished one)', () => {
  // 3 channels, 10/s: publish i is on channel i mod 3 as local number floor(i / 3), due at T0 + 100 ms × i.
  const { c, schedule } = collector({ channels: 3, total: 60 });
  c.publishing(T0);
  const grid = new IntervalGrid({ originMs: ORIGIN, lengthMs: 1000 });
  // Publishes 28 and 31 (channel 1's locals 9 and 10) never reached Redis: unpublished, not lost.
  const channel = PublishOutcomes.from({ sent: 60, failed: { ranges: new Uint32Array([28, 29, 31, 32]) } }, 3).channel(1);
  const ledger = new ClientLedger();
  // A client on channel 1 gets locals 0..4 and 6, then nothing: 20 were sent on its channel.
  const received = [0, 1, 2, 3, 4, 6];
  for (const local of received) ledger.receive(local);
  const want = new Map<number, number>();
  for (let local = 0; local < 20; local++) {
    if (received.includes(local) || local === 9 || local === 10) continue;
    const k = grid.indexOf(schedule.dueAt(local * 3 + 1));
    want.set(k, (want.get(k) ?? 0) + 1);
  }
  ledger.forEachLost(channel, (from, to) => c.missed(1, from, to));
  const got = new Map(
    c
      .finish(ORIGIN + 9000)
      .filter((i) => i.lost > 0)
      .map((i) => [i.index, i.lost]),
  );
  assert.deepEqual(got, want);
  const counts = ledger.counts(channel);
  assert.equal(
    [...got.values()].reduce((a, b) => a + b, 0),
    counts.lost,
  );
  assert.equal(counts.unpublished, 2);
});

test('collector: before publishing started nothing can be placed as lost', () => {
  const { c } = collector();
  c.missed(0, 0, 10);
  assert.ok(c.finish(ORIGIN + 2000).every((i) => i.lost === 0));
});

test('collector: an interval is sent live once, after the grace; what arrives later is only in the final results', () => {
  const { c, schedule, perPublish } = collector();
  c.publishing(T0);
  for (let seq = 0; seq < 5; seq++) {
    perPublish.recipients[seq] = 1;
    perPublish.firstLatencyMs[seq] = 2;
    perPublish.lastLatencyMs[seq] = 3;
    c.recordLatency(c.delivered(schedule.dueAt(seq)), 2);
  }
  // Interval 2 ends at ORIGIN + 3000: not closed until ORIGIN + 3000 + grace.
  const early = c.closeUpTo(ORIGIN + 3000 + LIVE_GRACE_MS - 1);
  assert.equal(early.closedBefore, 2);
  assert.deepEqual(
    early.intervals.map((i) => i.index),
    [0, 1],
  );
  const closed = c.closeUpTo(ORIGIN + 3000 + LIVE_GRACE_MS);
  assert.equal(closed.closedBefore, 3);
  const two = closed.intervals.find((i) => i.index === 2)!;
  assert.equal(two.deliveries, 5);
  assert.equal(countOf(two), 5);
  // This worker's per-publish figures of the publishes due in interval 2 (sequences 0..4) travel with it.
  assert.equal(two.publishes!.from, 0);
  assert.deepEqual([...two.publishes!.recipients], [1, 1, 1, 1, 1]);
  assert.deepEqual(c.closeUpTo(ORIGIN + 3000 + LIVE_GRACE_MS + 10).intervals, [], 'sent once');
  // A late delivery for interval 2: not sent again, but in the final results and the total.
  c.recordLatency(c.delivered(schedule.dueAt(4)), 900);
  assert.ok(c.closeUpTo(ORIGIN + 4000 + LIVE_GRACE_MS).intervals.every((i) => i.index !== 2));
  const final = byIndex(c.finish(ORIGIN + 6000)).get(2)!;
  assert.equal(final.deliveries, 6);
  assert.equal(countOf(final), 6);
  assert.equal(final.publishes, undefined, 'per-publish slices are for live intervals only');
  assert.equal(c.fanoutTotal.totalCount, 6);
});

test('collector: a time before the collector started or not a number lands in its first interval', () => {
  const { c } = collector();
  c.delivered(Number.NaN);
  c.delivered(ORIGIN - 5000);
  const [first] = c.finish(ORIGIN + 500);
  assert.equal(first!.index, 0);
  assert.equal(first!.deliveries, 2);
});
