/**
 * Writing a report (--out): JSON, redacted and inert, to a file or to stdout (`-`). Writing never
 * loses a report: when the file cannot be written at the end, it goes to the temporary directory
 * instead and the message says where.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inertJson } from '../peer-text.js';
import { redactDeep } from '../secrets.js';

/**
 * Writes the report as JSON (`-` = stdout), redacted and inert. When the file cannot be written
 * (the disk filled up, the directory went away during the run), the report is written to the
 * temporary directory instead: the returned message says where, and the run's figures are kept.
 */
export async function writeReportFile(
  file: string,
  report: unknown,
  stdout: (text: string) => void,
): Promise<{ ok: true } | { ok: false; message: string; cause: unknown }> {
  const json = inertJson(redactDeep(report), 2) + '\n';
  if (file === '-') {
    stdout(json);
    return { ok: true };
  }
  try {
    await writeFile(file, json);
    return { ok: true };
  } catch (e) {
    const id = (report as { run?: { id?: unknown } }).run?.id;
    const fallback = join(tmpdir(), `wsbench-report-${typeof id === 'string' ? id : Date.now()}.json`);
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    try {
      await writeFile(fallback, json, { mode: 0o600 });
      return { ok: false, message: `cannot write the report to ${file} (${why}); it was written to ${fallback} instead`, cause: e };
    } catch {
      return { ok: false, message: `cannot write the report to ${file} (${why}), nor to ${fallback}`, cause: e };
    }
  }
}
