/**
 * Turns what the workers, the publisher and the server measured into one TransportReport.
 * Histograms are merged from their encodings (exact), never by averaging percentiles; the
 * timeline is the workers' intervals added up with the coordinator's figures laid on them
 * (timeline-assembly.ts), coarsened only if the run went past the timeline's bound.
 */
import type { Scenario } from '../config/resolve.js';
import { assessBottleneck } from '../metrics/bottleneck.js';
import { fanoutSpread } from '../metrics/fanout-spread.js';
import { createHistogram, decodeHistogram, encodeHistogram, mergeEncoded, summarizeCounts, summarizeMs } from '../metrics/histogram.js';
import { addDelivery, deliveryReport, emptyDelivery } from '../metrics/ledger.js';
import type { PublishOutcomes } from '../metrics/publish-outcomes.js';
import type {
  ConnectionReport,
  IgnoredBreakdown,
  ProcessStats,
  ReconnectReport,
  TransportName,
  TransportReport,
} from '../results/types.js';
import type { WorkerResult } from './worker-messages.js';
import type { SourceResult } from './upstream-source.js';
import { round3 } from '../metrics/rounding.js';
import { emptyEventAccount, reconnectReport, sumEventAccounts } from '../metrics/reconnects.js';
import { PUBLISH_ERROR, PUBLISH_NO_SUBSCRIBER, PUBLISH_SEND_FAILED } from '../results/error-kinds.js';
import { coarsenTimeline } from '../results/timeline.js';
import type { Timeline } from '../results/types.js';
import type { IntervalGridSpec } from './interval-grid.js';
import { assembleTimeline, type CoordinatorInterval, type PublishedSchedule } from './timeline-assembly.js';
import { transportDescriptor } from '../transports/registry.js';
import { connectionReport } from './connection-report.js';
import { CLIENT_CLASSES, classReport, type ClientClassesReport } from '../results/client-classes.js';
import { readThrottleOf } from '../config/slow-clients.js';
import { loadShapeOf } from '../config/load-shape.js';
import { connectionsOfClients } from './worker-plans.js';

export interface TransportReportInput {
  transport: TransportName;
  scenario: Scenario;
  counts: { warmup: number; measured: number; total: number };
  results: WorkerResult[];
  /** The publisher's result, or the client senders' (with `upstream`). */
  publisher: SourceResult | null;
  /** What happened to each publish (the same the workers settled their ledgers with). */
  publishes: PublishOutcomes;
  openedPerChannel: number[];
  coordinator: ProcessStats;
  server: ProcessStats | undefined;
  phases: TransportReport['phases'];
  timeline: TimelineInput;
}

/** What the coordinator knows of the timeline (the workers' intervals are in their results). */
export interface TimelineInput {
  grid: IntervalGridSpec;
  /** The transport's first and last interval (by wall time; a worker's later intervals extend it). */
  first: number;
  last: number;
  coordinator: ReadonlyMap<number, CoordinatorInterval>;
  /** Null when publishing never started. */
  schedule: PublishedSchedule | null;
}

/** The transport's timeline: every worker's intervals added, the coordinator's figures on them. */
export function buildTimeline(input: Pick<TransportReportInput, 'results' | 'phases' | 'openedPerChannel' | 'timeline'>): Timeline {
  const { timeline, results } = input;
  const last = Math.max(timeline.last, ...results.flatMap((r) => r.timeline.map((i) => i.index)));
  const assembled = assembleTimeline({
    grid: timeline.grid,
    first: timeline.first,
    last,
    phases: input.phases,
    workers: results.map((r) => r.timeline),
    coordinator: timeline.coordinator,
    schedule: timeline.schedule,
    perPublish: { from: 0, parts: results },
    openedPerChannel: input.openedPerChannel,
  });
  return coarsenTimeline(assembled);
}

