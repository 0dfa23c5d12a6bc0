/**
 * The actioncable adapter against real Rails ActionCable 6.1 on puma with the Redis adapter
 * (test/fixtures/stacks/actioncable_app/config.ru, no Rails application needed). Needs the Debian
 * packages ruby-actioncable, ruby-redis and puma (scripts/setup.sh --for tests installs them).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { parseScenarioText } from '../../../src/config/load.js';
import { runEngine } from '../../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { assertChatLedger, assertFullDelivery, runExampleScenario, runStack } from '../../helpers/stack-run.js';
import { assertMembershipLedger, membershipSum } from '../../helpers/membership.js';
import {
  FIXTURES_SRC,
  freePort,
  requireBinary,
  requireRuntime,
  startStackProcess,
  type StackProcess,
} from '../../fixtures/stacks/spawn.js';

const PUMA = '/usr/bin/puma';
const PREFIX = 'bench_test';

let redis: EmbeddedRedis;
let puma: StackProcess;
let socketio: StackProcess;

before(async () => {
  requireBinary(PUMA, 'apt-get install puma ruby-actioncable ruby-redis');
  requireRuntime('ruby', ['-e', "require 'action_cable'; require 'redis'"], 'apt-get install ruby-actioncable ruby-redis');
  redis = await startTestRedis();
  const port = await freePort();
  puma = await startStackProcess({
    command: PUMA,
    args: ['-b', `tcp://127.0.0.1:${port}`, '-t', '4:8', `${FIXTURES_SRC}actioncable_app/config.ru`],
    cwd: `${FIXTURES_SRC}actioncable_app`,
    env: { REDIS_URL: `${redis.url}/0`, CABLE_PREFIX: PREFIX, RACK_ENV: 'production' },
    ready: /Listening on/,
    port,
    timeoutMs: 30_000,
  });
});
after(async () => {
  await socketio?.stop();
  await puma?.stop();
  await redis?.stop();
});

test('actioncable: every broadcast reaches every subscriber; readiness on confirm_subscription', async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: actioncable, url: "ws://127.0.0.1:${puma.port}/cable", channelPrefix: ${PREFIX} }
clients: { connections: 20 }
publish: { rate: 50/s, duration: 1s, channels: 2, payloadSize: 64 }
drain: 3s
`,
    'actioncable.yaml',
  );
  assert.equal(ws.delivery.expected, 25 * 20);
  assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify({ d: ws.delivery, e: ws.errors, s: ws.errorSamples }));
  assert.equal(ws.delivery.lost, 0);
  assert.equal(ws.delivery.ignoredBy.misrouted, 0);
  // welcome + confirm_subscription per client at least (pings come every 3 s).
  assert.ok(ws.delivery.ignoredBy.control >= 40);
  assert.ok(ws.fanoutLatencyMs.p50 > 0 && ws.fanoutLatencyMs.p50 <= ws.fanoutLatencyMs.p99);
  console.log(
    `# actioncable 2 rooms: delivered ${ws.delivery.delivered}/${ws.delivery.expected} p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms`,
  );
});

test('actioncable chat: senders perform "speak", the channel broadcasts to the room through Redis; every member gets it', async () => {
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: actioncable, url: "ws://127.0.0.1:${puma.port}/cable", channelPrefix: ${PREFIX}, sendAction: speak }
clients: { connections: 20 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 64 }
drain: 3s
`,
    'actioncable-chat.yaml',
  );
  // 20 messages over 2 rooms of 10 members, 2 senders per room.
  assertChatLedger(ws, { senders: 4, messages: 20, warmup: 0, members: 10 }, 'actioncable chat (puma, Redis adapter)');
});

test('actioncable: scenarios/actioncable.yaml through the CLI delivers 100 % with latency percentiles', async () => {
  const { report, code, stdout } = await runExampleScenario('actioncable.yaml', {
    'target.url': `ws://127.0.0.1:${puma.port}/cable`,
    'target.channelPrefix': PREFIX,
    'redis.url': redis.url,
    // One puma process with 4 ActionCable workers re-encodes and sends every message per client.
    'clients.connections': 50,
    'publish.rate': '50/s',
    'publish.duration': '2s',
  });
  assert.equal(code, 0, stdout);
  assertFullDelivery(report.transports.websocket!, 50, 150, 'scenarios/actioncable.yaml (50 clients, 50/s)');
});

test('adapters against the wrong server fail fast: what was expected and what arrived', async () => {
  socketio = await startStackProcess({
    command: process.execPath,
    args: [fileURLToPath(new URL('../../fixtures/stacks/socketio-server.js', import.meta.url)), '0', redis.url],
    ready: /listening (\d+)/,
  });
  const cases: [string, RegExp][] = [
    // A foreign Origin: ActionCable refuses the upgrade with 404, and the message says what the adapter expected.
    [
      `{ kind: actioncable, url: "ws://127.0.0.1:${puma.port}/cable", origin: "http://evil.example" }`,
      /connect\.http-404 ×2 .*accepting Origin http:\/\/evil\.example/,
    ],
    [
      `{ kind: actioncable, url: "ws://127.0.0.1:${socketio.port}/socket.io/?EIO=4&transport=websocket" }`,
      /actioncable target: expected ActionCable welcome \{"type":"welcome"\}, got "0\{\\"sid\\":/,
    ],
    // ActionCable answers 404 to a foreign Origin: these adapters send the one it accepts.
    [
      `{ kind: socketio, url: "ws://127.0.0.1:${puma.port}", path: /cable, headers: { Origin: "http://127.0.0.1:${puma.port}" } }`,
      /socketio target: expected Socket\.IO open packet "0\{…\}", got "\{\\"type\\":\\"welcome\\"\}"/,
    ],
    [
      `{ kind: centrifugo, url: "ws://127.0.0.1:${puma.port}", path: /cable, headers: { Origin: "http://127.0.0.1:${puma.port}" } }`,
      /centrifugo target: expected the Centrifugo connect reply \{"id":1,"connect":\{…\}\}, got "\{\\"type\\":\\"welcome\\"\}"/,
    ],
    [
      `{ kind: actioncable, url: "ws://127.0.0.1:${puma.port}/cable", channel: NoSuchChannel, readiness: { timeout: 3s } }`,
      /ActionCable rejected the subscription|expected ActionCable "confirm_subscription"/,
    ],
  ];
  for (const [target, message] of cases) {
    const scenario = parseScenarioText(
      `redis: { url: "${redis.url}" }
target: ${target}
clients: { connections: 2 }
publish: { rate: 10, duration: 1s }
`,
      'wrong.yaml',
    );
    await assert.rejects(runEngine(scenario, { workers: 1, snapshotIntervalMs: 50 }), (e: Error & { code?: string }) => {
      if (message.source.includes('rejected')) {
        // ActionCable 6.1 answers an unknown channel class with nothing at all: readiness times out.
        assert.ok(e.code === 'TARGET_PROTOCOL' || e.code === 'TARGET_NOT_READY', e.message);
        if (e.code === 'TARGET_NOT_READY') assert.match(e.message, /0 of 2 clients got "confirm_subscription"/);
        else assert.match(e.message, message);
      } else if (message.source.includes('http-404')) {
        assert.equal(e.code, 'TARGET_UNREACHABLE', e.message);
        assert.match(e.message, message);
      } else {
        assert.equal(e.code, 'TARGET_PROTOCOL', e.message);
        assert.match(e.message, message);
      }
      return true;
    });
  }
});

test('actioncable, channelsPerClient 2 over 4 rooms: one cable per client with a subscription per room, ready when all are confirmed, exact ledger per (client, room)', async () => {
  const clients = 16;
  const ws = await runStack(
    `redis: { url: "${redis.url}" }
target: { kind: actioncable, url: "ws://127.0.0.1:${puma.port}/cable", channelPrefix: ${PREFIX} }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 50/s, duration: 1s, channels: 4, payloadSize: 64 }
drain: 3s
`,
    'actioncable-multichannel.yaml',
  );
  assert.equal(ws.throughput.publishes, 50);
  assertMembershipLedger(ws, membershipSum(clients, 2, 4, 50), 'actioncable, channelsPerClient 2 over 4 rooms');
  assert.equal(ws.connections.opened, clients, 'one connection per client');
  // A welcome and a confirm_subscription per room on each cable, at least.
  assert.ok(ws.delivery.ignoredBy.control >= clients * 3, JSON.stringify(ws.delivery.ignoredBy));
});
