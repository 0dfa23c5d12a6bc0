import type { DeliveryCounts, DeliveryReport, IgnoredBreakdown } from '../results/types.js';
import type { ChannelPublishes } from './publish-outcomes.js';
import { RangeSet } from './range-set.js';
import {
  OWED_THROUGHOUT,
  forEachIn,
  notOwedSize,
  nthNotOwn,
  notOwnBelow,
  owedIn,
  owedSize,
  ownIn,
  type OwedSpans,
  type OwnSequences,
} from './owed-spans.js';

export type { DeliveryCounts };

/**
 * What one client should have received versus what it did. Sequence numbers are per channel and
 * dense (0, 1, 2 …). State is O(1) per client except while messages are missing: only the gaps
 * are remembered, as ranges, so 100k clients cost a few numbers each on a clean run and a client
 * that missed a whole outage holds one range, not one entry per message.
 *
 * At the end each sequence of the client's presence is put in one term: not owed when it was
 * intended while the client was in a transition (owed-spans.ts), else delivered when received, else
 * by what happened to its publish (publish-outcomes.ts): unpublished when the publish never
 * reached Redis, lost otherwise. Receipts outside the owed windows never reach the ledger (the pool
 * counts them as ignored), so delivered is what was received of what was owed.
 *
 * With a sender's own sequences left out (spans.own, publish.echo none) the ranges it visits may
 * span own sequences (a SenderLedger's gaps do): those are never missing, and every count here
 * leaves them out (owedIn); a caller counting visited ranges does the same.
 */
export class ClientLedger {
  /** One past the highest sequence seen. */
  private next = 0;
  /** Sequences below `next` not yet received. */
  private gaps: RangeSet | null = null;
  delivered = 0;
  duplicated = 0;
  reordered = 0;
  ignored = 0;

  /**
   * Records a receipt; returns true when it is a first receipt (a delivery), false for a
   * duplicate.
   */
  receive(seq: number): boolean {
    if (seq >= this.next) {
      if (seq > this.next) (this.gaps ??= new RangeSet()).addRange(this.next, seq);
      this.next = seq + 1;
      this.delivered++;
      return true;
    }
    if (this.gaps !== null && this.gaps.delete(seq)) {
      this.reordered++;
      this.delivered++;
      return true;
    }
    this.duplicated++;
    return false;
  }

  ignore(): void {
    this.ignored++;
  }

  /** Calls `visit(from, to)` for each range of sequences in [from, to) never received, in order. */
  forEachMissingIn(from: number, to: number, visit: (from: number, to: number) => void): void {
    if (!(to > from)) return;
    this.gaps?.forEachIn(from, Math.min(to, this.next), visit);
    const tail = Math.max(from, this.next);
    if (to > tail) visit(tail, to);
  }

  /** Calls `visit(from, to)` for each range of sequences below `expected` never received, in order. */
  forEachMissing(expected: number, visit: (from: number, to: number) => void): void {
    this.forEachMissingIn(0, expected, visit);
  }

  /**
   * Calls `visit(from, to)` for each range of sequences that are lost: owed (sent on `channel`
   * while the client was subscribed, `spans`), never received, and published (an unpublished
   * sequence is never lost). What a per-interval loss count reads.
   */
  forEachLost(channel: ChannelPublishes, visit: (from: number, to: number) => void, spans: OwedSpans = OWED_THROUGHOUT): void {
    forEachIn(spans.owed, channel.expected, (a, b) =>
      this.forEachMissingIn(a, b, (from, to) => {
        let at = from;
        channel.unpublished.forEachIn(from, to, (x, y) => {
          if (x > at) visit(at, x);
          at = y;
        });
        if (to > at) visit(at, to);
      }),
    );
  }

  /** Calls `visit(from, to)` for each range of owed sequences never received whose publish never reached Redis. */
  forEachUnpublished(channel: ChannelPublishes, visit: (from: number, to: number) => void, spans: OwedSpans = OWED_THROUGHOUT): void {
    forEachIn(spans.owed, channel.expected, (a, b) =>
      this.forEachMissingIn(a, b, (from, to) => channel.unpublished.forEachIn(from, to, visit)),
    );
  }

