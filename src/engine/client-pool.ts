/**
 * The clients of one worker and their connections' lifecycle: opens them with ramp-up and a bound
 * on handshakes in flight, follows the load while publishing (stages wanting more or fewer
 * clients, churn, storms, a server restart's drops and the reconnects after them), reads the stamp
 * of every message, keeps each client's delivery ledger and owed windows, and records latency.
 * Knows nothing of processes or IPC; worker-process.ts wraps it.
 *
 * A client is one slot (a global index, its channels, a ledger per channel); each of its connections is a
 * Connection, the transport's event sink and the protocol's context, with its owed window: from
 * its readiness to the start of its close (metrics/owed-spans.ts). A message counts only on the
 * connection it arrived on and only when it was intended inside that connection's window;
 * anything else of this run for the channel is ignored (`ignoredBy.notOwed`), so a replay on
 * reconnect is never delivered twice. Who closes and who reconnects when is decided by
 * lifecycle.ts, by client index, the same in every run.
 *
 * Clients in several channels (WorkerPlan.membership, config/membership.ts): one connection carries
 * every channel of its client, so the windows are the client's and each membership — a channel and
 * its own ledger — reads its owed spans from them on its channel's sequences. A message is routed
 * to its membership by its sequence (channel = seq mod channels). A client in one channel (the
 * default) takes the same path as before: its one membership is `first`, no lookup. Where one
 * connection cannot carry several channels (WorkerPlan.connectionPerChannel), a client is a set of
 * connections, one per channel: a slot per (client, channel), each a one-channel client sharing
 * the client's index, so the lifecycle (stages, storms) treats them as one client.
 *
 * Readiness of a connection: opened before publishing — the run's readiness check covered it, so
 * it is owed from the first message; opened while publishing — its protocol's signal when it has
 * one (Socket.IO, ActionCable, Centrifugo, a Channels ready message), else its open, plus the
 * target's `readyDelayMs` (0 for the reference server, which answers the upgrade once the client
 * is subscribed; a conservative wait for targets whose subscription only Redis can see).
 */
import { describeCloseCode, peerSnippet } from '../peer-text.js';
import { ClientLedger, SenderLedger, addDelivery, emptyDelivery } from '../metrics/ledger.js';
import { PublishOutcomes, sentOnChannel, type ChannelPublishes, type PublishOutcome } from '../metrics/publish-outcomes.js';
import {
  NEVER_OWED,
  OWED_THROUGHOUT,
  forEachIn,
  ownBelow,
  ownIn,
  owedIn,
  owedSize,
  owedSpansOf,
  withoutOwn,
  type OwedSpans,
  type OwnSequences,
} from '../metrics/owed-spans.js';
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { IntervalCollector, type LoadSource } from './interval-collector.js';
import { FLAG_WARMUP, StampReader, StampStatus } from '../metrics/stamp.js';
import { monotonicMs } from '../metrics/clock.js';
import { emptyEventAccount } from '../metrics/reconnects.js';
import {
  TransportError,
  type ConnectOptions,
  type TransportClient,
  type TransportEvents,
  type TransportFactory,
  type WireStats,
} from '../transports/transport.js';
import type { IgnoredBreakdown } from '../results/types.js';
import { Verdict, type ClientProtocol, type ProtocolContext } from '../targets/client-protocol.js';
import { createClientProtocol } from '../targets/registry.js';
import {
  PROTOCOL_UNEXPECTED,
  PUBLISH_SEND_FAILED,
  PUBLISH_UNEXPECTED_ECHO,
  connectErrorKind,
  socketClosedKind,
  type ErrorKind,
} from '../results/error-kinds.js';
import { fillTemplate } from '../targets/template.js';
import type {
  EventOutcome,
  LifecycleEvent,
  ReconnectPolicy,
  WorkerConnected,
  WorkerPlan,
  WorkerResult,
  WorkerSends,
  WorkerSnapshot,
} from './worker-messages.js';
import { SenderMap } from './sender-map.js';
import { UpstreamSender, type SenderPort, type SendOutcome } from './upstream-sender.js';
import type { ProcessMonitor } from '../process/monitor.js';
import { messageOf } from '../errors.js';
import { PiecewiseLinear, type OpenLoopSchedule } from './pacer.js';
import { DEFAULT_RETRY, dropsClient, ownedIn, reconnectDue, retryDelay, wantedBelow } from './lifecycle.js';
import { ConnectionFacts } from '../transports/connection-facts.js';
import { ClassTally } from './class-tally.js';
import { isSlowClient } from '../config/slow-clients.js';
import { channelsOfClient, type MembershipSpec } from '../config/membership.js';

const enum ConnState {
  Connecting,
  Open,
  /** The scenario or the run closes it; messages still count until it has closed. */
  Closing,
  Closed,
}

/** Why a connection is opened: what its failure and its readiness count as. */
const enum OpenReason {
  /** Before publishing (the connect phase). */
  Initial,
  /** A stage wants more clients. */
  Stage,
  /** A fresh client in the place of a churned one. */
  Churn,
  /** After a drop by an event (a storm, a server restart). */
  Reconnect,
}

/** How often the load's curve and the churn are looked at while publishing. */
const LIFECYCLE_TICK_MS = 20;

/**
 * A planned close waits at most this long for the messages intended before it (what its window
 * owes) to arrive: the publisher may be a little behind and deliveries take time, and a close —
 * above all a reset — that cut them off would make the tool the cause of their loss. What has not
 * arrived by then is lost.
 */
export const CLOSE_CATCH_UP_MS = 1000;
/** How often connections waiting to close look at what they received. */
const CATCH_UP_CHECK_MS = 5;

/** What a connection reports to its pool. */
interface ConnectionOwner {
  channelName(channelIndex: number): string;
  receive(conn: Connection, data: Buffer, start: number, end: number, receivedAt: number): void;
  connectionClosed(conn: Connection, code: number, reason: string, clean: boolean): void;
  countError(kind: ErrorKind, sample: string, count?: number, client?: PoolClient): void;
}

/**
 * One connection of a client. It is its transport's event sink and its protocol's context itself:
 * a held connection then costs one small object here instead of a handful of closures (issue 7's
 * memory budget, see BENCHMARKS.md).
 */
class Connection implements TransportEvents, ProtocolContext {
  state = ConnState.Connecting;
  transport: TransportClient | null = null;
  protocol: ClientProtocol | null = null;
  /** From when it is owed messages (monotonic ms; −Infinity: from the first; +Infinity: not ready yet). */
  readyAt = Number.POSITIVE_INFINITY;
  /** When its close began (+Infinity while it is owed messages). */
  closeAt = Number.POSITIVE_INFINITY;
  /** Closed by the scenario or the run: its end is no error. */
  planned = false;
  /** Its open attempt was settled (handshakes in flight counted down). */
  settled = false;
  /** Its byte counters were added to its client's. */
  retired = false;
  /** The latest intended time of a message counted on it (its window never ends before it). */
  lastIntended = Number.NEGATIVE_INFINITY;
  /** A planned close waiting for what its window owes: how it will close, and until when it waits. */
  pendingClose: 'close' | 'reset' | null = null;
  catchUpUntil = 0;

  constructor(
    private readonly owner: ConnectionOwner,
    readonly client: PoolClient,
    readonly reason: OpenReason,
    readonly startedAt: number,
  ) {}

