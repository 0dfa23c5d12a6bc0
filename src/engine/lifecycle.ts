/**
 * The rules by which a worker's clients come and go while publishing, as pure functions the pool
 * (client-pool.ts) applies: which clients a storm drops, when a dropped client reconnects and how
 * its retries back off, and how many clients the connection curve wants at a moment. Everything
 * is deterministic — decided by global client index, event and attempt — so two runs of one
 * scenario drop the same clients and spread their reconnects the same way, whatever the split
 * over workers. Pure.
 */
import type { ReconnectPolicy } from './worker-messages.js';

/**
 * Whether a storm dropping `fraction` of the clients takes client `k` of a run with `channels`
 * channels (client k listens on channel k mod channels). Position p is taken when
 * ⌊(p+1)·f⌋ > ⌊p·f⌋, so of positions 0 … n−1 exactly ⌊n·f⌋ are taken, spread evenly (50 %: every
 * odd one). Clients are placed by rows of `channels` consecutive indices, each row rotated by its
 * number: without the rotation, 50 % of an even number of channels would be every client of every
 * odd channel (a channel left with no subscriber at all), with it each channel loses its share.
 * Within whole rows the count stays exactly ⌊n·f⌋; each worker decides for its own clients alone.
 */
export function dropsClient(k: number, fraction: number, channels = 1): boolean {
  if (fraction >= 1) return true;
  const row = Math.floor(k / channels);
  const p = row * channels + (((k % channels) + row) % channels);
  return Math.floor((p + 1) * fraction + 1e-9) > Math.floor(p * fraction + 1e-9);
}

/** A number in [0, 1) from integers, the same in every process (a 32-bit mix, not for cryptography). */
export function unitRandom(a: number, b: number, c = 0): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul((b | 0) + 0x7f4a7c15, 0x85ebca77) ^ Math.imul((c | 0) + 0x165667b1, 0xc2b2ae3d)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 0x1_0000_0000;
}

/** When client `k`, dropped by event `e` at `dropAt`, first tries to reconnect: after + a jitter of its own. */
export function reconnectDue(policy: ReconnectPolicy, dropAt: number, k: number, e: number): number {
  return dropAt + policy.afterMs + policy.jitterMs * unitRandom(k, e);
}

/**
 * The wait before retry `attempt` (1 = after the first failure) of client `k`: initial ×
 * factor^(attempt−1), at most max, with up to half of it taken off at random so a crowd of retries
 * spreads out instead of arriving together again.
 */
export function retryDelay(policy: ReconnectPolicy, attempt: number, k: number, e: number): number {
  const { initialMs, maxMs, factor } = policy.backoff;
  const base = Math.min(maxMs, initialMs * Math.pow(factor, Math.max(0, attempt - 1)));
  return base * (1 - 0.5 * unitRandom(k, e, attempt));
}

/** How a client opened when the scenario did not say (stages and churn): retried like a reconnect with no wait. */
export const DEFAULT_RETRY: ReconnectPolicy = { afterMs: 0, jitterMs: 0, backoff: { initialMs: 250, maxMs: 10_000, factor: 2 } };

/** Clients wanted at a level of the connection curve: global indices below ⌊level⌋ (rounding noise aside). */
export function wantedBelow(level: number): number {
  return Math.max(0, Math.floor(level + 1e-9));
}

/** The local positions j (client index first + j·stride) of a worker's clients with global index in [from, to). */
export function ownedIn(from: number, to: number, first: number, stride: number, count: number): { from: number; to: number } {
  const lo = Math.max(0, Math.ceil((from - first) / stride));
  const hi = Math.min(count, Math.max(0, Math.ceil((to - first) / stride)));
  return { from: lo, to: Math.max(lo, hi) };
}
