/**
 * Messages between the coordinator and client workers. Plain structured-clone data (typed arrays
 * included) so a worker can be a child process today and a remote agent later.
 */
import type { IgnoredBreakdown, ProcessStats, TransportName } from '../results/types.js';
import type { TransportSettings } from '../transports/descriptor.js';
import type { WireStats } from '../transports/transport.js';
import type { ClientProtocolSpec } from '../targets/client-protocol.js';
import type { DeliveryCounts } from '../metrics/ledger.js';
import type { PublishOutcome } from '../metrics/publish-outcomes.js';
import type { StampEncoding } from '../metrics/stamp.js';

export interface WorkerPlan {
  workerId: number;
  runId: string;
  transport: TransportName;
  transportSettings: TransportSettings;
  /** Global client indices [first, first + count); client k listens on channel k mod channels. */
  firstClient: number;
  clientCount: number;
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
}

export interface WorkerSnapshot {
  workerId: number;
  opened: number;
  failed: number;
  closed: number;
  inFlight: number;
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
}

export interface WorkerConnected {
  workerId: number;
  /** Open connections per channel index when the connect phase ended. */
  openedPerChannel: number[];
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
  histograms: { fanout: string; connect: string };
  /** Indexed by publish index: lowest and highest latency (ms) seen, and how many clients got it. */
  firstLatencyMs: Float32Array;
  lastLatencyMs: Float32Array;
  recipients: Uint32Array;
  process: ProcessStats;
}

export type ToWorker =
  | { type: 'plan'; plan: WorkerPlan }
  /** Publishing starts: event-loop delay from here on is what matters for the measurement. */
  | { type: 'publishing' }
  /** Publishing is over: what happened to every publish, to settle what each client was owed. */
  | { type: 'finish'; publishes: PublishOutcome };

export type FromWorker =
  | { type: 'snapshot'; snapshot: WorkerSnapshot }
  | { type: 'connected'; connected: WorkerConnected }
  | { type: 'result'; result: WorkerResult }
  | { type: 'fatal'; message: string };
