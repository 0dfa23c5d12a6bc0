/**
 * The coordinator's side of a distributed run (`wsbench run --agents N`): it waits for the agents
 * on the control Redis (agent-registry.ts), splits the clients among them by capacity, and gives
 * the engine a worker group whose workers are the agents' (RemoteWorkerGroup, behind the engine's
 * WorkerGroup seam): plans go out on each agent's stream, snapshots, connect outcomes and results
 * come back on the run's data stream as the engine's worker messages, unchanged. The publisher
 * stays in the coordinator as in any run.
 *
 * Faults: an agent that stops heart-beating (or leaves) before it sent its results is an
 * `agent-lost` incident; its workers' results are then made here from what is known — the
 * clients it opened, and every message they were owed counted `unobserved` (nobody knows whether
 * they arrived, so neither delivered nor lost) — and the run goes on, degraded.
 *
 * The control Redis going away (restarted, a dropped connection) is ridden out for
 * `controlGraceMs` (default: the agents' heartbeat-loss window, 5 s): its connections reconnect,
 * reads resume after the last entry read, entries are sent again with the same `seq` (never
 * applied twice), and the run's incidents say `redis-down` / `redis-up` for the control
 * connection. Longer than that, the run fails with one REDIS_UNREACHABLE error and what was
 * measured so far.
 */
import { WsbenchError, messageOf } from '../errors.js';
import { createHistogram, encodeHistogram } from '../metrics/histogram.js';
import { monotonicMs } from '../metrics/clock.js';
import { PublishOutcomes, type PublishOutcome } from '../metrics/publish-outcomes.js';
import { sameHostClock, type AgentClock, type OffsetEstimate } from '../metrics/clock-offset.js';
import { redactText } from '../secrets.js';
import type { WorkerGroup, WorkerGroupContext } from '../engine/worker-group.js';
import type { WorkerConnected, WorkerPlan, WorkerResult, WorkerSends, WorkerSnapshot } from '../engine/worker-messages.js';
import type { AgentReport, DeliveryCounts } from '../results/types.js';
import { AgentRegistry, type KnownAgent, type RegistryEvent } from './agent-registry.js';
import { ControlChannel, type ControlEntry, type OutageEvent } from './control-channel.js';
import { addressShare, readHostIdentity, type HostIdentity } from './host-identity.js';
import { COORDINATOR, DEFAULT_TIMING } from './protocol.js';
import { CoordinatorRun } from './run-streams.js';

/** Agents start connecting this long after `start` is sent (time to read it and start their worker processes). */
const START_LEAD_MS = 1000;
/** How long agents have to accept their plans. */
const ACCEPT_TIMEOUT_MS = 30_000;
/** The agents' live state is sent at most this often while only their figures move. */
const AGENTS_EVENT_MS = 1000;
/** How long the client senders' accounts are waited for after `stop-sending` (as results are after `finish`). */
const SENT_WAIT_MS = 30_000;
/** How long `stop` waits for every agent to say it stopped. */
const STOP_WAIT_MS = 5000;
/** Connections per agent core when an agent states no capacity (the engine's connections per worker process). */
const CONNECTIONS_PER_CORE = 15_000;

export interface CoordinatorOptions {
  /** The control Redis (password redacted in every message). */
  url: string;
  /** Agents wanted. */
  agents: number;
  /** These agents exactly (then `agents` is their count). */
  names?: string[];
  /** Only agents with all these labels. */
  labels?: Record<string, string>;
  /** How long to wait for them (ms). */
  waitMs: number;
  prefix?: string;
  signal?: AbortSignal;
  /** An agent silent this long is lost (default the protocol's 5 s). */
  lostAfterMs?: number;
  /** Said while waiting (an agent came, one was refused). */
  log?: (line: string) => void;
  /** How long an unreachable control Redis is waited for (default: the agents' heartbeat-loss window). */
  controlGraceMs?: number;
}

interface Assignment {
  agent: KnownAgent;
  clients: number;
  workers: number;
}

/** The agents of one distributed run and the worker groups the engine gets from them. */
export class AgentCoordinator {
  private assignments: Assignment[] = [];
  private readonly groups = new Set<RemoteWorkerGroup>();
  private readonly status = new Map<string, string>();
  private readonly clocks = new Map<string, AgentClock>();
  readonly host: HostIdentity = readHostIdentity();

  private constructor(
    readonly channel: ControlChannel,
    private readonly registry: AgentRegistry,
    readonly agents: KnownAgent[],
    readonly url: string,
  ) {}

