/**
 * What the connections of a worker negotiated — TLS version and cipher suite, resumed sessions,
 * permessage-deflate parameters — counted once per connection into one object the pool shares
 * with all its clients (no per-connection cost). Plain data when read, for the report.
 */
import type { TlsOutcome } from './tls.js';

export interface ConnectionFactsData {
  /** TLS connections by "version cipher", e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256". */
  tls: Record<string, number>;
  /** TLS connections whose session was resumed (abbreviated handshake). */
  tlsResumed: number;
  /** Connections that negotiated permessage-deflate, by the parameters agreed (describeDeflateParams). */
  compression: Record<string, number>;
}

export function emptyConnectionFacts(): ConnectionFactsData {
  return { tls: {}, tlsResumed: 0, compression: {} };
}

export class ConnectionFacts {
  readonly data: ConnectionFactsData = emptyConnectionFacts();

  /** A TLS handshake completed. */
  secured(outcome: TlsOutcome): void {
    const key = `${outcome.version} ${outcome.cipher}`;
    this.data.tls[key] = (this.data.tls[key] ?? 0) + 1;
    if (outcome.resumed) this.data.tlsResumed++;
  }

  /** A WebSocket handshake agreed on permessage-deflate with these parameters. */
  compressed(parameters: string): void {
    this.data.compression[parameters] = (this.data.compression[parameters] ?? 0) + 1;
  }

  snapshot(): ConnectionFactsData {
    return { tls: { ...this.data.tls }, tlsResumed: this.data.tlsResumed, compression: { ...this.data.compression } };
  }
}

/** Adds `b` into `a`. */
export function addConnectionFacts(a: ConnectionFactsData, b: ConnectionFactsData): void {
  for (const [k, v] of Object.entries(b.tls)) a.tls[k] = (a.tls[k] ?? 0) + v;
  a.tlsResumed += b.tlsResumed;
  for (const [k, v] of Object.entries(b.compression)) a.compression[k] = (a.compression[k] ?? 0) + v;
}