  get channel(): string {
    return this.owner.channelName(this.client.channelIndex);
  }

  /** Every channel of its client (one, unless the client is in several). */
  get channels(): string[] {
    return this.client.members.map((m) => this.owner.channelName(m.channelIndex));
  }

  get clientIndex(): number {
    return this.client.clientIndex;
  }

  send(text: string): void {
    this.transport?.send(text);
  }

  onMessage(data: Buffer, start: number, end: number, receivedAtMs: number): void {
    this.owner.receive(this, data, start, end, receivedAtMs);
  }

  onClose(code: number, reason: string, clean: boolean): void {
    this.owner.connectionClosed(this, code, reason, clean);
  }

  onError(kind: ErrorKind, message: string, count?: number): void {
    this.owner.countError(kind, message, count, this.client);
  }
}

/** A client's membership of one channel: what it received of that channel, and what it was owed there. */
class Member {
  /** A SenderLedger (own sequences left out) only for a sender's own channel with publish.echo none. */
  ledger: ClientLedger = new ClientLedger();
  /** Owed spans on this channel as of the last change (null: to be made again). */
  spans: OwedSpans | null = null;

  constructor(readonly channelIndex: number) {}
}

/** One client: a global index, its channels (a ledger each), and the windows of its connections. */
class PoolClient {
  /** The connection holding its current window (null: none, or it is reconnecting). */
  connection: Connection | null = null;
  /** Its memberships, the first one also as `first`, `channelIndex` and `ledger` (a one-channel client's only one). */
  readonly members: Member[];
  readonly first: Member;
  readonly channelIndex: number;
  ledger: ClientLedger;
  /** The load wants it (below the curve's level). */
  wanted = false;
  /** Bumped to cancel an open it has queued. */
  generation = 0;
  /** Failed attempts in a row (retries back off). */
  attempts = 0;
  /** Windows of its past connections: [ready, close, continues]…; null while it has none. */
  windows: number[] | null = null;
  /** The event whose drop it is reconnecting from (position in the pool's outcomes), −1 when none. */
  dropEvent = -1;
  /** Byte and request counters of its past connections. */
  pastWire: WireStats | null = null;
  /** Its place among its channel's senders (publish.via websocket), or -1: it only receives. */
  senderSlot = -1;
  /** Its own sequences on its channel when the app leaves the sender out (publish.echo none): owed to nobody on it. */
  own: OwnSequences | undefined = undefined;

  constructor(
    readonly clientIndex: number,
    channels: readonly number[],
    /** A slow reader (clients.slow): its transport throttles its reading. */
    readonly slow: boolean,
    /**
     * In several channels: channel index → position in `members` (−1: not a member) for an explicit
     * membership, shared by the clients of a group; null for k consecutive channels (arithmetic).
     */
    readonly slotTable: Int32Array | null = null,
  ) {
    this.members = channels.map((c) => new Member(c));
    this.first = this.members[0]!;
    this.channelIndex = this.first.channelIndex;
    this.ledger = this.first.ledger;
    this.multi = this.members.length > 1 || slotTable !== null;
  }

  /** In more than one channel (or in an explicit group): messages are routed to their membership. */
  readonly multi: boolean;

  /**
   * The app leaves it out of its own messages (publish.echo none; on its own channel, its first):
   * its ledger skips them by arithmetic. Before any receipt.
   */
  leaveOutOwn(own: OwnSequences): void {
    this.own = own;
    this.ledger = this.first.ledger = new SenderLedger(own);
  }

  /** Its windows changed: every membership's spans are made again. */
  forgetSpans(): void {
    for (const m of this.members) m.spans = null;
  }
}

/** An open waiting for its time and a free handshake slot. */
interface QueuedOpen {
  due: number;
  client: PoolClient;
  reason: OpenReason;
  generation: number;
  policy: ReconnectPolicy;
  event: number;
}

/** Opens by due time: a binary heap (the connect ramp pushes in order, which costs nothing to sift). */
class OpenQueue {
  private readonly heap: QueuedOpen[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): QueuedOpen | undefined {
    return this.heap[0];
  }

  push(item: QueuedOpen): void {
    const h = this.heap;
    let i = h.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.due <= item.due) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = item;
  }

  pop(): QueuedOpen | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) break;
      const child = left + 1 < h.length && h[left + 1]!.due < h[left]!.due ? left + 1 : left;
      if (h[child]!.due >= last.due) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

/**
 * Whether the scenario has the client between connections at `now`: a close it made (churn, a
 * storm, a server restart's drop) ended its last window with more to come, and its next connection
 * is not owed messages yet.
 */
function inTransition(client: PoolClient, now: number): boolean {
  const conn = client.connection;
  if (conn === null) return client.windows !== null && client.windows[client.windows.length - 1] === 1;
  return conn.readyAt > now && (conn.reason === OpenReason.Churn || conn.reason === OpenReason.Reconnect);
}

export class ClientPool implements ConnectionOwner, SenderPort {
  private readonly clients: PoolClient[] = [];
  /**
   * One connection per (client, channel): where each of the worker's clients (j) starts among
   * `clients` (a client's slots are [positions[j], positions[j + 1])); null: one slot per client.
   */
  private readonly positions: Int32Array | null;
  private readonly reader: StampReader;
  private readonly channelCount: number;
  private problem: string | null = null;

  /** Measured latencies since the previous snapshot, by arrival (the live figures). */
  private interval: Histogram = createHistogram();
  /** Everything by interval of the timeline; the run's fan-out and connect totals are its sums. */
  private readonly timeline: IntervalCollector;
  private readonly firstLatency: Float32Array;
  private readonly lastLatency: Float32Array;
  private readonly recipients: Uint32Array;

  private readonly ignoredBy: IgnoredBreakdown = { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 };
  private readonly errors: Record<string, number> = {};
  private readonly errorSamples: Record<string, string> = {};
  private delivered = 0;
  private duplicated = 0;
  private ignoredTotal = 0;
  private clamped = 0;
  private opened = 0;
  private failed = 0;
  private closedEarly = 0;
  /** Connections open now, and every one that ended. */
  private openNow = 0;
  private closedTotal = 0;
  private inFlight = 0;
  private finishing = false;
  /** Clients closed and results taken: every interval is closed. */
  private finished = false;
  /** Who sends what, and this worker's senders, when clients send the schedule (publish.via websocket). */
  private readonly senderMap: SenderMap | null = null;
  private readonly upstream: UpstreamSender | null = null;
  /** The app leaves a sender out of its own messages (publish.echo none): they are not owed to it. */
  private readonly leavesSenderOut: boolean;
  /** What the connections negotiated (TLS, compression), counted by the clients themselves. */
  private readonly facts = new ConnectionFacts();

  private readonly queue = new OpenQueue();
  private pumpTimer: NodeJS.Timeout | null = null;
  private pumpAt = Number.POSITIVE_INFINITY;
  /** Initial opens not settled yet, and who to tell when none are left. */
  private initialPending = 0;
  private connectDone: (() => void) | null = null;
  /** Connections the scenario closed that are still closing (no client holds them). */
  private readonly closing = new Set<Connection>();
  /** Planned closes waiting for the messages their windows owe (CLOSE_CATCH_UP_MS). */
  private readonly catchingUp = new Set<Connection>();
  private catchUpTimer: NodeJS.Timeout | null = null;

