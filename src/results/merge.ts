/**
 * Merging reports (`--repeat N`) into one that reads like a single run of the scenario:
 *  - latency figures are recomputed from the exactly merged encoded histograms (every run's
 *    samples; never averaged percentiles);
 *  - counts (connections, delivery ledger, errors, wire, publishes) are **per-run means**, so a
 *    50-connection scenario reports 50 opened, thresholds compare with the scenario's own scale,
 *    and every identity and ratio of the ledger still holds (the mean is linear);
 *  - ratios and rates are pooled: lost ÷ expected over all runs, deliveries/s time-weighted;
 *  - the timeline likewise: per-run mean counts per interval, histograms added
 *    (results/timeline.ts perRunMeans);
 *  - every run's own results are kept in `repeats` (the baseline's noise model reads them).
 * Pure.
 */
import { deliveryReport } from '../metrics/ledger.js';
import { encodeHistogram, mergeEncoded, summarizeCounts, summarizeMs } from '../metrics/histogram.js';
import { buildComparison } from './comparison.js';
import { mergeTimelines } from './timeline.js';
import type {
  EncodedHistograms,
  IgnoredBreakdown,
  Incident,
  ReconnectEventReport,
  ReconnectReport,
  RepeatedRun,
  RunReport,
  TransportName,
  TransportReport,
} from './types.js';
import { round3 } from '../metrics/rounding.js';
import { WsbenchError } from '../errors.js';
import { mergeClassReports } from './client-classes.js';

export function mergeReports(reports: readonly RunReport[]): RunReport {
  if (reports.length === 0) throw new WsbenchError('INTERNAL', 'mergeReports: no reports');
  if (reports.length === 1) return reports[0]!;
  const first = reports[0]!;
  const last = reports[reports.length - 1]!;
  const names = new Set<TransportName>();
  for (const r of reports) for (const name of Object.keys(r.transports) as TransportName[]) names.add(name);
  const transports: RunReport['transports'] = {};
  for (const name of names) {
    const parts = reports.flatMap((r) => (r.transports[name] ? [r.transports[name]!] : []));
    transports[name] = mergeTransport(parts);
  }
  const incomplete = reports.find((r) => !r.run.completed);
  const repeats: RepeatedRun[] = reports.flatMap((r) =>
    r.repeats && r.repeats.length > 0 ? r.repeats : [{ run: r.run, transports: r.transports }],
  );
  const { gate: _gate, repeats: _repeats, comparison: _comparison, ...base } = first;
  const comparison = buildComparison(transports);
  const incidents = mergeIncidents(repeats);
  const { incidents: _incidents, ...firstRun } = first.run;
  return {
    ...base,
    run: {
      ...firstRun,
      endedAt: last.run.endedAt,
      durationMs: reports.reduce((a, r) => a + r.run.durationMs, 0),
      completed: incomplete === undefined,
      ...(incomplete?.run.stopReason ? { stopReason: incomplete.run.stopReason } : {}),
      ...(incidents.length > 0 ? { incidents } : {}),
    },
    transports,
    ...(comparison ? { comparison } : {}),
    repeats,
  };
}

type RequiredHistogram = Exclude<keyof EncodedHistograms, 'echo' | 'bufferedAmount'>;
const HISTOGRAM_KEYS: RequiredHistogram[] = ['fanout', 'firstRecipient', 'lastRecipient', 'connect', 'publisherLag'];

/** The client senders' figures of runs that all had them (publish.via websocket): counts as means, histograms added. */
function mergeUpstream(parts: readonly TransportReport[], mean: (f: (t: TransportReport) => number) => number): Partial<TransportReport> {
  if (!parts.every((t) => t.upstream && t.histograms.echo && t.histograms.bufferedAmount)) return {};
  const echo = mergeEncoded(parts.map((t) => t.histograms.echo!));
  const buffered = mergeEncoded(parts.map((t) => t.histograms.bufferedAmount!));
  return {
    echoLatencyMs: summarizeMs(echo),
    upstream: {
      senders: parts[0]!.upstream!.senders,
      sent: mean((t) => t.upstream!.sent),
      sendFailures: mean((t) => t.upstream!.sendFailures),
      unsent: mean((t) => t.upstream!.unsent ?? 0),
      unexpectedEchoes: mean((t) => t.upstream!.unexpectedEchoes ?? 0),
      bufferedAmountBytes: summarizeCounts(buffered),
    },
    histograms: { ...parts[0]!.histograms, echo: encodeHistogram(echo), bufferedAmount: encodeHistogram(buffered) },
  };
}

