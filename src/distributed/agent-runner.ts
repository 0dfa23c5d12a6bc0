/**
 * `wsbench agent`'s loop: register and heart-beat (agent-presence.ts), wait for a plan in the
 * inbox, run its share of the clients with the same worker processes as a local run (the
 * `startWorkers` it is given: engine/workers.ts's child processes), carry the engine's worker
 * messages over the run's streams (run-streams.ts), and go back to waiting — or leave after one
 * run with `once`.
 *
 * One run, as the agent sees it (docs/distributed.md, "Messages"):
 *
 *     plan ─► accepted, clock ─► start (the agreed instant) ─► workers started: snapshots …,
 *     connected ─► publishing ─► (client senders: sent) ─► finish ─► results, stopped
 *
 * `stop` and `abort` end it early (the workers are stopped: no process is left), and so does a
 * coordinator silent for longer than the plan's `coordinatorLostAfterMs` on the control Redis's
 * clock: the agent stops its clients and waits for the next run.
 *
 * Times in a plan and in `start`/`publishing` are on the coordinator's monotonic clock. An agent
 * with the coordinator's clock id reads the same clock (clock-domain.ts) and uses them as they
 * are ("exact"). Another agent estimates its offset to the coordinator through the control
 * Redis's TIME (EstimatedClock below), converts every time it is given with the offset known at
 * `start`, and reports that offset, the drift and the bound of what it applied.
 */
import { WsbenchError, messageOf } from '../errors.js';
import { DEFAULT_MAX_DRIFT_PPM, agentClock, sameHostClock, type AgentClock, type OffsetEstimate } from '../metrics/clock-offset.js';
import { monotonicMs } from '../metrics/clock.js';
import type { WorkerGroup } from '../engine/worker-group.js';
import type { WorkerPlan, WorkerResult } from '../engine/worker-messages.js';
import { AgentPresence, AgentRefusedError, type AgentDescriptor } from './agent-presence.js';
import { clockMode } from './clock-domain.js';
import { addressesNotHere } from './host-identity.js';
import { COORDINATOR, type Envelope, type MessageBody } from './protocol.js';
import { AgentRun } from './run-streams.js';
import type { ControlChannel } from './control-channel.js';

/** How an agent's part of a run ended (the `stopped` message's reason). */
export type AgentRunEnd = MessageBody<'runData', 'stopped'>['reason'];

export interface AgentOptions {
  channel: ControlChannel;
  descriptor: AgentDescriptor;
  /** Starts the agent's workers with their plans (the CLI passes the engine's child-process workers). */
  startWorkers: (plans: WorkerPlan[]) => WorkerGroup;
  /** Leave after one run (batch schedulers). */
  once: boolean;
  /** Aborted on SIGINT/SIGTERM: the current run's workers stop, the agent says `leave` and returns. */
  signal: AbortSignal;
  /** One line for a person (the CLI prints it). */
  log: (line: string) => void;
  /** This agent's own source addresses (`--local-address`): its clients bind to these instead of its share of the run's. */
  localAddresses?: string[];
  /** How long a read of a stream blocks before the agent looks at its clocks and signal again. */
  pollMs?: number;
  /**
   * The clock this agent estimates its offset with, and how far it reads from the monotonic clock
   * its worker processes use. Tests only: an agent made to read ahead of its host's clock (its
   * descriptor then carries a clock id of its own), to check the estimate end to end.
   */
  localClock?: { now: () => number; aheadOfMonotonicMs: number };
}

export interface AgentOutcome {
  /** Runs taken part in, and how each ended. */
  runs: { runId: string; end: AgentRunEnd }[];
}

