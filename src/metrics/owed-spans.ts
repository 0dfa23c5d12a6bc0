/**
 * When a client was owed messages. A client is owed the messages published while it was
 * subscribed, and only those: on each connection, from its readiness (the target's signal that it
 * is subscribed; see the README's ledger section for each target's rule) to the start of its close
 * — a messages's *intended* time decides, as everywhere. Between a close the scenario made (a
 * storm, churn, a server restart) and the readiness of the connection that replaces it, the client
 * is in a transition: what was intended then is `notOwed`. A client's presence ends with a close
 * that does not continue (a stage taking connections away, the end of the run); nothing is
 * expected of it until it is wanted again. A connection that drops without the scenario doing it
 * does not end its window: what it misses afterwards is lost, as before.
 *
 * The pool records windows in monotonic time as [ready, close, continues] triples (owedSpansOf
 * turns them into channel sequences with the schedule); the ledger (ledger.ts) then puts every
 * sequence of the client's presence in one term: delivered, lost or unpublished when owed,
 * notOwed otherwise. Pure.
 */

/** A client's owed and not-owed sequences on its channel: flat sorted disjoint [from, to) ranges (to may be Infinity). */
export interface OwedSpans {
  readonly owed: readonly number[];
  readonly notOwed: readonly number[];
  /**
   * A sender's own sequences (publish.echo none, withoutOwn): those inside `owed` are not owed
   * after all — they count as not owed. Kept as a progression, never as ranges.
   */
  readonly own?: OwnSequences;
}

/** Subscribed from before the first message to after the last: the client of a run without transitions. */
export const OWED_THROUGHOUT: OwedSpans = Object.freeze({ owed: Object.freeze([0, Number.POSITIVE_INFINITY]), notOwed: Object.freeze([]) });

/** Never subscribed (its connection never opened): nothing expected of it. */
export const NEVER_OWED: OwedSpans = Object.freeze({ owed: Object.freeze([]), notOwed: Object.freeze([]) });

/** Entries per window in a flat window list: ready, close, continues (1 or 0). */
export const WINDOW_FIELDS = 3;

/**
 * Spans from time windows: `windows` is [ready, close, continues, …] in order (ready may be
 * −Infinity: owed from the first message; close +Infinity: still owed at the end; a ready after its
 * close — a connection closed before it was ready — owes nothing), `seqAtOrAfter(ms)` the first
 * channel sequence intended at or after `ms` (Infinity for +Infinity).
 */
export function owedSpansOf(windows: readonly number[], seqAtOrAfter: (ms: number) => number): OwedSpans {
  const owed: number[] = [];
  const notOwed: number[] = [];
  const add = (into: number[], from: number, to: number) => {
    if (!(to > from)) return;
    // Touching the previous range: extend it.
    if (into.length > 0 && into[into.length - 1] === from) into[into.length - 1] = to;
    else into.push(from, to);
  };
  for (let w = 0; w < windows.length; w += WINDOW_FIELDS) {
    const close = windows[w + 1]!;
    const ready = Math.min(windows[w]!, close);
    const readySeq = seqOf(ready, seqAtOrAfter);
    const closeSeq = seqOf(close, seqAtOrAfter);
    add(owed, readySeq, closeSeq);
    if (windows[w + 2] === 1) {
      // A transition: up to the readiness of the next window (its close when it never got ready), or to the end.
      const next = w + WINDOW_FIELDS < windows.length ? Math.min(windows[w + WINDOW_FIELDS]!, windows[w + WINDOW_FIELDS + 1]!) : Infinity;
      add(notOwed, closeSeq, seqOf(next, seqAtOrAfter));
    }
  }
  return { owed, notOwed };
}

