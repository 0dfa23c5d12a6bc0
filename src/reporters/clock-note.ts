/**
 * The summary's line about the agents' clock error bound (the rule is metrics/clock-bound.ts).
 */
import { clockBoundVerdict } from '../metrics/clock-bound.js';
import { fmtMs } from './format.js';

/** One line for the summary when the bound matters for these figures (`label`: e.g. "websocket fan-out"), else null. */
export function clockBoundNote(boundMs: number, p50Ms: number | null, label: string): string | null {
  const verdict = clockBoundVerdict(boundMs, p50Ms);
  if (!verdict) return null;
  if (verdict.kind === 'no-median') {
    return `clock error bound ±${fmtMs(verdict.boundMs)} ms (agents on other hosts); no ${label} p50 to compare it with`;
  }
  const pct = verdict.share * 100;
  return (
    `clock error bound ±${fmtMs(verdict.boundMs)} ms is ${pct >= 100 ? Math.round(pct) : pct.toFixed(1)} % of the ${label} p50 ` +
    `(${fmtMs(verdict.p50Ms)} ms): agents on other hosts, offsets estimated through Redis TIME; ${label} figures are uncertain by that much`
  );
}
