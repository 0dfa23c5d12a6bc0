/**
 * `wsbench compare <baseline.json> <current.json>`: the baseline check of `run --baseline` on two
 * saved reports — a diff table, and exit 1 on a regression (or a failed --threshold on the
 * current report). Tolerances: flags, else the current report's scenario `baseline:` section,
 * else 10%.
 */
import type { ArgumentsCamelCase } from 'yargs';
import type { CompareArgs } from './flags/compare.js';
import { ExitCode } from '../exit-codes.js';
import { baselineChecks, compareReports } from '../gate/baseline.js';
import { gateOutcome } from '../gate/result.js';
import { compileThreshold, evaluateThresholds } from '../gate/thresholds.js';
import { gateText } from '../reporters/gate-text.js';
import { junitXml } from '../reporters/junit.js';
import { markdownSummary } from '../reporters/markdown.js';
import { keepFirstFailure, reportError } from './errors.js';
import { listOf, parseMaxRegressionFlags, reportBaselineOptions, writeOutput } from './gate.js';
import { baselineScenarioWarning, connectionWarning, reportScenarioFacts } from '../api/scenario-facts.js';
import { readReport } from '../api/report-file.js';
import { checkOutputFiles } from './output-files.js';
import type { WsbenchError } from '../errors.js';
import { appendFile } from 'node:fs/promises';

/** `compare`'s handler (its flags are in ./flags/compare.ts, its name and description in main.ts). */
export const compareCommand = {
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
    if (argv.junit) failure = keepFirstFailure(failure, await writeOutput('--junit', argv.junit, junitXml(current, outcome)), err);
    if (argv.markdown)
      failure = keepFirstFailure(failure, await writeOutput('--markdown', argv.markdown, markdownSummary(current, outcome)), err);
    if (env['GITHUB_STEP_SUMMARY']) await appendFile(env['GITHUB_STEP_SUMMARY'], markdownSummary(current, outcome) + '\n').catch(() => {});
    if (failure) return reportError(failure, argv.verbose ?? false);
    return outcome.passed ? ExitCode.OK : ExitCode.GATE_FAILED;
  } catch (e) {
    return reportError(e, argv.verbose ?? false);
  }
}
