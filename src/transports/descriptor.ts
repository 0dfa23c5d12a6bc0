/**
 * A transport describes itself: which endpoint of the target its clients use, whether they speak
 * the target's client protocol, the least drain that collects the last messages, how a worker
 * builds its clients and with which Node flags, and how the reference server counts them. One
 * module per transport (websocket.ts, longpoll.ts, poll.ts); transports/registry.ts maps names to
 * them, so the engine asks the descriptor instead of branching on a name.
 */
import type { TransportFactory } from './transport.js';

/** The scenario's settings every transport may read (plain data: it travels to the workers). */
export interface TransportSettings {
  /** WebSocket client: the fast in-place frame parser, or the `ws` library (conformance). */
  websocketClient: 'fast' | 'ws';
  /** poll: time between requests. */
  pollIntervalMs: number;
  /** longpoll: how long the server may hold a request. */
  longPollHoldMs: number;
}

export interface TransportDescriptor {
  readonly name: string;
  /** Its clients connect to the target's HTTP polling endpoint (only some targets have one), not its WebSocket URL. */
  readonly needsPollEndpoint: boolean;
  /**
   * Its clients speak the target's client protocol (handshakes, subscribe commands, heartbeat
   * replies). Polling clients cannot send anything upstream: they speak plain whatever the target.
   */
  readonly usesTargetProtocol: boolean;
  /**
   * The reference server's /stats counts its clients once they joined (held WebSocket
   * connections); pollers are ready once their join request was answered.
   */
  readonly serverStatsCountClients: boolean;
  /**
   * Its clients can read slowly (`clients.slow`): they pause their socket, so the server's
   * per-connection buffers fill as with a slow phone. Polling clients cannot: the server answers a
   * poll from a bounded per-channel buffer, and a slow read would only delay the next request.
   */
  readonly readsSlowly: boolean;
  /** The least drain that can still collect the last messages, and why; null when any drain will do. */
  minimumDrain(settings: TransportSettings): { ms: number; reason: string } | null;
  /** How a worker creates one client. */
  clientFactory(settings: TransportSettings): TransportFactory;
  /** Node flags of a worker process running these clients. */
  workerExecArgv(settings: TransportSettings): string[];
}
