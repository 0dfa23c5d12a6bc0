/**
 * A transport's timeline from its parts (src/engine/timeline-assembly.ts): the workers' intervals
 * added exactly, connections carried, the coordinator's publishes, first/last recipient, load and
 * errors laid on the same intervals; and the live intervals of the snapshot aggregator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleTimeline, phaseAt, type AssemblyInput, type CoordinatorInterval } from '../../src/engine/timeline-assembly.js';
import { SnapshotAggregator } from '../../src/engine/snapshot-aggregator.js';
import { OpenLoopSchedule } from '../../src/engine/pacer.js';
import type { WorkerInterval, WorkerSnapshot } from '../../src/engine/worker-messages.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';
import type { TimelineInterval } from '../../src/results/types.js';

const GRID = { originMs: 1000, lengthMs: 1000 };
const PHASES = [
  { name: 'connecting', startMs: 300, endMs: 1500 },
  { name: 'publishing', startMs: 1500, endMs: 4200 },
  { name: 'draining', startMs: 4200, endMs: 5100 },
  { name: 'closing', startMs: 5100, endMs: 5200 },
];

function encoded(samples: readonly number[]): string {
  const h = createHistogram();
  for (const ms of samples) recordMs(h, ms);
  return encodeHistogram(h);
}

function interval(index: number, over: Partial<WorkerInterval> = {}): WorkerInterval {
  return {
    index,
    deliveries: 0,
    fanout: null,
    lost: 0,
    errors: 0,
    connectionsOpen: 0,
    connect: null,
    notOwed: 0,
    unpublished: 0,
    tool: { cpuPercent: 10, eventLoopDelayP99Ms: 1 },
    ...over,
  };
}

test('phase at an interval start: the phase it falls in, the first before them, the last after them', () => {
  const cases: [number, string][] = [
    [0, 'connecting'],
    [300, 'connecting'],
    [1500, 'publishing'],
    [4199, 'publishing'],
    [5100, 'closing'],
    [9000, 'closing'],
  ];
  for (const [ms, phase] of cases) assert.equal(phaseAt(PHASES, ms), phase, `${ms}`);
  assert.equal(phaseAt([], 0), 'connecting');
});

test('assembly: workers added exactly, connections carried, publishes and first/last from the schedule', () => {
  // 10/s from T0 = origin + 1.5 s: sequences 0..4 due in interval 1, 5..14 in 2, 15..19 in 3; 2 warm-up.
  const schedule = new OpenLoopSchedule(GRID.originMs + 1500, 10, 20);
  const worker0 = [
    interval(0, {
      connectionsOpen: 2,
      connect: { count: 2, histogram: encoded([4, 6]) },
      tool: { cpuPercent: 50, eventLoopDelayP99Ms: 3 },
    }),
    interval(1, { connectionsOpen: 2, deliveries: 10, fanout: encoded([1, 1, 1, 1, 1, 1]) }),
    interval(2, { connectionsOpen: 2, deliveries: 20, fanout: encoded(Array(20).fill(2)), errors: 1 }),
    interval(3, { connectionsOpen: 1, deliveries: 9, fanout: encoded(Array(9).fill(50)), lost: 1 }),
  ];
  // Worker 1 started in interval 1 and sent nothing for interval 3 (its connection stays counted).
  const worker1 = [
    interval(1, { connectionsOpen: 1, connect: { count: 1, histogram: encoded([8]) }, deliveries: 5, fanout: encoded([3, 3, 3]) }),
    interval(2, {
      connectionsOpen: 1,
      deliveries: 10,
      fanout: encoded(Array(10).fill(4)),
      tool: { cpuPercent: 90, eventLoopDelayP99Ms: 2 },
    }),
  ];
  // Per-publish: each worker's min/max/recipients (seq 17 reached only worker 0's clients).
  const part = (min: number, max: number, n: number) => ({
    firstLatencyMs: Float32Array.from({ length: 20 }, () => min),
    lastLatencyMs: Float32Array.from({ length: 20 }, () => max),
    recipients: Uint32Array.from({ length: 20 }, (_, i) => (n === 1 && i === 17 ? 0 : n)),
  });
  const coordinator = new Map<number, CoordinatorInterval>([
    [1, { errors: 0, tool: { cpuPercent: 20, eventLoopDelayP99Ms: 9 } }],
    [2, { errors: 2, tool: { cpuPercent: 5, eventLoopDelayP99Ms: 1 } }],
  ]);
  const input: AssemblyInput = {
    grid: GRID,
    first: 0,
    last: 4,
    phases: PHASES,
    workers: [worker0, worker1],
    coordinator,
    schedule: { total: 20, dueAt: (i) => schedule.dueAt(i), sent: 20, warmup: 2 },
    perPublish: { from: 0, parts: [part(1, 2, 2), part(3, 4, 1)] },
    openedPerChannel: [3],
  };
  const t = assembleTimeline(input);
  assert.equal(t.intervalMs, 1000);
  assert.deepEqual(
    t.intervals.map((i) => [i.startMs, i.phase, i.connectionsOpen, i.publishes, i.deliveries, i.lost, i.errors, i.fanoutLatencyMs.count]),
    [
      [0, 'connecting', 2, 0, 0, 0, 0, 0],
      [1000, 'connecting', 3, 5, 15, 0, 0, 9],
      [2000, 'publishing', 3, 10, 30, 0, 3, 30],
      [3000, 'publishing', 2, 5, 9, 1, 0, 9],
      [4000, 'publishing', 2, 0, 0, 0, 0, 0],
    ],
  );
  assert.equal(decodeHistogram(t.intervals[1]!.histogram).totalCount, 9, 'histograms added');
  assert.equal(t.intervals[1]!.connect!.count, 1);
  assert.equal(t.intervals[0]!.connect!.count, 2);
  // The busiest process: worker 1 at 90 % in interval 2, the coordinator's 9 ms delay in interval 1.
  assert.deepEqual(t.intervals[2]!.tool, { cpuPercent: 90, eventLoopDelayP99Ms: 2 });
  assert.deepEqual(t.intervals[1]!.tool, { cpuPercent: 20, eventLoopDelayP99Ms: 9 });
  // First/last recipient of the measured publishes due in each interval: 3 in interval 1 (seq 2..4), 10, 5.
  const recipients = t.intervals.map((i) => (i.recipientHistograms ? decodeHistogram(i.recipientHistograms.first).totalCount : 0));
  assert.deepEqual(recipients, [0, 3, 10, 5, 0]);
  // Seq 17 (interval 3) missed worker 1's client: no "last" for it.
  assert.equal(decodeHistogram(t.intervals[3]!.recipientHistograms!.last).totalCount, 4);
  assert.equal(decodeHistogram(t.intervals[2]!.recipientHistograms!.first).maxValue < 1100, true, 'first = min over workers (1 ms)');
  assert.equal(decodeHistogram(t.intervals[2]!.recipientHistograms!.last).minNonZeroValue > 3900, true, 'last = max over workers (4 ms)');
});

test('assembly: publishes stop where the publisher stopped; before publishing there are none', () => {
  const schedule = new OpenLoopSchedule(GRID.originMs + 1500, 10, 20);
  const base: AssemblyInput = {
    grid: GRID,
    first: 1,
    last: 3,
    phases: PHASES,
    workers: [],
    coordinator: new Map(),
    schedule: { total: 20, dueAt: (i) => schedule.dueAt(i), sent: 8, warmup: 0 },
    perPublish: null,
    openedPerChannel: [1],
  };
  assert.deepEqual(
    assembleTimeline(base).intervals.map((i) => i.publishes),
    [5, 3, 0],
  );
  assert.deepEqual(
    assembleTimeline({ ...base, schedule: null }).intervals.map((i) => i.publishes),
    [0, 0, 0],
  );
});

function snapshotOf(workerId: number, closedBefore: number, intervals: WorkerInterval[]): WorkerSnapshot {
  return {
    workerId,
    opened: 1,
    failed: 0,
    closed: 0,
    inFlight: 0,
    open: 1,
    ready: 1,
    problem: null,
    delivered: 0,
    duplicated: 0,
    reordered: 0,
    ignored: 0,
    errors: {},
    interval: null,
    wire: { bytesIn: 0, bytesOut: 0, requests: 0 },
    cpuPercent: 1,
    eventLoopDelayP99Ms: 1,
    events: [],
    owedDue: null,
    outstanding: null,
    timeline: { closedBefore, intervals },
  };
}

test('live intervals: sent once every worker closed them, in order; lost is what had not arrived', () => {
  const schedule = new OpenLoopSchedule(GRID.originMs + 1500, 10, 40);
  const live = new SnapshotAggregator({
    transport: 'websocket',
    transportIndex: 0,
    transportCount: 1,
    connections: 2,
    channelCount: 1,
    totalPublishes: 40,
    ackedNow: () => 0,
    startedAt: 0,
    workers: 2,
    grid: GRID,
    firstInterval: 0,
  });
  live.connected([
    { workerId: 0, openedPerChannel: [1], failed: 0, errors: {}, errorSamples: {} },
    { workerId: 1, openedPerChannel: [1], failed: 0, errors: {}, errorSamples: {} },
  ]);
  const ctx = {
    phases: PHASES,
    coordinator: new Map(),
    schedule: { total: 40, dueAt: (i: number) => schedule.dueAt(i), sent: 40, warmup: 0 },
  };
  live.record(
    snapshotOf(0, 3, [
      interval(0, { connectionsOpen: 1 }),
      interval(1, { connectionsOpen: 1, deliveries: 5 }),
      interval(2, { connectionsOpen: 1, deliveries: 10 }),
    ]),
  );
  assert.deepEqual(live.closedIntervals(ctx), [], 'worker 1 has not said anything yet');
  live.record(snapshotOf(1, 2, [interval(0), interval(1, { connectionsOpen: 1, deliveries: 4, fanout: encoded([1, 2, 3, 4]) })]));
  const first = live.closedIntervals(ctx);
  assert.deepEqual(
    first.map((i) => [i.startMs, i.connectionsOpen, i.publishes, i.deliveries, i.lost, i.fanoutLatencyMs.count]),
    [
      [0, 1, 0, 0, 0, 0],
      [1000, 2, 5, 9, 1, 4],
    ],
  );
  assert.equal(live.nextIntervalStartMs(), 2000);
  assert.deepEqual(live.closedIntervals(ctx), [], 'nothing new');
  // Worker 1 closes interval 2 having sent nothing for it: its connection is still counted.
  live.record(snapshotOf(1, 3, []));
  const second = live.closedIntervals(ctx);
  assert.deepEqual(
    second.map((i) => [i.startMs, i.connectionsOpen, i.publishes, i.deliveries, i.lost]),
    [[2000, 2, 10, 10, 10]],
  );
});

test('live intervals after a worker is lost for good (its agent lost): they go on without it, its clients left out, not counted lost', () => {
  const schedule = new OpenLoopSchedule(GRID.originMs + 1500, 10, 40);
  const live = new SnapshotAggregator({
    transport: 'websocket',
    transportIndex: 0,
    transportCount: 1,
    connections: 2,
    channelCount: 1,
    totalPublishes: 40,
    ackedNow: () => 0,
    startedAt: 0,
    workers: 2,
    grid: GRID,
    firstInterval: 0,
  });
  live.connected([
    { workerId: 0, openedPerChannel: [1], failed: 0, errors: {}, errorSamples: {} },
    { workerId: 1, openedPerChannel: [1], failed: 0, errors: {}, errorSamples: {} },
  ]);
  const ctx = {
    phases: PHASES,
    coordinator: new Map(),
    schedule: { total: 40, dueAt: (i: number) => schedule.dueAt(i), sent: 40, warmup: 0 },
  };
  live.record(snapshotOf(0, 2, [interval(0, { connectionsOpen: 1 }), interval(1, { connectionsOpen: 1, deliveries: 5 })]));
  live.record(
    snapshotOf(1, 4, [
      interval(0, { connectionsOpen: 1 }),
      interval(1, { connectionsOpen: 1, deliveries: 5 }),
      interval(2, { connectionsOpen: 1, deliveries: 10 }),
      interval(3, { connectionsOpen: 1, deliveries: 7 }),
    ]),
  );
  const row = (i: TimelineInterval) => [i.startMs, i.connectionsOpen, i.publishes, i.deliveries, i.lost, i.expected];
  assert.deepEqual(live.closedIntervals(ctx).map(row), [
    [0, 2, 0, 0, 0, 0],
    [1000, 2, 5, 10, 0, 10],
  ]);
  assert.deepEqual(live.closedIntervals(ctx), [], 'worker 0 went silent: nothing past its interval 1');
  live.workersGone([0]);
  // Worker 1 alone from interval 2: owed its own client's deliveries only (10, then 10 of which 7 came).
  assert.deepEqual(live.closedIntervals(ctx).map(row), [
    [2000, 1, 10, 10, 0, 10],
    [3000, 1, 10, 7, 3, 10],
  ]);
  assert.equal(live.nextIntervalStartMs(), 4000);
  live.workersGone([1]);
  assert.deepEqual(live.closedIntervals(ctx), [], 'no worker left to wait for');
});
