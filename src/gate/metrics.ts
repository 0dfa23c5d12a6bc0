/**
 * The metrics a threshold or a baseline check can name, and how each is read from a RunReport.
 * Pure. A metric path is `[transport.]name`, e.g. `fanout.p99` (websocket, the default) or
 * `longpoll.fanout.p50`; `name` is one of the keys of METRICS below.
 *
 * Every metric has a dimension (so `50ms` can be checked against a latency and rejected against a
 * count), a direction (which way is worse, for baseline checks) and, where the engine's live
 * snapshots carry a counter that can only grow, a `live` reader used to abort a run early.
 */
import type { Snapshot } from '../engine/events.js';
import type { ClientClassName, ClientClassReport, EncodedHistograms, RunReport, TransportName, TransportReport } from '../results/types.js';
import type { LatencySummary } from '../metrics/histogram.js';

export type Dimension = 'duration' | 'ratio' | 'percent' | 'count' | 'rate' | 'number';

/**
 * The transports a metric path may start with. The gate is pure and cannot load the transport
 * registry, so the names are listed here; the compiler checks the list is the registry's, complete.
 */
export const TRANSPORT_NAMES = ['websocket', 'longpoll', 'poll'] as const satisfies readonly TransportName[];
const everyTransportListed: Exclude<TransportName, (typeof TRANSPORT_NAMES)[number]> extends never ? true : never = true;
void everyTransportListed;
/** A metric path without a transport reads this one's figures. */
export const DEFAULT_TRANSPORT: TransportName = 'websocket';

export interface MetricDef {
  name: string;
  dim: Dimension;
  /** Which way is better: baseline checks flag movement the other way. */
  better: 'lower' | 'higher';
  description: string;
  /** The value, or undefined when the report cannot say (e.g. a percentile of no samples). */
  read(t: TransportReport): number | undefined;
  /** For percentile metrics: the histogram and quantile, for the sampling noise band. */
  percentile?: { histogram: keyof EncodedHistograms; quantile: number; summary: (t: TransportReport) => LatencySummary };
  /**
   * A live counter from the engine's snapshots that never decreases during a transport's run and
   * never exceeds the final report's value: lets the gate abort once a `<`/`<=`/`==` threshold on
   * it is certainly broken.
   */
  live?(s: Snapshot): number;
}

const LATENCY_GROUPS: {
  name: string;
  histogram: keyof EncodedHistograms;
  summary: (t: TransportReport) => LatencySummary;
  what: string;
}[] = [
  { name: 'fanout', histogram: 'fanout', summary: (t) => t.fanoutLatencyMs, what: 'publish → each client’s receipt' },
  {
    name: 'firstRecipient',
    histogram: 'firstRecipient',
    summary: (t) => t.firstRecipientLatencyMs,
    what: 'per publish, the first client to receive it',
  },
  {
    name: 'lastRecipient',
    histogram: 'lastRecipient',
    summary: (t) => t.lastRecipientLatencyMs,
    what: 'per publish, the last client to receive it',
  },
  { name: 'connect', histogram: 'connect', summary: (t) => t.connectLatencyMs, what: 'connection handshake' },
  { name: 'publisherLag', histogram: 'publisherLag', summary: (t) => t.throughput.publisherLagMs, what: 'how late the publisher sent' },
  {
    name: 'echo',
    histogram: 'echo',
    // Only runs where clients send have it: without, no samples (a threshold on it fails).
    summary: (t) => t.echoLatencyMs ?? NO_SAMPLES,
    what: 'a sender’s own message back to it (publish.via websocket)',
  },
];

const NO_SAMPLES: LatencySummary = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, stddev: 0 };

const STATS: { stat: keyof LatencySummary; quantile?: number; what: string }[] = [
  { stat: 'p50', quantile: 0.5, what: 'median' },
  { stat: 'p90', quantile: 0.9, what: '90th percentile' },
  { stat: 'p99', quantile: 0.99, what: '99th percentile' },
  { stat: 'p999', quantile: 0.999, what: '99.9th percentile' },
  { stat: 'max', what: 'maximum' },
  { stat: 'min', what: 'minimum' },
  { stat: 'mean', what: 'mean' },
  { stat: 'stddev', what: 'standard deviation' },
];

