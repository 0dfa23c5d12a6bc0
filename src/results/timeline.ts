/**
 * Timelines (results over time) as pure functions: the interval-length rule that keeps a long run
 * small, coarsening (merging neighbouring intervals), and merging the timelines of workers, agents
 * and `--repeat` runs. Every merge is exact for latencies: encoded histograms are added and the
 * percentiles read again from the sum, never averaged. The engine calls these; the reporters read
 * their results.
 */
import { createHistogram, decodeHistogram, encodeHistogram, summarizeMs, type Histogram } from '../metrics/histogram.js';
import type { IntervalLatency, ServerSample, Timeline, TimelineInterval } from './types.js';
import { WsbenchError } from '../errors.js';
import { round3 } from '../metrics/rounding.js';

/** A timeline keeps at most this many intervals: a 16-minute run stays at 1 s, an hour becomes 4 s. */
export const MAX_TIMELINE_INTERVALS = 1000;

/** `report.interval` when the scenario does not say. */
export const DEFAULT_INTERVAL_MS = 1000;

/** The shortest `report.interval` a scenario may ask for (each worker samples its load once per interval). */
export const MIN_REPORT_INTERVAL_MS = 100;

/**
 * The interval length for a timeline spanning `spanMs`: the requested length, doubled until the
 * span fits in `maxIntervals` intervals. Doubling (rather than any multiple) keeps every length a
 * run can end up with a power-of-two multiple of the requested one, so timelines of workers, agents
 * and repeated runs of one scenario can always be brought to a common length exactly.
 */
export function timelineIntervalMs(requestedMs: number, spanMs: number, maxIntervals = MAX_TIMELINE_INTERVALS): number {
  if (!(requestedMs > 0) || !Number.isFinite(requestedMs)) throw new RangeError(`interval length must be positive, got ${requestedMs}`);
  if (!(maxIntervals >= 1)) throw new RangeError(`maxIntervals must be at least 1, got ${maxIntervals}`);
  let length = requestedMs;
  while (Math.ceil(Math.max(0, spanMs) / length) > maxIntervals) length *= 2;
  return length;
}

/** From the start of the first interval to the end of the last, ms (0 for an empty timeline). */
export function timelineSpanMs(timeline: Timeline): number {
  const first = timeline.intervals[0];
  const last = timeline.intervals[timeline.intervals.length - 1];
  return first && last ? last.startMs + timeline.intervalMs - first.startMs : 0;
}

/** The interval latency figures of a histogram of µs (all zero when it is empty). */
export function intervalLatency(histogram: Histogram): IntervalLatency {
  const { count, p50, p90, p99, p999, max } = summarizeMs(histogram);
  return { count, p50, p90, p99, p999, max };
}

/**
 * Merges neighbouring intervals until at most `maxIntervals` remain (see timelineIntervalMs):
 * groups of 2^k consecutive intervals counted from the first one become one interval. Returns the
 * timeline itself when it already fits.
 */
export function coarsenTimeline(timeline: Timeline, maxIntervals = MAX_TIMELINE_INTERVALS): Timeline {
  const length = timelineIntervalMs(timeline.intervalMs, timelineSpanMs(timeline), maxIntervals);
  if (length === timeline.intervalMs) return timeline;
  return regroup(timeline, length, timeline.intervals[0]!.startMs);
}

/**
 * How timelines being merged relate in time:
 * - `concurrent`: parts of one run on one axis (workers, remote agents): interval k of each part
 *   covers the same moment; connections open add up.
 * - `sequential`: runs of one scenario one after another (`--repeat`): each run's intervals are
 *   counted from its own first interval and laid on the first run's axis, and every count is the
 *   **per-run mean** (perRunMeans), like the merged report's totals (results/merge.ts): the
 *   intervals' deliveries still add up to the merged `delivery.delivered`, and a chart of them
 *   shows the scenario's rate, not N times it.
 */
