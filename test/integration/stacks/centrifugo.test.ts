/**
 * The centrifugo adapter against a server that follows Centrifugo's JSON client protocol and HTTP
 * publish API (test/fixtures/stacks/centrifugo-server.ts: Centrifugo is not installable here).
 *
 * Sized for a loaded machine. With one API connection (the default, which keeps publishes in
 * order) each publish waits for the previous one's HTTP reply: the publishes a run can make are
 * bounded by the round trip through the injector, the fixture's event loop and back, and a publish
 * still queued 5 s after the schedule ends counts as failed. On this 2-core machine at load ≈ 15
 * that round trip took ≈ 50 ms (≈ 20 publishes/s), so the old 200/s runs lost their tail (200 and
 * 260 publishes); each run below makes at most 100, which even 20/s finishes in time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../../src/config/load.js';
import { runEngine } from '../../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { assertChatLedger, assertFullDelivery, runExampleScenario, runStack } from '../../helpers/stack-run.js';
import { assertMembershipLedger, membershipSum } from '../../helpers/membership.js';
import { startCentrifugoServer, type CentrifugoServer } from '../../fixtures/stacks/centrifugo-server.js';

let redis: EmbeddedRedis;
let server: CentrifugoServer;
let closed: CentrifugoServer | undefined;

before(async () => {
  redis = await startTestRedis();
  // Pushes to a client within 120 ms share a frame: at 20 messages/s per channel, two or three.
  server = await startCentrifugoServer({ apiKey: 'secret', pingMs: 300, writeDelayMs: 120 });
});
after(async () => {
  await closed?.close();
  await server?.close();
  await redis?.stop();
});

test('centrifugo: batched pushes are each counted, pings answered, every publication delivered', async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${server.port}", channel: "news:{channel}", apiKey: secret }
clients: { connections: 20 }
publish: { rate: 40/s, duration: 1s, channels: 2, payloadSize: 64 }
drain: 3s
`,
    'centrifugo.yaml',
  );
  assert.equal(ws.delivery.expected, 40 * 10, JSON.stringify({ e: ws.errors, s: ws.errorSamples, lag: ws.throughput.publisherLagMs }));
  assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify({ d: ws.delivery, e: ws.errors, s: ws.errorSamples }));
  assert.equal(ws.delivery.lost, 0);
  assert.equal(ws.delivery.ignoredBy.misrouted, 0);
  assert.ok(server.batchedFrames() > 0, 'the fixture put several pushes in one frame');
  assert.ok(server.pingsSent() > 0, 'the fixture pinged');
  assert.equal(server.pingTimeouts(), 0, 'every ping was answered');
  assert.ok(ws.delivery.ignoredBy.control > 0, 'pings and replies are control messages');
  assert.deepEqual(Object.keys(ws.errors), []);
  assert.equal(ws.delivery.reordered, 0, 'one API connection: publications arrive in publish order');
});

test('centrifugo: a refused subscription fails fast with the server’s error', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${server.port}", channel: forbidden, apiKey: secret }
clients: { connections: 2 }
publish: { rate: 10, duration: 1s }
`,
    'forbidden.yaml',
  );
  await assert.rejects(runEngine(scenario, { workers: 1, snapshotIntervalMs: 50 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'TARGET_PROTOCOL');
    assert.match(e.message, /Centrifugo answered command 2 with error 103 permission denied/);
    return true;
  });
});

test('centrifugo: a wrong API key is a counted publish error, not a silent loss', async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${server.port}", apiKey: wrong }
clients: { connections: 2 }
publish: { rate: 20/s, duration: 200ms }
drain: 500ms
`,
    'bad-key.yaml',
  );
  assert.equal(ws.errors['publish.error'], 4);
  assert.match(ws.errorSamples['publish.error']!, /answered 401/);
});

test("centrifugo chat: senders use the client protocol's publish command; every subscriber (the sender too) gets the publication", async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${server.port}", channel: "chat:{channel}", apiKey: secret }
clients: { connections: 20 }
publish: { rate: 40/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 64 }
drain: 3s
`,
    'centrifugo-chat.yaml',
  );
  assertChatLedger(ws, { senders: 4, messages: 40, warmup: 0, members: 10 }, 'centrifugo chat (fixture)');
  assert.deepEqual(ws.errors, {}, 'publish replies are control messages');
});

test("centrifugo chat where subscribers may not publish: each refusal is a counted protocol error with the server's words, the messages lost", async () => {
  closed = await startCentrifugoServer({ apiKey: 'secret', clientPublish: false });
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${closed.port}", apiKey: secret }
clients: { connections: 4 }
publish: { rate: 10/s, duration: 500ms, via: websocket, senders: 2, payloadSize: 64 }
drain: 1s
`,
    'centrifugo-refused.yaml',
  );
  assert.equal(ws.upstream!.sent, 5);
  assert.equal(ws.errors['protocol.unexpected'], 5, JSON.stringify(ws.errors));
  assert.match(ws.errorSamples['protocol.unexpected']!, /Centrifugo answered command 3 with error 103 permission denied/);
  assert.equal(ws.delivery.lost, ws.delivery.expected);
});

test('centrifugo: scenarios/centrifugo.yaml through the CLI delivers 100 % with latency percentiles', async () => {
  const { report, code, stdout } = await runExampleScenario('centrifugo.yaml', {
    'target.url': `ws://127.0.0.1:${server.port}`,
    'target.apiKey': 'secret',
    'redis.url': redis.url,
    // The scenario's settings as shipped (one API connection, readiness, warm-up, drain) at a load
    // a busy machine still carries: 50 publishes a second, 100 in all.
    'clients.connections': 50,
    'publish.rate': '50/s',
    'publish.duration': '1s',
  });
  assert.equal(code, 0, stdout);
  assertFullDelivery(report.transports.websocket!, 50, 100, 'scenarios/centrifugo.yaml (fixture, 50 clients, 50/s)');
});

test('centrifugo, channelsPerClient 2 over 3 channels: one connection per client with a subscribe per channel, exact ledger per (client, channel)', async () => {
  const clients = 12;
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: centrifugo, url: "ws://127.0.0.1:${server.port}", channel: "news:{channel}", apiKey: secret }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 30/s, duration: 1s, channels: 3, payloadSize: 64 }
drain: 3s
`,
    'centrifugo-multichannel.yaml',
  );
  assert.equal(ws.throughput.publishes, 30);
  assertMembershipLedger(ws, membershipSum(clients, 2, 3, 30), 'centrifugo, channelsPerClient 2 over 3 channels');
  assert.equal(ws.connections.opened, clients, 'one connection per client');
  assert.deepEqual(Object.keys(ws.errors), []);
});
