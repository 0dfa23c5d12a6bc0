/**
 * The coordinator's view of its client workers: it hands each a plan, hears their snapshots as
 * they come, and collects their connect outcomes and final results — plain messages only
 * (worker-messages.ts). Today every worker is a local child process (workers.ts); a remote agent
 * is one more implementation of this interface, not a change to the run.
 */
import type { WsbenchError } from '../errors.js';
import type { PublishOutcome } from '../metrics/publish-outcomes.js';
import type { TransportName } from '../transports/registry.js';
import type { EngineListener } from './events.js';
import type { IncidentRecorder } from './incidents.js';
import type { WorkerConnected, WorkerPlan, WorkerResult, WorkerSends, WorkerSnapshot } from './worker-messages.js';

export interface WorkerGroup {
  /** Starts every worker with its plan (connecting begins at once); snapshots go to `onSnapshot` as they arrive. */
  start(onSnapshot: (snapshot: WorkerSnapshot) => void): void;
  /** Resolves with every worker's connect outcome (rejects when a worker dies or `signal` aborts). */
  connected(signal: AbortSignal): Promise<WorkerConnected[]>;
  /** Tells every worker publishing starts with message 0 due at monotonic `t0` (they restart their event-loop delay figures). */
  publishing(t0: number): void;
  /**
   * When clients send the schedule (publish.via websocket): resolves with what every worker's
   * senders did, once each is through its share or was told to stop (rejects when a worker dies).
   * Call it before `publishing` so that no answer is missed.
   */
  sent(): Promise<WorkerSends[]>;
  /** Tells every worker's senders to stop (the run stops early). */
  stopSending(): void;
  /** Publishing is over and the drain begins: workers report what is still outstanding of what was published. */
  draining(publishes: PublishOutcome): void;
  /**
   * Event `index` is about to restart the server (stopped at monotonic `at`): resolves once every
   * worker knows drops from now on are the restart's (or after `timeoutMs`).
   */
  serverRestart(index: number, at: number, timeoutMs?: number): Promise<void>;
  /** The restarted server listens again. */
  serverRestarted(index: number): void;
  /** Tells every worker publishing is over (and what happened to each publish) and collects the final accounting. */
  finish(publishes: PublishOutcome, timeoutMs?: number): Promise<WorkerResult[]>;
  /** Stops every worker. */
  stop(): Promise<void>;
}

/**
 * What the run gives a worker group besides its plans: a group whose workers live elsewhere (remote
 * agents) tells the run's incident recorder what happens to them (`agent-lost`) and may warn.
 */
export interface WorkerGroupContext {
  transport: TransportName;
  incidents: IncidentRecorder;
  emit: EngineListener;
  /** ms since the run started (the events' time axis). */
  elapsed: () => number;
  /** These workers are gone for good (their agent was lost): live figures stop waiting for them. */
  workersGone?: (workerIds: number[]) => void;
  /** The group cannot go on (remote agents out of reach): the transport stops now and fails with `error`, reporting what was measured. */
  fail?: (error: WsbenchError) => void;
}

export type WorkerGroupFactory = (plans: WorkerPlan[], context: WorkerGroupContext) => WorkerGroup;
