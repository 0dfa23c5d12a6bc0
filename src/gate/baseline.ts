/**
 * Baseline comparison with a noise model. Pure.
 *
 * Each side (baseline, current) of each metric is described by a value and a noise band:
 * - a report from `--repeat N` (N ≥ 2): the median of the N runs' values, band = median ± the
 *   runs' range (max − min). The range of a few runs understates the spread (3 runs cover a 4th
 *   only half of the time), so the whole range is used as the radius, not just min..max;
 * - a single run: the report's value; for percentiles the band is the sampling uncertainty of
 *   that percentile (99% distribution-free confidence interval of a quantile, read from the
 *   run's own histogram: ranks n·q ± 2.576·√(n·q·(1−q))); other metrics have no band.
 *
 * A metric is a REGRESSION only when all of these hold:
 *   1. the value moved in the worse direction by more than its tolerance (default 10%), and
 *   2. the current value lies outside the baseline's band, and
 *   3. the baseline value lies outside the current band.
 * A move beyond the tolerance that fails 2 or 3 is reported as "noise" and passes.
 */
import type { RunReport, TransportReport } from '../results/types.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { DEFAULT_BASELINE_METRICS, formatValue, lookupMetric, readMetric, type Dimension, type MetricRef } from './metrics.js';
import { ConfigError } from '../errors.js';

export const DEFAULT_MAX_REGRESSION = 0.1;
/** Two-sided 99% normal quantile, for the percentile sampling band. */
const Z_99 = 2.576;

export interface BaselineCheckSpec {
  ref: MetricRef;
  /** Allowed relative change in the worse direction (0.1 = 10%). */
  tolerance: number;
}

export interface BaselineOptions {
  /** Default tolerance for every metric (0.1 = 10%). */
  maxRegression?: number;
  /** Per metric path: a tolerance, or "off" to skip a default metric. Adds metrics too. */
  metrics?: Record<string, number | 'off'>;
}

/** The metrics to check with their tolerances; an unknown metric is a ConfigError naming it. */
export function baselineChecks(options: BaselineOptions = {}): BaselineCheckSpec[] {
  const fallback = options.maxRegression ?? DEFAULT_MAX_REGRESSION;
  const chosen = new Map<string, number | 'off'>();
  for (const m of DEFAULT_BASELINE_METRICS) chosen.set(m, fallback);
  for (const [path, tolerance] of Object.entries(options.metrics ?? {})) {
    const found = lookupMetric(path);
    if (!found.ok) throw new ConfigError(found.message);
    chosen.set(canonicalPath(found.ref), tolerance);
  }
  const out: BaselineCheckSpec[] = [];
  for (const [path, tolerance] of chosen) {
    if (tolerance === 'off') continue;
    const found = lookupMetric(path);
    if (found.ok) out.push({ ref: found.ref, tolerance });
  }
  return out;
}

/** `websocket.fanout.p99` and `fanout.p99` are the same check. */
function canonicalPath(ref: MetricRef): string {
  return ref.transport === 'websocket' ? ref.def.name : `${ref.transport}.${ref.def.name}`;
}

/** "10%" → 0.1. Undefined for anything else. */
export function parseTolerance(text: string | number): number | undefined {
  if (typeof text === 'number') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : undefined;
}

export interface SideStats {
  /** Median of the runs, or the single run's value. */
  value: number;
  low: number;
  high: number;
  /** Each run's value (one entry for a single run). */
  runs: number[];
  band: 'runs' | 'sampling' | 'none';
}

export type Verdict = 'ok' | 'regression' | 'noise' | 'improved' | 'skipped' | 'missing';

export interface BaselineCheck {
  metric: string;
  dim: Dimension;
  better: 'lower' | 'higher';
  tolerance: number;
  baseline: SideStats | null;
  current: SideStats | null;
  /** Relative change, positive = worse (Infinity when the baseline was 0 and it got worse). */
  change: number | null;
  verdict: Verdict;
  passed: boolean;
  message: string;
}

export interface BaselineResult {
  passed: boolean;
  method: string;
  runs: { baseline: number; current: number };
  checks: BaselineCheck[];
}

export const NOISE_METHOD =
  'regression = worse than the tolerance AND current outside the baseline’s noise band AND baseline outside the current one; band = median ± range of the repeated runs, or the 99% sampling interval of a single run’s percentile';

/** Runs that make up a report: its repeats when it has several, else the report itself. */
export function runsOf(report: Pick<RunReport, 'transports' | 'repeats'>): Pick<RunReport, 'transports'>[] {
  return report.repeats && report.repeats.length >= 2 ? report.repeats : [report];
}

export function sideStats(report: Pick<RunReport, 'transports' | 'repeats'>, ref: MetricRef): SideStats | null {
  const runs = runsOf(report);
  if (runs.length >= 2) {
    const values = runs.map((r) => readMetric(r, ref)).flatMap((v) => (v.ok ? [v.value] : []));
    if (values.length === 0) return null;
    const mid = median(values);
    const range = Math.max(...values) - Math.min(...values);
    // Every metric is non-negative: the band never goes below 0.
    return { value: mid, low: Math.max(0, mid - range), high: mid + range, runs: values, band: 'runs' };
  }
  const v = readMetric(report, ref);
  if (!v.ok) return null;
  const t = report.transports[ref.transport];
  const band = t ? samplingBand(t, ref) : null;
  if (band)
    return { value: v.value, low: Math.min(band.low, v.value), high: Math.max(band.high, v.value), runs: [v.value], band: 'sampling' };
  return { value: v.value, low: v.value, high: v.value, runs: [v.value], band: 'none' };
}

