/**
 * One transport's run, phase by phase: connect the clients, wait until every one is subscribed,
 * publish open-loop (warm-up, then measured), drain, and collect what every worker measured into
 * the transport's report. Live snapshots are merged and emitted on a fixed cadence meanwhile.
 *
 * Stopping early (the signal) skips to the collection, which still reports what was measured; a
 * failure after something was measured carries the partial report (PartialTransportError). What
 * goes wrong meanwhile is told to the run's incident recorder: the publisher's Redis connection
 * and failure streaks, the target's death (target-watch.ts, which may stop the transport:
 * `onTargetDown`).
 */
import type { Scenario } from '../config/resolve.js';
import { publishCounts } from '../config/resolve.js';
import { WsbenchError, asWsbenchError, messageOf } from '../errors.js';
import { formatDuration } from '../config/units.js';
import { monotonicMs } from '../metrics/clock.js';
import { LoadSampler, type ProcessMonitor } from '../process/monitor.js';
import type { RedisClient } from '../redis/client.js';
import type { TimelineInterval, TransportReport } from '../results/types.js';
import { waitUntilReady } from '../targets/readiness.js';
import { handshakeRefusalHint } from '../targets/refusals.js';
import type { PreparedTarget } from '../targets/target.js';
import type { TransportDescriptor } from '../transports/descriptor.js';
import { transportDescriptor, type TransportName } from '../transports/registry.js';
import type { ClientTlsOptions } from '../transports/tls.js';
import { drainFor, waitUntilDrained } from './drain.js';
import type { EngineListener } from './events.js';
import { PhaseClock } from './phase-clock.js';
import { PublisherHandle, type PublisherNotice } from './publisher-handle.js';
import type { IncidentRecorder } from './incidents.js';
import { TargetWatch } from './target-watch.js';
import { PublishOutcomes, allPublished, type PublishOutcome } from '../metrics/publish-outcomes.js';
import { SenderMap } from './sender-map.js';
import { UpstreamSource, mergeSends, type PublishSource, type SourceResult } from './upstream-source.js';
import { buildTransportReport } from './report-builder.js';
import { SnapshotAggregator } from './snapshot-aggregator.js';
import { sourceAddresses } from './source-addresses.js';
import type { WorkerGroup, WorkerGroupFactory } from './worker-group.js';
import { IntervalGrid, plannedIntervalMs } from './interval-grid.js';
import { IntervalTicker } from './interval-ticker.js';
import { OpenLoopSchedule } from './pacer.js';
import type { CoordinatorInterval, PublishedSchedule } from './timeline-assembly.js';
import type { WorkerConnected } from './worker-messages.js';
import { connectionsOfClients, endpointOf, transportSettings, workerPlans } from './worker-plans.js';
import { CONNECTIONS_PER_WORKER } from './workers.js';

/** The publisher starts this long after readiness so the first due message is not already late. */
const PUBLISH_LEAD_MS = 20;
/** Workers start their ramp this long after their plans are made (time to start the processes). */
const CONNECT_LEAD_MS = 50;

/** What a big run will need of the machine; each string returned is a warning (doctor/preflight.ts). */
export type Preflight = (plan: { connections: number; workers: number; sourceAddresses: number }) => string[];

export interface TransportRunInput {
  scenario: Scenario;
  runId: string;
  transport: TransportName;
  transportIndex: number;
  transportCount: number;
  target: PreparedTarget;
  /** The coordinator's Redis connection (readiness checks). */
  redis: RedisClient;
  redisUrl: string;
  coordinator: ProcessMonitor;
  signal: AbortSignal;
  emit: EngineListener;
  elapsed: () => number;
  /** monotonicMs() of the run's start: time 0 of `elapsed()` and of the timeline. */
  runStartMs: number;
  workers: number;
  snapshotIntervalMs: number;
  startWorkers: WorkerGroupFactory;
  preflight?: Preflight;
  /** Added to a readiness timeout: why the target may not see the run's Redis. */
  readinessHint?: string;
  /** The run's incident recorder. */
  incidents: IncidentRecorder;
  /** The clients' TLS settings (connection-settings.ts). */
  clientTls?: ClientTlsOptions;
}

export interface TransportOutcome {
  report: TransportReport;
  /** Set when the run stopped early (interrupted, or a failure after measuring). */
  stopReason?: string;
}

