/**
 * A distributed run on this machine (issue 19): N `wsbench agent` processes and a coordinator
 * (`wsbench run --agents N`) with the built-in server, one redis-server as the Redis under test
 * and the control Redis. Writes the coordinator's report and a summary of what the issue asks:
 * connections opened, delivery, per-agent clients and clocks, tool memory, and the machine's load
 * before and after (this machine is shared: say what else ran).
 *
 *   node dist/bench/distributed.js [--connections 30000] [--agents 3] [--rate 10/s] [--duration 60s]
 *                                  [--out bench/results/distributed-30k.json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startEmbeddedRedis } from '../src/redis/embedded.js';
import type { RunReport } from '../src/results/types.js';

const BIN = fileURLToPath(new URL('../../bin/wsbench.js', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const connections = Number(flag('connections', '30000'));
const agentCount = Number(flag('agents', '3'));
const rate = flag('rate', '10/s');
const duration = flag('duration', '60s');
const out = flag('out', `bench/results/distributed-${Math.round(connections / 1000)}k.json`);

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const redis = await startEmbeddedRedis({ startTimeoutMs: 15_000 });
const agents: ChildProcess[] = [];
const loadBefore = loadavg();
try {
  for (let i = 0; i < agentCount; i++) {
    const child = spawn(process.execPath, [BIN, 'agent', '--redis', redis.url, '--name', `agent-${i}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    agents.push(child);
  }
  const started = Date.now();
  const run = spawn(
    process.execPath,
    [
      BIN,
      'run',
      '-c',
      String(connections),
      '-r',
      rate,
      '-d',
      duration,
      '--channels',
      '100',
      '--ramp-up',
      `${Math.max(5, Math.round(connections / 2500))}s`,
      '--max-handshakes',
      '512',
      '--redis',
      redis.url,
      '--agents',
      String(agentCount),
      '--agents-wait',
      '60s',
      '--no-tui',
      '--out',
      out,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const code = await exited(run);
  const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const workers = ws.tool.processes.filter((p) => p.role === 'worker');
  const peak = workers.reduce((a, p) => a + p.peakRssBytes, 0);
  const summary = {
    exitCode: code,
    wallSeconds: Math.round((Date.now() - started) / 1000),
    connections: ws.connections,
    delivery: {
      expected: ws.delivery.expected,
      delivered: ws.delivery.delivered,
      lost: ws.delivery.lost,
      ratio: ws.delivery.deliveryRatio,
    },
    fanoutMs: { p50: ws.fanoutLatencyMs.p50, p99: ws.fanoutLatencyMs.p99, max: ws.fanoutLatencyMs.max },
    connectMs: { p50: ws.connectLatencyMs.p50, p99: ws.connectLatencyMs.p99 },
    agents: report.run.agents?.map((a) => ({ name: a.name, clients: a.clients, clock: a.clock.mode, status: a.status })),
    clientsSum: report.run.agents?.reduce((n, a) => n + a.clients, 0),
    workers: workers.length,
    workerPeakRssMiB: Math.round(peak / 2 ** 20),
    bytesPerConnection: Math.round(peak / Math.max(1, ws.connections.opened)),
    toolMaxCpuPercent: ws.tool.maxCpuPercent,
    bottleneck: ws.tool.bottleneck,
    loadAverage: { before: loadBefore, after: loadavg() },
  };
  writeFileSync(out.replace(/\.json$/, '.summary.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
} finally {
  for (const a of agents) a.kill('SIGTERM');
  await Promise.all(agents.map(exited));
  await redis.stop();
}
