/**
 * `wsbench report`'s flags: loaded for `wsbench report --help` without the command's implementation
 * (../report.ts and what it imports), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';

export interface ReportArgs {
  reports: string[];
  html?: string;
  hlog?: string;
  label?: string | string[];
  verbose?: boolean;
}

export function reportFlags(y: Argv) {
  return y
    .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'Report JSON files (from run --out)' })
    .option('html', {
      type: 'string',
      requiresArg: true,
      describe: 'Write one self-contained HTML page with every report on the same axes',
    })
    .option('hlog', { type: 'string', requiresArg: true, describe: 'Write the HdrHistogram interval log (.hlog) of the (one) report' })
    .option('label', {
      type: 'string',
      requiresArg: true,
      describe: 'Name a report in legends, in the order given (repeatable; default: the file name)',
    })
    .example('$0 report current.json --html report.html', 'One run as a page with charts over time')
    .example('$0 report baseline.json current.json --html diff.html', 'Two runs overlaid on the same axes')
    .example('$0 report direct.json proxied.json --label direct --label "behind nginx" --html proxy.html', 'Named series');
}
