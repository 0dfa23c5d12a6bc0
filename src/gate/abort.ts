/**
 * Early abort: decides from a live engine snapshot that a threshold is *certainly* broken, so a
 * CI run can stop instead of finishing a doomed benchmark. Pure and deliberately conservative:
 *
 * - only thresholds of the form `metric OP number` (or `number OP metric`), no arithmetic;
 * - only metrics with a live counter that never decreases and never exceeds the final value
 *   (failed connections, duplicated and reordered deliveries, errors — see MetricDef.live);
 * - only operators a growing counter can break for good: `<`, `<=`, `==`.
 *
 * Latencies, ratios and `delivery.lost` are never aborted on: a live percentile can still fall,
 * and a message is only lost once the drain is over.
 */
import type { Snapshot } from '../engine/events.js';
import type { CmpOp, Threshold } from './expression.js';
import { formatValue, type MetricRef } from './metrics.js';

export interface AbortRule {
  threshold: Threshold;
  ref: MetricRef;
  /** The counter breaks the threshold once it is above (`strict`: at or above) this. */
  limit: number;
  inclusive: boolean;
}

/** The rule for a threshold that can be watched live, or null when it cannot be decided early. */
export function abortRule(t: Threshold): AbortRule | null {
  let metric = t.left;
  let literal = t.right;
  let op: CmpOp = t.op;
  if (metric.kind !== 'metric') {
    [metric, literal] = [t.right, t.left];
    op = mirror(op);
  }
  if (metric.kind !== 'metric' || literal.kind !== 'number' || !metric.ref.def.live) return null;
  // metric < L: broken once metric >= L;  metric <= L or == L: broken once metric > L.
  if (op === '<') return { threshold: t, ref: metric.ref, limit: literal.value, inclusive: true };
  if (op === '<=' || op === '==') return { threshold: t, ref: metric.ref, limit: literal.value, inclusive: false };
  return null;
}

function mirror(op: CmpOp): CmpOp {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** A message when the snapshot proves the threshold broken, else null. */
export function brokenBy(rule: AbortRule, snapshot: Snapshot): string | null {
  if (snapshot.transport !== rule.ref.transport || !rule.ref.def.live) return null;
  const value = rule.ref.def.live(snapshot);
  const broken = rule.inclusive ? value >= rule.limit : value > rule.limit;
  if (!broken) return null;
  return `threshold "${rule.threshold.source}" is broken: ${rule.ref.path} reached ${formatValue(value, rule.ref.def.dim)} and can only grow`;
}

/** Checks every rule; the first broken one wins. */
export function firstBroken(rules: readonly AbortRule[], snapshot: Snapshot): string | null {
  for (const rule of rules) {
    const why = brokenBy(rule, snapshot);
    if (why) return why;
  }
  return null;
}
