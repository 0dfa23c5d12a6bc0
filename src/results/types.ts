/**
 * The run report: the one result every reporter, the gate and `wsbench compare` read. Versioned:
 * `schema` changes only with an incompatible change; fields are only ever added within a version.
 * All latencies in milliseconds; histograms are HdrHistogram compressed base64 of microseconds.
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { AgentClock } from '../metrics/clock-offset.js';
import type { TransportName } from '../transports/registry.js';
import type { ReadThrottle } from '../transports/read-throttle.js';

export type { TransportName };

export const REPORT_SCHEMA = 'wsbench.report/v1';

/** What a client (or a sum of clients) should have received versus what it did. */
export interface DeliveryCounts {
  /**
   * The publishes sent on the client's channel during its presence (from its first readiness to
   * the close that ended it): delivered + lost + unpublished + notOwed == expected.
   */
  expected: number;
  /** Distinct expected messages received. */
  delivered: number;
  /** Expected messages never received although their publish reached Redis. */
  lost: number;
  /**
   * Expected messages never received whose publish never reached Redis (it failed): owed to
   * nobody, so not lost.
   */
  unpublished: number;
  /**
   * Messages intended while the client was in a transition the scenario made (between the start
   * of a close — a storm, churn, a server restart — and the readiness of the connection replacing
   * it): it was not subscribed, so they were not owed. Absent in reports from before transitions.
   */
  notOwed: number;
  /**
   * Distributed runs only: messages owed to the clients of an agent that was lost during the run
   * (`agent-lost`): nobody knows whether they arrived, so they are neither delivered nor lost.
   * Absent when no agent was lost; delivered + lost + unpublished + notOwed + unobserved == expected.
   */
  unobserved?: number;
  /** Receipts of a message already received. */
  duplicated: number;
  /** Messages that arrived after a later one. */
  reordered: number;
  /** Messages not counted: no stamp, another run's stamp, heartbeats, wrong channel. */
  ignored: number;
}

export interface DeliveryReport extends DeliveryCounts {
  /** lost / (expected − notOwed) (0 when nothing was owed). */
  lostRatio: number;
  /** delivered / (expected − notOwed) (1 when nothing was owed). */
  deliveryRatio: number;
  /** Why messages were ignored. */
  ignoredBy: IgnoredBreakdown;
}

export interface IgnoredBreakdown {
  /** Stamp of another run (replays such as ws4redis's last-message-on-connect, stale traffic). */
  foreign: number;
  /** No stamp found (greetings, control messages). */
  unstamped: number;
  /** The protocol's own messages: heartbeats, pings, welcomes, subscription confirmations. */
  control: number;
  /** Stamp of this run but for a channel the client is not subscribed to, or out of range. */
  misrouted: number;
  /**
   * Stamp of this run for the client's channel, intended while the connection it arrived on was
   * not owed it: before its readiness (a replay on reconnect, such as ws4redis's last message) or
   * after its close began. Never counted as delivered. Absent in reports from before transitions.
   */
  notOwed: number;
}

export interface ThroughputReport {
  /** Deliveries of measured (non-warm-up) messages per second of the measured publish period. */
  deliveriesPerSec: number;
  /** PUBLISH commands per second actually achieved during the measured period. */
  publishesPerSec: number;
  /** Configured publish rate, per second. */
  targetPublishesPerSec: number;
  /** Publishes sent (all phases). */
  publishes: number;
  /** Publishes that never reached Redis (refused, connection down, or no reply): their recipients are `delivery.unpublished`. */
  publishFailures: number;
  /** How far behind schedule the publisher sent messages (open loop: this becomes latency). */
  publisherLagMs: LatencySummary;
}

export interface ProcessStats {
  role: 'coordinator' | 'worker' | 'server';
  pid: number;
  /** CPU time (user + system) over wall time of the run, in % of one core. */
  cpuPercent: number;
  cpuMs: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Resident memory when the figures were taken (end of the run). */
  rssBytes: number;
  /** Highest resident memory since the process started (what the run needed). */
  peakRssBytes: number;
}

export interface ToolReport {
  processes: ProcessStats[];
  /** Highest CPU % among the tool's own processes (not the server's). */
  maxCpuPercent: number;
  /** Worst event-loop delay p99 among the tool's own processes. */
  maxEventLoopDelayP99Ms: number;
  /** True when the tool itself may have limited the result; see `bottleneckReasons`. */
  bottleneck: boolean;
  bottleneckReasons: string[];
}

