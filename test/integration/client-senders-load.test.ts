/**
 * The loose ends of client senders (`publish.via: websocket`) against the reference server and a
 * real redis-server: an app that leaves the sender out (publish.echo none) — the server leaving it
 * out, and a server that echoes anyway (each own copy a named finding) — and senders under load
 * that changes: a reconnect storm with churn (messages due while a sender is away are unsent,
 * never re-sent in a burst) and stages (the rate curve spread over the senders). Each checks the
 * ledger's identity exactly, for the run and for every interval.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { TransportReport } from '../../src/results/types.js';
import { spawnServer } from '../../src/server/spawn.js';
import { startTestRedis } from '../helpers/redis.js';
import { leftoverChildren } from '../helpers/processes.js';
import { assertLeftOutLedger } from '../helpers/stack-run.js';

let redis: EmbeddedRedis;

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

async function chat(yaml: string): Promise<TransportReport> {
  const scenario = parseScenarioText(`redis: { url: "${redis.url}" }\n${yaml}`, 'senders.yaml');
  const report = await runEngine(scenario, { workers: 2, snapshotIntervalMs: 100 });
  assert.equal(report.run.completed, true, report.run.stopReason);
  return report.transports.websocket!;
}

/** delivered + lost + notOwed + unpublished == expected, for the run and for each interval; the senders' counts add up. */
function assertIdentity(ws: TransportReport): void {
  const d = ws.delivery;
  const up = ws.upstream!;
  const context = JSON.stringify({ delivery: d, upstream: up, errors: ws.errors, publishes: ws.throughput.publishes });
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, context);
  assert.equal(up.sent + up.sendFailures + up.unsent!, ws.throughput.publishes, `every message due went out or is counted: ${context}`);
  assert.equal(ws.throughput.publishFailures, up.sendFailures + up.unsent!, context);
  const intervals = ws.timeline!.intervals;
  for (const i of intervals) assert.equal(i.deliveries + i.lost + i.notOwed! + i.unpublished!, i.expected, `interval at ${i.startMs} ms`);
  const sum = (f: (i: (typeof intervals)[number]) => number) => intervals.reduce((a, i) => a + f(i), 0);
  assert.equal(
    sum((i) => i.expected!),
    d.expected,
    context,
  );
  assert.equal(
    sum((i) => i.upstream?.sent ?? 0),
    up.sent,
    context,
  );
  assert.equal(
    sum((i) => i.upstream?.unsent ?? 0),
    up.unsent,
    `the unsent over time add up: ${context}`,
  );
}

test('echo none: the built-in server (2 processes) leaves each sender out of its own messages — every other member gets each one, the sender is owed none, zero lost', async () => {
  const ws = await chat(`target: { kind: builtin, clientPublish: true, processes: 2 }
clients: { connections: 200, rampUp: 300ms }
publish: { rate: 100/s, duration: 1s, channels: 10, via: websocket, senders: 20, echo: none, payloadSize: 64 }
warmup: 200ms
drain: 2s
`);
  // 120 messages (20 warm-up + 100), 12 per room of 20 members; 2 senders per room take turns.
  assertLeftOutLedger(ws, { senders: 20, messages: 120, warmup: 20, members: 20 }, 'builtin, echo none, 2 processes');
  assert.deepEqual(ws.errors, {});
  assert.deepEqual(leftoverChildren([redis.pid]), []);
});

test('echo none with permessage-deflate, a compression stream per client (server context takeover): the sender left out of a turn keeps its own stream in step', async () => {
  const ws = await chat(`target: { kind: builtin, clientPublish: true, perMessageDeflate: { serverNoContextTakeover: false } }
clients: { connections: 20, compression: require }
publish: { rate: 100/s, duration: 1s, channels: 2, via: websocket, senders: 4, echo: none, payloadSize: 256, padding: json }
drain: 2s
`);
  assertLeftOutLedger(ws, { senders: 4, messages: 100, warmup: 0, members: 10 }, 'builtin, echo none, own deflate streams');
  assert.equal(ws.compression?.connections, 20, JSON.stringify(ws.compression));
  // No server_no_context_takeover: each client has its own compression stream on the server.
  assert.ok(
    Object.keys(ws.compression!.parameters).every((p) => !p.includes('server_no_context_takeover')),
    JSON.stringify(ws.compression),
  );
  assert.deepEqual(ws.errors, {});
});

test('senders through a restart of the built-in server: what falls due while the server is down and the senders reconnect is unsent, the identity exact', async () => {
  const ws = await chat(`target: { kind: builtin, clientPublish: true }
clients: { connections: 20, rampUp: 100ms }
publish: { rate: 40/s, duration: 3s, channels: 2, via: websocket, senders: 4, payloadSize: 64 }
drain: 2s
events:
  - { at: 1200ms, serverRestart: true, reconnect: { after: 100ms, jitter: 200ms } }
`);
  const up = ws.upstream!;
  const context = JSON.stringify({ up, d: ws.delivery, errors: ws.errors, reconnects: ws.reconnects });
  assertIdentity(ws);
  assert.equal(ws.reconnects!.count, 20, context);
  assert.ok(up.unsent! > 0, `sends while the server was down are counted: ${context}`);
  assert.equal(up.sendFailures, 0, `a planned restart is no send failure: ${context}`);
  assert.ok(up.sent > 0 && ws.delivery.delivered > 0, context);
});