/** A transport failed after measuring something; carries what it measured. */
export class PartialTransportError extends WsbenchError {
  constructor(
    readonly original: WsbenchError,
    readonly transport: TransportName,
    readonly partial: TransportReport,
  ) {
    super(original.code, original.message, { cause: original });
  }
}

export async function runTransport(input: TransportRunInput): Promise<TransportOutcome> {
  return new TransportRun(input).run();
}

/** The stamp run id of the transport at `index`: the run id with its last byte varied. */
export function transportRunId(runId: string, index: number): string {
  const last = (parseInt(runId.slice(-2), 16) ^ index) & 0xff;
  return runId.slice(0, -2) + last.toString(16).padStart(2, '0');
}

class TransportRun {
  private readonly descriptor: TransportDescriptor;
  private readonly counts: { warmup: number; measured: number; total: number };
  private readonly drainMs: number;
  private readonly phases: PhaseClock;
  private readonly workers: WorkerGroup;
  /** Who sends the schedule: the publisher thread into Redis, or the clients (publish.via websocket). */
  private readonly publisher: PublishSource;
  /** The clients send: their failures are in the workers' timelines, not the coordinator's. */
  private readonly clientsSend: boolean;
  private readonly live: SnapshotAggregator;
  private publisherResult: SourceResult | null = null;
  /** The open-loop schedule once publishing started. */
  private schedule: OpenLoopSchedule | null = null;
  private readonly grid: IntervalGrid;
  private readonly firstInterval: number;
  /** The coordinator's own figures per interval (its load, the publisher's errors). */
  private readonly coordinatorIntervals = new Map<number, CoordinatorInterval>();
  private readonly coordinatorTicker: IntervalTicker;
  private readonly coordinatorLoad: LoadSampler;
  private publishErrorsSeen = 0;
  /** A /stats read of the server in flight (one at a time: a slow server is not asked again meanwhile). */
  private serverSampling = false;
  private publishing = false;
  private failure: WsbenchError | null = null;
  private readonly targetWatch: TargetWatch;
  /** Aborted when the transport must stop early for the run's own reasons (the target died). */
  private readonly halt = new AbortController();
  /** The user's stop or the run's own: where a phase may end early. */
  private readonly stopSignal: AbortSignal;
  private haltReason: string | null = null;
  private readonly unwatchTarget: () => void;
  /** Stage markers, storm markers and server restarts waiting for their moment. */
  private readonly loadTimers: NodeJS.Timeout[] = [];
  /** A server restart going on (awaited before the transport closes). */
  private restartInFlight: Promise<void> | null = null;
  /** Events whose dropped clients were all seen subscribed again (marked once). */
  private readonly reconnectedMarked = new Set<number>();