/** Runs the agent until its signal aborts (or after one run with `once`). Rejects when the control Redis fails or the agent is refused. */
export async function runAgent(options: AgentOptions): Promise<AgentOutcome> {
  const { channel, descriptor, signal, log } = options;
  const pollMs = options.pollMs ?? 500;
  let presenceError: WsbenchError | null = null;
  const presence = await AgentPresence.start(channel, descriptor, (e) => (presenceError ??= e));
  const inbox = await presence.inbox();
  const outcome: AgentOutcome = { runs: [] };
  let leaveReason = 'stopped by a signal';
  // `once`, between two plans of one run: the last part's streams, where the coordinator heart-beats until the next plan is out.
  let between: { run: AgentRun; lostAfterMs: number } | null = null;
  log(`agent "${descriptor.name}" registered (host ${descriptor.host}, capacity ${descriptor.capacity ?? 'by cores'}); waiting for runs`);
  try {
    while (!signal.aborted) {
      if (presenceError) throw presenceError;
      const entries = await inbox.next(pollMs).catch(async (e: unknown) => {
        if (e instanceof AgentRefusedError) throw e;
        // An outage the channel rides out (its grace): read again once the control Redis is back.
        await channel.recover(e).catch((f: unknown) => {
          throw f instanceof WsbenchError
            ? f
            : new WsbenchError('REDIS_UNREACHABLE', `control Redis: reading the inbox failed: ${messageOf(f)}`, { cause: f });
        });
        return [];
      });
      for (const entry of entries) {
        if (!entry.decoded.ok) {
          log(`ignored an entry of the inbox: ${entry.decoded.detail}`);
          continue;
        }
        const message = entry.decoded.message;
        if (message.type !== 'plan' || message.from !== COORDINATOR) continue;
        between?.run.close();
        between = null;
        presence.setState('busy', message.body.runId);
        const end = await runOne(options, message, pollMs);
        presence.setState('idle', null);
        outcome.runs.push({ runId: message.body.runId, end });
        log(`run ${message.body.runId}: ${end}`);
        if (options.once && (message.body.last !== false || end !== 'finished')) {
          leaveReason = 'one run done (--once)';
          return outcome;
        }
        if (options.once)
          between = {
            run: await AgentRun.open(channel, message.body.runId, descriptor.name),
            lostAfterMs: message.body.timing.coordinatorLostAfterMs,
          };
        if (signal.aborted) break;
      }
      if (between) {
        // Heartbeats are what is read here; anything else of a finished part is past.
        await between.run.read(1);
        if ((await between.run.coordinatorSilentMs()) > between.lostAfterMs) {
          const runId = between.run.runId;
          log(
            `run ${runId}: the coordinator is silent for more than ${between.lostAfterMs} ms before sending the rest of the run; leaving (--once)`,
          );
          outcome.runs.push({ runId, end: 'coordinator-lost' });
          leaveReason = 'its coordinator was lost before the rest of the run (--once)';
          return outcome;
        }
      }
    }
    return outcome;
  } finally {
    between?.run.close();
    inbox.close();
    await presence.stop(leaveReason).catch(() => {});
  }
}

/**
 * One run: from the plan to `stopped`. What goes wrong in the run (a worker failing) is told to the
 * coordinator; only a failing control Redis is thrown (after the workers were stopped).
 */
