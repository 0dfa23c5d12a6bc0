/**
 * The kinds of error counted in a report's `errors` (with one sample each in `errorSamples`).
 * These are measurements, not thrown errors: a run goes on and counts them. A kind is
 * `<prefix>.<detail>`; the prefix says where it happened and in which term of the accounting it
 * lands (README, "Errors counted in a report").
 */

/** Where an error happened. */
export const ERROR_KIND_PREFIXES = {
  /** Opening a connection failed; the client is counted in `connections.failed`, owed nothing. */
  connect:
    'connect.<errno> (ECONNREFUSED, ETIMEDOUT …), connect.http-<status>, connect.timeout, connect.bad-accept, connect.closed, connect.tls-<cause> (unknown-ca, expired, name-mismatch, protocol …), connect.bad-extension, connect.compression-declined …',
  /** An open connection ended before the run did; what it missed afterwards is lost. */
  socket: 'socket.closed-<code> (close handshake), socket.dropped-<code> (no close frame, e.g. 1006)',
  /** A request of an open polling client failed; the client keeps polling. */
  poll: 'poll.http-<status>, poll.<errno>, poll.protocol, poll.buffer-overflow (messages counted as lost)',
  /** A message the target's protocol did not expect (the wrong adapter for this server). */
  protocol: 'protocol.unexpected',
  /**
   * A publish failed (its message is owed to nobody) or reached no subscriber; a sender's message
   * could not be sent, or came back to its sender although the scenario says the app leaves the
   * sender out (publish.echo none: ignored, never delivered).
   */
  publish: 'publish.error, publish.no-subscriber, publish.send-failed, publish.unexpected-echo',
  /** Distributed runs: the agent running the client was lost before it said how its clients connected; they count as failed. */
  agent: 'agent.lost',
} as const;

export type ErrorKindPrefix = keyof typeof ERROR_KIND_PREFIXES;

/** A kind of error counted during a run: `connect.ECONNREFUSED`, `socket.dropped-1006` … */
export type ErrorKind = `${ErrorKindPrefix}.${string}`;

/**
 * What a stack adapter's injector counts while the stack accepts a publish, prefixed with the
 * adapter's target kind (e.g. the Channels groups layer's drops at capacity).
 */
export type StackErrorKind = `${string}.${string}`;

/** A connection attempt's failure: `detail` under `connect.` (a detail already prefixed is kept). */
export function connectErrorKind(detail: string): `connect.${string}` {
  return detail.startsWith('connect.') ? (detail as `connect.${string}`) : `connect.${detail}`;
}

/** An open connection that ended early: with a close handshake or without one. */
export function socketClosedKind(code: number, clean: boolean): `socket.${string}` {
  return clean ? `socket.closed-${code}` : `socket.dropped-${code}`;
}

export const PROTOCOL_UNEXPECTED = 'protocol.unexpected' satisfies ErrorKind;
export const PUBLISH_ERROR = 'publish.error' satisfies ErrorKind;
export const PUBLISH_NO_SUBSCRIBER = 'publish.no-subscriber' satisfies ErrorKind;
/** A sender's message was due while its connection was not open (publish.via websocket): not sent, owed to nobody. */
export const PUBLISH_SEND_FAILED = 'publish.send-failed' satisfies ErrorKind;
/** A sender received its own message although publish.echo is none (the app does echo): ignored, never delivered. */
export const PUBLISH_UNEXPECTED_ECHO = 'publish.unexpected-echo' satisfies ErrorKind;