export function mergeTransport(parts: readonly TransportReport[]): TransportReport {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const merged = {} as Record<RequiredHistogram, ReturnType<typeof mergeEncoded>>;
  for (const key of HISTOGRAM_KEYS) merged[key] = mergeEncoded(parts.map((p) => p.histograms[key]));
  const sum = (f: (t: TransportReport) => number) => parts.reduce((a, t) => a + f(t), 0);
  /** A count per run: the mean over the runs (see the file comment). */
  const mean = (f: (t: TransportReport) => number) => round3(sum(f) / parts.length);

  const counts = {
    expected: mean((t) => t.delivery.expected),
    delivered: mean((t) => t.delivery.delivered),
    lost: mean((t) => t.delivery.lost),
    // Absent in reports from before failed publishes were accounted.
    unpublished: mean((t) => t.delivery.unpublished ?? 0),
    // Absent in reports from before transitions (stages, churn, storms) were accounted.
    notOwed: mean((t) => t.delivery.notOwed ?? 0),
    duplicated: mean((t) => t.delivery.duplicated),
    reordered: mean((t) => t.delivery.reordered),
    ignored: mean((t) => t.delivery.ignored),
  };
  const ignoredBy = {} as IgnoredBreakdown;
  for (const key of Object.keys(first.delivery.ignoredBy) as (keyof IgnoredBreakdown)[])
    ignoredBy[key] = mean((t) => t.delivery.ignoredBy[key] ?? 0);
  // Ratios pooled from the totals (exact), counts as per-run means.
  const pooled = deliveryReport(
    {
      expected: sum((t) => t.delivery.expected),
      delivered: sum((t) => t.delivery.delivered),
      lost: sum((t) => t.delivery.lost),
      unpublished: sum((t) => t.delivery.unpublished ?? 0),
      notOwed: sum((t) => t.delivery.notOwed ?? 0),
      duplicated: sum((t) => t.delivery.duplicated),
      reordered: sum((t) => t.delivery.reordered),
      ignored: sum((t) => t.delivery.ignored),
    },
    ignoredBy,
  );
  const errors: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  for (const t of parts) {
    for (const [k, v] of Object.entries(t.errors)) errors[k] = (errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(t.errorSamples)) errorSamples[k] ??= v;
  }
  for (const k of Object.keys(errors)) errors[k] = round3(errors[k]! / parts.length);

  const wire = { bytesIn: mean((t) => t.wire.bytesIn), bytesOut: mean((t) => t.wire.bytesOut), requests: mean((t) => t.wire.requests) };
  // Per-delivery figures over all runs: totals ÷ total deliveries.
  const delivered = sum((t) => t.delivery.delivered);
  const perDelivery = (total: number) => (delivered > 0 ? round3(total / delivered) : 0);
  // Per-delivery CPU figures are CPU ÷ delivered per run: weight them back into totals.
  const cpuUs = (f: (t: TransportReport) => number | null) => sum((t) => (f(t) ?? 0) * t.delivery.delivered);
  const upstream = mergeUpstream(parts, mean);

  return {
    transport: first.transport,
    fanoutLatencyMs: summarizeMs(merged.fanout),
    ...(upstream.echoLatencyMs ? { echoLatencyMs: upstream.echoLatencyMs, upstream: upstream.upstream! } : {}),
    firstRecipientLatencyMs: summarizeMs(merged.firstRecipient),
    lastRecipientLatencyMs: summarizeMs(merged.lastRecipient),
    incompletePublishes: mean((t) => t.incompletePublishes),
    connectLatencyMs: summarizeMs(merged.connect),
    delivery: { ...pooled, ...counts },
    throughput: {
      deliveriesPerSec: pooledRate(parts, (t) => t.throughput.deliveriesPerSec),
      publishesPerSec: pooledRate(parts, (t) => t.throughput.publishesPerSec),
      targetPublishesPerSec: first.throughput.targetPublishesPerSec,
      publishes: mean((t) => t.throughput.publishes),
      publishFailures: mean((t) => t.throughput.publishFailures ?? 0),
      publisherLagMs: summarizeMs(merged.publisherLag),
    },
    connections: {
      target: mean((t) => t.connections.target),
      opened: mean((t) => t.connections.opened),
      failed: mean((t) => t.connections.failed),
      closedEarly: mean((t) => t.connections.closedEarly),
      ...(parts.every((t) => t.connections.churn)
        ? {
            churn: {
              closed: mean((t) => t.connections.churn!.closed),
              opened: mean((t) => t.connections.churn!.opened),
              failed: mean((t) => t.connections.churn!.failed),
            },
          }
        : {}),
    },
    ...(parts.every((t) => t.reconnects) ? { reconnects: mergeReconnects(parts.map((t) => t.reconnects!)) } : {}),
    errors,
    errorSamples,
    clampedSamples: mean((t) => t.clampedSamples),
    wire,
    bytesPerDelivery: perDelivery(sum((t) => t.wire.bytesIn + t.wire.bytesOut)),
    requestsPerDelivery: perDelivery(sum((t) => t.wire.requests)),
    toolCpuUsPerDelivery: perDelivery(cpuUs((t) => t.toolCpuUsPerDelivery)),
    serverCpuUsPerDelivery: parts.every((t) => t.serverCpuUsPerDelivery !== null)
      ? perDelivery(cpuUs((t) => t.serverCpuUsPerDelivery))
      : null,
    tool: {
      processes: parts.flatMap((t) => t.tool.processes),
      maxCpuPercent: Math.max(...parts.map((t) => t.tool.maxCpuPercent)),
      maxEventLoopDelayP99Ms: Math.max(...parts.map((t) => t.tool.maxEventLoopDelayP99Ms)),
      bottleneck: parts.some((t) => t.tool.bottleneck),
      bottleneckReasons: [...new Set(parts.flatMap((t) => t.tool.bottleneckReasons))],
    },
    histograms: {
      fanout: encodeHistogram(merged.fanout),
      firstRecipient: encodeHistogram(merged.firstRecipient),
      lastRecipient: encodeHistogram(merged.lastRecipient),
      connect: encodeHistogram(merged.connect),
      publisherLag: encodeHistogram(merged.publisherLag),
      ...(upstream.histograms ? { echo: upstream.histograms.echo!, bufferedAmount: upstream.histograms.bufferedAmount! } : {}),
    },
    // Phases are per run; the first run's stand for all (each run's are in `repeats`).
    phases: first.phases,
    // Runs one after another, each counted from its own start, its counts per-run means like the
    // totals above; only when every run has a timeline (otherwise the interval counts could not add
    // up to the merged totals).
    ...(parts.every((t) => t.timeline)
      ? {
          timeline: mergeTimelines(
            parts.map((t) => t.timeline!),
            'sequential',
          ),
        }
      : {}),
    ...mergeNegotiated(parts),
    ...(parts.every((t) => t.classes) ? { classes: mergeClassReports(parts.map((t) => t.classes!)) } : {}),
  };
}

