/**
 * The reference server's client publishing (`clientPublish`): what a client sends on /ws/<channel>
 * is PUBLISHed to that channel's Redis channel, so it reaches every member through Redis — also
 * across the processes of a cluster — and nothing is published when it is off.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { startReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { spawnServer } from '../../src/server/spawn.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';

let redis: EmbeddedRedis;
let observer: Redis;

before(async () => {
  redis = await startTestRedis();
  observer = new Redis(redis.url);
});
after(async () => {
  observer?.disconnect();
  await redis?.stop();
});

async function withServer(clientPublish: boolean, run: (server: ReferenceServer) => Promise<void>): Promise<void> {
  const server = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 64,
    perMessageDeflate: false,
    channelPrefix: 'chat:',
    clientPublish,
  });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens clients and waits until the server has them all subscribed (its /stats). */
async function members(base: string, path: string, count: number): Promise<WebSocket[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => open(base + path)));
  const channel = decodeURIComponent(path.slice('/ws/'.length));
  for (let i = 0; i < 300; i++) {
    const stats = (await (await fetch(`${base.replace(/^ws/, 'http')}/stats`)).json()) as {
      channels: Record<string, { clients: number; live: boolean } | undefined>;
    };
    const c = stats.channels[channel];
    if (c?.live && c.clients >= count) return clients;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`channel ${channel} never had ${count} live clients`);
}

function next(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })));
}

/** The next message Redis carries on `channel` (a second subscriber: the message really went through Redis). */
async function redisMessage(channel: string): Promise<() => Promise<Buffer>> {
  const sub = new Redis(redis.url);
  await sub.subscribe(channel);
  const got = new Promise<Buffer>((resolve) => sub.once('messageBuffer', (_c: Buffer, m: Buffer) => resolve(m)));
  return async () => {
    try {
      return await got;
    } finally {
      sub.disconnect();
    }
  };
}

test('clientPublish: a client message goes through Redis to every member of its channel, the sender too, and no other channel', async () => {
  await withServer(true, async (server) => {
    const [sender, other] = await members(server.url, '/ws/room%201', 2);
    const [elsewhere] = await members(server.url, '/ws/room2', 1);
    const viaRedis = await redisMessage('chat:room 1');
    let strayMessage = false;
    elsewhere!.on('message', () => (strayMessage = true));
    const atSender = next(sender!);
    const atOther = next(other!);
    const binary = Buffer.from([0x00, 0xff, 0x01, 0x80]);
    sender!.send(binary);
    assert.deepEqual(await viaRedis(), binary, 'PUBLISHed on the channel (with the prefix)');
    for (const got of [await atSender, await atOther]) {
      assert.deepEqual(got.data, binary);
      assert.equal(got.isBinary, true, 'relayed like any Redis message: not UTF-8, so binary');
    }
    // A text message too, and then the room's other member answers: the sender hears it.
    const back = next(sender!);
    other!.send('hello');
    assert.equal((await back).data.toString(), 'hello');
    assert.equal(strayMessage, false, 'nothing reached another channel');
    // The PUBLISH replies come on the publishing connection, maybe after the messages on the subscriber's.
    await until(() => server.stats().clientPublishes === 2, 'both PUBLISHes answered');
    assert.equal(server.stats().clientPublishFailures, 0);
    for (const ws of [sender, other, elsewhere]) ws!.close();
  });
});

test('clientPublish off (the default): client messages are dropped, nothing is published', async () => {
  await withServer(false, async (server) => {
    const [sender, other] = await members(server.url, '/ws/quiet', 2);
    // Redis says how many PUBLISHes it served; nothing of this test publishes otherwise.
    const before = await publishCount();
    let received = 0;
    other!.on('message', () => received++);
    sender!.send('nobody hears this');
    // A message through Redis on the same channel overtakes nothing: once it arrived, the dropped one would have too.
    const marker = next(other!);
    await observer.publish('chat:quiet', 'marker');
    assert.equal((await marker).data.toString(), 'marker');
    assert.equal(received, 1, 'only the marker');
    assert.equal((await publishCount()) - before, 1, 'the marker was the only PUBLISH');
    assert.equal(server.stats().clientPublishes, 0);
    sender!.close();
    other!.close();
  });
});

test('clientPublish: a message above maxPayload closes its sender with 1009 and is not published', async () => {
  await withServer(true, async (server) => {
    const [sender, other] = await members(server.url, '/ws/big', 2);
    let received = 0;
    other!.on('message', () => received++);
    const closed = new Promise<number>((resolve) => sender!.once('close', (code) => resolve(code)));
    sender!.send(Buffer.alloc(65, 0x61));
    assert.equal(await closed, 1009);
    const marker = next(other!);
    await observer.publish('chat:big', 'marker');
    await marker;
    assert.equal(received, 1, 'the oversized message reached nobody');
    assert.equal(server.stats().clientPublishes, 0);
    other!.close();
  });
});

test('clientPublish in a cluster: a client of one process reaches the members on the other through Redis', async () => {
  const server = await spawnServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    pollBufferSize: 10,
    longPollTimeoutMs: 1000,
    clientPublish: true,
    processes: 2,
  });
  try {
    // Round-robin hands connections out in turn (2 per process on a quiet machine; 1 and 3 was seen
    // on a busy one): what matters is that members sit on both processes, so every copy to the
    // other process's members went through Redis.
    const clients = await members(server.url, '/ws/lobby', 4);
    const { stats } = await server.stats();
    const perProcess = stats.connectionsPerProcess ?? [];
    assert.equal(perProcess.length, 2);
    for (const held of perProcess) assert.ok(held >= 1, `members on both processes: ${perProcess.join(', ')}`);
    const received = clients.map((ws) => next(ws));
    clients[0]!.send('across processes');
    for (const got of await Promise.all(received)) assert.equal(got.data.toString(), 'across processes');
    let published = 0;
    await until(async () => (published = (await server.stats()).stats.clientPublishes ?? 0) >= 1, 'the PUBLISH answered');
    assert.equal(published, 1, 'published once, by the sender’s process');
    for (const ws of clients) ws.close();
  } finally {
    await server.stop();
  }
});

/** Waits (at most 3 s) until `check` holds. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never: ${what}`);
}

async function publishCount(): Promise<number> {
  const info = await observer.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}
