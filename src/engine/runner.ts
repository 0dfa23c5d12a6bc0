/**
 * The engine: sets up Redis and the target, runs each transport in turn (transport-run.ts),
 * emits events as it goes and returns a RunReport (report-envelope.ts). Knows nothing of the
 * terminal or the machine's limits; the caller decides how to show events and may pass a
 * preflight check. What goes wrong during the run goes to one incident recorder (incidents.ts):
 * events as it happens, `run.incidents` in the report.
 *
 * Stopping early (the caller aborts the signal) skips to the end of the current transport and
 * still returns a report, marked incomplete, with everything measured until then.
 */
import type { Scenario } from '../config/resolve.js';
import { asWsbenchError } from '../errors.js';
import { ProcessMonitor } from '../process/monitor.js';
import { openRedis } from '../redis/client.js';
import { startEmbeddedRedis } from '../redis/embedded.js';
import { RunFailedError } from '../results/run-failed.js';
import type { RunReport, TransportName } from '../results/types.js';
import { prepareTarget, targetAdapter } from '../targets/registry.js';
import type { EngineListener, Phase } from './events.js';
import { IncidentRecorder } from './incidents.js';
import { ReportEnvelope } from './report-envelope.js';
import { PartialTransportError, runTransport, type Preflight } from './transport-run.js';
import { childProcessWorkers, defaultWorkerCount } from './workers.js';
import type { WorkerGroupFactory } from './worker-group.js';
import { clientTlsSettings, scenarioBaseDir } from './connection-settings.js';

export type { Preflight };

export interface RunOptions {
  /** Abort to stop early; the run still reports. */
  signal?: AbortSignal;
  onEvent?: EngineListener;
  /** Client worker processes (default: from connection count and cores). */
  workers?: number;
  snapshotIntervalMs?: number;
  /** Checks a big run against the machine's limits before connecting (the CLI passes doctor's). */
  preflight?: Preflight;
  /**
   * Where the client workers run (default: child processes of this one). A distributed run passes
   * its remote agents here (distributed/remote-workers.ts); `workers` is then their worker count.
   */
  startWorkers?: WorkerGroupFactory;
}

/** Said when a target that wsbench did not start is never ready while wsbench started its own Redis. */
const OWN_REDIS_HINT =
  'wsbench started its own Redis (no redis.url or --redis): if your server listens to another Redis, give its URL with --redis';

export async function runEngine(scenario: Scenario, options: RunOptions = {}): Promise<RunReport> {
  const signal = options.signal ?? new AbortController().signal;
  const emit: EngineListener = options.onEvent ?? (() => {});
  const envelope = new ReportEnvelope(scenario);
  const elapsed = () => envelope.elapsed();
  const incidents = new IncidentRecorder((at) => envelope.elapsedAt(at), emit);
  const cleanup: (() => Promise<void>)[] = [];
  const coordinator = new ProcessMonitor('coordinator');
  const transports: RunReport['transports'] = {};
  let stopReason: string | undefined;

  const phase = (p: Phase, transport: TransportName | null, detail?: string) =>
    emit({ type: 'phase', phase: p, transport, elapsedMs: elapsed(), ...(detail ? { detail } : {}) });

  try {
    let redisUrl = scenario.redis.url;
    const ownRedis = !redisUrl;
    if (!redisUrl) {
      phase('starting-redis', null);
      const redis = await startEmbeddedRedis({ binary: scenario.redis.binary });
      cleanup.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const controlRedis = await openRedis(redisUrl, {
      name: 'wsbench-control',
      reconnect: { onDown: (reason) => incidents.redisDown('control', reason), onUp: () => incidents.redisUp('control') },
    });
    cleanup.push(async () => controlRedis.disconnect());

    const startsServer = targetAdapter(scenario.target.kind).startsServer(scenario.target);
    if (startsServer) phase('starting-server', null, scenario.target.kind);
    // The scenario's TLS settings (CA files read) reach the target too: its own checks (the
    // built-in server's /stats) must trust what the clients trust.
    const scenarioTls = await clientTlsSettings(scenario, {});
    const target = await prepareTarget(scenario.target, {
      channelNames: scenario.channelNames,
      connections: scenario.clients.connections,
      redisUrl,
      redis: controlRedis,
      longPollTimeoutMs: scenario.polling.longPollTimeout,
      publishVia: scenario.publish.via,
      echo: scenario.publish.echo,
      baseDir: scenarioBaseDir(scenario),
      tls: scenarioTls,
    });
    cleanup.push(() => target.stop());
    const clientTls = { ...scenarioTls, ca: [...scenarioTls.ca, ...(target.trustedCa ?? [])] };
    // The server's own incidents (its Redis subscriber dropped and restored), whichever transport runs.
    const unwatch =
      target.watch?.((notice) => {
        if (notice.type === 'incident') incidents.record(notice.kind, notice.detail, notice.at);
      }) ?? (() => {});
    cleanup.push(async () => unwatch());

    const transportList: TransportName[] = scenario.transports;
    for (let t = 0; t < transportList.length && !signal.aborted; t++) {
      const name = transportList[t]!;
      const outcome = await runTransport({
        scenario,
        runId: envelope.runId,
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
        runStartMs: envelope.startMs,
        workers: options.workers ?? scenario.clients.workers ?? defaultWorkerCount(scenario.clients.connections),
        snapshotIntervalMs: options.snapshotIntervalMs ?? 500,
        startWorkers: options.startWorkers ?? childProcessWorkers,
        clientTls,
        ...(options.preflight ? { preflight: options.preflight } : {}),
        ...(ownRedis && !startsServer ? { readinessHint: OWN_REDIS_HINT } : {}),
        incidents,
      });
      transports[name] = outcome.report;
      if (outcome.stopReason) {
        stopReason = outcome.stopReason;
        break;
      }
    }
    if (signal.aborted) stopReason ??= 'interrupted';
    phase('done', null);
    return envelope.report(transports, stopReason, incidents.list());
  } catch (e) {
    const error = asWsbenchError(e);
    stopReason = error.message;
    if (error instanceof PartialTransportError) {
      transports[error.transport] = error.partial;
      throw new RunFailedError(error.original, envelope.report(transports, stopReason, incidents.list()));
    }
    if (Object.keys(transports).length > 0) throw new RunFailedError(error, envelope.report(transports, stopReason, incidents.list()));
    throw error;
  } finally {
    coordinator.stop();
    for (const step of cleanup.reverse()) await step().catch(() => {});
  }
}
