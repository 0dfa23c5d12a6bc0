/**
 * Clock offsets between hosts, estimated through a common reference (Redis `TIME`): pure
 * arithmetic on samples another module takes (distributed/redis-time.ts).
 *
 * On one host every wsbench process reads the same CLOCK_MONOTONIC (metrics/clock.ts), so a
 * latency is exact. An agent on another host has its own monotonic clock with an unknown offset
 * and rate. Both the coordinator and the agent read the reference many times; each read is
 * bracketed by two local readings, which bounds *when* the reference was read:
 *
 *     local:      sent ────────────── received
 *     reference:          R (read somewhere in between, true value in [R, R + resolution))
 *
 * so the offset θ = reference − local lies in [R − received, R + resolution − sent]: a width of
 * the round trip plus the resolution, whatever the split between the two directions (an
 * asymmetric path moves the truth inside the interval, never out of it). The intervals of the
 * lowest-RTT samples are intersected (each widened for how far the clocks may drift apart
 * between it and the best sample), and the estimate is the middle of what is left, its error
 * bound half its width. The agent's offset to the coordinator is the difference of the two
 * offsets to the reference, its bound the sum of theirs. Re-estimates over time give the drift:
 * the slopes of every line that passes through all the intervals bound it; weighted least squares
 * picks the figure inside them.
 *
 * What the bounds assume (docs/distributed.md, "The clock model"): a monotonic clock's rate is
 * constant over the span of the estimates kept, differs from the reference's by at most
 * `maxDriftPpm`, and the reference does not step (Redis `TIME` is the Redis host's wall clock:
 * NTP may slew it, which is a rate; `settimeofday` would be a step). A broken assumption shows as
 * intervals that do not overlap: the result says `consistent: false` and widens its bound to all
 * the intervals instead of pretending.
 *
 * Sign conventions: an offset *to the reference* is reference − local (add it to a local reading
 * to get the reference's); an agent's offset *to the coordinator* (`AgentClock.offsetMs`, the
 * report's figure) is agent − coordinator: an agent whose clock is 250 ms ahead shows +250, and a
 * receipt time read on the agent becomes coordinator time by subtracting it.
 */

/** Redis `TIME` gives whole microseconds, truncated: the true time is up to 1 µs later. */
export const REDIS_TIME_RESOLUTION_MS = 0.001;

/**
 * Rates two monotonic clocks (or one and the reference) may differ by, when nothing better is
 * known: quartz oscillators are specified to ±100 ppm or better, NTP slews a clock by at most
 * 500 ppm; the sum, rounded up.
 */
export const DEFAULT_MAX_DRIFT_PPM = 600;

/** Processes on one host share CLOCK_MONOTONIC; metrics/clock.ts states < 1 µs between them. */
export const SAME_HOST_CLOCK_ERROR_MS = 0.001;

/** One read of the reference, bracketed by the local clock. */
export interface ReferenceSample {
  /** Local clock (ms) just before the request was written. */
  sentMs: number;
  /** The reference's reading (ms, from an epoch both sides agree on). */
  referenceMs: number;
  /** Local clock (ms) just after the reply was read. */
  receivedMs: number;
}

export interface EstimateOptions {
  /** The reference's resolution (ms): its true value lies in [reading, reading + resolution). */
  resolutionMs?: number;
  /** Share of the samples kept, lowest round trips first (at least one is kept). */
  keepFraction?: number;
  /** Rate difference assumed possible between the local clock and the reference. */
  maxDriftPpm?: number;
}

/** The offset of a local clock to the reference at one local instant. */
export interface OffsetEstimate {
  /** reference − local (ms). */
  offsetMs: number;
  /** The true offset at `atMs` is within offsetMs ± errorBoundMs (given the assumptions above). */
  errorBoundMs: number;
  /** Local time (ms) the estimate refers to: the middle of the best sample's round trip. */
  atMs: number;
  bestRttMs: number;
  samplesUsed: number;
  /** Samples given, the invalid ones (not finite, received before sent) included. */
  samplesTaken: number;
  /** False when the kept samples' intervals do not all overlap: an assumption did not hold. */
  consistent: boolean;
}

interface Interval {
  lo: number;
  hi: number;
}

/** Where the offset to the reference must lie, by one sample alone. */
function sampleInterval(s: ReferenceSample, resolutionMs: number): Interval {
  return { lo: s.referenceMs - s.receivedMs, hi: s.referenceMs + resolutionMs - s.sentMs };
}

function isValidSample(s: ReferenceSample): boolean {
  return Number.isFinite(s.sentMs) && Number.isFinite(s.referenceMs) && Number.isFinite(s.receivedMs) && s.receivedMs >= s.sentMs;
}

