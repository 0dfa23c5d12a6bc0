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
 *     connected ─► publishing ─► finish ─► results, stopped
 *
 * `stop` and `abort` end it early (the workers are stopped: no process is left), and so does a
 * coordinator silent for longer than the plan's `coordinatorLostAfterMs` on the control Redis's
 * clock: the agent stops its clients and waits for the next run.
 *
 * Times in a plan and in `start`/`publishing` are on the coordinator's monotonic clock. An agent
 * with the coordinator's clock id reads the same clock (clock-domain.ts) and uses them as they
 * are ("exact"); agents on other hosts are not taken yet (they decline with the reason).
 */
import { WsbenchError, messageOf } from '../errors.js';
import { sameHostClock, type AgentClock } from '../metrics/clock-offset.js';
import { monotonicMs } from '../metrics/clock.js';
import type { WorkerGroup } from '../engine/worker-group.js';
import type { WorkerPlan } from '../engine/worker-messages.js';
import { AgentPresence, type AgentDescriptor } from './agent-presence.js';
import { clockMode } from './clock-domain.js';
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
  /** How long a read of a stream blocks before the agent looks at its clocks and signal again. */
  pollMs?: number;
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
  log(`agent "${descriptor.name}" registered (host ${descriptor.host}, capacity ${descriptor.capacity ?? 'by cores'}); waiting for runs`);
  try {
    while (!signal.aborted) {
      if (presenceError) throw presenceError;
      const entries = await inbox.next(pollMs);
      for (const entry of entries) {
        if (!entry.decoded.ok) {
          log(`ignored an entry of the inbox: ${entry.decoded.detail}`);
          continue;
        }
        const message = entry.decoded.message;
        if (message.type !== 'plan' || message.from !== COORDINATOR) continue;
        presence.setState('busy', message.body.runId);
        const end = await runOne(options, message, pollMs);
        presence.setState('idle', null);
        outcome.runs.push({ runId: message.body.runId, end });
        log(`run ${message.body.runId}: ${end}`);
        if (options.once && message.body.last !== false) {
          leaveReason = 'one run done (--once)';
          return outcome;
        }
        if (signal.aborted) break;
      }
    }
    return outcome;
  } finally {
    inbox.close();
    await presence.stop(leaveReason).catch(() => {});
  }
}

/** One run: from the plan to `stopped`. Never throws for what happens during it (the coordinator is told). */
async function runOne(options: AgentOptions, plan: Envelope<'agent'> & { type: 'plan' }, pollMs: number): Promise<AgentRunEnd> {
  const { channel, descriptor, signal, log } = options;
  const { runId, timing } = plan.body;
  const name = descriptor.name;
  const run = await AgentRun.open(channel, runId, name);
  const send = (message: Parameters<AgentRun['send']>[0]) =>
    run.send(message).catch((e: unknown) => log(`run ${runId}: could not send ${message.type}: ${messageOf(e)}`));
  let workers: WorkerGroup | null = null;
  let end: AgentRunEnd | null = null;
  let failure: string | null = null;
  const fail = (workerId: number | null, e: unknown) => {
    failure ??= messageOf(e).split('\n')[0]!;
    void send({ type: 'fatal', body: { name, workerId, message: failure.slice(0, 2000) } });
  };
  // Aborted when the agent's part ends, so that a worker still connecting stops waiting.
  const over = new AbortController();
  try {
    if (clockMode(descriptor.clockId, plan.body.coordinator.clockId) !== 'exact') {
      const reason =
        `agent "${name}" does not share the coordinator's monotonic clock (another host or time namespace); ` +
        'estimated clock offsets are not applied to agents yet';
      await send({ type: 'declined', body: { name, reason } });
      return 'stopped';
    }
    const clock: AgentClock = sameHostClock();
    const plans = plan.body.plans;
    await send({ type: 'accepted', body: { name, workerIds: plans.map((p) => p.workerId) } });
    await send({ type: 'clock', body: { name, clock, atMs: monotonicMs() } });
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
        if (m.type === 'start' && !workers) {
          const started = plans.map((p) => ({ ...p, connectStartMs: m.body.connectStartMs }));
          workers = options.startWorkers(started);
          workers.start((snapshot) => void send({ type: 'snapshot', body: { name, snapshot } }));
          workers.connected(over.signal).then(
            (list) => list.forEach((connected) => void send({ type: 'connected', body: { name, connected } })),
            (e: unknown) => {
              if (!over.signal.aborted) fail(null, e);
            },
          );
        } else if (m.type === 'publishing') {
          workers?.publishing(m.body.t0);
        } else if (m.type === 'finish' && workers) {
          const w = workers;
          w.finish(m.body.publishes).then(
            (results) => {
              // Written now, in order, on the one command connection: ahead of the `stopped` that follows.
              for (const result of results) void send({ type: 'result', body: { name, result } });
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
    await send({ type: 'stopped', body: { name, reason: end ?? 'stopped' } });
    run.close();
  }
}