  private schedule: OpenLoopSchedule | null = null;
  private t0 = 0;
  private readonly connectionCurve: PiecewiseLinear | null;
  /** Global clients wanted now: indices below it. */
  private level: number;
  private lifecycleTimer: NodeJS.Timeout | null = null;
  private readonly eventTimers: NodeJS.Timeout[] = [];
  private lastTick = 0;
  private churnBudget = 0;
  private churnCursor = 0;
  private readonly churn = { closed: 0, opened: 0, failed: 0 };
  /** Per event the scenario has, in plan order. */
  private readonly outcomes: EventOutcome[];
  private readonly timeToReconnect = createHistogram();
  /** A server restart going on: drops until it is over are its doing. */
  private restart: { outcome: number; at: number } | null = null;
  /** While draining: what was published (to count what is still outstanding). */
  private drainingWith: PublishOutcomes | null = null;
  /** The load can change while publishing (stages, churn, events): windows and owed counts matter. */
  private readonly dynamic: boolean;
  /** Figures per client class, when the plan has slow clients. */
  private readonly classes: ClassTally | null;
  /** The plan's stampToWorkerMs: stamps are on the coordinator's clock, receipts on this one. */
  private readonly stampToWorkerMs: number;

  constructor(
    private readonly plan: WorkerPlan,
    private readonly createTransport: TransportFactory,
    private readonly monitor: ProcessMonitor,
    load: LoadSource | null = null,
  ) {
    this.reader = new StampReader(plan.runId);
    this.stampToWorkerMs = plan.stampToWorkerMs ?? 0;
    this.channelCount = plan.channelNames.length;
    const tracked = Math.min(plan.totalPublishes, plan.perPublishLimit);
    this.firstLatency = new Float32Array(tracked).fill(Number.POSITIVE_INFINITY);
    this.lastLatency = new Float32Array(tracked);
    this.recipients = new Uint32Array(tracked);
    this.timeline = new IntervalCollector(
      {
        timeline: plan.timeline,
        publishRate: plan.publishRate,
        totalPublishes: plan.totalPublishes,
        channelCount: this.channelCount,
      },
      { firstLatencyMs: this.firstLatency, lastLatencyMs: this.lastLatency, recipients: this.recipients },
      load,
    );
    const slow = plan.slow;
    const membership = plan.membership ?? null;
    const perChannel = plan.connectionPerChannel === true;
    const tables = perChannel ? null : groupSlotTables(membership, this.channelCount);
    this.positions = perChannel ? new Int32Array(plan.clientCount + 1) : null;
    let slowHere = 0;
    for (let j = 0; j < plan.clientCount; j++) {
      const index = plan.firstClient + j * plan.clientStride;
      const isSlow = slow !== undefined && isSlowClient(index, plan.totalClients, slow.clients);
      if (isSlow) slowHere++;
      const channels = channelsOfClient(membership, index, this.channelCount);
      if (this.positions) {
        // A slot per (client, channel): each a one-channel client with the client's index.
        this.positions[j] = this.clients.length;
        for (const c of channels) this.clients.push(new PoolClient(index, [c], isSlow));
        continue;
      }
      const table = tables ? tables[index % tables.length]! : null;
      this.clients.push(new PoolClient(index, channels, isSlow, table));
    }
    if (this.positions) this.positions[plan.clientCount] = this.clients.length;
    this.classes = slow ? new ClassTally(plan.clientCount - slowHere, slowHere) : null;
    const { lifecycle } = plan;
    this.connectionCurve = lifecycle.connections ? new PiecewiseLinear(lifecycle.connections) : null;
    this.level = plan.totalClients;
    this.leavesSenderOut = plan.upstream?.echo === 'none';
    // A sender left out of its own messages (publish.echo none) is owed less than its channel's publishes, too.
    this.dynamic = lifecycle.connections !== null || lifecycle.churnPerSec > 0 || lifecycle.events.length > 0 || this.leavesSenderOut;
    this.outcomes = lifecycle.events.map((e) => emptyEventAccount(e.index));
    if (this.dynamic) this.timeline.owedIn = (from, to) => this.owedIn(from, to);
    if (plan.upstream) {
      this.senderMap = new SenderMap(plan.upstream.pool, this.channelCount, plan.upstream.senders);
      for (const c of this.clients) {
        c.senderSlot = this.senderMap.slotOf(c.clientIndex);
        if (this.leavesSenderOut && c.senderSlot >= 0) {
          const ch = c.channelIndex;
          const end = sentOnChannel(plan.totalPublishes, ch, this.channelCount);
          c.leaveOutOwn({ offset: c.senderSlot, period: this.senderMap.sendersOn(ch), end });
        }
      }
      this.upstream = new UpstreamSender({ ...plan, upstream: plan.upstream }, this.senderMap, this);
    }
  }

  /**
   * Opens the clients wanted before publishing (global index below totalClients): client k starts
   * no earlier than rampUp × k / totalClients after `startAt` (so several workers interleave into
   * one global ramp), with at most maxInFlight handshakes. Resolves when every one has opened or
   * failed, or when the pool finishes.
   */
  async connectAll(startAt: number): Promise<WorkerConnected> {
    const { plan } = this;
    const done = new Promise<void>((resolve) => (this.connectDone = resolve));
    const initial = this.slotsOf(ownedIn(0, plan.totalClients, plan.firstClient, plan.clientStride, plan.clientCount));
    for (let j = initial.from; j < initial.to; j++) {
      const client = this.clients[j]!;
      client.wanted = true;
      this.initialPending++;
      this.enqueue(client, startAt + (plan.rampUpMs * client.clientIndex) / plan.totalClients, OpenReason.Initial);
    }
    if (this.initialPending === 0) this.connectDone?.();
    else this.pump();
    await done;

    const openedPerChannel = new Array<number>(this.channelCount).fill(0);
    let opened = 0;
    // Per channel its open members: a connection of a client in several channels counts in each.
    for (const c of this.clients)
      if (c.connection?.state === ConnState.Open) {
        opened++;
        for (const m of c.members) openedPerChannel[m.channelIndex]!++;
      }
    return {
      workerId: plan.workerId,
      openedPerChannel,
      opened,
      failed: this.failed,
      errors: { ...this.errors },
      errorSamples: { ...this.errorSamples },
    };
  }

  /** Publishing started with message 0 due at monotonic `t0`: the load is followed from here on. */
  publishing(t0: number): void {
    this.schedule = this.timeline.publishing(t0);
    this.t0 = t0;
    // This worker's senders send their share of the schedule (publish.via websocket).
    this.upstream?.start(this.schedule);
    const { lifecycle } = this.plan;
    if (this.finishing) return;
    if (this.connectionCurve || lifecycle.churnPerSec > 0) {
      this.lastTick = monotonicMs();
      this.lifecycleTimer = setInterval(() => this.tick(), LIFECYCLE_TICK_MS);
    }
    lifecycle.events.forEach((event, position) => {
      if (event.kind !== 'disconnect') return;
      const timer = setTimeout(() => this.storm(event, position), Math.max(0, t0 + event.atMs - monotonicMs()));
      this.eventTimers.push(timer);
    });
  }

  /** What this worker's senders did, once they are through the schedule or stopped; null when clients do not send. */
  get sends(): Promise<WorkerSends> | null {
    return this.upstream?.done ?? null;
  }

  /** The run stops early: senders stop. */
  stopSending(): void {
    this.upstream?.stop();
  }