/** The offset to the reference from one window of samples; null when none of them is valid. */
export function estimateOffset(samples: readonly ReferenceSample[], options: EstimateOptions = {}): OffsetEstimate | null {
  const resolutionMs = options.resolutionMs ?? REDIS_TIME_RESOLUTION_MS;
  const keepFraction = options.keepFraction ?? 0.1;
  const maxDrift = (options.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM) * 1e-6;
  const valid = samples.filter(isValidSample).sort((a, b) => a.receivedMs - a.sentMs - (b.receivedMs - b.sentMs));
  const best = valid[0];
  if (!best) return null;
  const kept = valid.slice(0, Math.max(1, Math.ceil(valid.length * keepFraction)));
  const atMs = (best.sentMs + best.receivedMs) / 2;
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let hullLo = Number.POSITIVE_INFINITY;
  let hullHi = Number.NEGATIVE_INFINITY;
  for (const s of kept) {
    const { lo: sLo, hi: sHi } = sampleInterval(s, resolutionMs);
    // Referred to the best sample's instant, an older or newer sample's offset may have moved by
    // the drift over the time between them.
    const slack = maxDrift * Math.abs((s.sentMs + s.receivedMs) / 2 - atMs);
    lo = Math.max(lo, sLo - slack);
    hi = Math.min(hi, sHi + slack);
    hullLo = Math.min(hullLo, sLo - slack);
    hullHi = Math.max(hullHi, sHi + slack);
  }
  const consistent = lo <= hi;
  if (!consistent) {
    lo = hullLo;
    hi = hullHi;
  }
  return {
    offsetMs: (lo + hi) / 2,
    errorBoundMs: (hi - lo) / 2,
    atMs,
    bestRttMs: best.receivedMs - best.sentMs,
    samplesUsed: kept.length,
    samplesTaken: samples.length,
    consistent,
  };
}

export interface TrackOptions {
  /** Rate difference assumed possible between the local clock and the reference. */
  maxDriftPpm?: number;
}

/** The drift of a local clock against the reference, from estimates over time. */
export interface DriftEstimate {
  /** d(reference − local)/d(local) in parts per million: negative when the local clock runs fast. */
  driftPpm: number;
  /** The true drift is within driftPpm ± driftBoundPpm (given a constant rate over the estimates). */
  driftBoundPpm: number;
  /** False when no constant rate fits every estimate (or none within maxDriftPpm). */
  consistent: boolean;
}

/** [lowest, highest] slope (ms per ms) of a line through every estimate's interval; lo > hi when none exists. */
function feasibleSlopes(estimates: readonly OffsetEstimate[]): Interval {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i < estimates.length; i++) {
    for (let j = 0; j < estimates.length; j++) {
      const a = estimates[i]!;
      const b = estimates[j]!;
      const dt = b.atMs - a.atMs;
      if (dt <= 0) continue;
      hi = Math.min(hi, (b.offsetMs + b.errorBoundMs - (a.offsetMs - a.errorBoundMs)) / dt);
      lo = Math.max(lo, (b.offsetMs - b.errorBoundMs - (a.offsetMs + a.errorBoundMs)) / dt);
    }
  }
  return { lo, hi };
}

/** The slope range the track works with: the data's, within the assumed limit when they agree. */
function slopeRange(estimates: readonly OffsetEstimate[], maxDrift: number): Interval & { consistent: boolean } {
  const data = feasibleSlopes(estimates);
  if (data.lo > data.hi) return { lo: -maxDrift, hi: maxDrift, consistent: false };
  const lo = Math.max(data.lo, -maxDrift);
  const hi = Math.min(data.hi, maxDrift);
  // The data rules out every rate the assumption allows: believe the data, and say so.
  if (lo > hi) return { ...data, consistent: false };
  return { lo, hi, consistent: true };
}

/** Weighted least-squares slope (weights 1/bound²); null with fewer than two distinct instants. */
function leastSquaresSlope(estimates: readonly OffsetEstimate[]): number | null {
  let sw = 0;
  let st = 0;
  let so = 0;
  for (const e of estimates) {
    const w = 1 / Math.max(e.errorBoundMs, 1e-6) ** 2;
    sw += w;
    st += w * e.atMs;
    so += w * e.offsetMs;
  }
  const tMean = st / sw;
  const oMean = so / sw;
  let num = 0;
  let den = 0;
  for (const e of estimates) {
    const w = 1 / Math.max(e.errorBoundMs, 1e-6) ** 2;
    num += w * (e.atMs - tMean) * (e.offsetMs - oMean);
    den += w * (e.atMs - tMean) ** 2;
  }
  return den > 0 ? num / den : null;
}

