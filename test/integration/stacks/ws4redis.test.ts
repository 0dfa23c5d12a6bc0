/**
 * The ws4redis adapter against a server that follows django-websocket-redis's spec
 * (test/fixtures/stacks/ws4redis-server.ts: the real one is not installable here).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { assertChatLedger, assertFullDelivery, runExampleScenario, runStack } from '../../helpers/stack-run.js';
import { assertMembershipLedger, membershipSum } from '../../helpers/membership.js';
import { startWs4redisServer, type Ws4redisServer } from '../../fixtures/stacks/ws4redis-server.js';

let redis: EmbeddedRedis;
let server: Ws4redisServer;
let guarded: Ws4redisServer | undefined;

before(async () => {
  redis = await startTestRedis();
  server = await startWs4redisServer({ redisUrl: redis.url, prefix: 'site', heartbeat: '--heartbeat--' });
});
after(async () => {
  await guarded?.close();
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

test('ws4redis chat: senders publish into their facility (publish-broadcast), echo brings their own back; every member gets it', async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: ws4redis, url: "ws://127.0.0.1:${server.port}", prefix: site, heartbeat: "--heartbeat--", expire: 0, readiness: { settle: 500ms } }
clients: { connections: 10 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 80 }
drain: 3s
`,
    'ws4redis-chat.yaml',
  );
  assertChatLedger(ws, { senders: 4, messages: 20, warmup: 0, members: 5 }, 'ws4redis chat (fixture)');
});

test('ws4redis chat where WS4REDIS_ALLOWED_CHANNELS takes the publish flag away: the sends go out, nothing is published — every message lost, none delivered', async () => {
  guarded = await startWs4redisServer({
    redisUrl: redis.url,
    allowedChannels: (flags) => flags.filter((f) => !f.startsWith('publish-')),
  });
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: ws4redis, url: "ws://127.0.0.1:${guarded.port}", expire: 0 }
clients: { connections: 6 }
publish: { rate: 10/s, duration: 1s, via: websocket, senders: 2, payloadSize: 80, channels: [guarded] }
drain: 1s
`,
    'ws4redis-guarded.yaml',
  );
  const up = ws.upstream!;
  assert.equal(up.sent, 10, JSON.stringify(up));
  assert.equal(up.sendFailures, 0);
  assert.equal(ws.delivery.delivered, 0);
  assert.equal(ws.delivery.lost, ws.delivery.expected, 'loss, never silent: the server dropped what was sent');
  assert.equal(ws.delivery.expected, 10 * 6);
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

test('ws4redis, channelsPerClient 2 over 3 facilities: the facility is the URL path, so a connection per (client, facility); exact ledger', async () => {
  const clients = 6;
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target:
  { kind: ws4redis, url: "ws://127.0.0.1:${server.port}", prefix: site, heartbeat: "--heartbeat--", expire: 0, readiness: { settle: 500ms } }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 60/s, duration: 500ms, channels: 3, payloadSize: 80 }
drain: 3s
`,
    'ws4redis-multichannel.yaml',
  );
  assert.equal(ws.throughput.publishes, 30);
  assertMembershipLedger(ws, membershipSum(clients, 2, 3, 30), 'ws4redis, channelsPerClient 2 over 3 facilities');
  assert.equal(ws.connections.opened, clients * 2, 'a connection per (client, facility)');
});
