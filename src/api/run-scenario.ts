/**
 * The public `runScenario`: the engine's run composed with the gate (src/gate/gate.ts), the one
 * way from a scenario to a report and a verdict. Library callers get it from `wsbench`; the CLI's
 * `wsbench run` calls it too, with its flags turned into these options (cli/gate.ts) — so a
 * scenario judged in code and on the command line is judged the same way.
 *
 * What it adds to the engine: the scenario's own `thresholds:` and `baseline:` tolerances, the
 * options' thresholds and baseline, `repeat` (runs merged as one report), `abortOnFail`, and a
 * warning when the baseline ran a different scenario. It reads and writes no file: a baseline is
 * a report object (`readReport(file)` reads one and checks it as `--baseline` does).
 *
 * Errors: a bad option is a ConfigError before anything starts; a run that fails after measuring
 * something throws a RunFailedError carrying the partial `report` (merged with earlier repeats)
 * and the gate's verdict on it (`gate`, never a pass); anything else is a WsbenchError with a code.
 * What it returns, emits and throws has secrets redacted and peer text made inert, as the CLI's
 * outputs do.
 */
import type { Scenario } from '../config/resolve.js';
import type { EngineListener } from '../engine/events.js';
import { runEngine, type RunOptions as EngineRunOptions } from '../engine/runner.js';
import type { WsbenchError } from '../errors.js';
import type { BaselineOptions } from '../gate/baseline.js';
import {
  baselineSource,
  createGate,
  scenarioThresholds,
  scenarioTolerances,
  type BaselineInput,
  type ThresholdInput,
} from '../gate/gate.js';
import type { GateOutcome } from '../gate/result.js';
import { RunFailedError } from '../results/run-failed.js';
import type { RunReport } from '../results/types.js';
import { sanitizeData, sanitizeError, sanitizeReport } from '../sanitize.js';
import { checkReport } from './report-file.js';
import { baselineScenarioWarning, scenarioFacts } from './scenario-facts.js';

export interface RunScenarioOptions extends EngineRunOptions {
  /** Abort to stop early: the run still returns its (incomplete) report, and a gated run fails. */
  signal?: AbortSignal;
  /** Phase, snapshot and warning events as the run goes (what `--json` prints). */
  onEvent?: EngineListener;
  /**
   * Thresholds in addition to the scenario's `thresholds:`, e.g. `'fanout.p99 < 50ms'` (origin
   * `options`), or `{ expression, origin }` to name where one came from in its verdict.
   */
  thresholds?: readonly (string | ThresholdInput)[];
  /**
   * An earlier report to judge a regression against, with tolerances (fractions, 0.1 = 10 %)
   * that override the scenario's `baseline:` section.
   */
  baseline?: BaselineInput;
  /** Run the scenario this many times (1–100) and judge the merged report (`--repeat`). */
  repeat?: number;
  /** Stop the run as soon as a counter threshold is certainly broken (`--abort-on-fail`). */
  abortOnFail?: boolean;
  /**
   * Judge the run even without thresholds or a baseline (to write a JUnit or Markdown verdict):
   * `gate` is then always set, and fails when the run did not complete.
   */
  alwaysEvaluate?: boolean;
  /** Called before each run when `repeat` > 1, e.g. to print "run 2 of 3". */
  onRun?: (run: number, runs: number) => void;
}

export interface RunScenarioResult {
  /** The report (merged over the runs with `repeat`); with the verdict in `report.gate` when gated. */
  report: RunReport;
  /** The gate's verdict; undefined when nothing was asked (no thresholds, baseline or alwaysEvaluate). */
  gate: GateOutcome | undefined;
}

/** The engine's run as the composition needs it (unit tests give a stand-in). */
export type EngineRun = (scenario: Scenario, options: EngineRunOptions) => Promise<RunReport>;

/** Runs a scenario (loaded or built with the scenario functions) and judges it. */
export function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<RunScenarioResult> {
  return runGated(runEngine, scenario, options);
}

