/**
 * Whether two runs measured the same thing: before a baseline check judges a regression, the two
 * scenarios' facts that shape the figures (connections, rate, duration, payload size, channels,
 * transports, target…) are compared, and each difference is named. Pure: the facts arrive as
 * canonical text (src/api/scenario-facts.ts makes them), so `2s` and `2000ms` are the same fact.
 */

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