  /**
   * SenderPort: a sender's message through its connection when that is open and owed messages (a
   * reconnect not subscribed yet cannot send: the app may not take it); its bufferedAmount after.
   * Not sent: 'in-transition' while the scenario has the sender between connections (or restarts
   * the server), 'not-open' otherwise.
   */
  sendThrough(clientIndex: number, frame: Buffer, binary: boolean): SendOutcome {
    const { firstClient, clientStride } = this.plan;
    const j = (clientIndex - firstClient) / clientStride;
    const client = this.clients[this.positions ? this.positions[j]! : j];
    if (!client) return 'not-open';
    const conn = client.connection;
    const now = monotonicMs();
    const owed = conn !== null && conn.state === ConnState.Open && conn.readyAt <= now && conn.closeAt === Number.POSITIVE_INFINITY;
    if (owed && !this.restart && conn.transport?.sendPayload(frame, binary)) return conn.transport.bufferedAmount();
    return this.restart || inTransition(client, now) ? 'in-transition' : 'not-open';
  }

  /** SenderPort: a send that could not go out. */
  sendFailed(message: string): void {
    this.countError(PUBLISH_SEND_FAILED, message);
  }

  /** SenderPort: into the interval of the message's intended time. */
  sendOutcome(intendedMs: number, outcome: SendOutcome): void {
    this.timeline.sentAt(intendedMs, outcome);
  }

  channelName(channelIndex: number): string {
    return this.plan.channelNames[channelIndex]!;
  }

  // ─── opening ─────────────────────────────────────────────────────────────────────────────────

  private enqueue(client: PoolClient, due: number, reason: OpenReason, policy = DEFAULT_RETRY, event = -1): void {
    this.queue.push({ due, client, reason, generation: client.generation, policy, event });
    if (due < this.pumpAt) this.armPump(due);
  }

  /** Starts every queued open that is due, while handshake slots are free. */
  private pump(): void {
    const max = this.plan.maxInFlight;
    while (!this.finishing && this.inFlight < max) {
      const next = this.queue.peek();
      if (!next) break;
      if (next.generation !== next.client.generation || !next.client.wanted) {
        this.dropQueued(this.queue.pop()!);
        continue;
      }
      if (next.due - monotonicMs() > 1) {
        this.armPump(next.due);
        return;
      }
      this.queue.pop();
      this.start(next);
    }
  }

  /** A queued open that no longer applies: an initial one still counts as settled. */
  private dropQueued(item: QueuedOpen): void {
    if (item.reason === OpenReason.Initial) this.initialSettled();
  }

  private armPump(due: number): void {
    if (this.finishing) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpAt = due;
    this.pumpTimer = setTimeout(
      () => {
        this.pumpTimer = null;
        this.pumpAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, due - monotonicMs()),
    );
  }

  /** The options a client connects with, the same on every (re)connect (a TLS session cache keys on them). */
  private optionsFor(client: PoolClient): ConnectOptions {
    const { plan } = this;
    const localAddress = plan.localAddresses.length ? plan.localAddresses[client.clientIndex % plan.localAddresses.length] : undefined;
    return {
      url: fillTemplate(
        plan.urlTemplate,
        encodeURIComponent(this.channelName(client.channelIndex)),
        client.clientIndex,
        client.members.map((m) => encodeURIComponent(this.channelName(m.channelIndex))).join(','),
      ),
      clientIndex: client.clientIndex,
      headers: plan.headers,
      subprotocols: plan.subprotocols,
      timeoutMs: plan.connectTimeoutMs,
      maxPayload: plan.maxPayload,
      ...(localAddress ? { localAddress } : {}),
      ...(plan.tls ? { tls: plan.tls } : {}),
      ...(plan.compression ? { compression: plan.compression } : {}),
      ...(client.slow ? { readThrottle: plan.slow!.readThrottle } : {}),
      facts: this.facts,
    };
  }

  private start(item: QueuedOpen): void {
    const { client } = item;
    const previous = client.connection;
    if (previous) this.retire(previous);
    const conn = new Connection(this, client, item.reason, monotonicMs());
    client.connection = conn;
    client.forgetSpans();
    const transport = this.createTransport(this.optionsFor(client), conn);
    conn.transport = transport;
    // Built before open: a server may speak first (Socket.IO's open packet, ActionCable's welcome).
    conn.protocol = createClientProtocol(this.plan.clientProtocol, conn);
    this.inFlight++;
    transport.open().then(
      () => this.connectionOpened(conn, monotonicMs()),
      (e: unknown) => this.openFailed(conn, e, item),
    );
  }

  /** An open attempt is over either way: one handshake slot free. */
  private settle(conn: Connection): void {
    if (conn.settled) return;
    conn.settled = true;
    this.inFlight--;
    if (conn.reason === OpenReason.Initial) this.initialSettled();
    this.pump();
  }

  private initialSettled(): void {
    if (--this.initialPending === 0) this.connectDone?.();
  }

  /** The handshake succeeded (or a first message proved it did) at `at`. */
  private connectionOpened(conn: Connection, at: number): void {
    if (conn.state !== ConnState.Connecting) return;
    this.settle(conn);
    const client = conn.client;
    if (this.finishing || client.connection !== conn || !client.wanted) {
      // Opened after the run or the load stopped wanting it: closed at once, owed nothing.
      conn.state = ConnState.Open;
      this.openNow++;
      this.closePlanned(conn, 'close', at);
      return;
    }
    conn.state = ConnState.Open;
    this.openNow++;
    client.attempts = 0;
    if (this.timeline.openedAt(at, at - conn.startedAt)) this.clamped++;
    if (conn.reason === OpenReason.Initial) {
      // Opened before publishing: the run's readiness check covers it, owed from the first message.
      conn.readyAt = Number.NEGATIVE_INFINITY;
    }
    if (conn.reason !== OpenReason.Reconnect) {
      this.opened++;
      this.classes?.opened(conn.client.slow);
    }
    if (conn.reason === OpenReason.Churn) this.churn.opened++;
    conn.protocol!.opened();
    if (conn.reason !== OpenReason.Initial && conn.protocol!.ready && conn.readyAt === Number.POSITIVE_INFINITY)
      this.becameReady(conn, at + this.plan.lifecycle.readyDelayMs);
  }

  private openFailed(conn: Connection, e: unknown, item: QueuedOpen): void {
    this.settle(conn);
    conn.state = ConnState.Closed;
    this.closing.delete(conn);
    const client = conn.client;
    if (client.connection === conn) {
      client.connection = null;
      client.forgetSpans();
    }
    this.retire(conn);
    // Closed by the scenario or the run while it connected: no failure.
    if (conn.planned || this.finishing) return;
    const kind = e instanceof TransportError ? e.kind : connectErrorKind('error');
    this.countError(kind, messageOf(e), 1, client);
    if (conn.reason === OpenReason.Reconnect) {
      const outcome = this.outcomes[item.event];
      if (outcome) outcome.failed++;
    } else {
      this.failed++;
      this.classes?.failed(client.slow);
      if (conn.reason === OpenReason.Churn) this.churn.failed++;
    }
    // Before publishing a failed client stays failed (connections.failed); while publishing the
    // load still wants it: try again, backing off.
    if (conn.reason === OpenReason.Initial || !client.wanted || !this.publishingActive()) return;
    client.attempts++;
    const delay = retryDelay(item.policy, client.attempts, client.clientIndex, item.event);
    this.enqueue(client, monotonicMs() + delay, item.reason, item.policy, item.event);
  }