function buildCatalog(): Map<string, MetricDef> {
  const out = new Map<string, MetricDef>();
  const add = (def: MetricDef) => out.set(def.name, def);
  for (const g of LATENCY_GROUPS) {
    for (const s of STATS) {
      add({
        name: `${g.name}.${s.stat}`,
        dim: 'duration',
        better: 'lower',
        description: `${s.what} latency, ${g.what} (ms)`,
        // No samples means no latency, not zero latency: a threshold on it cannot pass.
        read: (t) => {
          const summary = g.summary(t);
          return summary.count > 0 ? summary[s.stat] : undefined;
        },
        ...(s.quantile !== undefined ? { percentile: { histogram: g.histogram, quantile: s.quantile, summary: g.summary } } : {}),
      });
    }
    add({
      name: `${g.name}.count`,
      dim: 'count',
      better: 'higher',
      description: `samples of ${g.name} latency`,
      read: (t) => g.summary(t).count,
    });
  }
  const d = (t: TransportReport) => t.delivery;
  const counts: [string, (t: TransportReport) => number, 'lower' | 'higher', string, ((s: Snapshot) => number)?][] = [
    ['delivery.expected', (t) => d(t).expected, 'higher', 'deliveries owed to subscribed clients'],
    ['delivery.delivered', (t) => d(t).delivered, 'higher', 'distinct deliveries'],
    ['delivery.lost', (t) => d(t).lost, 'lower', 'deliveries that never arrived although their publish reached Redis'],
    ['delivery.unpublished', (t) => d(t).unpublished, 'lower', 'deliveries owed by publishes that never reached Redis'],
    ['delivery.notOwed', (t) => d(t).notOwed ?? 0, 'lower', 'messages intended while their clients were in a transition the scenario made'],
    ['delivery.duplicated', (t) => d(t).duplicated, 'lower', 'repeated receipts', (s) => s.delivery.duplicated],
    ['delivery.reordered', (t) => d(t).reordered, 'lower', 'messages that arrived after a later one', (s) => s.delivery.reordered],
    ['delivery.ignored', (t) => d(t).ignored, 'lower', 'messages ignored (foreign, unstamped, heartbeat, misrouted)'],
    ['delivery.incompletePublishes', (t) => t.incompletePublishes, 'lower', 'publishes that missed at least one client'],
    ['connections.target', (t) => t.connections.target, 'higher', 'connections wanted'],
    ['connections.opened', (t) => t.connections.opened, 'higher', 'connections opened'],
    ['connections.failed', (t) => t.connections.failed, 'lower', 'connections that failed to open', (s) => s.connections.failed],
    ['connections.closedEarly', (t) => t.connections.closedEarly, 'lower', 'connections closed before the end'],
    [
      'errors.total',
      (t) => Object.values(t.errors).reduce((a, b) => a + b, 0),
      'lower',
      'errors of every kind',
      (s) => Object.values(s.errors).reduce((a, b) => a + b, 0),
    ],
    ['throughput.publishes', (t) => t.throughput.publishes, 'higher', 'publishes sent'],
    [
      'throughput.publishFailures',
      (t) => t.throughput.publishFailures,
      'lower',
      'publishes that never reached Redis',
      (s) => s.publish.errors,
    ],
    ['clampedSamples', (t) => t.clampedSamples, 'lower', 'latencies outside the histogram range'],
  ];
  // Client senders (publish.via websocket): absent otherwise, so a threshold on them cannot pass silently.
  const upstream: [string, (t: TransportReport) => number | undefined, 'lower' | 'higher', string][] = [
    ['upstream.sent', (t) => t.upstream?.sent, 'higher', 'messages the client senders sent'],
    ['upstream.sendFailures', (t) => t.upstream?.sendFailures, 'lower', 'messages due that a sender could not send'],
    ['upstream.unsent', (t) => t.upstream?.unsent, 'lower', 'messages due while the scenario had their sender between connections'],
    [
      'upstream.unexpectedEchoes',
      (t) => t.upstream?.unexpectedEchoes,
      'lower',
      'senders’ own messages that came back although publish.echo is none',
    ],
    [
      'upstream.bufferedAmountBytes.p50',
      (t) => t.upstream?.bufferedAmountBytes.p50,
      'lower',
      'median bytes a sender still held after a send',
    ],
    [
      'upstream.bufferedAmountBytes.p99',
      (t) => t.upstream?.bufferedAmountBytes.p99,
      'lower',
      '99th percentile of the bytes a sender still held after a send',
    ],
    [
      'upstream.bufferedAmountBytes.max',
      (t) => t.upstream?.bufferedAmountBytes.max,
      'lower',
      'most bytes a sender still held after a send',
    ],
  ];
  for (const [name, read, better, description] of upstream) add({ name, dim: 'count', better, description, read });
  for (const [name, read, better, description, live] of counts)
    add({ name, dim: 'count', better, description, read, ...(live ? { live } : {}) });
  add({
    name: 'delivery.lostRatio',
    dim: 'ratio',
    better: 'lower',
    description: 'lost / (expected − notOwed) (0..1; 0.1% = 0.001)',
    read: (t) => d(t).lostRatio,
  });
  add({
    name: 'delivery.deliveryRatio',
    dim: 'ratio',
    better: 'higher',
    description: 'delivered / (expected − notOwed) (0..1)',
    read: (t) => d(t).deliveryRatio,
  });
  // Reconnects after the scenario's events (absent without events: a threshold on them cannot pass).
  const r = (t: TransportReport) => t.reconnects;
  add({
    name: 'reconnects.count',
    dim: 'count',
    better: 'higher',
    description: 'clients subscribed again after an event dropped them',
    read: (t) => r(t)?.count,
  });
  add({
    name: 'reconnects.failed',
    dim: 'count',
    better: 'lower',
    description: 'reconnect attempts that failed',
    read: (t) => r(t)?.failed,
  });
  add({
    name: 'reconnects.dropped',
    dim: 'count',
    better: 'higher',
    description: 'clients the events dropped',
    read: (t) => r(t)?.dropped,
  });
  add({
    name: 'reconnects.allReconnectedMs',
    dim: 'duration',
    better: 'lower',
    description: 'from an event to every client it dropped subscribed again, the longest (ms)',
    read: (t) => r(t)?.allReconnectedMs ?? undefined,
  });
  for (const stat of ['p50', 'p99', 'max'] as const)
    add({
      name: `reconnects.timeToReconnect.${stat}`,
      dim: 'duration',
      better: 'lower',
      description: `time from an event to a client’s readiness again, ${stat} (ms)`,
      read: (t) => (r(t) && r(t)!.count > 0 ? r(t)!.timeToReconnectMs[stat] : undefined),
    });
  add({
    name: 'throughput.deliveriesPerSec',
    dim: 'rate',
    better: 'higher',
    description: 'measured deliveries per second',
    read: (t) => t.throughput.deliveriesPerSec,
  });
  add({
    name: 'throughput.publishesPerSec',
    dim: 'rate',
    better: 'higher',
    description: 'measured publishes per second',
    read: (t) => t.throughput.publishesPerSec,
  });
  add({
    name: 'throughput.targetPublishesPerSec',
    dim: 'rate',
    better: 'higher',
    description: 'configured publish rate',
    read: (t) => t.throughput.targetPublishesPerSec,
  });
  add({
    name: 'wire.bytesIn',
    dim: 'count',
    better: 'lower',
    description: 'bytes the clients received (TCP payload)',
    read: (t) => t.wire.bytesIn,
  });
  add({ name: 'wire.bytesOut', dim: 'count', better: 'lower', description: 'bytes the clients sent', read: (t) => t.wire.bytesOut });
  add({
    name: 'wire.requests',
    dim: 'count',
    better: 'lower',
    description: 'HTTP requests (WebSocket: the upgrades)',
    read: (t) => t.wire.requests,
  });
  add({
    name: 'bytesPerDelivery',
    dim: 'number',
    better: 'lower',
    description: 'wire bytes per delivered message',
    read: (t) => t.bytesPerDelivery,
  });
  add({
    name: 'requestsPerDelivery',
    dim: 'number',
    better: 'lower',
    description: 'HTTP requests per delivered message',
    read: (t) => t.requestsPerDelivery,
  });
  add({
    name: 'toolCpuUsPerDelivery',
    dim: 'number',
    better: 'lower',
    description: 'wsbench CPU per delivered message (µs)',
    read: (t) => t.toolCpuUsPerDelivery,
  });
  add({
    name: 'serverCpuUsPerDelivery',
    dim: 'number',
    better: 'lower',
    description: 'reference server CPU per delivered message (µs; only when wsbench runs the server)',
    read: (t) => t.serverCpuUsPerDelivery ?? undefined,
  });
  add({
    name: 'tool.maxCpuPercent',
    dim: 'percent',
    better: 'lower',
    description: 'busiest wsbench process, % of one core',
    read: (t) => t.tool.maxCpuPercent,
  });
  add({
    name: 'tool.maxEventLoopDelayP99Ms',
    dim: 'duration',
    better: 'lower',
    description: 'worst event-loop delay p99 of wsbench processes (ms)',
    read: (t) => t.tool.maxEventLoopDelayP99Ms,
  });
  add({
    name: 'tool.bottleneck',
    dim: 'count',
    better: 'lower',
    description: '1 when wsbench itself may have been the bottleneck, else 0',
    read: (t) => (t.tool.bottleneck ? 1 : 0),
  });
  addClassMetrics(add);
  return out;
}

