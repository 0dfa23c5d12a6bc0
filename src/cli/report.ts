/**
 * `wsbench report a.json [b.json …]`: renders saved reports — `--html` one self-contained page
 * overlaying all of them (baseline vs current, direct vs behind a proxy, one stack vs another),
 * `--hlog` the interval log of one report; with neither, the text summary of each. Also writes the
 * HTML report for `wsbench run --html` (the page is built by src/reporters/html.ts, which does no
 * I/O, with the chart library read by src/api/html-assets.ts).
 */
import { basename } from 'node:path';
import type { ArgumentsCamelCase } from 'yargs';
import type { ReportArgs } from './flags/report.js';
import { ConfigError, WsbenchError, messageOf } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { hlogText } from '../reporters/hlog.js';
import { htmlReport, type HtmlAssets, type HtmlReportInput } from '../reporters/html.js';
import { textSummary } from '../reporters/text.js';
import type { RunReport } from '../results/types.js';
import { htmlAssets } from '../api/html-assets.js';
import { keepFirstFailure, reportError } from './errors.js';
import { writeOutput } from './gate.js';
import { readReport } from '../api/report-file.js';
import { checkOutputFiles } from './output-files.js';

export const reportCommand = {
  handler: async (argv: ArgumentsCamelCase<ReportArgs>) => {
    process.exitCode = await report(argv);
  },
};

export async function report(argv: ReportArgs): Promise<number> {
  const err = (text: string) => process.stderr.write(text);
  try {
    const files = argv.reports;
    const labels = argv.label === undefined ? [] : Array.isArray(argv.label) ? argv.label : [argv.label];
    if (labels.length > files.length) throw new ConfigError(`${labels.length} labels for ${files.length} reports`, { key: '--label' });
    if (argv.hlog !== undefined && files.length !== 1)
      throw new ConfigError(`an .hlog holds one report; got ${files.length} (write one per report)`, { key: '--hlog' });
    await checkOutputFiles([
      { flag: '--html', file: argv.html },
      { flag: '--hlog', file: argv.hlog },
    ]);
    const reports: RunReport[] = [];
    for (const file of files) reports.push(await readReport(file));
    const inputs = reports.map((r, i) => ({ label: labels[i] ?? defaultLabel(files, i), report: r }));

    let failure: WsbenchError | undefined;
    if (argv.html !== undefined) failure = keepFirstFailure(failure, await writeHtmlReport(argv.html, inputs), err);
    if (argv.hlog !== undefined) failure = keepFirstFailure(failure, await writeOutput('--hlog', argv.hlog, hlogText(reports[0]!)), err);
    if (argv.html === undefined && argv.hlog === undefined) {
      for (const input of inputs) process.stdout.write(`${inputs.length > 1 ? `== ${input.label}\n` : ''}${textSummary(input.report)}`);
    }
    if (failure) return reportError(failure, argv.verbose ?? false);
    return ExitCode.OK;
  } catch (e) {
    return reportError(e, argv.verbose ?? false);
  }
}

/** The file name without `.json`; the whole path when two files share a name. */
function defaultLabel(files: readonly string[], i: number): string {
  const name = (f: string) => basename(f).replace(/\.json$/i, '');
  const own = name(files[i]!);
  return files.filter((f) => name(f) === own).length > 1 ? files[i]! : own;
}

/** Builds the HTML report and writes it; returns an error to report (not printed), if any, like the other outputs. */
export async function writeHtmlReport(file: string, inputs: readonly HtmlReportInput[]): Promise<WsbenchError | undefined> {
  let assets: HtmlAssets;
  try {
    assets = await htmlAssets();
  } catch (e) {
    return new WsbenchError(e instanceof WsbenchError ? e.code : 'SETUP', `--html: cannot write ${file}: ${messageOf(e)}`, { cause: e });
  }
  return writeOutput('--html', file, htmlReport(inputs, assets));
}
