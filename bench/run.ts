/**
 * `npm run bench`: reproduces the figures in BENCHMARKS.md on this machine, naive anchors and
 * wsbench side by side in one run. Each figure comes from full wsbench runs (real redis-server,
 * reference server, worker processes, loopback sockets) and their JSON reports.
 *
 *   node dist/bench/run.js [--only client,rate,connections,memory,handshakes,tls,tls-hold] [--quick] [--out bench/results/latest.json]
 *
 * The tls figures of BENCHMARKS.md: `node dist/bench/run.js --only tls,tls-hold --out bench/results/tls.json`.
 *
 * Figures:
 *   client       tool CPU per delivered message: `ws` client (anchor) vs the fast client, same
 *                scenario; workers' CPU (the receiving side) and all tool processes
 *   rate         deliveries/s with reference server, tool and Redis sharing the machine: the
 *                publish rate is stepped up until delivery falls below 100 % or p99 passes 1 s
 *   connections  connections held with a low publish rate for 60 s (--quick: 20k for 15 s), peak
 *                RSS of the tool's workers per connection (whole processes)
 *   memory       what one more held connection costs (marginal RSS and JS heap): a bare net.Socket,
 *                the fast client, and a worker's whole client (pool + ledger + protocol); see
 *                memory.ts, which also prints a heap breakdown with --snapshot
 *   tls          ws:// against wss:// and without against with permessage-deflate, the `ws` client as
 *                anchor, each variant a full run in the same invocation (issue 18):
 *                - tool CPU per delivery at 100k deliveries/s (500 clients × 200/s, 1 worker): 64 B
 *                  binary payloads over ws:// and wss://; 1 KiB JSON-like payloads (publish.padding:
 *                  json) over ws:// and wss://, with and without compression (the reference server
 *                  compresses once per channel, server_no_context_takeover; the fast client inflates
 *                  only the stamp), with the compression ratio on the wire;
 *                - handshakes/s: 4,000 connections opened at once (at most 256 handshakes in flight,
 *                  1 worker) against the reference server (2 processes), ws:// and wss:// (sessions
 *                  resumed, and every handshake full), connections ÷ the connect phase's duration;
 *                  tool, server and Redis share the 2 cores, so this is the pair's rate;
 *                - RSS per added connection: memory.ts layers net/tls, fast/fast-tls, ws/ws-tls,
 *                  pool/pool-tls and fast-deflate (6,000 connections each; 15,000 without --quick).
 *                (`tls-cpu`, `tls-handshakes`, `tls-memory` run one part each.)
 *   handshakes   handshake throughput (issue 16): 4,000 connections (--quick: 2,000) opened at once,
 *                then all reset and reconnected at once (a storm), `ws` client as anchor: the connect
 *                phase's rate, the storm's reconnect rate, and worker CPU per connection opened
 *   tls-hold     50,000 wss:// connections held by the tool (--quick: 10,000) with the built-in
 *                server over TLS (4 processes), 10 publishes/s over 100 channels for 60 s (15 s):
 *                connections opened, delivery, tool RSS per connection (whole worker processes).
 * Server CPU per recipient (naive `ws` loop vs reference server) lives in bench/server/.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseScenarioText } from '../src/config/load.js';
import { runEngine } from '../src/engine/runner.js';
import type { RunReport, TransportReport } from '../src/results/types.js';
import { measureMemoryLayers } from './memory.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args[outAt + 1]! : 'bench/results/latest.json';
const wanted = (name: string) => !only || only.has(name);

interface Row {
  figure: string;
  variant: string;
  value: number;
  unit: string;
  detail: string;
}
const rows: Row[] = [];

function record(row: Row): void {
  rows.push(row);
  console.log(`${row.figure.padEnd(28)} ${row.variant.padEnd(26)} ${String(row.value).padStart(12)} ${row.unit.padEnd(14)} ${row.detail}`);
}

async function run(yaml: string, name: string): Promise<TransportReport> {
  const report: RunReport = await runEngine(parseScenarioText(yaml, name));
  const ws = report.transports.websocket!;
  if (!report.run.completed) throw new Error(`${name}: run did not complete: ${report.run.stopReason}`);
  return ws;
}

const workerCpuMs = (t: TransportReport) => t.tool.processes.filter((p) => p.role === 'worker').reduce((a, p) => a + p.cpuMs, 0);
const toolCpuMs = (t: TransportReport) => t.tool.processes.filter((p) => p.role !== 'server').reduce((a, p) => a + p.cpuMs, 0);
const workerPeakRss = (t: TransportReport) => t.tool.processes.filter((p) => p.role === 'worker').reduce((a, p) => a + p.peakRssBytes, 0);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function clientCost(): Promise<void> {
  // Many recipients per publish so the publisher's share is small; 100k deliveries/s so the
  // per-read costs are shared by the messages that arrive together, as in a real load test.
  const connections = quick ? 200 : 500;
  const rate = quick ? 100 : 200;
  const duration = quick ? '5s' : '10s';
  for (const client of ['ws', 'fast']) {
    const t = await run(
      `clients: { connections: ${connections}, rampUp: 2s, wsClient: ${client}, workers: 1 }
publish: { rate: ${rate}/s, duration: ${duration}, payloadSize: 64 }
warmup: 1s
drain: 2s
`,
      `client-${client}`,
    );
    const delivered = t.delivery.delivered;
    const detail = `${delivered} deliveries, ${t.delivery.deliveryRatio * 100}% delivered, p99 ${t.fanoutLatencyMs.p99} ms`;
    record({
      figure: 'client CPU per delivery',
      variant: client === 'ws' ? 'ws client (anchor)' : 'wsbench fast client',
      value: round((workerCpuMs(t) * 1000) / delivered),
      unit: 'µs (workers)',
      detail,
    });
    record({
      figure: 'tool CPU per delivery',
      variant: client === 'ws' ? 'ws client (anchor)' : 'wsbench fast client',
      value: round((toolCpuMs(t) * 1000) / delivered),
      unit: 'µs (all tool)',
      detail: 'coordinator + publisher thread + workers',
    });
  }
}

async function rateLimit(): Promise<void> {
  const connections = 1000;
  let best = 0;
  const steps = quick ? [50, 100] : [50, 100, 200, 300, 400, 600];
  for (const rate of steps) {
    const t = await run(
      `clients: { connections: ${connections}, rampUp: 2s }
publish: { rate: ${rate}/s, duration: ${quick ? '4s' : '8s'}, payloadSize: 64 }
warmup: 1s
drain: 3s
`,
      `rate-${rate}`,
    );
    const ok = t.delivery.deliveryRatio === 1 && t.fanoutLatencyMs.p99 < 1000;
    const server = t.tool.processes.find((p) => p.role === 'server');
    record({
      figure: 'deliveries/s (2 cores shared)',
      variant: `${connections} clients × ${rate}/s`,
      value: t.throughput.deliveriesPerSec,
      unit: 'deliveries/s',
      detail: `${ok ? 'ok' : 'FAILED'}: ${round(t.delivery.deliveryRatio * 100, 3)}% delivered, p50 ${t.fanoutLatencyMs.p50} p99 ${t.fanoutLatencyMs.p99} ms, tool CPU ${t.tool.maxCpuPercent}%, server CPU ${server?.cpuPercent ?? '?'}%${t.tool.bottleneck ? ', TOOL BOTTLENECK' : ''}`,
    });
    if (!ok) break;
    best = Math.max(best, t.throughput.deliveriesPerSec);
  }
  record({ figure: 'deliveries/s (2 cores shared)', variant: 'best step at 100 %', value: best, unit: 'deliveries/s', detail: '' });
}

async function connectionHold(): Promise<void> {
  const connections = quick ? 20_000 : 100_000;
  const t = await run(
    `target: { kind: builtin }
clients: { connections: ${connections}, rampUp: ${quick ? '10s' : '40s'}, maxHandshakesInFlight: 512, connectTimeout: 30s }
publish: { rate: 10/s, duration: ${quick ? '15s' : '60s'}, payloadSize: 64, channels: 100 }
drain: 5s
`,
    'connections',
  );
  record({
    figure: 'connections held',
    variant: `${connections} target`,
    value: t.connections.opened,
    unit: 'connections',
    detail: `${t.connections.failed} failed, ${t.connections.closedEarly} dropped, ${round(t.delivery.deliveryRatio * 100, 3)}% delivered, errors ${JSON.stringify(t.errors)}`,
  });
  record({
    figure: 'tool RSS per connection',
    variant: 'workers',
    value: round(workerPeakRss(t) / Math.max(1, t.connections.opened) / 1024),
    unit: 'KiB',
    detail: `peak RSS of ${t.tool.processes.filter((p) => p.role === 'worker').length} workers (${round(workerPeakRss(t) / 2 ** 20, 0)} MiB), whole processes`,
  });
}

async function memoryPerConnection(): Promise<void> {
  const connections = quick ? 6000 : 15_000;
  const names: Record<string, string> = {
    net: 'bare net.Socket (floor)',
    fast: 'fast client',
    ws: 'ws client',
    pool: "worker's client (pool)",
  };
  await measureMemoryLayers(['net', 'fast', 'pool'], connections, false, (r) =>
    record({
      figure: 'RSS per added connection',
      variant: names[r.layer] ?? r.layer,
      value: r.rss,
      unit: 'B (marginal)',
      detail: `JS heap ${r.heapUsed} B, between ${Math.floor(connections / 3)} and ${connections} open; whole process ${r.whole.rss} MiB`,
    }),
  );
}

/** ws:// vs wss://, with and without compression, fast client and `ws` anchor: CPU per delivery at 100k deliveries/s. */
async function tlsCpu(): Promise<void> {
  const connections = quick ? 200 : 500;
  const rate = quick ? 100 : 200;
  const duration = quick ? '5s' : '10s';
  const variants: { name: string; target: string; clients: string; payload: string }[] = [
    { name: '64 B ws://', target: '{ kind: builtin }', clients: '', payload: 'payloadSize: 64' },
    { name: '64 B wss://', target: '{ kind: builtin, tls: true }', clients: '', payload: 'payloadSize: 64' },
    { name: '1 KiB json ws://', target: '{ kind: builtin }', clients: '', payload: 'payloadSize: 1KiB, padding: json' },
    { name: '1 KiB json wss://', target: '{ kind: builtin, tls: true }', clients: '', payload: 'payloadSize: 1KiB, padding: json' },
    {
      name: '1 KiB json ws:// deflate',
      target: '{ kind: builtin, perMessageDeflate: true }',
      clients: ', compression: require',
      payload: 'payloadSize: 1KiB, padding: json',
    },
    {
      name: '1 KiB json wss:// deflate',
      target: '{ kind: builtin, tls: true, perMessageDeflate: true }',
      clients: ', compression: require',
      payload: 'payloadSize: 1KiB, padding: json',
    },
  ];
  for (const v of variants) {
    for (const client of ['ws', 'fast']) {
      const t = await run(
        `target: ${v.target}
clients: { connections: ${connections}, rampUp: 2s, wsClient: ${client}, workers: 1${v.clients} }
publish: { rate: ${rate}/s, duration: ${duration}, ${v.payload} }
warmup: 1s
drain: 2s
`,
        `tls-cpu-${client}`,
      );
      const delivered = t.delivery.delivered;
      record({
        figure: 'CPU per delivery (tls)',
        variant: `${v.name} ${client === 'ws' ? 'ws client' : 'fast client'}`,
        value: round((workerCpuMs(t) * 1000) / delivered),
        unit: 'µs (workers)',
        detail: `all tool ${round((toolCpuMs(t) * 1000) / delivered)} µs, server ${t.serverCpuUsPerDelivery} µs; ${round(t.delivery.deliveryRatio * 100, 3)}% of ${delivered} delivered, p99 ${t.fanoutLatencyMs.p99} ms; ${t.tls ? Object.keys(t.tls.negotiated).join(',') : 'no TLS'}; wire ${t.compression?.ratio} B/payload B${t.compression?.connections ? ` (deflate on ${t.compression.connections})` : ''}; workers peak RSS ${round(workerPeakRss(t) / 2 ** 20, 0)} MiB${t.tool.bottleneck ? '; TOOL BOTTLENECK' : ''}`,
      });
    }
  }
}

