/**
 * Synthetic reports for the pure gate, merge and reporter tests: real encoded histograms built
 * from given samples, every other field filled with plausible values that tests can override.
 */
import { createHistogram, encodeHistogram, recordCount, recordMs, summarizeCounts, summarizeMs } from '../../src/metrics/histogram.js';
import { REPORT_SCHEMA, type RunReport, type TransportName, type TransportReport } from '../../src/results/types.js';
import { classReport, emptyClassCounts } from '../../src/results/client-classes.js';

export interface FakeTransport {
  fanoutMs?: number[];
  firstMs?: number[];
  lastMs?: number[];
  connectMs?: number[];
  lagMs?: number[];
  delivered?: number;
  expected?: number;
  lost?: number;
  duplicated?: number;
  failed?: number;
  deliveriesPerSec?: number;
  errors?: Record<string, number>;
  cpu?: number;
  /** Slow consumers (clients.slow): each class's clients, latencies (ms) and lost deliveries, for `classes`. */
  classes?: Record<'normal' | 'slow', { clients: number; fanoutMs: number[]; lost: number }>;
  /** Client senders (publish.via websocket): their own copies' latencies, sends, failures, bufferedAmount samples (bytes). */
  chat?: { echoMs: number[]; sent: number; sendFailures: number; unsent?: number; bufferedBytes: number[] };
}

function hist(samples: number[]) {
  const h = createHistogram();
  for (const ms of samples) recordMs(h, ms);
  return h;
}

export function fakeTransport(name: TransportName, f: FakeTransport = {}): TransportReport {
  const fanout = hist(f.fanoutMs ?? [1, 2, 3, 4, 5]);
  const first = hist(f.firstMs ?? [1]);
  const last = hist(f.lastMs ?? [5]);
  const connect = hist(f.connectMs ?? [10]);
  const lag = hist(f.lagMs ?? [0.1]);
  const expected = f.expected ?? 100;
  const lost = f.lost ?? 0;
  const delivered = f.delivered ?? expected - lost;
  const echo = f.chat ? hist(f.chat.echoMs) : null;
  const buffered = createHistogram();
  for (const bytes of f.chat?.bufferedBytes ?? []) recordCount(buffered, bytes);
  return {
    transport: name,
    fanoutLatencyMs: summarizeMs(fanout),
    ...(f.chat && echo
      ? {
          echoLatencyMs: summarizeMs(echo),
          upstream: {
            senders: 5,
            sent: f.chat.sent,
            sendFailures: f.chat.sendFailures,
            unsent: f.chat.unsent ?? 0,
            unexpectedEchoes: 0,
            bufferedAmountBytes: summarizeCounts(buffered),
          },
        }
      : {}),
    firstRecipientLatencyMs: summarizeMs(first),
    lastRecipientLatencyMs: summarizeMs(last),
    incompletePublishes: 0,
    connectLatencyMs: summarizeMs(connect),
    delivery: {
      expected,
      delivered,
      lost,
      unpublished: 0,
      notOwed: 0,
      duplicated: f.duplicated ?? 0,
      reordered: 0,
      ignored: 0,
      lostRatio: expected > 0 ? lost / expected : 0,
      deliveryRatio: expected > 0 ? delivered / expected : 1,
      ignoredBy: { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 },
    },
    throughput: {
      deliveriesPerSec: f.deliveriesPerSec ?? 1000,
      publishesPerSec: 100,
      targetPublishesPerSec: 100,
      publishFailures: 0,
      publishes: 100,
      publisherLagMs: summarizeMs(lag),
    },
    connections: { target: 10, opened: 10 - (f.failed ?? 0), failed: f.failed ?? 0, closedEarly: 0 },
    errors: f.errors ?? {},
    errorSamples: {},
    clampedSamples: 0,
    wire: { bytesIn: 100 * delivered, bytesOut: 1000, requests: 10 },
    bytesPerDelivery: delivered > 0 ? (100 * delivered + 1000) / delivered : 0,
    requestsPerDelivery: delivered > 0 ? 10 / delivered : 0,
    toolCpuUsPerDelivery: 20,
    serverCpuUsPerDelivery: 10,
    tool: { processes: [], maxCpuPercent: f.cpu ?? 20, maxEventLoopDelayP99Ms: 1, bottleneck: false, bottleneckReasons: [] },
    histograms: {
      fanout: encodeHistogram(fanout),
      firstRecipient: encodeHistogram(first),
      lastRecipient: encodeHistogram(last),
      connect: encodeHistogram(connect),
      publisherLag: encodeHistogram(lag),
      ...(echo ? { echo: encodeHistogram(echo), bufferedAmount: encodeHistogram(buffered) } : {}),
    },
    phases: [
      { name: 'connecting', startMs: 0, endMs: 100 },
      { name: 'publishing', startMs: 200, endMs: 1200 },
      { name: 'draining', startMs: 1200, endMs: 1300 },
    ],
    ...(f.classes
      ? {
          classes: {
            normal: fakeClass(f.classes.normal, null),
            slow: fakeClass(f.classes.slow, { bytesPerSec: 16384 }),
          },
        }
      : {}),
  };
}

function fakeClass(c: { clients: number; fanoutMs: number[]; lost: number }, readThrottle: { bytesPerSec: number } | null) {
  const expected = c.clients * 100;
  return classReport(
    [
      {
        ...emptyClassCounts(c.clients),
        opened: c.clients,
        delivery: {
          expected,
          delivered: expected - c.lost,
          lost: c.lost,
          unpublished: 0,
          notOwed: 0,
          duplicated: 0,
          reordered: 0,
          ignored: 0,
        },
        fanout: encodeHistogram(hist(c.fanoutMs)),
      },
    ],
    readThrottle,
  );
}

export function fakeReport(
  transports: Partial<Record<TransportName, FakeTransport>> = { websocket: {} },
  id = 'r1',
  startedAt = '2025-01-01T00:00:00.000Z',
): RunReport {
  const out: RunReport['transports'] = {};
  for (const [name, f] of Object.entries(transports) as [TransportName, FakeTransport][]) out[name] = fakeTransport(name, f);
  return {
    schema: REPORT_SCHEMA,
    tool: { name: 'wsbench', version: '0.0.0-test', node: process.version },
    run: {
      id,
      name: 'fake',
      startedAt,
      endedAt: startedAt,
      durationMs: 1500,
      completed: true,
      clock: 'test',
      host: { platform: 'linux', arch: 'x64', cpus: 2, cpuModel: 'test', totalMemoryBytes: 1 },
    },
    scenario: {},
    transports: out,
  };
}

/** n samples spread evenly over [lo, hi] ms. */
export function spread(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / Math.max(1, n - 1));
}
