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
 * sender r is member ⌊r · m_c / s_c⌋. Spread, not the first ones, so that workers (which hold
 * contiguous ranges of clients) share the sending as they share the clients.
 */
export class SenderMap {
  /** Senders per channel. */
  private readonly perChannel: number[];
  /** Members per channel. */
  private readonly members: number[];

  constructor(
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
    const position = Math.floor((r * this.members[c]!) / this.perChannel[c]!);
    return c + this.channelCount * position;
  }

  /** The client that sends message `i` of the schedule. */
  senderOf(i: number): number {
    const c = i % this.channelCount;
    const q = (i - c) / this.channelCount;
    return this.senderClient(c, q % this.perChannel[c]!);
  }

  /**
   * Client `k`'s place among its channel's senders (r), or -1 when it does not send: the r with
   * ⌊r · m / s⌋ equal to its position among the members, if one exists.
   */
  slotOf(k: number): number {
    const c = k % this.channelCount;
    const position = (k - c) / this.channelCount;
    const s = this.perChannel[c]!;
    const m = this.members[c]!;
    if (s === 0 || position >= m) return -1;
    const r = Math.ceil((position * s) / m);
    return r < s && Math.floor((r * m) / s) === position ? r : -1;
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