export type TimelineMergeMode = 'concurrent' | 'sequential';

/**
 * Exact merge of timelines. Every part is first brought to the longest interval length among them
 * (which must be a whole multiple of each part's length: true for timelines of one scenario, see
 * timelineIntervalMs), then intervals at the same place are added: counts summed, histograms added
 * and percentiles read again, the tool's figures the busiest. The result is coarsened to at most
 * `maxIntervals`; for `sequential` parts its counts are then divided into per-run means.
 */
export function mergeTimelines(parts: readonly Timeline[], mode: TimelineMergeMode, maxIntervals = MAX_TIMELINE_INTERVALS): Timeline {
  if (parts.length === 0) throw new WsbenchError('INTERNAL', 'mergeTimelines: no timelines');
  if (parts.length === 1) return coarsenTimeline(parts[0]!, maxIntervals);
  const length = Math.max(...parts.map((p) => p.intervalMs));
  for (const p of parts) {
    if (!isWholeMultiple(length, p.intervalMs))
      throw new WsbenchError('INTERNAL', `mergeTimelines: interval lengths ${p.intervalMs} ms and ${length} ms cannot be merged exactly`);
  }
  const nonEmpty = parts.filter((p) => p.intervals.length > 0);
  if (nonEmpty.length === 0) return { intervalMs: length, intervals: [] };
  const axisStart = Math.min(...nonEmpty.map((p) => p.intervals[0]!.startMs));
  const firstStart = nonEmpty[0]!.intervals[0]!.startMs;
  const buckets = new Map<number, TimelineInterval[]>();
  for (const part of nonEmpty) {
    const origin = mode === 'concurrent' ? axisStart : part.intervals[0]!.startMs;
    if (mode === 'concurrent') {
      for (const i of part.intervals) {
        if (!isWholeMultiple(i.startMs - origin, part.intervalMs))
          throw new WsbenchError(
            'INTERNAL',
            `mergeTimelines: an interval at ${i.startMs} ms is not on the ${part.intervalMs} ms grid of the other parts`,
          );
      }
    }
    for (const interval of regroup(part, length, origin).intervals) {
      const key = Math.round((interval.startMs - origin) / length);
      const list = buckets.get(key) ?? [];
      list.push(interval);
      buckets.set(key, list);
    }
  }
  const base = mode === 'concurrent' ? axisStart : firstStart;
  const intervals = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([key, same]) => combine(same, base + key * length, 'add'));
  // Sums first (coarsening adds whole counts exactly), the division into means last.
  const summed = coarsenTimeline({ intervalMs: length, intervals }, maxIntervals);
  return mode === 'concurrent' ? summed : perRunMeans(summed, parts.length);
}

/**
 * A timeline of `runs` runs' summed intervals as per-run means, the scale of a merged report's
 * totals (results/merge.ts): `publishes`, `deliveries`, `lost` and `errors` become their sum ÷
 * `runs` in thousandths, shared out so they still add up exactly to the merged totals
 * (perRunShares); `connectionsOpen` is the mean over the runs at that moment of each (a run that had
 * ended, or had nothing there, counts 0). What comes from histograms keeps every run's samples:
 * `histogram` and `fanoutLatencyMs` (its count adds up to the merged `fanoutLatencyMs.count`, which
 * is also every run's), `recipientHistograms` and `connect`. The tool's figures stay the busiest run's.
 */
export function perRunMeans(timeline: Timeline, runs: number): Timeline {
  if (!(Number.isInteger(runs) && runs >= 1)) throw new RangeError(`runs must be a whole number ≥ 1, got ${runs}`);
  if (runs === 1) return timeline;
  const share = (f: (i: TimelineInterval) => number) => perRunShares(timeline.intervals.map(f), runs);
  const publishes = share((i) => i.publishes);
  const deliveries = share((i) => i.deliveries);
  const lost = share((i) => i.lost);
  const errors = share((i) => i.errors);
  return {
    intervalMs: timeline.intervalMs,
    intervals: timeline.intervals.map((i, k) => ({
      ...i,
      connectionsOpen: round3(i.connectionsOpen / runs),
      publishes: publishes[k]!,
      deliveries: deliveries[k]!,
      lost: lost[k]!,
      errors: errors[k]!,
    })),
  };
}

