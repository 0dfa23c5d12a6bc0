/**
 * The worker's receive path alone, for two builds (a baseline checkout and this one): a ClientPool
 * with in-memory clients is handed stamped 64-byte binary messages exactly as a transport hands
 * them over (stamp read, ledger, histograms, and in this build the timeline's interval slot), with
 * no sockets, no server and no Redis — so the difference between the builds is what the timeline
 * adds per delivery, without the kernel's and the network's noise. A pass's intended times span one
 * second (one or two intervals, as a second of a real run holds: the per-interval work stays the
 * same whatever the number of deliveries, so a difference of two pass sizes is per delivery), and
 * no interval closes during the measurement: what closing costs, once per interval and worker, is
 * measured apart (encoding one interval histogram).
 *
 * Under `valgrind --tool=callgrind` (instructions, not seconds: repeatable on a busy machine), run
 * one build with two pass sizes; (Ir of the larger − Ir of the smaller) / (2 × clients × extra
 * publishes) is the instructions per delivery (two passes: the unmeasured first one and one round).
 *
 *   node dist/bench/receive-path.js --base <baseline checkout> [--rounds 7] [--clients 1000] [--publishes 4000]
 *   node dist/bench/receive-path.js --only <checkout> --clients 100 --publishes 2000   (one build, for valgrind)
 *
 * `--channels-per-client K` (default 1) puts every client in K channels (the plan's `membership`,
 * `{ perClient: K }` over K channels, one connection each): each client still receives every
 * publish, now routed to the ledger of its channel, so a pass has as many deliveries as with one
 * channel and the two counts compare per delivery. Only builds with config/membership.js have it.
 * Every pass checks that the build counted every delivery (a plan an older build reads differently
 * would otherwise measure its ignore path).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Pool from '../src/engine/client-pool.js';
import type * as Stamp from '../src/metrics/stamp.js';
import type * as Monitor from '../src/process/monitor.js';
import type * as Clock from '../src/metrics/clock.js';
import type * as Histograms from '../src/metrics/histogram.js';
import type { WorkerPlan } from '../src/engine/worker-messages.js';
import type { TransportEvents, TransportFactory } from '../src/transports/transport.js';

const args = process.argv.slice(2);
const option = (name: string, fallback?: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const clients = Number(option('--clients', '1000'));
const publishes = Number(option('--publishes', '4000'));
const rounds = Number(option('--rounds', '7'));
const channelsPerClient = Number(option('--channels-per-client', '1'));
if (!Number.isInteger(channelsPerClient) || channelsPerClient < 1)
  throw new Error(`--channels-per-client: ${option('--channels-per-client')} is not a whole number of at least 1`);
const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Publishes per second of intended time: a pass covers one second. */
const RATE = publishes;
const RUN_ID = '74696d656c696e65';

interface Loaded {
  name: string;
  pool: typeof Pool;
  stamp: typeof Stamp;
  monitor: typeof Monitor;
  clock: typeof Clock;
  histograms: typeof Histograms;
}

async function load(name: string, root: string): Promise<Loaded> {
  const at = (path: string) => import(`${root}/dist/src/${path}`);
  if (channelsPerClient > 1)
    await at('config/membership.js').catch(() => {
      throw new Error(
        `--channels-per-client ${channelsPerClient}: the build in ${root} has no clients in several channels (no config/membership.js)`,
      );
    });
  return {
    name,
    pool: (await at('engine/client-pool.js')) as typeof Pool,
    stamp: (await at('metrics/stamp.js')) as typeof Stamp,
    monitor: (await at('process/monitor.js')) as typeof Monitor,
    clock: (await at('metrics/clock.js')) as typeof Clock,
    histograms: (await at('metrics/histogram.js')) as typeof Histograms,
  };
}

