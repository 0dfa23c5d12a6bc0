/**
 * One transport's timeline from its parts, exactly: the workers' intervals (deliveries, fan-out
 * histograms, lost, errors, handshakes, connections, their load) added interval by interval with
 * results/timeline.ts mergeTimelines, then what only the coordinator knows laid on the same
 * intervals: the phase, the publishes intended in each, first/last recipient (min of the workers'
 * minimums, max of their maximums, per publish), the coordinator's own load and the publisher's
 * errors. Pure: the live intervals (snapshot-aggregator.ts) and the report's timeline
 * (report-builder.ts) are both made here.
 */
import { createHistogram, decodeHistogram, encodeHistogram } from '../metrics/histogram.js';
import { fanoutSpread, type PerPublishPart } from '../metrics/fanout-spread.js';
import type { LoadSample } from '../process/monitor.js';
import { intervalLatency, mergeTimelines } from '../results/timeline.js';
import type { ServerSample, Timeline, TimelineInterval, TransportReport } from '../results/types.js';
import { IntervalGrid, type IntendedTimes, type IntervalGridSpec } from './interval-grid.js';
import type { WorkerInterval } from './worker-messages.js';

/** What the coordinator measured itself in one interval (wall time). */
export interface CoordinatorInterval {
  /** Errors counted in the interval: the publisher's failed publishes. */
  errors: number;
  tool: LoadSample;
  /** The reference server near the interval's end (its /stats), when the target can tell. */
  server?: ServerSample;
}

/** The publisher's schedule as far as it went: message i was due at dueAt(i), `sent` of them were sent. */
export interface PublishedSchedule extends IntendedTimes {
  sent: number;
  warmup: number;
}

export interface AssemblyInput {
  grid: IntervalGridSpec;
  /** Interval indices covered, inclusive. */
  first: number;
  last: number;
  phases: TransportReport['phases'];
  /** Each worker's intervals (any order; indices in range). */
  workers: readonly (readonly WorkerInterval[])[];
  /** Each worker's connections open before its first interval in range (live: where it left off). */
  openBefore?: readonly number[];
  coordinator: ReadonlyMap<number, CoordinatorInterval>;
  /** Null until publishing started. */
  schedule: PublishedSchedule | null;
  /** Recipients per publish for first/last: every worker's arrays, from sequence `from` (0: whole arrays). */
  perPublish: { from: number; parts: readonly PerPublishPart[] } | null;
  /** Clients subscribed to each channel (owed every message on it). */
  openedPerChannel: readonly number[];
  /** Live: lost is what was owed and had not arrived when the interval closed (the workers' ledgers count it at the end). */
  lostSoFar?: boolean;
  /**
   * Live, when the load changes: deliveries owed of each interval's messages (the workers' sum,
   * from their clients' windows), instead of every publish times the clients open at the start.
   */
  owed?: ReadonlyMap<number, number>;
}

let emptyEncoded: string | null = null;
/** The encoding of an empty histogram (made once). */
export function emptyHistogram(): string {
  return (emptyEncoded ??= encodeHistogram(createHistogram()));
}

/** The phase at `startMs`: the one it falls in; before the first, the first; after the last, the last. */
export function phaseAt(phases: TransportReport['phases'], startMs: number): string {
  if (phases.length === 0) return 'connecting';
  for (const p of phases) if (startMs >= p.startMs && startMs < p.endMs) return p.name;
  return startMs < phases[0]!.startMs ? phases[0]!.name : phases[phases.length - 1]!.name;
}

/** Deliveries owed for the first `publishes` publishes (round-robin over channels) to `openedPerChannel` clients. */
export function deliveriesOwed(publishes: number, openedPerChannel: readonly number[]): number {
  const channelCount = openedPerChannel.length;
  let total = 0;
  for (let c = 0; c < channelCount; c++) {
    const onChannel = Math.floor(publishes / channelCount) + (c < publishes % channelCount ? 1 : 0);
    total += onChannel * (openedPerChannel[c] ?? 0);
  }
  return total;
}

/** The timeline over [first, last], one interval per index (not coarsened: see coarsenTimeline). */
export function assembleTimeline(input: AssemblyInput): Timeline {
  const grid = new IntervalGrid(input.grid);
  const startOf = (index: number) => grid.startMs(index);
  const parts = input.workers.map((intervals, w) => workerPart(intervals, input, input.openBefore?.[w] ?? 0, startOf));
  const merged =
    parts.length > 0 ? mergeTimelines(parts, 'concurrent', Number.MAX_SAFE_INTEGER) : { intervalMs: grid.lengthMs, intervals: [] };
  const byStart = new Map(merged.intervals.map((i) => [Math.round(i.startMs / grid.lengthMs), i]));
  const intervals: TimelineInterval[] = [];
  for (let k = input.first; k <= input.last; k++) {
    let workers = byStart.get(k) ?? emptyInterval(startOf(k), phaseAt(input.phases, startOf(k)));
    // Only one worker had this interval: the merge left its placeholder figures (see workerPart).
    if (workers.fanoutLatencyMs.count === NOT_READ)
      workers = { ...workers, fanoutLatencyMs: intervalLatency(decodeHistogram(workers.histogram)) };
    intervals.push(withCoordinator(workers, k, grid, input));
  }
  return { intervalMs: grid.lengthMs, intervals };
}

