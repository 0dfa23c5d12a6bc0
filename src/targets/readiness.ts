/**
 * Waiting until every client is subscribed, shared by the adapters: poll a check until it passes,
 * wait for the clients' own protocol signal, count what each Redis key must carry, and the
 * settle wait after readiness (`readiness.settle`), applied in one place for every target.
 */
import { WsbenchError, messageOf } from '../errors.js';
import type { PreparedTarget, ReadinessContext } from './target.js';

/**
 * How long after its open a client counts as subscribed when nothing tells it (a relay that
 * SUBSCRIBEs in Redis after the upgrade, seen only by PUBSUB NUMSUB for the whole run): the
 * scenario's `readiness.settle`, and at least this. Conservative on purpose: a message intended
 * before it is `notOwed` rather than possibly lost.
 */
export const UNOBSERVED_READY_MS = 250;

export function unobservedReadyMs(settleMs: number): number {
  return Math.max(settleMs, UNOBSERVED_READY_MS);
}

/** The target's readiness, then its settle wait: what the engine calls before publishing. */
export async function waitUntilReady(target: PreparedTarget, ctx: ReadinessContext): Promise<void> {
  await target.waitReady(ctx);
  await sleep(target.settleMs, ctx.signal);
}

/** Resolves after `ms`, or at once when `signal` is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls `check` until it returns null (ready) or the timeout passes; the last reason is reported.
 * A check that throws (Redis gone for a moment: its connection reconnects) is not ready yet, with
 * the error as its reason.
 */
export async function pollUntilReady(
  check: () => Promise<string | null>,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    let notReady: string | null;
    try {
      notReady = await check();
    } catch (e) {
      notReady = `the check failed: ${messageOf(e)}`;
    }
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

/**
 * Open clients per key, when scenario channel c maps to `keys[c]` (a Redis channel, a group):
 * several scenario channels may share one key, which must then carry all their clients.
 */
export function clientsPerKey(keys: readonly string[], openedPerChannel: readonly number[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let c = 0; c < keys.length; c++) out.set(keys[c]!, (out.get(keys[c]!) ?? 0) + (openedPerChannel[c] ?? 0));
  return out;
}
