/** The JSON report (`--out report.json`): the RunReport as indented JSON with a final newline. */
import type { RunReport } from '../results/types.js';

export function jsonReport(report: RunReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