export interface ConnectionReport {
  /** Connections wanted: `clients.connections`, or with stages the most the curve asks for. */
  target: number;
  opened: number;
  failed: number;
  /** Connections that closed before the run ended. */
  closedEarly: number;
  /**
   * With `clients.churn`: clients closed by churn, fresh ones opened in their place, and opens of
   * those that failed (each retried). Absent without churn.
   */
  churn?: { closed: number; opened: number; failed: number };
}

/**
 * Reconnects after the scenario's events (reconnect storms, server restarts). A client counts
 * once per event that dropped it; its time to reconnect runs from the event to its readiness on
 * the new connection (subscribed again), jitter and retries included.
 */
export interface ReconnectReport {
  /** Dropped clients subscribed again. */
  count: number;
  /** Reconnect attempts that failed (each retried with the event's backoff). */
  failed: number;
  /** Clients the events dropped. */
  dropped: number;
  timeToReconnectMs: { p50: number; p99: number; max: number };
  /** From each event to every client it dropped subscribed again, the longest over the events, ms; null when some never came back. */
  allReconnectedMs: number | null;
  events: ReconnectEventReport[];
  /** Encoded HdrHistogram (µs) of the times to reconnect. */
  histogram: string;
}

export interface ReconnectEventReport {
  /** Position in the scenario's `events`. */
  index: number;
  kind: 'storm' | 'server-restart';
  /** When it happened, ms since run start (null when it never did: the run ended first). */
  atMs: number | null;
  dropped: number;
  reconnected: number;
  /** Dropped clients a stage took away before they were back (not owed a reconnect). */
  gone: number;
  failed: number;
  /** From the event to the last of its clients subscribed again, ms; null when it dropped nobody or some never came back. */
  allReconnectedMs: number | null;
  /** Reconnects completed per second between its first and its last (the handshake rate reached in the storm); null with fewer than two. */
  handshakesPerSec: number | null;
}

export interface EncodedHistograms {
  fanout: string;
  firstRecipient: string;
  lastRecipient: string;
  connect: string;
  /** The publisher's lag, or the client senders' (publish.via websocket). */
  publisherLag: string;
  /** publish.via websocket: the senders' own copies (echo latency, µs). */
  echo?: string;
  /** publish.via websocket: the senders' bufferedAmount right after each send (bytes, not µs). */
  bufferedAmount?: string;
}

/** What the client senders did (publish.via websocket): the schedule's messages sent through their WebSockets. */
export interface UpstreamReport {
  /** Clients that sent. */
  senders: number;
  /** Messages that went out on a sender's open connection: each is owed to every member of its channel. */
  sent: number;
  /** Messages due that did not go out (the sender's connection was not open, or the run stopped first): unpublished. */
  sendFailures: number;
  /**
   * Messages due while the scenario had their sender between connections (churn, a storm, a server
   * restart): not sent, no error, unpublished; sent + sendFailures + unsent = the messages due.
   * Absent in reports from before it.
   */
  unsent?: number;
  /**
   * With publish.echo none: senders' own messages that came back to them anyway (the app does
   * echo), each counted as publish.unexpected-echo and ignored (ignoredBy.notOwed), never delivered.
   * Absent in reports from before it.
   */
  unexpectedEchoes?: number;
  /** The sender's queued bytes right after each send, as a browser's WebSocket.bufferedAmount (the fast client: bytes its socket had not yet handed to the kernel). */
  bufferedAmountBytes: { p50: number; p99: number; max: number };
}

/** The client senders in one interval of the timeline: sums and a maximum, so intervals and workers merge exactly. */
export interface IntervalUpstream {
  /** Messages intended in the interval that went out on their sender's connection. */
  sent: number;
  /** Messages intended in the interval whose sender was not open (a run cut short adds its never-attempted ones to the transport's total only). */
  sendFailures: number;
  /** Messages intended in the interval whose sender the scenario had between connections (absent in reports from before it). */
  unsent?: number;
  /** The most bytes a sender still held right after a send (its bufferedAmount). */
  bufferedAmountBytes: { max: number };
}

/** Bytes and HTTP requests on the wire, from the clients' socket counters (TCP payload bytes). */
export interface WireReport {
  bytesIn: number;
  bytesOut: number;
  requests: number;
}

/** TLS of a transport's connections: what the handshakes negotiated. */
export interface TlsReport {
  /** TLS handshakes completed (WebSocket: one per connection; polling: one per HTTP connection). */
  handshakes: number;
  /** Handshakes by negotiated protocol version and cipher suite, e.g. `{"TLSv1.3 TLS_AES_128_GCM_SHA256": 500}`. */
  negotiated: Record<string, number>;
  /** Handshakes that resumed an earlier session (no certificate exchange). */
  resumedSessions: number;
}

