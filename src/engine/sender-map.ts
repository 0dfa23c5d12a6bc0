/**
 * Who sends which message when clients send the schedule (`publish.via: websocket`). Pure
 * arithmetic, the same in every worker and the coordinator, so it never travels.
 *
 * Message i goes to channel c = i mod C as channel sequence q = ⌊i / C⌋, exactly as when wsbench
 * publishes. A sender sends into the channel it is a member of (client k is on channel k mod C),
 * so channel c has s_c of the S senders (round-robin: ⌊S/C⌋, one more for c < S mod C) and its
 * messages go to them in turn: sequence q is sent by the channel's sender r = q mod s_c. Each
 * sender therefore has a regular share of the schedule, open loop in itself.
 *
 * The s_c senders of a channel are spread evenly over its m_c members (members c, c + C, c + 2C …):
 * sender r is member ⌊(r + c/C) · m_c / s_c⌋, each channel's senders shifted by its share of one
 * step so that the channels' senders interleave. Spread, not the first ones, so that workers
 * (which hold contiguous ranges of clients) share the sending as they share the clients — also
 * when a channel's few senders cannot be split evenly between them.
 */
export class SenderMap {
  /** Senders per channel. */
  private readonly perChannel: number[];
  /** Members per channel. */
  private readonly members: number[];

  constructor(
    /** The clients senders are chosen from: global indices below this (those the load keeps throughout; config/senders.ts senderPoolSize). */
    readonly connections: number,
    readonly channelCount: number,
    readonly senders: number,
  ) {
    this.perChannel = Array.from({ length: channelCount }, (_, c) => shareOf(senders, channelCount, c));
    this.members = Array.from({ length: channelCount }, (_, c) => shareOf(connections, channelCount, c));
  }

  /** Senders on channel `c`. */
  sendersOn(c: number): number {
    return this.perChannel[c]!;
  }

  /** The client index of channel `c`'s sender `r`. */
  senderClient(c: number, r: number): number {
    const C = this.channelCount;
    // ⌊(r + c/C) · m / s⌋ in integers; below m since r ≤ s − 1 and c < C.
    const position = Math.floor(((r * C + c) * this.members[c]!) / (this.perChannel[c]! * C));
    return c + C * position;
  }

  /** The client that sends message `i` of the schedule. */
  senderOf(i: number): number {
    const c = i % this.channelCount;
    const q = (i - c) / this.channelCount;
    return this.senderClient(c, q % this.perChannel[c]!);
  }

  /**
   * Client `k`'s place among its channel's senders (r), or -1 when it does not send: the smallest
   * r whose position (senderClient) is at least k's, if it is k's. Positions grow with r by
   * m / s ≥ 1, so no other r can have it.
   */
  slotOf(k: number): number {
    const C = this.channelCount;
    const c = k % C;
    const position = (k - c) / C;
    const s = this.perChannel[c]!;
    const m = this.members[c]!;
    if (s === 0 || position >= m) return -1;
    const r = Math.max(0, Math.ceil((position * s * C - c * m) / (C * m)));
    return r < s && this.senderClient(c, r) === k ? r : -1;
  }

  /** Whether channel sequence `q` of a channel is sent by that channel's sender `r`. */
  sends(c: number, r: number, q: number): boolean {
    return q % this.perChannel[c]! === r;
  }

  /** The senders of clients [first, first + count): their client indices, in order. */
  sendersIn(first: number, count: number): number[] {
    const out: number[] = [];
    for (let k = first; k < first + count; k++) if (this.slotOf(k) >= 0) out.push(k);
    return out;
  }
}

/** The share of `total` items dealt round-robin over `ways` that lands on `index`. */
function shareOf(total: number, ways: number, index: number): number {
  return Math.floor(total / ways) + (index < total % ways ? 1 : 0);
}
