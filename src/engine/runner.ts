/**
 * The engine: sets up Redis and the target, runs each transport through its phases (connect,
 * wait until ready, warm up, publish open-loop, drain, close), emits events as it goes and
 * returns a RunReport. Knows nothing of the terminal; only the CLI decides how to show events.
 *
 * Stopping early (the caller aborts the signal) skips to the end of the current transport and
 * still returns a report, marked incomplete, with everything measured until then.
 */
import { randomBytes } from 'node:crypto';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import type { Scenario } from '../config/resolve.js';
import { publishCounts } from '../config/resolve.js';
import { WsbenchError, messageOf } from '../errors.js';
import { CLOCK_ASSUMPTION, monotonicMs } from '../metrics/clock.js';
import { createHistogram, decodeHistogram, summarizeMs } from '../metrics/histogram.js';
import { ProcessMonitor } from '../process/monitor.js';
import { startEmbeddedRedis } from '../redis/embedded.js';
import { openRedis, type RedisClient } from '../redis/client.js';
import { REPORT_SCHEMA, type RunReport, type TransportName, type TransportReport } from '../results/types.js';
import { prepareTarget } from '../targets/registry.js';
import { buildComparison } from '../results/comparison.js';
import { CPU_LIMIT_PERCENT, EVENT_LOOP_DELAY_LIMIT_MS } from '../metrics/bottleneck.js';
import type { PreparedTarget } from '../targets/target.js';
import type { EngineListener, Phase, Snapshot } from './events.js';
import type { WorkerConnected, WorkerPlan, WorkerSnapshot } from './worker-messages.js';
import { PublisherHandle } from './publisher-handle.js';
import type { EncodedPublisherResult } from './publisher-thread.js';
import { buildTransportReport } from './report-builder.js';
import { CONNECTIONS_PER_WORKER, WorkerGroup, defaultWorkerCount, splitClients } from './workers.js';
import { capacity } from '../doctor/machine-limits.js';
import { readSystemFacts } from '../doctor/probe.js';
import { sourceAddresses } from './source-addresses.js';
import { TOOL_VERSION } from '../version.js';
import { round2, round3 } from '../metrics/rounding.js';

export interface RunOptions {
  /** Abort to stop early; the run still reports. */
  signal?: AbortSignal;
  onEvent?: EngineListener;
  /** Client worker processes (default: from connection count and cores). */
  workers?: number;
  snapshotIntervalMs?: number;
}

/** Per-publish first/last tracking is bounded to keep worker memory flat on long runs. */
const PER_PUBLISH_LIMIT = 4_000_000;
/** The publisher starts this long after readiness so the first due message is not already late. */
const PUBLISH_LEAD_MS = 20;