/** Handshakes per second, ws:// and wss:// (resumed and full), both clients. */
async function tlsHandshakes(): Promise<void> {
  const connections = quick ? 2000 : 4000;
  const variants = [
    { name: 'ws://', target: '{ kind: builtin, processes: 2 }', tls: '' },
    { name: 'wss:// resumed', target: '{ kind: builtin, processes: 2, tls: true }', tls: '' },
    { name: 'wss:// full', target: '{ kind: builtin, processes: 2, tls: true }', tls: ', tls: { resumeSessions: false }' },
  ];
  for (const v of variants) {
    for (const client of ['ws', 'fast']) {
      const t = await run(
        `target: ${v.target}
clients: { connections: ${connections}, maxHandshakesInFlight: 256, connectTimeout: 30s, wsClient: ${client}, workers: 1${v.tls} }
publish: { rate: 10/s, duration: 1s, payloadSize: 64, channels: 10 }
drain: 1s
`,
        `tls-handshakes-${client}`,
      );
      const phase = t.phases.find((p) => p.name === 'connecting');
      const seconds = phase ? (phase.endMs - phase.startMs) / 1000 : NaN;
      record({
        figure: 'handshakes/s (tls)',
        variant: `${v.name} ${client === 'ws' ? 'ws client' : 'fast client'}`,
        value: Math.round(t.connections.opened / seconds),
        unit: 'handshakes/s',
        detail: `${t.connections.opened} opened, ${t.connections.failed} failed in ${round(seconds)} s; connect p50 ${t.connectLatencyMs.p50} p99 ${t.connectLatencyMs.p99} ms; resumed ${t.tls?.resumedSessions ?? 0}; workers peak RSS ${round(workerPeakRss(t) / 2 ** 20, 0)} MiB`,
      });
    }
  }
}