/** Distribution-free 99% interval of a percentile, from the ranks around n·q in the histogram. */
export function samplingBand(t: TransportReport, ref: MetricRef): { low: number; high: number } | null {
  const p = ref.def.percentile;
  if (!p) return null;
  const encoded = t.histograms?.[p.histogram];
  if (!encoded) return null;
  const h = decodeHistogram(encoded);
  const n = h.totalCount;
  if (n === 0) return null;
  const q = p.quantile;
  const halfWidth = Z_99 * Math.sqrt((q * (1 - q)) / n);
  const at = (quantile: number) => h.getValueAtPercentile(Math.min(100, Math.max(0, quantile * 100))) / 1000;
  return { low: at(q - halfWidth), high: at(q + halfWidth) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The verdict for one metric given both sides. Exported for table tests. */
export function judge(
  better: 'lower' | 'higher',
  tolerance: number,
  base: SideStats,
  cur: SideStats,
): { verdict: Verdict; change: number } {
  const worse = better === 'lower' ? cur.value - base.value : base.value - cur.value;
  const change = base.value === 0 ? (worse > 0 ? Infinity : worse < 0 ? -Infinity : 0) : worse / Math.abs(base.value);
  const curOutside = better === 'lower' ? cur.value > base.high : cur.value < base.low;
  const baseOutside = better === 'lower' ? base.value < cur.low : base.value > cur.high;
  if (change > tolerance) return { verdict: curOutside && baseOutside ? 'regression' : 'noise', change };
  const curBetterOutside = better === 'lower' ? cur.value < base.low : cur.value > base.high;
  const baseBetterOutside = better === 'lower' ? base.value > cur.high : base.value < cur.low;
  if (-change > tolerance && curBetterOutside && baseBetterOutside) return { verdict: 'improved', change };
  return { verdict: 'ok', change };
}

export function compareReports(
  baseline: Pick<RunReport, 'transports' | 'repeats'>,
  current: Pick<RunReport, 'transports' | 'repeats'>,
  specs: readonly BaselineCheckSpec[],
): BaselineResult {
  const checks = specs.map((spec) => checkOne(baseline, current, spec));
  return {
    passed: checks.every((c) => c.passed),
    method: NOISE_METHOD,
    runs: { baseline: runsOf(baseline).length, current: runsOf(current).length },
    checks,
  };
}

function checkOne(
  baseline: Pick<RunReport, 'transports' | 'repeats'>,
  current: Pick<RunReport, 'transports' | 'repeats'>,
  spec: BaselineCheckSpec,
): BaselineCheck {
  const { ref, tolerance } = spec;
  const metric = canonicalPath(ref);
  const dim = ref.def.dim;
  const common = { metric, dim, better: ref.def.better, tolerance };
  const base = sideStats(baseline, ref);
  const cur = sideStats(current, ref);
  const fmt = (v: number) => formatValue(v, dim);
  if (!base) {
    return {
      ...common,
      baseline: null,
      current: cur,
      change: null,
      verdict: 'skipped',
      passed: true,
      message: `${metric}: not in the baseline, not compared`,
    };
  }
  if (!cur) {
    return {
      ...common,
      baseline: base,
      current: null,
      change: null,
      verdict: 'missing',
      passed: false,
      message: `${metric}: baseline ${fmt(base.value)}, but the current run has no value for it`,
    };
  }
  const { verdict, change } = judge(ref.def.better, tolerance, base, cur);
  const moved = `${fmt(base.value)} → ${fmt(cur.value)} (${formatChange(change)})`;
  const bands = `baseline ${describeBand(base, fmt)}, current ${describeBand(cur, fmt)}`;
  const tol = `${+(tolerance * 100).toFixed(2)}%`;
  const message =
    verdict === 'regression'
      ? `${metric} regressed: ${moved}, worse than the ${tol} tolerance and outside the noise of both sides (${bands})`
      : verdict === 'noise'
        ? `${metric}: ${moved} is within the noise (${bands}); not a regression`
        : verdict === 'improved'
          ? `${metric} improved: ${moved}`
          : `${metric}: ${moved}, within ${tol}`;
  return { ...common, baseline: base, current: cur, change, verdict, passed: verdict !== 'regression', message };
}

function describeBand(s: SideStats, fmt: (v: number) => string): string {
  if (s.band === 'runs')
    return `median of ${s.runs.length} runs ${fmt(Math.min(...s.runs))}–${fmt(Math.max(...s.runs))}, noise band ${fmt(s.low)}–${fmt(s.high)}`;
  if (s.band === 'sampling') return `99% interval ${fmt(s.low)}–${fmt(s.high)}`;
  return 'single value';
}

export function formatChange(change: number | null): string {
  if (change === null) return 'n/a';
  if (change === Infinity) return 'worse, from 0';
  if (change === -Infinity) return 'better, to 0';
  const pct = change * 100;
  const text = Math.abs(pct) >= 100 ? pct.toFixed(0) : Math.abs(pct) >= 10 ? pct.toFixed(1) : pct.toFixed(2);
  return `${change > 0 ? '+' : change < 0 ? '' : '±'}${text}% ${change > 0 ? 'worse' : change < 0 ? 'better' : ''}`.trim();
}
