import type { DeliveryCounts, DeliveryReport, IgnoredBreakdown } from '../results/types.js';
import type { ChannelPublishes } from './publish-outcomes.js';
import { RangeSet } from './range-set.js';

export type { DeliveryCounts };

/**
 * What one client should have received versus what it did. Sequence numbers are per channel and
 * dense (0, 1, 2 …). State is O(1) per client except while messages are missing: only the gaps
 * are remembered, as ranges, so 100k clients cost a few numbers each on a clean run and a client
 * that missed a whole outage holds one range, not one entry per message.
 *
 * At the end each missing sequence is classified by what happened to its publish
 * (publish-outcomes.ts): unpublished when the publish never reached Redis, lost otherwise.
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

  /** Calls `visit(from, to)` for each range of sequences below `expected` never received, in order. */
  forEachMissing(expected: number, visit: (from: number, to: number) => void): void {
    this.gaps?.forEachIn(0, expected, visit);
    if (expected > this.next) visit(this.next, expected);
  }

  /**
   * Calls `visit(from, to)` for each range of sequences that are lost: owed on `channel`, never
   * received, and published (an unpublished sequence is never lost). What a per-interval loss
   * count reads.
   */
  forEachLost(channel: ChannelPublishes, visit: (from: number, to: number) => void): void {
    this.forEachMissing(channel.expected, (from, to) => {
      let at = from;
      channel.unpublished.forEachIn(from, to, (a, b) => {
        if (a > at) visit(at, a);
        at = b;
      });
      if (to > at) visit(at, to);
    });
  }

  /** Final counts on `channel` (what was sent on it, and which of those never reached Redis). */
  counts(channel: ChannelPublishes): DeliveryCounts {
    let missing = 0;
    let unpublished = 0;
    this.forEachMissing(channel.expected, (from, to) => {
      missing += to - from;
      unpublished += channel.unpublished.countIn(from, to);
    });
    // Receipts beyond what was sent cannot happen with a correct stamp; they stay in delivered,
    // so the anomaly shows as delivered + lost + unpublished > expected rather than vanishing.
    return {
      expected: channel.expected,
      delivered: this.delivered,
      lost: missing - unpublished,
      unpublished,
      duplicated: this.duplicated,
      reordered: this.reordered,
      ignored: this.ignored,
    };
  }
}

/** Counts with their ratios, as reports carry them: lost / expected and delivered / expected. */
export function deliveryReport(counts: DeliveryCounts, ignoredBy: IgnoredBreakdown): DeliveryReport {
  const ratio = (x: number) => Math.round((x / counts.expected) * 1e6) / 1e6;
  return {
    ...counts,
    lostRatio: counts.expected > 0 ? ratio(counts.lost) : 0,
    deliveryRatio: counts.expected > 0 ? ratio(Math.min(counts.delivered, counts.expected)) : 1,
    ignoredBy,
  };
}

export function emptyDelivery(): DeliveryCounts {
  return { expected: 0, delivered: 0, lost: 0, unpublished: 0, duplicated: 0, reordered: 0, ignored: 0 };
}

export function addDelivery(into: DeliveryCounts, add: DeliveryCounts): DeliveryCounts {
  into.expected += add.expected;
  into.delivered += add.delivered;
  into.lost += add.lost;
  into.unpublished += add.unpublished;
  if (add.unobserved) into.unobserved = (into.unobserved ?? 0) + add.unobserved;
  into.duplicated += add.duplicated;
  into.reordered += add.reordered;
  into.ignored += add.ignored;
  return into;
}
