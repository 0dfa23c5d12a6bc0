/**
 * The gate's verdicts for the terminal (after the run summary, and `wsbench compare`). Pure.
 */
import { formatChange, type BaselineCheck, type BaselineResult, type SideStats } from '../gate/baseline.js';
import { formatValue } from '../gate/metrics.js';
import type { GateOutcome } from '../gate/result.js';

export function gateText(outcome: GateOutcome): string {
  const lines: string[] = [];
  if (outcome.abortedBy) lines.push(`stopped early: ${outcome.abortedBy}`);
  if (outcome.thresholds.length > 0) {
    lines.push('thresholds');
    for (const t of outcome.thresholds) lines.push(`  ${t.passed ? 'pass' : 'FAIL'}  ${t.expression.padEnd(36)}  ${t.message}`);
  }
  if (outcome.baseline) lines.push(...baselineLines(outcome.baseline));
  // A run that did not complete cannot pass, whatever its figures (JUnit says so too).
  const incomplete = outcome.incomplete !== undefined && !outcome.abortedBy ? ` (the run did not complete: ${outcome.incomplete})` : '';
  lines.push(`gate: ${outcome.passed ? 'passed' : 'FAILED'}${incomplete}`);
  return '\n' + lines.join('\n') + '\n';
}

export function baselineLines(b: BaselineResult & { source: string }): string[] {
  const lines = [`baseline ${b.source} (${b.runs.baseline} vs ${b.runs.current} run${b.runs.current > 1 ? 's' : ''})`];
  const rows = b.checks.map((c) => [
    mark(c),
    c.metric,
    side(c.baseline, c),
    side(c.current, c),
    formatChange(c.change),
    `±${+(c.tolerance * 100).toFixed(2)}%`,
    c.verdict,
  ]);
  const header = ['', 'metric', 'baseline', 'current', 'change', 'tolerance', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    '  ' +
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(line(header), ...rows.map(line));
  for (const c of b.checks) if (c.verdict === 'regression' || c.verdict === 'missing') lines.push(`  ! ${c.message}`);
  return lines;
}

function mark(c: BaselineCheck): string {
  return c.verdict === 'regression' || c.verdict === 'missing' ? 'FAIL' : c.verdict === 'skipped' ? 'skip' : 'pass';
}

function side(s: SideStats | null, c: BaselineCheck): string {
  if (!s) return 'n/a';
  const v = formatValue(s.value, c.dim);
  return s.band === 'none' || s.low === s.high ? v : `${v} [${formatValue(s.low, c.dim)}..${formatValue(s.high, c.dim)}]`;
}