  constructor(private readonly input: TransportRunInput) {
    const { scenario, target, emit, elapsed } = input;
    this.descriptor = transportDescriptor(input.transport);
    const settings = transportSettings(scenario);
    const urlTemplate = endpointOf(target, this.descriptor);
    this.counts = publishCounts(scenario);
    const drain = drainFor(scenario.drain, this.descriptor, settings);
    this.drainMs = drain.drainMs;
    if (drain.warning) emit({ type: 'warning', message: drain.warning, elapsedMs: elapsed() });
    this.phases = new PhaseClock(input.transport, elapsed, emit);
    input.coordinator.reset();
    target.resetServerStats?.();

    // The most the load asks for at once (stages may go above the connections opened first).
    const connections = scenario.load.maxConnections;
    const workerCount = Math.max(1, Math.min(input.workers, connections));
    const localAddresses = sourceAddresses(scenario.clients.localAddresses, urlTemplate, connections);
    // Preflight for big runs: say which machine limit the run will hit before it hits it.
    // Sockets, not clients: a client in k channels of a target without multi-channel connections holds k.
    const sockets = connectionsOfClients(scenario, this.descriptor, connections);
    if (sockets > CONNECTIONS_PER_WORKER && input.preflight) {
      const plan = { connections: sockets, workers: workerCount, sourceAddresses: Math.max(1, localAddresses.length) };
      for (const message of input.preflight(plan)) emit({ type: 'warning', message, elapsedMs: elapsed() });
    }
    // Each transport stamps with its own run id, so nothing of one can be counted in another.
    const stampRunId = transportRunId(input.runId, input.transportIndex);
    this.grid = new IntervalGrid({ originMs: input.runStartMs, lengthMs: plannedIntervalMs(scenario) });
    this.firstInterval = this.grid.indexOf(monotonicMs());
    const plans = workerPlans({
      scenario,
      target,
      transport: input.transport,
      descriptor: this.descriptor,
      urlTemplate,
      runId: stampRunId,
      workers: workerCount,
      publishes: this.counts,
      localAddresses,
      snapshotIntervalMs: input.snapshotIntervalMs,
      connectStartMs: monotonicMs() + CONNECT_LEAD_MS,
      timeline: { originMs: this.grid.originMs, lengthMs: this.grid.lengthMs },
      ...(input.clientTls ? { tls: input.clientTls } : {}),
    });
    this.workers = input.startWorkers(plans, {
      transport: input.transport,
      incidents: input.incidents,
      emit,
      elapsed,
      workersGone: (ids) => this.live.workersGone(ids),
      fail: (error) => {
        this.failure ??= error;
        this.stopEarly(error.message);
      },
    });
    this.clientsSend = scenario.senders > 0;
    if (this.clientsSend) {
      // Senders are chosen among the clients the load keeps throughout (the same map as in every worker).
      const map = new SenderMap(plans[0]?.upstream?.pool ?? connections, scenario.channelNames.length, scenario.senders);
      this.publisher = new UpstreamSource(
        this.workers,
        () => this.live.upstreamProgress(),
        (sends, due) => mergeSends(sends, map, plans, this.counts.warmup, due),
        { rate: plans[0]?.publishRate ?? [], total: plans[0]?.totalPublishes ?? 0 },
      );
    } else {
      // Started now so its thread and Redis connection are warm when publishing begins.
      this.publisher = new PublisherHandle(
        {
          redisUrl: input.redisUrl,
          runId: stampRunId,
          encoding: scenario.encoding,
          payloadSize: scenario.publish.payloadSize,
          padding: scenario.publish.padding,
          injector: target.injector,
          channelCount: scenario.channelNames.length,
          rate: scenario.load.rate,
          total: this.counts.total,
          warmupCount: this.counts.warmup,
        },
        (notice) => this.publisherNotice(notice),
      );
    }
    this.stopSignal = AbortSignal.any([input.signal, this.halt.signal]);
    this.targetWatch = new TargetWatch({
      urlTemplate,
      recorder: input.incidents,
      policy: scenario.onTargetDown,
      stop: (reason) => this.stopEarly(reason),
    });
    this.unwatchTarget =
      target.watch?.((notice) => {
        if (notice.type === 'exited') this.targetWatch.exited(notice.detail, notice.at);
      }) ?? (() => {});
    this.live = new SnapshotAggregator({
      transport: input.transport,
      transportIndex: input.transportIndex,
      transportCount: input.transportCount,
      // Connections, not clients, where a client opens one per channel (clients in several channels).
      connections: connectionsOfClients(scenario, this.descriptor, scenario.clients.connections),
      channelCount: scenario.channelNames.length,
      totalPublishes: this.counts.total,
      ackedNow: () => this.publisher.progress().acked,
      startedAt: monotonicMs(),
      workers: workerCount,
      grid: { originMs: this.grid.originMs, lengthMs: this.grid.lengthMs },
      firstInterval: this.firstInterval,
    });
    // Last, so nothing can throw after the sampler and the timer started (run() stops them).
    this.coordinatorLoad = new LoadSampler();
    this.coordinatorTicker = new IntervalTicker(this.grid, (first, last) => this.sampleCoordinator(first, last));
    this.coordinatorTicker.start();
  }

  /** The coordinator's load over intervals first..last, and the publishes that failed meanwhile. */
  private sampleCoordinator(first: number, last: number): void {
    const tool = this.coordinatorLoad.sample();
    // Failed sends of client senders are counted (and timed) by their workers.
    const errors = this.clientsSend ? 0 : this.publisher.progress().errors;
    for (let k = first; k <= last; k++)
      this.coordinatorIntervals.set(k, { tool, errors: k === last ? errors - this.publishErrorsSeen : 0 });
    this.publishErrorsSeen = errors;
    this.sampleServer(last);
  }

  /** The server's memory and queued bytes at the end of interval k, when the target can tell (the reference server's /stats). */
  private sampleServer(k: number): void {
    const sample = this.input.target.sampleServer;
    if (!sample || this.serverSampling) return;
    this.serverSampling = true;
    void sample()
      .then((server) => {
        const interval = this.coordinatorIntervals.get(k);
        if (server && interval) interval.server = server;
      })
      .finally(() => (this.serverSampling = false));
  }

