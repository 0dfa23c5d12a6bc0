/**
 * The gate around a run, with typed options rather than flags: thresholds (expression + where it
 * came from), a baseline report with tolerances, repeats, and the early abort. It watches the
 * engine's events, runs the scenario up to `repeat` times through a function it is given, merges
 * the reports and judges the result. Pure: it starts nothing and reads no file. The public
 * `runScenario` (src/api/run-scenario.ts) is its one user: it composes this with the engine, for
 * library callers and the CLI alike.
 *
 *   const gate = createGate({ thresholds: ['fanout.p99 < 50ms'], baseline: { report, source } });
 *   const report = await gate.runRepeated(() => runEngine(scenario, { signal: gate.signal, onEvent: gate.watch(show) }));
 *   const outcome = gate.evaluate(report);
 */
import { inEffectWarning } from './scenario-diff.js';
import type { Scenario } from '../config/resolve.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';
import { ConfigError, type ConfigLocation, type WsbenchError } from '../errors.js';
import { mergeReports } from '../results/merge.js';
import { RunFailedError } from '../results/run-failed.js';
import type { RunReport } from '../results/types.js';
import { abortRule, firstBroken, type AbortRule } from './abort.js';
import { baselineChecks, compareReports, type BaselineCheckSpec, type BaselineOptions } from './baseline.js';
import type { Threshold } from './expression.js';
import { gateOutcome, gateReport, type GateOutcome } from './result.js';
import { compileThreshold, evaluateThresholds } from './thresholds.js';

export interface ThresholdInput {
  /** e.g. `fanout.p99 < 50ms` (the grammar of the scenario's `thresholds:`). */
  expression: string;
  /** Where it came from, shown with its verdict: `scenario`, `--threshold`, `options` (the default) … */
  origin?: string;
  /** Where a bad expression is reported (a scenario file position or a flag). */
  location?: ConfigLocation;
}

export interface BaselineInput {
  /** The earlier report to compare with (read by the caller, e.g. with `readReport(file)`). */
  report: RunReport;
  /** Its name in verdicts, e.g. the file it was read from (default: `run <its run id>`). */
  source?: string;
  /**
   * Allowed changes as fractions (0.1 = 10 %) in the worse direction: `maxRegression` for every
   * compared metric, `metrics` per metric path (or `'off'`); default 10 % on fanout.p50,
   * fanout.p99, delivery.lostRatio and throughput.deliveriesPerSec.
   */
  tolerances?: BaselineOptions;
  /** Said with the baseline's verdict, e.g. that the baseline ran a different scenario. */
  warning?: string;
}

export interface GateOptions {
  /** Expressions such as `fanout.p99 < 50ms` (origin `options`), or with their origin. */
  thresholds?: readonly (string | ThresholdInput)[];
  baseline?: BaselineInput;
  /** Run the scenario this many times (1–100) and judge the merged report. */
  repeat?: number;
  /** Stop the run as soon as a threshold is certainly broken (counters only: see abort.ts). */
  abortOnFail?: boolean;
  /** Evaluate even without thresholds or a baseline (the caller writes a JUnit or Markdown verdict). */
  alwaysEvaluate?: boolean;
}

export interface Gate {
  /** True when the gate will judge the run (thresholds, a baseline, or alwaysEvaluate). */
  readonly active: boolean;
  readonly repeat: number;
  /** Aborted when abortOnFail finds a threshold certainly broken; give it to the run. */
  readonly signal: AbortSignal;
  /** Wraps an event listener to watch live snapshots for a certainly broken threshold. */
  watch(listener?: EngineListener): EngineListener | undefined;
  /**
   * Runs `once` up to `repeat` times (stopping early when a run does not complete or `signal`
   * aborts) and merges the reports; a failed run after good ones still carries them all.
   */
  runRepeated(
    once: () => Promise<RunReport>,
    options?: { signal?: AbortSignal; onRun?: (run: number, runs: number) => void },
  ): Promise<RunReport>;
  /**
   * Judges thresholds and the baseline and stores the verdicts in `report.gate`. A run that did
   * not complete never passes (the JUnit file has its failing "run completed" case for the same
   * reason). Undefined when the gate is not active.
   */
  evaluate(report: RunReport): GateOutcome | undefined;
}

