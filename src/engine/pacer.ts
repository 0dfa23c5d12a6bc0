/**
 * Waiting until an instant on the monotonic clock without burning CPU and without the ~1 ms
 * lateness of timers: a timer gets close, then Atomics.wait (a futex with a sub-millisecond
 * timeout) blocks for the last stretch. Blocking the thread for ≤ `PRECISE_WINDOW_MS` at a time
 * keeps I/O flowing between waits.
 */
import { monotonicMs } from '../metrics/clock.js';

/** The final stretch handled by a blocking wait instead of a timer. */
export const PRECISE_WINDOW_MS = 1.5;

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Resolves at (or just after) monotonic time `atMs`. */
export function sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const step = (): void => {
      if (signal?.aborted) return finish();
      const left = atMs - monotonicMs();
      if (left <= 0) return finish();
      if (left > PRECISE_WINDOW_MS) {
        timer = setTimeout(step, left - PRECISE_WINDOW_MS);
        return;
      }
      Atomics.wait(cell, 0, 0, left);
      finish();
    };
    signal?.addEventListener('abort', finish, { once: true });
    step();
  });
}

/**
 * The open-loop schedule: message i is due at t0 + i / rate, whatever happened to earlier ones.
 */
export class OpenLoopSchedule {
  readonly intervalMs: number;

  constructor(
    readonly t0: number,
    readonly ratePerSec: number,
    readonly total: number,
  ) {
    this.intervalMs = 1000 / ratePerSec;
  }

  dueAt(i: number): number {
    return this.t0 + i * this.intervalMs;
  }

  /** Index one past the last message due by `now` (capped at total). */
  dueCount(now: number): number {
    if (now < this.t0) return 0;
    return Math.min(this.total, Math.floor((now - this.t0) / this.intervalMs) + 1);
  }

  get endsAt(): number {
    return this.dueAt(this.total - 1);
  }
}
