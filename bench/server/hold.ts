/**
 * Can the reference server hold 100k connections? Starts it with `--processes` processes, opens
 * `--connections` WebSocket connections from `--clients` client processes (client-process.ts),
 * each from its own 127.0.0.x source address (28,232 ephemeral ports per source address and
 * destination; 20,000 open files per process), holds them `--seconds` while publishing one message
 * every `--every` seconds, and reports what held, what every client received, and RSS.
 *
 *   node dist/bench/server/hold.js [--connections 100000] [--processes 7] [--clients 7]
 *        [--seconds 60] [--every 5]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../../src/redis/embedded.js';
import { spawnServer } from '../../src/server/spawn.js';
import type { ServerStats } from '../../src/server/reference-server.js';
import type { ClientConfig, ClientCounts } from './client-process.js';
import { processRssBytes } from '../proc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const num = (k: string, d: number) => (args.has(k) ? Number(args.get(k)) : d);
const connections = num('connections', 100_000);
const processes = num('processes', 7);
const clientProcs = num('clients', 7);
const seconds = num('seconds', 60);
const every = num('every', 5);
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`);

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

const redis = await startEmbeddedRedis();
const publisher = new Redis(redis.url);
const server = await spawnServer(
  { host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1024, perMessageDeflate: false, processes },
  60_000,
);
const clients: ChildProcess[] = [];
try {
  const port = Number(new URL(server.url).port);
  const statsUrl = server.url.replace('ws://', 'http://') + '/stats';
  const httpStats = async () => (await (await fetch(statsUrl, { signal: AbortSignal.timeout(30_000) })).json()) as ServerStats;
  const baseRss = processRssBytes(server.pids);
  log(
    `server: ${processes} processes (pids ${server.pids.join(' ')}), RSS ${(baseRss / 2 ** 20).toFixed(0)} MiB idle; load ${loadavg()[0]!.toFixed(2)}`,
  );
  const per = Math.ceil(connections / clientProcs);
  for (let i = 0; i < clientProcs; i++)
    clients.push(fork(here('./client-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const counts = () =>
    Promise.all(clients.map((c) => request<{ counts: ClientCounts }>(c, { type: 'counts' }, 'counts').then((r) => r.counts)));
  const sum = (cs: ClientCounts[], k: keyof ClientCounts) => cs.reduce((s, c) => s + c[k], 0);
  const opening = Promise.all(
    clients.map((c, i) => {
      const config: ClientConfig = {
        host: '127.0.0.1',
        port,
        path: '/ws/hold',
        connections: Math.max(0, Math.min(per, connections - i * per)),
        localAddresses: Array.from({ length: 8 }, (_, k) => `127.0.${20 + i}.${1 + k}`),
        maxInFlight: 64,
      };
      return request(c, { type: 'open', config }, 'opened');
    }),
  );
  const progress = setInterval(() => {
    void counts().then((cs) => log(`opening: ${sum(cs, 'opened')} open, ${sum(cs, 'failed')} failed`));
  }, 5000);
  await opening;
  clearInterval(progress);
  let cs = await counts();
  log(`opened ${sum(cs, 'opened')} of ${connections}, failed ${sum(cs, 'failed')}`);
  let stats = await httpStats();
  for (let i = 0; i < 60 && (stats.channels['hold']?.clients ?? 0) < sum(cs, 'opened'); i++) {
    await sleep(1000);
    stats = await httpStats();
  }
  log(
    `server /stats: ${stats.connections} connections over ${stats.processes} processes (${stats.connectionsPerProcess?.join(', ')}), channel clients ${stats.channels['hold']?.clients}, live ${stats.channels['hold']?.live}`,
  );
  const heldRss = processRssBytes(server.pids);
  log(
    `server RSS ${(heldRss / 2 ** 20).toFixed(0)} MiB: ${((heldRss - baseRss) / stats.connections / 1024).toFixed(1)} KiB per connection; client RSS ${(sum(cs, 'rssBytes') / 2 ** 20).toFixed(0)} MiB`,
  );

  const framesBefore = sum(cs, 'frames');
  const holdStart = performance.now();
  let published = 0;
  while (performance.now() - holdStart < seconds * 1000) {
    await publisher.publish('hold', `tick ${published++}`);
    await sleep(every * 1000);
    cs = await counts();
    log(
      `holding: ${sum(cs, 'opened') - sum(cs, 'closed')} open, ${sum(cs, 'closed')} closed, ${sum(cs, 'frames') - framesBefore} of ${published * sum(cs, 'opened')} deliveries`,
    );
  }
  await sleep(3000);
  cs = await counts();
  stats = await httpStats();
  const delivered = sum(cs, 'frames') - framesBefore;
  const expected = published * sum(cs, 'opened');
  const endRss = processRssBytes(server.pids);
  const result = {
    connections,
    opened: sum(cs, 'opened'),
    failed: sum(cs, 'failed'),
    closedDuringHold: sum(cs, 'closed'),
    serverConnectionsAtEnd: stats.connections,
    connectionsPerProcess: stats.connectionsPerProcess,
    heldSeconds: Math.round((performance.now() - holdStart) / 1000),
    published,
    delivered,
    expected,
    serverRssMiB: Math.round(endRss / 2 ** 20),
    serverKiBPerConnection: Math.round(((endRss - baseRss) / stats.connections / 1024) * 10) / 10,
    clientRssMiB: Math.round(sum(cs, 'rssBytes') / 2 ** 20),
    held: sum(cs, 'closed') === 0 && stats.connections === connections && delivered === expected,
  };
  console.log(JSON.stringify(result));
} finally {
  for (const c of clients) c.kill('SIGKILL');
  publisher.disconnect();
  await server.stop();
  await redis.stop();
}