/** Thrown by runScenario when a run fails after measuring something: carries the partial report. */
export class RunFailedError extends WsbenchError {
  constructor(
    cause: WsbenchError,
    readonly report: RunReport,
  ) {
    super(cause.code, cause.message, { cause });
    this.name = 'RunFailedError';
  }
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunReport> {
  const signal = options.signal ?? new AbortController().signal;
  const emit: EngineListener = options.onEvent ?? (() => {});
  const runId = randomBytes(8).toString('hex');
  const startedAt = new Date();
  const loadAtStart = loadavg().map(round2);
  const runStart = monotonicMs();
  const elapsed = () => Math.round(monotonicMs() - runStart);
  const cleanup: (() => Promise<void>)[] = [];
  const coordinator = new ProcessMonitor('coordinator');
  const transports: RunReport['transports'] = {};
  let stopReason: string | undefined;

  const phase = (p: Phase, transport: TransportName | null, detail?: string) =>
    emit({ type: 'phase', phase: p, transport, elapsedMs: elapsed(), ...(detail ? { detail } : {}) });

  const report = (): RunReport => {
    const comparison = buildComparison(transports);
    return {
      schema: REPORT_SCHEMA,
      tool: { name: 'wsbench', version: TOOL_VERSION, node: process.version },
      run: {
        id: runId,
        ...(scenario.name ? { name: scenario.name } : {}),
        startedAt: startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        durationMs: elapsed(),
        completed: stopReason === undefined,
        ...(stopReason ? { stopReason } : {}),
        clock: CLOCK_ASSUMPTION,
        host: {
          platform: platform(),
          arch: arch(),
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? 'unknown',
          totalMemoryBytes: totalmem(),
          loadAverage: { start: loadAtStart, end: loadavg().map(round2) },
        },
      },
      scenario: scenario.asRun,
      transports,
      ...(comparison ? { comparison } : {}),
    };
  };

  try {
    let redisUrl = scenario.redis.url;
    if (!redisUrl) {
      phase('starting-redis', null);
      const redis = await startEmbeddedRedis({ binary: scenario.redis.binary });
      cleanup.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const controlRedis = await openRedis(redisUrl, { name: 'wsbench-control' });
    cleanup.push(async () => controlRedis.disconnect());

    phase('starting-server', null, scenario.target.kind);
    const target = await prepareTarget(scenario, redisUrl);
    cleanup.push(() => target.stop());

    const transportList: TransportName[] = scenario.transports;
    for (let t = 0; t < transportList.length && !signal.aborted; t++) {
      const name = transportList[t]!;
      const outcome = await runTransport({
        scenario,
        runId,
        transport: name,
        transportIndex: t,
        transportCount: transportList.length,
        target,
        redis: controlRedis,
        redisUrl,
        coordinator,
        signal,
        emit,
        elapsed,
        workers: options.workers ?? scenario.clients.workers ?? defaultWorkerCount(scenario.clients.connections),
        snapshotIntervalMs: options.snapshotIntervalMs ?? 500,
      });
      transports[name] = outcome.report;
      if (outcome.stopReason) {
        stopReason = outcome.stopReason;
        break;
      }
    }
    if (signal.aborted) stopReason ??= 'interrupted';
    phase('done', null);
    return report();
  } catch (e) {
    const error = e instanceof WsbenchError ? e : new WsbenchError('INTERNAL', messageOf(e), { cause: e });
    stopReason = error.message;
    if (Object.keys(transports).length > 0 || error instanceof PartialTransportError) {
      if (error instanceof PartialTransportError) transports[error.transport] = error.partial;
      throw new RunFailedError(error instanceof PartialTransportError ? error.original : error, report());
    }
    throw error;
  } finally {
    coordinator.stop();
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}

/** A transport failed after measuring something; carries what it measured. */
class PartialTransportError extends WsbenchError {
  constructor(
    readonly original: WsbenchError,
    readonly transport: TransportName,
    readonly partial: TransportReport,
  ) {
    super(original.code, original.message, { cause: original });
  }
}

interface TransportRun {
  scenario: Scenario;
  runId: string;
  transport: TransportName;
  transportIndex: number;
  transportCount: number;
  target: PreparedTarget;
  redis: RedisClient;
  redisUrl: string;
  coordinator: ProcessMonitor;
  signal: AbortSignal;
  emit: EngineListener;
  elapsed: () => number;
  workers: number;
  snapshotIntervalMs: number;
}

async function runTransport(run: TransportRun): Promise<{ report: TransportReport; stopReason?: string }> {
  const { scenario, target, signal, emit, elapsed } = run;
  const channelCount = scenario.channelNames.length;
  const counts = publishCounts(scenario);
  const connections = scenario.clients.connections;
  const workerCount = Math.max(1, Math.min(run.workers, connections));
  const phases: TransportReport['phases'] = [];
  let current: Phase = 'connecting';
  let phaseStartedAt = elapsed();
  let phaseEndsAt: number | null = null;

  const setPhase = (p: Phase, durationMs: number | null = null, detail?: string) => {
    const now = elapsed();
    phases.push({ name: current, startMs: phaseStartedAt, endMs: now });
    current = p;
    phaseStartedAt = now;
    phaseEndsAt = durationMs === null ? null : now + durationMs;
    emit({ type: 'phase', phase: p, transport: run.transport, elapsedMs: now, ...(detail ? { detail } : {}) });
  };
  const urlTemplate = run.transport === 'websocket' ? target.urlTemplate : target.pollUrlTemplate;
  if (!urlTemplate) throw new WsbenchError('CONFIG', `${target.describe} has no polling endpoint for transport ${run.transport}`);
  // Each transport stamps with its own run id, so nothing of one can be counted in another.
  const stampRunId = transportRunId(run.runId, run.transportIndex);
  // Interval pollers need at least one more poll after the last publish to collect it.
  let drainMs = scenario.drain;
  if (run.transport === 'poll' && drainMs < scenario.polling.interval + 500) {
    drainMs = scenario.polling.interval + 500;
    emit({
      type: 'warning',
      message: `drain raised to ${drainMs} ms for interval polling (one poll interval + 500 ms)`,
      elapsedMs: elapsed(),
    });
  }
  emit({ type: 'phase', phase: 'connecting', transport: run.transport, elapsedMs: phaseStartedAt });
  run.coordinator.reset();
  run.target.resetServerStats?.();

  const localAddresses = sourceAddresses(scenario.clients.localAddresses, urlTemplate, connections);
  // Preflight for big runs: say which machine limit the run will hit before it hits it.
  if (connections > CONNECTIONS_PER_WORKER) {
    const verdict = capacity({
      facts: readSystemFacts(),
      connections,
      workers: workerCount,
      serverProcesses: 0,
      sourceAddresses: Math.max(1, localAddresses.length),
    });
    for (const limit of verdict.broken) {
      emit({
        type: 'warning',
        message: `${limit.name} allows ${limit.allows} connections, fewer than ${connections}: ${limit.advice}`,
        elapsedMs: elapsed(),
      });
    }
  }
  const plans: WorkerPlan[] = splitClients(connections, workerCount).map((range, workerId) => ({
    workerId,
    runId: stampRunId,
    transport: run.transport,
    transportSettings: {
      websocketClient: scenario.clients.wsClient,
      pollIntervalMs: scenario.polling.interval,
      longPollHoldMs: scenario.polling.longPollTimeout,
    },
    firstClient: range.first,
    clientCount: range.count,
    totalClients: connections,
    channelNames: scenario.channelNames,
    urlTemplate,
    headers: target.headers,
    subprotocols: target.subprotocols,
    clientProtocol: target.clientProtocol,
    rampUpMs: scenario.clients.rampUp,
    connectStartMs: monotonicMs() + 50,
    maxInFlight: Math.max(1, Math.ceil(scenario.clients.maxHandshakesInFlight / workerCount)),
    connectTimeoutMs: scenario.clients.connectTimeout,
    maxPayload: target.maxPayload,
    encoding: scenario.encoding,
    totalPublishes: counts.total,
    warmupPublishes: counts.warmup,
    snapshotIntervalMs: run.snapshotIntervalMs,
    perPublishLimit: PER_PUBLISH_LIMIT,
    localAddresses,
  }));

  const group = new WorkerGroup(plans);
  // Started now so its thread and Redis connection are warm when publishing begins.
  const publisher = new PublisherHandle({
    redisUrl: run.redisUrl,
    runId: stampRunId,
    encoding: scenario.encoding,
    payloadSize: scenario.publish.payloadSize,
    injector: target.injector,
    channelCount,
    ratePerSec: scenario.publish.rate,
    total: counts.total,
    warmupCount: counts.warmup,
  });
  let publishing = false;
  let openedPerChannel = new Array<number>(channelCount).fill(0);
  let stopReason: string | undefined;
  let failure: WsbenchError | null = null;
  let connectsAtLastSnapshot = 0;
  let deliveredAtLastSnapshot = 0;
  let wireAtLastSnapshot = { bytesIn: 0, requests: 0 };
  let lastSnapshotAt = monotonicMs();
  let latest: WorkerSnapshot[] = [];

  // Live snapshots: merge the workers' latest state on a fixed cadence.
  const snapshotTimer = setInterval(() => {
    const { snapshots, intervals } = group.takeSnapshots();
    latest = snapshots;
    emit({ type: 'snapshot', snapshot: mergeSnapshot(snapshots, intervals) });
  }, run.snapshotIntervalMs);

  const mergeSnapshot = (snapshots: WorkerSnapshot[], intervals: string[]): Snapshot => {
    const now = monotonicMs();
    const seconds = Math.max(0.001, (now - lastSnapshotAt) / 1000);
    lastSnapshotAt = now;
    const sum = (f: (s: WorkerSnapshot) => number) => snapshots.reduce((a, s) => a + f(s), 0);
    const opened = sum((s) => s.opened);
    const failed = sum((s) => s.failed);
    const delivered = sum((s) => s.delivered);
    const wire = { bytesIn: sum((s) => s.wire.bytesIn), bytesOut: sum((s) => s.wire.bytesOut), requests: sum((s) => s.wire.requests) };
    const errors: Record<string, number> = {};
    for (const s of snapshots) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
    const interval = createHistogram();
    for (const encoded of intervals) interval.add(decodeHistogram(encoded));
    const latency = interval.totalCount > 0 ? summarizeMs(interval) : null;
    const progress = publisher.progress();
    const expectedSoFar = expectedDeliveries(progress.acked);
    const cpuPercent = Math.max(run.coordinator.intervalCpuPercent(), ...snapshots.map((s) => s.cpuPercent));
    const eld = Math.max(0, ...snapshots.map((s) => s.eventLoopDelayP99Ms));
    // Same limits as the report's verdict (metrics/bottleneck.ts), applied to the last interval.
    const toolBusy =
      cpuPercent >= CPU_LIMIT_PERCENT
        ? `tool CPU at ${cpuPercent}%`
        : eld >= EVENT_LOOP_DELAY_LIMIT_MS
          ? `tool event-loop delay ${eld} ms`
          : null;
    const snapshot: Snapshot = {
      elapsedMs: elapsed(),
      phase: current,
      transport: run.transport,
      transportIndex: run.transportIndex,
      transportCount: run.transportCount,
      phaseProgress:
        current === 'connecting'
          ? (opened + failed) / connections
          : phaseEndsAt === null
            ? 0
            : Math.min(1, (elapsed() - phaseStartedAt) / Math.max(1, phaseEndsAt - phaseStartedAt)),
      phaseRemainingMs: phaseEndsAt === null ? null : Math.max(0, phaseEndsAt - elapsed()),
      connections: {
        target: connections,
        opened,
        failed,
        closed: sum((s) => s.closed),
        inFlight: sum((s) => s.inFlight),
        perSec: Math.round((opened + failed - connectsAtLastSnapshot) / seconds),
      },
      publish: { sent: progress.sent, acked: progress.acked, errors: progress.errors, total: counts.total, lagMs: round3(progress.lagMs) },
      delivery: {
        delivered,
        expectedSoFar,
        duplicated: sum((s) => s.duplicated),
        reordered: sum((s) => s.reordered),
        ignored: sum((s) => s.ignored),
        perSec: Math.round((delivered - deliveredAtLastSnapshot) / seconds),
      },
      latencyMs: latency ? { p50: latency.p50, p99: latency.p99, max: latency.max, count: latency.count } : null,
      errors,
      wire: {
        ...wire,
        bytesInPerSec: Math.round((wire.bytesIn - wireAtLastSnapshot.bytesIn) / seconds),
        requestsPerSec: Math.round((wire.requests - wireAtLastSnapshot.requests) / seconds),
      },
      tool: { cpuPercent, eventLoopDelayMs: eld, processes: snapshots.length + 1, bottleneck: toolBusy !== null, reason: toolBusy },
    };
    connectsAtLastSnapshot = opened + failed;
    deliveredAtLastSnapshot = delivered;
    wireAtLastSnapshot = wire;
    return snapshot;
  };

  /** Deliveries owed for the first `acked` publishes, given who is subscribed to which channel. */
  const expectedDeliveries = (acked: number): number => {
    let total = 0;
    for (let c = 0; c < channelCount; c++) {
      const onChannel = Math.floor(acked / channelCount) + (c < acked % channelCount ? 1 : 0);
      total += onChannel * (openedPerChannel[c] ?? 0);
    }
    return total;
  };

  let publisherResult: EncodedPublisherResult | null = null;
  const stopPublisher = () => publisher.stop();
  signal.addEventListener('abort', stopPublisher, { once: true });
  try {
    group.start();
    const connected = await group.connected(signal);
    openedPerChannel = openedPerChannel.map((_, c) => connected.reduce((a, w) => a + (w.openedPerChannel[c] ?? 0), 0));
    const opened = openedPerChannel.reduce((a, b) => a + b, 0);
    if (opened === 0 && !signal.aborted) {
      const hint =
        target.connectHint && connected.some((w) => Object.keys(w.errors).some((k) => k.startsWith('connect.http-')))
          ? `; ${target.connectHint}`
          : '';
      throw new WsbenchError(
        'TARGET_UNREACHABLE',
        `no connection to ${target.describe} could be opened: ${describeErrors(connected)}${hint}`,
      );
    }

    if (!signal.aborted) {
      setPhase('waiting-ready');
      await target.waitReady({
        transport: run.transport,
        redis: run.redis,
        channelNames: scenario.channelNames,
        openedPerChannel,
        clientReadiness: () => {
          const snapshots = group.latestSnapshots();
          return {
            ready: snapshots.reduce((a, s) => a + s.ready, 0),
            opened: openedPerChannel.reduce((a, b) => a + b, 0),
            problem: snapshots.find((s) => s.problem)?.problem ?? null,
          };
        },
        signal,
      });
    }

    if (!signal.aborted) {
      await publisher.connected;
      const t0 = monotonicMs() + PUBLISH_LEAD_MS;
      publisher.start(t0);
      group.publishing();
      run.coordinator.resetEventLoopDelay();
      publishing = true;
      const warmupMs = scenario.warmup;
      let publishTimer: NodeJS.Timeout | undefined;
      if (counts.warmup > 0) {
        setPhase('warmup', warmupMs);
        publishTimer = setTimeout(() => setPhase('publishing', scenario.publish.duration), t0 + warmupMs - monotonicMs());
      } else {
        setPhase('publishing', scenario.publish.duration);
      }
      try {
        publisherResult = await publisher.result();
      } finally {
        clearTimeout(publishTimer);
      }
      if ((current as Phase) === 'warmup' && !signal.aborted) setPhase('publishing', 0);
    }

    if (!signal.aborted && publisherResult) {
      setPhase('draining', drainMs);
      await drain(
        () => latest.reduce((a, s) => a + s.delivered, 0),
        expectedDeliveries(publisherResult.acked),
        drainMs,
        signal,
        () => (latest = group.latestSnapshots()),
      );
    }
  } catch (e) {
    failure = e instanceof WsbenchError ? e : new WsbenchError('INTERNAL', messageOf(e), { cause: e });
  }
  signal.removeEventListener('abort', stopPublisher);
  if (publishing && !publisherResult) publisherResult = await publisher.result().catch(() => null);
  await publisher.dispose();
  if (signal.aborted) stopReason = `interrupted during ${current}`;
  else if (failure) stopReason = failure.message;

  setPhase('closing');
  clearInterval(snapshotTimer);
  try {
    const fallbackAcked = new Array<number>(channelCount).fill(0);
    const results = await group.finish(publisherResult?.ackedPerChannel ?? fallbackAcked);
    const serverProcess = await target.serverStats?.();
    const report = buildTransportReport({
      transport: run.transport,
      scenario,
      counts,
      results,
      publisher: publisherResult,
      openedPerChannel,
      coordinator: run.coordinator.stats(),
      server: serverProcess,
      phases: [...phases, { name: 'closing', startMs: phaseStartedAt, endMs: elapsed() }],
    });
    if (failure && !(failure.code === 'INTERRUPTED' && signal.aborted)) throw new PartialTransportError(failure, run.transport, report);
    return { report, ...(stopReason ? { stopReason } : {}) };
  } catch (e) {
    if (e instanceof PartialTransportError) throw e;
    // Could not even collect results: report the original failure if there was one.
    throw failure ?? e;
  } finally {
    await group.stop();
  }
}

/** Waits until every owed delivery arrived, the drain period ends, or the run is stopped. */
async function drain(delivered: () => number, expected: number, drainMs: number, signal: AbortSignal, refresh: () => void): Promise<void> {
  const deadline = monotonicMs() + drainMs;
  while (monotonicMs() < deadline && !signal.aborted) {
    refresh();
    if (delivered() >= expected) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The stamp run id of the transport at `index`: the run id with its last byte varied. */
export function transportRunId(runId: string, index: number): string {
  const last = (parseInt(runId.slice(-2), 16) ^ index) & 0xff;
  return runId.slice(0, -2) + last.toString(16).padStart(2, '0');
}

function describeErrors(connected: WorkerConnected[]): string {
  const errors: Record<string, number> = {};
  const samples: Record<string, string> = {};
  for (const w of connected) {
    for (const [k, v] of Object.entries(w.errors)) errors[k] = (errors[k] ?? 0) + v;
    Object.assign(samples, w.errorSamples);
  }
  const [top] = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (!top) return 'every attempt failed';
  const others = Object.keys(errors).length - 1;
  return `${top[0]} ×${top[1]} (${samples[top[0]] ?? 'no detail'})${others > 0 ? ` and ${others} other kind(s) of error` : ''}`;
}
