/**
 * One interface for every way a client can receive the feed (WebSocket now; long-polling and
 * interval polling later). A transport moves bytes and reports what happened; the client pool
 * decides what the bytes mean.
 */

export interface TransportEvents {
  /** A message arrived; `receivedAtMs` is monotonicMs() taken as early as possible. */
  onMessage(data: Buffer, receivedAtMs: number): void;
  /** The connection ended after it had opened. `clean` is true for a close handshake. */
  onClose(code: number, reason: string, clean: boolean): void;
}

export interface ConnectOptions {
  url: string;
  headers: Record<string, string>;
  subprotocols: string[];
  timeoutMs: number;
  /** Largest message accepted. */
  maxPayload: number;
  /** Text messages to send right after opening. */
  sendAfterOpen: string[];
  /** Local address to connect from (spreading over 127.0.0.x beats the ephemeral-port limit). */
  localAddress?: string;
}

export interface TransportClient {
  /** Resolves once connected; rejects with a TransportError. */
  open(): Promise<void>;
  /** Graceful close; resolves when closed (or after a short grace, forcibly). */
  close(): Promise<void>;
}

export type TransportFactory = (options: ConnectOptions, events: TransportEvents) => TransportClient;

/** A failure with a short stable kind for the report's `errors` map, e.g. `connect.ECONNREFUSED`. */
export class TransportError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
