/**
 * Text charts shared by the live dashboard and the printed summary: sparklines, bars and the
 * latency-by-percentile chart. Pure string builders (no colour of their own, no terminal access);
 * `unicode: false` gives plain ASCII for TERM=dumb and old consoles.
 */
import type { Histogram } from '../metrics/histogram.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { fmtMs } from './format.js';

const SPARK_UNICODE = '▁▂▃▄▅▆▇█';
const SPARK_ASCII = '.,:-=+*#';
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

const finite = (x: number) => (Number.isFinite(x) ? x : 0);

/**
 * The last `width` values as a sparkline exactly `width` characters wide, newest on the right,
 * left-padded with spaces while there are fewer values. Scaled from 0 to `max` (default: the
 * largest value shown); zero (and anything not positive) is a space, so gaps stay visible, and any
 * positive value shows at least the lowest level.
 */
export function sparkline(values: readonly number[], width: number, options: { max?: number; unicode?: boolean } = {}): string {
  if (width <= 0) return '';
  const levels = options.unicode === false ? SPARK_ASCII : SPARK_UNICODE;
  const shown = values.slice(-width).map(finite);
  const max = options.max ?? Math.max(0, ...shown);
  const chars = shown.map((v) => {
    if (v <= 0 || max <= 0) return ' ';
    const level = Math.ceil((Math.min(v, max) / max) * levels.length) - 1;
    return levels[Math.max(0, Math.min(levels.length - 1, level))]!;
  });
  return ' '.repeat(width - chars.length) + chars.join('');
}

/**
 * A horizontal bar for `ratio` (0..1) exactly `width` characters wide (padded with spaces), with
 * eighth-of-a-cell resolution in Unicode; any positive ratio shows at least a sliver.
 */
export function bar(ratio: number, width: number, unicode = true): string {
  if (width <= 0) return '';
  const r = Math.max(0, Math.min(1, finite(ratio)));
  if (!unicode) {
    const cells = r > 0 ? Math.max(1, Math.round(r * width)) : 0;
    return '#'.repeat(cells) + ' '.repeat(width - cells);
  }
  let eighths = Math.round(r * width * 8);
  if (r > 0 && eighths === 0) eighths = 1;
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  const text = '█'.repeat(full) + part;
  return text + ' '.repeat(width - full - (part ? 1 : 0));
}

/** A progress bar exactly `width` characters wide: filled cells, then the track. */
export function progressBar(ratio: number, width: number, unicode = true): string {
  if (width <= 0) return '';
  const r = Math.max(0, Math.min(1, finite(ratio)));
  const filled = Math.floor(r * width);
  return (unicode ? '█' : '#').repeat(filled) + (unicode ? '░' : '-').repeat(width - filled);
}

export interface LatencyPoint {
  /** `p50`, `p99.9`, `max`, … */
  label: string;
  percentile: number;
  ms: number;
}

const CHART_PERCENTILES: { percentile: number; label: string; minCount: number }[] = [
  { percentile: 50, label: 'p50', minCount: 1 },
  { percentile: 75, label: 'p75', minCount: 4 },
  { percentile: 90, label: 'p90', minCount: 10 },
  { percentile: 95, label: 'p95', minCount: 20 },
  { percentile: 99, label: 'p99', minCount: 100 },
  { percentile: 99.9, label: 'p99.9', minCount: 1_000 },
  { percentile: 99.99, label: 'p99.99', minCount: 10_000 },
  { percentile: 100, label: 'max', minCount: 1 },
];

/**
 * The points of the latency-by-percentile curve, from a histogram of microseconds (the report's
 * policy). Percentiles the sample count cannot resolve (p99.9 from fewer than 1,000 samples) are
 * left out rather than shown as if they meant something. Empty for an empty histogram.
 */
export function latencyPoints(histogram: Histogram): LatencyPoint[] {
  const count = histogram.totalCount;
  if (count === 0) return [];
  return CHART_PERCENTILES.filter((p) => count >= p.minCount).map((p) => ({
    label: p.label,
    percentile: p.percentile,
    ms: Math.round(histogram.getValueAtPercentile(p.percentile)) / 1000,
  }));
}

/** latencyPoints from a report's encoded histogram (HdrHistogram compressed base64). */
export function latencyPointsFromEncoded(encoded: string): LatencyPoint[] {
  return latencyPoints(decodeHistogram(encoded));
}

export interface PercentileChartOptions {
  /** Total width in characters, indentation included. */
  width: number;
  unicode?: boolean;
  indent?: number;
  /** Wraps the bar characters (e.g. a colour); must not change their visible width. */
  paintBar?: (text: string) => string;
}

/**
 * Latency by percentile as horizontal bars on a linear scale from 0 to the largest value, one line
 * per point, value in ms at the right:
 *
 *       p50 ██████▌                                     0.412
 *       p99 ████████████████████▊                        1.20
 *       max ████████████████████████████████████████     3.00
 */
export function percentileChart(points: readonly LatencyPoint[], options: PercentileChartOptions): string[] {
  if (points.length === 0) return [];
  const indent = ' '.repeat(options.indent ?? 2);
  const paint = options.paintBar ?? ((s: string) => s);
  const labelWidth = Math.max(...points.map((p) => p.label.length));
  const values = points.map((p) => fmtMs(p.ms));
  const valueWidth = Math.max(...values.map((v) => v.length));
  const barWidth = Math.max(10, options.width - indent.length - labelWidth - 1 - 1 - valueWidth);
  const max = Math.max(...points.map((p) => p.ms));
  return points.map((p, i) => {
    const b = bar(max > 0 ? p.ms / max : 0, barWidth, options.unicode ?? true);
    return `${indent}${p.label.padStart(labelWidth)} ${paint(b)} ${values[i]!.padStart(valueWidth)}`;
  });
}
