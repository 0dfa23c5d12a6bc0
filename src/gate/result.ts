/**
 * The gate's verdict: thresholds + baseline checks (+ an early abort) → pass/fail and the plain
 * data stored in the report's `gate` section. Pure.
 */
import type { GateReport } from '../results/types.js';
import type { BaselineResult } from './baseline.js';
import type { ThresholdResult } from './thresholds.js';

/** The baseline comparison in a verdict: which report it was, and what to say with it. */
export type BaselineVerdict = BaselineResult & {
  /** The baseline's name (e.g. its file). */
  source: string;
  /** E.g. that the baseline ran a different scenario, so its figures are not like for like. */
  warning?: string;
};

export interface GateOutcome {
  passed: boolean;
  thresholds: ThresholdResult[];
  baseline?: BaselineVerdict;
  abortedBy?: string;
  /** Why the run did not complete: such a run never passes, whatever its figures. */
  incomplete?: string;
}

export function gateOutcome(
  thresholds: ThresholdResult[],
  baseline?: BaselineVerdict,
  abortedBy?: string,
  incomplete?: string,
): GateOutcome {
  const passed = thresholds.every((t) => t.passed) && (baseline?.passed ?? true) && abortedBy === undefined && incomplete === undefined;
  return {
    passed,
    thresholds,
    ...(baseline ? { baseline } : {}),
    ...(abortedBy ? { abortedBy } : {}),
    ...(incomplete !== undefined ? { incomplete } : {}),
  };
}

/** What goes into the JSON report. */
export function gateReport(outcome: GateOutcome): GateReport {
  return {
    passed: outcome.passed,
    ...(outcome.abortedBy ? { abortedBy: outcome.abortedBy } : {}),
    thresholds: outcome.thresholds.map((t) => ({
      expression: t.expression,
      origin: t.origin,
      passed: t.passed,
      value: t.value,
      message: t.message,
    })),
    ...(outcome.baseline
      ? {
          baseline: {
            source: outcome.baseline.source,
            runs: outcome.baseline.runs,
            method: outcome.baseline.method,
            passed: outcome.baseline.passed,
            checks: outcome.baseline.checks.map((c) => ({
              metric: c.metric,
              passed: c.passed,
              verdict: c.verdict,
              baseline: c.baseline?.value ?? null,
              current: c.current?.value ?? null,
              change: c.change === null || Number.isFinite(c.change) ? c.change : null,
              tolerance: c.tolerance,
              message: c.message,
            })),
          },
        }
      : {}),
  };
}