  /** A connection is owed messages from `readyAt` on. */
  private becameReady(conn: Connection, readyAt: number): void {
    conn.readyAt = readyAt;
    const client = conn.client;
    client.forgetSpans();
    if (conn.reason !== OpenReason.Reconnect || client.dropEvent < 0) return;
    const outcome = this.outcomes[client.dropEvent]!;
    client.dropEvent = -1;
    outcome.reconnected++;
    if (outcome.at !== null && recordMs(this.timeToReconnect, Math.max(0, readyAt - outcome.at))) this.clamped++;
    if (outcome.firstReadyAt === null || readyAt < outcome.firstReadyAt) outcome.firstReadyAt = readyAt;
    if (outcome.lastReadyAt === null || readyAt > outcome.lastReadyAt) outcome.lastReadyAt = readyAt;
  }

  // ─── closing ─────────────────────────────────────────────────────────────────────────────────

  /**
   * The scenario ends a connection's window at `at` (`continues`: the client's presence goes on —
   * a transition until its next connection is ready — or ends with it).
   */
  private endWindow(conn: Connection, at: number, continues: boolean): void {
    // A message intended at or after `at` may already have been counted on this connection (a
    // server restart's drops are noticed after the server stopped; a publish may leave a little
    // early): the window then ends just past it, so no sequence is both delivered and not owed.
    if (conn.lastIntended >= at) at = conn.lastIntended + Math.max(1e-6, Math.abs(conn.lastIntended) * 4 * Number.EPSILON);
    conn.closeAt = at;
    const client = conn.client;
    (client.windows ??= []).push(conn.readyAt, at, continues ? 1 : 0);
    if (client.connection === conn) client.connection = null;
    client.forgetSpans();
    if (conn.state === ConnState.Closed) this.retire(conn);
  }

  /**
   * Closes a connection the scenario or the run is done with (a close handshake, or a reset). Its
   * window ends at `at`; an open connection that was owed messages first waits (CLOSE_CATCH_UP_MS
   * at most) until it received what was intended before `at`, so the close cuts off nothing it
   * was owed: a storm's reset drops the connection as soon as it is caught up.
   */
  private closePlanned(conn: Connection, how: 'close' | 'reset', at: number): void {
    if (conn.planned || conn.state === ConnState.Closed) return;
    conn.planned = true;
    if (conn.closeAt === Number.POSITIVE_INFINITY) conn.closeAt = at;
    if (conn.client.connection !== conn) this.closing.add(conn);
    if (conn.state === ConnState.Open) conn.state = ConnState.Closing;
    if (conn.state === ConnState.Closing && !this.finishing && !this.caughtUp(conn)) {
      conn.pendingClose = how;
      conn.catchUpUntil = monotonicMs() + CLOSE_CATCH_UP_MS;
      this.catchingUp.add(conn);
      this.catchUpTimer ??= setInterval(() => this.checkCatchingUp(), CATCH_UP_CHECK_MS);
      return;
    }
    this.closeNow(conn, how);
  }

  /** Whether a closing connection received every message intended in its window (nothing owed is still on its way). */
  private caughtUp(conn: Connection): boolean {
    const schedule = this.schedule;
    if (!schedule || conn.readyAt >= conn.closeAt) return true;
    const n = this.channelCount;
    let missing = false;
    const client = conn.client;
    for (const member of client.members) {
      const channel = member.channelIndex;
      const local = (ms: number) =>
        ms === Number.NEGATIVE_INFINITY ? 0 : Math.max(0, Math.ceil((schedule.firstDueAtOrAfter(ms) - channel) / n));
      // A sender left out of its own messages (on its own channel, its first) never gets them: those are not waited for.
      const own = member === client.first ? client.own : undefined;
      member.ledger.forEachMissingIn(local(conn.readyAt), local(conn.closeAt), (a, b) => {
        if (b - a > ownIn(own, a, b)) missing = true;
      });
      if (missing) return false;
    }
    return true;
  }

  private checkCatchingUp(): void {
    const now = monotonicMs();
    for (const conn of this.catchingUp)
      if (conn.state !== ConnState.Closing || now >= conn.catchUpUntil || this.caughtUp(conn))
        this.closeNow(conn, conn.pendingClose ?? 'close');
    if (this.catchingUp.size === 0) this.stopCatchingUp();
  }

  private stopCatchingUp(): void {
    if (this.catchUpTimer) clearInterval(this.catchUpTimer);
    this.catchUpTimer = null;
  }

  private closeNow(conn: Connection, how: 'close' | 'reset'): void {
    this.catchingUp.delete(conn);
    conn.pendingClose = null;
    if (conn.state === ConnState.Closed) return;
    const transport = conn.transport!;
    if (how === 'reset') {
      transport.reset();
      this.connectionClosed(conn, 1006, 'reset by wsbench', false);
    } else {
      // Polling transports end without a close event: the close's end is the connection's.
      void transport.close().then(
        () => this.connectionClosed(conn, 1000, '', true),
        () => this.connectionClosed(conn, 1006, '', false),
      );
    }
  }

  /** A connection ended (its transport said so, or its close completed). */
  connectionClosed(conn: Connection, code: number, reason: string, clean: boolean): void {
    const state = conn.state;
    if (state === ConnState.Closed || state === ConnState.Connecting) return;
    conn.state = ConnState.Closed;
    this.openNow--;
    this.closedTotal++;
    const now = monotonicMs();
    this.timeline.closedAt(now);
    this.closing.delete(conn);
    this.catchingUp.delete(conn);
    if (conn.client.connection !== conn) this.retire(conn);
    if (conn.planned || this.finishing) return;
    const client = conn.client;
    if (this.restart && client.wanted && client.connection === conn && this.publishingActive()) {
      // Dropped by the server restart going on: a transition from when the server was stopped.
      this.dropped(conn, this.restart.outcome, this.restart.at, now);
      return;
    }
    // Dropped without the scenario doing it: the window stays open, what it misses is lost.
    this.closedEarly++;
    this.classes?.closedEarly(client.slow, code);
    this.countError(socketClosedKind(code, clean), reason || `closed with ${describeCloseCode(code)}`, 1, client);
  }

  /** Adds a connection's byte counters to its client's (once; its client no longer holds it). */
  private retire(conn: Connection): void {
    if (conn.retired || !conn.transport) return;
    conn.retired = true;
    const w = conn.transport.wire();
    const past = (conn.client.pastWire ??= { bytesIn: 0, bytesOut: 0, requests: 0 });
    past.bytesIn += w.bytesIn;
    past.bytesOut += w.bytesOut;
    past.requests += w.requests;
  }

  // ─── the load while publishing ───────────────────────────────────────────────────────────────

  private publishingActive(): boolean {
    return this.schedule !== null && !this.finishing && monotonicMs() < this.t0 + this.plan.lifecycle.spanMs;
  }