export function buildTransportReport(input: TransportReportInput): TransportReport {
  const { results, publisher, scenario, counts, openedPerChannel } = input;
  const channelCount = scenario.channelNames.length;

  const fanout = mergeEncoded(results.map((r) => r.histograms.fanout));
  const connect = mergeEncoded(results.map((r) => r.histograms.connect));
  // A publish that never reached Redis was owed to nobody: it is no incomplete publish. When the
  // load changed, the workers say how many clients were owed each publish (their windows).
  const owedRecipients = results.every((r) => r.owedRecipients) ? results.map((r) => r.owedRecipients!) : null;
  const spread = fanoutSpread(results, counts.warmup, input.publishes.sent, (i) => {
    if (input.publishes.isFailed(i)) return 0;
    if (owedRecipients) return owedRecipients.reduce((sum, owed) => sum + (owed[i] ?? 0), 0);
    return openedPerChannel[i % channelCount] ?? 0;
  });
  const lag = publisher ? decodeHistogram(publisher.lag) : createHistogram();

  const delivery = emptyDelivery();
  const ignoredBy: IgnoredBreakdown = { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 };
  const errors: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  for (const r of results) {
    addDelivery(delivery, r.delivery);
    for (const key of Object.keys(ignoredBy) as (keyof IgnoredBreakdown)[]) ignoredBy[key] += r.ignoredBy[key];
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.errorSamples)) errorSamples[k] ??= v;
  }
  const upstream = publisher?.upstream;
  if (publisher) {
    // Client senders' failed sends are counted by the workers, as publish.send-failed.
    if (publisher.errors > 0 && !upstream) {
      errors[PUBLISH_ERROR] = publisher.errors;
      errorSamples[PUBLISH_ERROR] = publisher.errorSamples[0] ?? '';
    }
    for (const [kind, issue] of Object.entries(publisher.injectorIssues ?? {})) {
      if (!issue) continue;
      errors[kind] = (errors[kind] ?? 0) + issue.count;
      errorSamples[kind] ??= issue.sample;
    }
    // Messages already due that a sender never got to because the run stopped (workers stop a
    // moment apart) are not sent either: the same kind, so the kind's count is upstream.sendFailures.
    const counted = errors[PUBLISH_SEND_FAILED] ?? 0;
    if (upstream && upstream.sendFailures > counted) {
      errors[PUBLISH_SEND_FAILED] = upstream.sendFailures;
      errorSamples[PUBLISH_SEND_FAILED] ??= upstream.failureSamples.at(-1) ?? '';
    }
    if (publisher.noSubscriber > 0) {
      errors[PUBLISH_NO_SUBSCRIBER] = publisher.noSubscriber;
      errorSamples[PUBLISH_NO_SUBSCRIBER] = 'Redis delivered the PUBLISH to no subscriber (the target was not subscribed)';
    }
  }

  // The measured window: from the first to one interval past the last measured publish sent (with
  // stages, at the rate they end with, when it is above zero).
  const lastRate = scenario.load.rate.at(-1)?.to ?? scenario.publish.rate;
  const intervalMs = 1000 / (lastRate > 0 ? lastRate : scenario.publish.rate);
  const windowMs = publisher && publisher.measuredSent > 0 ? publisher.measuredLastSentAt - publisher.measuredFirstSentAt + intervalMs : 0;
  const perSec = (n: number) => (windowMs > 0 ? Math.round((n * 1000) / windowMs) : 0);

  const wire = { bytesIn: 0, bytesOut: 0, requests: 0 };
  for (const r of results) {
    wire.bytesIn += r.wire.bytesIn;
    wire.bytesOut += r.wire.bytesOut;
    wire.requests += r.wire.requests;
  }
  const perDelivery = (n: number, scale = 1) => (delivery.delivered > 0 ? round3((n * scale) / delivery.delivered) : 0);

  const toolProcesses = [input.coordinator, ...results.map((r) => r.process)];
  const lagSummary = summarizeMs(lag);
  const verdict = assessBottleneck(toolProcesses, lagSummary.p99, windowMs, publisher?.upstream ? 'the client senders' : 'publisher');
  const processes = input.server ? [...toolProcesses, input.server] : toolProcesses;

  const echo = upstream ? mergeEncoded(results.flatMap((r) => (r.histograms.echo ? [r.histograms.echo] : []))) : null;
  const buffered = upstream ? decodeHistogram(upstream.bufferedAmount) : null;

  return {
    transport: input.transport,
    fanoutLatencyMs: summarizeMs(fanout),
    ...(upstream && echo && buffered
      ? {
          echoLatencyMs: summarizeMs(echo),
          upstream: {
            senders: upstream.senders,
            sent: upstream.sent,
            sendFailures: upstream.sendFailures,
            bufferedAmountBytes: summarizeCounts(buffered),
          },
        }
      : {}),
    firstRecipientLatencyMs: summarizeMs(spread.first),
    lastRecipientLatencyMs: summarizeMs(spread.last),
    incompletePublishes: spread.incomplete,
    connectLatencyMs: summarizeMs(connect),
    delivery: deliveryReport(delivery, ignoredBy),
    throughput: {
      deliveriesPerSec: perSec(fanout.totalCount),
      publishesPerSec: perSec(publisher?.measuredSent ?? 0),
      // With stages: the curve's mean over the measured part.
      targetPublishesPerSec: scenario.stages ? Math.round((counts.measured * 1000) / scenario.publish.duration) : scenario.publish.rate,
      publishes: publisher?.sent ?? 0,
      publishFailures: input.publishes.failed.size,
      publisherLagMs: lagSummary,
    },
    connections: connectionsOf(scenario, input.transport, results),
    ...(scenario.events && scenario.events.length > 0 ? { reconnects: reconnectsOf(scenario, results, input.timeline.grid.originMs) } : {}),
    errors,
    errorSamples,
    clampedSamples: sumOf(results, (r) => r.clampedSamples),
    wire,
    bytesPerDelivery: perDelivery(wire.bytesIn + wire.bytesOut),
    requestsPerDelivery: perDelivery(wire.requests),
    toolCpuUsPerDelivery: perDelivery(
      sumOf(toolProcesses, (p) => p.cpuMs),
      1000,
    ),
    serverCpuUsPerDelivery: input.server ? perDelivery(input.server.cpuMs, 1000) : null,
    tool: {
      processes,
      maxCpuPercent: Math.max(...toolProcesses.map((p) => p.cpuPercent)),
      maxEventLoopDelayP99Ms: Math.max(...toolProcesses.map((p) => p.eventLoopDelayMs.p99)),
      bottleneck: verdict.bottleneck,
      bottleneckReasons: verdict.reasons,
    },
    histograms: {
      fanout: encodeHistogram(fanout),
      firstRecipient: encodeHistogram(spread.first),
      lastRecipient: encodeHistogram(spread.last),
      connect: encodeHistogram(connect),
      publisherLag: encodeHistogram(lag),
      ...(echo && buffered ? { echo: encodeHistogram(echo), bufferedAmount: encodeHistogram(buffered) } : {}),
    },
    phases: input.phases,
    timeline: buildTimeline(input),
    ...connectionReport({
      facts: results.map((r) => r.connectionFacts),
      // permessage-deflate is offered by WebSocket clients only.
      compressionMode: transportDescriptor(input.transport).needsPollEndpoint ? 'off' : scenario.clients.compression,
      payloadSize: scenario.publish.payloadSize,
      delivered: delivery.delivered,
      opened: sumOf(results, (r) => r.opened),
      wire,
    }),
    ...classesOf(results, scenario),
  };
}

