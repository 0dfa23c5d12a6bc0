/**
 * One client interface for every way a client can receive the feed (WebSocket, long-polling,
 * interval polling). A client moves bytes and reports what happened; the client pool decides what
 * the bytes mean. What each transport is (its endpoint, drain, worker flags) is its descriptor
 * (descriptor.ts).
 */
import { WsbenchError } from '../errors.js';
import { connectErrorKind, type ErrorKind } from '../results/error-kinds.js';
import type { ClientCompression } from './compression.js';
import type { ConnectionFacts } from './connection-facts.js';
import type { ReadThrottle } from './read-throttle.js';
import type { ClientTlsOptions } from './tls.js';

export interface TransportEvents {
  /**
   * A message arrived: its bytes are data[start, end) (a view into the receive buffer, valid only
   * during the call); `receivedAtMs` is monotonicMs() taken as early as possible.
   */
  onMessage(data: Buffer, start: number, end: number, receivedAtMs: number): void;
  /** The connection ended after it had opened. `clean` is true for a close handshake. */
  onClose(code: number, reason: string, clean: boolean): void;
  /** Something went wrong after opening without ending the client (a failed poll, say): counted under `kind`. */
  onError(kind: ErrorKind, message: string, count?: number): void;
}

/** What a client put on and took off the wire, from its sockets' byte counters. */
export interface WireStats {
  /** Bytes read from the socket(s): HTTP headers, WebSocket framing and payloads. */
  bytesIn: number;
  bytesOut: number;
  /** HTTP requests sent (the WebSocket upgrade counts as one). */
  requests: number;
}

export interface ConnectOptions {
  url: string;
  /** Global index of this client (spreads poll phases, fills {client}). */
  clientIndex: number;
  headers: Record<string, string>;
  subprotocols: string[];
  timeoutMs: number;
  /** Largest message accepted. */
  maxPayload: number;
  /** Local address to connect from (spreading over 127.0.0.x beats the ephemeral-port limit). */
  localAddress?: string;
  /** TLS settings for wss:// and https:// URLs (default: DEFAULT_CLIENT_TLS). */
  tls?: ClientTlsOptions;
  /** permessage-deflate (WebSocket clients; default: not offered). */
  compression?: ClientCompression;
  /** Where the client counts what its connection negotiated (shared by the clients of a pool). */
  facts?: ConnectionFacts;
  /**
   * A slow reader (clients.slow): the client pauses reading its socket as this says. Only
   * transports whose descriptor has `readsSlowly` are given one.
   */
  readThrottle?: ReadThrottle;
}

export interface TransportClient {
  /** Resolves once connected; rejects with a TransportError. */
  open(): Promise<void>;
  /** Sends a text message (WebSocket only; polling transports have no upstream channel). */
  send(text: string): void;
  /**
   * Sends one message of the schedule (a sender's chat line) as a binary or text frame; false when
   * it could not go out because the connection is not open (polling transports: never).
   */
  sendPayload(payload: Buffer, binary: boolean): boolean;
  /**
   * Bytes handed to the connection and not yet written to the kernel, as a browser's
   * `WebSocket.bufferedAmount` (0 for transports that do not send).
   */
  bufferedAmount(): number;
  /** Graceful close; resolves when closed (or after a short grace, forcibly). */
  close(): Promise<void>;
  /**
   * Drops the connection at once, without a close handshake: a TCP reset (RST) where the transport
   * holds the socket, as when a load balancer or a server process dies mid-connection.
   */
  reset(): void;
  /** Byte and request counters so far (including the handshake and the close). */
  wire(): WireStats;
}

export type TransportFactory = (options: ConnectOptions, events: TransportEvents) => TransportClient;

/**
 * One connection attempt that settles exactly once: `succeed()` or `fail(kind, message)`, and a
 * `connect.timeout` failure when neither happened within `timeoutMs`. `abort` tears the attempt's
 * socket down on failure.
 */
export class ConnectAttempt {
  settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    timeoutMs: number,
    private readonly abort: () => void,
    private readonly resolve: () => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.timer = setTimeout(() => this.fail('connect.timeout', `no handshake within ${timeoutMs} ms`), timeoutMs);
  }

  succeed(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve();
  }

  /** Fails the attempt; `kind` is its `connect.` error kind (the prefix is added when missing). */
  fail(kind: string, message: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.abort();
    this.reject(new TransportError(connectErrorKind(kind), message));
  }
}

/**
 * A connection attempt that failed, with the kind it is counted under in the report's `errors`
 * (e.g. `connect.ECONNREFUSED`): the pool counts it; it ends the run only when every client failed.
 */
export class TransportError extends WsbenchError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('CONNECT_FAILED', message, options);
    this.name = 'TransportError';
  }
}
