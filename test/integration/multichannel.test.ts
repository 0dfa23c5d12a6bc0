/**
 * Clients in several channels (clients.channelsPerClient, clients.membership) against the real
 * reference server: one connection per client on /ws?channels=…, a ledger per (client, channel);
 * and where one connection cannot carry several channels (a raw relay, polling), a connection per
 * (client, channel).
 * What each channel is owed is counted here from the rule as the README states it, not from the code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { assertMembershipLedger, membershipSum, publishesPerChannel } from '../helpers/membership.js';
import { startWsRelay, type WsRelay } from '../fixtures/ws-relay.js';

let redis: EmbeddedRedis;
let relay: WsRelay;

before(async () => {
  redis = await startTestRedis();
  relay = await startWsRelay(redis.url);
});
after(async () => {
  await relay?.close();
  await redis?.stop();
});

test('builtin, channelsPerClient 3 over 10 channels: one connection per client, expected = the membership sum, 100 % delivered', async () => {
  const clients = 20;
  const report = await runEngine(
    parseScenarioText(
      `redis: { url: "${redis.url}" }
clients: { connections: ${clients}, rampUp: 100ms, channelsPerClient: 3 }
publish: { rate: 200/s, duration: 1s, channels: 10, payloadSize: 64 }
warmup: 200ms
drain: 2s
`,
      'multichannel.yaml',
    ),
    { workers: 2, snapshotIntervalMs: 100 },
  );
  const ws = report.transports.websocket!;
  assert.equal(ws.throughput.publishes, 240);
  assertMembershipLedger(ws, membershipSum(clients, 3, 10, 240), 'builtin, channelsPerClient 3 over 10 channels');
  assert.equal(ws.delivery.expected, 1_440, 'each of the 240 messages has 6 members (20 × 3 / 10)');
  assert.equal(ws.connections.opened, clients, 'one connection per client');
  assert.equal(ws.connections.target, clients);
  assert.ok(ws.fanoutLatencyMs.count > 0 && ws.fanoutLatencyMs.p50 <= ws.fanoutLatencyMs.p99);
});

test('builtin, explicit membership with churn and a reset storm: expected per (client, channel), the ledger identity exact, nothing lost', async () => {
  const clients = 40;
  const groups = [['bench-0', 'bench-1', 'bench-2'], ['bench-3']];
  const report = await runEngine(
    parseScenarioText(
      `redis: { url: "${redis.url}" }
clients: { connections: ${clients}, rampUp: 100ms, churn: 10/s, membership: ${JSON.stringify(groups)} }
publish: { rate: 100/s, duration: 2s, channels: 4, payloadSize: 64 }
warmup: 200ms
drain: 2s
events:
  - { at: 1s, disconnect: 50%, how: reset, reconnect: { after: 0s, jitter: 300ms } }
`,
      'multichannel-churn.yaml',
    ),
    { workers: 2, snapshotIntervalMs: 100 },
  );
  const ws = report.transports.websocket!;
  const d = ws.delivery;
  const why = JSON.stringify({ delivery: d, errors: ws.errors, samples: ws.errorSamples });
  assert.equal(ws.throughput.publishes, 220, why);
  // Client i is in the channels of group i mod 2; every client is present from the start to the end.
  const perChannel = publishesPerChannel(220, 4);
  let owed = 0;
  for (let i = 0; i < clients; i++) for (const name of groups[i % 2]!) owed += perChannel[Number(name.slice('bench-'.length))]!;
  assert.equal(d.expected, owed, why);
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, `identity: ${why}`);
  assert.equal(d.lost, 0, why);
  assert.equal(d.duplicated, 0, why);
  assert.equal(d.ignoredBy.misrouted, 0, why);
  assert.ok(d.notOwed > 0, `churned and stormed clients were away for a while: ${why}`);
  assert.ok(ws.connections.churn && ws.connections.churn.closed > 0, why);
  assert.equal(ws.reconnects!.dropped, ws.reconnects!.count, 'every stormed client came back');
  const intervals = ws.timeline!.intervals;
  for (const i of intervals)
    assert.equal(i.deliveries + i.lost + i.notOwed! + i.unpublished!, i.expected, `interval at ${i.startMs} ms adds up`);
  assert.equal(
    intervals.reduce((a, i) => a + i.expected!, 0),
    d.expected,
    'the intervals’ expected add up to the run’s',
  );
});

test('raw relay (one channel per URL), channelsPerClient 2 over 3 channels with a storm: a connection per (client, channel), exact ledger', async () => {
  const clients = 12;
  const report = await runEngine(
    parseScenarioText(
      `redis: { url: "${redis.url}" }
target: { kind: raw, url: "${relay.url}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 60/s, duration: 1500ms, channels: 3, payloadSize: 64 }
drain: 2s
events:
  - { at: 700ms, disconnect: 50%, how: reset, reconnect: { after: 0s, jitter: 200ms } }
`,
      'multichannel-raw.yaml',
    ),
    { workers: 2, snapshotIntervalMs: 100 },
  );
  const ws = report.transports.websocket!;
  const d = ws.delivery;
  const why = JSON.stringify({ delivery: d, errors: ws.errors, samples: ws.errorSamples, reconnects: ws.reconnects });
  assert.equal(ws.throughput.publishes, 90, why);
  assert.equal(d.expected, membershipSum(clients, 2, 3, 90), why);
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, `identity: ${why}`);
  assert.equal(d.lost, 0, why);
  assert.equal(d.duplicated, 0, why);
  assert.equal(d.ignoredBy.misrouted, 0, why);
  assert.ok(d.notOwed > 0, `the stormed connections were away for a while: ${why}`);
  assert.equal(ws.connections.opened, clients * 2, 'a connection per (client, channel): connections, not clients');
  assert.equal(ws.connections.target, clients * 2, 'the target counts the same connections');
  // A client's connections drop together (the storm decides by client index): an even number.
  assert.equal(ws.reconnects!.dropped % 2, 0, why);
  assert.equal(ws.reconnects!.count, ws.reconnects!.dropped, why);
});

test('builtin over long-polling, channelsPerClient 2 over 3 channels: a poller per (client, channel), 100 % delivered', async () => {
  const clients = 9;
  const report = await runEngine(
    parseScenarioText(
      `redis: { url: "${redis.url}" }
clients: { connections: ${clients}, channelsPerClient: 2 }
publish: { rate: 60/s, duration: 1s, channels: 3, payloadSize: 64 }
transports: [longpoll]
polling: { longPollTimeout: 2s }
drain: 2s
`,
      'multichannel-longpoll.yaml',
    ),
    { workers: 1, snapshotIntervalMs: 100 },
  );
  const lp = report.transports.longpoll!;
  assertMembershipLedger(lp, membershipSum(clients, 2, 3, 60), 'builtin longpoll, channelsPerClient 2 over 3 channels');
  assert.equal(lp.connections.opened, clients * 2, 'a poller per (client, channel)');
  assert.equal(lp.connections.target, clients * 2);
});