/** TLS and compression of repeated runs: counts as per-run means, the share and the ratio pooled. */
function mergeNegotiated(parts: readonly TransportReport[]): Pick<TransportReport, 'tls' | 'compression'> {
  const out: Pick<TransportReport, 'tls' | 'compression'> = {};
  const meanOf = (records: Record<string, number>[]) => {
    const total: Record<string, number> = {};
    for (const r of records) for (const [k, v] of Object.entries(r)) total[k] = (total[k] ?? 0) + v;
    for (const k of Object.keys(total)) total[k] = round3(total[k]! / parts.length);
    return total;
  };
  if (parts.every((t) => t.tls !== undefined)) {
    const tls = parts.map((t) => t.tls).filter((t) => t != null);
    out.tls =
      tls.length === 0
        ? null
        : {
            handshakes: round3(tls.reduce((a, t) => a + t.handshakes, 0) / parts.length),
            negotiated: meanOf(tls.map((t) => t.negotiated)),
            resumedSessions: round3(tls.reduce((a, t) => a + t.resumedSessions, 0) / parts.length),
          };
  }
  if (parts.every((t) => t.compression !== undefined)) {
    const c = parts.map((t) => t.compression!);
    const sum = (f: (i: number) => number) => parts.reduce((a, _, i) => a + f(i), 0);
    const opened = sum((i) => parts[i]!.connections.opened);
    const payloadBytes = sum((i) => c[i]!.payloadBytes);
    out.compression = {
      mode: c[0]!.mode,
      connections: round3(sum((i) => c[i]!.connections) / parts.length),
      share: opened > 0 ? round3(sum((i) => c[i]!.connections) / opened) : 0,
      parameters: meanOf(c.map((x) => x.parameters)),
      payloadBytes: round3(payloadBytes / parts.length),
      ratio: payloadBytes > 0 ? round3(sum((i) => parts[i]!.wire.bytesIn) / payloadBytes) : 0,
    };
  }
  return out;
}

