/**
 * Messages between the coordinator and client workers. Plain structured-clone data (typed arrays
 * included) so a worker can be a child process today and a remote agent later.
 */
import type { IgnoredBreakdown, IntervalUpstream, ProcessStats, TransportName } from '../results/types.js';
import type { TransportSettings } from '../transports/descriptor.js';
import type { WireStats } from '../transports/transport.js';
import type { ClientProtocolSpec } from '../targets/client-protocol.js';
import type { DeliveryCounts } from '../metrics/ledger.js';
import type { EncodedIndexSet, PublishOutcome } from '../metrics/publish-outcomes.js';
import type { PayloadPadding, StampEncoding } from '../metrics/stamp.js';
import type { EventAccount } from '../metrics/reconnects.js';
import type { LoadSample } from '../process/monitor.js';
import type { IntervalGridSpec } from './interval-grid.js';
import type { CurveSegment } from '../config/load-shape.js';
import type { SenderEcho } from '../config/senders.js';
import type { ClientCompression } from '../transports/compression.js';
import type { ConnectionFactsData } from '../transports/connection-facts.js';
import type { ClientTlsOptions } from '../transports/tls.js';
import type { MembershipSpec } from '../config/membership.js';
import type { ReadThrottle } from '../transports/read-throttle.js';
import type { ClientClassCounts, ClientClassName } from '../results/client-classes.js';

export interface WorkerPlan {
  workerId: number;
  runId: string;
  transport: TransportName;
  transportSettings: TransportSettings;
  /**
   * Global client indices first, first + stride, … (count of them): clients interleave over the
   * workers, so the load's curve (clients below its level are wanted) and storms (chosen by index)
   * take from every worker alike. Client k listens on channel k mod channels.
   */
  firstClient: number;
  clientCount: number;
  clientStride: number;
  /** Clients opened before publishing (global indices below this); the ramp-up spreads them. */
  totalClients: number;
  channelNames: string[];
  /** URL template; {channel} and {client} are filled per client. */
  urlTemplate: string;
  headers: Record<string, string>;
  subprotocols: string[];
  /** What each client sends, answers and ignores (plain for transports that do not speak the target's protocol). */
  clientProtocol: ClientProtocolSpec;
  rampUpMs: number;
  /** monotonicMs() at which the global ramp starts (one clock for all local processes). */
  connectStartMs: number;
  /** Handshakes this worker may have in flight at once. */
  maxInFlight: number;
  connectTimeoutMs: number;
  maxPayload: number;
  encoding: StampEncoding;
  /** Publishes in the whole schedule (warm-up + measured). */
  totalPublishes: number;
  /** Publishes with index below this are warm-up. */
  warmupPublishes: number;
  snapshotIntervalMs: number;
  /** Per-publish first/last tracking covers publishes below this index (memory bound). */
  perPublishLimit: number;
  /** Source addresses to spread connections over (empty: let the OS choose). */
  localAddresses: string[];
  /** The timeline's grid (the same for every worker and the coordinator). */
  timeline: IntervalGridSpec;
  /**
   * What to add to a stamp's intended time (on the coordinator's clock, where the publisher and
   * every sender stamp) to read it on this worker's monotonic clock: absent or 0 where the two are
   * one clock; an agent whose clock is estimated sets it when the run starts.
   */
  stampToWorkerMs?: number;
  /** The publisher's rate curve: with t0 (sent when publishing starts) it gives every sequence's intended time. */
  publishRate: CurveSegment[];
  /** How the connections change while publishing (stages, churn, storms, server restarts). */
  lifecycle: LifecyclePlan;
  /** Clients send the schedule's messages through their WebSocket (publish.via websocket); null: wsbench publishes. */
  upstream: UpstreamPlan | null;
  /** TLS of wss:// and https:// connections (absent: Node's defaults). */
  tls?: ClientTlsOptions;
  /** permessage-deflate of WebSocket connections (absent: off). */
  compression?: ClientCompression;
  /**
   * Slow readers (clients.slow; absent: none): `clients` of the totalClients are slow, spread
   * evenly over the global indices (config/slow-clients.ts isSlowClient), and read as `readThrottle` says.
   */
  slow?: { clients: number; readThrottle: ReadThrottle };
  /**
   * Clients in several channels (clients.channelsPerClient, clients.membership; absent: one channel
   * each, client i in channel i mod channels): which channels each client is a member of, by client
   * index (config/membership.ts); its one connection carries them all.
   */
  membership?: MembershipSpec;
  /**
   * With a membership, where one connection cannot carry several channels (the target, or a
   * polling transport): a connection per (client, channel); `opened` and the other connection
   * figures then count connections, not clients.
   */
  connectionPerChannel?: true;
  /**
   * With connectionPerChannel: the connections this worker's clients open, one per (client,
   * channel) — what a coordinator counts as failed for a worker whose agent was lost before it
   * said how its clients connected (distributed/coordinator.ts). Absent: clientCount.
   */
  connections?: number;
}

