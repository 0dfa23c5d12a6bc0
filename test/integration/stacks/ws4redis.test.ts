/**
 * The ws4redis adapter against a server that follows django-websocket-redis's spec
 * (test/fixtures/stacks/ws4redis-server.ts: the real one is not installable here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { assertFullDelivery, runExampleScenario, runStack } from '../../helpers/stack-run.js';
import { startWs4redisServer, type Ws4redisServer } from '../../fixtures/stacks/ws4redis-server.js';

let redis: EmbeddedRedis;
let server: Ws4redisServer;

before(async () => {
  redis = await startTestRedis();
  server = await startWs4redisServer({ redisUrl: redis.url, prefix: 'site', heartbeat: '--heartbeat--' });
});
after(async () => {
  await server?.close();
  await redis?.stop();
});

// ws4redis replays right after it SUBSCRIBEd: a publish in between would reach a new client twice
// (live and replayed), so readiness settles a moment past NUMSUB, as the example scenario does.
const scenario = (clients: number, extra = '') => `redis: { url: "${redis.url}" }
target:
  { kind: ws4redis, url: "ws://127.0.0.1:${server.port}", prefix: site, heartbeat: "--heartbeat--", readiness: { settle: 500ms }${extra} }
clients: { connections: ${clients} }
publish: { rate: 100/s, duration: 500ms, payloadSize: 80 }
drain: 3s
`;

test('ws4redis: prefix, heartbeats ignored, every message delivered; the next run sees the replay as foreign', async () => {
  const first = await runStack(scenario(10), 'ws4redis.yaml');
  assertFullDelivery(first, 10, 50, 'ws4redis broadcast (fixture)');
  // A heartbeat after each message: control, never data.
  assert.equal(first.delivery.ignoredBy.control, 10 * 50);
  // The publisher SETEXes as RedisPublisher does; the server replays it to each new client.
  const second = await runStack(scenario(10), 'ws4redis.yaml');
  assertFullDelivery(second, 10, 50, 'ws4redis second run');
  assert.equal(second.delivery.ignoredBy.foreign, 10, 'the replayed message of the first run');
});

test('ws4redis: the user audience publishes to <prefix>:user:<who>:<facility>', async () => {
  const ws = await runStack(
    scenario(5, `, audience: user, who: alice, expire: 0, headers: { Cookie: "wsbench-who=alice" }`),
    'ws4redis-user.yaml',
  );
  assertFullDelivery(ws, 5, 50, 'ws4redis user audience (fixture)');
  assert.equal(ws.delivery.ignoredBy.foreign, 0, 'expire 0: nothing stored, nothing replayed');
});

test('ws4redis: scenarios/ws4redis.yaml through the CLI delivers 100 % with latency percentiles', async () => {
  const { report, code, stdout } = await runExampleScenario('ws4redis.yaml', {
    'target.url': `ws://127.0.0.1:${server.port}`,
    'target.prefix': 'site',
    'redis.url': redis.url,
    'clients.rampUp': '200ms',
    warmup: '500ms',
    'publish.duration': '2s',
  });
  assert.equal(code, 0, stdout);
  assertFullDelivery(report.transports.websocket!, 100, 125, 'scenarios/ws4redis.yaml (fixture, 100 clients, 50/s)');
});