/** permessage-deflate of a transport's connections, and what it did to the bytes on the wire. */
export interface CompressionReport {
  /** `clients.compression` as run: off, offer or require. */
  mode: 'off' | 'offer' | 'require';
  /** Connections that negotiated permessage-deflate. */
  connections: number;
  /** connections ÷ connections.opened (0 when none opened). */
  share: number;
  /** Connections by the parameters agreed, e.g. `{"permessage-deflate; server_no_context_takeover; server_max_window_bits=15; client_max_window_bits=15": 500}`. */
  parameters: Record<string, number>;
  /**
   * Payload bytes delivered: publish.payloadSize × delivery.delivered. The published size, not a
   * count of inflated bytes: a client that inflates only the stamp never learns the rest.
   */
  payloadBytes: number;
  /**
   * wire.bytesIn ÷ payloadBytes: below 1 the wire carried fewer bytes than the payloads it
   * delivered; without compression, above 1 by the framing, handshakes and (with TLS) records.
   */
  ratio: number;
}

export interface TransportReport {
  transport: TransportName;
  /** Publish (intended time) → each client's receipt, for every measured delivery (with client senders: the chat round trip, senders' own copies apart). */
  fanoutLatencyMs: LatencySummary;
  /**
   * publish.via websocket: a sender's own copy of its message (when the app sends it back to the
   * sender, as to every member): measured apart, never in fanoutLatencyMs.
   */
  echoLatencyMs?: LatencySummary;
  /** publish.via websocket: what the senders sent. */
  upstream?: UpstreamReport;
  /** Per measured publish: latency of the first client to receive it. */
  firstRecipientLatencyMs: LatencySummary;
  /** Per measured publish that reached every client: latency of the last one. */
  lastRecipientLatencyMs: LatencySummary;
  /** Measured publishes that did not reach every client (not in lastRecipientLatencyMs). */
  incompletePublishes: number;
  connectLatencyMs: LatencySummary;
  delivery: DeliveryReport;
  throughput: ThroughputReport;
  connections: ConnectionReport;
  /** With `events` in the scenario: how the dropped clients reconnected. Absent otherwise. */
  reconnects?: ReconnectReport;
  /** Errors by kind, e.g. `connect.ECONNREFUSED`, `socket.close.1006`. */
  errors: Record<string, number>;
  /** One example message per error kind. */
  errorSamples: Record<string, string>;
  /** Latencies above the histogram bound (clamped). */
  clampedSamples: number;
  /** Everything the clients sent and received, handshakes and closes included. */
  wire: WireReport;
  /** (bytesIn + bytesOut) / delivery.delivered. */
  bytesPerDelivery: number;
  /** HTTP requests (WebSocket: the upgrade) / delivery.delivered. */
  requestsPerDelivery: number;
  /** CPU time of the tool's processes per delivered message, µs. */
  toolCpuUsPerDelivery: number;
  /** CPU time of the reference server per delivered message, µs (null when wsbench does not run the server). */
  serverCpuUsPerDelivery: number | null;
  tool: ToolReport;
  histograms: EncodedHistograms;
  /** Wall-clock phases, ms since run start. */
  phases: { name: string; startMs: number; endMs: number }[];
  /** Results over time (absent in reports from before timelines); see Timeline. */
  timeline?: Timeline;
  /** TLS in effect: null for plain connections (ws://, http://); absent in reports from before it was recorded. */
  tls?: TlsReport | null;
  /** Compression in effect and the bytes on the wire per payload byte (absent in reports from before). */
  compression?: CompressionReport;
  /**
   * Figures per client class when the scenario has slow clients (`clients.slow`; absent otherwise):
   * `classes.normal` and `classes.slow` (results/client-classes.ts).
   */
  classes?: ClientClassesReport;
}

/** Client classes of a run with slow clients (`clients.slow`); see results/client-classes.ts. */
export type ClientClassName = 'normal' | 'slow';

