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
 * `spans` with the sequences offset, offset + period, offset + 2·period … below `end` moved from
 * owed to not owed: a sender's own messages on its channel when the app leaves the sender out
 * (publish.echo none; engine/sender-map.ts says which are its own). Only owed ones move: one
 * intended while the client was in a transition is not owed already.
 */
export function withoutOwn(spans: OwedSpans, offset: number, period: number, end: number): OwedSpans {
  const owed: number[] = [];
  const own: number[] = [];
  const add = (into: number[], from: number, to: number) => {
    if (!(to > from)) return;
    if (into.length > 0 && into[into.length - 1] === from) into[into.length - 1] = to;
    else into.push(from, to);
  };
  for (let k = 0; k + 1 < spans.owed.length; k += 2) {
    const from = spans.owed[k]!;
    const to = spans.owed[k + 1]!;
    const last = Math.min(to, end);
    if (period === 1) {
      // Every sequence is its own: the owed range up to `end` moves at once.
      add(own, from, Math.max(from, last));
      add(owed, Math.max(from, last), to);
      continue;
    }
    let at = from;
    for (let q = from <= offset ? offset : offset + Math.ceil((from - offset) / period) * period; q < last; q += period) {
      add(owed, at, q);
      add(own, q, q + 1);
      at = q + 1;
    }
    add(owed, at, to);
  }
  return { owed, notOwed: mergeRanges(spans.notOwed, own) };
}

/** Two lists of sorted disjoint [from, to) ranges as one, touching ranges joined. */
function mergeRanges(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const fromA = j >= b.length || (i < a.length && a[i]! <= b[j]!);
    const from = fromA ? a[i]! : b[j]!;
    const to = fromA ? a[i + 1]! : b[j + 1]!;
    if (fromA) i += 2;
    else j += 2;
    if (out.length > 0 && out[out.length - 1]! >= from) out[out.length - 1] = Math.max(out[out.length - 1]!, to);
    else out.push(from, to);
  }
  return out;
}