/** `classes.normal` and `classes.slow` when the scenario has slow clients: every worker's counts added. */
function classesOf(results: readonly WorkerResult[], scenario: Scenario): { classes?: ClientClassesReport } {
  const slow = scenario.clients.slow;
  if (!slow) return {};
  const classes = {} as ClientClassesReport;
  for (const name of CLIENT_CLASSES) {
    classes[name] = classReport(
      results.flatMap((r) => (r.classes ? [r.classes[name]] : [])),
      name === 'slow' ? readThrottleOf(slow) : null,
    );
  }
  return { classes };
}

function connectionsOf(scenario: Scenario, transport: TransportName, results: readonly WorkerResult[]): ConnectionReport {
  return {
    // With stages the most the curve asks for: a ramp to 2,000 is not "1,999/200 opened". With a
    // connection per (client, channel), their connections.
    target: connectionsOfClients(scenario, transportDescriptor(transport), loadShapeOf(scenario).maxConnections),
    opened: sumOf(results, (r) => r.opened),
    failed: sumOf(results, (r) => r.failed),
    closedEarly: sumOf(results, (r) => r.closedEarly),
    ...(scenario.clients.churn
      ? {
          churn: {
            closed: sumOf(results, (r) => r.lifecycle.churn.closed),
            opened: sumOf(results, (r) => r.lifecycle.churn.opened),
            failed: sumOf(results, (r) => r.lifecycle.churn.failed),
          },
        }
      : {}),
  };
}

/** The workers' accounts of the scenario's events, added up (`originMs`: the run's start on the monotonic clock). */
function reconnectsOf(scenario: Scenario, results: readonly WorkerResult[], originMs: number): ReconnectReport {
  const events = scenario.events ?? [];
  const summed = sumEventAccounts(results.map((r) => r.lifecycle.events));
  // Every event, also those that never happened (the run ended first).
  const all = events.map((e, index) => ({
    ...(summed.find((s) => s.index === index) ?? emptyEventAccount(index)),
    kind: e.serverRestart ? ('server-restart' as const) : ('storm' as const),
  }));
  const histogram = mergeEncoded(results.map((r) => r.lifecycle.timeToReconnect));
  return reconnectReport(all, histogram, encodeHistogram(histogram), originMs);
}

function sumOf<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((a, t) => a + f(t), 0);
}