function emptyInterval(startMs: number, phase: string): TimelineInterval {
  return {
    startMs,
    phase,
    connectionsOpen: 0,
    publishes: 0,
    deliveries: 0,
    lost: 0,
    expected: 0,
    notOwed: 0,
    unpublished: 0,
    errors: 0,
    fanoutLatencyMs: intervalLatency(createHistogram()),
    histogram: emptyHistogram(),
    tool: { cpuPercent: 0, eventLoopDelayP99Ms: 0 },
  };
}

/**
 * One worker's intervals in range as a Timeline. Where it sent nothing its connections open are
 * carried from the interval before (a worker that had not started yet: none), so they add up.
 */
function workerPart(
  intervals: readonly WorkerInterval[],
  input: AssemblyInput,
  openBefore: number,
  startOf: (k: number) => number,
): Timeline {
  const byIndex = new Map(intervals.map((i) => [i.index, i]));
  const out: TimelineInterval[] = [];
  let open = openBefore;
  for (let k = input.first; k <= input.last; k++) {
    const startMs = startOf(k);
    const phase = phaseAt(input.phases, startMs);
    const w = byIndex.get(k);
    if (!w) {
      if (open !== 0) out.push({ ...emptyInterval(startMs, phase), connectionsOpen: open });
      continue;
    }
    open = w.connectionsOpen;
    const histogram = w.fanout ?? emptyHistogram();
    out.push({
      startMs,
      phase,
      connectionsOpen: w.connectionsOpen,
      publishes: 0,
      deliveries: w.deliveries,
      lost: input.lostSoFar ? 0 : w.lost,
      expected: 0,
      notOwed: input.lostSoFar ? 0 : w.notOwed,
      unpublished: input.lostSoFar ? 0 : w.unpublished,
      errors: w.errors,
      // Read from the histogram once, after the merge (which reads the sums of several anyway).
      fanoutLatencyMs: w.fanout ? UNREAD_LATENCY : intervalLatency(createHistogram()),
      histogram,
      ...(w.connect ? { connect: w.connect } : {}),
      ...(w.echo ? { echo: w.echo } : {}),
      ...(w.upstream ? { upstream: w.upstream } : {}),
      tool: w.tool,
    });
  }
  return { intervalMs: input.grid.lengthMs, intervals: out };
}

/** Marks interval figures not read from their histogram yet. */
const NOT_READ = -1;
const UNREAD_LATENCY: TimelineInterval['fanoutLatencyMs'] = { count: NOT_READ, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };

/** The coordinator's figures laid on interval k of the workers' sum. */
function withCoordinator(merged: TimelineInterval, k: number, grid: IntervalGrid, input: AssemblyInput): TimelineInterval {
  const own = input.coordinator.get(k);
  const startMs = grid.startMs(k);
  let publishes = 0;
  let owed = 0;
  let recipientHistograms: TimelineInterval['recipientHistograms'];
  const schedule = input.schedule;
  if (schedule) {
    const { from, to } = grid.sequencesIn(k, schedule);
    const sentTo = Math.min(to, schedule.sent);
    publishes = Math.max(0, sentTo - from);
    owed =
      publishes > 0
        ? (input.owed?.get(k) ?? deliveriesOwed(sentTo, input.openedPerChannel) - deliveriesOwed(from, input.openedPerChannel))
        : 0;
    const measuredFrom = Math.max(from, schedule.warmup);
    if (input.perPublish && sentTo > measuredFrom) {
      const offset = input.perPublish.from;
      const spread = fanoutSpread(
        input.perPublish.parts,
        measuredFrom - offset,
        sentTo - offset,
        (i) => input.openedPerChannel[(i + offset) % input.openedPerChannel.length] ?? 0,
      );
      if (spread.first.totalCount > 0) recipientHistograms = { first: encodeHistogram(spread.first), last: encodeHistogram(spread.last) };
    }
  }
  const tool = own
    ? {
        cpuPercent: Math.max(merged.tool.cpuPercent, own.tool.cpuPercent),
        eventLoopDelayP99Ms: Math.max(merged.tool.eventLoopDelayP99Ms, own.tool.eventLoopDelayP99Ms),
      }
    : merged.tool;
  const lost = input.lostSoFar ? Math.max(0, owed - merged.deliveries) : merged.lost;
  const notOwed = merged.notOwed ?? 0;
  const unpublished = merged.unpublished ?? 0;
  return {
    ...merged,
    startMs,
    phase: phaseAt(input.phases, startMs),
    publishes,
    lost,
    // The ledger's identity per interval (live: what had arrived and what had not when it closed).
    expected: merged.deliveries + lost + notOwed + unpublished,
    notOwed,
    unpublished,
    errors: merged.errors + (own?.errors ?? 0),
    ...(recipientHistograms ? { recipientHistograms } : {}),
    tool,
    ...(own?.server ? { server: own.server } : {}),
  };
}