  /** Connects to the control Redis and waits for `agents` idle agents (with the labels); a SETUP error names those that came. */
  static async open(options: CoordinatorOptions): Promise<AgentCoordinator> {
    const log = options.log ?? (() => {});
    const url = redactText(options.url);
    let coordinator: AgentCoordinator | null = null;
    const channel = await ControlChannel.open(options.url, {
      sender: COORDINATOR,
      ...(options.prefix ? { prefix: options.prefix } : {}),
      graceMs: options.controlGraceMs ?? DEFAULT_TIMING.agentLostAfterMs,
      onOutage: (event) => coordinator?.outage(event),
    });
    const onEvent = (event: RegistryEvent) => {
      if (event.type === 'joined') log(`agent "${event.agent.descriptor.name}" (${event.agent.descriptor.host}) is there`);
      else if (event.type === 'refused') log(`agent "${event.name}" refused: ${event.detail}`);
      coordinator?.registryEvent(event);
    };
    let registry: AgentRegistry;
    try {
      registry = await AgentRegistry.start(channel, { onEvent, ...(options.lostAfterMs ? { lostAfterMs: options.lostAfterMs } : {}) });
    } catch (e) {
      await channel.close();
      throw e;
    }
    const labels = Object.entries(options.labels ?? {});
    const named = options.names ? new Set(options.names) : null;
    const fits = (a: KnownAgent) =>
      a.state === 'idle' && labels.every(([k, v]) => a.descriptor.labels[k] === v) && (named?.has(a.descriptor.name) ?? true);
    const found = await registry.waitFor((alive) => alive.filter(fits).length >= options.agents, options.waitMs, options.signal);
    if (!found) {
      const came = registry.alive();
      await registry.stop();
      await channel.close();
      if (options.signal?.aborted) throw new WsbenchError('INTERRUPTED', 'interrupted while waiting for agents');
      const names = came.map((a) => `${a.descriptor.name}${fits(a) ? '' : ` (${a.state === 'idle' ? 'not asked for' : a.state})`}`);
      const wanted =
        (named ? ` named ${[...named].join(', ')}` : '') + (labels.length ? ` with ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}` : '');
      throw new WsbenchError(
        'SETUP',
        `waited ${(options.waitMs / 1000).toFixed(0)} s for ${options.agents} idle agent(s)${wanted} on the control Redis ${url}: ` +
          (names.length ? `${names.length} came: ${names.join(', ')}` : 'none came'),
      );
    }
    const chosen = found
      .filter(fits)
      .sort((a, b) => a.descriptor.name.localeCompare(b.descriptor.name))
      .slice(0, options.agents);
    coordinator = new AgentCoordinator(channel, registry, chosen, url);
    // Agents that do not share this clock estimate their offset against the coordinator's estimates.
    const host = coordinator.host.clockId;
    if (chosen.some((a) => a.descriptor.clockId === null || a.descriptor.clockId !== host)) {
      try {
        coordinator.reference = await channel.referenceClock({ onEstimate: () => coordinator?.clockChanged() });
      } catch (e) {
        await coordinator.close();
        throw e;
      }
    }
    return coordinator;
  }

  /**
   * Shares `connections` among the agents as local workers share clients: `deal` is the engine's
   * (worker-plans.ts interleaveClients: worker w of W takes clients w, w + W, …), so clients below
   * any level — what stages open first, what churn and storms take by index — are spread over
   * every agent alike. An agent's share is then its workers' share: agents get workers in
   * proportion to their capacity (an agent without one counts CONNECTIONS_PER_CORE per core), at
   * least `workersFor(its clients, its cores)` in all (shareAmongAgents). Returns the total, which
   * the engine makes plans for. A SETUP error when the agents cannot take that many connections.
   */
  plan(
    connections: number,
    workersFor: (clients: number, cores: number) => number,
    deal: Deal,
    connectionsOf: ConnectionsOf = (range) => range.count,
  ): number {
    const capacities = this.agents.map((a) => a.descriptor.capacity ?? a.descriptor.cores * CONNECTIONS_PER_CORE);
    const total = capacities.reduce((a, b) => a + b, 0);
    const stated = this.agents.every((a) => a.descriptor.capacity !== null);
    const opened = connectionsOf({ first: 0, count: connections, stride: 1 });
    if (stated && total < opened)
      throw new WsbenchError(
        'SETUP',
        `the ${this.agents.length} agent(s) take at most ${total} connections (--capacity), the scenario has ${opened}` +
          (opened === connections ? '' : ` (${connections} clients, a connection per (client, channel))`),
      );
    if (connections < this.agents.length)
      throw new WsbenchError('CONFIG', `${connections} connection(s) cannot be shared among ${this.agents.length} agents`);
    const byWeight = splitByWeight(connections, capacities);
    const least = this.agents.reduce((n, a, i) => n + Math.max(1, Math.min(byWeight[i]!, workersFor(byWeight[i]!, a.descriptor.cores))), 0);
    const shares = shareAmongAgents(connections, capacities, least, stated ? capacities : null, deal, connectionsOf);
    if (!shares)
      throw new WsbenchError(
        'SETUP',
        `${connections} connections cannot be dealt to agents with capacities ${capacities.join(', ')} without going over one`,
      );
    this.assignments = this.agents.map((agent, i) => ({ agent, clients: shares[i]!.clients, workers: shares[i]!.workers }));
    return this.assignments.reduce((a, s) => a + s.workers, 0);
  }

