/**
 * A timer on the timeline's grid: calls back at every interval boundary with the intervals the
 * span since the previous call covered (usually just the one that ended; several when the event
 * loop was held past a boundary, which is exactly when the figures sampled then matter). Used for
 * what is measured by wall time per interval: the tool's load, the publisher's errors.
 */
import { monotonicMs } from '../metrics/clock.js';
import type { IntervalGrid } from './interval-grid.js';

export type SpanListener = (firstIndex: number, lastIndex: number) => void;

export class IntervalTicker {
  private timer: NodeJS.Timeout | null = null;
  private from = 0;
  private running = false;

  constructor(
    private readonly grid: IntervalGrid,
    private readonly onSpan: SpanListener,
  ) {}

  start(now = monotonicMs()): void {
    this.from = this.grid.indexOf(now);
    this.running = true;
    this.schedule(now);
  }

  /** Stops, calling back once more for the span since the last boundary (the current, partial interval). */
  stop(now = monotonicMs()): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.onSpan(this.from, Math.max(this.from, this.grid.indexOf(now)));
  }

  private schedule(now: number): void {
    // A hair past the boundary so the timer never fires just before it.
    const wait = Math.max(0, this.grid.endsAt(this.grid.indexOf(now)) - now) + 0.5;
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    if (!this.running) return;
    const now = monotonicMs();
    const current = this.grid.indexOf(now);
    if (current > this.from) {
      this.onSpan(this.from, current - 1);
      this.from = current;
    }
    this.schedule(now);
  }
}
