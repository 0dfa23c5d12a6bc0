/**
 * What the engine tells the outside world while it runs. The UI (Ink dashboard, plain progress,
 * NDJSON) renders these and nothing else; they are plain serializable data.
 */
import type { Incident, TimelineInterval, TransportName } from '../results/types.js';

export type Phase =
  'starting-redis' | 'starting-server' | 'connecting' | 'waiting-ready' | 'warmup' | 'publishing' | 'draining' | 'closing' | 'done';

export interface Snapshot {
  /** ms since the run started. */
  elapsedMs: number;
  phase: Phase;
  transport: TransportName;
  /** Index of this transport in the scenario's list, and how many there are. */
  transportIndex: number;
  transportCount: number;
  /** Progress within the phase: 0..1 when it has a known end (connecting, warm-up, publishing, draining). */
  phaseProgress: number;
  /** ms left in the phase when known. */
  phaseRemainingMs: number | null;
  /**
   * Connections: opened and failed so far (reconnects aside), closed (every connection that
   * ended), open right now, handshakes in flight, opens per second.
   */
  connections: { target: number; opened: number; failed: number; closed: number; open: number; inFlight: number; perSec: number };
  publish: { sent: number; acked: number; errors: number; total: number; lagMs: number };
  delivery: {
    /** Distinct deliveries so far (warm-up included). */
    delivered: number;
    /** Deliveries expected so far from acknowledged publishes (delivered/expected = ratio so far). */
    expectedSoFar: number;
    duplicated: number;
    reordered: number;
    ignored: number;
    /** Deliveries per second over the last interval. */
    perSec: number;
  };
  /** Latency of measured deliveries in the last interval (ms); null when there were none. */
  latencyMs: { p50: number; p99: number; max: number; count: number } | null;
  errors: Record<string, number>;
  /**
   * What the clients' sockets carried so far (bytes include HTTP headers and framing; requests
   * count the WebSocket upgrade as one), and bytes in / requests per second over the last interval.
   */
  wire: { bytesIn: number; bytesOut: number; requests: number; bytesInPerSec: number; requestsPerSec: number };
  tool: { cpuPercent: number; eventLoopDelayMs: number; processes: number; bottleneck: boolean; reason: string | null };
}

/**
 * One closed interval of a transport's timeline, with the same fields as the report's
 * `timeline.intervals` entries, plus when it was sent (`elapsedMs`) and the interval length.
 * Interval k is sent once every worker saw it end more than a second ago (deliveries due in it had
 * that long to arrive; `lost` is what had not arrived by then, a failed publish's messages
 * included); intervals still open when the transport's run ends are sent from its final timeline.
 * The report's timeline is authoritative: it also counts what arrived later, and tells failed
 * publishes (unpublished) from lost messages.
 */
export type IntervalEvent = { type: 'interval'; transport: TransportName; elapsedMs: number; intervalMs: number } & TimelineInterval;

/**
 * One remote agent of a distributed run (`wsbench run --agents N`) as the live views show it: sent
 * by the coordinator's worker group when an agent's state changes, and at most once a second
 * while its figures move. The report's `run.agents` is the final word.
 */
export interface AgentLiveState {
  name: string;
  host: string;
  /** Its clients open now (its workers' latest snapshots). */
  clientsOpen: number;
  /** Its share of the run's clients. */
  clients: number;
  /** Its clock as it said it (exact: the coordinator's; estimated: offset to the coordinator ± bound); null before it said. */
  clock: { mode: 'exact' | 'estimated'; offsetMs: number; errorBoundMs: number } | null;
  /** `starting` (plan sent), `running` (plan accepted), then how its part ended: finished, stopped, aborted, coordinator-lost, declined, lost. */
  status: string;
  /** Distinct deliveries its clients received so far. */
  delivered: number;
}

export type EngineEvent =
  | { type: 'phase'; phase: Phase; transport: TransportName | null; elapsedMs: number; detail?: string }
  | { type: 'snapshot'; snapshot: Snapshot }
  | IntervalEvent
  | { type: 'warning'; message: string; elapsedMs: number }
  /** Something happened to the run (Redis or the target down, …), said as it happens; also in `run.incidents`. */
  | { type: 'incident'; incident: Incident }
  /** The agents of a distributed run, every one of them, when one changed (see AgentLiveState). */
  | { type: 'agents'; transport: TransportName; elapsedMs: number; agents: AgentLiveState[] };

export type EngineListener = (event: EngineEvent) => void;