export interface ClientClassReport {
  /** Clients of the class (planned). */
  clients: number;
  /** How the class reads: null for normal clients (as fast as they can). */
  readThrottle: ReadThrottle | null;
  connections: { opened: number; failed: number; closedEarly: number };
  /** The class's ledger: delivered + lost + unpublished + notOwed == expected, summed over its clients. */
  delivery: DeliveryCounts & { lostRatio: number; deliveryRatio: number };
  /** Publish → receipt of the class's measured deliveries. */
  fanoutLatencyMs: LatencySummary;
  errors: Record<string, number>;
  closesByCode: Record<string, number>;
  /** Encoded HdrHistogram (µs) of fanoutLatencyMs: classes of several runs merge exactly. */
  histogram: string;
}

export type ClientClassesReport = Record<ClientClassName, ClientClassReport>;

/**
 * Results over time, one entry per interval of `intervalMs` on the run's axis (ms since run
 * start, the axis of `phases` and `run.incidents`). A delivery belongs to the interval of its
 * message's *intended publish time*, so a stall shows at the moment the affected messages were due
 * and every measured delivery is in exactly one interval. Timelines merge exactly (histograms are
 * added, never percentiles averaged): src/results/timeline.ts. In a `--repeat` report the counts
 * (`connectionsOpen`, `publishes`, `deliveries`, `lost`, `errors`) are per-run means in thousandths,
 * as the report's totals are, while the histograms (and `fanoutLatencyMs.count`, `connect.count`)
 * hold every run's samples.
 */
export interface Timeline {
  /** Length of each interval, ms: `report.interval` (default 1 s) doubled as often as needed to keep at most MAX_TIMELINE_INTERVALS. */
  intervalMs: number;
  /** In time order; an interval in which nothing happened may be left out. */
  intervals: TimelineInterval[];
}

export interface TimelineInterval {
  /** ms since run start, on the same axis as `phases` and `run.incidents`. */
  startMs: number;
  /** The phase at the interval's start (connecting, waiting-ready, warmup, publishing, draining, …). */
  phase: string;
  /** Connections open at the interval's end. */
  connectionsOpen: number;
  /** Publishes whose intended time falls in the interval (warm-up included). */
  publishes: number;
  /** Distinct deliveries of messages intended in this interval (warm-up included). */
  deliveries: number;
  /** Owed deliveries of messages intended in this interval that never arrived. */
  lost: number;
  /**
   * The ledger's other terms for the messages intended in this interval (absent in reports from
   * before them): expected deliveries, those not owed (their clients were in a transition), those
   * owed by publishes that never reached Redis. deliveries + lost + notOwed + unpublished == expected.
   */
  expected?: number;
  notOwed?: number;
  unpublished?: number;
  /** Errors counted during the interval (wall time), every kind. */
  errors: number;
  /** Fan-out latency of the measured deliveries of messages intended in this interval; the counts add up to the transport's `fanoutLatencyMs.count`. */
  fanoutLatencyMs: IntervalLatency;
  /** Encoded HdrHistogram (µs, the project's bounds) of this interval's fan-out latencies. */
  histogram: string;
  /** Encoded first- and last-recipient histograms of the measured publishes intended in the interval. */
  recipientHistograms?: { first: string; last: string };
  /** Handshakes completed during the interval (wall time): count and encoded histogram. */
  connect?: { count: number; histogram: string };
  /** publish.via websocket: the senders' own copies of messages intended in the interval (echo latency): count and encoded histogram. */
  echo?: { count: number; histogram: string };
  /** publish.via websocket: what the senders did with the messages intended in the interval (absent: none were due). */
  upstream?: IntervalUpstream;
  /** The tool's busiest process in the interval: highest CPU % (of one core) and worst event-loop delay p99. */
  tool: { cpuPercent: number; eventLoopDelayP99Ms: number };
  /** The built-in reference server near the interval's end, read from its `/stats` (absent for other targets, or when no answer came). */
  server?: ServerSample;
}

/** The reference server's memory and what it holds for its clients, from `/stats` (every process summed). */
export interface ServerSample {
  rssBytes: number;
  heapUsedBytes: number;
  /** Bytes queued for WebSocket clients that their sockets have not handed to the kernel (slow readers make it grow). */
  bufferedBytes: number;
  /** The most of them one client had. */
  maxClientBufferedBytes: number;
  /** Clients the server has closed so far (1013) for having more than its limit queued. */
  slowClientsDropped: number;
}

/** An interval's latency figures in ms (HdrHistogram's highest equivalent values, like LatencySummary). */
export interface IntervalLatency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Incident kinds (described in results/incidents.ts); later work (remote agents, connection storms) adds its own. */
export type IncidentKind =
  | 'redis-down'
  | 'redis-up'
  | 'target-down'
  | 'target-up'
  | 'subscriber-dropped'
  | 'subscriber-restored'
  | 'publish-failed'
  | 'publish-resumed'
  | 'agent-lost'
  | (string & {});