/**
 * The composition, with the engine passed in. Everything it hands out — events, the report, the
 * verdict, errors (their messages, stacks, causes, partial reports) — is safe to print as it is:
 * secrets redacted and peer text inert (src/sanitize.ts), as the CLI prints it, since a library
 * caller prints or stores what it gets. The gate itself judges the engine's own events and report.
 */
export async function runGated(engine: EngineRun, scenario: Scenario, options: RunScenarioOptions = {}): Promise<RunScenarioResult> {
  try {
    return await judgedRun(engine, scenario, options);
  } catch (e) {
    // A bad option, a setup failure, a failed run: message, stack and causes, in place.
    throw sanitizeError(e);
  }
}

async function judgedRun(engine: EngineRun, scenario: Scenario, options: RunScenarioOptions): Promise<RunScenarioResult> {
  const { thresholds = [], baseline, repeat, abortOnFail, alwaysEvaluate, onRun, signal, onEvent, ...engineOptions } = options;
  const judged = baseline && baselineOf(scenario, baseline);
  const warning = judged?.warning;
  const gate = createGate({
    thresholds: [...scenarioThresholds(scenario), ...thresholds.map(locatedOption)],
    ...(judged ? { baseline: judged } : {}),
    ...(repeat !== undefined ? { repeat } : {}),
    abortOnFail: abortOnFail === true,
    alwaysEvaluate: alwaysEvaluate === true,
  });
  const toCaller: EngineListener | undefined = onEvent && ((event) => onEvent(sanitizeData(event)));
  // Said before anything starts, as the run's own warnings are; the verdict carries it too.
  if (warning) toCaller?.({ type: 'warning', message: warning, elapsedMs: 0 });
  const watched = gate.watch(toCaller);
  const runSignal = signal ? AbortSignal.any([signal, gate.signal]) : gate.signal;
  let report: RunReport;
  try {
    report = await gate.runRepeated(
      () => engine(scenario, { ...engineOptions, signal: runSignal, ...(watched ? { onEvent: watched } : {}) }),
      {
        ...(signal ? { signal } : {}),
        ...(onRun ? { onRun } : {}),
      },
    );
  } catch (e) {
    if (e instanceof RunFailedError) {
      // Judged first (the verdict is stored in the report), then both made safe.
      const verdict = gate.evaluate(e.report);
      throw new RunFailedError(sanitizeError(e.cause as WsbenchError), sanitizeReport(e.report), verdict && sanitizeData(verdict));
    }
    throw e;
  }
  const verdict = gate.evaluate(report);
  return { report: sanitizeReport(report), gate: verdict && sanitizeData(verdict) };
}

/**
 * The baseline as the gate gets it: the report checked like a `--baseline` file, the scenario's
 * tolerances under the caller's, and a warning naming what differs when the baseline ran another
 * scenario (its figures are then not like for like).
 */
function baselineOf(scenario: Scenario, baseline: BaselineInput): BaselineInput {
  const report = checkReport(baseline.report, { key: 'baseline.report' });
  const source = baselineSource({ ...baseline, report });
  const warning = baselineScenarioWarning(report, scenarioFacts(scenario), source);
  return { report, source, tolerances: overriding(scenarioTolerances(scenario), baseline.tolerances), ...(warning ? { warning } : {}) };
}

/** A caller's threshold, located by its option (`thresholds[1]: …`) unless it says where it came from. */
function locatedOption(input: string | ThresholdInput, i: number): ThresholdInput {
  const t = typeof input === 'string' ? { expression: input } : input;
  return { ...t, location: t.location ?? { key: `thresholds[${i}]` } };
}

/** The scenario's tolerances with the caller's on top (per metric, and the overall one when given). */
function overriding(base: BaselineOptions, over: BaselineOptions | undefined): BaselineOptions {
  if (!over) return base;
  return {
    ...base,
    ...(over.maxRegression !== undefined ? { maxRegression: over.maxRegression } : {}),
    metrics: { ...base.metrics, ...over.metrics },
  };
}
