import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { startReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { decodePollBatch } from '../../src/wire/poll-batch.js';

let redis: EmbeddedRedis;
let server: ReferenceServer;
let publisher: Redis;

before(async () => {
  redis = await startTestRedis();
  server = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    channelPrefix: 'pfx:',
  });
  publisher = new Redis(redis.url);
});
after(async () => {
  publisher?.disconnect();
  await server?.close();
  await redis?.stop();
});

function open(path: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url + path);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function untilLive(channel: string, clients: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const stats = server.stats().channels[channel];
    if (stats?.live && stats.clients >= clients) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`channel ${channel} never became live`);
}

test('relays Redis messages verbatim: UTF-8 as text frames, other bytes as binary', async () => {
  const ws = await open('/ws/news%20room');
  await untilLive('news room', 1);
  const received: { data: Buffer; isBinary: boolean }[] = [];
  const two = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer, isBinary) => {
      received.push({ data, isBinary });
      if (received.length === 2) resolve();
    }),
  );
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x10]);
  assert.equal(await publisher.publish('pfx:news room', 'héllo'), 1);
  await publisher.publish('pfx:news room', binary);
  await two;
  assert.deepEqual(received[0], { data: Buffer.from('héllo'), isBinary: false });
  assert.deepEqual(received[1], { data: binary, isBinary: true });
  ws.close();
});

