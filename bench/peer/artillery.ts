/**
 * Peer bench: deliveries per tool-CPU-second, Artillery's WebSocket engine vs wsbench, on the same
 * target (the reference server, one process) with the same load.
 *
 *   npm install --prefix /tmp/peer --ignore-scripts artillery@2     # it tries to download a browser otherwise
 *   node dist/bench/peer/artillery.js --artillery /tmp/peer/node_modules/.bin/artillery \
 *        [--connections 500] [--rate 100] [--seconds 8]
 *
 * Artillery: N virtual users connect to /ws/bench and hold (`think`), while this script PUBLISHes
 * R messages/s for T seconds; deliveries are what the server sent in that window (its /stats),
 * Artillery's CPU is user + system time of its process (all threads) from /proc over the same
 * window. wsbench: the same N, R and T as a scenario; CPU of its workers (the receiving side) and of
 * all its processes, deliveries from its ledger. Nothing is installed into the project.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startEmbeddedRedis } from '../../src/redis/embedded.js';
import { spawnServer } from '../../src/server/spawn.js';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import { descendantsOf } from '../../test/helpers/processes.js';
import { processCpuUs } from '../proc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const artillery = args.get('artillery');
const connections = Number(args.get('connections') ?? 500);
const rate = Number(args.get('rate') ?? 100);
const seconds = Number(args.get('seconds') ?? 8);
if (!artillery) {
  console.error(
    'usage: node dist/bench/peer/artillery.js --artillery <path to the artillery bin> [--connections N] [--rate R] [--seconds T]',
  );
  process.exit(2);
}

/** CPU seconds (user + system) of a process and all its threads and children so far. */
function cpuSeconds(pid: number): number {
  const { user, system } = processCpuUs([pid, ...descendantsOf(pid)]);
  return (user + system) / 1e6;
}

async function stats(http: string): Promise<{ deliveries: number; clients: number }> {
  const s = (await (await fetch(`${http}/stats`)).json()) as { deliveries: number; channels: Record<string, { clients: number }> };
  return { deliveries: s.deliveries, clients: s.channels['bench']?.clients ?? 0 };
}

async function artilleryRun(): Promise<{ deliveries: number; cpu: number }> {
  const redis = await startEmbeddedRedis();
  const server = await spawnServer({ host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1 << 20, perMessageDeflate: false });
  const http = server.url.replace('ws://', 'http://');
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-artillery-'));
  const config = join(dir, 'ws.yml');
  writeFileSync(
    config,
    `config:
  target: "${server.url}/ws/bench"
  phases:
    - duration: 5
      arrivalCount: ${connections}
scenarios:
  - engine: ws
    flow:
      - think: ${seconds + 30}
`,
  );
  const child = spawn(artillery!, ['run', config], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const publisher = new Redis(redis.url);
  try {
    for (let i = 0; i < 600 && (await stats(http)).clients < connections; i++) await new Promise((r) => setTimeout(r, 100));
    const before = await stats(http);
    if (before.clients < connections) throw new Error(`artillery opened only ${before.clients} of ${connections} connections`);
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = cpuSeconds(child.pid!);
    const d0 = (await stats(http)).deliveries;
    const payload = Buffer.alloc(64, 0x61);
    const start = Date.now();
    for (let i = 0; i < rate * seconds; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      void publisher.publish('bench', payload);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const d1 = (await stats(http)).deliveries;
    const cpu1 = cpuSeconds(child.pid!);
    return { deliveries: d1 - d0, cpu: cpu1 - cpu0 };
  } finally {
    publisher.disconnect();
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await server.stop();
    await redis.stop();
  }
}

async function wsbenchRun(): Promise<{ deliveries: number; workerCpu: number; toolCpu: number }> {
  const report = await runEngine(
    parseScenarioText(
      `clients: { connections: ${connections}, rampUp: 2s, workers: 1 }
publish: { rate: ${rate}/s, duration: ${seconds}s, payloadSize: 64 }
drain: 2s
`,
      'peer.yaml',
    ),
  );
  const t = report.transports.websocket!;
  const cpuOf = (roles: string[]) => t.tool.processes.filter((p) => roles.includes(p.role)).reduce((a, p) => a + p.cpuMs, 0) / 1000;
  return { deliveries: t.delivery.delivered, workerCpu: cpuOf(['worker']), toolCpu: cpuOf(['worker', 'coordinator']) };
}

async function main(): Promise<void> {
  console.log(`${connections} connections, ${rate} publishes/s for ${seconds} s, 64-byte messages, reference server (1 process)\n`);
  const a = await artilleryRun();
  const w = await wsbenchRun();
  const perSec = (d: number, c: number) => Math.round(d / c);
  const rows = [
    {
      tool: 'artillery ws engine',
      deliveries: a.deliveries,
      cpuSeconds: +a.cpu.toFixed(2),
      deliveriesPerCpuSecond: perSec(a.deliveries, a.cpu),
    },
    {
      tool: 'wsbench (workers)',
      deliveries: w.deliveries,
      cpuSeconds: +w.workerCpu.toFixed(2),
      deliveriesPerCpuSecond: perSec(w.deliveries, w.workerCpu),
    },
    {
      tool: 'wsbench (all tool processes)',
      deliveries: w.deliveries,
      cpuSeconds: +w.toolCpu.toFixed(2),
      deliveriesPerCpuSecond: perSec(w.deliveries, w.toolCpu),
    },
  ];
  console.table(rows);
  console.log(
    `ratio (wsbench all processes ÷ artillery): ${(rows[2]!.deliveriesPerCpuSecond / rows[0]!.deliveriesPerCpuSecond).toFixed(1)}×`,
  );
  console.log(
    'note: artillery CPU covers only the publish window; wsbench CPU covers its whole run (connect, warm-up, drain included), which favours artillery.',
  );
}

main().catch((e) => {
  console.error(`peer bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