  /** Stages (the connection curve's level) and churn, every LIFECYCLE_TICK_MS while publishing. */
  private tick(): void {
    const now = monotonicMs();
    if (!this.publishingActive()) {
      this.stopLifecycle();
      return;
    }
    if (this.connectionCurve) this.follow(wantedBelow(this.connectionCurve.valueAt(now - this.t0)), now);
    const churn = this.plan.lifecycle.churnPerSec;
    if (churn > 0) {
      this.churnBudget += (churn * (now - this.lastTick)) / 1000;
      while (this.churnBudget >= 1) {
        const client = this.nextToChurn(now);
        if (!client) {
          this.churnBudget = 0;
          break;
        }
        this.churnBudget--;
        this.churnOne(client, now);
      }
    }
    this.lastTick = now;
  }

  /** The load wants global clients below `level`: opens the ones newly wanted, closes the ones no longer. */
  private follow(level: number, now: number): void {
    if (level === this.level) return;
    const { firstClient, clientStride } = this.plan;
    if (level > this.level) {
      const { from, to } = this.slotsOf(ownedIn(this.level, level, firstClient, clientStride, this.plan.clientCount));
      for (let j = from; j < to; j++) this.want(this.clients[j]!, now);
    } else {
      const { from, to } = this.slotsOf(ownedIn(level, this.level, firstClient, clientStride, this.plan.clientCount));
      // Highest index first: the newest clients leave first.
      for (let j = to - 1; j >= from; j--) this.unwant(this.clients[j]!, now);
    }
    this.level = level;
  }

  /** A new presence: the client connects now. */
  private want(client: PoolClient, now: number): void {
    if (client.wanted) return;
    client.wanted = true;
    client.attempts = 0;
    this.enqueue(client, now, OpenReason.Stage);
  }

  /** The load no longer wants the client: its presence ends now. */
  private unwant(client: PoolClient, now: number): void {
    if (!client.wanted) return;
    client.wanted = false;
    client.generation++;
    if (client.dropEvent >= 0) this.outcomes[client.dropEvent]!.gone++;
    const conn = client.connection;
    if (conn) {
      this.endWindow(conn, now, false);
      this.closePlanned(conn, 'close', now);
    } else if (client.windows && client.windows[client.windows.length - 1] === 1) {
      // It was between connections (reconnecting): its transition ends here, with its presence.
      client.windows.push(now, now, 0);
      client.forgetSpans();
    }
    client.dropEvent = -1;
  }

  /** The next client churn may take: wanted, open and subscribed, round-robin over the worker's clients. */
  private nextToChurn(now: number): PoolClient | null {
    const n = this.clients.length;
    for (let tried = 0; tried < n; tried++) {
      const client = this.clients[this.churnCursor]!;
      this.churnCursor = (this.churnCursor + 1) % n;
      const conn = client.connection;
      if (client.wanted && conn && conn.state === ConnState.Open && conn.readyAt <= now) return client;
    }
    return null;
  }

  /** Closes the client's connection and opens a fresh one in its place at once. */
  private churnOne(client: PoolClient, now: number): void {
    const conn = client.connection!;
    this.endWindow(conn, now, true);
    this.closePlanned(conn, 'close', now);
    this.churn.closed++;
    client.attempts = 0;
    this.enqueue(client, now, OpenReason.Churn);
  }

  /** A storm: the event's share of the open, subscribed clients drop at once and reconnect by its policy. */
  private storm(event: Extract<LifecycleEvent, { kind: 'disconnect' }>, position: number): void {
    if (!this.publishingActive()) return;
    const at = monotonicMs();
    this.outcomes[position]!.at = at;
    for (const client of this.clients) {
      const conn = client.connection;
      if (!client.wanted || !conn || conn.state !== ConnState.Open || !(conn.readyAt <= at)) continue;
      if (!dropsClient(client.clientIndex, event.fraction, this.channelCount)) continue;
      this.endWindow(conn, at, true);
      this.closePlanned(conn, event.how, at);
      this.dropped(conn, position, at, at);
    }
  }

  /**
   * The client of `conn` was dropped by event `position` (its window ends at `at`; noticed at
   * `now`): it reconnects by the event's policy.
   */
  private dropped(conn: Connection, position: number, at: number, now: number): void {
    const client = conn.client;
    if (client.connection === conn) this.endWindow(conn, at, true);
    const outcome = this.outcomes[position]!;
    const event = this.plan.lifecycle.events[position]!;
    if (client.dropEvent >= 0 && client.dropEvent !== position) {
      // Still reconnecting from an earlier event: that one's reconnect goes on.
      const earlier = this.outcomes[client.dropEvent]!;
      earlier.failed++;
    } else {
      client.dropEvent = position;
      outcome.dropped++;
    }
    client.attempts = 0;
    client.generation++;
    const reconnectOf = this.plan.lifecycle.events[client.dropEvent]!;
    const due = reconnectDue(reconnectOf.reconnect, now, client.clientIndex, event.index);
    this.enqueue(client, due, OpenReason.Reconnect, reconnectOf.reconnect, client.dropEvent);
  }

  /** Event `index` restarts the server, stopped at monotonic `at`: drops from now until it is over are its doing. */
  serverRestart(index: number, at: number): void {
    const position = this.plan.lifecycle.events.findIndex((e) => e.index === index);
    if (position < 0) return;
    this.outcomes[position]!.at = at;
    this.restart = { outcome: position, at };
  }

  /** The restarted server listens again. */
  serverRestarted(): void {
    this.restart = null;
  }

  private stopLifecycle(): void {
    if (this.lifecycleTimer) clearInterval(this.lifecycleTimer);
    this.lifecycleTimer = null;
    for (const timer of this.eventTimers) clearTimeout(timer);
    this.eventTimers.length = 0;
  }

  // ─── receiving ───────────────────────────────────────────────────────────────────────────────

