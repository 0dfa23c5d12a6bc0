/**
 * Timelines for reporter tests.
 *
 * `timelineFrom` builds one from explicit per-interval samples (unit tests); real runs carry the
 * engine's own.
 */
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../../src/metrics/histogram.js';
import { intervalLatency } from '../../src/results/timeline.js';
import type { Timeline } from '../../src/results/types.js';

export interface IntervalSamples {
  startMs: number;
  phase?: string;
  fanoutMs?: number[];
  firstMs?: number[];
  lastMs?: number[];
  connectMs?: number[];
  /** Client senders' own copies (echo latency). */
  echoMs?: number[];
  open?: number;
  publishes?: number;
  lost?: number;
  errors?: number;
  cpu?: number;
  eventLoopMs?: number;
}

function histogramOf(samples: readonly number[]): Histogram {
  const h = createHistogram();
  for (const ms of samples) recordMs(h, ms);
  return h;
}

export function timelineFrom(intervals: readonly IntervalSamples[], intervalMs = 1000): Timeline {
  return {
    intervalMs,
    intervals: intervals.map((s) => {
      const fanout = histogramOf(s.fanoutMs ?? []);
      return {
        startMs: s.startMs,
        phase: s.phase ?? 'publishing',
        connectionsOpen: s.open ?? 0,
        publishes: s.publishes ?? 0,
        deliveries: fanout.totalCount,
        lost: s.lost ?? 0,
        errors: s.errors ?? 0,
        fanoutLatencyMs: intervalLatency(fanout),
        histogram: encodeHistogram(fanout),
        ...(s.firstMs || s.lastMs
          ? {
              recipientHistograms: {
                first: encodeHistogram(histogramOf(s.firstMs ?? [])),
                last: encodeHistogram(histogramOf(s.lastMs ?? [])),
              },
            }
          : {}),
        ...(s.connectMs ? { connect: { count: s.connectMs.length, histogram: encodeHistogram(histogramOf(s.connectMs)) } } : {}),
        ...(s.echoMs ? { echo: { count: s.echoMs.length, histogram: encodeHistogram(histogramOf(s.echoMs)) } } : {}),
        tool: { cpuPercent: s.cpu ?? 0, eventLoopDelayP99Ms: s.eventLoopMs ?? 0 },
      };
    }),
  };
}
