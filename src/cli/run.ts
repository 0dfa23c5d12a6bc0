/**
 * `wsbench run [scenario]`: load the scenario (flags override it), run it through the public
 * `runScenario` (the engine and the gate, as a library caller gets them), show progress, print
 * the summary and the verdict and write the report and the gate's files. Exit codes: see
 * src/exit-codes.ts.
 */
import type { ArgumentsCamelCase } from 'yargs';
import type { RunArgs } from './flags/run.js';
import { loadScenarioFile, parseScenarioText } from '../config/load.js';
import { fieldOverrides, stagesOverride, targetOverride, type FieldFlag } from '../config/overrides.js';
import { runScenario, type RunScenarioOptions } from '../api/run-scenario.js';
import { AgentCoordinator } from '../distributed/coordinator.js';
import { agentNameProblem, labelProblem } from '../distributed/protocol.js';
import { defaultWorkerCount } from '../engine/workers.js';
import { connectionsOfRange, interleaveClients } from '../engine/worker-plans.js';
import { runLatencyErrorBound } from '../metrics/clock-bound.js';
import { formatDuration, parseDurationMs } from '../config/units.js';
import type { Scenario } from '../config/resolve.js';
import type { AgentReport } from '../results/types.js';
import { RunFailedError } from '../results/run-failed.js';
import { machinePreflight } from '../doctor/preflight.js';
import { ExitCode } from '../exit-codes.js';
import { ConfigError, WsbenchError } from '../errors.js';
import type { RunReport } from '../results/types.js';
import { chooseOutputMode } from '../ui/mode.js';
import { keepFirstFailure, reportError } from './errors.js';
import { gateExitCode, prepareGate, type CliGate } from './gate.js';
import { findCapacity } from './find-capacity.js';
import type { GateOutcome } from '../gate/result.js';
import { gateText } from '../reporters/gate-text.js';
import { createProgressSink, type ProgressSink } from './progress-sink.js';
import { onInterrupt } from './signals.js';
import { writeHtmlReport } from './report.js';
import { checkOutputFiles } from './output-files.js';
import { writeReportFile } from './write-report.js';
import { safeText, sanitizeData } from '../sanitize.js';

/** `run`'s handler (its flags are in ./flags/run.ts, its name and description in main.ts). */
export const runCommand = {
  handler: async (argv: ArgumentsCamelCase<RunArgs>) => {
    process.exitCode = await run(argv);
  },
};

const FIELD_FLAG_NAMES: FieldFlag[] = [
  'connections',
  'rate',
  'duration',
  'payload-size',
  'channels',
  'encoding',
  'warmup',
  'drain',
  'ramp-up',
  'max-handshakes',
  'redis',
  'workers',
  'local-address',
  'ws-client',
  'churn',
];

