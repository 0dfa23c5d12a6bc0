/**
 * Reading a report JSON written by `wsbench run --out` (for `--baseline`, `wsbench compare`,
 * `wsbench report`, and library callers through `readReport`). Anything that is not a readable
 * wsbench report is a ConfigError naming the file (or the option it came from): a library caller
 * who passes a report object as a baseline gets the same checks through `checkReport`.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { REPORT_SCHEMA, type RunReport } from '../results/types.js';

/**
 * Reads and checks a report file. `key` names the option or flag the file came from (e.g.
 * `--baseline`), shown in errors with the file.
 */
export async function readReport(file: string, key?: string): Promise<RunReport> {
  const where: ConfigLocation = { file, ...(key ? { key } : {}) };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`, where, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`not a JSON report: ${(e as Error).message}`, where, { cause: e });
  }
  return checkReport(data, where);
}

/** Whether a value (parsed JSON, or an object from code) is a report wsbench can read; a ConfigError at `where` if not. */
export function checkReport(data: unknown, where: ConfigLocation): RunReport {
  const report = data as Partial<RunReport> | null;
  if (!report || typeof report !== 'object' || !('schema' in report))
    throw new ConfigError('not a wsbench report (no "schema" field)', where);
  if (report.schema !== REPORT_SCHEMA)
    throw new ConfigError(`report schema "${String(report.schema)}" is not supported (expected "${REPORT_SCHEMA}")`, where);
  if (!report.transports || typeof report.transports !== 'object' || !report.run)
    throw new ConfigError('not a wsbench report (no run or transports)', where);
  return report as RunReport;
}
