/**
 * The CI gate around `wsbench run`: its flags, thresholds from the scenario and flags, the
 * baseline, `--repeat`, the early abort, and the JUnit / Markdown / .hlog outputs. The decisions
 * are in src/gate (pure); this file does the I/O and keeps run.ts small.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import type { Scenario } from '../config/resolve.js';
import { baselineSettings } from '../config/schema.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';
import { RunFailedError } from '../engine/runner.js';
import { ConfigError, WsbenchError, messageOf } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { abortRule, firstBroken, type AbortRule } from '../gate/abort.js';
import { baselineChecks, compareReports, parseTolerance, type BaselineCheckSpec, type BaselineOptions } from '../gate/baseline.js';
import type { Threshold } from '../gate/expression.js';
import { gateOutcome, gateReport, type GateOutcome } from '../gate/result.js';
import { compileThreshold, evaluateThresholds } from '../gate/thresholds.js';
import { mergeReports } from '../results/merge.js';
import type { RunReport } from '../results/types.js';
import { hlogText } from '../reporters/hlog.js';
import { junitXml } from '../reporters/junit.js';
import { markdownSummary } from '../reporters/markdown.js';
import { readReportFile } from './report-file.js';

export interface GateArgs {
  threshold?: string | string[];
  baseline?: string;
  'max-regression'?: string | string[];
  repeat?: number;
  junit?: string;
  markdown?: string;
  hlog?: string;
  'abort-on-fail'?: boolean;
}

const GROUP = 'CI gate:';

/** The gate's flags on `wsbench run`. */
export function gateOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('threshold', {
      alias: 't',
      type: 'string',
      requiresArg: true,
      describe: 'Fail (exit 1) unless this holds, e.g. "fanout.p99 < 50ms" (repeatable; adds to the scenario\'s thresholds)',
      group: GROUP,
    })
    .option('baseline', {
      alias: 'b',
      type: 'string',
      requiresArg: true,
      describe: 'Compare with this earlier report (JSON); a regression fails the run (exit 1)',
      group: GROUP,
    })
    .option('max-regression', {
      type: 'string',
      requiresArg: true,
      describe: 'Baseline tolerance: "10%" for every metric, or "fanout.p99=20%" / "metric=off" per metric (repeatable)',
      group: GROUP,
    })
    .option('repeat', {
      type: 'number',
      requiresArg: true,
      describe: 'Run the scenario N times; the report merges them, baseline checks compare medians',
      group: GROUP,
    })
    .option('abort-on-fail', {
      type: 'boolean',
      describe: 'Stop as soon as a threshold is certainly broken (counters such as connections.failed)',
      group: GROUP,
    })
    .option('junit', {
      type: 'string',
      requiresArg: true,
      describe: 'Write JUnit XML here (a testcase per threshold and baseline check)',
      group: GROUP,
    })
    .option('markdown', {
      type: 'string',
      requiresArg: true,
      describe: 'Write a Markdown summary here (also appended to $GITHUB_STEP_SUMMARY when set)',
      group: GROUP,
    })
    .option('hlog', {
      type: 'string',
      requiresArg: true,
      describe: 'Write the latency histograms as an HdrHistogram log (.hlog)',
      group: GROUP,
    });
}

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

/** The scenario's `baseline:` settings (already validated) as options. */
function scenarioBaselineOptions(scenario: Pick<Scenario, 'baseline'>): BaselineOptions {
  const b = scenario.baseline;
  return b ? { maxRegression: b.maxRegression, metrics: { ...b.metrics } } : {};
}

/** A report's scenario `baseline:` section (raw, as run), for `wsbench compare`. */
export function reportBaselineOptions(report: RunReport): BaselineOptions {
  const raw = (report.scenario as { baseline?: unknown } | null)?.baseline;
  if (raw === undefined) return {};
  const parsed = baselineSettings.safeParse(raw);
  return parsed.success ? { maxRegression: parsed.data.maxRegression, metrics: { ...parsed.data.metrics } } : {};
}

export interface Gate {
  /** True when anything gate-related was asked for (thresholds, baseline or outputs). */
  active: boolean;
  repeat: number;
  /** Aborted by --abort-on-fail (the user's Ctrl-C has its own signal). */
  signal: AbortSignal;
  /** Wraps the progress listener to watch snapshots for a certainly broken threshold. */
  watch(listener: EngineListener | undefined): EngineListener | undefined;
  /** Runs `once` up to `repeat` times and merges the reports. */
  runRepeated(once: () => Promise<RunReport>, stopped: () => boolean, notice: (text: string) => void): Promise<RunReport>;
  /** Evaluates thresholds and the baseline; stores the verdicts in `report.gate`. */
  evaluate(report: RunReport): GateOutcome | undefined;
  /** Writes JUnit, Markdown (+ $GITHUB_STEP_SUMMARY) and .hlog; returns an error to report, if any. */
  writeOutputs(report: RunReport, outcome: GateOutcome | undefined, err: (text: string) => void): Promise<WsbenchError | undefined>;
}

