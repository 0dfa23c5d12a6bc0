/**
 * What the timeline costs at 400k deliveries/s: the same scenario run by two builds of wsbench —
 * a baseline checkout (before the timeline, e.g. main) and this one — alternating, so drift in
 * what else the shared machine is doing falls on both. Each run is a full wsbench run (real
 * redis-server, reference server, worker processes, loopback sockets); the figures come from its
 * report: deliveries/s and delivery ratio (the open loop offers 400k/s either way: a cost shows as
 * missed deliveries or latency), tool CPU per delivery (workers, and all tool processes), p50/p99.
 *
 *   node dist/bench/timeline-cost.js --base /path/to/baseline/checkout [--runs 3] [--out bench/results/timeline-cost.json]
 *
 * The baseline checkout must be built (`npx tsc -p tsconfig.json`) with its own dist/.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport, TransportReport } from '../src/results/types.js';
import type * as Load from '../src/config/load.js';
import type * as Runner from '../src/engine/runner.js';

const args = process.argv.slice(2);
const option = (name: string, fallback?: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const base = option('--base');
if (!base) {
  console.error('usage: node dist/bench/timeline-cost.js --base <baseline checkout> [--runs 3] [--out file]');
  process.exit(2);
}
const runs = Number(option('--runs', '3'));
const outFile = option('--out', 'bench/results/timeline-cost.json')!;
const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const SCENARIO = `clients: { connections: 1000, rampUp: 2s }
publish: { rate: 400/s, duration: 8s, payloadSize: 64 }
warmup: 1s
drain: 3s
`;

interface Build {
  name: 'before' | 'after';
  root: string;
}

interface Result {
  build: Build['name'];
  run: number;
  loadAverage1m: number;
  deliveriesPerSec: number;
  deliveryRatio: number;
  workerCpuUsPerDelivery: number;
  toolCpuUsPerDelivery: number;
  p50: number;
  p99: number;
  maxToolCpuPercent: number;
  timelineIntervals: number | null;
}

async function runWith(build: Build, run: number): Promise<Result> {
  const { parseScenarioText } = (await import(`${build.root}/dist/src/config/load.js`)) as typeof Load;
  // Builds before the rename export the engine's run as runScenario.
  const runner = (await import(`${build.root}/dist/src/engine/runner.js`)) as typeof Runner & { runScenario?: typeof Runner.runEngine };
  const runEngine = runner.runEngine ?? runner.runScenario!;
  const loadAverage1m = loadavg()[0]!;
  const report: RunReport = await runEngine(parseScenarioText(SCENARIO, `timeline-cost-${build.name}.yaml`));
  const t: TransportReport = report.transports.websocket!;
  if (!report.run.completed) throw new Error(`${build.name} run ${run}: did not complete: ${report.run.stopReason}`);
  const cpuMs = (roles: string[]) => t.tool.processes.filter((p) => roles.includes(p.role)).reduce((a, p) => a + p.cpuMs, 0);
  const perDelivery = (ms: number) => Math.round(((ms * 1000) / t.delivery.delivered) * 1000) / 1000;
  return {
    build: build.name,
    run,
    loadAverage1m: Math.round(loadAverage1m * 100) / 100,
    deliveriesPerSec: t.throughput.deliveriesPerSec,
    deliveryRatio: t.delivery.deliveryRatio,
    workerCpuUsPerDelivery: perDelivery(cpuMs(['worker'])),
    toolCpuUsPerDelivery: perDelivery(cpuMs(['worker', 'coordinator'])),
    p50: t.fanoutLatencyMs.p50,
    p99: t.fanoutLatencyMs.p99,
    maxToolCpuPercent: t.tool.maxCpuPercent,
    timelineIntervals: t.timeline ? t.timeline.intervals.length : null,
  };
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${median} (${sorted[0]}–${sorted[sorted.length - 1]})`;
}

async function main(): Promise<void> {
  const builds: Build[] = [
    { name: 'before', root: resolve(base!) },
    { name: 'after', root: here },
  ];
  console.log(`timeline cost on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${runs} runs each, alternating`);
  const results: Result[] = [];
  for (let run = 0; run < runs; run++) {
    // Alternate which goes first, so neither always follows the other.
    const order = run % 2 === 0 ? builds : [...builds].reverse();
    for (const build of order) {
      const r = await runWith(build, run);
      results.push(r);
      console.log(
        `${r.build.padEnd(6)} run ${run}: ${r.deliveriesPerSec} deliveries/s (${(r.deliveryRatio * 100).toFixed(3)} %), workers ${r.workerCpuUsPerDelivery} µs, all tool ${r.toolCpuUsPerDelivery} µs per delivery, p50 ${r.p50} p99 ${r.p99} ms, tool CPU max ${r.maxToolCpuPercent} %, load ${r.loadAverage1m}${r.timelineIntervals === null ? '' : `, ${r.timelineIntervals} intervals`}`,
      );
    }
  }
  console.log('\nmedian (min–max):');
  for (const name of ['before', 'after'] as const) {
    const mine = results.filter((r) => r.build === name);
    console.log(
      `${name.padEnd(6)} deliveries/s ${spread(mine.map((r) => r.deliveriesPerSec))}; workers µs/delivery ${spread(mine.map((r) => r.workerCpuUsPerDelivery))}; all tool µs/delivery ${spread(mine.map((r) => r.toolCpuUsPerDelivery))}; p99 ${spread(mine.map((r) => r.p99))} ms`,
    );
  }
  writeFileSync(
    outFile,
    JSON.stringify(
      {
        machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version },
        scenario: SCENARIO,
        results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nresults written to ${outFile}`);
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.message}`);
  process.exitCode = 1;
});