/**
 * `sums` ÷ `runs`, in thousandths, with the rounding shared out so the shares add up to the total's
 * own mean (Σ sums ÷ runs, rounded to the thousandth as round3 rounds the report's means): each share
 * is its exact value rounded down, and the thousandths left over go one each to the largest
 * remainders (the earliest first on ties). Rounding each one on its own could miss the total by up
 * to half a thousandth per interval.
 */
export function perRunShares(sums: readonly number[], runs: number): number[] {
  const milli = sums.map((s) => Math.round(s * 1000));
  const target = Math.round(milli.reduce((a, b) => a + b, 0) / runs);
  const shares = milli.map((m) => Math.floor(m / runs));
  let left = target - shares.reduce((a, b) => a + b, 0);
  // Remainders as whole thousandths × runs, so equal ones compare equal.
  const byRemainder = milli
    .map((m, k) => ({ k, remainder: m - shares[k]! * runs }))
    .filter((x) => x.remainder > 0)
    .sort((a, b) => b.remainder - a.remainder || a.k - b.k);
  for (const { k } of byRemainder) {
    if (left <= 0) break;
    shares[k] = shares[k]! + 1;
    left--;
  }
  return shares.map((s) => s / 1000);
}

/** Re-buckets a timeline into intervals of `length` (a whole multiple of its own) counted from `origin`. */
function regroup(timeline: Timeline, length: number, origin: number): Timeline {
  if (length === timeline.intervalMs) return timeline;
  if (!isWholeMultiple(length, timeline.intervalMs))
    throw new WsbenchError('INTERNAL', `interval length ${length} ms is not a whole multiple of ${timeline.intervalMs} ms`);
  const groups = new Map<number, TimelineInterval[]>();
  for (const interval of timeline.intervals) {
    // The small epsilon keeps an interval that starts exactly on a boundary out of the group before it.
    const key = Math.floor((interval.startMs - origin) / length + 1e-9);
    const list = groups.get(key) ?? [];
    list.push(interval);
    groups.set(key, list);
  }
  const intervals = [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([key, neighbours]) => combine(neighbours, origin + key * length, 'last', 'mean'));
  return { intervalMs: length, intervals };
}

/**
 * One interval from several covering the same time (or neighbours in one group):
 * - connections open: `add` (parts at the same moment: concurrent parts, or repeated runs before
 *   perRunMeans divides them) or `last` (neighbours: open at the end of the group);
 * - tool CPU: the highest (different processes or runs) or the mean (neighbours of equal length:
 *   the time average); event-loop delay p99: always the worst (a p99 of p99s does not exist).
 */