/** The drift of the local clock against the reference from the estimates so far (one estimate: 0 ± the assumed limit). */
export function driftOf(estimates: readonly OffsetEstimate[], options: TrackOptions = {}): DriftEstimate {
  const maxDrift = (options.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM) * 1e-6;
  const range = slopeRange(estimates, maxDrift);
  const fitted = leastSquaresSlope(estimates) ?? 0;
  const slope = Math.min(Math.max(fitted, range.lo), range.hi);
  return {
    driftPpm: slope * 1e6,
    driftBoundPpm: Math.max(slope - range.lo, range.hi - slope) * 1e6,
    consistent: range.consistent && estimates.every((e) => e.consistent),
  };
}

/** The offset to the reference at any local instant (between, before or after the estimates). */
export interface OffsetAt {
  offsetMs: number;
  errorBoundMs: number;
  consistent: boolean;
}

/**
 * The offset to the reference at local time `atMs`: each estimate, carried to `atMs` by every
 * slope still possible, bounds it; the bounds are intersected. At an estimate's own instant the
 * bound is at most that estimate's; away from every estimate it grows with the drift's
 * uncertainty. Throws on an empty list (a caller's bug: there is nothing to say).
 */
export function offsetAt(estimates: readonly OffsetEstimate[], atMs: number, options: TrackOptions = {}): OffsetAt {
  if (estimates.length === 0) throw new RangeError('offsetAt needs at least one estimate');
  const maxDrift = (options.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM) * 1e-6;
  const range = slopeRange(estimates, maxDrift);
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let hullLo = Number.POSITIVE_INFINITY;
  let hullHi = Number.NEGATIVE_INFINITY;
  for (const e of estimates) {
    const dt = atMs - e.atMs;
    const low = e.offsetMs - e.errorBoundMs + Math.min(range.lo * dt, range.hi * dt);
    const high = e.offsetMs + e.errorBoundMs + Math.max(range.lo * dt, range.hi * dt);
    lo = Math.max(lo, low);
    hi = Math.min(hi, high);
    hullLo = Math.min(hullLo, low);
    hullHi = Math.max(hullHi, high);
  }
  const consistent = lo <= hi && range.consistent && estimates.every((e) => e.consistent);
  if (lo > hi) {
    lo = hullLo;
    hi = hullHi;
  }
  return { offsetMs: (lo + hi) / 2, errorBoundMs: (hi - lo) / 2, consistent };
}

/** An agent's clock as the report states it (`run.agents[].clock`). */
export interface AgentClock {
  /** `exact`: same host as the coordinator (one CLOCK_MONOTONIC); `estimated`: through the reference. */
  mode: 'exact' | 'estimated';
  /** Agent clock − coordinator clock (ms). */
  offsetMs: number;
  /** The true offset is within offsetMs ± errorBoundMs: every latency the agent measured is off by at most this. */
  errorBoundMs: number;
  /** How fast the agent's clock gains on the coordinator's, parts per million. */
  driftPpm: number;
  /** False when the estimates broke an assumption of the clock model (the bound was widened to cover them). */
  consistent: boolean;
}

/** An agent on the coordinator's host: one clock, nothing to estimate. */
export function sameHostClock(): AgentClock {
  return { mode: 'exact', offsetMs: 0, errorBoundMs: SAME_HOST_CLOCK_ERROR_MS, driftPpm: 0, consistent: true };
}

/**
 * The agent's offset to the coordinator at the agent's local instant `agentMs`, from each side's
 * estimates against the same reference: agent − coordinator = θ_coordinator − θ_agent at one
 * reference instant, bound = the sum of both bounds there.
 */
export function agentClock(
  agentEstimates: readonly OffsetEstimate[],
  coordinatorEstimates: readonly OffsetEstimate[],
  agentMs: number,
  options: TrackOptions = {},
): AgentClock {
  if (coordinatorEstimates.length === 0) throw new RangeError('agentClock needs at least one coordinator estimate');
  const agent = offsetAt(agentEstimates, agentMs, options);
  // The same instant on the coordinator's clock: reference time minus the coordinator's offset
  // (taken from its latest estimate; an error of e in that offset moves the instant by e, which
  // moves the coordinator's offset by drift × e: below a nanosecond for any bound here).
  const referenceMs = agentMs + agent.offsetMs;
  const latest = coordinatorEstimates.reduce((a, b) => (b.atMs > a.atMs ? b : a));
  const coordinator = offsetAt(coordinatorEstimates, referenceMs - latest.offsetMs, options);
  const agentDrift = driftOf(agentEstimates, options);
  const coordinatorDrift = driftOf(coordinatorEstimates, options);
  return {
    mode: 'estimated',
    offsetMs: coordinator.offsetMs - agent.offsetMs,
    errorBoundMs: agent.errorBoundMs + coordinator.errorBoundMs,
    driftPpm: coordinatorDrift.driftPpm - agentDrift.driftPpm,
    consistent: agent.consistent && coordinator.consistent,
  };
}