async function runOne(options: AgentOptions, plan: Envelope<'agent'> & { type: 'plan' }, pollMs: number): Promise<AgentRunEnd> {
  const { channel, descriptor, signal, log } = options;
  const { runId, timing } = plan.body;
  const name = descriptor.name;
  const run = await AgentRun.open(channel, runId, name);
  const send = (message: Parameters<AgentRun['send']>[0]) =>
    run.send(message).catch((e: unknown) => log(`run ${runId}: could not send ${message.type}: ${messageOf(e)}`));
  let workers: WorkerGroup | null = null;
  let estimated: EstimatedClock | null = null;
  let end: AgentRunEnd | null = null;
  let failure: string | null = null;
  const fail = (workerId: number | null, e: unknown) => {
    failure ??= messageOf(e).split('\n')[0]!;
    void send({ type: 'fatal', body: { name, workerId, message: failure.slice(0, 2000) } });
  };
  // Aborted when the agent's part ends, so that a worker still connecting stops waiting.
  const over = new AbortController();
  try {
    const exact = clockMode(descriptor.clockId, plan.body.coordinator.clockId) === 'exact';
    if (!exact) estimated = await EstimatedClock.start(channel, timing.clockResampleMs, options.localClock);
    // Source addresses belong to a host: this agent's own (--local-address) replace its share of the coordinator's.
    const own = options.localAddresses ?? [];
    const plans = own.length > 0 ? plan.body.plans.map((p) => ({ ...p, localAddresses: [...own] })) : plan.body.plans;
    const missing = addressesNotHere([...new Set(plans.flatMap((p) => p.localAddresses))]);
    if (missing.length > 0) {
      const reason =
        `source address${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} not on this host (${descriptor.host}): ` +
        'give this agent its own with --local-address (wsbench agent … --local-address ADDR)';
      log(`run ${runId}: declined: ${reason}`);
      await send({ type: 'declined', body: { name, reason } });
      return (end = 'stopped');
    }
    await send({ type: 'accepted', body: { name, workerIds: plans.map((p) => p.workerId) } });
    if (exact) await send({ type: 'clock', body: { name, clock: sameHostClock(), atMs: monotonicMs() } });
    // Coordinator times to the workers' monotonic clock and back: the same clock on one host.
    let toWorkers = (coordinatorMs: number) => coordinatorMs;
    let fromWorkers = (workerMs: number) => workerMs;
    // The times in a result (its events' instants) on the coordinator's clock.
    const toCoordinator = (result: WorkerResult): WorkerResult => {
      const at = (t: number | null) => (t === null ? null : fromWorkers(t));
      const events = result.lifecycle.events.map((e) => ({
        ...e,
        at: at(e.at),
        firstReadyAt: at(e.firstReadyAt),
        lastReadyAt: at(e.lastReadyAt),
      }));
      return { ...result, lifecycle: { ...result.lifecycle, events } };
    };
    while (end === null) {
      if (signal.aborted) {
        end = 'stopped';
        break;
      }
      const entries = await run.read(pollMs);
      for (const entry of entries) {
        if (!entry.decoded.ok) {
          log(`run ${runId}: ignored a control entry: ${entry.decoded.detail}`);
          continue;
        }
        const m = entry.decoded.message;
        if (m.from !== COORDINATOR) continue;
        if (m.type === 'clock') {
          estimated?.coordinator(m.body.estimates);
        } else if (m.type === 'start' && !workers) {
          if (estimated) {
            [toWorkers, fromWorkers] = estimated.apply();
            await send({ type: 'clock', body: { name, clock: estimated.report(), atMs: monotonicMs() } });
          }
          // Senders send on this clock (t0 converted) and stamp on the coordinator's, as the publisher does.
          const stampShiftMs = fromWorkers(0);
          const started = plans.map((p) => ({
            ...p,
            connectStartMs: toWorkers(m.body.connectStartMs),
            timeline: { ...p.timeline, originMs: toWorkers(p.timeline.originMs) },
            // Every stamp a worker reads is on the coordinator's clock: its receipts are on this one.
            stampToWorkerMs: toWorkers(0),
            upstream: p.upstream && { ...p.upstream, stampShiftMs },
          }));
          workers = options.startWorkers(started);
          workers.start((snapshot) => void send({ type: 'snapshot', body: { name, snapshot } }));
          workers.connected(over.signal).then(
            (list) => list.forEach((connected) => void send({ type: 'connected', body: { name, connected } })),
            (e: unknown) => {
              if (!over.signal.aborted) fail(null, e);
            },
          );
        } else if (m.type === 'publishing') {
          // Client senders (publish.via websocket): listen for what they did before they start.
          if (workers && plans.some((p) => p.upstream !== null))
            workers.sent().then(
              (list) => {
                const sent = list.reduce((a, x) => a + x.sent, 0);
                log(`run ${runId}: its senders sent ${sent} message(s) (${list.length} worker(s))`);
                for (const sends of list) {
                  const at = (t: number) => (Number.isFinite(t) ? fromWorkers(t) : t);
                  const converted = {
                    ...sends,
                    measuredFirstSentAt: at(sends.measuredFirstSentAt),
                    measuredLastSentAt: at(sends.measuredLastSentAt),
                  };
                  void send({ type: 'sent', body: { name, sends: converted } });
                }
              },
              (e: unknown) => {
                if (!over.signal.aborted) fail(null, e);
              },
            );
          workers?.publishing(toWorkers(m.body.t0));
        } else if (m.type === 'stop-sending') {
          workers?.stopSending();
        } else if (m.type === 'drain') {
          workers?.draining(m.body.publishes);
        } else if (m.type === 'server-restart' && workers) {
          const index = m.body.index;
          void workers.serverRestart(index, toWorkers(m.body.at)).then(() => send({ type: 'restart-ack', body: { name, index } }));
        } else if (m.type === 'server-restarted') {
          workers?.serverRestarted(m.body.index);
        } else if (m.type === 'finish' && workers) {
          const w = workers;
          w.finish(m.body.publishes).then(
            async (results) => {
              if (estimated) {
                await estimated.resample().catch((e: unknown) => log(`run ${runId}: ${messageOf(e)}`));
                void send({ type: 'clock', body: { name, clock: estimated.report(), atMs: monotonicMs() } });
              }
              // Written now, in order, on the one command connection: ahead of the `stopped` that follows.
              for (const result of results) void send({ type: 'result', body: { name, result: toCoordinator(result) } });
              end ??= 'finished';
            },
            (e: unknown) => {
              fail(null, e);
              end ??= 'stopped';
            },
          );
        } else if (m.type === 'stop') {
          // After its results were sent, a stop only ends a part that already finished.
          end ??= 'stopped';
        } else if (m.type === 'abort') {
          end ??= 'aborted';
        }
      }
      if (end === null && (await run.coordinatorSilentMs()) > timing.coordinatorLostAfterMs) {
        log(`run ${runId}: the coordinator is silent for more than ${timing.coordinatorLostAfterMs} ms; stopping the clients`);
        end = 'coordinator-lost';
      }
    }
    return end;
  } catch (e) {
    // The control Redis failed mid-run: the clients stop (below) and the error goes up.
    end = 'stopped';
    throw e instanceof WsbenchError ? e : new WsbenchError('REDIS_UNREACHABLE', messageOf(e), { cause: e });
  } finally {
    over.abort();
    await (workers as WorkerGroup | null)?.stop();
    await (estimated as EstimatedClock | null)?.stop();
    await send({ type: 'stopped', body: { name, reason: end ?? 'stopped' } });
    run.close();
  }
}