export async function run(argv: RunArgs): Promise<number> {
  const verbose = argv.verbose ?? false;
  const err = (text: string) => process.stderr.write(text);
  let report: RunReport | undefined;
  let failure: unknown;
  let gateFlags: CliGate | undefined;
  let outcome: GateOutcome | undefined;
  const controller = new AbortController();
  // `--out -` puts the JSON report on stdout: everything else that would go there goes to stderr.
  const reportOnStdout = argv.out === '-';
  const stdout = reportOnStdout ? process.stderr : process.stdout;
  const choice = chooseOutputMode({
    stdoutIsTTY: stdout.isTTY === true,
    env: process.env,
    json: argv.json,
    quiet: argv.quiet,
    tui: argv.tui,
  });
  if (verbose) err(`wsbench: output: ${choice.mode} (${choice.reason}), colour ${choice.color ? 'on' : 'off'}\n`);
  let sink: ProgressSink | undefined;
  let agents: AgentCoordinator | undefined;
  let agentRun: Pick<RunScenarioOptions, 'workers' | 'startWorkers'> = {};
  const removeSignals = onInterrupt(
    () => controller.abort(),
    (text) => (sink ? sink.notice(text) : err(text)),
  );
  try {
    const values: Partial<Record<FieldFlag, unknown>> = {};
    for (const name of FIELD_FLAG_NAMES) values[name] = argv[name];
    const overrides = [
      ...fieldOverrides(values),
      ...(argv.target !== undefined ? [targetOverride(argv.target)] : []),
      ...(argv.stage !== undefined ? [stagesOverride(argv.stage)] : []),
    ];
    const scenario = argv.scenario ? await loadScenarioFile(argv.scenario, overrides) : parseScenarioText('', '', overrides);
    if (reportOnStdout && (argv.json || argv['find-capacity'] !== undefined))
      throw new ConfigError(`"-" (stdout) cannot be used with ${argv.json ? '--json' : '--find-capacity'}, which write to stdout too`, {
        key: '--out',
      });
    await checkOutputFiles([
      { flag: '--out', file: argv.out, stdoutAllowed: true },
      { flag: '--junit', file: argv.junit },
      { flag: '--markdown', file: argv.markdown },
      { flag: '--hlog', file: argv.hlog },
      { flag: '--html', file: argv.html },
    ]);
    const title = scenario.name === undefined ? null : safeText(scenario.name);
    // q and Ctrl-C in the dashboard (stdin in raw mode) do exactly what the first Ctrl-C does.
    const interrupt = () => process.emit('SIGINT', 'SIGINT');
    if (argv['find-capacity'] !== undefined) {
      // A search is many runs and prints a line per step: plain progress, never the dashboard.
      const stepChoice =
        choice.mode === 'tui' || choice.mode === 'json'
          ? { ...choice, mode: choice.mode === 'json' ? ('quiet' as const) : ('plain' as const) }
          : choice;
      const progress = (sink = await createProgressSink({ choice: stepChoice, title, interrupt }));
      return await findCapacity(
        argv,
        scenario,
        controller.signal,
        (event) => progress.onEvent(sanitizeData(event)),
        (t) => process.stdout.write(safeText(t)),
      );
    }
    const distributed = agentsSettings(argv, scenario);
    const progress = (sink = await createProgressSink({ choice, title, interrupt, stdout }));
    gateFlags = await prepareGate(argv);
    if (distributed) {
      progress.notice(`waiting for ${distributed.agents} agent(s) on the control Redis (at most ${formatDuration(distributed.waitMs)})\n`);
      agents = await AgentCoordinator.open({ ...distributed, signal: controller.signal, log: (line) => progress.notice(`${line}\n`) });
      agentRun = {
        // Every client the load asks for at once (stages may go above the connections opened first).
        workers: agents.plan(scenario.load.maxConnections, defaultWorkerCount, interleaveClients, (range) =>
          connectionsOfRange(scenario, range),
        ),
        startWorkers: agents.startWorkers,
      };
      agents.transportsLeft = scenario.transports.length * (gateFlags.options.repeat ?? 1);
    }
    ({ report, gate: outcome } = await runScenario(scenario, {
      ...gateFlags.options,
      signal: controller.signal,
      // runScenario hands out events, reports, verdicts and errors already safe to print.
      onEvent: (event) => progress.onEvent(event),
      preflight: machinePreflight,
      ...agentRun,
      ...(argv.quiet ? {} : { onRun: (run: number, runs: number) => progress.notice(`run ${run} of ${runs}\n`) }),
    }));
  } catch (e) {
    failure = e;
    if (e instanceof RunFailedError) ({ report, gate: outcome } = e);
  } finally {
    if (agents) {
      // Never in the way of the report: the agents stop on their own when the coordinator goes quiet.
      await agents.close().catch(() => {});
      if (report) report = withAgents(report, agents.report());
    }
    // The dashboard goes before anything else is written, so no output lands inside it.
    await sink?.close(report?.run.completed ?? false);
    removeSignals();
  }

  if (report) {
    // Secrets out and peer text inert already (runScenario's report): every output below is built from it.
    sink?.result(report);
    // The gate's verdict: with the summary, or on stderr when stdout carries NDJSON or the report.
    if (outcome?.baseline?.warning) process.stderr.write(`wsbench: warning: ${safeText(outcome.baseline.warning)}\n`);
    if (outcome) (choice.mode === 'json' ? process.stderr : stdout).write(safeText(gateText(outcome)));
    if (argv.out) {
      const written = await writeReportFile(argv.out, report, (text) => process.stdout.write(text));
      if (!written.ok) failure = keepFirstFailure(failure, new WsbenchError('SETUP', written.message, { cause: written.cause }), err);
    }
    // Each output failure said once: the first (or the run's own failure) at the end, any other now.
    failure = keepFirstFailure(failure, await gateFlags?.writeOutputs(report, outcome, err), err);
    if (argv.html)
      failure = keepFirstFailure(failure, await writeHtmlReport(argv.html, [{ label: report.run.name ?? report.run.id, report }]), err);
  }
  if (failure) return reportError(failure, verbose);
  if (controller.signal.aborted) return ExitCode.INTERRUPTED;
  return gateExitCode(outcome, report);
}