  /** The schedule as far as the publisher got, once it started. */
  private publishedSchedule(sent: number): PublishedSchedule | null {
    const schedule = this.schedule;
    if (!schedule) return null;
    return { total: schedule.total, dueAt: (i) => schedule.dueAt(i), sent, warmup: this.counts.warmup };
  }

  async run(): Promise<TransportOutcome> {
    const { signal } = this.input;
    const stop = this.stopSignal;
    const snapshotTimer = setInterval(() => this.emitSnapshot(), this.input.snapshotIntervalMs);
    const stopPublisher = () => this.publisher.stop();
    stop.addEventListener('abort', stopPublisher, { once: true });
    try {
      await this.connectClients();
      if (!stop.aborted) await this.waitUntilReady();
      if (!stop.aborted) await this.publish();
      if (!stop.aborted && this.publisherResult) await this.drain();
    } catch (e) {
      this.failure = asWsbenchError(e);
    }
    stop.removeEventListener('abort', stopPublisher);
    for (const timer of this.loadTimers) clearTimeout(timer);
    await this.stopPublishing();
    // A restart that began must finish: the target's server is the new process from then on.
    await this.restartInFlight;
    const stopReason = signal.aborted ? `interrupted during ${this.phases.phase}` : (this.haltReason ?? this.failure?.message);
    // From here on connections close on purpose: nothing to watch.
    this.targetWatch.stop();
    this.unwatchTarget();
    this.phases.enter('closing');
    clearInterval(snapshotTimer);
    return this.collectResults(stopReason);
  }

  /** The transport stops early for the run's own reason (the target died): publishing ends, the report is partial. */
  private stopEarly(reason: string): void {
    if (this.halt.signal.aborted) return;
    this.haltReason = reason;
    this.input.emit({ type: 'warning', message: `${reason}; stopping this transport`, elapsedMs: this.input.elapsed() });
    this.halt.abort();
  }

  /** The publisher thread's Redis connection and failure streaks, for the run's incidents. */
  private publisherNotice(notice: PublisherNotice): void {
    const { incidents } = this.input;
    if (notice.type === 'incident') incidents.record(notice.kind, notice.detail, notice.at);
    else if (notice.up) incidents.redisUp('publisher', notice.at);
    else incidents.redisDown('publisher', notice.reason, notice.at);
  }

  private emitSnapshot(): void {
    const { emit, elapsed, coordinator } = this.input;
    const snapshot = this.live.merge({
      now: monotonicMs(),
      elapsedMs: elapsed(),
      phase: this.phases.phase,
      phaseProgress: this.phases.progress(),
      phaseRemainingMs: this.phases.remaining(),
      publisher: this.publisher.progress(),
      coordinatorCpuPercent: coordinator.intervalCpuPercent(),
    });
    emit({ type: 'snapshot', snapshot });
    if (this.publishing && !this.stopSignal.aborted) this.targetWatch.observe(snapshot);
    this.markReconnected();
    const closed = this.live.closedIntervals({
      phases: this.phases.phases(),
      coordinator: this.coordinatorIntervals,
      schedule: this.publishedSchedule(this.publisher.progress().sent),
    });
    for (const interval of closed) this.emitInterval(interval, this.grid.lengthMs);
  }

  private emitInterval(interval: TimelineInterval, intervalMs: number): void {
    this.input.emit({ type: 'interval', transport: this.input.transport, elapsedMs: this.input.elapsed(), intervalMs, ...interval });
  }

  /** Phase `connecting`: every worker opens its clients; none open at all is a setup failure. */
  private async connectClients(): Promise<void> {
    const { signal, target } = this.input;
    this.workers.start((snapshot) => this.live.record(snapshot));
    const connected = await this.workers.connected(signal);
    this.live.connected(connected);
    const opened = this.live.openedPerChannel().reduce((a, b) => a + b, 0);
    if (opened === 0 && !signal.aborted) {
      const errors: Record<string, number> = {};
      for (const w of connected) for (const [k, v] of Object.entries(w.errors)) errors[k] = (errors[k] ?? 0) + v;
      const refusal = handshakeRefusalHint(errors, target.connectHint);
      const hint = refusal ? `; ${refusal}` : '';
      throw new WsbenchError(
        'TARGET_UNREACHABLE',
        `no connection to ${target.describe} could be opened: ${describeErrors(connected)}${hint}`,
      );
    }
  }

