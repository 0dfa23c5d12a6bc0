/**
 * Reading a report JSON written by `wsbench run --out` (for --baseline and `wsbench compare`).
 * Anything that is not a readable wsbench report is a ConfigError naming the file.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { REPORT_SCHEMA, type RunReport } from '../results/types.js';

export async function readReportFile(file: string, flag?: string): Promise<RunReport> {
  const where = { file, ...(flag ? { key: flag } : {}) };
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
  const report = data as Partial<RunReport> | null;
  if (!report || typeof report !== 'object' || !('schema' in report))
    throw new ConfigError('not a wsbench report (no "schema" field)', where);
  if (report.schema !== REPORT_SCHEMA)
    throw new ConfigError(`report schema "${String(report.schema)}" is not supported (expected "${REPORT_SCHEMA}")`, where);
  if (!report.transports || typeof report.transports !== 'object' || !report.run)
    throw new ConfigError('not a wsbench report (no run or transports)', where);
  return report as RunReport;
}