/**
 * Per client class (clients.slow): `classes.normal.fanout.p99`, `classes.slow.delivery.lostRatio`…
 * A report without classes has none of them, so a threshold on one cannot pass silently.
 */
function addClassMetrics(add: (def: MetricDef) => void): void {
  for (const name of ['normal', 'slow'] as const satisfies readonly ClientClassName[]) {
    const of = (t: TransportReport) => t.classes?.[name];
    for (const s of STATS) {
      add({
        name: `classes.${name}.fanout.${s.stat}`,
        dim: 'duration',
        better: 'lower',
        description: `${s.what} latency of the ${name} clients, publish → receipt (ms)`,
        read: (t) => {
          const summary = of(t)?.fanoutLatencyMs;
          return summary && summary.count > 0 ? summary[s.stat] : undefined;
        },
      });
    }
    const counts: [string, (c: ClientClassReport) => number, 'lower' | 'higher', string][] = [
      ['delivery.expected', (c) => c.delivery.expected, 'higher', 'deliveries owed'],
      ['delivery.delivered', (c) => c.delivery.delivered, 'higher', 'distinct deliveries'],
      ['delivery.lost', (c) => c.delivery.lost, 'lower', 'deliveries that never arrived'],
      ['connections.closedEarly', (c) => c.connections.closedEarly, 'lower', 'connections closed before the end'],
      ['errors.total', (c) => Object.values(c.errors).reduce((a, b) => a + b, 0), 'lower', 'errors of every kind'],
    ];
    for (const [metric, read, better, description] of counts)
      add({
        name: `classes.${name}.${metric}`,
        dim: 'count',
        better,
        description: `${name} clients: ${description}`,
        read: (t) => {
          const c = of(t);
          return c ? read(c) : undefined;
        },
      });
    add({
      name: `classes.${name}.delivery.lostRatio`,
      dim: 'ratio',
      better: 'lower',
      description: `${name} clients: lost / expected (0..1)`,
      read: (t) => of(t)?.delivery.lostRatio,
    });
    add({
      name: `classes.${name}.delivery.deliveryRatio`,
      dim: 'ratio',
      better: 'higher',
      description: `${name} clients: delivered / expected (0..1)`,
      read: (t) => of(t)?.delivery.deliveryRatio,
    });
  }
}

