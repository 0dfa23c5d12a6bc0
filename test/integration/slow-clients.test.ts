/**
 * Slow consumers (clients.slow) against the reference server with real sockets: the slow clients
 * pause reading their sockets, and the report's classes show them apart from the others.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { leftoverChildren } from '../helpers/processes.js';

let redis: EmbeddedRedis;

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

function slowScenario(
  wsClient: 'fast' | 'ws',
  connections: number,
  slow: string,
  payloadSize = '1KiB',
  duration = '2s',
  target: 'ws' | 'tls' = 'ws',
  maxClientBuffer = '64MiB',
): ReturnType<typeof parseScenarioText> {
  return parseScenarioText(
    `name: slow-consumers
redis: { url: "${redis.url}" }
target: { kind: builtin, tls: ${target === 'tls' ? 'true' : 'false'}, maxClientBuffer: ${maxClientBuffer} }
clients: { connections: ${connections}, wsClient: ${wsClient}, slow: ${slow} }
publish: { rate: 100/s, duration: ${duration}, payloadSize: ${payloadSize} }
drain: 1s
`,
    'slow.yaml',
  );
}

test('5 % of 200 clients reading 16 KiB/s at 100 msg/s of 1 KiB: the slow class falls behind, the normal class gets everything', async () => {
  const report = await runEngine(slowScenario('fast', 200, '{ fraction: 5%, readRate: 16KiB/s }'), { workers: 2 });
  const ws = report.transports.websocket!;
  const { normal, slow } = ws.classes!;
  assert.equal(normal.clients, 190);
  assert.equal(slow.clients, 10);
  assert.deepEqual(slow.readThrottle, { bytesPerSec: 16 * 1024 });
  assert.equal(normal.readThrottle, null);
  // 200 publishes on one channel: every client is owed all of them.
  assert.equal(normal.delivery.expected, 190 * 200);
  assert.equal(normal.delivery.delivered, normal.delivery.expected, 'normal clients receive everything');
  assert.equal(normal.delivery.lost, 0);
  assert.equal(slow.delivery.expected, 10 * 200);
  // 100 KiB/s of messages for a client reading 16 KiB/s for about 3 s: most never arrive in time.
  assert.ok(slow.delivery.delivered < slow.delivery.expected, `slow clients got ${slow.delivery.delivered} of ${slow.delivery.expected}`);
  assert.equal(slow.delivery.delivered + slow.delivery.lost + slow.delivery.unpublished, slow.delivery.expected);
  assert.ok(slow.fanoutLatencyMs.count > 0);
  assert.ok(
    slow.fanoutLatencyMs.p50 > normal.fanoutLatencyMs.p99,
    `slow p50 ${slow.fanoutLatencyMs.p50} ms vs normal p99 ${normal.fanoutLatencyMs.p99} ms`,
  );
  // The classes add up to the transport's figures.
  assert.equal(normal.delivery.delivered + slow.delivery.delivered, ws.delivery.delivered);
  assert.equal(normal.delivery.lost + slow.delivery.lost, ws.delivery.lost);
  assert.equal(normal.fanoutLatencyMs.count + slow.fanoutLatencyMs.count, ws.fanoutLatencyMs.count);
  assert.equal(normal.connections.opened + slow.connections.opened, ws.connections.opened);
  assert.deepEqual(slow.closesByCode, {});
  // The reference server's memory over time, from its /stats.
  const sampled = ws.timeline!.intervals.filter((i) => i.server);
  assert.ok(sampled.length >= 2, `server samples in ${sampled.length} intervals`);
  for (const i of sampled) assert.ok(i.server!.rssBytes > 0 && i.server!.heapUsedBytes > 0);
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});

test('the ws library client reads slowly too, and pauseEvery/pauseFor makes the slow class slower', async () => {
  const report = await runEngine(slowScenario('ws', 20, '{ fraction: 0.1, pauseEvery: 300ms, pauseFor: 700ms }'), { workers: 1 });
  const { normal, slow } = report.transports.websocket!.classes!;
  assert.equal(slow.clients, 2);
  assert.deepEqual(slow.readThrottle, { pauseEveryMs: 300, pauseForMs: 700 });
  assert.equal(normal.delivery.delivered, normal.delivery.expected);
  assert.ok(slow.fanoutLatencyMs.max > normal.fanoutLatencyMs.max, `slow max ${slow.fanoutLatencyMs.max} vs ${normal.fanoutLatencyMs.max}`);
  assert.ok(slow.fanoutLatencyMs.max >= 300, 'a 700 ms pause shows in the slow class');
});

test("a slow reader's backlog fills the kernel's socket buffers, then the server's: the timeline shows it growing", async () => {
  // 3.2 MB/s for a client reading 16 KiB/s: about 12 MB behind by the end, more than the socket
  // buffers of a loopback connection hold (net.ipv4.tcp_wmem's 4 MiB at most here).
  const report = await runEngine(slowScenario('fast', 10, '{ fraction: 10%, readRate: 16KiB/s }', '32KiB', '3s'), { workers: 1 });
  const ws = report.transports.websocket!;
  assert.equal(ws.classes!.slow.clients, 1);
  assert.equal(ws.classes!.normal.delivery.delivered, ws.classes!.normal.delivery.expected);
  const queued = ws.timeline!.intervals.map((i) => i.server?.maxClientBufferedBytes ?? 0);
  assert.ok(Math.max(...queued) > 0, `bytes queued in the server for the slow client, by interval: ${queued.join(', ')}`);
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});

test('the server drops a slow reader past its limit: the slow class shows the close, the timeline the drop', async () => {
  // 6.4 MB/s for a client reading 256 KiB/s: more than the socket buffers of a loopback
  // connection hold within a second; the server drops a client with more than 1 MiB queued (close
  // 1013, reset 1 s later: the client never reads that far). The client learns of the reset once
  // it has read what its own socket buffer still held: a close without a close frame (1006).
  const report = await runEngine(slowScenario('fast', 10, '{ fraction: 10%, readRate: 256KiB/s }', '64KiB', '4s', 'ws', '1MiB'), {
    workers: 1,
  });
  const ws = report.transports.websocket!;
  const { normal, slow } = ws.classes!;
  assert.equal(normal.delivery.delivered, normal.delivery.expected);
  assert.deepEqual(normal.closesByCode, {});
  const dropped = ws.timeline!.intervals.map((i) => i.server?.slowClientsDropped ?? 0);
  assert.equal(Math.max(...dropped), 1, `dropped by interval: ${dropped.join(', ')}`);
  assert.deepEqual(slow.closesByCode, { 1006: 1 });
  assert.equal(slow.connections.closedEarly, 1);
  assert.equal(slow.errors['socket.dropped-1006'], 1);
  assert.ok(slow.delivery.lost > 0);
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});

test('over wss:// the fast client reads slowly too (TLS sockets pause the same way)', async () => {
  const report = await runEngine(slowScenario('fast', 20, '{ fraction: 10%, readRate: 16KiB/s }', '1KiB', '2s', 'tls'), { workers: 1 });
  const ws = report.transports.websocket!;
  assert.ok(ws.tls, 'TLS in effect');
  const { normal, slow } = ws.classes!;
  assert.equal(slow.clients, 2);
  assert.equal(normal.delivery.delivered, normal.delivery.expected);
  assert.ok(slow.delivery.delivered < slow.delivery.expected, `slow clients got ${slow.delivery.delivered} of ${slow.delivery.expected}`);
  assert.ok(
    slow.fanoutLatencyMs.p50 > normal.fanoutLatencyMs.p99,
    `slow p50 ${slow.fanoutLatencyMs.p50} vs normal p99 ${normal.fanoutLatencyMs.p99}`,
  );
});
