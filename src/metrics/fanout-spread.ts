/**
 * First- and last-recipient latency per publish, from every worker's per-publish minimum,
 * maximum and recipient count. Exact: min of mins and max of maxes, then one sample per publish.
 */
import { createHistogram, recordMs, type Histogram } from './histogram.js';

export interface PerPublishPart {
  firstLatencyMs: Float32Array;
  lastLatencyMs: Float32Array;
  recipients: Uint32Array;
}

export interface FanoutSpread {
  first: Histogram;
  last: Histogram;
  /** Measured publishes that reached fewer clients than were subscribed to their channel. */
  incomplete: number;
}

/**
 * @param fromIndex first measured publish (warm-up publishes are skipped)
 * @param toIndex one past the last publish to consider (publishes actually sent)
 * @param expectedRecipients clients subscribed to publish i's channel
 */
export function fanoutSpread(
  parts: readonly PerPublishPart[],
  fromIndex: number,
  toIndex: number,
  expectedRecipients: (publishIndex: number) => number,
): FanoutSpread {
  const first = createHistogram();
  const last = createHistogram();
  let incomplete = 0;
  const tracked = Math.min(toIndex, ...parts.map((p) => p.recipients.length));
  for (let i = fromIndex; i < tracked; i++) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let count = 0;
    for (const p of parts) {
      const n = p.recipients[i]!;
      if (n === 0) continue;
      count += n;
      if (p.firstLatencyMs[i]! < min) min = p.firstLatencyMs[i]!;
      if (p.lastLatencyMs[i]! > max) max = p.lastLatencyMs[i]!;
    }
    const expected = expectedRecipients(i);
    // A sender's own copy counts as a recipient without a fan-out latency (it is echo latency): a
    // publish that reached only its sender has no first or last recipient.
    const measured = min !== Number.POSITIVE_INFINITY;
    if (count > 0 && measured) recordMs(first, min);
    if (count >= expected && expected > 0) {
      if (measured) recordMs(last, max);
    } else if (expected > 0) incomplete++;
  }
  return { first, last, incomplete };
}
