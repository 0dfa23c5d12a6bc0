/**
 * The phases of one transport's run (connecting → waiting-ready → warm-up → publishing →
 * draining → closing): which one is current, since when, until when when it has a planned
 * length, and the list of finished ones for the report. Entering a phase announces it as an event.
 */
import type { TransportReport } from '../results/types.js';
import type { TransportName } from '../transports/registry.js';
import type { EngineListener, Phase } from './events.js';

export class PhaseClock {
  private readonly finished: TransportReport['phases'] = [];
  private current: Phase = 'connecting';
  private startedAt: number;
  private endsAt: number | null = null;

  /** Starts in `connecting` at `elapsed()` and announces it. */
  constructor(
    private readonly transport: TransportName,
    private readonly elapsed: () => number,
    private readonly emit: EngineListener,
  ) {
    this.startedAt = elapsed();
    emit({ type: 'phase', phase: this.current, transport, elapsedMs: this.startedAt });
  }

  get phase(): Phase {
    return this.current;
  }

  /** Ends the current phase and starts `phase`, planned to last `durationMs` when known. */
  enter(phase: Phase, durationMs: number | null = null, detail?: string): void {
    const now = this.elapsed();
    this.finished.push({ name: this.current, startMs: this.startedAt, endMs: now });
    this.current = phase;
    this.startedAt = now;
    this.endsAt = durationMs === null ? null : now + durationMs;
    this.emit({ type: 'phase', phase, transport: this.transport, elapsedMs: now, ...(detail ? { detail } : {}) });
  }

  /** 0..1 through a phase of planned length (0 when it has none). */
  progress(now = this.elapsed()): number {
    if (this.endsAt === null) return 0;
    return Math.min(1, (now - this.startedAt) / Math.max(1, this.endsAt - this.startedAt));
  }

  /** ms left in a phase of planned length, null when it has none. */
  remaining(now = this.elapsed()): number | null {
    return this.endsAt === null ? null : Math.max(0, this.endsAt - now);
  }

  /** Every phase so far with the current one closed now: the report's `phases`. */
  phases(): TransportReport['phases'] {
    return [...this.finished, { name: this.current, startMs: this.startedAt, endMs: this.elapsed() }];
  }
}
