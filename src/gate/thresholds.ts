/**
 * Thresholds: compile expressions (errors become ConfigErrors pointing at the expression) and
 * evaluate them over a report. Pure.
 */
import { ConfigError, type ConfigLocation } from '../errors.js';
import type { RunReport } from '../results/types.js';
import {
  compare,
  evaluateExpr,
  excerpt,
  parseThreshold,
  ThresholdSyntaxError,
  type Expr,
  type MetricReading,
  type Threshold,
} from './expression.js';
import { formatValue, type Dimension } from './metrics.js';

export interface ThresholdSource {
  expression: string;
  /** Where it was written: a scenario file position (of the string's first character) or a flag. */
  location: ConfigLocation;
}

/** Parses and checks; a bad expression is a ConfigError naming the file:line:col of the problem or the flag. */
export function compileThreshold(src: ThresholdSource): Threshold {
  try {
    return parseThreshold(src.expression);
  } catch (e) {
    if (!(e instanceof ThresholdSyntaxError)) throw e;
    const loc = src.location;
    if (loc.file && loc.line !== undefined) {
      return thrown(
        new ConfigError(`${e.message} in "${excerpt(src.expression, e.offset)}"`, { ...loc, column: (loc.column ?? 1) + e.offset }),
      );
    }
    return thrown(new ConfigError(`"${excerpt(src.expression, e.offset)}": ${e.message} (at character ${e.offset + 1})`, loc));
  }
}

function thrown(e: Error): never {
  throw e;
}

export interface ThresholdResult {
  expression: string;
  /** Where it came from: `scenario` or `--threshold`. */
  origin: string;
  passed: boolean;
  /** The left side's value (what is shown as "measured"). */
  value: number | null;
  dim: Dimension;
  /** Every metric the expression read, with its value. */
  readings: MetricReading[];
  /** One line: `fanout.p99 = 0.612 ms, expected < 50 ms`. */
  message: string;
}

export function evaluateThreshold(t: Threshold, report: Pick<RunReport, 'transports'>, origin = 'scenario'): ThresholdResult {
  const readings: MetricReading[] = [];
  const left = evaluateExpr(t.left, report, readings);
  const right = evaluateExpr(t.right, report, readings);
  const leftText = sliceOf(t, t.left);
  const rightText = t.right.kind === 'number' ? formatValue(t.right.value, t.dim) : sliceOf(t, t.right);
  const base = { expression: t.source, origin, dim: t.dim, readings };
  if (!left.ok || !right.ok) {
    const why = !left.ok ? left.why : (right as { why: string }).why;
    return {
      ...base,
      passed: false,
      value: left.ok ? left.value : null,
      message: `${leftText}: cannot evaluate (${why}), expected ${t.op} ${rightText}`,
    };
  }
  const passed = compare(left.value, t.op, right.value);
  const rightValue = t.right.kind === 'number' ? '' : ` = ${formatValue(right.value, t.dim)}`;
  const inputs =
    readings.length > 1 || t.left.kind !== 'metric'
      ? ` (${readings.map((r) => `${r.path} = ${r.value === undefined ? 'n/a' : formatValue(r.value, r.dim)}`).join(', ')})`
      : '';
  const message = passed
    ? `${leftText} = ${formatValue(left.value, t.dim)} ${t.op} ${rightText}${rightValue}${inputs}`
    : `${leftText} = ${formatValue(left.value, t.dim)}, expected ${t.op} ${rightText}${rightValue}${inputs}`;
  return { ...base, passed, value: left.value, message };
}

function sliceOf(t: Threshold, e: Expr): string {
  return t.source.slice(e.pos, e.end).trim();
}

export function evaluateThresholds(
  list: readonly { threshold: Threshold; origin: string }[],
  report: Pick<RunReport, 'transports'>,
): ThresholdResult[] {
  return list.map(({ threshold, origin }) => evaluateThreshold(threshold, report, origin));
}
