/**
 * The channels adapter against a real Django Channels app (test/fixtures/stacks/django_app) run
 * by daphne with channels_redis, once per channel layer: the default RedisChannelLayer (group
 * ZSETs, per-process queues) and RedisPubSubChannelLayer. Needs the Debian packages daphne,
 * python3-django-channels and python3-channels-redis (scripts/setup.sh --for tests installs them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { assertChatLedger, assertFullDelivery, runExampleScenario, runStack } from '../../helpers/stack-run.js';
import { assertMembershipLedger, membershipSum } from '../../helpers/membership.js';
import { FIXTURES_SRC, requireBinary, requireRuntime, startStackProcess, type StackProcess } from '../../fixtures/stacks/spawn.js';
import { groupKey } from '../../../src/targets/channels.js';

const DAPHNE = '/usr/bin/daphne';
const INSTALL = 'apt-get install daphne python3-django-channels python3-channels-redis';

let redis: EmbeddedRedis;

async function startDaphne(layer: 'groups' | 'pubsub'): Promise<StackProcess> {
  requireBinary(DAPHNE, INSTALL);
  requireRuntime('/usr/bin/python3', ['-c', 'import django, channels, channels_redis, daphne'], INSTALL);
  return startStackProcess({
    command: DAPHNE,
    args: ['-b', '127.0.0.1', '-p', '0', 'benchapp.asgi:application'],
    cwd: `${FIXTURES_SRC}django_app`,
    // Debian's python3 (not a pyenv or venv one) has the packages.
    env: { CHANNEL_LAYER: layer, REDIS_URL: `${redis.url}/0`, PYTHONPATH: `${FIXTURES_SRC}django_app`, PYTHONUNBUFFERED: '1' },
    ready: /Listening on TCP address 127\.0\.0\.1:(\d+)/,
    timeoutMs: 30_000,
  });
}

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

describe('channels, default RedisChannelLayer (groups)', () => {
  let daphne: StackProcess;
  before(async () => {
    daphne = await startDaphne('groups');
  });
  after(async () => {
    await daphne?.stop();
  });

  test('every group message reaches every client; readiness by ZCARD of the group', async () => {
    const ws = await runStack(
      `redis: { url: "${redis.url}" }
target: { kind: channels, url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/", layer: groups }
clients: { connections: 20 }
publish: { rate: 50/s, duration: 1s, channels: 2, payloadSize: 64 }
drain: 3s
`,
      'channels-groups.yaml',
    );
    // 50 publishes alternate between 2 groups of 10 clients.
    assert.equal(ws.delivery.expected, 25 * 20);
    assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify({ errors: ws.errors, samples: ws.errorSamples }));
    assert.equal(ws.delivery.lost, 0);
    // The fixture consumer says "subscribed" once per client: control, not data.
    assert.equal(ws.delivery.ignoredBy.unstamped, 20);
    assert.equal(ws.delivery.ignoredBy.misrouted, 0);
    assert.ok(ws.fanoutLatencyMs.p50 > 0 && ws.fanoutLatencyMs.p50 <= ws.fanoutLatencyMs.p99);
    console.log(
      `# channels groups: delivered ${ws.delivery.delivered}/${ws.delivery.expected} p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms`,
    );
  });

  test("chat: a client's bench.send is group_sent by the consumer through Redis; every member of the group gets it", async () => {
    const ws = await runStack(
      `redis: { url: "${redis.url}" }
target: { kind: channels, url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/", layer: groups, sendType: bench.send }
clients: { connections: 20 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 64 }
drain: 3s
`,
      'channels-chat.yaml',
    );
    assertChatLedger(ws, { senders: 4, messages: 20, warmup: 0, members: 10 }, 'channels chat (daphne, groups layer)');
  });

  test('scenarios/channels.yaml through the CLI delivers 100 % with latency percentiles', async () => {
    const { report, stdout, code } = await runExampleScenario('channels.yaml', {
      'target.url': `ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/`,
      'redis.url': redis.url,
      // One daphne process relays each message to every client itself; beyond what it keeps up
      // with, channels_redis's in-process queues (capacity 100) drop silently. Sized well below.
      'clients.connections': 30,
      'publish.rate': '30/s',
      'publish.duration': '2s',
      // The scenario as shipped has no readyMessage (a user's app sends none): readiness is the
      // group's new members. Our app still greets each client; here that greeting is ignored.
      'target.ignore': ['{"type":"subscribed","group":"bench"}'],
    });
    assert.equal(code, 0, stdout);
    assertFullDelivery(report.transports.websocket!, 30, 90, 'scenarios/channels.yaml (groups layer, 30 clients, 30/s)');
  });

  test('a member left by a dead process: its full queue is counted as stale members, never as loss or no-subscriber', async () => {
    // A member whose process never reads (a crashed server), there before the run: its queue fills to capacity.
    const client = new Redis(redis.url);
    try {
      await client.zadd(groupKey('asgi', 'stuck'), Date.now() / 1000, 'specific.deadprocess!0001');
      const ws = await runStack(
        `redis: { url: "${redis.url}" }
target: { kind: channels, url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/", capacity: 5 }
clients: { connections: 2 }
publish: { rate: 40/s, duration: 500ms, channels: [stuck], payloadSize: 64 }
drain: 2s
`,
        'channels-capacity.yaml',
      );
      // 20 publishes; the dead member's queue takes 5, the other 15 are dropped for it: stale, not
      // this run's. Should daphne's own queue fill up too (a slow machine), those drops are
      // channels.capacity and show up as losses of the live clients: the counts agree either way.
      assert.equal(ws.errors['channels.stale-members'], 15, JSON.stringify(ws.errors));
      assert.match(ws.errorSamples['channels.stale-members']!, /capacity 5.*before this run/);
      assert.equal(ws.delivery.lost, ws.errors['channels.capacity'] ?? 0, JSON.stringify(ws.delivery));
      assert.equal(ws.delivery.delivered + ws.delivery.lost, 40);
      // Every group message had members: none is "no subscriber".
      assert.equal(ws.errors['publish.no-subscriber'], undefined, JSON.stringify(ws.errors));
      assert.equal(await client.zcard('asgispecific.deadprocess!'), 5);
    } finally {
      client.disconnect();
    }
  });

  test('stale members do not make a group look ready: only members this run added count', async () => {
    const client = new Redis(redis.url);
    try {
      // The clients join group "<channel>"; the target names another group, which holds only
      // members left from before. The old ZCARD check was satisfied and the run "succeeded" with 0 %.
      const now = Date.now() / 1000;
      await client.zadd(groupKey('asgi', 'elsewhere'), now, 'specific.gone!1', now, 'specific.gone!2', now, 'specific.gone!3');
      await assert.rejects(
        runStack(
          `redis: { url: "${redis.url}" }
target: { kind: channels, url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/", group: elsewhere, readiness: { timeout: 1500ms } }
clients: { connections: 2 }
publish: { rate: 10/s, duration: 500ms, payloadSize: 64 }
`,
          'channels-stale.yaml',
        ),
        /not ready.*0 member\(s\) added by this run, waiting for 2.*3 member\(s\) from before this run are not counted/,
      );
    } finally {
      client.disconnect();
    }
  });

  test('channelsPerClient 2 over 3 groups: one connection per client group_adds both (ws/bench/?groups={channels}), readiness by ZCARD, exact ledger per (client, group)', async () => {
    const clients = 12;
    const ws = await runStack(
      `redis: { url: "${redis.url}" }
target: { kind: channels, url: "ws://127.0.0.1:${daphne.port}/ws/bench/?groups={channels}", layer: groups }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 30/s, duration: 1s, channels: 3, payloadSize: 64 }
drain: 3s
`,
      'channels-multichannel.yaml',
    );
    assert.equal(ws.throughput.publishes, 30);
    assertMembershipLedger(ws, membershipSum(clients, 2, 3, 30), 'channels, channelsPerClient 2 over 3 groups');
    assert.equal(ws.connections.opened, clients, 'one connection per client');
    // The consumer says "subscribed" once per connection (not once per group).
    assert.equal(ws.delivery.ignoredBy.unstamped, clients);
  });
});

describe('channels, RedisPubSubChannelLayer (pubsub)', () => {
  let daphne: StackProcess;
  before(async () => {
    daphne = await startDaphne('pubsub');
  });
  after(async () => {
    await daphne?.stop();
  });

  test('every group message reaches every client; readiness by the consumer’s ready message', async () => {
    const ws = await runStack(
      `redis: { url: "${redis.url}" }
target:
  kind: channels
  url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/"
  layer: pubsub
  readyMessage: '{"type":"subscribed","group":"{channel}"}'
clients: { connections: 20 }
publish: { rate: 50/s, duration: 1s, payloadSize: 64 }
drain: 3s
`,
      'channels-pubsub.yaml',
    );
    assertFullDelivery(ws, 20, 50, 'channels pubsub layer (20 clients, 50/s)');
    assert.equal(ws.delivery.ignoredBy.control, 20, 'the ready message is control');
  });

  test('chat through the pub/sub layer: group_send is a Redis PUBLISH', async () => {
    const ws = await runStack(
      `redis: { url: "${redis.url}" }
target:
  kind: channels
  url: "ws://127.0.0.1:${daphne.port}/ws/bench/{channel}/"
  layer: pubsub
  readyMessage: '{"type":"subscribed","group":"{channel}"}'
clients: { connections: 10 }
publish: { rate: 20/s, duration: 1s, via: websocket, senders: 2, payloadSize: 64 }
drain: 3s
`,
      'channels-pubsub-chat.yaml',
    );
    assertChatLedger(ws, { senders: 2, messages: 20, warmup: 0, members: 10 }, 'channels chat (daphne, pub/sub layer)');
  });
});
