/**
 * A target is what the clients connect to and how messages reach it through Redis: the URL for
 * each client, the Redis channel to PUBLISH to, what clients send after opening, what to ignore,
 * and how to know every client is subscribed. One file per kind of target.
 */
import type { ProcessStats, TransportName } from '../results/types.js';
import type { RedisClient } from '../redis/client.js';
import type { ClientProtocolSpec } from './client-protocol.js';
import type { InjectorSpec } from './injector.js';
import { WsbenchError } from '../errors.js';

export interface ReadinessContext {
  transport: TransportName;
  redis: RedisClient;
  channelNames: string[];
  /** Open connections per channel index. */
  openedPerChannel: number[];
  /** Clients that gave their protocol's readiness signal so far, and the first unexpected message. */
  clientReadiness(): { ready: number; opened: number; problem: string | null };
  signal: AbortSignal;
}

export interface PreparedTarget {
  /** Short description for messages: "builtin ws://127.0.0.1:41234". */
  describe: string;
  /**
   * Said when no connection could be opened because the server answered the upgrade with an HTTP
   * error (a 404 usually means the adapter's path is not the server's): what the adapter expected.
   */
  connectHint?: string;
  /** Client URL template with {channel} (URL-encoded name) and {client}. */
  urlTemplate: string;
  /** URL template of the HTTP polling endpoint; absent when the target has none. */
  pollUrlTemplate?: string;
  /** What clients send, answer and ignore on their connection. */
  clientProtocol: ClientProtocolSpec;
  /** How the publisher puts a payload into the stack. */
  injector: InjectorSpec;
  headers: Record<string, string>;
  subprotocols: string[];
  maxPayload: number;
  /** Resolves when every open client is subscribed; throws TARGET_NOT_READY on timeout. */
  waitReady(ctx: ReadinessContext): Promise<void>;
  /** CPU and event-loop figures of the server when wsbench runs it. */
  serverStats?(): Promise<ProcessStats | undefined>;
  /** Restart server CPU accounting (at the start of each transport's measured run). */
  resetServerStats?(): void;
  stop(): Promise<void>;
}

/** Polls `check` until it returns null (ready) or the timeout passes; the last reason is reported. */
export async function pollUntilReady(
  check: () => Promise<string | null>,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const notReady = await check();
    if (notReady === null || signal.aborted) return;
    if (Date.now() >= deadline) {
      throw new WsbenchError('TARGET_NOT_READY', `${what} not ready after ${timeoutMs} ms: ${notReady}`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(100, delay * 2);
  }
}

/**
 * Waits until every open client gave its protocol's readiness signal. A client that received
 * something its protocol did not expect (the wrong adapter for this server) fails at once with
 * TARGET_PROTOCOL and the protocol's own words on what was expected and what arrived.
 */
export async function waitForClientSignal(ctx: ReadinessContext, timeoutMs: number, what: string, adapter: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { ready, opened, problem } = ctx.clientReadiness();
    if (problem !== null) throw new WsbenchError('TARGET_PROTOCOL', `${adapter} target: ${problem} (is this a ${adapter} server?)`);
    if ((opened > 0 && ready >= opened) || ctx.signal.aborted) return;
    if (Date.now() >= deadline) {
      throw new WsbenchError(
        'TARGET_NOT_READY',
        `${adapter} target not ready after ${timeoutMs} ms: ${ready} of ${opened} clients ${what}${ready === 0 ? ' (nothing of the expected protocol arrived: is this a ' + adapter + ' server?)' : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
