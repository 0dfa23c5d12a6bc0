/**
 * The one place where HDR histogram bounds and precision are decided. Latencies are recorded in
 * integer microseconds from 1 µs to 1 hour with 3 significant digits (0.1% value resolution);
 * anything above the bound is clamped to it and counted separately so it is never silent.
 * Histograms travel between processes and into reports as HdrHistogram's compressed base64
 * encoding, which HdrHistogram's own tools read too, and merge exactly.
 */
import * as hdr from 'hdr-histogram-js';
import { round3 } from './rounding.js';

export const LATENCY_UNIT = 'microseconds';
export const LOWEST_US = 1;
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export type Histogram = hdr.Histogram;

export function createHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    bitBucketSize: 32,
    autoResize: false,
  });
}

/**
 * Records a latency in milliseconds. Negative values (a receipt before the intended time: the
 * publisher ran early, which the open-loop pacer never does, or clocks disagree) are recorded as
 * the lowest value; returns true when the value had to be clamped.
 */
export function recordMs(histogram: Histogram, ms: number): boolean {
  const us = Math.round(ms * 1000);
  if (us < LOWEST_US) {
    histogram.recordValue(LOWEST_US);
    return true;
  }
  if (us > HIGHEST_US) {
    histogram.recordValue(HIGHEST_US);
    return true;
  }
  histogram.recordValue(us);
  return false;
}

/**
 * Records a count (bytes, say) as it is, in the same histogram policy: 0 to the histogram's
 * highest value, clamped above it; returns true when it had to be clamped.
 */
export function recordCount(histogram: Histogram, value: number): boolean {
  const n = Math.max(0, Math.round(value));
  if (n > HIGHEST_US) {
    histogram.recordValue(HIGHEST_US);
    return true;
  }
  histogram.recordValue(n);
  return false;
}

/** p50, p99 and max of a histogram of counts (highest equivalent values, so merged figures agree); zeros when empty. */
export function summarizeCounts(histogram: Histogram): { p50: number; p99: number; max: number } {
  if (histogram.totalCount === 0) return { p50: 0, p99: 0, max: 0 };
  return { p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.getValueAtPercentile(100) };
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  stddev: number;
}

/** Percentiles in milliseconds (3 decimals: microsecond resolution). All zero when empty. */
export function summarizeMs(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, stddev: 0 };
  const at = (p: number) => round3(histogram.getValueAtPercentile(p) / 1000);
  return {
    count,
    min: round3(histogram.minNonZeroValue / 1000),
    mean: round3(histogram.mean / 1000),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    // The top bucket's highest equivalent value, so a merged histogram reports the same max.
    max: at(100),
    stddev: round3(histogram.stdDeviation / 1000),
  };
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  // Re-home into our policy so later merges and summaries behave the same everywhere.
  const histogram = createHistogram();
  histogram.add(decoded);
  return histogram;
}

/** Exact merge of encoded histograms (from workers or from several reports). */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const merged = createHistogram();
  for (const one of encoded) merged.add(decodeHistogram(one));
  return merged;
}