/** What a worker's senders need (engine/upstream-sender.ts; who sends what: engine/sender-map.ts). */
export interface UpstreamPlan {
  /** Senders among all clients of the transport. */
  senders: number;
  /** Senders are chosen among global clients below this: those the load keeps throughout (config/senders.ts senderPoolSize). */
  pool: number;
  /** Whether the app sends a sender its own message back (publish.echo). */
  echo: SenderEcho;
  /** The target's message around a payload: `{payload}` is the stamped payload, `{channel}` and `{client}` the sender's. */
  template: string;
  /** Bytes of the stamped payload, and what fills it behind the stamp (as the publisher's: publish.padding). */
  payloadSize: number;
  padding: PayloadPadding;
  /**
   * Added to every intended time a sender stamps: the coordinator's clock minus this worker's
   * (an agent whose clock is not the coordinator's sends on its own clock, converted from the
   * coordinator's t0, and stamps on the coordinator's, as the publisher does). Absent: 0 (one clock).
   */
  stampShiftMs?: number;
}

/** What a worker's senders did (sent once they are through their share of the schedule, or told to stop). */
export interface WorkerSends {
  workerId: number;
  /** One past the last message its senders attempted (0: none): each of its own messages below it was attempted. */
  attemptedUpTo: number;
  /** Sends that went out. */
  sent: number;
  /** Messages whose send could not go out (the sender's connection was not open), by schedule index. */
  failed: EncodedIndexSet;
  /**
   * Of those, the ones due while the scenario had the sender between connections (churn, a storm,
   * a server restart: `upstream.unsent`, no error); absent from workers that predate it.
   */
  unsent?: EncodedIndexSet;
  /** Up to five reasons, as counted under `publish.send-failed`. */
  failureSamples: string[];
  /** Measured (non-warm-up) messages attempted, and when the first and last of them went (monotonic ms; NaN: none). */
  measuredSent: number;
  measuredFirstSentAt: number;
  measuredLastSentAt: number;
  /** Encoded histograms: how late each send went out (µs), and the sender's bufferedAmount right after it (bytes). */
  lag: string;
  bufferedAmount: string;
  /**
   * Set by a worker group for a worker whose agent was lost before it sent this (never by a
   * worker): the agent's name, what its last snapshot said its senders had attempted and failed,
   * and why nothing more is known (default "was lost"); upstream-source.ts mergeSends.
   */
  lostAgent?: { name: string; attempted: number; failed: number; why?: string };
}