export interface LiveClockOptions extends TrackOptions {
  /** Estimates kept per side (the oldest dropped first): the span over which the rates are taken as constant. */
  keep?: number;
}

/**
 * The conversion an agent applies to its receipt times during a run, and the bound of what it
 * applied. Between two updates the agent converts with a line (offset and drift as known at the
 * last update): coordinator time = agent time − (offsetMs + driftPpm·10⁻⁶·(t − atMs)). Its error at
 * an instant is at most the distance from that line to the middle of the interval the estimates
 * allow there, plus half that interval. Past the last estimate both ends of the interval move
 * linearly with t, so that error is convex over the stretch and largest at one of its ends: each
 * update closes the previous stretch at the larger of the two (by what was known during it), and
 * the report's `errorBoundMs` is the largest over the run — the bound of what was recorded, not of
 * what is known afterwards.
 */
export class LiveClock {
  private agent: OffsetEstimate[] = [];
  private coordinator: OffsetEstimate[] = [];
  private line: { offsetMs: number; atMs: number; driftPpm: number } | null = null;
  private appliedMaxMs = 0;
  private recordingFromMs = Number.NEGATIVE_INFINITY;
  private consistent = true;

  constructor(private readonly options: LiveClockOptions = {}) {}

  /** New estimates (either side's, or both) at the agent's instant `agentMs`; returns the clock from now on. */
  update(estimates: { agent?: OffsetEstimate; coordinator?: readonly OffsetEstimate[] }, agentMs: number): AgentClock {
    if (this.line) this.appliedMaxMs = Math.max(this.appliedMaxMs, this.stretchBound(agentMs));
    const keep = this.options.keep ?? 30;
    if (estimates.agent) this.agent = [...this.agent, estimates.agent].slice(-keep);
    if (estimates.coordinator)
      this.coordinator = [...this.coordinator, ...estimates.coordinator].sort((a, b) => a.atMs - b.atMs).slice(-keep);
    const clock = this.clockAt(agentMs);
    this.line = { offsetMs: clock.offsetMs, atMs: agentMs, driftPpm: clock.driftPpm };
    this.consistent &&= clock.consistent;
    return clock;
  }

  /**
   * What is recorded from `agentMs` on is what the report's bound covers (the measured window):
   * the stretches before it, when the drift was still being learnt, no longer count.
   */
  measureFrom(agentMs: number): void {
    this.appliedMaxMs = 0;
    this.recordingFromMs = agentMs;
  }

  /** An agent reading converted to the coordinator's clock (the line of the last update). */
  toCoordinatorMs(agentMs: number): number {
    if (!this.line) throw new RangeError('LiveClock.toCoordinatorMs before the first update');
    return agentMs - this.lineAt(agentMs);
  }

  /** The run's clock as the report states it: the offset and drift now, the largest bound applied so far (this stretch included up to `agentMs`). */
  report(agentMs: number): AgentClock {
    if (!this.line) throw new RangeError('LiveClock.report before the first update');
    const now = this.clockAt(agentMs);
    return {
      mode: 'estimated',
      offsetMs: now.offsetMs,
      errorBoundMs: Math.max(this.appliedMaxMs, this.stretchBound(agentMs)),
      driftPpm: now.driftPpm,
      consistent: this.consistent && now.consistent,
    };
  }

  private clockAt(agentMs: number): AgentClock {
    return agentClock(this.agent, this.coordinator, agentMs, this.options);
  }

  private lineAt(agentMs: number): number {
    const line = this.line!;
    return line.offsetMs + line.driftPpm * 1e-6 * (agentMs - line.atMs);
  }

  /** The bound of the conversions applied since the last update, up to `agentMs` (the stretch's ends: see the class comment). */
  stretchBound(agentMs: number): number {
    if (!this.line || agentMs < this.recordingFromMs) return 0;
    return Math.max(this.errorOfLineAt(Math.max(this.line!.atMs, this.recordingFromMs)), this.errorOfLineAt(agentMs));
  }

  /** How far the applied line can be from the truth at `agentMs`, by what is known now. */
  private errorOfLineAt(agentMs: number): number {
    const best = this.clockAt(agentMs);
    return Math.abs(this.lineAt(agentMs) - best.offsetMs) + best.errorBoundMs;
  }
}