/**
 * Handshake throughput (issue 16): N connections opened at once (at most 256 in flight, one
 * worker) against the reference server (2 processes), then every one of them reset at once and
 * reconnected with no wait (a reconnect storm of 100 %), `ws` client as anchor. Figures: the
 * connect phase's rate, the storm's reconnect rate (first to last reconnect), and the workers' CPU
 * per connection opened — the whole run's worker CPU (connects, reconnects, closes and a 10/s
 * trickle of messages) over every connection opened, upgrade included.
 */
async function handshakes(): Promise<void> {
  const connections = quick ? 2000 : 4000;
  for (const client of ['ws', 'fast']) {
    const t = await run(
      `target: { kind: builtin, processes: 2 }
clients: { connections: ${connections}, maxHandshakesInFlight: 256, connectTimeout: 30s, wsClient: ${client}, workers: 1 }
publish: { rate: 10/s, duration: 6s, payloadSize: 64, channels: 10 }
events:
  - { at: 1s, disconnect: 100%, how: reset, reconnect: { after: 0s, jitter: 0s } }
drain: 1s
`,
      `handshakes-${client}`,
    );
    const phase = t.phases.find((p) => p.name === 'connecting');
    const seconds = phase ? (phase.endMs - phase.startMs) / 1000 : NaN;
    const storm = t.reconnects?.events[0];
    const opened = t.connections.opened + (t.reconnects?.count ?? 0);
    const variant = client === 'ws' ? 'ws client (anchor)' : 'wsbench fast client';
    record({
      figure: 'handshakes/s (connect)',
      variant,
      value: Math.round(t.connections.opened / seconds),
      unit: 'handshakes/s',
      detail: `${t.connections.opened} opened, ${t.connections.failed} failed in ${round(seconds)} s; connect p50 ${t.connectLatencyMs.p50} p99 ${t.connectLatencyMs.p99} ms`,
    });
    record({
      figure: 'handshakes/s (storm)',
      variant,
      value: storm?.handshakesPerSec ?? 0,
      unit: 'reconnects/s',
      detail: `${storm?.reconnected ?? 0} of ${storm?.dropped ?? 0} back after ${storm?.allReconnectedMs ?? 'never'} ms, ${storm?.failed ?? 0} failed attempts; time to reconnect p50 ${t.reconnects?.timeToReconnectMs.p50} p99 ${t.reconnects?.timeToReconnectMs.p99} ms; lost ${t.delivery.lost}`,
    });
    record({
      figure: 'tool CPU per connection',
      variant,
      value: round((workerCpuMs(t) * 1000) / opened, 0),
      unit: 'µs (workers)',
      detail: `${opened} connections opened (first + reconnects), worker CPU ${round(workerCpuMs(t))} ms over the whole run; server ${round(t.tool.processes.filter((p) => p.role === 'server').reduce((a, p) => a + p.cpuMs, 0))} ms`,
    });
  }
}

