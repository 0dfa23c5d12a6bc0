/**
 * What happened to each publish of the schedule, as the ledgers need it at the end: how many were
 * sent (attempted) and which of those never reached Redis. A client's ledger asks its channel's
 * view "what happened to sequence s" for every message it is missing, so each term of the ledger
 * identity is decided in one place:
 *
 *   delivered + lost + unpublished == expected
 *
 * - expected: the channel's publishes that were sent (attempted), for a client that was open;
 * - delivered: received (whatever the publisher heard back: a PUBLISH whose reply was lost may
 *   still have been relayed);
 * - unpublished: not received, and its publish failed (it never reached Redis: owed to nobody);
 * - lost: not received, and its publish reached Redis.
 *
 * Later terms (not owed during a reconnect, not observed by a lost agent) are decided here too.
 * Publishes are numbered by their schedule index i; channel c carries i ≡ c (mod channels) as its
 * sequence s = (i − c) / channels. Pure.
 */
import { RangeSet } from './range-set.js';

/**
 * A set of publish indices as it travels to the workers: its ranges, or a bitmap when that is
 * smaller (many short failures), so the message never exceeds one bit per publish sent.
 */
export type EncodedIndexSet = { ranges: Uint32Array } | { bitmap: Uint8Array };

/** What happened to the schedule's publishes: plain data, sent to every worker at the end. */
export interface PublishOutcome {
  /** Publishes attempted: indices [0, sent). */
  sent: number;
  /** Those that never reached Redis (failed or unanswered). */
  failed: EncodedIndexSet;
}

export function encodeIndexSet(set: RangeSet, universe: number): EncodedIndexSet {
  const rangeBytes = set.rangeCount * 8;
  const bitmapBytes = Math.ceil(universe / 8);
  if (rangeBytes <= bitmapBytes) return { ranges: Uint32Array.from(set.ranges()) };
  const bitmap = new Uint8Array(bitmapBytes);
  set.forEach((from, to) => {
    for (let i = from; i < Math.min(to, universe); i++) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { bitmap };
}

export function decodeIndexSet(encoded: EncodedIndexSet): RangeSet {
  if ('ranges' in encoded) return RangeSet.fromRanges(encoded.ranges);
  const set = new RangeSet();
  const { bitmap } = encoded;
  for (let byte = 0; byte < bitmap.length; byte++) {
    if (bitmap[byte] === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (bitmap[byte]! & (1 << bit)) set.add(byte * 8 + bit);
  }
  return set;
}

/** An outcome in which every sent publish reached Redis. */
export function allPublished(sent: number): PublishOutcome {
  return { sent, failed: { ranges: new Uint32Array(0) } };
}

/** One channel's publishes, in the channel's own sequence numbers. */
export interface ChannelPublishes {
  /** Sequences [0, expected) were sent on this channel: what an open client is owed at most. */
  readonly expected: number;
  /** Sequences whose publish never reached Redis: unpublished, never lost. */
  readonly unpublished: RangeSet;
}

/** A channel on which nothing was owed (a client that never opened). */
export const NOTHING_OWED: ChannelPublishes = { expected: 0, unpublished: new RangeSet() };

export class PublishOutcomes {
  readonly failed: RangeSet;
  private readonly perChannel: ChannelPublishes[] = [];

  constructor(
    readonly sent: number,
    failed: RangeSet | EncodedIndexSet,
    readonly channelCount: number,
  ) {
    this.failed = failed instanceof RangeSet ? failed : decodeIndexSet(failed);
  }

  static from(outcome: PublishOutcome, channelCount: number): PublishOutcomes {
    return new PublishOutcomes(outcome.sent, outcome.failed, channelCount);
  }

  /** Channel `c`'s view: what was sent on it and which of its sequences never reached Redis. */
  channel(c: number): ChannelPublishes {
    let view = this.perChannel[c];
    if (!view) {
      const n = this.channelCount;
      const unpublished = new RangeSet();
      // Indices ≡ c in [a, b) are sequences [⌈(a − c) / n⌉, ⌈(b − c) / n⌉): one range per range.
      this.failed.forEachIn(0, this.sent, (a, b) =>
        unpublished.addRange(Math.max(0, Math.ceil((a - c) / n)), Math.max(0, Math.ceil((b - c) / n))),
      );
      view = { expected: sentOnChannel(this.sent, c, n), unpublished };
      this.perChannel[c] = view;
    }
    return view;
  }

  /** Publish `i` never reached Redis. */
  isFailed(i: number): boolean {
    return this.failed.has(i);
  }

  /** Publishes that reached Redis on channel `c`. */
  publishedOn(c: number): number {
    const view = this.channel(c);
    return view.expected - view.unpublished.size;
  }
}

/** Publishes among the first `sent` of a round-robin schedule over `channels` that go to channel `c`. */
export function sentOnChannel(sent: number, c: number, channels: number): number {
  return Math.floor(sent / channels) + (c < sent % channels ? 1 : 0);
}