/**
 * The incidents of repeated runs on the merged report's axis (each run counted from its own start,
 * like the merged timeline), in time order, each saying which run it happened in.
 */
function mergeIncidents(runs: readonly RepeatedRun[]): Incident[] {
  return runs
    .flatMap((r, i) =>
      (r.run.incidents ?? []).map((incident) => ({ ...incident, detail: `run ${i + 1} of ${runs.length}: ${incident.detail}` })),
    )
    .sort((a, b) => a.atMs - b.atMs);
}

/**
 * A rate over several measured windows: the time-weighted mean. Both rates of a run share one
 * measured window, recovered as (measured deliveries) / (deliveries per second); when no run has
 * deliveries the plain mean is used.
 */
export function pooledRate(parts: readonly TransportReport[], rate: (t: TransportReport) => number): number {
  const windows = parts.map((t) => (t.throughput.deliveriesPerSec > 0 ? t.fanoutLatencyMs.count / t.throughput.deliveriesPerSec : 0));
  const total = windows.reduce((a, b) => a + b, 0);
  if (total === 0) return Math.round(parts.reduce((a, t) => a + rate(t), 0) / parts.length);
  return Math.round(parts.reduce((a, t, i) => a + rate(t) * windows[i]!, 0) / total);
}

/** Reconnects of repeated runs: counts as per-run means, times from the merged histogram, the slowest "all back". */
function mergeReconnects(parts: readonly ReconnectReport[]): ReconnectReport {
  const mean = (f: (r: ReconnectReport) => number) => round3(parts.reduce((a, r) => a + f(r), 0) / parts.length);
  const slowest = (values: (number | null)[]) => (values.every((v) => v !== null) ? Math.max(...(values as number[])) : null);
  const histogram = mergeEncoded(parts.map((r) => r.histogram));
  const summary = summarizeMs(histogram);
  const events = parts[0]!.events.map((first, k): ReconnectEventReport => {
    const same = parts.map((r) => r.events[k]).filter((e): e is ReconnectEventReport => e !== undefined);
    const meanOf = (f: (e: ReconnectEventReport) => number) => round3(same.reduce((a, e) => a + f(e), 0) / same.length);
    const rates = same.map((e) => e.handshakesPerSec).filter((v): v is number => v !== null);
    return {
      index: first.index,
      kind: first.kind,
      atMs: first.atMs,
      dropped: meanOf((e) => e.dropped),
      reconnected: meanOf((e) => e.reconnected),
      gone: meanOf((e) => e.gone),
      failed: meanOf((e) => e.failed),
      allReconnectedMs: slowest(same.map((e) => e.allReconnectedMs)),
      handshakesPerSec: rates.length > 0 ? Math.round(rates.reduce((a, v) => a + v, 0) / rates.length) : null,
    };
  });
  return {
    count: mean((r) => r.count),
    failed: mean((r) => r.failed),
    dropped: mean((r) => r.dropped),
    timeToReconnectMs: { p50: summary.p50, p99: summary.p99, max: summary.max },
    allReconnectedMs: slowest(parts.map((r) => r.allReconnectedMs)),
    events,
    histogram: encodeHistogram(histogram),
  };
}
