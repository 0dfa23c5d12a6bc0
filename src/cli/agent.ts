/**
 * `wsbench agent --redis <control URL> --name <name>`: a load agent. It registers on the control
 * Redis, heart-beats, and runs its share of the clients of every distributed run
 * (`wsbench run … --agents N`) that picks it, with the same worker processes as a local run —
 * one run after another, or one with `--once`. The loop is distributed/agent-runner.ts; this file
 * turns flags into its options and its outcome into an exit code (src/exit-codes.ts):
 * 0 (stopped by a signal, or `--once` done), 3 (the control Redis unreachable, or the coordinator
 * refused the agent), 4 (`--once` and the run ended without finishing: the coordinator was lost or
 * stopped it), 2 (a bad flag).
 */
import { isIP } from 'node:net';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { ConfigError, WsbenchError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { monotonicMs } from '../metrics/clock.js';
import { describeThisAgent } from '../distributed/agent-presence.js';
import { runAgent, type AgentOutcome } from '../distributed/agent-runner.js';
import { ControlChannel, type OutageEvent } from '../distributed/control-channel.js';
import { DEFAULT_TIMING, agentNameProblem, labelProblem } from '../distributed/protocol.js';
import { childProcessWorkers } from '../engine/workers.js';
import { reportError, safeLines } from './errors.js';
import { onInterrupt } from './signals.js';

/** How long an agent waits before connecting again to a control Redis that went away. */
const RECONNECT_MS = 1000;

export interface AgentArgs {
  redis?: string;
  name?: string;
  label?: string[];
  capacity?: number;
  once?: boolean;
  prefix?: string;
  'local-address'?: string[];
  verbose?: boolean;
}

export const agentCommand = {
  builder: (y: Argv) =>
    y
      .option('redis', {
        type: 'string',
        requiresArg: true,
        describe: 'The control Redis: redis://[user:password@]host:port[/db] or rediss:// (TLS)',
      })
      .option('name', {
        type: 'string',
        requiresArg: true,
        describe: 'This agent\'s name, unique on the control Redis (1–63 letters, digits, ".", "_", "-")',
      })
      .option('label', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'k=v (repeatable): a coordinator can ask for agents by label',
      })
      .option('capacity', {
        type: 'number',
        requiresArg: true,
        describe: 'The most connections this agent takes (default: planned from its cores)',
      })
      .option('local-address', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: "A source address of this host for its clients (repeatable): replaces its share of the run's clients.localAddresses",
      })
      .option('once', { type: 'boolean', describe: 'Leave after one run (batch schedulers: the Job completes)' })
      .option('prefix', {
        type: 'string',
        requiresArg: true,
        describe: 'Key prefix of the control streams (default wsbench:ctl); teams sharing a control Redis use their own',
      })
      .example(
        '$0 agent --redis redis://10.0.0.5:6379 --name agent-0',
        'Wait for distributed runs (wsbench run … --agents N) and take part',
      )
      .example(
        '$0 agent --redis redis://ctl:6379 --name agent-$JOB_COMPLETION_INDEX --capacity 50000 --once',
        'One run, in a Kubernetes Indexed Job',
      ),
  handler: async (argv: ArgumentsCamelCase<AgentArgs>) => {
    process.exitCode = await agent(argv);
  },
};

/** The flags checked and turned into the agent's options; a ConfigError naming the flag otherwise. */
export function agentSettings(argv: AgentArgs): {
  redis: string;
  name: string;
  labels: Record<string, string>;
  capacity: number | null;
  localAddresses: string[];
} {
  if (!argv.redis) throw new ConfigError('the control Redis is required (--redis redis://host:port)', { key: '--redis' });
  if (!/^rediss?:\/\//.test(argv.redis)) throw new ConfigError('must be a redis:// or rediss:// URL', { key: '--redis' });
  if (!argv.name) throw new ConfigError('every agent needs a name, unique on the control Redis (--name agent-0)', { key: '--name' });
  const nameProblem = agentNameProblem(argv.name);
  if (nameProblem) throw new ConfigError(`"${argv.name}": ${nameProblem}`, { key: '--name' });
  const labels: Record<string, string> = {};
  for (const text of argv.label ?? []) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new ConfigError(`"${text}" is not k=v`, { key: '--label' });
    const [key, value] = [text.slice(0, eq), text.slice(eq + 1)];
    const problem = labelProblem(key, value);
    if (problem) throw new ConfigError(problem, { key: '--label' });
    labels[key] = value;
  }
  const capacity = argv.capacity ?? null;
  if (capacity !== null && !(Number.isSafeInteger(capacity) && capacity > 0))
    throw new ConfigError(`${argv.capacity} is not a connection count (a whole number above 0)`, { key: '--capacity' });
  const localAddresses = argv['local-address'] ?? [];
  for (const address of localAddresses)
    if (isIP(address) === 0) throw new ConfigError(`"${address}" is not an IP address`, { key: '--local-address' });
  return { redis: argv.redis, name: argv.name, labels, capacity, localAddresses };
}

