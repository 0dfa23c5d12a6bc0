/**
 * What a client does on its connection beyond receiving stamped messages: what it sends after
 * opening (a handshake, a subscribe command), which messages are the protocol's own (pings,
 * welcomes, confirmations) and must not be counted, replies they need (Socket.IO's ping "2" →
 * "3"), and when the client is subscribed (its readiness signal). Each target describes its
 * protocol as plain data (a spec: it travels to worker processes); the worker rebuilds it through
 * the registry from the definition with the spec's kind.
 *
 * Shared pieces only (no adapter is imported here): the interfaces, the plain protocol of verbatim
 * relays, and HandshakeProtocol, the state every handshaking protocol keeps.
 */
import { fillTemplate } from './template.js';

export const enum Verdict {
  /** May carry a stamp: read it. */
  Data = 0,
  /** The protocol's own message (heartbeat, ping, welcome, confirmation): not counted. */
  Control = 1,
  /** Not what this protocol expects here: `problem` says what was expected and what arrived. */
  Unexpected = 2,
  /**
   * Several newline-delimited messages in one frame (Centrifugo's JSON protocol batches replies):
   * the pool classifies each line on its own.
   */
  Batch = 3,
}

export interface ProtocolContext {
  /** The client's channel (its first one when it is in several). */
  channel: string;
  /** Every channel of the client, in membership order (clients.channelsPerClient); absent or [channel] for one. */
  readonly channels?: readonly string[];
  clientIndex: number;
  send(text: string): void;
}

export interface ClientProtocol {
  /** The connection just opened. */
  opened(): void;
  /** Classifies the message data[start, end), replying through `send` when the protocol asks for it. */
  received(data: Buffer, start: number, end: number): Verdict;
  /** The client is subscribed (targets whose readiness is a client-side signal). */
  readonly ready: boolean;
  /** Set with Verdict.Unexpected. */
  readonly problem: string | null;
}

/** A protocol as plain data: `kind` names its definition, the rest is the definition's own. */
export interface ClientProtocolSpec {
  readonly kind: string;
}

export type ClientProtocolFactory<S extends ClientProtocolSpec = ClientProtocolSpec> = (spec: S, ctx: ProtocolContext) => ClientProtocol;

/**
 * A protocol kind and how a worker builds it from its spec. The registry looks definitions up by
 * the spec's kind, so `create` only ever sees specs of its own kind.
 */
export interface ProtocolDefinition<S extends ClientProtocolSpec = ClientProtocolSpec> {
  readonly kind: S['kind'];
  create(spec: S, ctx: ProtocolContext): ClientProtocol;
}

export function defineProtocol<S extends ClientProtocolSpec>(kind: S['kind'], create: ClientProtocolFactory<S>): ProtocolDefinition<S> {
  return { kind, create };
}

/**
 * The state of a protocol with a handshake: steps before readiness (the subclass's own), then
 * ready, or failed with the problem that says what was expected and what arrived. A class, not
 * closures: one of these exists per held connection.
 */
export abstract class HandshakeProtocol implements ClientProtocol {
  ready = false;
  problem: string | null = null;
  /** Set once the protocol saw something it cannot go on from; later messages are control. */
  protected failed = false;

  abstract opened(): void;
  abstract received(data: Buffer, start: number, end: number): Verdict;

  protected becomeReady(): Verdict {
    this.ready = true;
    return Verdict.Control;
  }

  protected fail(problem: string): Verdict {
    this.ready = false;
    this.failed = true;
    this.problem = problem;
    return Verdict.Unexpected;
  }
}

/** Verbatim relays: optional messages after open, exact strings to ignore (heartbeats). */
export interface PlainProtocolSpec extends ClientProtocolSpec {
  kind: 'plain';
  /** Sent after open; {channel} and {client} are filled in. */
  sendAfterOpen: string[];
  /** Exact messages that are heartbeats, not data. */
  ignore: string[];
  /**
   * When set, the client is ready only once this exact message ({channel}/{client} filled in)
   * arrived, e.g. a Channels consumer that says so after group_add.
   */
  readyMessage?: string;
}

/** Plain, sending nothing and ignoring nothing: what polling clients speak whatever the target. */
export const PLAIN_PROTOCOL: PlainProtocolSpec = { kind: 'plain', sendAfterOpen: [], ignore: [] };

/** Ignore-list lookup by length first: a data message rarely costs more than a Map miss. */
export function exactMatcher(strings: readonly string[]): (data: Buffer, start: number, end: number) => boolean {
  const byLength = new Map<number, Buffer[]>();
  for (const text of strings) {
    const bytes = Buffer.from(text);
    const list = byLength.get(bytes.length) ?? [];
    list.push(bytes);
    byLength.set(bytes.length, list);
  }
  if (byLength.size === 0) return () => false;
  return (data, start, end) => {
    const candidates = byLength.get(end - start);
    if (!candidates) return false;
    for (const c of candidates) if (c.compare(data, start, end) === 0) return true;
    return false;
  };
}

/** Ignore-list matchers by spec: built once per worker, not once per client. */
const plainMatchers = new WeakMap<PlainProtocolSpec, (data: Buffer, start: number, end: number) => boolean>();

/** A class, not an object literal with closures: one of these exists per held connection. */
class PlainProtocol implements ClientProtocol {
  ready: boolean;
  readonly problem = null;
  private readonly isIgnored: (data: Buffer, start: number, end: number) => boolean;
  private readonly readyMessage: Buffer | null;

  constructor(
    private readonly spec: PlainProtocolSpec,
    private readonly ctx: ProtocolContext,
  ) {
    let isIgnored = plainMatchers.get(spec);
    if (!isIgnored) plainMatchers.set(spec, (isIgnored = exactMatcher(spec.ignore)));
    this.isIgnored = isIgnored;
    const channels = (ctx.channels ?? [ctx.channel]).join(',');
    this.readyMessage =
      spec.readyMessage === undefined ? null : Buffer.from(fillTemplate(spec.readyMessage, ctx.channel, ctx.clientIndex, channels));
    this.ready = this.readyMessage === null;
  }

  opened(): void {
    const channels = (this.ctx.channels ?? [this.ctx.channel]).join(',');
    for (const text of this.spec.sendAfterOpen) this.ctx.send(fillTemplate(text, this.ctx.channel, this.ctx.clientIndex, channels));
  }

  received(data: Buffer, start: number, end: number): Verdict {
    if (this.isIgnored(data, start, end)) return Verdict.Control;
    const readyMessage = this.readyMessage;
    if (!this.ready && end - start === readyMessage!.length && readyMessage!.compare(data, start, end) === 0) {
      this.ready = true;
      return Verdict.Control;
    }
    return Verdict.Data;
  }
}

export const plainProtocol = defineProtocol<PlainProtocolSpec>('plain', (spec, ctx) => new PlainProtocol(spec, ctx));

/** Shows what arrived in a problem message: the first bytes as text, control bytes escaped. */
export function preview(data: Buffer, max = 60): string {
  const text = data.subarray(0, max).toString('latin1');
  const shown = JSON.stringify(text).slice(1, -1);
  return `"${shown}${data.length > max ? '…' : ''}"`;
}