function combine(
  intervals: readonly TimelineInterval[],
  startMs: number,
  connections: 'add' | 'last',
  cpu: 'max' | 'mean' = 'max',
): TimelineInterval {
  const ordered = [...intervals].sort((a, b) => a.startMs - b.startMs);
  const first = ordered[0]!;
  if (ordered.length === 1) return { ...first, startMs };
  const sum = (f: (i: TimelineInterval) => number) => ordered.reduce((a, i) => a + f(i), 0);
  const histogram = addEncoded(ordered.map((i) => i.histogram));
  const withRecipients = ordered.filter((i) => i.recipientHistograms);
  const withConnect = ordered.filter((i) => i.connect);
  const withEcho = ordered.filter((i) => i.echo);
  const withUpstream = ordered.filter((i) => i.upstream);
  const cpus = ordered.map((i) => i.tool.cpuPercent);
  return {
    startMs,
    phase: first.phase,
    connectionsOpen: connections === 'add' ? sum((i) => i.connectionsOpen) : ordered[ordered.length - 1]!.connectionsOpen,
    publishes: sum((i) => i.publishes),
    deliveries: sum((i) => i.deliveries),
    lost: sum((i) => i.lost),
    ...(ordered.some((i) => i.expected !== undefined)
      ? {
          expected: sum((i) => i.expected ?? 0),
          notOwed: sum((i) => i.notOwed ?? 0),
          unpublished: sum((i) => i.unpublished ?? 0),
        }
      : {}),
    errors: sum((i) => i.errors),
    fanoutLatencyMs: intervalLatency(histogram),
    histogram: encodeHistogram(histogram),
    ...(withRecipients.length > 0
      ? {
          recipientHistograms: {
            first: encodeHistogram(addEncoded(withRecipients.map((i) => i.recipientHistograms!.first))),
            last: encodeHistogram(addEncoded(withRecipients.map((i) => i.recipientHistograms!.last))),
          },
        }
      : {}),
    ...(withConnect.length > 0
      ? {
          connect: {
            count: withConnect.reduce((a, i) => a + i.connect!.count, 0),
            histogram: encodeHistogram(addEncoded(withConnect.map((i) => i.connect!.histogram))),
          },
        }
      : {}),
    ...(withEcho.length > 0
      ? {
          echo: {
            count: withEcho.reduce((a, i) => a + i.echo!.count, 0),
            histogram: encodeHistogram(addEncoded(withEcho.map((i) => i.echo!.histogram))),
          },
        }
      : {}),
    ...(withUpstream.length > 0
      ? {
          upstream: {
            sent: withUpstream.reduce((a, i) => a + i.upstream!.sent, 0),
            sendFailures: withUpstream.reduce((a, i) => a + i.upstream!.sendFailures, 0),
            unsent: withUpstream.reduce((a, i) => a + (i.upstream!.unsent ?? 0), 0),
            bufferedAmountBytes: { max: Math.max(...withUpstream.map((i) => i.upstream!.bufferedAmountBytes.max)) },
          },
        }
      : {}),
    tool: {
      cpuPercent: cpu === 'max' ? Math.max(...cpus) : round1(cpus.reduce((a, b) => a + b, 0) / cpus.length),
      eventLoopDelayP99Ms: Math.max(...ordered.map((i) => i.tool.eventLoopDelayP99Ms)),
    },
    ...serverOf(ordered, connections === 'last' ? 'last' : 'max'),
  };
}

/**
 * The server's figures of several intervals: neighbours keep the latest sample (the server at the
 * group's end, like connections open); runs or parts side by side keep the highest of each figure.
 */
function serverOf(ordered: readonly TimelineInterval[], how: 'last' | 'max'): Pick<TimelineInterval, 'server'> {
  const samples = ordered.flatMap((i) => (i.server ? [i.server] : []));
  if (samples.length === 0) return {};
  if (how === 'last') return { server: samples[samples.length - 1]! };
  const max = (f: (s: ServerSample) => number) => Math.max(...samples.map(f));
  return {
    server: {
      rssBytes: max((s) => s.rssBytes),
      heapUsedBytes: max((s) => s.heapUsedBytes),
      bufferedBytes: max((s) => s.bufferedBytes),
      maxClientBufferedBytes: max((s) => s.maxClientBufferedBytes),
      slowClientsDropped: max((s) => s.slowClientsDropped),
    },
  };
}

function addEncoded(encoded: readonly string[]): Histogram {
  const sum = createHistogram();
  for (const one of encoded) sum.add(decodeHistogram(one));
  return sum;
}

function isWholeMultiple(value: number, unit: number): boolean {
  const ratio = value / unit;
  return Math.abs(ratio - Math.round(ratio)) < 1e-6;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