/**
 * An agent's clock on another host (or time namespace): its own estimates against Redis TIME,
 * re-taken every `clockResampleMs`, and the coordinator's, as they come on the control stream.
 * One offset is applied for the whole run (at `start`): the workers get coordinator times
 * converted once, so their latencies are off by the distance from that offset to the truth, which
 * `report` bounds at both ends of the stretch it was applied over (the error of a constant is
 * convex in time between estimates: the ends are its largest).
 */
/** Points at which the error of the applied offset is taken over the run. */
const BOUND_GRID = 128;

class EstimatedClock {
  private coordinatorEstimates: OffsetEstimate[] = [];
  private applied: { offsetMs: number; atMs: number } | null = null;

  private constructor(
    private readonly reference: Awaited<ReturnType<ControlChannel['referenceClock']>>,
    private readonly now: () => number,
    private readonly aheadMs: number,
  ) {}

  static async start(
    channel: ControlChannel,
    everyMs: number,
    local: AgentOptions['localClock'] = { now: monotonicMs, aheadOfMonotonicMs: 0 },
  ): Promise<EstimatedClock> {
    const reference = await channel.referenceClock({ everyMs, now: local.now });
    return new EstimatedClock(reference, local.now, local.aheadOfMonotonicMs);
  }

  coordinator(estimates: readonly OffsetEstimate[]): void {
    const known = new Set(this.coordinatorEstimates.map((e) => e.atMs));
    this.coordinatorEstimates = [...this.coordinatorEstimates, ...estimates.filter((e) => !known.has(e.atMs))]
      .sort((a, b) => a.atMs - b.atMs)
      .slice(-30);
  }

  private clockAt(agentMs: number): AgentClock {
    if (this.coordinatorEstimates.length === 0)
      throw new WsbenchError('INTERNAL', 'the coordinator sent no clock estimate before the start of the run');
    return agentClock(this.reference.clock.estimates(), this.coordinatorEstimates, agentMs);
  }

  /** Fixes the offset for the run; returns the conversions from coordinator time to the workers' monotonic clock and back. */
  apply(): [(coordinatorMs: number) => number, (workerMs: number) => number] {
    const atMs = this.now();
    const { offsetMs } = this.clockAt(atMs);
    this.applied = { offsetMs, atMs };
    return [(coordinatorMs) => coordinatorMs + offsetMs - this.aheadMs, (workerMs) => workerMs - offsetMs + this.aheadMs];
  }

  /** The clock as the report states it: the offset and drift now, the bound of the offset applied. */
  report(): AgentClock {
    const nowMs = this.now();
    const current = this.clockAt(nowMs);
    if (!this.applied) return current;
    const errorAt = (t: number) => {
      const best = this.clockAt(t);
      return Math.abs(this.applied!.offsetMs - best.offsetMs) + best.errorBoundMs;
    };
    // Between estimates the allowed band is widest somewhere inside: the error is taken on a grid
    // over the stretch, plus what it can grow between two grid points (both sides drifting at the
    // most the model allows).
    const step = Math.max(0, nowMs - this.applied.atMs) / BOUND_GRID;
    let worst = 0;
    for (let k = 0; k <= BOUND_GRID; k++) worst = Math.max(worst, errorAt(this.applied.atMs + k * step));
    return { ...current, errorBoundMs: worst + 2 * DEFAULT_MAX_DRIFT_PPM * 1e-6 * step };
  }

  /** A new window now (the end of the run), so the stretch is bounded by estimates at both ends. */
  async resample(): Promise<void> {
    await this.reference.clock.resample();
  }

  stop(): Promise<void> {
    return this.reference.stop();
  }
}
