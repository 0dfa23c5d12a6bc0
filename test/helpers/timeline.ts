/**
 * Timelines for reporter tests.
 *
 * `timelineFrom` builds one from explicit per-interval samples (unit tests). `dealtTimeline` gives
 * a real run's report a timeline until the engine writes one (issue 15's engine part): it is built
 * from that run's own measurements by a fixed rule, so the renderers and the .hlog are exercised
 * with real values and real totals, but *where in time* a value lands is this rule's choice, not a
 * measurement. Tests that use it test the readers of timelines, never the timing of a run.
 */
import type { JsHistogram } from 'hdr-histogram-js';
import { createHistogram, decodeHistogram, encodeHistogram, recordMs, type Histogram } from '../../src/metrics/histogram.js';
import { intervalLatency } from '../../src/results/timeline.js';
import type { Timeline, TimelineInterval, TransportReport } from '../../src/results/types.js';

export interface IntervalSamples {
  startMs: number;
  phase?: string;
  fanoutMs?: number[];
  firstMs?: number[];
  lastMs?: number[];
  connectMs?: number[];
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
        tool: { cpuPercent: s.cpu ?? 0, eventLoopDelayP99Ms: s.eventLoopMs ?? 0 },
      };
    }),
  };
}

/** Every recorded value of an encoded histogram (µs), smallest first, once per count. */
function recordedValuesUs(encoded: string): number[] {
  const h = decodeHistogram(encoded) as unknown as JsHistogram;
  const out: number[] = [];
  const it = h.recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    for (let k = 0; k < v.countAtValueIteratedTo; k++) out.push(v.valueIteratedTo);
  }
  return out;
}

/** Deals values round-robin into `n` histograms (value k goes to histogram k mod n). */
function deal(valuesUs: readonly number[], n: number): Histogram[] {
  const out = Array.from({ length: n }, () => createHistogram());
  valuesUs.forEach((us, k) => out[k % n]!.recordValue(us));
  return out;
}

/** `n` split into `parts` whole shares that add up to it (the first ones get the remainder). */
function shares(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(n / parts) + (k < n % parts ? 1 : 0));
}

/**
 * The dealing rule, on 1 s intervals from the transport's first phase to its last:
 * - each interval's phase is the phase its start falls in;
 * - the run's fan-out, first- and last-recipient latencies (every value of its histograms) are dealt
 *   round-robin, smallest first, over the publishing intervals, so interval counts add up to the
 *   report's counts exactly;
 * - its connect latencies over the connecting intervals, connections open growing with them, then
 *   `connections.opened` until closing (0 there);
 * - publishes and deliveries split evenly over the warm-up and publishing intervals; lost in the
 *   last publishing interval; errors in the last interval; the tool's figures the run's own.
 */
export function dealtTimeline(t: TransportReport): Timeline {
  const intervalMs = 1000;
  const startMs = Math.min(...t.phases.map((p) => p.startMs));
  const endMs = Math.max(...t.phases.map((p) => p.endMs));
  const phaseAt = (ms: number) => t.phases.find((p) => ms >= p.startMs && ms < p.endMs)?.name ?? t.phases[t.phases.length - 1]!.name;
  const count = Math.max(1, Math.ceil((endMs - startMs) / intervalMs));
  const starts = Array.from({ length: count }, (_, k) => startMs + k * intervalMs);
  const phases = starts.map(phaseAt);
  const indexes = (names: string[]) => starts.flatMap((_, k) => (names.includes(phases[k]!) ? [k] : []));
  const publishing = indexes(['publishing']);
  const sending = indexes(['warmup', 'publishing']);
  const connecting = indexes(['connecting']);
  if (publishing.length === 0) throw new Error('dealtTimeline: no interval starts in the publishing phase');
  const connectSlots = connecting.length > 0 ? connecting : [0];

  const fanout = deal(recordedValuesUs(t.histograms.fanout), publishing.length);
  const first = deal(recordedValuesUs(t.histograms.firstRecipient), publishing.length);
  const last = deal(recordedValuesUs(t.histograms.lastRecipient), publishing.length);
  const connect = deal(recordedValuesUs(t.histograms.connect), connectSlots.length);
  const publishes = shares(t.throughput.publishes, sending.length);
  const deliveries = shares(t.delivery.delivered, sending.length);
  const errorTotal = Object.values(t.errors).reduce((a, b) => a + b, 0);

  let opened = 0;
  const intervals: TimelineInterval[] = starts.map((start, k) => {
    const p = publishing.indexOf(k);
    const s = sending.indexOf(k);
    const c = connectSlots.indexOf(k);
    if (c >= 0) opened += connect[c]!.totalCount;
    const fan = p >= 0 ? fanout[p]! : createHistogram();
    return {
      startMs: start,
      phase: phases[k]!,
      connectionsOpen: phases[k] === 'closing' ? 0 : phases[k] === 'connecting' ? opened : t.connections.opened,
      publishes: s >= 0 ? publishes[s]! : 0,
      deliveries: s >= 0 ? deliveries[s]! : 0,
      lost: k === publishing[publishing.length - 1] ? t.delivery.lost : 0,
      errors: k === count - 1 ? errorTotal : 0,
      fanoutLatencyMs: intervalLatency(fan),
      histogram: encodeHistogram(fan),
      ...(p >= 0 ? { recipientHistograms: { first: encodeHistogram(first[p]!), last: encodeHistogram(last[p]!) } } : {}),
      ...(c >= 0 ? { connect: { count: connect[c]!.totalCount, histogram: encodeHistogram(connect[c]!) } } : {}),
      tool: { cpuPercent: t.tool.maxCpuPercent, eventLoopDelayP99Ms: t.tool.maxEventLoopDelayP99Ms },
    };
  });
  return { intervalMs, intervals };
}