export async function agent(argv: AgentArgs): Promise<number> {
  const verbose = argv.verbose ?? false;
  const log = (line: string) => process.stderr.write(safeLines(`wsbench agent: ${line}`));
  const controller = new AbortController();
  const removeSignals = onInterrupt(
    () => controller.abort(),
    (text) => process.stderr.write(text),
  );
  const channels: ControlChannel[] = [];
  try {
    const settings = agentSettings(argv);
    const descriptor = describeThisAgent({ name: settings.name, labels: settings.labels, capacity: settings.capacity });
    const ahead = testClockAhead(process.env);
    const options = {
      sender: settings.name,
      ...(argv.prefix ? { prefix: argv.prefix } : {}),
      // A control Redis away for less than the coordinator-loss window is waited for, a run in progress kept.
      graceMs: DEFAULT_TIMING.coordinatorLostAfterMs,
      onOutage: (event: OutageEvent) => {
        if (event.type === 'down')
          log(`the control Redis is unreachable (${event.reason}); waiting up to ${DEFAULT_TIMING.coordinatorLostAfterMs / 1000} s`);
        else if (event.type === 'up') log(`the control Redis is back after ${(event.downMs / 1000).toFixed(1)} s`);
      },
    };
    const runs: AgentOutcome['runs'] = [];
    // The first connection failing is a setup error (exit 3); once registered, a control Redis
    // that goes away (restarted, a dropped connection) is waited for: the agent registers again.
    let registered = false;
    for (;;) {
      try {
        const channel = await ControlChannel.open(settings.redis, options);
        channels.push(channel);
        registered = true;
        const outcome = await runAgent({
          channel,
          // A clock made to read ahead is another clock: the agent estimates its offset as one on another host would.
          descriptor: ahead === 0 ? descriptor : { ...descriptor, clockId: `${descriptor.clockId ?? 'unknown'}+test-ahead-${ahead}` },
          ...(ahead === 0 ? {} : { localClock: { now: () => monotonicMs() + ahead, aheadOfMonotonicMs: ahead } }),
          startWorkers: childProcessWorkers,
          once: argv.once ?? false,
          ...(settings.localAddresses.length > 0 ? { localAddresses: settings.localAddresses } : {}),
          signal: controller.signal,
          log,
        });
        runs.push(...outcome.runs);
        break;
      } catch (e) {
        if (!registered || controller.signal.aborted || !(e instanceof WsbenchError && e.code === 'REDIS_UNREACHABLE')) throw e;
        log(`${e.message}; connecting again in ${RECONNECT_MS / 1000} s`);
        await channels.pop()?.close();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RECONNECT_MS);
          controller.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        if (controller.signal.aborted) break;
      }
    }
    const last = runs.at(-1);
    if (argv.once && last && last.end !== 'finished') return ExitCode.DEGRADED;
    return ExitCode.OK;
  } catch (e) {
    return reportError(e, verbose);
  } finally {
    removeSignals();
    for (const channel of channels) await channel.close();
  }
}

/**
 * Tests only: WSBENCH_TEST_AGENT_CLOCK_AHEAD_MS makes this agent's clock read that far ahead of
 * the host's monotonic clock, so that the offset estimate can be checked end to end on one
 * machine (the report must show it, within its bound, and latencies must not move).
 */
function testClockAhead(env: NodeJS.ProcessEnv): number {
  const text = env.WSBENCH_TEST_AGENT_CLOCK_AHEAD_MS;
  if (text === undefined || text === '') return 0;
  const ms = Number(text);
  if (!Number.isFinite(ms))
    throw new ConfigError(`"${text}" is not a number of milliseconds`, { key: 'WSBENCH_TEST_AGENT_CLOCK_AHEAD_MS' });
  return ms;
}