function seqOf(ms: number, seqAtOrAfter: (ms: number) => number): number {
  if (ms === Number.NEGATIVE_INFINITY) return 0;
  if (ms === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  return seqAtOrAfter(ms);
}

/** Calls `visit(from, to)` for each range of `ranges` clipped to [0, end). */
export function forEachIn(ranges: readonly number[], end: number, visit: (from: number, to: number) => void): void {
  for (let k = 0; k + 1 < ranges.length; k += 2) {
    const from = ranges[k]!;
    if (from >= end) return;
    const to = Math.min(ranges[k + 1]!, end);
    if (to > from) visit(from, to);
  }
}

/** How many of [0, end) the ranges hold. */
export function sizeIn(ranges: readonly number[], end: number): number {
  let n = 0;
  forEachIn(ranges, end, (from, to) => (n += to - from));
  return n;
}

/**
 * A sender's own sequences on its channel: offset, offset + period, offset + 2·period … below
 * `end` (engine/sender-map.ts says which are its own). With `publish.echo: none` the app leaves the
 * sender out, so they are owed to nobody on it. Three numbers however many messages it sends.
 */
export interface OwnSequences {
  readonly offset: number;
  readonly period: number;
  readonly end: number;
}

/** How many own sequences lie below `q` (q may be Infinity). */
export function ownBelow(own: OwnSequences, q: number): number {
  const to = Math.min(q, own.end);
  return to <= own.offset ? 0 : Math.floor((to - own.offset - 1) / own.period) + 1;
}

/** How many sequences of [from, to) are own ones (none without `own`). */
export function ownIn(own: OwnSequences | undefined, from: number, to: number): number {
  if (own === undefined || !(to > from)) return 0;
  return ownBelow(own, to) - ownBelow(own, from);
}

/** How many sequences below `q` are not own ones (Infinity for Infinity). */
export function notOwnBelow(own: OwnSequences, q: number): number {
  return q - ownBelow(own, q);
}

/**
 * The `j`-th sequence (from 0) that is not an own one: the inverse of notOwnBelow on them. Below
 * the offset every sequence is someone else's; from it, each block of `period` sequences holds
 * one own (its first) and period − 1 others; from `end` on, none is own. Infinity for Infinity.
 */
export function nthNotOwn(own: OwnSequences, j: number): number {
  const { offset, period, end } = own;
  const beforeEnd = notOwnBelow(own, end);
  if (j >= beforeEnd) return end + (j - beforeEnd);
  if (j < offset) return j;
  const k = j - offset;
  // period ≥ 2 here: with period 1 every sequence from the offset to the end is own, so beforeEnd = offset.
  return offset + 1 + Math.floor(k / (period - 1)) * period + (k % (period - 1));
}

/**
 * `spans` with the sender's own sequences offset, offset + period, … below `end` moved from owed to
 * not owed: a sender's own messages on its channel when the app leaves the sender out (publish.echo
 * none). Only owed ones move: one intended while the client was in a transition is not owed
 * already. Arithmetic, not a range per own message: the spans keep their ranges and carry the
 * progression (`own`), which every count below subtracts (owedIn, owedSize, notOwedSize).
 */
export function withoutOwn(spans: OwedSpans, offset: number, period: number, end: number): OwedSpans {
  return { owed: spans.owed, notOwed: spans.notOwed, own: { offset, period, end } };
}

/** How many of [from, to) — a part of one owed range — are owed: all but the own ones. */
export function owedIn(spans: OwedSpans, from: number, to: number): number {
  return to > from ? to - from - ownIn(spans.own, from, to) : 0;
}

/** How many sequences of [0, end) are owed. */
export function owedSize(spans: OwedSpans, end: number): number {
  let n = 0;
  forEachIn(spans.owed, end, (from, to) => (n += owedIn(spans, from, to)));
  return n;
}

/** How many sequences of [0, end) are not owed: those of a transition, and own ones of the owed ranges. */
export function notOwedSize(spans: OwedSpans, end: number): number {
  let n = sizeIn(spans.notOwed, end);
  if (spans.own !== undefined) forEachIn(spans.owed, end, (from, to) => (n += ownIn(spans.own, from, to)));
  return n;
}
