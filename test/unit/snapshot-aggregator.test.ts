/**
 * Live snapshot merging, driven by hand-made worker snapshots: sums, rates since the previous
 * merge, the owed deliveries and — the papercut of issue 13 — delivery compared like with like.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotAggregator, deliveriesOwed, type MergeContext } from '../../src/engine/snapshot-aggregator.js';
import type { WorkerSnapshot } from '../../src/engine/worker-messages.js';
import { createHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';

function workerSnapshot(workerId: number, over: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return {
    workerId,
    opened: 0,
    failed: 0,
    closed: 0,
    inFlight: 0,
    open: 0,
    ready: 0,
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
    timeline: { closedBefore: 0, intervals: [] },
    ...over,
  };
}

function context(now: number, over: Partial<MergeContext> = {}): MergeContext {
  return {
    now,
    elapsedMs: now,
    phase: 'publishing',
    phaseProgress: 0.5,
    phaseRemainingMs: 1000,
    publisher: { sent: 0, acked: 0, errors: 0, lagMs: 0.1234 },
    coordinatorCpuPercent: 2,
    ...over,
  };
}

test('deliveries owed: round-robin publishes times the clients on each channel', () => {
  const cases: [acked: number, opened: number[], owed: number][] = [
    [0, [5], 0],
    [10, [5], 50],
    [3, [2, 1], 2 * 2 + 1 * 1],
    [4, [2, 1, 4], 2 * 2 + 1 * 1 + 4 * 1],
    [7, [0, 3], 0 + 3 * 3],
  ];
  for (const [acked, opened, owed] of cases) assert.equal(deliveriesOwed(acked, opened), owed, `${acked} over ${opened}`);
});

test('delivery so far is compared with what was owed when each worker snapshot arrived', () => {
  let acked = 0;
  const live = new SnapshotAggregator({
    transport: 'websocket',
    transportIndex: 0,
    transportCount: 1,
    connections: 20,
    channelCount: 1,
    totalPublishes: 1000,
    ackedNow: () => acked,
    startedAt: 0,
    workers: 2,
    grid: { originMs: 0, lengthMs: 1000 },
    firstInterval: 0,
  });
  live.connected([
    { workerId: 0, openedPerChannel: [10], failed: 0, errors: {}, errorSamples: {} },
    { workerId: 1, openedPerChannel: [10], failed: 0, errors: {}, errorSamples: {} },
  ]);
  // Worker 0 reports when 100 publishes were acknowledged, worker 1 when 150 were: each got all.
  acked = 100;
  live.record(workerSnapshot(0, { opened: 10, delivered: 1000 }));
  acked = 150;
  live.record(workerSnapshot(1, { opened: 10, delivered: 1500 }));
  // The publisher has moved on by the time the snapshot is merged; that must not read as loss.
  acked = 200;
  const snapshot = live.merge(context(500, { publisher: { sent: 200, acked: 200, errors: 0, lagMs: 0 } }));
  assert.equal(snapshot.delivery.delivered, 2500);
  assert.equal(snapshot.delivery.expectedSoFar, 2500, 'a clean run reads 100 %');
  assert.equal(snapshot.publish.acked, 200);
  // A worker that really missed messages still shows it.
  acked = 300;
  live.record(workerSnapshot(0, { opened: 10, delivered: 2900 }));
  assert.equal(live.merge(context(1000)).delivery.expectedSoFar, 3000 + 1500);
});

test('sums, rates since the previous merge, last-interval latency and the tool-busy flag', () => {
  const live = new SnapshotAggregator({
    transport: 'longpoll',
    transportIndex: 1,
    transportCount: 2,
    connections: 4,
    channelCount: 2,
    totalPublishes: 10,
    ackedNow: () => 0,
    startedAt: 1000,
    workers: 2,
    grid: { originMs: 0, lengthMs: 1000 },
    firstInterval: 0,
  });
  const interval = createHistogram();
  recordMs(interval, 2);
  recordMs(interval, 4);
  live.record(
    workerSnapshot(0, {
      opened: 2,
      open: 2,
      failed: 1,
      delivered: 10,
      errors: { 'connect.ECONNREFUSED': 1 },
      interval: encodeHistogram(interval),
      wire: { bytesIn: 1000, bytesOut: 10, requests: 4 },
    }),
  );
  live.record(workerSnapshot(1, { opened: 1, open: 1, delivered: 6, errors: { 'connect.ECONNREFUSED': 2 }, cpuPercent: 90 }));
  const first = live.merge(context(2000, { phase: 'connecting' }));
  assert.deepEqual(first.connections, { target: 4, opened: 3, failed: 1, closed: 0, open: 3, inFlight: 0, perSec: 4 });
  assert.equal(first.phaseProgress, 1, 'connecting: progress is opened + failed of the target');
  assert.equal(first.transport, 'longpoll');
  assert.equal(first.transportIndex, 1);
  assert.equal(first.delivery.perSec, 16);
  assert.deepEqual(first.errors, { 'connect.ECONNREFUSED': 3 });
  assert.equal(first.latencyMs?.count, 2);
  assert.equal(first.wire.bytesInPerSec, 1000);
  assert.equal(first.publish.lagMs, 0.123);
  assert.deepEqual(first.tool, { cpuPercent: 90, eventLoopDelayMs: 1, processes: 3, bottleneck: true, reason: 'tool CPU at 90%' });
  // Nothing new: rates fall to zero and the interval latency is gone (it was merged once).
  const second = live.merge(context(2500));
  assert.equal(second.delivery.perSec, 0);
  assert.equal(second.connections.perSec, 0);
  assert.equal(second.latencyMs, null);
  assert.equal(second.phaseProgress, 0.5);
});

test('client readiness: ready clients of the open ones, the first protocol problem', () => {
  const live = new SnapshotAggregator({
    transport: 'websocket',
    transportIndex: 0,
    transportCount: 1,
    connections: 3,
    channelCount: 1,
    totalPublishes: 1,
    ackedNow: () => 0,
    startedAt: 0,
    workers: 2,
    grid: { originMs: 0, lengthMs: 1000 },
    firstInterval: 0,
  });
  assert.deepEqual(live.clientReadiness(), { ready: 0, opened: 0, problem: null });
  live.connected([
    { workerId: 0, openedPerChannel: [2], failed: 0, errors: {}, errorSamples: {} },
    { workerId: 1, openedPerChannel: [1], failed: 0, errors: {}, errorSamples: {} },
  ]);
  live.record(workerSnapshot(0, { ready: 2 }));
  live.record(workerSnapshot(1, { ready: 0, problem: 'expected X, got Y' }));
  assert.deepEqual(live.clientReadiness(), { ready: 2, opened: 3, problem: 'expected X, got Y' });
  assert.deepEqual(live.openedPerChannel(), [3]);
});