async function tlsMemory(): Promise<void> {
  const connections = quick ? 6000 : 15_000;
  const layers = ['net', 'tls', 'fast', 'fast-tls', 'ws', 'ws-tls', 'pool', 'pool-tls', 'fast-deflate'] as const;
  await measureMemoryLayers([...layers], connections, false, (r) =>
    record({
      figure: 'RSS per added connection (tls)',
      variant: r.layer,
      value: r.rss,
      unit: 'B (marginal)',
      detail: `JS heap ${r.heapUsed} B, external ${r.external} B, between ${Math.floor(connections / 3)} and ${connections} open; whole process ${r.whole.rss} MiB`,
    }),
  );
}

async function tlsHold(): Promise<void> {
  const connections = quick ? 10_000 : 50_000;
  const t = await run(
    `target: { kind: builtin, tls: true, processes: 4 }
clients: { connections: ${connections}, rampUp: ${quick ? '10s' : '50s'}, maxHandshakesInFlight: 256, connectTimeout: 30s }
publish: { rate: 10/s, duration: ${quick ? '15s' : '60s'}, payloadSize: 64, channels: 100 }
drain: 5s
`,
    'tls-hold',
  );
  record({
    figure: 'wss connections held',
    variant: `${connections} target`,
    value: t.connections.opened,
    unit: 'connections',
    detail: `${t.connections.failed} failed, ${t.connections.closedEarly} dropped, ${round(t.delivery.deliveryRatio * 100, 3)}% of ${t.delivery.expected} delivered, resumed ${t.tls?.resumedSessions ?? 0}, errors ${JSON.stringify(t.errors)}, connect p99 ${t.connectLatencyMs.p99} ms`,
  });
  record({
    figure: 'tool RSS per wss connection',
    variant: 'workers',
    value: round(workerPeakRss(t) / Math.max(1, t.connections.opened) / 1024),
    unit: 'KiB',
    detail: `peak RSS of ${t.tool.processes.filter((p) => p.role === 'worker').length} workers (${round(workerPeakRss(t) / 2 ** 20, 0)} MiB), whole processes; server ${round((t.tool.processes.find((p) => p.role === 'server')?.peakRssBytes ?? 0) / 2 ** 20, 0)} MiB`,
  });
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((l) => round(l));
  console.log(
    `wsbench bench on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${quick ? ' (quick)' : ''}, load average ${loadAtStart.join(' ')} at ${new Date().toISOString()}\n`,
  );
  if (wanted('client')) await clientCost();
  if (wanted('rate')) await rateLimit();
  if (wanted('connections')) await connectionHold();
  if (wanted('memory')) await memoryPerConnection();
  if (wanted('handshakes')) await handshakes();
  if (wanted('tls') || wanted('tls-cpu')) await tlsCpu();
  if (wanted('tls') || wanted('tls-handshakes')) await tlsHandshakes();
  if (wanted('tls') || wanted('tls-memory')) await tlsMemory();
  if (wanted('tls-hold')) await tlsHold();
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version },
        // A shared machine makes figures noisy: the 1/5/15-minute load at the start and the end say how busy it was.
        loadAverage: { start: loadAtStart, end: loadavg().map((l) => round(l)) },
        quick,
        rows,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(
    `\nload average ${loadavg()
      .map((l) => round(l))
      .join(' ')} at ${new Date().toISOString()}; results written to ${outFile}`,
  );
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