  /** The engine's worker-group factory: one RemoteWorkerGroup per transport. */
  readonly startWorkers = (plans: WorkerPlan[], context: WorkerGroupContext): WorkerGroup => {
    if (this.assignments.length === 0) throw new WsbenchError('INTERNAL', 'AgentCoordinator.plan was not called before the run');
    const group = new RemoteWorkerGroup(this, this.assignments, plans, context, this.transportsLeft > 1);
    this.transportsLeft--;
    this.groups.add(group);
    return group;
  };

  /** The coordinator's offset to Redis TIME, when an agent needs it (one on another host). */
  reference: Awaited<ReturnType<ControlChannel['referenceClock']>> | null = null;

  /** The coordinator's estimates so far (for the agents' offsets), or null when every agent shares its clock. */
  estimates(): OffsetEstimate[] | null {
    const kept = this.reference?.clock.estimates();
    return kept && kept.length > 0 ? [...kept] : null;
  }

  /** Takes a new window of the coordinator's offset now (sent to the agents as it comes); nothing when no agent needs it. */
  async resampleClock(): Promise<void> {
    await this.reference?.clock.resample().catch(() => {});
  }

  private clockChanged(): void {
    for (const g of this.groups) void g.sendClock();
  }

  /** Transports the run will still start (a `--once` agent stays until the last one). */
  transportsLeft = 1;

  /** The report's `run.agents`. */
  report(): AgentReport[] {
    return this.assignments.map(({ agent, clients }) => ({
      name: agent.descriptor.name,
      host: agent.descriptor.host,
      clients,
      clock: this.clocks.get(agent.descriptor.name) ?? this.unreportedClock(agent),
      status: this.status.get(agent.descriptor.name) ?? 'not started',
    }));
  }

  /**
   * The clock of an agent that never said (lost or declined before the start: it measured
   * nothing): exact when it shares this clock; otherwise unknown, which `consistent: false` says
   * (its bound is 0 because no latency of the run depends on it).
   */
  private unreportedClock(agent: KnownAgent): AgentClock {
    if (agent.descriptor.clockId !== null && agent.descriptor.clockId === this.host.clockId) return sameHostClock();
    return { mode: 'estimated', offsetMs: 0, errorBoundMs: 0, driftPpm: 0, consistent: false };
  }

  /** A group's view of how an agent's part ended, and its clock. */
  noteAgent(name: string, status: string | null, clock?: AgentClock): void {
    if (status !== null && this.status.get(name) !== 'lost') this.status.set(name, status);
    if (clock) this.clocks.set(name, clock);
  }

  /**
   * The last transport's run streams, heart-beating on until the next transport's plans are out:
   * a `--once` agent between two plans of the run watches them, and leaves when they go silent.
   */
  private between: CoordinatorRun | null = null;

  /** Keeps `run` heart-beating (null: none); the one kept before stops. */
  async keepBeating(run: CoordinatorRun | null): Promise<void> {
    const previous = this.between;
    this.between = run;
    if (previous && previous !== run) await previous.close().catch(() => {});
  }

  groupClosed(group: RemoteWorkerGroup): void {
    this.groups.delete(group);
  }

  /** The control Redis went away, came back, or stayed away too long: the running groups' incidents (the `control` witness), or their failure. */
  private outage(event: OutageEvent): void {
    for (const g of this.groups) g.controlOutage(event);
  }

  private registryEvent(event: RegistryEvent): void {
    if (event.type === 'lost')
      for (const g of this.groups) g.agentGone(event.agent.descriptor.name, `silent for ${(event.silentMs / 1000).toFixed(1)} s`);
    else if (event.type === 'left') for (const g of this.groups) g.agentGone(event.agent.descriptor.name, `it left (${event.reason})`);
    else if (event.type === 'error') for (const g of this.groups) g.controlFailed(event.error);
  }

  async close(): Promise<void> {
    for (const g of [...this.groups]) await g.stop().catch(() => {});
    await this.keepBeating(null);
    await this.reference?.stop();
    await this.registry.stop();
    await this.channel.close();
  }
}

/** The engine's dealing of clients to W workers (worker-plans.ts interleaveClients): worker w's clients are first, first + stride, … (count of them). */
export type Deal = (total: number, workers: number) => { first: number; count: number; stride: number }[];

/**
 * Connections the clients first, first + stride, … (count of them) open: one each, or more where
 * a client in several channels opens one per channel (engine/worker-plans.ts connectionsOfRange).
 */
export type ConnectionsOf = (range: { first: number; count: number; stride: number }) => number;