test('health and stats endpoints', async () => {
  const http = server.url.replace('ws://', 'http://');
  const health = await fetch(`${http}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true, redis: 'connected' });
  const ws = await open('/ws/stats-test');
  await untilLive('stats-test', 1);
  const stats = (await (await fetch(`${http}/stats`)).json()) as { channels: Record<string, { clients: number; live: boolean }> };
  assert.deepEqual(stats.channels['stats-test'], { clients: 1, live: true, pollersWaiting: 0 });
  assert.equal((stats as unknown as { processes: number }).processes, 1);
  ws.close();
  const missing = await fetch(`${http}/nope`);
  assert.equal(missing.status, 404);
});

test('an upgrade outside /ws/<channel> gets a 404 with a reason', async () => {
  await assert.rejects(open('/elsewhere'), /Unexpected server response: 404/);
});

test('messages above maxPayload from a client close it with 1009', async () => {
  const ws = await open('/ws/big');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send(Buffer.alloc(4096));
  assert.equal(await closed, 1009);
});

test('long-poll: join gives a cursor, a held poll is answered by the next message, bad cursors are refused', async () => {
  const http = server.url.replace('ws://', 'http://');
  const join = await fetch(`${http}/poll/lp`);
  assert.equal(join.status, 200);
  const cursor = Number(join.headers.get('x-wsbench-cursor'));
  assert.equal(cursor, 0);
  const held = fetch(`${http}/poll/lp?after=${cursor}&timeout=10000`);
  // The poll is held until something is published.
  for (let i = 0; i < 200 && server.stats().channels['lp']?.pollersWaiting !== 1; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.stats().channels['lp']?.pollersWaiting, 1);
  await publisher.publish('pfx:lp', 'first');
  const answer = await held;
  assert.equal(answer.headers.get('x-wsbench-cursor'), '1');
  const messages: string[] = [];
  decodePollBatch(Buffer.from(await answer.arrayBuffer()), (data, start, end) => messages.push(data.toString('utf8', start, end)));
  assert.deepEqual(messages, ['first']);
  const empty = await fetch(`${http}/poll/lp?after=1&timeout=0`);
  assert.equal(empty.headers.get('x-wsbench-cursor'), '1');
  assert.equal((await empty.arrayBuffer()).byteLength, 0);
  assert.equal((await fetch(`${http}/poll/lp?after=-1`)).status, 400);
});

/** Collects every message of a client (data, binary flag) until `count` arrived. */
function collect(ws: WebSocket, count: number): Promise<{ data: Buffer; isBinary: boolean }[]> {
  const got: { data: Buffer; isBinary: boolean }[] = [];
  return new Promise((resolve) => {
    ws.on('message', (data: Buffer, isBinary) => {
      got.push({ data, isBinary });
      if (got.length === count) resolve(got);
    });
  });
}

test('batched writes: many messages in one turn reach every client, all of them, in order', async () => {
  const clients = await Promise.all(Array.from({ length: 5 }, () => open('/ws/batch')));
  await untilLive('batch', 5);
  const count = 2000;
  const received = clients.map((ws) => collect(ws, count));
  const before = server.stats().deliveries;
  // One pipeline: Redis sends these back-to-back, so many arrive in one read (one turn).
  const pipe = publisher.pipeline();
  for (let i = 0; i < count; i++) pipe.publish('pfx:batch', `m${i}`);
  await pipe.exec();
  for (const got of await Promise.all(received)) {
    assert.equal(got.length, count);
    got.forEach((m, i) => assert.equal(m.data.toString(), `m${i}`));
    assert.ok(got.every((m) => !m.isBinary));
  }
  assert.equal(server.stats().deliveries - before, count * 5);
  for (const ws of clients) ws.close();
});

test('mixed text and binary frames across the 7-bit, 16-bit and 64-bit length forms', async () => {
  const ws = await open('/ws/sizes');
  const other = await open('/ws/sizes');
  await untilLive('sizes', 2);
  const payloads: { data: Buffer; isBinary: boolean }[] = [];
  for (const size of [0, 1, 125, 126, 127, 65535, 65536, 200_000]) {
    payloads.push({ data: Buffer.alloc(size, 0x7a), isBinary: false });
    const bin = Buffer.alloc(size, 0xff);
    if (size > 1) bin[1] = 0x00;
    payloads.push({ data: bin, isBinary: size > 0 });
  }
  const received = [ws, other].map((c) => collect(c, payloads.length));
  const pipe = publisher.pipeline();
  for (const p of payloads) pipe.publish('pfx:sizes', p.data);
  await pipe.exec();
  for (const got of await Promise.all(received)) {
    assert.equal(got.length, payloads.length);
    got.forEach((m, i) => {
      assert.equal(m.data.length, payloads[i]!.data.length, `message ${i}`);
      assert.ok(m.data.equals(payloads[i]!.data), `message ${i} bytes`);
      assert.equal(m.isBinary, payloads[i]!.isBinary, `message ${i} kind`);
    });
  }
  ws.close();
  other.close();
});

test('a client that stops reading is dropped (1013) and counted; the others still get everything', async () => {
  const small = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    maxBufferedBytes: 256 * 1024,
  });
  try {
    const url = small.url + '/ws/slow';
    const reader = await new Promise<WebSocket>((resolve, reject) => {
      const c = new WebSocket(url);
      c.once('open', () => resolve(c));
      c.once('error', reject);
    });
    const stalled = await new Promise<WebSocket>((resolve, reject) => {
      const c = new WebSocket(url);
      c.once('open', () => resolve(c));
      c.once('error', reject);
    });
    for (let i = 0; i < 200 && !(small.stats().channels['slow']?.live && small.stats().channels['slow']!.clients === 2); i++)
      await new Promise((r) => setTimeout(r, 10));
    // Stop reading: the kernel buffers fill, then the server's send buffer grows past the limit.
    (stalled as unknown as { _socket: Socket })._socket.pause();
    const count = 400;
    const got = collect(reader, count);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < count; i++) await publisher.publish('slow', chunk);
    assert.equal((await got).length, count);
    for (let i = 0; i < 200 && small.stats().slowClientsDropped === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(small.stats().slowClientsDropped, 1);
    assert.equal(small.stats().channels['slow']?.clients, 1);
    reader.close();
    stalled.terminate();
  } finally {
    await small.close();
  }
});

test('permessage-deflate clients keep the ws send path: every message, in order', async () => {
  const deflating = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: true,
  });
  try {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const c = new WebSocket(deflating.url + '/ws/zip', { perMessageDeflate: true });
      c.once('open', () => resolve(c));
      c.once('error', reject);
    });
    assert.match(ws.extensions, /permessage-deflate/);
    for (let i = 0; i < 200 && !deflating.stats().channels['zip']?.live; i++) await new Promise((r) => setTimeout(r, 10));
    const count = 300;
    const got = collect(ws, count);
    const pipe = publisher.pipeline();
    for (let i = 0; i < count; i++) pipe.publish('zip', i % 2 ? `text ${i} `.repeat(20) : Buffer.from([0xff, i & 0xff, 0x00]));
    await pipe.exec();
    const messages = await got;
    messages.forEach((m, i) => {
      if (i % 2) assert.deepEqual(m, { data: Buffer.from(`text ${i} `.repeat(20)), isBinary: false });
      else assert.deepEqual(m, { data: Buffer.from([0xff, i & 0xff, 0x00]), isBinary: true });
    });
    ws.close();
  } finally {
    await deflating.close();
  }
});

test('write delay: messages still arrive, every one, in order', async () => {
  const delayed = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    writeDelayMs: 5,
  });
  try {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const c = new WebSocket(delayed.url + '/ws/later');
      c.once('open', () => resolve(c));
      c.once('error', reject);
    });
    for (let i = 0; i < 200 && !delayed.stats().channels['later']?.clients; i++) await new Promise((r) => setTimeout(r, 10));
    const got = collect(ws, 50);
    for (let i = 0; i < 50; i++) await publisher.publish('later', `d${i}`);
    assert.deepEqual(
      (await got).map((m) => m.data.toString()),
      Array.from({ length: 50 }, (_, i) => `d${i}`),
    );
    ws.close();
  } finally {
    await delayed.close();
  }
});
