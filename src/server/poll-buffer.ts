/**
 * The per-channel message buffer behind the reference server's polling endpoint. Every message
 * gets the next cursor (1, 2, 3 …); a poller asks for everything after its cursor. The buffer is
 * bounded: when a poller comes back after more than `capacity` messages, the oldest are gone and
 * it is told how many it missed, so the loss is counted, never silent. What a batch looks like on
 * the wire is src/wire/poll-batch.ts.
 */

export interface PollBatch {
  /** Cursor of the last message returned (or the poller's own cursor when none). */
  cursor: number;
  messages: Buffer[];
  /** Messages after the poller's cursor that had already left the buffer. */
  missed: number;
}

export class PollBuffer {
  private readonly ring: (Buffer | undefined)[];
  /** Cursor of the newest message (0 = none yet). */
  private head = 0;
  private waiters = new Set<() => void>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    // Grows as messages come, up to `capacity`: a channel polled once costs bytes, not the whole ring
    // (5,000 polled channels with preallocated 10,000-slot rings held 400 MB).
    this.ring = [];
  }

  get cursor(): number {
    return this.head;
  }

  push(message: Buffer): void {
    this.head++;
    this.ring[this.head % this.capacity] = message;
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }

  /** Messages after `after`, at most `limit` of them. */
  read(after: number, limit = Number.MAX_SAFE_INTEGER): PollBatch {
    const from = Math.max(0, Math.min(after, this.head));
    const oldest = Math.max(1, this.head - this.capacity + 1);
    const first = Math.max(from + 1, oldest);
    const missed = first - (from + 1);
    const last = Math.min(this.head, first + limit - 1);
    const messages: Buffer[] = [];
    for (let c = first; c <= last; c++) messages.push(this.ring[c % this.capacity]!);
    return { cursor: messages.length ? last : Math.max(from, first - 1), messages, missed };
  }

  /** Calls `wake` once, on the next push; returns a function that cancels the wait. */
  waitForNext(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