/**
 * The distributed run asked for, by `--agents N` and its companions or by the scenario's
 * `distributed:` block (flags win), checked; null for a local run. The control Redis is
 * `distributed.controlRedis`, else the run's Redis (which the agents must then reach).
 */
function agentsSettings(
  argv: RunArgs,
  scenario: Scenario,
): { url: string; agents: number; names?: string[]; waitMs: number; labels: Record<string, string>; prefix?: string } | null {
  const block = scenario.distributed;
  if (argv.agents === undefined && !block) {
    for (const flag of ['agents-wait', 'agent-label', 'control-prefix'] as const)
      if (argv[flag] !== undefined) throw new ConfigError('only with --agents N (or distributed: in the scenario)', { key: `--${flag}` });
    return null;
  }
  if (argv.agents !== undefined && (!Number.isSafeInteger(argv.agents) || argv.agents < 1 || argv.agents > 1000))
    throw new ConfigError('must be a whole number of agents from 1 to 1000', { key: '--agents' });
  const key = argv.agents !== undefined ? '--agents' : 'distributed';
  if (argv['find-capacity'] !== undefined) throw new ConfigError('cannot be used with --find-capacity', { key });
  const url = block?.controlRedis ?? scenario.redis.url;
  if (!url)
    throw new ConfigError(
      'the agents need a control Redis they can reach: give --redis redis://host:port (redis.url) or distributed.controlRedis',
      { key },
    );
  // Named agents (distributed.agents: [agent-0, …]) unless --agents gives a count.
  const names = argv.agents === undefined && Array.isArray(block?.agents) ? block.agents : undefined;
  names?.forEach((name, i) => {
    const problem = agentNameProblem(name);
    if (problem) throw new ConfigError(`"${name}": ${problem}`, { key: `distributed.agents[${i}]` });
  });
  const agents = argv.agents ?? names?.length ?? (block!.agents as number);
  let waitMs = block?.wait ?? 60_000;
  if (argv['agents-wait'] !== undefined) {
    const flag = parseDurationMs(argv['agents-wait']);
    if (flag === undefined || !(flag > 0))
      throw new ConfigError(`"${argv['agents-wait']}" is not a duration (60s, 2m)`, { key: '--agents-wait' });
    waitMs = flag;
  }
  const labels: Record<string, string> = {};
  const given: [string, string, string][] =
    argv['agent-label'] !== undefined
      ? argv['agent-label'].map((text) => {
          const eq = text.indexOf('=');
          if (eq <= 0) throw new ConfigError(`"${text}" is not k=v`, { key: '--agent-label' });
          return [text.slice(0, eq), text.slice(eq + 1), '--agent-label'];
        })
      : Object.entries(block?.labels ?? {}).map(([k, v]) => [k, v, `distributed.labels.${k}`]);
  for (const [k, v, where] of given) {
    const problem = labelProblem(k, v);
    if (problem) throw new ConfigError(problem, { key: where });
    labels[k] = v;
  }
  return {
    url,
    agents,
    ...(names ? { names } : {}),
    waitMs,
    labels,
    ...(argv['control-prefix'] ? { prefix: argv['control-prefix'] } : {}),
  };
}

/** The report with its agents (`run.agents`) and the run's latency error bound from their clocks. */
function withAgents(report: RunReport, agents: AgentReport[]): RunReport {
  const clientSenders = Object.values(report.transports).some((t) => t?.upstream !== undefined);
  const latencyErrorBoundMs = runLatencyErrorBound(
    agents.map((a) => a.clock),
    clientSenders,
  );
  const withRun = (run: RunReport['run']) => ({ ...run, agents, latencyErrorBoundMs });
  return {
    ...report,
    run: withRun(report.run),
    ...(report.repeats ? { repeats: report.repeats.map((r) => ({ ...r, run: withRun(r.run) })) } : {}),
  };
}