  /** Phase `waiting-ready`: the target's readiness signal for every open client, then its settle wait. */
  private async waitUntilReady(): Promise<void> {
    const { target, redis, scenario, readinessHint } = this.input;
    this.phases.enter('waiting-ready');
    try {
      await waitUntilReady(target, {
        transport: this.descriptor,
        redis,
        channelNames: scenario.channelNames,
        openedPerChannel: this.live.openedPerChannel(),
        clientReadiness: () => this.live.clientReadiness(),
        signal: this.stopSignal,
      });
    } catch (e) {
      if (readinessHint && e instanceof WsbenchError && e.code === 'TARGET_NOT_READY')
        throw new WsbenchError(e.code, `${e.message}; ${readinessHint}`, { cause: e });
      throw e;
    }
  }

  /** Phases `warmup` and `publishing`: the publisher runs the whole open-loop schedule. */
  private async publish(): Promise<void> {
    const { scenario, coordinator } = this.input;
    await this.publisher.connected;
    const t0 = monotonicMs() + PUBLISH_LEAD_MS;
    this.schedule = new OpenLoopSchedule(t0, scenario.load.rate, this.counts.total);
    this.publisher.start(t0);
    this.workers.publishing(t0);
    this.followLoad(t0);
    coordinator.resetEventLoopDelay();
    this.publishing = true;
    let publishTimer: NodeJS.Timeout | undefined;
    if (this.counts.warmup > 0) {
      this.phases.enter('warmup', scenario.warmup);
      publishTimer = setTimeout(() => this.phases.enter('publishing', scenario.publish.duration), t0 + scenario.warmup - monotonicMs());
    } else {
      this.phases.enter('publishing', scenario.publish.duration);
    }
    try {
      this.publisherResult = await this.publisher.result();
    } finally {
      clearTimeout(publishTimer);
    }
    if (this.phases.phase === 'warmup' && !this.stopSignal.aborted) this.phases.enter('publishing', 0);
  }

  /**
   * The load's moments while publishing, on the schedule's axis from t0: each stage's start as a
   * `stage` marker, each storm as a `storm` marker (the workers drop their clients at the same
   * moment on their own), each server restart run from here.
   */
  private followLoad(t0: number): void {
    const { scenario, incidents } = this.input;
    const shape = scenario.load;
    const at = (ms: number, then: () => void) => this.loadTimers.push(setTimeout(then, Math.max(0, t0 + ms - monotonicMs())));
    const firstStage = shape.rate.length - shape.stageStartsMs.length;
    shape.stageStartsMs.forEach((start, i) => {
      const rate = shape.rate[firstStage + i]!;
      const conns = shape.connections[firstStage + i]!;
      const detail =
        `stage ${i + 1} of ${shape.stageStartsMs.length}: over ${formatDuration(rate.durationMs)}, ` +
        `rate ${rate.from}/s → ${rate.to}/s, connections ${conns.from} → ${conns.to}`;
      at(start, () => incidents.record('stage', detail, t0 + start));
    });
    (scenario.events ?? []).forEach((event, index) => {
      const policy = `reconnecting after ${formatDuration(event.reconnect.after)} + up to ${formatDuration(event.reconnect.jitter)} of jitter`;
      if (event.serverRestart) at(event.at, () => (this.restartInFlight = this.restartServer(index, policy)));
      else
        at(event.at, () =>
          incidents.record(
            'storm',
            `event ${index + 1}: ${Math.round((event.disconnect ?? 1) * 1000) / 10}% of the open clients dropped (${event.how === 'reset' ? 'TCP reset' : 'close handshake'}), ${policy}`,
            t0 + event.at,
          ),
        );
    });
  }

  /**
   * A server restart of the scenario: the workers learn that drops from now on are its doing, the
   * target watch that this is no death; the server is stopped and started again on its port. A
   * server that does not come back is `target-down` (and `onTargetDown` applies).
   */
  private async restartServer(index: number, policy: string): Promise<void> {
    const { target, incidents } = this.input;
    if (!target.restart || this.stopSignal.aborted) return;
    const at = monotonicMs();
    this.targetWatch.plannedOutage(true);
    incidents.record('server-restart', `event ${index + 1}: the reference server is restarted; every connection drops, ${policy}`, at);
    try {
      await this.workers.serverRestart(index, at);
      const detail = await target.restart();
      incidents.record('server-restarted', `the reference server is back after ${((monotonicMs() - at) / 1000).toFixed(1)} s (${detail})`);
      this.targetWatch.plannedOutage(false);
    } catch (e) {
      this.targetWatch.plannedOutage(false);
      this.targetWatch.exited(`the restarted reference server did not start: ${messageOf(e)}`);
    } finally {
      this.workers.serverRestarted(index);
    }
  }

