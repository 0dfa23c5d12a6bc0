/**
 * `wsbench run --find-capacity 'fanout.p99 < 100ms'`: a ramp test. Steps the connection count (or
 * the publish rate) up from the scenario's value until the condition breaks, narrows down between
 * the last good and the first bad step, and reports the last good one. A step where wsbench itself
 * was the bottleneck ends the search as inconclusive: past it, the figures measure the tool.
 * `--capacity-by ramp` runs once instead, the scenario's stages ramping the load, and checks the
 * condition interval by interval of the timeline (gate/ramp-capacity.ts).
 */
import type { Scenario } from '../config/resolve.js';
import { runEngine } from '../engine/runner.js';
import { RunFailedError } from '../results/run-failed.js';
import { machinePreflight } from '../doctor/preflight.js';
import type { EngineListener } from '../engine/events.js';
import { searchCapacity } from '../engine/capacity-search.js';
import { compileThreshold, evaluateThreshold } from '../gate/thresholds.js';
import { ExitCode } from '../exit-codes.js';
import { ConfigError } from '../errors.js';
import type { RunReport } from '../results/types.js';
import { fmtInt } from '../reporters/format.js';
import { capacityAlongRamp } from '../gate/ramp-capacity.js';
import { writeReportFile } from './write-report.js';
import { sanitizeReport } from '../sanitize.js';
import type { CapacityArgs } from './flags/run.js';

interface StepDetail {
  completed: boolean;
  condition: string;
  bottleneck: string | null;
  fanoutP99Ms: number | null;
  deliveryRatio: number | null;
}

function withLoad(scenario: Scenario, by: 'connections' | 'rate', load: number): Scenario {
  const asRun = structuredClone(scenario.asRun) as Record<string, Record<string, unknown>>;
  if (by === 'connections') {
    asRun['clients'] = { ...asRun['clients'], connections: load };
    return { ...scenario, clients: { ...scenario.clients, connections: load }, asRun };
  }
  asRun['publish'] = { ...asRun['publish'], rate: load };
  return { ...scenario, publish: { ...scenario.publish, rate: load }, asRun };
}

export async function findCapacity(
  args: CapacityArgs & { out?: string },
  scenario: Scenario,
  signal: AbortSignal,
  onEvent: EngineListener | undefined,
  print: (text: string) => void,
): Promise<number> {
  const condition = compileThreshold({ expression: args['find-capacity']!, location: { key: '--find-capacity' } });
  if (args['capacity-by'] === 'ramp') return findCapacityAlongRamp(args, scenario, condition, signal, onEvent, print);
  const by = args['capacity-by'] === 'rate' ? 'rate' : 'connections';
  const start = by === 'connections' ? scenario.clients.connections : scenario.publish.rate;
  const max = args['capacity-max'] ?? start * 64;
  const factor = args['capacity-factor'] ?? 2;
  if (!(factor > 1)) throw new ConfigError('must be greater than 1', { key: '--capacity-factor' });
  if (!(max >= start)) throw new ConfigError(`must be at least the starting ${by} (${start})`, { key: '--capacity-max' });

  let inconclusive: string | null = null;
  const reports: RunReport[] = [];
  print(`capacity search: ${by} from ${fmtInt(start)} ×${factor} up to ${fmtInt(max)} while ${condition.source}\n`);
  const result = await searchCapacity<StepDetail>(
    { start, factor, max, refinements: 3 },
    async (load) => {
      let report: RunReport;
      try {
        report = await runEngine(withLoad(scenario, by, load), { signal, preflight: machinePreflight, ...(onEvent ? { onEvent } : {}) });
      } catch (e) {
        if (!(e instanceof RunFailedError)) throw e;
        report = e.report;
      }
      report = sanitizeReport(report);
      reports.push(report);
      const verdict = evaluateThreshold(condition, report, '--find-capacity');
      const ws = Object.values(report.transports)[0];
      const bottleneck = ws?.tool.bottleneck ? ws.tool.bottleneckReasons.join('; ') : null;
      const ok = report.run.completed && verdict.passed && bottleneck === null;
      if (bottleneck && verdict.passed) inconclusive = `at ${fmtInt(load)} ${by} the tool itself was the bottleneck (${bottleneck})`;
      const status = ok ? 'ok        ' : bottleneck && verdict.passed ? 'tool-bound' : 'FAIL      ';
      print(
        `  ${fmtInt(load).padStart(10)} ${by}: ${status} ${verdict.message}${report.run.completed ? '' : ` (run not completed: ${report.run.stopReason})`}${bottleneck ? ` [tool bottleneck: ${bottleneck}]` : ''}\n`,
      );
      return {
        ok,
        detail: {
          completed: report.run.completed,
          condition: verdict.message,
          bottleneck,
          fanoutP99Ms: ws?.fanoutLatencyMs.p99 ?? null,
          deliveryRatio: ws?.delivery.deliveryRatio ?? null,
        },
      };
    },
    () => signal.aborted || inconclusive !== null,
  );

  const summary =
    result.lastGood === null
      ? inconclusive
        ? `capacity: inconclusive — the tool was the bottleneck from the first step`
        : `capacity: even ${fmtInt(start)} ${by} broke "${condition.source}"`
      : `capacity: ${fmtInt(result.lastGood)} ${by} hold "${condition.source}"${result.firstBad !== null ? `; ${fmtInt(result.firstBad)} do not` : ` (up to the --capacity-max of ${fmtInt(max)})`}`;
  print(`${summary}${inconclusive ? `\n  inconclusive beyond that: ${inconclusive}` : ''}\n`);
  if (args.out) {
    const capacitySearch = { condition: condition.source, by, start, max, factor, ...result, inconclusive };
    const written = await writeReportFile(args.out, { capacitySearch, reports }, print);
    if (!written.ok) print(`wsbench: error: ${written.message}\n`);
  }
  if (signal.aborted) return ExitCode.INTERRUPTED;
  return result.lastGood === null ? ExitCode.GATE_FAILED : ExitCode.OK;
}

