/**
 * The CI gate's side of `wsbench run`: the baseline file, and the JUnit / Markdown /
 * .hlog outputs (and $GITHUB_STEP_SUMMARY). The gate runs inside the public `runScenario`
 * (src/api/run-scenario.ts, over src/gate/gate.ts); this file turns flags (./flags/run.ts) into its
 * options and does the I/O.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import type { RunScenarioOptions } from '../api/run-scenario.js';
import { baselineSettings } from '../config/schema.js';
import { ConfigError, WsbenchError, messageOf } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { baselineChecks, parseTolerance, type BaselineOptions } from '../gate/baseline.js';
import { checkRepeat } from '../gate/gate.js';
import type { GateOutcome } from '../gate/result.js';
import { isDegraded } from '../results/incidents.js';
import type { RunReport } from '../results/types.js';
import { hlogText } from '../reporters/hlog.js';
import { junitXml } from '../reporters/junit.js';
import { markdownSummary } from '../reporters/markdown.js';
import { readReport } from '../api/report-file.js';
import { keepFirstFailure } from './errors.js';
import type { GateArgs } from './flags/run.js';

export function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `--max-regression 10%`, `--max-regression fanout.p99=20%`, `--max-regression delivery.lostRatio=off`. */
export function parseMaxRegressionFlags(values: readonly string[], base: BaselineOptions = {}): BaselineOptions {
  const out: BaselineOptions = { ...base, metrics: { ...(base.metrics ?? {}) } };
  for (const value of values) {
    const eq = value.indexOf('=');
    const metric = eq >= 0 ? value.slice(0, eq).trim() : undefined;
    const tolText = (eq >= 0 ? value.slice(eq + 1) : value).trim();
    const tolerance = tolText === 'off' && metric ? 'off' : parseTolerance(tolText);
    if (tolerance === undefined)
      throw new ConfigError(`"${value}": expected a tolerance such as 10% or metric=10% (or metric=off)`, { key: '--max-regression' });
    if (metric === undefined) out.maxRegression = tolerance as number;
    else out.metrics![metric] = tolerance;
  }
  try {
    baselineChecks(out);
  } catch (e) {
    throw new ConfigError(messageOf(e), { key: '--max-regression' });
  }
  return out;
}

/** A report's scenario `baseline:` section (raw, as run), for `wsbench compare`. */
export function reportBaselineOptions(report: RunReport): BaselineOptions {
  const raw = (report.scenario as { baseline?: unknown } | null)?.baseline;
  if (raw === undefined) return {};
  const parsed = baselineSettings.safeParse(raw);
  return parsed.success ? { maxRegression: parsed.data.maxRegression, metrics: { ...parsed.data.metrics } } : {};
}

/** The gate's options for `runScenario`, from the flags. */
export type GateRunOptions = Pick<RunScenarioOptions, 'thresholds' | 'baseline' | 'repeat' | 'abortOnFail' | 'alwaysEvaluate'>;

export interface CliGate {
  /** Given to runScenario, which adds the scenario's own thresholds and `baseline:` tolerances. */
  options: GateRunOptions;
  /**
   * Writes JUnit, Markdown (+ $GITHUB_STEP_SUMMARY) and .hlog; returns the first failure to report
   * (not printed), having said any later one on `err`.
   */
  writeOutputs(report: RunReport, outcome: GateOutcome | undefined, err: (text: string) => void): Promise<WsbenchError | undefined>;
}

/** The gate's flags as runScenario options; every flag and the baseline file are checked before anything starts (exit 2). */
export async function prepareGate(args: GateArgs, env: NodeJS.ProcessEnv = process.env): Promise<CliGate> {
  const repeat = checkRepeat(args.repeat ?? 1, { key: '--repeat' });
  const tolerances = parseMaxRegressionFlags(listOf(args['max-regression']));
  const baselineReport = args.baseline !== undefined ? await readReport(args.baseline, '--baseline') : undefined;
  const options: GateRunOptions = {
    thresholds: listOf(args.threshold).map((expression) => ({ expression, origin: '--threshold', location: { key: '--threshold' } })),
    ...(baselineReport ? { baseline: { report: baselineReport, source: args.baseline!, tolerances } } : {}),
    repeat,
    abortOnFail: args['abort-on-fail'] === true,
    alwaysEvaluate: !!(args.junit || args.markdown || args.hlog),
  };

  return {
    options,
    async writeOutputs(report, outcome, err) {
      const jobs: [string, string | undefined, () => string][] = [['--hlog', args.hlog, () => hlogText(report)]];
      if (outcome) {
        jobs.push(
          ['--junit', args.junit, () => junitXml(report, outcome)],
          ['--markdown', args.markdown, () => markdownSummary(report, outcome)],
        );
      }
      let failure: WsbenchError | undefined;
      for (const [flag, file, build] of jobs) {
        if (!file) continue;
        failure = keepFirstFailure(failure, await writeOutput(flag, file, build()), err);
      }
      const summaryFile = env['GITHUB_STEP_SUMMARY'];
      if (outcome && summaryFile) {
        try {
          await appendFile(summaryFile, markdownSummary(report, outcome) + '\n');
        } catch (e) {
          err(`wsbench: warning: cannot append to $GITHUB_STEP_SUMMARY (${summaryFile}): ${messageOf(e)}\n`);
        }
      }
      return failure;
    },
  };
}

/**
 * Writes one output file. A failure is returned, not printed: one error that names the flag, the
 * file and why, for the caller to report once (`keepFirstFailure`, `reportError`).
 */
export async function writeOutput(flag: string, file: string, content: string): Promise<WsbenchError | undefined> {
  try {
    await writeFile(file, content);
    return undefined;
  } catch (e) {
    return new WsbenchError('SETUP', `${flag}: cannot write ${file}: ${messageOf(e)}`, { cause: e });
  }
}

/** Exit code for a finished, uninterrupted run: degraded (incidents) wins over a failed gate. */
export function gateExitCode(outcome: GateOutcome | undefined, report?: Pick<RunReport, 'run' | 'transports'>): number {
  if (report && isDegraded(report)) return ExitCode.DEGRADED;
  return outcome && !outcome.passed ? ExitCode.GATE_FAILED : ExitCode.OK;
}
