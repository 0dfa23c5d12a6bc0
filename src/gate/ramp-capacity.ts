/**
 * Capacity along a stage ramp (`--find-capacity … --capacity-by ramp`): one run whose stages ramp
 * the load, and the condition checked interval by interval of its timeline instead of once per
 * separate run. Each publishing interval with measured deliveries is read as a report of its own:
 * the latency figures (fan-out, first and last recipient) from its histograms, the ledger's terms
 * and their ratios from its counts, deliveries and publishes per second from its length; every
 * other metric (connect latency, errors, CPU per delivery …) is the whole run's, as the timeline
 * does not have it per interval. The capacity is the load of the last interval that held before
 * the first that broke; an interval in which the tool itself was overloaded (its busiest process
 * at the bottleneck limits) ends the search as inconclusive, as a tool-bound step does. Pure.
 */
import { CPU_LIMIT_PERCENT, EVENT_LOOP_DELAY_LIMIT_MS } from '../metrics/bottleneck.js';
import { decodeHistogram, summarizeMs } from '../metrics/histogram.js';
import { deliveryReport } from '../metrics/ledger.js';
import type { RunReport, TimelineInterval, TransportName, TransportReport } from '../results/types.js';
import type { Threshold } from './expression.js';
import { evaluateThreshold } from './thresholds.js';

export interface RampStep {
  /** The interval's start, ms since run start. */
  startMs: number;
  /** The load it carried: connections open at its end, publishes per second intended in it. */
  connections: number;
  ratePerSec: number;
  verdict: 'ok' | 'fail' | 'tool-bound';
  /** The condition's message for this interval. */
  message: string;
}

export interface RampCapacity {
  steps: RampStep[];
  /** The last interval that held before the first that did not (null: the first did not, or none was measured). */
  lastGood: RampStep | null;
  firstBad: RampStep | null;
  /** Why the search stopped short of an answer (the tool was the bottleneck), or null. */
  inconclusive: string | null;
}

/** One interval of a transport as a report of its own (see the file comment). */
export function intervalAsTransport(t: TransportReport, i: TimelineInterval, intervalMs: number): TransportReport {
  const seconds = intervalMs / 1000;
  const delivery = deliveryReport(
    {
      expected: i.expected ?? i.deliveries + i.lost,
      delivered: i.deliveries,
      lost: i.lost,
      unpublished: i.unpublished ?? 0,
      notOwed: i.notOwed ?? 0,
      duplicated: 0,
      reordered: 0,
      ignored: 0,
    },
    t.delivery.ignoredBy,
  );
  return {
    ...t,
    fanoutLatencyMs: summarizeMs(decodeHistogram(i.histogram)),
    ...(i.recipientHistograms
      ? {
          firstRecipientLatencyMs: summarizeMs(decodeHistogram(i.recipientHistograms.first)),
          lastRecipientLatencyMs: summarizeMs(decodeHistogram(i.recipientHistograms.last)),
        }
      : {}),
    delivery,
    throughput: {
      ...t.throughput,
      deliveriesPerSec: Math.round(i.fanoutLatencyMs.count / seconds),
      publishesPerSec: Math.round(i.publishes / seconds),
    },
  };
}

/** The capacity along the ramp of `transport`'s timeline in `report` under `condition`. */
export function capacityAlongRamp(report: Pick<RunReport, 'transports'>, transport: TransportName, condition: Threshold): RampCapacity {
  const t = report.transports[transport];
  const steps: RampStep[] = [];
  const out: RampCapacity = { steps, lastGood: null, firstBad: null, inconclusive: null };
  if (!t?.timeline) return out;
  const { intervals, intervalMs } = t.timeline;
  for (const i of intervals) {
    // Measured deliveries in a publishing interval: warm-up, connecting and draining say nothing of the ramp.
    if (i.phase !== 'publishing' || i.fanoutLatencyMs.count === 0) continue;
    const one = intervalAsTransport(t, i, intervalMs);
    const verdict = evaluateThreshold(condition, { transports: { ...report.transports, [transport]: one } }, '--find-capacity');
    const toolBound = i.tool.cpuPercent >= CPU_LIMIT_PERCENT || i.tool.eventLoopDelayP99Ms >= EVENT_LOOP_DELAY_LIMIT_MS;
    const step: RampStep = {
      startMs: i.startMs,
      connections: i.connectionsOpen,
      ratePerSec: Math.round(i.publishes / (intervalMs / 1000)),
      verdict: !verdict.passed ? 'fail' : toolBound ? 'tool-bound' : 'ok',
      message: verdict.message,
    };
    steps.push(step);
    if (step.verdict === 'fail') {
      out.firstBad = step;
      break;
    }
    if (step.verdict === 'tool-bound') {
      out.inconclusive = `in the interval at ${(i.startMs / 1000).toFixed(1)} s the tool itself was the bottleneck (its busiest process at ${i.tool.cpuPercent}% CPU, event-loop delay p99 ${i.tool.eventLoopDelayP99Ms} ms)`;
      break;
    }
    out.lastGood = step;
  }
  return out;
}