/** `--capacity-by ramp`: one run along the scenario's stages, the condition checked interval by interval. */
async function findCapacityAlongRamp(
  args: CapacityArgs & { out?: string },
  scenario: Scenario,
  condition: ReturnType<typeof compileThreshold>,
  signal: AbortSignal,
  onEvent: EngineListener | undefined,
  print: (text: string) => void,
): Promise<number> {
  if (!scenario.stages || scenario.stages.length === 0)
    throw new ConfigError("ramp checks the condition along the scenario's stages: give stages that ramp the load (stages: or --stage)", {
      key: '--capacity-by',
    });
  const transport = scenario.transports[0]!;
  print(`capacity search: along the stages' ramp (${transport}), interval by interval, while ${condition.source}\n`);
  let report: RunReport;
  try {
    report = await runEngine(scenario, { signal, preflight: machinePreflight, ...(onEvent ? { onEvent } : {}) });
  } catch (e) {
    if (!(e instanceof RunFailedError)) throw e;
    report = e.report;
  }
  report = sanitizeReport(report);
  const result = capacityAlongRamp(report, transport, condition);
  for (const step of result.steps)
    print(
      `  ${(step.startMs / 1000).toFixed(1).padStart(7)} s  ${fmtInt(step.connections).padStart(8)} connections ${fmtInt(step.ratePerSec).padStart(8)} publishes/s: ${step.verdict === 'ok' ? 'ok        ' : step.verdict === 'fail' ? 'FAIL      ' : 'tool-bound'} ${step.message}\n`,
    );
  const at = (s: { connections: number; ratePerSec: number }) =>
    `${fmtInt(s.connections)} connections at ${fmtInt(s.ratePerSec)} publishes/s`;
  const summary =
    result.lastGood === null
      ? result.steps.length === 0
        ? `capacity: no measured interval while publishing (${report.run.completed ? 'the run measured nothing' : `run not completed: ${report.run.stopReason}`})`
        : result.inconclusive
          ? 'capacity: inconclusive — the tool was the bottleneck from the first interval'
          : `capacity: even the first interval (${at(result.steps[0]!)}) broke "${condition.source}"`
      : `capacity: ${at(result.lastGood)} held "${condition.source}"${result.firstBad ? `; ${at(result.firstBad)} did not` : ' (to the end of the ramp)'}`;
  print(`${summary}${result.inconclusive ? `\n  inconclusive beyond that: ${result.inconclusive}` : ''}\n`);
  if (args.out) {
    const capacitySearch = { condition: condition.source, by: 'ramp', transport, ...result };
    const written = await writeReportFile(args.out, { capacitySearch, reports: [report] }, print);
    if (!written.ok) print(`wsbench: error: ${written.message}\n`);
  }
  if (signal.aborted) return ExitCode.INTERRUPTED;
  return result.lastGood === null ? ExitCode.GATE_FAILED : ExitCode.OK;
}
