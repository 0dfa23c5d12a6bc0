/**
 * The reference server when Redis fails under it (a real redis-server SIGKILLed and started again
 * on the same port): /healthz says 503 and then 200 again, every channel is resubscribed, messages
 * published afterwards reach the clients, and the server says what happened. And its cap on the
 * channels polls may create.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { startReferenceServer } from '../../src/server/reference-server.js';
import type { ServerIncident } from '../../src/server/channel-registry.js';
import { freePort, startEmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/processes.js';

async function health(base: string): Promise<number> {
  try {
    return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** Polls `check` (async) until true or `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

test('Redis restarted under the server: /healthz 503 then 200, channels resubscribed, messages flow again, said as incidents', async () => {
  const port = await freePort();
  const first = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
  let second: Awaited<ReturnType<typeof startEmbeddedRedis>> | null = null;
  const incidents: ServerIncident[] = [];
  const server = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: first.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    onIncident: (i) => incidents.push(i),
  });
  const base = server.url.replace('ws://', 'http://');
  const ws = new WebSocket(`${server.url}/ws/news`);
  const received: string[] = [];
  ws.on('message', (data: Buffer) => received.push(data.toString()));
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    assert.ok(await waitFor(() => server.stats().channels['news']?.live === true, 5000));
    assert.equal(await health(base), 200);

    process.kill(first.pid, 'SIGKILL');
    assert.ok(await until(async () => (await health(base)) === 503, 5000), '/healthz says 503 while Redis is gone');
    assert.equal(server.stats().channels['news']?.live, false, 'the channel is not live meanwhile');
    second = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
    assert.ok(await until(async () => (await health(base)) === 200, 10_000), '/healthz is 200 again');
    assert.equal(server.stats().channels['news']?.live, true);

    const publisher = new Redis(second.url);
    try {
      assert.equal(await publisher.publish('news', 'after the restart'), 1, 'subscribed again');
      assert.ok(await waitFor(() => received.includes('after the restart'), 5000));
    } finally {
      publisher.disconnect();
    }
    assert.deepEqual(
      incidents.map((i) => i.kind),
      ['subscriber-restored'],
    );
    assert.match(incidents[0]!.detail, /resubscribed 1 channel\(s\) .* after Redis restarted/);
  } finally {
    ws.terminate();
    await server.close();
    await second?.stop();
    await first.stop();
  }
});

test('polls create at most maxPollChannels channels: one more is refused with 429 and Retry-After', async () => {
  const redis = await startTestRedis();
  const server = await startReferenceServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    maxPollChannels: 2,
    pollIdleMs: 400,
  });
  const base = server.url.replace('ws://', 'http://');
  try {
    for (const name of ['a', 'b']) assert.equal((await fetch(`${base}/poll/${name}`)).status, 200, name);
    const refused = await fetch(`${base}/poll/c`);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(((await refused.json()) as { error: string }).error, /already serves 2 polled channels \(--max-poll-channels\)/);
    assert.equal(server.stats().channels['c'], undefined, 'no subscription was made for it');
    // The channels it has keep working.
    assert.equal((await fetch(`${base}/poll/a?after=0&timeout=0`)).status, 200);
    // Channels nobody polls are released (subscription and buffer): then there is room again.
    assert.ok(await waitFor(() => server.stats().channels['a'] === undefined && server.stats().channels['b'] === undefined, 5000));
    assert.equal((await fetch(`${base}/poll/c`)).status, 200);
    assert.equal(server.stats().channels['c']?.live, true);
  } finally {
    await server.close();
    await redis.stop();
  }
});
