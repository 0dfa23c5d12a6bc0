/**
 * Client-sent messages (`publish.via: websocket`) end to end against the reference server with
 * client publishing: senders in the workers send the schedule through their WebSockets, the server
 * PUBLISHes each message into Redis, every server process fans it out, every member measures the
 * chat round trip; the ledger, the senders' figures and the timeline are checked exactly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { leftoverChildren } from '../helpers/processes.js';
import { assertChatLedger, assertLeftOutLedger } from '../helpers/stack-run.js';
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';

let redis: EmbeddedRedis;

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await redis?.stop();
});

test('500 clients, 50 senders × 4 msg/s through a 2-process reference server: 100 % to every member, round trip and bufferedAmount reported, exact ledger', async () => {
  const scenario = parseScenarioText(
    `name: chat-acceptance
redis: { url: "${redis.url}" }
target: { kind: builtin, clientPublish: true, processes: 2 }
clients: { connections: 500, rampUp: 500ms }
publish: { rate: 200/s, duration: 2s, channels: 10, via: websocket, senders: 50, payloadSize: 64 }
warmup: 250ms
drain: 3s
`,
    'chat.yaml',
  );
  const report = await runEngine(scenario, { workers: 2, snapshotIntervalMs: 100 });
  assert.equal(report.run.completed, true);
  const ws = report.transports.websocket!;
  // 450 messages (50 warm-up + 400), 45 per room of 50 members; each sender sends every 5th of its room's.
  assertChatLedger(ws, { senders: 50, messages: 450, warmup: 50, members: 50 }, '500 clients, 50 senders × 4/s, 2 server processes');
  assert.deepEqual(ws.errors, {});
  // Every member of every room got every message of its room, from senders in both workers.
  assert.equal(ws.incompletePublishes, 0);
  assert.deepEqual(leftoverChildren([redis.pid]), []);
});

test('a sender whose messages the server refuses (over maxPayload: closed with 1009): later sends fail, unpublished; the ledger still adds up', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: builtin, clientPublish: true, maxPayload: 32 }
clients: { connections: 20 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 64 }
drain: 1s
`,
    'refused.yaml',
  );
  const ws = (await runEngine(scenario, { workers: 1, snapshotIntervalMs: 50 })).transports.websocket!;
  const up = ws.upstream!;
  const d = ws.delivery;
  const context = JSON.stringify({ up, d, errors: ws.errors });
  // Each sender's first message went out and closed it (the server never published it: lost for
  // its 10 members); its later messages found it closed: not sent, owed to nobody.
  assert.equal(ws.errors['socket.closed-1009'], 4, context);
  assert.equal(up.sent + up.sendFailures, 20, context);
  assert.ok(up.sent >= 4 && up.sendFailures > 0, context);
  assert.equal(ws.errors['publish.send-failed'], up.sendFailures, context);
  const intervals = ws.timeline!.intervals;
  assert.equal(
    intervals.reduce((a, i) => a + (i.upstream?.sendFailures ?? 0), 0),
    up.sendFailures,
    'the failed sends over time add up',
  );
  assert.equal(
    intervals.reduce((a, i) => a + (i.upstream?.sent ?? 0), 0),
    up.sent,
    context,
  );
  assert.equal(ws.throughput.publishFailures, up.sendFailures, context);
  assert.equal(d.delivered, 0, context);
  assert.equal(d.expected, 20 * 10, context);
  assert.equal(d.unpublished, up.sendFailures * 10, context);
  assert.equal(d.lost, up.sent * 10, context);
  assert.equal(d.delivered + d.lost + d.unpublished, d.expected, context);
  assert.match(ws.errorSamples['publish.send-failed']!, /whose connection was not open/);
});

test('the ws library client sends too (text payloads); stopped early, what was due and not sent is unpublished and the ledger adds up', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: builtin, clientPublish: true }
clients: { connections: 30, wsClient: ws }
publish: { rate: 60/s, duration: 5s, channels: 3, via: websocket, senders: "20%", encoding: text, payloadSize: 80 }
drain: 1s
`,
    'stopped.yaml',
  );
  const stop = new AbortController();
  let publishing = false;
  const report = await runEngine(scenario, {
    workers: 2,
    snapshotIntervalMs: 50,
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === 'phase' && e.phase === 'publishing' && !publishing) {
        publishing = true;
        setTimeout(() => stop.abort(), 1200);
      }
    },
  });
  assert.equal(report.run.completed, false);
  const ws = report.transports.websocket!;
  const up = ws.upstream!;
  const d = ws.delivery;
  const context = JSON.stringify({ up, d, errors: ws.errors, publishes: ws.throughput.publishes });
  assert.equal(up.senders, 6, '20 % of 30');
  assert.ok(ws.throughput.publishes > 0 && ws.throughput.publishes < 300, context);
  // Messages [0, publishes) were due; each went out (owed to its room's 10 members) or not (unpublished).
  assert.equal(up.sent + up.sendFailures, ws.throughput.publishes, context);
  assert.equal(ws.errors['publish.send-failed'] ?? 0, up.sendFailures, 'every message not sent is counted, also those the stop cut off');
  assert.equal(d.expected, ws.throughput.publishes * 10, context);
  assert.equal(d.unpublished, up.sendFailures * 10, context);
  assert.equal(d.delivered + d.lost + d.unpublished, d.expected, context);
  // What went out was delivered, unless the run stopped while it was on its way (no drain when stopped).
  assert.equal(d.delivered + d.lost, up.sent * 10, context);
});

test('bufferedAmount is what the sender’s socket still holds: an 8 MiB message cannot be handed to the kernel at once', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: builtin, clientPublish: true, maxPayload: 16MiB }
clients: { connections: 2 }
publish: { rate: 4/s, duration: 1s, via: websocket, senders: 1, payloadSize: 8MiB }
drain: 3s
`,
    'big.yaml',
  );
  const ws = (await runEngine(scenario, { workers: 1, snapshotIntervalMs: 50 })).transports.websocket!;
  const up = ws.upstream!;
  assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify(ws.delivery));
  assert.equal(up.sent, 4);
  // A loopback socket's send buffer is far below 8 MiB: most of each frame waits in the socket.
  assert.ok(up.bufferedAmountBytes.max > 1024 * 1024, JSON.stringify(up));
  // At most what was sent (frames of 8 MiB + 14 header bytes: when the server is slow to read, a
  // later send finds earlier frames still queued), read from the histogram: within its 0.1 % precision.
  assert.ok(up.bufferedAmountBytes.max <= 4 * (8 * 1024 * 1024 + 14) * 1.001, JSON.stringify(up));
});

test('senders over wss:// with permessage-deflate (TLS and compression from issue 18): the same exact chat ledger', async () => {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target: { kind: builtin, clientPublish: true, tls: true, perMessageDeflate: true }
clients: { connections: 20, compression: offer }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 4, payloadSize: 256, padding: json }
drain: 2s
`,
    'chat-wss.yaml',
  );
  const ws = (await runEngine(scenario, { workers: 1, snapshotIntervalMs: 50 })).transports.websocket!;
  assertChatLedger(ws, { senders: 4, messages: 20, warmup: 0, members: 10 }, 'chat over wss:// with permessage-deflate');
  assert.equal(ws.tls?.handshakes, 20, JSON.stringify(ws.tls));
  assert.equal(ws.compression?.connections, 20, JSON.stringify(ws.compression));
  assert.deepEqual(ws.errors, {});
});

test('a running `wsbench serve --client-publish` (target.url): the chat through it, with --leave-sender-out the sender left out; without the flag every message sent is lost, never silently', async () => {
  const started: ReturnType<typeof spawn>[] = [];
  const serve = async (extra: string[]): Promise<string> => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--processes', '1', '--redis', redis.url, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/Press Ctrl-C/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (ws:\/\/\S+)/.exec(out)?.[1];
    assert.ok(url, out);
    if (extra.includes('--client-publish')) assert.match(out, /client messages are PUBLISHed there/);
    if (extra.includes('--leave-sender-out')) assert.match(out, /their sender left out/);
    return url;
  };
  const chat = (url: string, echo = 'expected') =>
    parseScenarioText(
      `redis: { url: "${redis.url}" }
target: { kind: builtin, url: "${url}", clientPublish: true }
clients: { connections: 10 }
publish: { rate: 20/s, duration: 1s, channels: 2, via: websocket, senders: 2, echo: ${echo}, payloadSize: 64 }
drain: 1s
`,
      'serve-chat.yaml',
    );
  try {
    const on = (await runEngine(chat(await serve(['--client-publish'])), { workers: 1 })).transports.websocket!;
    assertChatLedger(on, { senders: 2, messages: 20, warmup: 0, members: 5 }, 'wsbench serve --client-publish');
    // An app that leaves the sender out: wsbench serve --leave-sender-out, and the scenario says echo none.
    const leftOut = (await runEngine(chat(await serve(['--client-publish', '--leave-sender-out']), 'none'), { workers: 1 })).transports
      .websocket!;
    assertLeftOutLedger(leftOut, { senders: 2, messages: 20, warmup: 0, members: 5 }, 'wsbench serve --client-publish --leave-sender-out');
    // The scenario cannot know how a running server was started: a server without the flag drops what clients send.
    const off = (await runEngine(chat(await serve([])), { workers: 1 })).transports.websocket!;
    assert.equal(off.upstream!.sent, 20);
    assert.equal(off.delivery.delivered, 0);
    assert.equal(off.delivery.lost, off.delivery.expected);
    assert.equal(off.delivery.expected, 20 * 5);
  } finally {
    for (const child of started) {
      child.kill('SIGINT');
      const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(stuck);
    }
  }
});
