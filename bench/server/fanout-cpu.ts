/**
 * Server CPU per recipient: the naive `ws` broadcast loop (naive-server.ts, the anchor) against
 * the reference server, in the same run, under the same load, alternating rounds.
 *
 *   node dist/bench/server/fanout-cpu.js [--connections 2000] [--rate 20] [--payload 64]
 *        [--seconds 10] [--clients 4] [--rounds 2] [--processes 1] [--write-delay 0]
 *        [--only naive|reference]
 *
 * Method: an embedded redis-server; the server under test in its own process; `--clients`
 * client processes (bench/server/client-process.ts: raw sockets, frame headers counted) holding
 * `--connections` connections on one channel, each process from its own 127.0.0.x address; this
 * process PUBLISHes `--rate` messages/s of `--payload` bytes (open loop, 10 ms ticks). After 2 s
 * of warm-up, a window of `--seconds`: server CPU (user + system, all server processes, from
 * /proc/<pid>/stat, user and system apart) over frames the clients counted in the window = µs per
 * recipient (/proc needs no answer from a server that may be saturated). Client
 * CPU is printed too, to show the clients were not the limit.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../../src/redis/embedded.js';
import { spawnServer } from '../../src/server/spawn.js';
import type { ClientConfig, ClientCounts } from './client-process.js';
import { processCpuUs, processRssBytes } from '../proc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const num = (k: string, d: number) => (args.has(k) ? Number(args.get(k)) : d);
const connections = num('connections', 2000);
const rate = num('rate', 20);
const payloadSize = Math.max(8, num('payload', 64));
const seconds = num('seconds', 10);
const clientProcs = num('clients', 4);
const rounds = num('rounds', 2);
const serverProcesses = num('processes', 1);
const only = args.get('only');
const writeDelayMs = num('write-delay', 0);
const CHANNEL = 'bench';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request<T>(child: ChildProcess, msg: object, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== reply) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}

interface ServerUnderTest {
  port: number;
  pids: number[];
  cpuUs(): Promise<number>;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

async function naive(redisUrl: string): Promise<ServerUnderTest> {
  const child = fork(here('./naive-server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await request<{ port: number }>(child, { type: 'start', redisUrl, channel: CHANNEL }, 'listening');
  const cpu = () => request<{ cpuUs: number; rssBytes: number }>(child, { type: 'cpu' }, 'cpu');
  return {
    port,
    pids: [child.pid!],
    cpuUs: async () => (await cpu()).cpuUs,
    rss: async () => (await cpu()).rssBytes,
    stop: async () => {
      child.kill('SIGKILL');
    },
  };
}

async function reference(redisUrl: string): Promise<ServerUnderTest> {
  const s = await spawnServer({
    host: '127.0.0.1',
    port: 0,
    redisUrl,
    maxPayload: 1 << 20,
    perMessageDeflate: false,
    processes: serverProcesses,
    writeDelayMs,
  });
  const stats = () => s.stats();
  return {
    port: Number(new URL(s.url).port),
    pids: s.pids,
    // cpuMs is since the monitor's reset: ms resolution, fine over a window of seconds.
    cpuUs: async () => (await stats()).processes.reduce((sum, p) => sum + p.cpuMs, 0) * 1000,
    rss: async () => (await stats()).process.rssBytes,
    stop: () => s.stop(),
  };
}

async function round(kind: 'naive' | 'reference', redisUrl: string, publisher: Redis): Promise<Record<string, number | string>> {
  const server = kind === 'naive' ? await naive(redisUrl) : await reference(redisUrl);
  const clients = Array.from({ length: clientProcs }, () =>
    fork(here('./client-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const per = Math.ceil(connections / clientProcs);
  await Promise.all(
    clients.map((c, i) => {
      const config: ClientConfig = {
        host: '127.0.0.1',
        port: server.port,
        path: `/ws/${CHANNEL}`,
        connections: Math.min(per, connections - i * per),
        localAddresses: [`127.0.0.${10 + i}`],
        maxInFlight: 100,
      };
      return request(c, { type: 'open', config }, 'opened');
    }),
  );
  const counts = async () =>
    Promise.all(clients.map((c) => request<{ counts: ClientCounts }>(c, { type: 'counts' }, 'counts').then((r) => r.counts)));
  const opened = (await counts()).reduce((s, c) => s + c.opened, 0);
  // Let joins (Redis SUBSCRIBE) settle.
  await sleep(500);

  let seq = 0;
  const payload = Buffer.alloc(payloadSize, 0x61);
  payload[4] = 0xff; // not UTF-8: binary frames, like wsbench's binary stamp
  const started = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    const pipe = publisher.pipeline();
    for (; seq < due; seq++) {
      const p = Buffer.from(payload);
      p.writeUInt32BE(seq, 0);
      pipe.publish(CHANNEL, p);
    }
    void pipe.exec();
  }, 10);

  await sleep(2000);
  const c0 = await counts();
  const p0 = processCpuUs(server.pids);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const p1 = processCpuUs(server.pids);
  const s0 = p0.user + p0.system;
  const s1 = p1.user + p1.system;
  const c1 = await counts();
  const t1 = performance.now();
  clearInterval(timer);
  const frames = c1.reduce((s, c) => s + c.frames, 0) - c0.reduce((s, c) => s + c.frames, 0);
  const clientCpuUs = c1.reduce((s, c) => s + c.cpuUs, 0) - c0.reduce((s, c) => s + c.cpuUs, 0);
  const wallS = (t1 - t0) / 1000;
  const rss = processRssBytes(server.pids);
  await sleep(300);
  const end = await counts();
  for (const c of clients) c.kill('SIGKILL');
  await server.stop();
  return {
    server: kind,
    opened,
    closed: end.reduce((s, c) => s + c.closed, 0),
    outOfOrder: end.reduce((s, c) => s + c.outOfOrder, 0),
    deliveriesPerSec: Math.round(frames / wallS),
    serverCpuPct: Math.round(((s1 - s0) / 1e6 / wallS) * 1000) / 10,
    usPerRecipient: Math.round(((s1 - s0) / frames) * 100) / 100,
    userUs: Math.round(((p1.user - p0.user) / frames) * 100) / 100,
    sysUs: Math.round(((p1.system - p0.system) / frames) * 100) / 100,
    clientCpuPctTotal: Math.round((clientCpuUs / 1e6 / wallS) * 1000) / 10,
    serverRssMB: Math.round(rss / 1e5) / 10,
    load1: loadavg()[0]!.toFixed(2),
  };
}

const redis = await startEmbeddedRedis();
const publisher = new Redis(redis.url);
try {
  console.log(
    `fan-out CPU: ${connections} connections, ${rate} msg/s, ${payloadSize} B, ${seconds} s window, ${clientProcs} client processes, ${serverProcesses} reference server process(es), write delay ${writeDelayMs} ms; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['naive', 'reference'] as const) {
      if (only && only !== kind) continue;
      const row = await round(kind, redis.url, publisher);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  console.table(rows);
} finally {
  publisher.disconnect();
  await redis.stop();
}
