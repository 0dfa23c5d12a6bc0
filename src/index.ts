/**
 * wsbench as a library: `import { … } from 'wsbench'`. The same engine, scenario validation and
 * reporters the CLI uses — the CLI is a layer on top of these, not beside them.
 *
 *   const scenario = buildScenario(defineScenario({ clients: { connections: 50 }, publish: { rate: '100/s', duration: '5s' } }));
 *   const report = await runScenario(scenario, { onEvent: (e) => … });
 *   console.log(textSummary(report));
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

// ---- running ------------------------------------------------------------------------------

export { runScenario, type RunOptions } from './engine/runner.js';
export { RunFailedError } from './results/run-failed.js';
export type { EngineEvent, EngineListener, Phase, Snapshot } from './engine/events.js';
export { mergeReports } from './results/merge.js';

// ---- reports and reporters ----------------------------------------------------------------

export { REPORT_SCHEMA } from './results/types.js';
export type {
  Comparison,
  ComparisonRow,
  ConnectionReport,
  DeliveryReport,
  EncodedHistograms,
  GateReport,
  IgnoredBreakdown,
  ProcessStats,
  RepeatedRun,
  RunReport,
  ThroughputReport,
  ToolReport,
  TransportName,
  TransportReport,
  WebSocketAdvantage,
  WireReport,
} from './results/types.js';
export type { LatencySummary } from './metrics/histogram.js';
export { textSummary, type TextSummaryOptions } from './reporters/text.js';
export { jsonReport } from './reporters/json.js';
export { junitXml } from './reporters/junit.js';
export { markdownSummary } from './reporters/markdown.js';
export { hlogText } from './reporters/hlog.js';
export type { GateOutcome } from './gate/result.js';

// ---- errors and exit codes ----------------------------------------------------------------

export { WsbenchError, ConfigError, isWsbenchError, type ErrorCode, type ConfigLocation } from './errors.js';
export { ExitCode, ConnectExitCode } from './exit-codes.js';
export { TOOL_VERSION as version } from './version.js';