/** ns per delivery for one pass of every publish to every client. */
async function pass(b: Loaded): Promise<number> {
  const now = b.clock.monotonicMs();
  // Intended times an hour ahead: no interval closes while measuring (see the file comment).
  const t0 = now + 3_600_000;
  const plan = {
    workerId: 0,
    runId: RUN_ID,
    transport: 'websocket',
    transportSettings: { websocketClient: 'fast', pollIntervalMs: 1000, longPollHoldMs: 30_000 },
    firstClient: 0,
    clientCount: clients,
    totalClients: clients,
    // K channels, every client in all of them (k = K consecutive channels of K): one delivery per publish and client, as with one.
    channelNames: channelsPerClient === 1 ? ['bench'] : Array.from({ length: channelsPerClient }, (_, i) => `bench-${i}`),
    ...(channelsPerClient > 1 ? { membership: { perClient: channelsPerClient } } : {}),
    urlTemplate: 'ws://127.0.0.1:1/ws/{channel}',
    headers: {},
    subprotocols: [],
    // As PLAIN_PROTOCOL (without sendAfterOpen, builds since c455ace threw from their open's continuation).
    clientProtocol: { kind: 'plain', sendAfterOpen: [], ignore: [] },
    rampUpMs: 0,
    connectStartMs: now,
    maxInFlight: clients,
    connectTimeoutMs: 10_000,
    maxPayload: 1024,
    encoding: 'binary',
    totalPublishes: publishes,
    warmupPublishes: 0,
    snapshotIntervalMs: 500,
    perPublishLimit: 4_000_000,
    localAddresses: [],
    timeline: { originMs: now, lengthMs: 1000 },
    publishRate: [{ durationMs: Number.POSITIVE_INFINITY, from: RATE, to: RATE }],
    clientStride: 1,
    lifecycle: { connections: null, spanMs: Number.POSITIVE_INFINITY, churnPerSec: 0, events: [], readyDelayMs: 0 },
  } as unknown as WorkerPlan;
  const sinks: TransportEvents[] = [];
  const factory: TransportFactory = (_options, events) => {
    sinks.push(events);
    return {
      open: () => Promise.resolve(),
      send: () => {},
      sendPayload: () => false,
      bufferedAmount: () => 0,
      close: () => Promise.resolve(),
      reset: () => {},
      wire: () => ({ bytesIn: 0, bytesOut: 0, requests: 0 }),
    };
  };
  const pool = new b.pool.ClientPool(plan, factory, new b.monitor.ProcessMonitor('worker'));
  await pool.connectAll(now);
  (pool as unknown as { publishing?: (t0: number) => void }).publishing?.(t0);
  const writer = new b.stamp.StampWriter(RUN_ID, 'binary', 64);
  const payloads = Array.from({ length: publishes }, (_, seq) => Buffer.from(writer.write(seq, t0 + (seq * 1000) / RATE)));
  const started = process.hrtime.bigint();
  for (let seq = 0; seq < publishes; seq++) {
    const payload = payloads[seq]!;
    const receivedAt = t0 + (seq * 1000) / RATE + 5 + (seq % 7);
    for (let c = 0; c < sinks.length; c++) sinks[c]!.onMessage(payload, 0, payload.length, receivedAt);
  }
  const ns = Number(process.hrtime.bigint() - started) / (publishes * sinks.length);
  // finish() took acknowledged publishes per channel before issue 12 and a publish outcome since:
  // one value that reads as either, so any two builds can be compared.
  const everything = Object.assign([publishes], { sent: publishes, failed: { ranges: new Uint32Array(0) } });
  const result = (await pool.finish(everything as never)) as { delivery: { delivered: number } };
  const wanted = publishes * sinks.length;
  if (result.delivery.delivered !== wanted || sinks.length !== clients)
    throw new Error(
      `${b.name}: ${result.delivery.delivered} of ${wanted} deliveries counted over ${sinks.length} connections (wanted ${clients}): not the delivery path`,
    );
  return ns;
}

/** ms to encode one interval's histogram of a second at 400k deliveries/s (once per interval and worker). */
function encodeCost(b: Loaded): number {
  const h = b.histograms.createHistogram();
  for (let i = 0; i < 400_000; i++) b.histograms.recordMs(h, 5 + (i % 7) + (i % 1000) / 100);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) b.histograms.encodeHistogram(h);
  return Number(process.hrtime.bigint() - started) / 20 / 1e6;
}

async function main(): Promise<void> {
  const only = option('--only');
  const base = option('--base');
  const builds = only ? [await load('only', resolve(only))] : [await load('before', resolve(base ?? '')), await load('after', here)];
  if (!only && !base) throw new Error('--base <baseline checkout> or --only <checkout>');
  const results = new Map<string, number[]>(builds.map((b) => [b.name, []]));
  // One unmeasured pass each first (JIT).
  for (const b of builds) await pass(b);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) results.get(b.name)!.push(await pass(b));
  }
  for (const [name, ns] of results) {
    const sorted = [...ns].sort((a, b) => a - b);
    const fmt = (x: number) => x.toFixed(1);
    console.log(
      `${name.padEnd(6)} ns per delivery: median ${fmt(sorted[Math.floor(sorted.length / 2)]!)} (min ${fmt(sorted[0]!)}, max ${fmt(sorted[sorted.length - 1]!)}) over ${rounds} passes of ${clients} clients × ${publishes} publishes`,
    );
  }
  console.log(`encoding one interval histogram (400k values): ${encodeCost(builds[builds.length - 1]!).toFixed(2)} ms`);
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.stack ?? e.message}`);
  process.exitCode = 1;
});
