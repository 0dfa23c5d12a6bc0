/**
 * Waiting until an instant on the monotonic clock without burning CPU and without the ~1 ms
 * lateness of timers: a timer gets close, then Atomics.wait (a futex with a sub-millisecond
 * timeout) blocks for the last stretch. Blocking the thread for ≤ `PRECISE_WINDOW_MS` at a time
 * keeps I/O flowing between waits.
 */
import type { CurveSegment } from '../config/load-shape.js';
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
 * A piecewise-linear curve over time (ms from its origin) with its integral and the integral's
 * inverse: the rate curve of a staged scenario. Values are per second, so the integral over ms is
 * a count. Pure arithmetic.
 *
 * Within a segment of length d ramping from a to b (per ms), the count after u ms is
 * N(u) = a·u + k·u², k = (b − a) / 2d; its inverse is taken in the form u = 2x / (a + √(a² + 4kx)),
 * which stays exact when a or k is 0. A ramp down is solved the same way from its end backwards,
 * so the square root never sees a difference of nearly equal numbers. A constant segment is
 * x · (1000 / rate), bit for bit what a constant schedule always computed.
 */
export class PiecewiseLinear {
  private readonly startsMs: number[] = [];
  /** The integral at each segment's start (and one past the last: the total). */
  private readonly counts: number[] = [0];
  readonly endMs: number;

  constructor(private readonly segments: readonly CurveSegment[]) {
    if (segments.length === 0) throw new RangeError('a curve needs at least one segment');
    let at = 0;
    for (const s of segments) {
      this.startsMs.push(at);
      at += s.durationMs;
      this.counts.push(this.counts[this.counts.length - 1]! + ((s.from + s.to) / 2) * (s.durationMs / 1000));
    }
    this.endMs = at;
  }

  /** The integral over the whole curve. */
  get total(): number {
    return this.counts[this.counts.length - 1]!;
  }

  /** The value at `ms` (before the start: the first value; after the end: the last). */
  valueAt(ms: number): number {
    const j = this.segmentAt(ms);
    const s = this.segments[j]!;
    const u = Math.min(Math.max(0, ms - this.startsMs[j]!), s.durationMs);
    return s.durationMs > 0 ? s.from + ((s.to - s.from) * u) / s.durationMs : s.to;
  }

  /** ∫₀^ms of the curve (per second × s): 0 before the start, extended at the last value after the end. */
  integralTo(ms: number): number {
    if (!(ms > 0)) return 0;
    const j = this.segmentAt(ms);
    const s = this.segments[j]!;
    const u = ms - this.startsMs[j]!;
    if (u >= s.durationMs) return this.counts[j + 1]! + (s.to / 1000) * (u - s.durationMs);
    const a = s.from / 1000;
    const k = (s.to - s.from) / 1000 / (2 * s.durationMs);
    return this.counts[j]! + a * u + k * u * u;
  }

  /**
   * The first time the integral reaches `n` (ms from the origin). Past the total it extends at the
   * last value (the end itself when that is 0).
   */
  timeOfIntegral(n: number): number {
    if (!(n > 0)) return 0;
    const counts = this.counts;
    const last = this.segments.length - 1;
    if (n > counts[last + 1]!) {
      const s = this.segments[last]!;
      return s.to > 0 ? this.endMs + (n - counts[last + 1]!) * (1000 / s.to) : this.endMs;
    }
    // The first segment whose end count reaches n (a plateau at 0 reaches nothing new).
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (counts[mid + 1]! >= n) hi = mid;
      else lo = mid + 1;
    }
    const s = this.segments[lo]!;
    const x = n - counts[lo]!;
    let u: number;
    if (s.from === s.to) u = x * (1000 / s.from);
    else if (s.to > s.from) u = rampTime(s.from / 1000, (s.to - s.from) / 1000 / (2 * s.durationMs), x);
    // A ramp down is solved from its end backwards (the same form, mirrored): forwards, a² + 4kx
    // would cancel towards a rate near 0 and the square root would magnify the rounding.
    else u = s.durationMs - rampTime(s.to / 1000, (s.from - s.to) / 1000 / (2 * s.durationMs), counts[lo + 1]! - n);
    return this.startsMs[lo]! + Math.min(u, s.durationMs);
  }

  /** The segment `ms` falls in (the first before the start, the last after the end). */
  private segmentAt(ms: number): number {
    const starts = this.startsMs;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The time a ramp starting at rate a (per ms) rising by 2k per ms takes to count x (k ≥ 0: no cancellation). */
function rampTime(a: number, k: number, x: number): number {
  if (!(x > 0)) return 0;
  const root = Math.sqrt(a * a + 4 * k * x);
  return (2 * x) / (a + root);
}

/** A constant rate as a curve: one endless segment (dueAt(i) = i · 1000 / rate exactly). */
export function constantRate(ratePerSec: number): CurveSegment[] {
  return [{ durationMs: Number.POSITIVE_INFINITY, from: ratePerSec, to: ratePerSec }];
}

/** The curve a schedule uses for `rate`: one constant segment when the rate never changes. */
function normalizedRate(rate: number | readonly CurveSegment[]): readonly CurveSegment[] {
  if (typeof rate === 'number') return constantRate(rate);
  const first = rate[0]?.from;
  return first !== undefined && first > 0 && rate.every((s) => s.from === first && s.to === first) ? constantRate(first) : rate;
}

/**
 * The open-loop schedule: message i is due when the integral of the rate curve from t0 reaches i
 * (with a constant rate: t0 + i / rate), whatever happened to earlier ones. Every consumer of the
 * schedule — the publisher thread, the workers' timelines, timeline assembly, client senders — reads
 * intended times through dueAt / dueCount / firstDueAtOrAfter, so they follow the same curve to the
 * bit (t0 and the curve travel as plain data).
 */
export class OpenLoopSchedule {
  readonly curve: PiecewiseLinear;

  constructor(
    readonly t0: number,
    rate: number | readonly CurveSegment[],
    readonly total: number,
  ) {
    this.curve = new PiecewiseLinear(normalizedRate(rate));
  }

  /** When message i is due (monotonic ms). */
  dueAt(i: number): number {
    return this.t0 + this.curve.timeOfIntegral(i);
  }

  /** Index one past the last message due by `now` (capped at total): exactly the i with dueAt(i) ≤ now. */
  dueCount(now: number): number {
    if (now < this.t0 || this.total === 0) return 0;
    let c = Math.min(this.total, Math.max(0, Math.floor(this.curve.integralTo(now - this.t0)) + 1));
    // The integral and its inverse may disagree in the last bit: dueAt decides.
    while (c < this.total && this.dueAt(c) <= now) c++;
    while (c > 0 && this.dueAt(c - 1) > now) c--;
    return c;
  }

  /** The first message due at or after `ms` (total when none is). */
  firstDueAtOrAfter(ms: number): number {
    if (ms <= this.t0) return 0;
    let i = Math.min(this.total, Math.max(0, Math.ceil(this.curve.integralTo(ms - this.t0))));
    while (i < this.total && this.dueAt(i) < ms) i++;
    while (i > 0 && this.dueAt(i - 1) >= ms) i--;
    return i;
  }

  /** The publish rate (per second) the curve asks for at monotonic `ms`. */
  rateAt(ms: number): number {
    return this.curve.valueAt(ms - this.t0);
  }

  get endsAt(): number {
    return this.dueAt(this.total - 1);
  }
}
