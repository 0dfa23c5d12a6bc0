/**
 * wsbench as a library: `import { … } from 'wsbench'`. The same engine, gate, scenario validation
 * and reporters the CLI uses — `wsbench run` calls this `runScenario` with its flags as options.
 *
 *   const scenario = buildScenario(defineScenario({ clients: { connections: 50 }, publish: { rate: '100/s', duration: '5s' } }));
 *   const { report, gate } = await runScenario(scenario, { thresholds: ['fanout.p99 < 50ms'], onEvent: (e) => … });
 *   console.log(textSummary(report) + gateText(gate));
 */
import { loadScenarioFile, parseScenarioText } from './config/load.js';
import type { Scenario } from './config/resolve.js';
import type { ScenarioInput } from './config/schema.js';

// ---- scenarios ----------------------------------------------------------------------------

/**
 * A scenario written in code, checked by TypeScript against the scenario's input type (the same
 * keys, units and defaults as a YAML file). Returns its argument unchanged; `buildScenario`
 * validates and resolves it.
 */
export function defineScenario(input: ScenarioInput): ScenarioInput {
  return input;
}

/**
 * Validates a scenario given as a plain object (e.g. from `defineScenario`) and resolves its
 * defaults. Throws a ConfigError naming the key, e.g. `publish.rate: "-5/s": must be greater than zero`.
 */
export function buildScenario(input: ScenarioInput): Scenario {
  // The object goes through the same validator as a file: JSON is YAML. No file name, so messages
  // name the key without a meaningless line and column.
  return parseScenarioText(JSON.stringify(input), '');
}

/** Parses and validates scenario text (YAML or JSON); `source` (e.g. a file name) appears in errors with line and column. */
export function parseScenario(text: string, source = '<text>'): Scenario {
  return parseScenarioText(text, source);
}

/** Reads, parses and validates a scenario file (YAML or JSON). */
export function loadScenario(file: string): Promise<Scenario> {
  return loadScenarioFile(file);
}

export type { Scenario } from './config/resolve.js';
export type { ScenarioInput } from './config/schema.js';

// ---- running and judging ------------------------------------------------------------------

export { runScenario, type RunScenarioOptions, type RunScenarioResult } from './api/run-scenario.js';
export type { Preflight } from './engine/runner.js';
export type { EngineEvent, EngineListener, IntervalEvent, Phase, Snapshot } from './engine/events.js';
export { machinePreflight } from './doctor/preflight.js';
export { mergeReports } from './results/merge.js';
export { readReport } from './api/report-file.js';
export type { BaselineInput, ThresholdInput } from './gate/gate.js';
export type { BaselineOptions, BaselineCheck, BaselineResult, Verdict } from './gate/baseline.js';
export type { ThresholdResult } from './gate/thresholds.js';
export type { BaselineVerdict, GateOutcome } from './gate/result.js';

// ---- reports and reporters ----------------------------------------------------------------

export { REPORT_SCHEMA } from './results/types.js';
export type {
  Comparison,
  ComparisonRow,
  ConnectionReport,
  DeliveryCounts,
  DeliveryReport,
  EncodedHistograms,
  GateReport,
  IgnoredBreakdown,
  Incident,
  IncidentKind,
  IntervalLatency,
  IntervalUpstream,
  ProcessStats,
  RepeatedRun,
  RunReport,
  ThroughputReport,
  Timeline,
  TimelineInterval,
  ToolReport,
  TransportName,
  TransportReport,
  UpstreamReport,
  WebSocketAdvantage,
  WireReport,
} from './results/types.js';
export type { LatencySummary } from './metrics/histogram.js';
/** What each incident kind means, and whether a report describes a degraded run (what exit code 4 says). */
export { INCIDENT_KINDS, isDegraded } from './results/incidents.js';
export { textSummary, type TextSummaryOptions } from './reporters/text.js';
export { gateText } from './reporters/gate-text.js';
export { jsonReport } from './reporters/json.js';
export { junitXml } from './reporters/junit.js';
export { markdownSummary } from './reporters/markdown.js';
export { hlogText } from './reporters/hlog.js';
export { htmlReport, type HtmlAssets, type HtmlReportInput } from './reporters/html.js';
export { htmlAssets } from './api/html-assets.js';

// ---- errors and exit codes ----------------------------------------------------------------

export { RunFailedError } from './results/run-failed.js';
export { WsbenchError, ConfigError, ERROR_CODES, isWsbenchError, type ErrorCode, type ConfigLocation } from './errors.js';
export { ExitCode, ConnectExitCode } from './exit-codes.js';
export { TOOL_VERSION as version } from './version.js';
