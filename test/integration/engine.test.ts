/**
 * The engine end to end with real processes: a real redis-server, the reference server (as a
 * child process), client workers (child processes) and real sockets on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { expectedFaults, HEARTBEAT, startFaultyRelay, type FaultyRelay } from '../fixtures/faulty-relay.js';
import { leftoverChildren } from '../helpers/processes.js';

let redis: EmbeddedRedis;
let relay: FaultyRelay;

before(async () => {
  redis = await startTestRedis();
  relay = await startFaultyRelay(redis.url);
});
after(async () => {
  await relay?.close();
  await redis?.stop();
});

test('builtin target: every message reaches every client, with latency and the report fields', async () => {
  const scenario = parseScenarioText(
    `name: engine-test
redis: { url: "${redis.url}" }
clients: { connections: 12, rampUp: 100ms }
publish: { rate: 200/s, duration: 1s, channels: 3, payloadSize: 100 }
warmup: 200ms
drain: 2s
`,
    'engine.yaml',
  );
  const events: EngineEvent[] = [];
  const report = await runEngine(scenario, { onEvent: (e) => events.push(e), workers: 2, snapshotIntervalMs: 100 });
  const ws = report.transports.websocket!;
  assert.equal(report.schema, 'wsbench.report/v1');
  assert.equal(report.run.completed, true);
  // 240 publishes (40 warm-up + 200) over 3 channels, 4 clients per channel.
  assert.equal(ws.throughput.publishes, 240);
  assert.equal(ws.delivery.expected, 240 * 4);
  assert.equal(ws.delivery.delivered, ws.delivery.expected);
  assert.equal(ws.delivery.lost, 0);
  assert.equal(ws.delivery.duplicated, 0);
  assert.equal(ws.delivery.ignored, 0);
  // Latency only for the measured publishes, once per client.
  assert.equal(ws.fanoutLatencyMs.count, 200 * 4);
  assert.equal(ws.firstRecipientLatencyMs.count, 200);
  assert.equal(ws.lastRecipientLatencyMs.count, 200);
  assert.equal(ws.incompletePublishes, 0);
  assert.ok(ws.fanoutLatencyMs.p50 > 0 && ws.fanoutLatencyMs.p50 <= ws.fanoutLatencyMs.p99);
  assert.ok(ws.firstRecipientLatencyMs.p50 <= ws.lastRecipientLatencyMs.p50);
  assert.equal(ws.connectLatencyMs.count, 12);
  assert.equal(ws.connections.opened, 12);
  assert.ok(ws.throughput.deliveriesPerSec > 0);
  assert.deepEqual(
    ws.tool.processes.map((p) => p.role),
    ['coordinator', 'worker', 'worker', 'server'],
  );
  for (const key of ['fanout', 'firstRecipient', 'lastRecipient', 'connect', 'publisherLag'] as const) {
    assert.match(ws.histograms[key], /^[A-Za-z0-9+/=]+$/);
  }
  const phases = events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : ''));
  assert.deepEqual(phases, ['starting-server', 'connecting', 'waiting-ready', 'warmup', 'publishing', 'draining', 'closing', 'done']);
  assert.ok(events.some((e) => e.type === 'snapshot' && e.snapshot.delivery.delivered > 0));
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});

test('raw target that drops, duplicates and reorders: the ledger reports exactly that', async () => {
  const clients = 6;
  const publishes = 60; // one channel: every client should get all 60
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${relay.url}"
  redisChannel: "relay:{channel}"
  ignore: ["${HEARTBEAT}"]
clients: { connections: ${clients} }
publish: { rate: 300/s, duration: 200ms, channels: [faulty] }
drain: 1s
report: { interval: 100ms }
`,
    'faulty.yaml',
  );
  const events: EngineEvent[] = [];
  const report = await runEngine(scenario, { workers: 1, snapshotIntervalMs: 100, onEvent: (e) => events.push(e) });
  const d = report.transports.websocket!.delivery;
  const faults = expectedFaults(publishes);
  // Nothing is started for a raw target on a given Redis: no starting-redis or starting-server phase.
  const phases = events.flatMap((e) => (e.type === 'phase' ? [e.phase] : []));
  assert.deepEqual(phases, ['connecting', 'waiting-ready', 'publishing', 'draining', 'closing', 'done']);
  assert.equal(d.expected, clients * publishes);
  assert.equal(d.lost, clients * faults.lost);
  assert.equal(d.duplicated, clients * faults.duplicated);
  assert.equal(d.reordered, clients * faults.reordered);
  assert.equal(d.delivered, clients * (publishes - faults.lost));
  assert.deepEqual(d.ignoredBy, { foreign: clients, unstamped: 0, control: clients, misrouted: 0, notOwed: 0 });
  assert.equal(d.ignored, 2 * clients);
  assert.equal(report.transports.websocket!.incompletePublishes, faults.lost);
  // The timeline puts each loss where the dropped message was due: an interval's publishes are a
  // run of sequence numbers, and every 10th from 3 was dropped for every client.
  let seq = 0;
  for (const i of report.transports.websocket!.timeline!.intervals) {
    const dropped = Array.from({ length: i.publishes }, (_, k) => seq + k).filter((k) => k % 10 === 3).length;
    assert.equal(i.lost, clients * dropped, `interval at ${i.startMs} ms: sequences ${seq}..${seq + i.publishes - 1}`);
    assert.equal(i.deliveries, clients * (i.publishes - dropped));
    seq += i.publishes;
  }
  assert.equal(seq, publishes);
});

test('an unreachable target fails setup with one line naming the error', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: raw, url: "ws://127.0.0.1:1/ws/{channel}", readiness: { numsub: 0 } }
clients: { connections: 3, connectTimeout: 2s }
publish: { rate: 10, duration: 1s }
`,
    'unreachable.yaml',
  );
  await assert.rejects(runEngine(scenario, { workers: 1 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'TARGET_UNREACHABLE');
    assert.match(e.message, /no connection to raw ws:\/\/127\.0\.0\.1:1\/ws\/\{channel\} could be opened: connect\.ECONNREFUSED ×3/);
    return true;
  });
});

test('a target that listens to another Redis than the one wsbench started: the readiness failure says so', async () => {
  // The relay subscribes on the test Redis; without redis.url wsbench starts its own and waits on it.
  const scenario = parseScenarioText(
    `target:
  kind: raw
  url: "${relay.url}"
  readiness: { timeout: 500ms }
clients: { connections: 2 }
publish: { rate: 10, duration: 1s }
`,
    'other-redis.yaml',
  );
  await assert.rejects(runEngine(scenario, { workers: 1 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'TARGET_NOT_READY');
    assert.match(e.message, /PUBSUB NUMSUB bench = 0, waiting for 2/);
    assert.match(
      e.message,
      /wsbench started its own Redis \(no redis\.url or --redis\): if your server listens to another Redis, give its URL with --redis/,
    );
    return true;
  });
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});
