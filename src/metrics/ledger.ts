import type { DeliveryCounts, DeliveryReport, IgnoredBreakdown } from '../results/types.js';

export type { DeliveryCounts };

/**
 * What one client should have received versus what it did. Sequence numbers are per channel and
 * dense (0, 1, 2 …). State is O(1) per client except while messages are missing: only the gaps
 * are remembered, so 100k clients cost a few numbers each on a clean run.
 */
export class ClientLedger {
  /** One past the highest sequence seen. */
  private next = 0;
  /** Sequences below `next` not yet received. */
  private gaps: Set<number> | null = null;
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
      if (seq > this.next) {
        this.gaps ??= new Set();
        for (let missing = this.next; missing < seq; missing++) this.gaps.add(missing);
      }
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

  /** Final counts once `expected` (how many were published to this client's channel) is known. */
  counts(expected: number): DeliveryCounts {
    // Receipts beyond what was published cannot happen with a correct stamp; treat them as
    // delivered so `lost` never goes negative and the anomaly shows as delivered > expected.
    return {
      expected,
      delivered: this.delivered,
      lost: Math.max(0, expected - this.delivered),
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
  return { expected: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, ignored: 0 };
}

export function addDelivery(into: DeliveryCounts, add: DeliveryCounts): DeliveryCounts {
  into.expected += add.expected;
  into.delivered += add.delivered;
  into.lost += add.lost;
  into.duplicated += add.duplicated;
  into.reordered += add.reordered;
  into.ignored += add.ignored;
  return into;
}