/** How far an agent's share may be from its weight's (a fraction of it) before more, finer workers are tried. */
const SHARE_TOLERANCE = 0.1;

/**
 * Workers (and so clients) per agent when `total` clients are dealt in turn to every agent's
 * workers (`deal`), agent i taking the next `workers[i]` worker ids. The number of workers starts
 * at `least` (what the agents need for their connections and cores) and grows until the shares
 * are within SHARE_TOLERANCE of the split by `weights` (splitByWeight), every agent has a worker
 * and, when `capacities` are stated, none goes over its own; failing that, the closest split that
 * fits. Null when none fits.
 */
export function shareAmongAgents(
  total: number,
  weights: readonly number[],
  least: number,
  capacities: readonly number[] | null,
  deal: Deal,
  connectionsOf: ConnectionsOf = (range) => range.count,
): { workers: number; clients: number }[] | null {
  const target = splitByWeight(total, weights);
  const from = Math.max(least, weights.length);
  // Enough to come within a worker's share of any weight; never more workers than clients.
  const to = Math.min(total, from + 64 * weights.length);
  let best: { shares: { workers: number; clients: number }[]; off: number } | null = null;
  for (let w = from; w <= to; w++) {
    const workers = splitByWeight(w, weights);
    if (workers.some((n) => n === 0)) continue;
    const ranges = deal(total, w);
    let next = 0;
    // Capacities are in connections: a client in several channels may open one per channel.
    const opened: number[] = [];
    const shares = workers.map((n) => {
      const mine = ranges.slice(next, next + n);
      next += n;
      if (capacities) opened.push(mine.reduce((a, r) => a + connectionsOf(r), 0));
      return { workers: n, clients: mine.reduce((a, r) => a + r.count, 0) };
    });
    if (capacities && shares.some((_, i) => opened[i]! > capacities[i]!)) continue;
    const off = Math.max(...shares.map((s, i) => Math.abs(s.clients - target[i]!) / Math.max(1, target[i]!)));
    if (off <= SHARE_TOLERANCE) return shares;
    if (!best || off < best.off) best = { shares, off };
  }
  return best?.shares ?? null;
}

/** `total` split in proportion to `weights` (largest remainders), every share at least 1 when total allows. */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map((x) => Math.floor(x));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]!++;
  // An agent with nothing to do would sit in the run for nothing: take one from the largest.
  for (let i = 0; i < out.length; i++) {
    if (out[i]! > 0) continue;
    const donor = out.indexOf(Math.max(...out));
    if (out[donor]! <= 1) break;
    out[donor]!--;
    out[i]!++;
  }
  return out;
}

interface AgentPart {
  name: string;
  pid: number;
  plans: WorkerPlan[];
  accepted: boolean;
  /** Set once its part ended: the reason it said, or "lost". */
  ended: string | null;
  lastSnapshot: Map<number, WorkerSnapshot>;
  /** Server restarts its workers acknowledged. */
  restartAcks: Set<number>;
  host: string;
  clients: number;
  clock: AgentClock | null;
}