export const METRICS: ReadonlyMap<string, MetricDef> = buildCatalog();

/**
 * Metrics compared against a baseline when none are chosen. Not lastRecipient.p99: it has one
 * sample per publish (a few hundred in a CI run, so its p99 is the 4th-worst publish) and is too
 * noisy for a default regression check; add it per scenario when runs are long enough.
 */
export const DEFAULT_BASELINE_METRICS = ['fanout.p50', 'fanout.p99', 'delivery.lostRatio', 'throughput.deliveriesPerSec'] as const;

export interface MetricRef {
  /** As written (or canonical when built in code), e.g. `longpoll.fanout.p50`. */
  path: string;
  transport: TransportName;
  def: MetricDef;
}

export type MetricLookup = { ok: true; ref: MetricRef } | { ok: false; message: string };

/** Resolves `fanout.p99`, `websocket.fanout.p99`, `longpoll.delivery.lostRatio`. */
export function lookupMetric(path: string): MetricLookup {
  const parts = path.split('.');
  let transport = DEFAULT_TRANSPORT;
  if (parts.length > 1 && (TRANSPORT_NAMES as readonly string[]).includes(parts[0]!)) transport = parts.shift() as TransportName;
  const name = parts.join('.');
  const def = METRICS.get(name);
  if (def) return { ok: true, ref: { path, transport, def } };
  const near = nearestMetric(name);
  return { ok: false, message: `unknown metric "${path}"${near ? ` (did you mean ${near}?)` : ''}` };
}

function nearestMetric(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of METRICS.keys()) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

export type MetricValue = { ok: true; value: number } | { ok: false; why: string };

export function readMetric(report: Pick<RunReport, 'transports'>, ref: MetricRef): MetricValue {
  const t = report.transports[ref.transport];
  if (!t) return { ok: false, why: `no ${ref.transport} results in the report` };
  const value = ref.def.read(t);
  if (value === undefined || !Number.isFinite(value)) return { ok: false, why: `${ref.path}: no samples` };
  return { ok: true, value };
}

/** Human form of a value in its dimension: `0.612 ms`, `0.12%`, `20,000/s`, `85%`. */
export function formatValue(value: number, dim: Dimension): string {
  if (!Number.isFinite(value)) return String(value);
  switch (dim) {
    case 'duration':
      return `${trimNumber(value)} ms`;
    case 'ratio':
      return `${trimNumber(value * 100)}%`;
    case 'percent':
      return `${trimNumber(value)}%`;
    case 'count':
      return Number.isInteger(value) ? value.toLocaleString('en-US') : trimNumber(value);
    case 'rate':
      return `${Math.round(value).toLocaleString('en-US')}/s`;
    case 'number':
      return trimNumber(value);
  }
}

function trimNumber(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 3 : Math.min(6, 3 - Math.floor(Math.log10(abs)));
  return String(+x.toFixed(digits));
}