/** The scenario's `thresholds:`, located in its file so a bad one points at its line. */
export function scenarioThresholds(scenario: Pick<Scenario, 'thresholds' | 'source'>): ThresholdInput[] {
  return scenario.thresholds.map((expression, i) => ({
    expression,
    origin: 'scenario',
    location: { file: scenario.source, key: `thresholds[${i}]` },
  }));
}

/** The scenario's `baseline:` tolerances (already validated). */
export function scenarioTolerances(scenario: Pick<Scenario, 'baseline'>): BaselineOptions {
  const b = scenario.baseline;
  return b ? { maxRegression: b.maxRegression, metrics: { ...b.metrics } } : {};
}

/** A baseline's name in verdicts: the caller's, else its run id. */
export function baselineSource(baseline: Pick<BaselineInput, 'report' | 'source'>): string {
  return baseline.source ?? `run ${baseline.report.run.id}`;
}

/** A repeat count is a whole number from 1 to 100; `where` names the option or flag it came from. */
export function checkRepeat(value: number, where: ConfigLocation): number {
  // yargs hands over NaN for text: the text itself is gone.
  if (Number.isNaN(value)) throw new ConfigError('is not a number', where);
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw new ConfigError(`"${value}": must be a whole number from 1 to 100`, where);
  return value;
}

/**
 * The checks a baseline's tolerances ask for. Tolerances come checked from the scenario and the
 * flags; a library caller's are checked here, each error naming its option.
 */
function toleranceChecks(tolerances: BaselineOptions = {}): BaselineCheckSpec[] {
  const given: [string, unknown][] = [
    ['maxRegression', tolerances.maxRegression],
    ...Object.entries(tolerances.metrics ?? {}).map(([metric, t]): [string, unknown] => [`metrics.${metric}`, t]),
  ];
  for (const [key, t] of given) {
    if (t === undefined || (t === 'off' && key !== 'maxRegression')) continue;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
      throw new ConfigError(`${JSON.stringify(t)}: expected a fraction such as 0.1 (10 %)${key === 'maxRegression' ? '' : ' or "off"'}`, {
        key: `baseline.tolerances.${key}`,
      });
  }
  try {
    return baselineChecks(tolerances);
  } catch (e) {
    throw e instanceof ConfigError ? new ConfigError(e.message, { key: 'baseline.tolerances.metrics' }, { cause: e }) : e;
  }
}

/** Checks every option before anything runs: a bad one is a ConfigError (exit 2). */
export function createGate(options: GateOptions = {}): Gate {
  const thresholds: { threshold: Threshold; origin: string }[] = (options.thresholds ?? []).map((input) => {
    const t = typeof input === 'string' ? { expression: input } : input;
    return { threshold: compileThreshold({ expression: t.expression, location: t.location ?? {} }), origin: t.origin ?? 'options' };
  });
  const repeat = checkRepeat(options.repeat ?? 1, { key: 'repeat' });
  const baseline: { report: RunReport; source: string; warning?: string; specs: BaselineCheckSpec[] } | undefined = options.baseline && {
    report: options.baseline.report,
    source: baselineSource(options.baseline),
    ...(options.baseline.warning ? { warning: options.baseline.warning } : {}),
    specs: toleranceChecks(options.baseline.tolerances),
  };
  const rules: AbortRule[] = options.abortOnFail ? thresholds.flatMap(({ threshold }) => abortRule(threshold) ?? []) : [];
  const controller = new AbortController();
  let abortedBy: string | undefined;
  const active = thresholds.length > 0 || baseline !== undefined || options.alwaysEvaluate === true;

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

    async runRepeated(once, { signal, onRun = () => {} } = {}) {
      const reports: RunReport[] = [];
      for (let i = 0; i < repeat; i++) {
        if (i > 0 && (signal?.aborted || controller.signal.aborted)) break;
        if (repeat > 1) onRun(i + 1, repeat);
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
      // What the connections had in effect (TLS, compression) is known only once the run is over.
      const warning = baseline && [baseline.warning, inEffectWarning(baseline.report, report, baseline.source)].filter(Boolean).join('; ');
      const compared = baseline && {
        ...compareReports(baseline.report, report, baseline.specs),
        source: baseline.source,
        ...(warning ? { warning } : {}),
      };
      const incomplete = report.run.completed ? undefined : (report.run.stopReason ?? 'stopped');
      const outcome = gateOutcome(results, compared, abortedBy, incomplete);
      report.gate = gateReport(outcome);
      return outcome;
    },
  };
}