  /** An event all of whose dropped clients are subscribed again: a `reconnected` marker at the last one's readiness. */
  private markReconnected(): void {
    for (const [index, e] of this.live.events()) {
      if (
        this.reconnectedMarked.has(index) ||
        e.dropped === 0 ||
        e.reconnected + e.gone < e.dropped ||
        e.lastReadyAt === null ||
        e.at === null
      )
        continue;
      this.reconnectedMarked.add(index);
      const seconds = ((e.lastReadyAt - e.at) / 1000).toFixed(2);
      this.input.incidents.record(
        'reconnected',
        `event ${index + 1}: all ${e.reconnected} client(s) it dropped are subscribed again, ${seconds} s after it${e.gone ? ` (${e.gone} more left with a stage)` : ''}`,
        e.lastReadyAt,
      );
    }
  }

  /** Phase `draining`: wait for what is still owed (the workers count it from their ledgers), at most the drain. */
  private async drain(): Promise<void> {
    this.phases.enter('draining', this.drainMs);
    this.workers.draining(this.publishOutcome());
    await waitUntilDrained(() => this.live.outstanding(), this.drainMs, this.stopSignal);
  }

  /** The publisher's result even when the run stopped early (what it sent is owed), then its thread goes. */
  private async stopPublishing(): Promise<void> {
    if (this.publishing && !this.publisherResult) this.publisherResult = await this.publisher.result().catch(() => null);
    await this.publisher.dispose();
    this.input.incidents.forget('publisher');
  }

  /** What happened to every publish: what the ledgers settle with (nothing sent when the publisher never ran). */
  private publishOutcome(): PublishOutcome {
    const r = this.publisherResult;
    return r ? { sent: r.sent, failed: r.failed } : allPublished(0);
  }

  private publishOutcomes(): PublishOutcomes {
    return PublishOutcomes.from(this.publishOutcome(), this.input.scenario.channelNames.length);
  }

  /** Phase `closing`: every worker closes its clients and sends its accounting; one report from all of it. */
  private async collectResults(stopReason: string | undefined): Promise<TransportOutcome> {
    const { scenario, target, signal, coordinator } = this.input;
    const failure = this.failure;
    try {
      const results = await this.workers.finish(this.publishOutcome());
      const serverProcess = await target.serverStats?.();
      this.coordinatorTicker.stop();
      this.coordinatorLoad.stop();
      const report = buildTransportReport({
        transport: this.input.transport,
        scenario,
        counts: this.counts,
        results,
        publisher: this.publisherResult,
        publishes: this.publishOutcomes(),
        openedPerChannel: this.live.openedPerChannel(),
        coordinator: coordinator.stats(),
        server: serverProcess,
        phases: this.phases.phases(),
        timeline: {
          grid: { originMs: this.grid.originMs, lengthMs: this.grid.lengthMs },
          first: this.firstInterval,
          last: this.grid.indexOf(monotonicMs()),
          coordinator: this.coordinatorIntervals,
          schedule: this.publishedSchedule(this.publisherResult?.sent ?? 0),
        },
      });
      // Intervals still open when the clients closed: from the final timeline (authoritative).
      const nextLive = this.live.nextIntervalStartMs();
      for (const interval of report.timeline?.intervals ?? [])
        if (interval.startMs >= nextLive) this.emitInterval(interval, report.timeline!.intervalMs);
      if (failure && !(failure.code === 'INTERRUPTED' && signal.aborted))
        throw new PartialTransportError(failure, this.input.transport, report);
      return { report, ...(stopReason ? { stopReason } : {}) };
    } catch (e) {
      if (e instanceof PartialTransportError) throw e;
      // Could not even collect results: report the original failure if there was one.
      throw failure ?? e;
    } finally {
      this.coordinatorTicker.stop();
      this.coordinatorLoad.stop();
      await this.workers.stop();
    }
  }
}

/** The most frequent connect error of a run where no client connected, with its sample. */
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
