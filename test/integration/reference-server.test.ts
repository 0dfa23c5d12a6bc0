import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { startReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { decodeBatch } from '../../src/server/poll-buffer.js';

let redis: EmbeddedRedis;
let server: ReferenceServer;
let publisher: Redis;

before(async () => {
  redis = await startTestRedis();
  server = await startReferenceServer({ host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1024, perMessageDeflate: false, channelPrefix: 'pfx:' });
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
  decodeBatch(Buffer.from(await answer.arrayBuffer()), (m) => messages.push(m.toString()));
  assert.deepEqual(messages, ['first']);
  const empty = await fetch(`${http}/poll/lp?after=1&timeout=0`);
  assert.equal(empty.headers.get('x-wsbench-cursor'), '1');
  assert.equal((await empty.arrayBuffer()).byteLength, 0);
  assert.equal((await fetch(`${http}/poll/lp?after=-1`)).status, 400);
});