/** What happens to the connections while publishing, on the schedule's axis (ms from message 0). */
export interface LifecyclePlan {
  /** Connections wanted over time (global: clients below the level are wanted); null when it stays at totalClients. */
  connections: CurveSegment[] | null;
  /** Publishing's span (warm-up included): stages, churn and storms stop at its end. */
  spanMs: number;
  /** This worker's share of the churn, clients per second (0: none). */
  churnPerSec: number;
  /** Storms and server restarts, in the scenario's order (`index` is the scenario's). */
  events: LifecycleEvent[];
  /**
   * How long after a (re)connected client's own readiness (its protocol's signal, or its open when
   * the protocol has none) the target is known to deliver to it: 0 where that is exact.
   */
  readyDelayMs: number;
}

export interface ReconnectPolicy {
  afterMs: number;
  jitterMs: number;
  backoff: { initialMs: number; maxMs: number; factor: number };
}

export type LifecycleEvent =
  | { index: number; kind: 'disconnect'; atMs: number; fraction: number; how: 'close' | 'reset'; reconnect: ReconnectPolicy }
  /** The coordinator restarts the server at atMs and tells the workers (server-restart, server-restarted). */
  | { index: number; kind: 'server-restart'; atMs: number; reconnect: ReconnectPolicy };

/** One worker's account of one event: clients it dropped, and how their reconnects went (src/metrics/reconnects.ts). */
export type EventOutcome = EventAccount;

/** Reconnections, churn and transitions of one worker. */
export interface WorkerLifecycle {
  events: EventOutcome[];
  /** Time from each event to each of its clients subscribed again, ms (encoded). */
  timeToReconnect: string;
  churn: { closed: number; opened: number; failed: number };
}

/**
 * One worker's figures for one interval of the timeline (see results/types.ts TimelineInterval,
 * which the coordinator makes of these: exact sums, histograms added).
 */
export interface WorkerInterval {
  /** Interval index on the grid (interval k starts at k × length ms since run start). */
  index: number;
  /** Distinct deliveries of messages intended in the interval (warm-up included). */
  deliveries: number;
  /** Encoded fan-out histogram of the measured deliveries among them; null when there were none. */
  fanout: string | null;
  /** Owed deliveries of messages intended in the interval that never arrived (known once the clients closed: 0 before). */
  lost: number;
  /** Errors counted during the interval (wall time). */
  errors: number;
  /** This worker's connections open at the interval's end. */
  connectionsOpen: number;
  /** Handshakes completed during the interval (wall time). */
  connect: { count: number; histogram: string } | null;
  /** Senders' own copies of the messages intended in the interval (echo latency), when any arrived. */
  echo?: { count: number; histogram: string };
  /** Client senders' messages intended in the interval: sent, not sent, and the most bytes a sender held after a send. */
  upstream?: IntervalUpstream;
  /** Messages intended in the interval that their clients were not owed (in a transition), known at the end (0 before). */
  notOwed: number;
  /** Owed deliveries of messages intended in the interval whose publish never reached Redis (final: 0 before). */
  unpublished: number;
  /** Live only: deliveries owed of the messages intended in the interval (as if every one was sent), when the load changes. */
  owed?: number;
  /** This worker process's load during the interval. */
  tool: LoadSample;
  /**
   * Live only: this worker's per-publish lowest/highest latency and recipient count for the
   * publishes intended in the interval, from sequence `from` (the coordinator takes the min of
   * mins and max of maxes over workers for first/last recipient).
   */
  publishes?: PublishSlice;
}

export interface PublishSlice {
  from: number;
  firstLatencyMs: Float32Array;
  lastLatencyMs: Float32Array;
  recipients: Uint32Array;
}

