/**
 * The timeline's grid: intervals of one length laid from the run's start on the monotonic clock,
 * the same for the coordinator and every worker (plain numbers in the plans). Interval k covers
 * monotonic [origin + k·length, origin + (k+1)·length) and starts at k·length ms on the report's
 * axis (ms since run start, the axis of phases and incidents). Pure.
 *
 * Two times are put on the grid, always with `indexOf`, so they agree to the last bit:
 * - a message's *intended publish time* (the stamp's, equal to OpenLoopSchedule.dueAt(seq)):
 *   deliveries, lost, publishes, first/last recipient;
 * - wall time (monotonicMs() when it happened): errors, handshakes, connections open, the tool's load.
 */
import type { Scenario } from '../config/resolve.js';
import { timelineIntervalMs } from '../results/timeline.js';

/** Plain data: travels in worker plans. */
export interface IntervalGridSpec {
  /** monotonicMs() of the run's start (time 0 of the report's axis). */
  originMs: number;
  /** Length of an interval, ms. */
  lengthMs: number;
}

/** Something with intended times by sequence number: OpenLoopSchedule. */
export interface IntendedTimes {
  readonly total: number;
  dueAt(seq: number): number;
}

export class IntervalGrid {
  readonly originMs: number;
  readonly lengthMs: number;

  constructor(spec: IntervalGridSpec) {
    this.originMs = spec.originMs;
    this.lengthMs = spec.lengthMs;
  }

  /** The interval a monotonic time falls in (negative before the run's start). */
  indexOf(monotonicMs: number): number {
    return Math.floor((monotonicMs - this.originMs) / this.lengthMs);
  }

  /** Start of interval k on the report's axis (ms since run start). */
  startMs(index: number): number {
    return index * this.lengthMs;
  }

  /** Monotonic time at which interval k ends. */
  endsAt(index: number): number {
    return this.originMs + (index + 1) * this.lengthMs;
  }

  /**
   * Intervals closed for live reporting at monotonic `now`: every k below the returned index has
   * ended at least `graceMs` ago, so what was due in it has had that long to arrive.
   */
  closedBefore(now: number, graceMs: number): number {
    return this.indexOf(now - graceMs);
  }

  /**
   * The sequence numbers [from, to) whose intended time falls in interval k (binary search with
   * indexOf itself, so a publish and its deliveries always land in the same interval).
   */
  sequencesIn(index: number, schedule: IntendedTimes): { from: number; to: number } {
    return { from: this.firstSequenceAtOrAfter(index, schedule), to: this.firstSequenceAtOrAfter(index + 1, schedule) };
  }

  private firstSequenceAtOrAfter(index: number, schedule: IntendedTimes): number {
    let lo = 0;
    let hi = schedule.total;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.indexOf(schedule.dueAt(mid)) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Spans a transport's run may have besides warm-up, publishing, drain and ramp-up: handshakes, readiness, closing. */
const EXPECTED_OVERHEAD_MS = 10_000;

/**
 * The interval length for one transport of `scenario`: `report.interval`, doubled by the rule of
 * results/timeline.ts until the expected span of the transport's run fits in the timeline's bound.
 * A run that turns out longer is coarsened when its report is assembled (exactly).
 */
export function plannedIntervalMs(scenario: Pick<Scenario, 'report' | 'clients' | 'warmup' | 'publish' | 'drain'>): number {
  const span = scenario.clients.rampUp + scenario.warmup + scenario.publish.duration + scenario.drain + EXPECTED_OVERHEAD_MS;
  return timelineIntervalMs(scenario.report.interval, span);
}