  /** A message for `conn` (called by the connection, from its transport). */
  receive(conn: Connection, data: Buffer, start: number, end: number, receivedAt: number): void {
    // A transport hands messages on only once open; its open may not have been seen yet (the ws
    // library emits a message in the same read as 'open', before the promise continuation).
    if (conn.state === ConnState.Connecting) this.connectionOpened(conn, receivedAt);
    const protocol = conn.protocol!;
    const verdict = protocol.received(data, start, end);
    if (verdict === Verdict.Batch) {
      // Newline-delimited messages in one frame: each one on its own.
      for (let from = start; from < end;) {
        let to = data.indexOf(0x0a, from);
        if (to < 0 || to > end) to = end;
        if (to > from) this.receive(conn, data, from, to, receivedAt);
        from = to + 1;
      }
      return;
    }
    const client = conn.client;
    if (verdict !== Verdict.Data) {
      this.ignoredTotal++;
      client.ledger.ignore();
      this.ignoredBy.control++;
      if (verdict === Verdict.Unexpected) {
        this.problem ??= protocol.problem;
        this.countError(PROTOCOL_UNEXPECTED, protocol.problem ?? 'unexpected message', 1, client);
      } else if (
        conn.readyAt === Number.POSITIVE_INFINITY &&
        protocol.ready &&
        conn.state === ConnState.Open &&
        conn.closeAt === Number.POSITIVE_INFINITY
      ) {
        // The protocol's readiness signal (a subscribe confirmation) on a connection opened while publishing.
        this.becameReady(conn, receivedAt + this.plan.lifecycle.readyDelayMs);
      }
      return;
    }
    const status = this.reader.read(data, start, end);
    if (status !== StampStatus.Ok) {
      this.ignoredTotal++;
      client.ledger.ignore();
      if (status === StampStatus.Foreign) this.ignoredBy.foreign++;
      else this.ignoredBy.unstamped++;
      return;
    }
    const stamp = this.reader.out;
    const seq = stamp.seq;
    // A client in one channel: its only membership, one comparison. In several: the membership of
    // the message's channel (arithmetic, or one array read for an explicit membership).
    let member = client.first;
    if (client.multi) {
      const slot = seq < this.plan.totalPublishes ? this.slotOf(client, seq % this.channelCount) : -1;
      if (slot >= 0) member = client.members[slot]!;
      else {
        this.ignoredTotal++;
        this.ignoredBy.misrouted++;
        client.ledger.ignore();
        return;
      }
    } else if (seq >= this.plan.totalPublishes || seq % this.channelCount !== client.channelIndex) {
      this.ignoredTotal++;
      this.ignoredBy.misrouted++;
      client.ledger.ignore();
      return;
    }
    const q = (seq - member.channelIndex) / this.channelCount;
    // On this worker's clock: readiness, closes, intervals and latency are all measured on it.
    const intended = stamp.intendedMs + this.stampToWorkerMs;
    if (!(intended >= conn.readyAt && intended < conn.closeAt)) {
      // Not owed on this connection: before its readiness (a replay on reconnect) or after its close began.
      this.ignoredTotal++;
      this.ignoredBy.notOwed++;
      client.ledger.ignore();
      return;
    }
    if (this.leavesSenderOut && member === client.first && this.isOwn(client, q)) {
      // The app echoed although the scenario says it leaves the sender out: a finding, never a delivery.
      this.ignoredTotal++;
      this.ignoredBy.notOwed++;
      client.ledger.ignore();
      this.countError(
        PUBLISH_UNEXPECTED_ECHO,
        `sender client ${client.clientIndex} received its own message #${seq} back, but publish.echo is none (the app leaves the sender out): not counted as delivered`,
        1,
        client,
      );
      return;
    }
    const firstReceipt = member.ledger.receive(q);
    if (!firstReceipt) {
      this.duplicated++;
      return;
    }
    if (intended > conn.lastIntended) conn.lastIntended = intended;
    this.delivered++;
    const slot = this.timeline.delivered(intended);
    if (stamp.flags & FLAG_WARMUP) return;
    const latency = receivedAt - intended;
    if (this.isOwn(client, q)) {
      // The sender's own copy: echo latency, apart from the fan-out; it is still one of the recipients.
      if (this.timeline.recordEcho(slot, latency)) this.clamped++;
      if (seq < this.recipients.length) this.recipients[seq]!++;
      return;
    }
    if (this.timeline.recordLatency(slot, latency)) this.clamped++;
    recordMs(this.interval, latency);
    if (this.classes !== null) this.classes.latency(client.slow, latency);
    if (seq < this.recipients.length) {
      if (latency < this.firstLatency[seq]!) this.firstLatency[seq] = latency;
      if (latency > this.lastLatency[seq]!) this.lastLatency[seq] = latency;
      this.recipients[seq]!++;
    }
  }