/** One agent of a distributed run (`run.agents[]`). */
export interface AgentReport {
  name: string;
  /** The agent's host name. */
  host: string;
  /** Clients it ran (of each transport). */
  clients: number;
  /** Its clock against the coordinator's: `exact` on the same host (same boot id and time namespace), else estimated. */
  clock: AgentClock;
  /**
   * How its part ended: `finished`; `lost` (it stopped heart-beating: an `agent-lost` incident);
   * `stopped` or `aborted` (the coordinator ended the run early); `declined` (it did not take its plan).
   */
  status: string;
}

/** Something that happened to the run at a moment, on the same axis as phases and timelines. */
export interface Incident {
  /** ms since run start. */
  atMs: number;
  kind: IncidentKind;
  /** One line for a person (never secrets). */
  detail: string;
}

/** One transport's headline figures, side by side with the others. */
export interface ComparisonRow {
  transport: TransportName;
  fanoutP50Ms: number;
  fanoutP99Ms: number;
  fanoutMaxMs: number;
  deliveriesPerSec: number;
  deliveryRatio: number;
  bytesPerDelivery: number;
  requestsPerDelivery: number;
  toolCpuUsPerDelivery: number;
  serverCpuUsPerDelivery: number | null;
}

/** How many times better WebSocket did: other transport's figure ÷ WebSocket's (> 1 = WebSocket better). */
export interface WebSocketAdvantage {
  fanoutP50: number | null;
  fanoutP99: number | null;
  bytesPerDelivery: number | null;
  requestsPerDelivery: number | null;
  toolCpuPerDelivery: number | null;
  serverCpuPerDelivery: number | null;
}

export interface Comparison {
  baseline: 'websocket';
  rows: ComparisonRow[];
  /** Per non-WebSocket transport. */
  websocketAdvantage: Partial<Record<TransportName, WebSocketAdvantage>>;
}

export interface RunReport {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'wsbench'; version: string; node: string };
  run: {
    id: string;
    name?: string;
    startedAt: string;
    endedAt: string;
    durationMs: number;
    /** False when interrupted or failed part-way; the figures cover what happened until then. */
    completed: boolean;
    /** Why it did not complete. */
    stopReason?: string;
    clock: string;
    host: {
      platform: string;
      arch: string;
      cpus: number;
      cpuModel: string;
      totalMemoryBytes: number;
      /** 1-, 5- and 15-minute load averages at the start and the end: a busy machine explains noisy figures. */
      loadAverage?: { start: number[]; end: number[] };
    };
    /** What happened to the run and when (Redis or the target down and back, dropped subscribers, …). */
    incidents?: Incident[];
    /** Distributed runs (`--agents N`): the agents that ran the clients (docs/distributed.md). */
    agents?: AgentReport[];
    /**
     * Distributed runs: every latency an agent measured is off by at most this (ms): the largest
     * agent clock bound (one host's, 0.001, when every agent shares the coordinator's clock).
     */
    latencyErrorBoundMs?: number;
  };
  /** The scenario as run, after flags and defaults, with secrets redacted. */
  scenario: unknown;
  transports: Partial<Record<TransportName, TransportReport>>;
  /** Present when more than one transport ran. */
  comparison?: Comparison;
  /**
   * With `--repeat N`: every run's own results (the figures above: latencies from the merged
   * encoded histograms, counts as per-run means, ratios and rates pooled — src/results/merge.ts).
   * Baseline checks compare the medians of these.
   */
  repeats?: RepeatedRun[];
  /** Threshold and baseline verdicts when the run was gated (see src/gate/result.ts). */
  gate?: GateReport;
}

export interface RepeatedRun {
  run: RunReport['run'];
  transports: RunReport['transports'];
}

/** The gate's verdicts as stored in the report: plain data, produced by src/gate. */
export interface GateReport {
  passed: boolean;
  /** Set when --abort-on-fail stopped the run. */
  abortedBy?: string;
  thresholds: {
    expression: string;
    origin: string;
    passed: boolean;
    value: number | null;
    message: string;
  }[];
  baseline?: {
    source: string;
    runs: { baseline: number; current: number };
    method: string;
    passed: boolean;
    checks: {
      metric: string;
      passed: boolean;
      verdict: string;
      baseline: number | null;
      current: number | null;
      change: number | null;
      tolerance: number;
      message: string;
    }[];
  };
}
