/**
 * Whether two runs measured the same thing: before a baseline check judges a regression, the two
 * scenarios' facts that shape the figures (connections, rate, duration, payload size, channels,
 * transports, target…) are compared, and each difference is named. Pure: the facts arrive as
 * canonical text (src/api/scenario-facts.ts makes them), so `2s` and `2000ms` are the same fact.
 */

import type { TransportReport } from '../results/types.js';

/** Scenario facts that decide whether two runs compare: key (a scenario key) → canonical text. */
export type ScenarioFacts = Readonly<Record<string, string>>;

export interface ScenarioDifference {
  key: string;
  /** The fact's text, or null when that side does not have it. */
  baseline: string | null;
  current: string | null;
}

/** Every fact that differs, in the current scenario's order, then those only the baseline has. */
export function scenarioDifferences(baseline: ScenarioFacts, current: ScenarioFacts): ScenarioDifference[] {
  const keys = [...Object.keys(current), ...Object.keys(baseline).filter((k) => !(k in current))];
  return keys.flatMap((key) => {
    const b = baseline[key] ?? null;
    const c = current[key] ?? null;
    return b === c ? [] : [{ key, baseline: b, current: c }];
  });
}

/** One line for the user, or null when nothing differs. */
export function scenarioMismatchWarning(source: string, differences: readonly ScenarioDifference[]): string | null {
  if (differences.length === 0) return null;
  const list = differences.map((d) => `${d.key} ${d.baseline ?? '(not set)'} → ${d.current ?? '(not set)'}`).join(', ');
  return `the baseline ${source} ran a different scenario (${list}): its figures are not like for like, so a regression or an improvement may come from the scenario, not the code`;
}

/**
 * Whether two reports had the same TLS and compression in effect (facts from
 * reporters/connection-text.ts: `websocket.tls`, `websocket.compression` …). Only facts both
 * reports recorded are compared: a report from before they were recorded says nothing either way.
 */
export function connectionDifferences(baseline: ScenarioFacts, current: ScenarioFacts): ScenarioDifference[] {
  return scenarioDifferences(baseline, current).filter((d) => d.baseline !== null && d.current !== null);
}

/** One line for the user, or null when the same TLS and compression were in effect. */
export function connectionMismatchWarning(source: string, differences: readonly ScenarioDifference[]): string | null {
  if (differences.length === 0) return null;
  const list = differences.map((d) => `${d.key} ${d.baseline} → ${d.current}`).join(', ');
  return `the baseline ${source} ran with other TLS or compression in effect (${list}): a wss:// or compressed connection costs the server and the tool differently, so the figures are not like for like`;
}

/**
 * The like-for-like facts of a report's transports: `<transport>.tls` (`off` or the TLS versions)
 * and `<transport>.compression` (`off` or the agreed parameters with the share of connections).
 * Reports from before these were recorded have none (nothing to compare).
 */
export function connectionFacts(transports: Partial<Record<string, TransportReport>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, t] of Object.entries(transports)) {
    if (!t) continue;
    if (t.tls !== undefined) {
      out[`${name}.tls`] = t.tls === null ? 'off' : [...new Set(Object.keys(t.tls.negotiated).map((k) => k.split(' ')[0]))].join('+');
    }
    if (t.compression) {
      const c = t.compression;
      const params = Object.keys(c.parameters).map((k) => k.replace(/^permessage-deflate;?\s*/, '') || 'defaults');
      out[`${name}.compression`] = c.connections === 0 ? 'off' : `${params.join(' | ')} (${Math.round(c.share * 100)}%)`;
    }
  }
  return out;
}

/** The warning for two reports whose connections had different TLS or compression in effect, or null. */
export function inEffectWarning(
  baseline: { transports: Partial<Record<string, TransportReport>> },
  current: { transports: Partial<Record<string, TransportReport>> },
  source: string,
): string | null {
  return connectionMismatchWarning(
    source,
    connectionDifferences(connectionFacts(baseline.transports), connectionFacts(current.transports)),
  );
}