  /**
   * Calls `visit(from, to, term, count)` for the ranges of the client's presence that were not
   * delivered, by the term they land in: lost, unpublished, notOwed (a transition's, and a
   * sender's own sequences). `count(a, b)`, when given, says how many of a part [a, b) of the
   * range are in the term (own sequences inside lost ranges are not lost; only they are not owed
   * inside owed ranges); without it, all of them. What the per-interval figures read.
   */
  forEachNotDelivered(
    channel: ChannelPublishes,
    spans: OwedSpans,
    visit: (from: number, to: number, term: 'lost' | 'unpublished' | 'notOwed', count?: (from: number, to: number) => number) => void,
  ): void {
    const own = spans.own;
    const owed = own === undefined ? undefined : (from: number, to: number) => owedIn(spans, from, to);
    this.forEachLost(channel, (from, to) => visit(from, to, 'lost', owed), spans);
    this.forEachUnpublished(channel, (from, to) => visit(from, to, 'unpublished', owed), spans);
    forEachIn(spans.notOwed, channel.expected, (from, to) => visit(from, to, 'notOwed'));
    if (own !== undefined) {
      const onlyOwn = (from: number, to: number) => ownIn(own, from, to);
      forEachIn(spans.owed, channel.expected, (from, to) => visit(from, to, 'notOwed', onlyOwn));
    }
  }

  /**
   * Final counts on `channel` (what was sent on it, and which of those never reached Redis) for a
   * client owed `spans`: every sequence sent during its presence is in exactly one of delivered,
   * lost, unpublished (owed) and notOwed (a transition), so they add up to expected.
   */
  counts(channel: ChannelPublishes, spans: OwedSpans = OWED_THROUGHOUT): DeliveryCounts {
    let missing = 0;
    let unpublished = 0;
    forEachIn(spans.owed, channel.expected, (a, b) =>
      this.forEachMissingIn(a, b, (from, to) => {
        missing += owedIn(spans, from, to);
        channel.unpublished.forEachIn(from, to, (x, y) => (unpublished += owedIn(spans, x, y)));
      }),
    );
    const notOwed = notOwedSize(spans, channel.expected);
    // Receipts beyond what was sent cannot happen with a correct stamp; they stay in delivered,
    // so the anomaly shows as delivered + lost + unpublished + notOwed > expected rather than vanishing.
    return {
      expected: owedSize(spans, channel.expected) + notOwed,
      delivered: this.delivered,
      lost: missing - unpublished,
      unpublished,
      notOwed,
      duplicated: this.duplicated,
      reordered: this.reordered,
      ignored: this.ignored,
    };
  }
}

/**
 * The ledger of a sender the app leaves out of its own messages (publish.echo none): it is never
 * sent `own`, so they are never gaps. It keeps the same state as any ledger over the sequences that
 * are not its own, numbered densely (the j-th not-own sequence is j: notOwnBelow), so a clean run
 * costs O(1) however many messages it sends — no range per own message — and order, duplicates
 * and reordering of the others are judged exactly as before. Missing ranges are visited back in
 * channel sequences (nthNotOwn), spanning the own sequences between them. Never given an own
 * sequence (the pool counts those as publish.unexpected-echo).
 */
export class SenderLedger extends ClientLedger {
  constructor(readonly own: OwnSequences) {
    super();
  }

  override receive(seq: number): boolean {
    return super.receive(notOwnBelow(this.own, seq));
  }

  override forEachMissingIn(from: number, to: number, visit: (from: number, to: number) => void): void {
    if (!(to > from)) return;
    const own = this.own;
    super.forEachMissingIn(notOwnBelow(own, from), notOwnBelow(own, to), (a, b) => {
      const x = Math.max(from, nthNotOwn(own, a));
      const y = Math.min(to, nthNotOwn(own, b - 1) + 1);
      if (y > x) visit(x, y);
    });
  }
}

/**
 * Counts with their ratios, as reports carry them: lost and delivered over what was owed
 * (expected − notOwed: a message intended while its client was in a transition the scenario made
 * was owed to nobody, so it lowers neither ratio).
 */
export function deliveryReport(counts: DeliveryCounts, ignoredBy: IgnoredBreakdown): DeliveryReport {
  const owed = counts.expected - (counts.notOwed ?? 0);
  const ratio = (x: number) => Math.round((x / owed) * 1e6) / 1e6;
  return {
    ...counts,
    lostRatio: owed > 0 ? ratio(counts.lost) : 0,
    deliveryRatio: owed > 0 ? ratio(Math.min(counts.delivered, owed)) : 1,
    ignoredBy,
  };
}

export function emptyDelivery(): DeliveryCounts {
  return { expected: 0, delivered: 0, lost: 0, unpublished: 0, notOwed: 0, duplicated: 0, reordered: 0, ignored: 0 };
}

export function addDelivery(into: DeliveryCounts, add: DeliveryCounts): DeliveryCounts {
  into.expected += add.expected;
  into.delivered += add.delivered;
  into.lost += add.lost;
  into.unpublished += add.unpublished;
  into.notOwed += add.notOwed;
  if (add.unobserved) into.unobserved = (into.unobserved ?? 0) + add.unobserved;
  into.duplicated += add.duplicated;
  into.reordered += add.reordered;
  into.ignored += add.ignored;
  return into;
}
