/**
 * `wsbench compare <baseline.json> <current.json>`: the baseline check of `run --baseline` on two
 * saved reports — a diff table, and exit 1 on a regression (or a failed --threshold on the
 * current report). Tolerances: flags, else the current report's scenario `baseline:` section,
 * else 10%.
 */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { ExitCode } from '../exit-codes.js';
import { baselineChecks, compareReports } from '../gate/baseline.js';
import { gateOutcome } from '../gate/result.js';
import { compileThreshold, evaluateThresholds } from '../gate/thresholds.js';
import { gateText } from '../reporters/gate-text.js';
import { junitXml } from '../reporters/junit.js';
import { markdownSummary } from '../reporters/markdown.js';
import { reportError } from './errors.js';
import { listOf, parseMaxRegressionFlags, reportBaselineOptions, writeOutput } from './gate.js';
import { baselineScenarioWarning, connectionWarning, reportScenarioFacts } from '../api/scenario-facts.js';
import { readReport } from '../api/report-file.js';
import { checkOutputFiles } from './output-files.js';
import type { WsbenchError } from '../errors.js';
import { appendFile } from 'node:fs/promises';

export interface CompareArgs {
  baseline: string;
  current: string;
  'max-regression'?: string | string[];
  threshold?: string | string[];
  junit?: string;
  markdown?: string;
  verbose?: boolean;
}

/** `compare`'s flags and handler (its name and description are in main.ts). */
export const compareCommand = {
  builder: (y: Argv) =>
    y
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
      .example('$0 compare main.json pr.json --max-regression 5% --max-regression fanout.p99=20%', 'Tighter overall, looser for p99'),
  handler: async (argv: ArgumentsCamelCase<CompareArgs>) => {
    process.exitCode = await compare(argv);
  },
};

export async function compare(argv: CompareArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const err = (text: string) => process.stderr.write(text);
  try {
    await checkOutputFiles([
      { flag: '--junit', file: argv.junit },
      { flag: '--markdown', file: argv.markdown },
    ]);
    const baseline = await readReport(argv.baseline);
    const current = await readReport(argv.current);
    const options = parseMaxRegressionFlags(listOf(argv['max-regression']), reportBaselineOptions(current));
    const thresholds = listOf(argv.threshold).map((expression) => ({
      threshold: compileThreshold({ expression, location: { key: '--threshold' } }),
      origin: '--threshold',
    }));
    // Like for like? Said before the verdict.
    const currentFacts = reportScenarioFacts(current);
    const mismatch =
      'facts' in currentFacts
        ? baselineScenarioWarning(baseline, currentFacts.facts, argv.baseline)
        : `cannot tell whether ${argv.current} ran the same scenario as ${argv.baseline} (${currentFacts.problem})`;
    if (mismatch) err(`wsbench: warning: ${mismatch}\n`);
    const inEffect = connectionWarning(baseline, current, argv.baseline);
    if (inEffect) err(`wsbench: warning: ${inEffect}\n`);
    const result = { ...compareReports(baseline, current, baselineChecks(options)), source: argv.baseline };
    const outcome = gateOutcome(evaluateThresholds(thresholds, current), result);
    process.stdout.write(`${argv.current} (run ${current.run.id}) against ${argv.baseline} (run ${baseline.run.id})\n`);
    process.stdout.write(gateText(outcome));
    let failure: WsbenchError | undefined;
    if (argv.junit) failure ??= await writeOutput(argv.junit, junitXml(current, outcome), err);
    if (argv.markdown) failure ??= await writeOutput(argv.markdown, markdownSummary(current, outcome), err);
    if (env['GITHUB_STEP_SUMMARY']) await appendFile(env['GITHUB_STEP_SUMMARY'], markdownSummary(current, outcome) + '\n').catch(() => {});
    if (failure) return reportError(failure, argv.verbose ?? false);
    return outcome.passed ? ExitCode.OK : ExitCode.GATE_FAILED;
  } catch (e) {
    return reportError(e, argv.verbose ?? false);
  }
}
