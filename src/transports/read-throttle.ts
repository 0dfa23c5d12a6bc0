/**
 * Slow readers (`clients.slow`): how a client that reads slowly decides when to stop reading its
 * socket and for how long. The client pauses the socket itself (no read from the kernel), so the
 * kernel's receive window fills, TCP tells the server to stop, and the server's per-connection send
 * buffer grows — the backpressure a slow phone puts on a real server. Nothing is dropped or delayed
 * inside the client: what it has read it hands on at once.
 *
 * Two ways to be slow (plain data: the settings travel to the workers):
 * - `bytesPerSec`: a token bucket that empties by what was read and refills at that rate; after a
 *   read that overdraws it the socket is paused until the bucket is back to zero. Over any long
 *   stretch the client reads at most that rate, in reads as large as the socket hands over.
 * - `pauseEveryMs` / `pauseForMs`: the client reads normally, and the first read at least
 *   pauseEvery after the last pause ended pauses the socket for pauseFor (a phone that stalls now
 *   and then). With no data there is nothing to pause, which changes nothing for the server.
 *
 * Pure arithmetic on the caller's clock; the transports do the pausing.
 */

export type ReadThrottle = { readonly bytesPerSec: number } | { readonly pauseEveryMs: number; readonly pauseForMs: number };

/** Reads of a slow reader: at most a tenth of a second of its rate, within these bounds. */
const MIN_READ_BYTES = 512;
const MAX_READ_BYTES = 256 * 1024;

export class ReadPacer {
  /**
   * The most a read should take from the socket (where the transport can choose; 0: no limit).
   * A read takes whatever the kernel holds, so after a pause one unbounded read would take a
   * burst of many seconds' worth and then stop for as long: small reads keep the rate even.
   */
  readonly readBytes: number;

  /** bytesPerSec: when the bytes read so far are paid for (the bucket is back to zero). */
  private paidAt = Number.NEGATIVE_INFINITY;
  /** pauseEvery: when the next pause is due (set by the first read). */
  private pauseDue = Number.NaN;

  constructor(private readonly throttle: ReadThrottle) {
    this.readBytes =
      'bytesPerSec' in throttle ? Math.min(MAX_READ_BYTES, Math.max(MIN_READ_BYTES, Math.round(throttle.bytesPerSec / 10))) : 0;
  }

  afterRead(bytes: number, nowMs: number): number {
    const t = this.throttle;
    if ('bytesPerSec' in t) {
      // An idle client does not save up more than one empty bucket: reading starts from now.
      this.paidAt = Math.max(this.paidAt, nowMs) + (bytes * 1000) / t.bytesPerSec;
      return this.paidAt > nowMs ? this.paidAt - nowMs : 0;
    }
    if (Number.isNaN(this.pauseDue)) this.pauseDue = nowMs + t.pauseEveryMs;
    if (nowMs < this.pauseDue) return 0;
    this.pauseDue = nowMs + t.pauseForMs + t.pauseEveryMs;
    return t.pauseForMs;
  }
}