test('echo none against a server that echoes: each own copy is counted as publish.unexpected-echo, ignored, never delivered; the ledger still exact', async () => {
  const server = await spawnServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1 << 20,
    perMessageDeflate: false,
    clientPublish: true,
    pollBufferSize: 100,
    longPollTimeoutMs: 1000,
  });
  try {
    const ws = await chat(`target: { kind: builtin, url: "${server.url}", clientPublish: true }
clients: { connections: 20 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, echo: none, payloadSize: 64 }
drain: 2s
`);
    const d = ws.delivery;
    const up = ws.upstream!;
    const context = JSON.stringify({ d, up, errors: ws.errors });
    assert.equal(up.sent, 20, context);
    assert.equal(up.unexpectedEchoes, 20, `every sender got each of its messages back: ${context}`);
    assert.equal(ws.errors['publish.unexpected-echo'], 20, context);
    assert.match(ws.errorSamples['publish.unexpected-echo']!, /received its own message #\d+ back, but publish\.echo is none/);
    assert.equal(d.ignoredBy.notOwed, 20, 'the echoes are ignored receipts');
    assert.equal(d.expected, 20 * 10, context);
    assert.equal(d.notOwed, 20, context);
    assert.equal(d.delivered, 20 * 9, 'the echoes are not deliveries');
    assert.equal(d.lost, 0, context);
    assert.equal(ws.echoLatencyMs!.count, 0, 'nor echo latency');
    assertIdentity(ws);
  } finally {
    await server.stop();
  }
});

test('senders through a reconnect storm (50 % reset) with churn: messages due while a sender is away are unsent (no error, unpublished), the sender goes on after, exact ledger, nothing lost', async () => {
  const ws = await chat(`target: { kind: builtin, clientPublish: true }
clients: { connections: 40, rampUp: 200ms, churn: 4/s }
publish: { rate: 80/s, duration: 3s, channels: 4, via: websocket, senders: 8, payloadSize: 64 }
warmup: 200ms
drain: 2s
events:
  - { at: 1200ms, disconnect: 50%, how: reset, reconnect: { after: 300ms, jitter: 200ms } }
`);
  const up = ws.upstream!;
  const d = ws.delivery;
  const context = JSON.stringify({ up, d, errors: ws.errors, reconnects: ws.reconnects });
  assertIdentity(ws);
  assert.equal(ws.throughput.publishes, 16 + 240, context);
  assert.equal(ws.reconnects!.dropped, 20, context);
  assert.equal(ws.reconnects!.count, 20, `every dropped client came back: ${context}`);
  // The storm took senders away for at least 300 ms: at 80/s over 8 senders, ≥ 3 of each one's messages.
  assert.ok(up.unsent! >= 3, `the storm's missed sends are counted: ${context}`);
  assert.equal(up.sendFailures, 0, `a planned drop is no send failure: ${context}`);
  assert.equal(ws.errors['publish.send-failed'], undefined, context);
  assert.ok(d.unpublished > 0, `members that stayed were owed the unsent messages, as unpublished: ${context}`);
  assert.equal(d.lost, 0, context);
  assert.ok(d.notOwed > 0, context);
  console.log(
    `# storm with churn: ${up.sent} sent, ${up.unsent} unsent, ${up.sendFailures} failed; delivered ${d.delivered}, notOwed ${d.notOwed}, unpublished ${d.unpublished}, lost ${d.lost} of ${d.expected}`,
  );
  // After the storm the senders went on: sends in the last interval with messages due.
  const last = ws.timeline!.intervals.filter((i) => i.upstream).at(-1)!;
  assert.ok(last.upstream!.sent > 0, context);
});

test('senders with stages: the rate ramps 20 → 100/s while connections rise 40 → 80; every message of the curve is sent by a sender, exact ledger, nothing lost', async () => {
  const ws = await chat(`target: { kind: builtin, clientPublish: true }
clients: { connections: 40, rampUp: 200ms }
publish: { rate: 20/s, channels: 4, via: websocket, senders: 8, payloadSize: 64 }
warmup: 500ms
drain: 2s
stages:
  - { duration: 2s, connections: 80, rate: 100/s }
  - { duration: 1s }
`);
  const up = ws.upstream!;
  const context = JSON.stringify({ up, d: ws.delivery, errors: ws.errors });
  assertIdentity(ws);
  // 20/s for 0.5 s, then the ramp's area (20 + 100) / 2 × 2 s, then 100/s for 1 s.
  assert.equal(ws.throughput.publishes, 10 + 120 + 100, context);
  assert.equal(up.sent, 230, `senders among the 40 clients kept throughout sent every message: ${context}`);
  assert.equal(up.sendFailures + up.unsent!, 0, context);
  assert.equal(ws.delivery.lost, 0, context);
  assert.equal(ws.delivery.unpublished, 0, context);
  assert.deepEqual(ws.errors, {});
  // The senders' sends follow the curve: the last full interval sent more than the first ones.
  const sends = ws.timeline!.intervals.filter((i) => i.upstream).map((i) => i.upstream!.sent);
  assert.ok(sends.length >= 3 && Math.max(...sends.slice(-2)) > sends[0]! * 2, `sends per interval follow the ramp: ${sends.join(', ')}`);
  assert.deepEqual(leftoverChildren([redis.pid]), []);
});
