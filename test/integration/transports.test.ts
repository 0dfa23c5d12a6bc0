/**
 * WebSocket vs long-polling vs interval polling against the real reference server: same schedule,
 * every message delivered, bytes and requests counted from the sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { ConfigError } from '../../src/errors.js';

let redis: EmbeddedRedis;
before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

test('one run over websocket, longpoll and poll: 100% each, comparison and wire figures', async () => {
  const payload = 100;
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
transports: [websocket, longpoll, poll]
polling: { interval: 300ms }
clients: { connections: 8 }
publish: { rate: 40/s, duration: 1s, payloadSize: ${payload}, channels: 2 }
drain: 1s
`,
    'compare.yaml',
  );
  const report = await runEngine(scenario, { workers: 1 });
  assert.equal(report.run.completed, true);
  for (const name of ['websocket', 'longpoll', 'poll'] as const) {
    const t = report.transports[name]!;
    assert.ok(t, `${name} section`);
    assert.equal(t.delivery.expected, 40 * 4, `${name} expected`);
    assert.equal(t.delivery.delivered, t.delivery.expected, `${name} delivers everything`);
    assert.equal(t.delivery.duplicated + t.delivery.ignored + t.delivery.lost, 0, `${name} clean`);
    assert.equal(t.fanoutLatencyMs.count, 40 * 4);
    assert.ok(t.bytesPerDelivery > payload, `${name}: ${t.bytesPerDelivery} bytes per delivery include the payload`);
    assert.ok(t.wire.requests >= 8, `${name}: at least one request per client`);
  }
  const ws = report.transports.websocket!;
  const longpoll = report.transports.longpoll!;
  const poll = report.transports.poll!;
  // WebSocket: 8 upgrades; per delivery the payload, a 2-byte frame header and the amortised
  // handshake and close.
  assert.equal(ws.wire.requests, 8);
  assert.ok(ws.bytesPerDelivery < payload + 2 + 60, `websocket ${ws.bytesPerDelivery} B/delivery is payload + framing`);
  // Long-polling: one HTTP response (headers and all) per delivery at this rate.
  assert.ok(longpoll.bytesPerDelivery > ws.bytesPerDelivery + 100, `longpoll ${longpoll.bytesPerDelivery} includes HTTP headers`);
  assert.ok(longpoll.requestsPerDelivery >= 0.5);
  assert.ok(poll.requestsPerDelivery > 0);
  const c = report.comparison!;
  assert.deepEqual(
    c.rows.map((r) => r.transport),
    ['websocket', 'longpoll', 'poll'],
  );
  assert.deepEqual(Object.keys(c.websocketAdvantage), ['longpoll', 'poll']);
  assert.ok(c.websocketAdvantage.longpoll!.bytesPerDelivery! > 1);
  assert.equal(typeof ws.serverCpuUsPerDelivery, 'number');
});

test('interval polling with a tiny server buffer: every missed message is lost and said so', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: builtin, pollBufferSize: 3 }
transports: [poll]
polling: { interval: 500ms }
clients: { connections: 2 }
publish: { rate: 40/s, duration: 1s }
drain: 1s
`,
    'overflow.yaml',
  );
  const report = await runEngine(scenario, { workers: 1 });
  const poll = report.transports.poll!;
  assert.equal(poll.delivery.expected, 80);
  assert.ok(poll.delivery.lost > 0, 'a 3-message buffer cannot hold half a second at 40/s');
  assert.equal(poll.errors['poll.buffer-overflow'], poll.delivery.lost, 'each lost message was reported missed by the server');
  assert.equal(poll.delivery.delivered + poll.delivery.lost, 80);
});

test('polling against a target without a polling endpoint is refused before the run', () => {
  assert.throws(
    () =>
      parseScenarioText(
        `target: { kind: raw, url: "ws://127.0.0.1:9/{channel}" }
transports: [websocket, longpoll]
clients: { connections: 1 }
publish: { rate: 1, duration: 1s }
`,
        'raw.yaml',
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^raw\.yaml:2:25: transports\[1\]: "longpoll" needs a polling endpoint/);
      return true;
    },
  );
});