export interface WorkerSnapshot {
  workerId: number;
  opened: number;
  failed: number;
  closed: number;
  inFlight: number;
  /** Connections open right now. */
  open: number;
  /** Open clients that gave their protocol's readiness signal. */
  ready: number;
  /** First unexpected protocol message seen (what was expected, what arrived), if any. */
  problem: string | null;
  delivered: number;
  duplicated: number;
  reordered: number;
  ignored: number;
  errors: Record<string, number>;
  /** Measured-delivery latency since the previous snapshot (encoded), or null if none. */
  interval: string | null;
  wire: WireStats;
  cpuPercent: number;
  eventLoopDelayP99Ms: number;
  /** Its senders so far (publish.via websocket): messages attempted, of those failed, and the latest lag. */
  upstream?: { attempted: number; failed: number; lagMs: number };
  /** Events so far (storms, restarts): what each dropped and how many are back. */
  events: EventOutcome[];
  /** When the load changes: deliveries owed of the messages due by now (the live ratio's denominator). */
  owedDue: number | null;
  /** While draining: owed deliveries of published messages not yet received (null before the drain). */
  outstanding: number | null;
  /**
   * Intervals closed since the previous snapshot (see ClosingRule in interval-collector.ts): every
   * interval below `closedBefore` has been sent once (those in which nothing happened are left out).
   */
  timeline: { closedBefore: number; intervals: WorkerInterval[] };
}

export interface WorkerConnected {
  workerId: number;
  /**
   * Open connections per channel index when the connect phase ended; a connection of a client in
   * several channels counts in each (what each channel's messages are owed to).
   */
  openedPerChannel: number[];
  /** Open connections when the connect phase ended; absent: the sum of openedPerChannel (one channel per client). */
  opened?: number;
  failed: number;
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
}

export interface WorkerResult {
  workerId: number;
  opened: number;
  failed: number;
  closedEarly: number;
  delivery: DeliveryCounts;
  ignoredBy: IgnoredBreakdown;
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
  clampedSamples: number;
  wire: WireStats;
  /** Encoded: fan-out and connect latency, and the senders' own copies (echo) when clients send. */
  histograms: { fanout: string; connect: string; echo?: string };
  lifecycle: WorkerLifecycle;
  /** When the load changed: recipients owed each publish (indexed like `recipients`), for incomplete publishes. */
  owedRecipients?: Uint32Array;
  /** What the connections negotiated (TLS, compression); absent from workers that predate it. */
  connectionFacts?: ConnectionFactsData;
  /** Indexed by publish index: lowest and highest latency (ms) seen, and how many clients got it. */
  firstLatencyMs: Float32Array;
  lastLatencyMs: Float32Array;
  recipients: Uint32Array;
  process: ProcessStats;
  /** Every interval in which something happened for this worker, in order, with what arrived late. */
  timeline: WorkerInterval[];
  /** Figures per client class when the plan has slow clients. */
  classes?: Record<ClientClassName, ClientClassCounts>;
}

export type ToWorker =
  | { type: 'plan'; plan: WorkerPlan }
  /** Publishing starts with message 0 due at monotonic `t0`: event-loop delay from here on is what matters for the measurement. */
  | { type: 'publishing'; t0: number }
  /** Publishing is over and the drain begins: report what is still outstanding of what was published. */
  | { type: 'drain'; publishes: PublishOutcome }
  /** Event `index` restarts the server now (stopped at monotonic `at`): drops until server-restarted are its doing. Answered with restart-ack. */
  | { type: 'server-restart'; index: number; at: number }
  /** The restarted server listens again. */
  | { type: 'server-restarted'; index: number }
  /** Publishing is over: what happened to every publish, to settle what each client was owed. */
  | { type: 'finish'; publishes: PublishOutcome }
  /** The run stops early: senders stop sending and report what they did. */
  | { type: 'stop-sending' };

export type FromWorker =
  | { type: 'snapshot'; snapshot: WorkerSnapshot }
  | { type: 'connected'; connected: WorkerConnected }
  | { type: 'result'; result: WorkerResult }
  /** Its senders are through their share of the schedule (or were told to stop). */
  | { type: 'sent'; sends: WorkerSends }
  /** The worker knows drops from now on are the server restart's. */
  | { type: 'restart-ack'; workerId: number; index: number }
  | { type: 'fatal'; message: string };