/** Checks every gate input before anything is started: bad input is a config error (exit 2). */
export async function prepareGate(args: GateArgs, scenario: Scenario, env: NodeJS.ProcessEnv = process.env): Promise<Gate> {
  const thresholds: { threshold: Threshold; origin: string }[] = [];
  scenario.thresholds.forEach((expression, i) => {
    const threshold = compileThreshold({ expression, location: { file: scenario.source, key: `thresholds[${i}]` } });
    thresholds.push({ threshold, origin: 'scenario' });
  });
  for (const expression of listOf(args.threshold))
    thresholds.push({ threshold: compileThreshold({ expression, location: { key: '--threshold' } }), origin: '--threshold' });

  const repeat = args.repeat ?? 1;
  if (Number.isNaN(repeat)) throw new ConfigError('is not a number', { key: '--repeat' });
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100)
    throw new ConfigError(`"${args.repeat}": must be a whole number from 1 to 100`, { key: '--repeat' });

  const options = parseMaxRegressionFlags(listOf(args['max-regression']), scenarioBaselineOptions(scenario));
  let baseline: { report: RunReport; source: string; specs: BaselineCheckSpec[] } | undefined;
  if (args.baseline !== undefined) {
    baseline = { report: await readReportFile(args.baseline, '--baseline'), source: args.baseline, specs: baselineChecks(options) };
  }

  const rules: AbortRule[] = args['abort-on-fail'] ? thresholds.flatMap(({ threshold }) => abortRule(threshold) ?? []) : [];
  const controller = new AbortController();
  let abortedBy: string | undefined;
  const active = thresholds.length > 0 || baseline !== undefined || !!(args.junit || args.markdown || args.hlog);

  return {
    active,
    repeat,
    signal: controller.signal,
    watch(listener) {
      if (rules.length === 0) return listener;
      return (event: EngineEvent) => {
        if (event.type === 'snapshot' && abortedBy === undefined) {
          const broken = firstBroken(rules, event.snapshot);
          if (broken) {
            abortedBy = broken;
            listener?.({ type: 'warning', message: `--abort-on-fail: ${broken}; stopping`, elapsedMs: event.snapshot.elapsedMs });
            controller.abort();
          }
        }
        listener?.(event);
      };
    },
    async runRepeated(once, stopped, notice) {
      const reports: RunReport[] = [];
      for (let i = 0; i < repeat; i++) {
        if (i > 0 && (stopped() || controller.signal.aborted)) break;
        if (repeat > 1) notice(`run ${i + 1} of ${repeat}\n`);
        try {
          reports.push(await once());
        } catch (e) {
          // Keep what the earlier runs measured in the partial report.
          if (e instanceof RunFailedError && reports.length > 0)
            throw new RunFailedError(e.cause as WsbenchError, mergeReports([...reports, e.report]));
          throw e;
        }
        if (!reports[reports.length - 1]!.run.completed) break;
      }
      return mergeReports(reports);
    },
    evaluate(report) {
      if (abortedBy) report.run.stopReason = `stopped by --abort-on-fail: ${abortedBy}`;
      if (!active && abortedBy === undefined) return undefined;
      const results = evaluateThresholds(thresholds, report);
      const compared = baseline ? { ...compareReports(baseline.report, report, baseline.specs), source: baseline.source } : undefined;
      const outcome = gateOutcome(results, compared, abortedBy);
      report.gate = gateReport(outcome);
      return outcome;
    },
    async writeOutputs(report, outcome, err) {
      const jobs: [string | undefined, () => string][] = [[args.hlog, () => hlogText(report)]];
      if (outcome) {
        jobs.push([args.junit, () => junitXml(report, outcome)], [args.markdown, () => markdownSummary(report, outcome)]);
      }
      let failure: WsbenchError | undefined;
      for (const [file, build] of jobs) {
        if (!file) continue;
        failure ??= await writeOutput(file, build(), err);
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

export async function writeOutput(file: string, content: string, err: (text: string) => void): Promise<WsbenchError | undefined> {
  try {
    await writeFile(file, content);
    return undefined;
  } catch (e) {
    err(`wsbench: error: cannot write ${file}: ${messageOf(e)}\n`);
    return new WsbenchError('SETUP', `cannot write ${file}`, { cause: e });
  }
}

/** Exit code for a finished, uninterrupted run. */
export function gateExitCode(outcome: GateOutcome | undefined): number {
  return outcome && !outcome.passed ? ExitCode.GATE_FAILED : ExitCode.OK;
}