/** One transport's workers, run by the agents. */
export class RemoteWorkerGroup implements WorkerGroup {
  private readonly parts: AgentPart[] = [];
  private readonly byWorker = new Map<number, AgentPart>();
  private readonly connectedBy = new Map<number, WorkerConnected>();
  private readonly resultBy = new Map<number, WorkerResult>();
  /** Client senders' accounts (publish.via websocket), by worker id. */
  private readonly sendsBy = new Map<number, WorkerSends>();
  private readonly waiters = new Set<() => void>();
  private run: CoordinatorRun | null = null;
  private ready: Promise<void> | null = null;
  private fatal: WsbenchError | null = null;
  private closed = false;
  /** stop() was called: agents stopping now do so because they were told. */
  private stopping = false;
  private reading: Promise<void> | null = null;
  private onSnapshot: (snapshot: WorkerSnapshot) => void = () => {};
  private publishes: PublishOutcome | null = null;
  private readonly runId: string;
  private readonly channelCount: number;
  private agentsSentAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly coordinator: AgentCoordinator,
    assignments: readonly Assignment[],
    plans: WorkerPlan[],
    private readonly context: WorkerGroupContext,
    private readonly moreFollow: boolean,
  ) {
    const workers = assignments.reduce((a, s) => a + s.workers, 0);
    if (plans.length !== workers)
      throw new WsbenchError('INTERNAL', `the engine made ${plans.length} worker plans for the agents' ${workers} workers`);
    this.runId = plans[0]!.runId;
    this.channelCount = plans[0]!.channelNames.length;
    // The engine's plans as they are (clients dealt in turn to every worker), taken in order: the
    // split plan() chose. Each agent's clients are its workers' (shareAmongAgents counted them so).
    const sorted = [...plans].sort((a, b) => a.workerId - b.workerId);
    let next = 0;
    for (const [index, { agent, clients, workers: n }] of assignments.entries()) {
      // Each agent its own share of the source addresses: agents on one host never share an address's ports.
      const mine = sorted
        .slice(next, next + n)
        .map((p) => ({ ...p, localAddresses: addressShare(p.localAddresses, index, assignments.length) }));
      next += n;
      const counted = mine.reduce((a, p) => a + p.clientCount, 0);
      if (counted !== clients)
        throw new WsbenchError(
          'INTERNAL',
          `agent "${agent.descriptor.name}" was planned ${clients} clients, its workers' plans have ${counted}`,
        );
      const part: AgentPart = {
        name: agent.descriptor.name,
        pid: agent.descriptor.pid,
        plans: mine,
        accepted: false,
        ended: null,
        lastSnapshot: new Map(),
        restartAcks: new Set(),
        host: agent.descriptor.host,
        clients,
        clock: null,
      };
      this.parts.push(part);
      for (const p of mine) this.byWorker.set(p.workerId, part);
    }
  }

  start(onSnapshot: (snapshot: WorkerSnapshot) => void): void {
    this.onSnapshot = onSnapshot;
    this.ready = this.begin();
    // connected() reports the failure; this only keeps it from being unhandled meanwhile.
    this.ready.catch(() => {});
  }

  /** Plans out, every agent accepted, then the agreed start. */
  private async begin(): Promise<void> {
    const { channel } = this.coordinator;
    this.run = await CoordinatorRun.open(
      channel,
      this.runId,
      this.parts.map((p) => p.name),
      { onError: (e) => this.controlFailed(e) },
    );
    this.reading = this.readLoop();
    for (const part of this.parts) {
      await channel.send('agent', channel.keys.agent(part.name), {
        type: 'plan',
        body: {
          runId: this.runId,
          coordinator: { host: this.coordinator.host.host, clockId: this.coordinator.host.clockId },
          plans: part.plans,
          timing: {
            coordinatorHeartbeatMs: DEFAULT_TIMING.coordinatorHeartbeatMs,
            coordinatorLostAfterMs: DEFAULT_TIMING.coordinatorLostAfterMs,
            clockResampleMs: DEFAULT_TIMING.clockResampleMs,
          },
          last: !this.moreFollow,
        },
      });
    }
    this.emitAgents(true);
    // The agents have their next plans: the last transport's streams may go quiet.
    await this.coordinator.keepBeating(null);
    await this.until(() => this.parts.every((p) => p.accepted || p.ended !== null), 'accepted their plans', undefined, ACCEPT_TIMEOUT_MS);
    await this.sendClock();
    await this.run.send({ type: 'start', body: { connectStartMs: monotonicMs() + START_LEAD_MS } });
  }

  private async readLoop(): Promise<void> {
    const run = this.run!;
    while (!this.closed) {
      let entries: ControlEntry<'runData'>[];
      try {
        entries = await run.read(500);
      } catch (e) {
        if (!this.closed) this.controlFailed(asError(e));
        return;
      }
      for (const entry of entries) this.handle(entry);
      await run.ack(entries).catch(() => {});
      this.wake();
    }
  }

  private handle(entry: ControlEntry<'runData'>): void {
    const d = entry.decoded;
    if (!d.ok) {
      this.context.emit({ type: 'warning', message: `control stream: ${d.detail}`, elapsedMs: this.context.elapsed() });
      return;
    }
    const m = d.message;
    const part = this.parts.find((p) => p.name === m.from && p.name === m.body.name);
    if (!part || part.ended === 'lost') return;
    switch (m.type) {
      case 'accepted':
        part.accepted = true;
        this.emitAgents(true);
        break;
      case 'declined':
        this.fail(new WsbenchError('SETUP', `agent "${part.name}" declined its plan: ${m.body.reason}`));
        this.coordinator.noteAgent(part.name, 'declined');
        part.ended = 'declined';
        this.emitAgents(true);
        break;
      case 'clock':
        this.coordinator.noteAgent(part.name, null, m.body.clock);
        part.clock = m.body.clock;
        this.emitAgents(true);
        break;
      case 'snapshot':
        part.lastSnapshot.set(m.body.snapshot.workerId, m.body.snapshot);
        this.onSnapshot(m.body.snapshot);
        this.emitAgents(false);
        break;
      case 'connected':
        this.connectedBy.set(m.body.connected.workerId, m.body.connected);
        break;
      case 'result':
        this.resultBy.set(m.body.result.workerId, m.body.result);
        break;
      case 'sent':
        this.sendsBy.set(m.body.sends.workerId, m.body.sends);
        break;
      case 'restart-ack':
        part.restartAcks.add(m.body.index);
        break;
      case 'fatal':
        this.fail(
          new WsbenchError(
            'INTERNAL',
            `agent "${part.name}"${m.body.workerId === null ? '' : ` worker ${m.body.workerId}`} failed: ${m.body.message}`,
          ),
        );
        break;
      case 'stopped':
        // Stopping on its own (a signal, its coordinator thought lost) before its results: gone, as if lost.
        if (!this.stopping && !part.plans.every((p) => this.resultBy.has(p.workerId))) {
          this.agentGone(part.name, `stopped its part before sending its results (${m.body.reason})`);
          break;
        }
        part.ended = m.body.reason;
        this.coordinator.noteAgent(part.name, m.body.reason);
        this.emitAgents(true);
        break;
    }
  }

  /** Every agent's live state (an `agents` event): at once when one changed, at most once a second otherwise. */
  private emitAgents(changed: boolean): void {
    const now = monotonicMs();
    if (!changed && now - this.agentsSentAt < AGENTS_EVENT_MS) return;
    this.agentsSentAt = now;
    const agents = this.parts.map((p) => {
      let clientsOpen = 0;
      let delivered = 0;
      for (const s of p.lastSnapshot.values()) {
        clientsOpen += s.open;
        delivered += s.delivered;
      }
      return {
        name: p.name,
        host: p.host,
        clientsOpen: p.ended === 'lost' ? 0 : clientsOpen,
        clients: p.clients,
        clock: p.clock ? { mode: p.clock.mode, offsetMs: p.clock.offsetMs, errorBoundMs: p.clock.errorBoundMs } : null,
        status: p.ended ?? (p.accepted ? 'running' : 'starting'),
        delivered,
      };
    });
    this.context.emit({ type: 'agents', transport: this.context.transport, elapsedMs: this.context.elapsed(), agents });
  }

  /** The registry lost an agent (or it left): if it still owed this group anything, it is lost. */
  agentGone(name: string, why: string): void {
    const part = this.parts.find((p) => p.name === name);
    if (!part || part.ended !== null) return;
    if (part.plans.every((p) => this.resultBy.has(p.workerId))) return;
    part.ended = 'lost';
    this.coordinator.noteAgent(name, 'lost');
    const clients = part.plans.reduce((a, p) => a + p.clientCount, 0);
    this.context.workersGone?.(part.plans.map((p) => p.workerId));
    this.emitAgents(true);
    this.context.incidents.record(
      'agent-lost',
      `agent "${name}" (${clients} clients of ${this.context.transport}) ${why}; what its clients were owed counts as unobserved`,
    );
    this.wake();
  }

  /** The coordinator's clock estimates to the agents (those on other hosts need them). */
  async sendClock(): Promise<void> {
    const estimates = this.coordinator.estimates();
    if (!estimates || !this.run || this.closed) return;
    await this.run.send({ type: 'clock', body: { estimates } }).catch((e: unknown) => this.controlFailed(asError(e)));
  }

  controlFailed(error: WsbenchError): void {
    // Past the grace, controlOutage already ended the group's part (with the error and what was measured).
    if (this.controlGone) return;
    this.fail(error);
  }

  /** The control Redis's outages, on this run's axis (incidents), or the run's failure past the grace. */
  controlOutage(event: OutageEvent): void {
    if (this.closed) return;
    if (event.type === 'down') this.context.incidents.redisDown('control', event.reason, event.at);
    else if (event.type === 'up') this.context.incidents.redisUp('control', event.at);
    else {
      this.context.incidents.forget('control');
      this.controlGone = event.error;
      // Nothing more will come from the agents: what they had not sent is unobserved, as for a lost
      // agent, and the transport stops with the error and what was measured.
      for (const part of this.parts) {
        if (part.ended !== null || part.plans.every((p) => this.resultBy.has(p.workerId))) continue;
        part.ended = 'lost';
        this.coordinator.noteAgent(part.name, 'unreachable');
        this.context.workersGone?.(part.plans.map((p) => p.workerId));
      }
      this.emitAgents(true);
      if (this.context.fail) this.context.fail(event.error);
      else this.fail(event.error);
      this.wake();
    }
  }

  /** The control Redis stayed away longer than the grace. */
  private controlGone: WsbenchError | null = null;

  private fail(error: WsbenchError): void {
    this.fatal ??= error;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `done()` holds (checked whenever something arrives); rejects on a failure, the signal or the timeout. */
  private until(done: () => boolean, what: string, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (this.fatal) finish(this.fatal);
        else if (done()) finish();
      };
      const onAbort = () => finish(new WsbenchError('INTERRUPTED', 'interrupted'));
      if (timeoutMs)
        timer = setTimeout(() => finish(new WsbenchError('INTERNAL', `agents had not ${what} after ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(check);
      if (signal?.aborted) onAbort();
      else check();
    });
  }

  private workerIds(): number[] {
    return [...this.byWorker.keys()].sort((a, b) => a - b);
  }

  async connected(signal: AbortSignal): Promise<WorkerConnected[]> {
    await this.ready;
    await this.until(
      () => this.workerIds().every((w) => this.connectedBy.has(w) || this.byWorker.get(w)!.ended === 'lost'),
      'connected',
      signal,
    );
    return this.workerIds().map((w) => this.connectedBy.get(w) ?? this.lostBeforeConnecting(w));
  }

  publishing(t0: number): void {
    void this.run?.send({ type: 'publishing', body: { t0 } }).catch((e: unknown) => this.controlFailed(asError(e)));
  }

  /**
   * Client senders (publish.via websocket): every worker's account of its sends, as its agent sent
   * it; for a worker whose agent was lost first, what its last snapshot said (`lostAgent`: the
   * engine's mergeSends counts the rest of its messages as not known to have been sent).
   */
  async sent(): Promise<WorkerSends[]> {
    await this.ready;
    await this.until(
      () => this.sendsGaveUp || this.workerIds().every((w) => this.sendsBy.has(w) || this.byWorker.get(w)!.ended === 'lost'),
      'sent',
    );
    return this.workerIds().map((w) => this.sendsBy.get(w) ?? this.lostSends(w));
  }

  /** Told to stop sending, and SENT_WAIT_MS passed: an account still missing is not waited for. */
  private sendsGaveUp = false;

  stopSending(): void {
    void this.run?.send({ type: 'stop-sending', body: {} }).catch((e: unknown) => this.controlFailed(asError(e)));
    // An account lost on the way (an entry a restarted control Redis never kept) must not hold the run.
    setTimeout(() => {
      this.sendsGaveUp = true;
      this.wake();
    }, SENT_WAIT_MS).unref();
  }

  /** A lost agent's worker's sends: only what its last snapshot said its senders had attempted and failed. */
  private lostSends(workerId: number): WorkerSends {
    const part = this.byWorker.get(workerId)!;
    const why = part.ended === 'lost' ? undefined : `did not send its senders' account within ${SENT_WAIT_MS / 1000} s of stop-sending`;
    const upstream = part.lastSnapshot.get(workerId)?.upstream;
    const empty = encodeHistogram(createHistogram());
    const none = { ranges: new Uint32Array(0) };
    return {
      workerId,
      attemptedUpTo: 0,
      sent: 0,
      failed: none,
      unsent: none,
      failureSamples: [],
      measuredSent: 0,
      measuredFirstSentAt: Number.NaN,
      measuredLastSentAt: Number.NaN,
      lag: empty,
      bufferedAmount: empty,
      lostAgent: { name: part.name, attempted: upstream?.attempted ?? 0, failed: upstream?.failed ?? 0, ...(why ? { why } : {}) },
    };
  }

  draining(publishes: PublishOutcome): void {
    void this.run?.send({ type: 'drain', body: { publishes } }).catch((e: unknown) => this.controlFailed(asError(e)));
  }

  /** Tells the agents (their workers) the server restarts; resolves once every agent still there answered, or after `timeoutMs`. */
  async serverRestart(index: number, at: number, timeoutMs = 2000): Promise<void> {
    if (!this.run) return;
    await this.run.send({ type: 'server-restart', body: { index, at } }).catch((e: unknown) => this.controlFailed(asError(e)));
    await this.until(
      () => this.parts.every((p) => p.ended !== null || p.restartAcks.has(index)),
      `acknowledged server restart ${index}`,
      undefined,
      timeoutMs,
    ).catch(() => {});
  }

  serverRestarted(index: number): void {
    void this.run?.send({ type: 'server-restarted', body: { index } }).catch((e: unknown) => this.controlFailed(asError(e)));
  }

  async finish(publishes: PublishOutcome, timeoutMs = 30_000): Promise<WorkerResult[]> {
    this.publishes = publishes;
    await this.ready;
    // A fresh estimate for agents on other hosts (sent ahead of `finish`): their bounds then rest on both ends of the run.
    await this.coordinator.resampleClock();
    if (!this.controlGone)
      await this.run!.send({ type: 'finish', body: { publishes } }).catch((e: unknown) => {
        if (!this.controlGone) throw e;
      });
    await this.until(
      () => this.workerIds().every((w) => this.resultBy.has(w) || this.byWorker.get(w)!.ended === 'lost'),
      'sent their results',
      undefined,
      timeoutMs,
    );
    return this.workerIds().map((w) => this.resultBy.get(w) ?? this.unobservedResult(w));
  }

  /** Tells the agents still running to stop, waits (a little) for them to say so, and leaves the run's streams. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    try {
      await this.ready?.catch(() => {});
      if (this.run && this.parts.some((p) => p.ended === null)) {
        await this.run.send({ type: 'stop', body: { reason: 'the coordinator stopped the run' } }).catch(() => {});
        await this.until(() => this.parts.every((p) => p.ended !== null), 'stopped', undefined, STOP_WAIT_MS).catch(() => {});
      }
    } finally {
      this.closed = true;
      if (this.run && this.moreFollow) {
        this.run.stopReading();
        await this.coordinator.keepBeating(this.run);
      } else await this.run?.close().catch(() => {});
      await this.reading;
      // An agent that did not say it stopped in time (a loaded machine) still finished if it sent every result.
      for (const part of this.parts)
        if (part.ended === null)
          this.coordinator.noteAgent(part.name, part.plans.every((p) => this.resultBy.has(p.workerId)) ? 'finished' : 'stopped');
      this.coordinator.groupClosed(this);
    }
  }

  /**
   * A worker of a lost agent that never said how its clients connected: none opened, every
   * connection failed with `agent.lost` (a connection per (client, channel) where the plan says so).
   */
  private lostBeforeConnecting(workerId: number): WorkerConnected {
    const part = this.byWorker.get(workerId)!;
    const plan = part.plans.find((p) => p.workerId === workerId)!;
    const connections = plan.connections ?? plan.clientCount;
    return {
      workerId,
      openedPerChannel: new Array<number>(this.channelCount).fill(0),
      opened: 0,
      failed: connections,
      errors: { 'agent.lost': connections },
      errorSamples: { 'agent.lost': `agent "${part.name}" was lost before its clients connected` },
    };
  }

  /**
   * The result of a lost agent's worker: its clients as they connected, every message owed to
   * them `unobserved` (unpublished ones stay unpublished: owed to nobody), nothing measured.
   */
  private unobservedResult(workerId: number): WorkerResult {
    const part = this.byWorker.get(workerId)!;
    const plan = part.plans.find((p) => p.workerId === workerId)!;
    const connected = this.connectedBy.get(workerId) ?? this.lostBeforeConnecting(workerId);
    const delivery = unobservedDelivery(connected.openedPerChannel, this.publishes ?? { sent: 0, failed: { ranges: new Uint32Array(0) } });
    const last = part.lastSnapshot.get(workerId);
    const tracked = Math.min(plan.totalPublishes, plan.perPublishLimit);
    const empty = encodeHistogram(createHistogram());
    return {
      workerId,
      // Its connections, not its memberships: a client in several channels counts in each channel's figure.
      opened: connected.opened ?? connected.openedPerChannel.reduce((a, b) => a + b, 0),
      failed: connected.failed,
      closedEarly: 0,
      delivery,
      ignoredBy: { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 },
      errors: { ...connected.errors, ...(last?.errors ?? {}) },
      errorSamples: { ...connected.errorSamples },
      clampedSamples: 0,
      wire: last?.wire ?? { bytesIn: 0, bytesOut: 0, requests: 0 },
      histograms: { fanout: empty, connect: empty },
      // What its clients went through (storms, churn, restarts) is not known either.
      lifecycle: { events: [], timeToReconnect: empty, churn: { closed: 0, opened: 0, failed: 0 } },
      firstLatencyMs: new Float32Array(tracked).fill(Number.POSITIVE_INFINITY),
      lastLatencyMs: new Float32Array(tracked),
      recipients: new Uint32Array(tracked),
      process: {
        role: 'worker',
        pid: part.pid,
        cpuPercent: last?.cpuPercent ?? 0,
        cpuMs: 0,
        eventLoopDelayMs: { p50: 0, p99: last?.eventLoopDelayP99Ms ?? 0, max: 0 },
        rssBytes: 0,
        peakRssBytes: 0,
      },
      timeline: [],
    };
  }
}

/**
 * What the open clients of a lost agent were owed (`openedPerChannel`: its clients open on each
 * channel when it said how they connected — a client in several channels counts in each, so this
 * is per (client, channel) membership), in the ledger's terms: every message sent on their
 * channels is expected; those whose publish never reached Redis stay unpublished (owed to nobody);
 * the rest is unobserved — nobody knows whether it arrived. Nothing is delivered or lost.
 */
export function unobservedDelivery(openedPerChannel: readonly number[], publishes: PublishOutcome): DeliveryCounts {
  const outcomes = PublishOutcomes.from(publishes, openedPerChannel.length);
  const delivery: DeliveryCounts = {
    expected: 0,
    delivered: 0,
    lost: 0,
    unpublished: 0,
    notOwed: 0,
    unobserved: 0,
    duplicated: 0,
    reordered: 0,
    ignored: 0,
  };
  openedPerChannel.forEach((opened, c) => {
    const channel = outcomes.channel(c);
    delivery.expected += opened * channel.expected;
    delivery.unpublished += opened * channel.unpublished.size;
  });
  delivery.unobserved = delivery.expected - delivery.unpublished;
  return delivery;
}

function asError(e: unknown): WsbenchError {
  return e instanceof WsbenchError ? e : new WsbenchError('REDIS_UNREACHABLE', messageOf(e), { cause: e });
}
