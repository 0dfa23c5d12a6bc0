/**
 * `wsbench compare`'s flags: loaded for `wsbench compare --help` without the command's implementation
 * (../compare.ts and what it imports), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';

export interface CompareArgs {
  baseline: string;
  current: string;
  'max-regression'?: string | string[];
  threshold?: string | string[];
  junit?: string;
  markdown?: string;
  verbose?: boolean;
}

export function compareFlags(y: Argv) {
  return y
    .positional('baseline', { type: 'string', demandOption: true, describe: 'The earlier (good) report, JSON from run --out' })
    .positional('current', { type: 'string', demandOption: true, describe: 'The report to judge' })
    .option('max-regression', {
      type: 'string',
      requiresArg: true,
      describe: 'Tolerance: "10%" for every metric, or "fanout.p99=20%" / "metric=off" (repeatable)',
    })
    .option('threshold', {
      alias: 't',
      type: 'string',
      requiresArg: true,
      describe: 'Also check this threshold on the current report (repeatable)',
    })
    .option('junit', { type: 'string', requiresArg: true, describe: 'Write JUnit XML here' })
    .option('markdown', {
      type: 'string',
      requiresArg: true,
      describe: 'Write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)',
    })
    .example('$0 compare baseline.json current.json', 'Exit 1 when current regressed beyond tolerance and noise')
    .example('$0 compare main.json pr.json --max-regression 5% --max-regression fanout.p99=20%', 'Tighter overall, looser for p99');
}