  countError(kind: ErrorKind, sample: string, count = 1, client?: PoolClient): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + count;
    if (client) this.classes?.error(client.slow, kind, count);
    this.timeline.errorAt(monotonicMs(), count);
    // Samples are often a peer's words (close reasons, HTTP bodies): bounded and inert.
    this.errorSamples[kind] ??= peerSnippet(sample, 300);
  }

  // ─── what each client was owed ───────────────────────────────────────────────────────────────

  /** The slots in `clients` of the worker's clients [from, to) (positions of their connections). */
  private slotsOf(range: { from: number; to: number }): { from: number; to: number } {
    const p = this.positions;
    return p ? { from: p[range.from]!, to: p[range.to]! } : range;
  }

  /** Position of channel `c` among the client's memberships, or −1 when it is not a member. */
  private slotOf(client: PoolClient, c: number): number {
    const table = client.slotTable;
    if (table !== null) return table[c]!;
    // k consecutive channels from its first one (config/membership.ts).
    const j = (c - client.channelIndex + this.channelCount) % this.channelCount;
    return j < client.members.length ? j : -1;
  }

  /** The client's owed and not-owed sequences on a channel it is a member of, its current connection included. */
  private spansOf(client: PoolClient, member: Member = client.first): OwedSpans {
    if (member.spans) return member.spans;
    const conn = client.connection;
    let spans: OwedSpans;
    if (!client.windows) {
      // The common cases without allocating: never opened, or open (or dropped) since before publishing.
      if (!conn || conn.readyAt === Number.POSITIVE_INFINITY) spans = NEVER_OWED;
      else if (conn.readyAt === Number.NEGATIVE_INFINITY) spans = OWED_THROUGHOUT;
      else spans = this.spansFrom([conn.readyAt, conn.closeAt, 0], member.channelIndex);
    } else {
      const windows = conn ? [...client.windows, conn.readyAt, conn.closeAt, 0] : client.windows;
      spans = this.spansFrom(windows, member.channelIndex);
    }
    const own = client.own;
    if (own !== undefined && member === client.first && spans !== NEVER_OWED) {
      // Its own messages (into its own channel, its first) are owed to nobody on it: the app leaves the sender out.
      spans = withoutOwn(spans, own.offset, own.period, own.end);
    }
    member.spans = spans;
    return spans;
  }

  /** Whether channel sequence `q` of the client's channel is a message the client sends itself. */
  private isOwn(client: PoolClient, q: number): boolean {
    return client.senderSlot >= 0 && this.senderMap!.sends(client.channelIndex, client.senderSlot, q);
  }

  private spansFrom(windows: readonly number[], channel: number): OwedSpans {
    const schedule = this.schedule;
    if (!schedule) return OWED_THROUGHOUT;
    const n = this.channelCount;
    return owedSpansOf(windows, (ms) => Math.max(0, Math.ceil((schedule.firstDueAtOrAfter(ms) - channel) / n)));
  }

  /** Deliveries owed of the publishes [from, to) (global indices), as if each was sent. */
  private owedIn(from: number, to: number): number {
    const n = this.channelCount;
    let total = 0;
    for (const client of this.clients)
      for (const member of client.members) {
        const c = member.channelIndex;
        const a = Math.max(0, Math.ceil((from - c) / n));
        const b = Math.max(0, Math.ceil((to - c) / n));
        if (b <= a) continue;
        const spans = this.spansOf(client, member);
        if (spans === OWED_THROUGHOUT) total += b - a;
        else if (spans !== NEVER_OWED) total += owedSize(spans, b) - owedSize(spans, a);
      }
    return total;
  }

  // ─── figures ─────────────────────────────────────────────────────────────────────────────────

  snapshot(): WorkerSnapshot {
    const interval = this.interval.totalCount > 0 ? encodeHistogram(this.interval) : null;
    if (interval) this.interval = createHistogram();
    let ready = 0;
    let reordered = 0;
    for (const c of this.clients) {
      for (const m of c.members) reordered += m.ledger.reordered;
      const conn = c.connection;
      if (conn && conn.state === ConnState.Open && conn.protocol!.ready) ready++;
    }
    const schedule = this.schedule;
    return {
      workerId: this.plan.workerId,
      opened: this.opened,
      failed: this.failed,
      closed: this.closedTotal,
      inFlight: this.inFlight,
      open: this.openNow,
      ready,
      problem: this.problem,
      delivered: this.delivered,
      duplicated: this.duplicated,
      reordered,
      ignored: this.ignoredTotal,
      errors: { ...this.errors },
      interval,
      wire: this.wire(),
      cpuPercent: this.monitor.intervalCpuPercent(),
      eventLoopDelayP99Ms: this.monitor.eventLoopDelayP99Ms(),
      ...(this.upstream ? { upstream: this.upstream.progress() } : {}),
      events: this.outcomes.map((o) => ({ ...o })),
      owedDue: this.dynamic && schedule ? this.owedIn(0, schedule.dueCount(monotonicMs())) : null,
      outstanding: this.drainingWith ? this.outstanding(this.drainingWith) : null,
      timeline: this.timeline.closeUpTo(monotonicMs(), this.finished),
    };
  }

  /** Bytes and requests of every connection, closed ones included (their counters are kept). */
  private wire(): WireStats {
    const total: WireStats = { bytesIn: 0, bytesOut: 0, requests: 0 };
    const add = (w: WireStats) => {
      total.bytesIn += w.bytesIn;
      total.bytesOut += w.bytesOut;
      total.requests += w.requests;
    };
    for (const c of this.clients) {
      if (c.pastWire) add(c.pastWire);
      const conn = c.connection;
      if (conn?.transport && !conn.retired) add(conn.transport.wire());
    }
    for (const conn of this.closing) if (conn.transport && !conn.retired) add(conn.transport.wire());
    return total;
  }

  /** The drain begins: from now on snapshots say what is still outstanding of what was published. */
  draining(publishes: PublishOutcome): void {
    this.stopLifecycle();
    this.drainingWith = PublishOutcomes.from(publishes, this.channelCount);
  }

  /** Owed deliveries of published messages not received yet (what the drain waits for). */
  private outstanding(outcomes: PublishOutcomes): number {
    let missing = 0;
    for (const c of this.clients)
      for (const m of c.members) {
        const spans = this.spansOf(c, m);
        if (spans === NEVER_OWED) continue;
        m.ledger.forEachLost(outcomes.channel(m.channelIndex), (from, to) => (missing += owedIn(spans, from, to)), spans);
      }
    return missing;
  }

  /** Closes every client and returns the final accounting; `publishes` says what was published. */
  async finish(publishes: PublishOutcome): Promise<WorkerResult> {
    this.finishing = true;
    this.upstream?.stop();
    this.stopLifecycle();
    // Closes still catching up close now, with the others (they are among `closing`).
    this.stopCatchingUp();
    this.catchingUp.clear();
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    // Initial opens still queued will not happen: connectAll returns.
    while (this.queue.size > 0) this.dropQueued(this.queue.pop()!);
    this.connectDone?.();
    const closes: Promise<void>[] = [];
    for (const c of this.clients) {
      const transport = c.connection?.transport;
      if (transport) closes.push(transport.close().catch(() => {}));
    }
    for (const conn of this.closing) if (conn.transport) closes.push(conn.transport.close().catch(() => {}));
    await Promise.all(closes);
    const closedAt = monotonicMs();
    for (const c of this.clients) {
      const conn = c.connection;
      // A transport that closed without telling (no close event): closed now.
      if (conn && (conn.state === ConnState.Open || conn.state === ConnState.Closing)) this.connectionClosed(conn, 1000, '', true);
    }
    for (const conn of [...this.closing]) this.connectionClosed(conn, 1000, '', true);

    const outcomes = PublishOutcomes.from(publishes, this.channelCount);
    const delivery = emptyDelivery();
    const owedRecipients = this.dynamic ? this.owedRecipients(outcomes) : undefined;
    // Per membership: a client in several channels is owed each of its channels' messages.
    for (const c of this.clients)
      for (const m of c.members) {
        const spans = this.spansOf(c, m);
        const channel = outcomes.channel(m.channelIndex);
        const counts = m.ledger.counts(channel, spans);
        addDelivery(delivery, counts);
        this.classes?.delivery(c.slow, counts);
        if (spans === NEVER_OWED) continue;
        // Each term where its messages were due: the ledger's own ranges (an unpublished message is never lost).
        const ch = m.channelIndex;
        m.ledger.forEachNotDelivered(channel, spans, (from, to, term, count) => this.timeline.missed(ch, from, to, term, count));
      }
    const timeline = this.timeline.finish(closedAt);
    this.finished = true;
    return {
      workerId: this.plan.workerId,
      opened: this.opened,
      failed: this.failed,
      closedEarly: this.closedEarly,
      delivery,
      ignoredBy: { ...this.ignoredBy },
      errors: { ...this.errors },
      errorSamples: { ...this.errorSamples },
      clampedSamples: this.clamped,
      wire: this.wire(),
      histograms: {
        fanout: encodeHistogram(this.timeline.fanoutTotal),
        connect: encodeHistogram(this.timeline.connectTotal),
        ...(this.upstream ? { echo: encodeHistogram(this.timeline.echoTotal) } : {}),
      },
      lifecycle: {
        events: this.outcomes.map((o) => ({ ...o })),
        timeToReconnect: encodeHistogram(this.timeToReconnect),
        churn: { ...this.churn },
      },
      ...(owedRecipients ? { owedRecipients } : {}),
      connectionFacts: this.facts.snapshot(),
      firstLatencyMs: this.firstLatency,
      lastLatencyMs: this.lastLatency,
      recipients: this.recipients,
      process: this.monitor.stats(),
      timeline,
      ...(this.classes ? { classes: this.classes.result() } : {}),
    };
  }

  /** Recipients owed each tracked publish that was sent: per channel, a difference array over its sequences. */
  private owedRecipients(outcomes: PublishOutcomes): Uint32Array {
    const n = this.channelCount;
    const tracked = this.recipients.length;
    const out = new Uint32Array(tracked);
    const diffs: Int32Array[] = [];
    const seqs = (c: number) => sentOnChannel(Math.min(tracked, outcomes.sent), c, n);
    for (const client of this.clients)
      for (const member of client.members) {
        const c = member.channelIndex;
        const channel: ChannelPublishes = outcomes.channel(c);
        const spans = this.spansOf(client, member);
        if (spans === NEVER_OWED) continue;
        const diff = (diffs[c] ??= new Int32Array(seqs(c) + 1));
        forEachIn(spans.owed, Math.min(channel.expected, diff.length - 1), (from, to) => {
          diff[from]!++;
          diff[to]!--;
          // A sender's own ones in it are owed to nobody on it (only the tracked publishes: bounded like `diff`).
          const own = spans.own;
          if (own === undefined) return;
          for (let q = own.offset + ownBelow(own, from) * own.period; q < Math.min(to, own.end); q += own.period) {
            diff[q]!--;
            diff[q + 1]!++;
          }
        });
      }
    diffs.forEach((diff, c) => {
      let running = 0;
      for (let s = 0; s + 1 < diff.length; s++) {
        running += diff[s]!;
        out[s * n + c] = running;
      }
    });
    return out;
  }
}

/**
 * For an explicit membership (groups of channel lists): per group, channel index → position among
 * the group's channels (−1: not a member), shared by the group's clients; null otherwise.
 */
function groupSlotTables(membership: MembershipSpec | null, channelCount: number): Int32Array[] | null {
  if (membership === null || !('groups' in membership)) return null;
  return membership.groups.map((group) => {
    const table = new Int32Array(channelCount).fill(-1);
    group.forEach((c, j) => (table[c] = j));
    return table;
  });
}
