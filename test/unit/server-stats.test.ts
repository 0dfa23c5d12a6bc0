import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateProcessStats, mergeServerStats } from '../../src/server/stats.js';
import type { ServerStats } from '../../src/server/reference-server.js';
import type { ProcessStats } from '../../src/results/types.js';

const server = (over: Partial<ServerStats>): ServerStats => ({
  processes: 1,
  redisConnected: 1,
  connections: 0,
  channels: {},
  messagesIn: 0,
  deliveries: 0,
  slowClientsDropped: 0,
  pollRequests: 0,
  pollMissed: 0,
  ...over,
});

test('mergeServerStats sums counters (client publishes too) and clients; a channel is live only where every process that has it is', () => {
  const merged = mergeServerStats([
    server({
      connections: 3,
      messagesIn: 10,
      deliveries: 30,
      channels: { a: { clients: 2, live: true, pollersWaiting: 1 }, b: { clients: 1, live: true, pollersWaiting: 0 } },
    }),
    server({
      connections: 2,
      messagesIn: 10,
      deliveries: 20,
      slowClientsDropped: 1,
      clientPublishes: 4,
      clientPublishFailures: 1,
      redisConnected: 0,
      channels: { a: { clients: 2, live: false, pollersWaiting: 0 } },
    }),
    server({
      connections: 1,
      messagesIn: 10,
      deliveries: 10,
      clientPublishes: 2,
      channels: { c: { clients: 1, live: true, pollersWaiting: 0 } },
    }),
  ]);
  assert.deepEqual(merged, {
    processes: 3,
    redisConnected: 2,
    connections: 6,
    connectionsPerProcess: [3, 2, 1],
    channels: {
      a: { clients: 4, live: false, pollersWaiting: 1 },
      b: { clients: 1, live: true, pollersWaiting: 0 },
      c: { clients: 1, live: true, pollersWaiting: 0 },
    },
    messagesIn: 30,
    deliveries: 60,
    slowClientsDropped: 1,
    pollRequests: 0,
    pollMissed: 0,
    clientPublishes: 6,
    clientPublishFailures: 1,
  });
});

test('mergeServerStats of nothing is empty', () => {
  assert.equal(mergeServerStats([]).processes, 0);
  assert.deepEqual(mergeServerStats([]).channels, {});
});

const proc = (pid: number, cpuMs: number, cpuPercent: number, p99: number, rss: number): ProcessStats => ({
  role: 'server',
  pid,
  cpuMs,
  cpuPercent,
  eventLoopDelayMs: { p50: p99 / 2, p99, max: p99 * 2 },
  rssBytes: rss,
  peakRssBytes: rss * 2,
});

test('aggregateProcessStats: CPU and RSS summed, worst event-loop delay, the first pid', () => {
  assert.deepEqual(aggregateProcessStats([proc(10, 5, 0.5, 1, 100), proc(11, 400, 40.04, 3, 200), proc(12, 300, 30.03, 2, 300)]), {
    role: 'server',
    pid: 10,
    cpuMs: 705,
    cpuPercent: 70.6,
    eventLoopDelayMs: { p50: 1.5, p99: 3, max: 6 },
    rssBytes: 600,
    peakRssBytes: 1200,
  });
  assert.throws(() => aggregateProcessStats([]), RangeError);
});

test('mergeServerStats: memory and bytes queued for clients summed over the processes that say, the largest one client has', () => {
  const cases: { name: string; parts: Partial<ServerStats>[]; want: Partial<ServerStats> }[] = [
    {
      name: 'every process says',
      parts: [
        { rssBytes: 100, heapUsedBytes: 10, bufferedBytes: 5, maxClientBufferedBytes: 4 },
        { rssBytes: 200, heapUsedBytes: 20, bufferedBytes: 7, maxClientBufferedBytes: 6 },
      ],
      want: { rssBytes: 300, heapUsedBytes: 30, bufferedBytes: 12, maxClientBufferedBytes: 6 },
    },
    { name: 'an older server says nothing', parts: [{}, {}], want: {} },
    {
      name: 'one of two says',
      parts: [{}, { rssBytes: 50, heapUsedBytes: 5, bufferedBytes: 0, maxClientBufferedBytes: 0 }],
      want: { rssBytes: 50, heapUsedBytes: 5, bufferedBytes: 0, maxClientBufferedBytes: 0 },
    },
  ];
  for (const { name, parts, want } of cases) {
    const merged = mergeServerStats(parts.map((p) => server(p)));
    const got = {
      ...(merged.rssBytes !== undefined ? { rssBytes: merged.rssBytes } : {}),
      ...(merged.heapUsedBytes !== undefined ? { heapUsedBytes: merged.heapUsedBytes } : {}),
      ...(merged.bufferedBytes !== undefined ? { bufferedBytes: merged.bufferedBytes } : {}),
      ...(merged.maxClientBufferedBytes !== undefined ? { maxClientBufferedBytes: merged.maxClientBufferedBytes } : {}),
    };
    assert.deepEqual(got, want, name);
  }
});
