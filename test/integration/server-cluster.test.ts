/**
 * The reference server as several processes (cluster.ts): every client on any process gets every
 * message once, /stats and /healthz answer for all processes, long-poll cursors stay with their
 * process, the engine's readiness works through it, and nothing outlives the parent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { spawnServer, type ServerChild } from '../../src/server/spawn.js';
import type { ServerStats } from '../../src/server/reference-server.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import { startTestRedis } from '../helpers/redis.js';
import { leftoverChildren, waitFor } from '../helpers/processes.js';

let redis: EmbeddedRedis;
let publisher: Redis;

before(async () => {
  redis = await startTestRedis();
  publisher = new Redis(redis.url);
});
after(async () => {
  publisher?.disconnect();
  await redis?.stop();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function httpStats(server: ServerChild): Promise<ServerStats> {
  return (await (await fetch(server.url.replace('ws://', 'http://') + '/stats')).json()) as ServerStats;
}

test('three processes: clients spread over them, each gets every message once and in order; /stats and /healthz cover all', async () => {
  const server = await spawnServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    processes: 3,
  });
  try {
    assert.equal(server.pids.length, 4, 'primary and three workers');
    const clients = await Promise.all(Array.from({ length: 12 }, (_, i) => open(`${server.url}/ws/room${i % 2}`)));
    let stats = await httpStats(server);
    for (
      let i = 0;
      i < 100 &&
      !(
        stats.channels['room0']?.clients === 6 &&
        stats.channels['room1']?.clients === 6 &&
        stats.channels['room0'].live &&
        stats.channels['room1'].live
      );
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      stats = await httpStats(server);
    }
    assert.equal(stats.processes, 3);
    assert.equal(stats.redisConnected, 3);
    assert.equal(stats.connections, 12);
    // Round-robin hands each connection to the next free worker: all get some (not exactly 4 each).
    assert.equal(stats.connectionsPerProcess?.length, 3);
    assert.ok(
      stats.connectionsPerProcess!.every((n) => n > 0),
      `spread: ${stats.connectionsPerProcess?.join(', ')}`,
    );
    assert.deepEqual(stats.channels['room0'], { clients: 6, live: true, pollersWaiting: 0 });
    assert.deepEqual(stats.channels['room1'], { clients: 6, live: true, pollersWaiting: 0 });
    const health = await fetch(server.url.replace('ws://', 'http://') + '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true, redis: 'connected', processes: 3, redisConnected: 3 });

    const count = 300;
    const received = clients.map(
      (ws) =>
        new Promise<string[]>((resolve) => {
          const got: string[] = [];
          ws.on('message', (data: Buffer) => {
            got.push(data.toString());
            if (got.length === count) setTimeout(() => resolve(got), 100); // and nothing more
          });
        }),
    );
    const pipe = publisher.pipeline();
    for (let i = 0; i < count; i++) pipe.publish(`room${i % 2}`, `r${i % 2}-${i}`);
    for (let i = 0; i < count; i++) pipe.publish(`room${(i + 1) % 2}`, `r${(i + 1) % 2}-${i}`);
    await pipe.exec();
    const all = await Promise.all(received);
    all.forEach((got, c) => {
      const room = c % 2;
      const want = [];
      for (let i = 0; i < count; i++) if (i % 2 === room) want.push(`r${room}-${i}`);
      for (let i = 0; i < count; i++) if ((i + 1) % 2 === room) want.push(`r${room}-${i}`);
      assert.deepEqual(got, want, `client ${c}`);
    });
    const { stats: merged, process: total, processes } = await server.stats();
    assert.equal(merged.deliveries, count * 2 * 6);
    // Each process subscribes to the channels its own clients are on, with its own subscriber.
    assert.ok(merged.messagesIn >= count * 2 && merged.messagesIn <= count * 2 * 3, `messagesIn ${merged.messagesIn}`);
    assert.equal(processes.length, 4);
    assert.equal(total.role, 'server');
    assert.equal(
      total.cpuMs,
      processes.reduce((s, p) => s + p.cpuMs, 0),
    );
    assert.equal(
      total.rssBytes,
      processes.reduce((s, p) => s + p.rssBytes, 0),
    );
    for (const ws of clients) ws.close();
  } finally {
    await server.stop();
  }
  assert.ok(await waitFor(() => server.pids.every((pid) => !alive(pid)), 5000), 'every server process exited after stop');
});

test('long-poll over several processes: a keep-alive poller stays with its process; a cursor from another process is refused', async () => {
  const server = await spawnServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl: redis.url,
    maxPayload: 1024,
    perMessageDeflate: false,
    processes: 2,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<{ status: number; cursor: number; body: Buffer }>((resolve, reject) => {
      const url = new URL(server.url.replace('ws://', 'http://') + path);
      const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, cursor: Number(res.headers['x-wsbench-cursor']), body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const join = await get('/poll/lp');
    assert.equal(join.status, 200);
    const held = get(`/poll/lp?after=${join.cursor}&timeout=10000`);
    await new Promise((r) => setTimeout(r, 100));
    await publisher.publish('lp', 'hello');
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.subarray(4).toString(), 'hello');
    // Same connection, so the same process: a cursor of the other process's numbering is refused.
    assert.equal((await get(`/poll/lp?after=${answer.cursor + 1}&timeout=0`)).status, 409);
  } finally {
    agent.destroy();
    await server.stop();
  }
});

test('engine: builtin target with processes: 2 — readiness sees every client, every message delivered', async () => {
  const scenario = parseScenarioText(
    `name: cluster-engine
redis: { url: "${redis.url}" }
target: { kind: builtin, processes: 2 }
clients: { connections: 10, rampUp: 100ms }
publish: { rate: 100/s, duration: 1s, channels: 2, payloadSize: 100 }
drain: 2s
`,
    'cluster.yaml',
  );
  const report = await runEngine(scenario, { workers: 1, snapshotIntervalMs: 200 });
  const ws = report.transports.websocket!;
  assert.equal(report.run.completed, true);
  assert.equal(ws.delivery.expected, ws.throughput.publishes * 5);
  assert.equal(ws.delivery.delivered, ws.delivery.expected);
  assert.equal(ws.delivery.lost, 0);
  assert.equal(ws.delivery.duplicated, 0);
  const server = ws.tool.processes.filter((p) => p.role === 'server');
  assert.equal(server.length, 1, 'one aggregate entry for the server');
  assert.ok(server[0]!.cpuMs >= 0);
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no server process left');
});

test('the parent is SIGKILLed: the primary and every worker exit', async () => {
  const fixture = fileURLToPath(new URL('../fixtures/server-parent.js', import.meta.url));
  const parent = spawn(process.execPath, [fixture, redis.url, '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    parent.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    parent.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
  });
  const { pids } = JSON.parse(line) as { pids: number[] };
  assert.equal(pids.length, 4);
  assert.ok(pids.every(alive));
  parent.kill('SIGKILL');
  assert.ok(await waitFor(() => pids.every((pid) => !alive(pid)), 10_000), `still alive: ${pids.filter(alive).join(', ')}`);
});
