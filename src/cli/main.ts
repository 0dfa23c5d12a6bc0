/**
 * The wsbench command line: yargs wiring only. Every command lives in its own file and returns an
 * exit code; `main` returns it (bin/wsbench.js sets it as the process's exit code). `main` can be
 * called in-process with writers for its messages (the bad-input corpus test does).
 *
 * Commands are loaded lazily: this file names them and says what they do (the top-level help);
 * a command's flags (cli/flags/<command>.ts: yargs definitions, no dependencies) are imported
 * when that command is parsed, and its module — with its heavy dependencies (the engine, ioredis,
 * zod, yaml, Ink and React, HDR histograms) — only when it runs. So `wsbench --version` and
 * `wsbench --help` load yargs and nothing else, and `wsbench <command> --help` its flags too.
 * (`agent` still defines its flags in its module.)
 */
import yargs, { type Argv, type ArgumentsCamelCase } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConnectExitCode, ExitCode } from '../exit-codes.js';
import { forgetSecrets } from '../secrets.js';
import { TOOL_VERSION } from '../version.js';
import { reportError, usageError } from './errors.js';
import { applyColorFlag, helpWidth, SCRIPT_NAME, stackExamples } from './help.js';
import { processOutput, withCliOutput, type CliOutput } from './output.js';

/** A command's flags: what `wsbench <command> --help` shows and yargs parses. */
// yargs hands every builder its own command's arguments; each flags module types them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Flags = (y: Argv) => Argv<any>;

/** What a command module exports: what it does with its flags, and the flags unless `flags` loads them. */
interface CommandModule {
  builder?: Flags;
  handler: (argv: never) => void | Promise<void>;
}

interface LazyCommand {
  /** yargs' command string: the name and its positional arguments. */
  command: string;
  describe: string;
  /**
   * The command's flags alone (cli/flags/<command>.ts), so that its help does not load its
   * implementation; without it, the command module's `builder`.
   */
  flags?: () => Promise<Flags>;
  load: () => Promise<CommandModule>;
}

/** Every command, in the order the help lists them. The one place a command is named and described. */
export const COMMANDS: readonly LazyCommand[] = [
  {
    command: 'run [scenario]',
    describe: 'Measure Redis → WebSocket fan-out latency, throughput and delivery',
    flags: async () => (await import('./flags/run.js')).runFlags,
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    command: 'compare <baseline> <current>',
    describe: 'Compare two reports: diff table, exit 1 on a regression beyond the noise',
    flags: async () => (await import('./flags/compare.js')).compareFlags,
    load: async () => (await import('./compare.js')).compareCommand,
  },
  {
    command: 'report <reports..>',
    describe: 'Render saved reports: an HTML page overlaying them, an .hlog, or the text summary',
    flags: async () => (await import('./flags/report.js')).reportFlags,
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    command: 'serve',
    describe: 'Run the built-in reference server (WebSocket fan-out fed by Redis)',
    flags: async () => (await import('./flags/serve.js')).serveFlags,
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    command: 'connect [url]',
    describe: 'Interactive WebSocket console (wscat-compatible) with Redis publish/subscribe and a live status line',
    flags: async () => (await import('./flags/connect.js')).connectFlags,
    load: async () => (await import('./connect.js')).connectCommand,
  },
  {
    command: 'agent',
    describe: 'Run as a load agent for distributed runs (wsbench run --agents N), coordinated through a control Redis',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  {
    command: 'doctor',
    describe: 'Check this machine for a big run: limits, ports, CPU, Redis, and the connection count it can reach',
    flags: async () => (await import('./flags/doctor.js')).doctorFlags,
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
];

function lazy(entry: LazyCommand) {
  return {
    command: entry.command,
    describe: entry.describe,
    builder: async (y: Argv) => (entry.flags ? await entry.flags() : (await entry.load()).builder!)(y),
    handler: async (argv: ArgumentsCamelCase) => (await entry.load()).handler(argv as never),
  };
}

/** Command names, for the hint in a usage error and connect's own exit code. */
const COMMAND_NAMES = [...COMMANDS.map((c) => c.command.split(' ')[0]!), 'completion'];

export async function main(args: string[] = hideBin(process.argv), output: CliOutput = processOutput): Promise<number> {
  // If a command ever stalls with nothing left to wait for, Node would exit 0 silently: make that
  // an internal error instead. Commands set the real exit code when they finish.
  const onBeforeExit = () => {
    process.stderr.write('wsbench: internal error: the command stopped without finishing (this is a bug)\n');
    process.exitCode = ExitCode.INTERNAL_ERROR;
  };
  process.once('beforeExit', onBeforeExit);
  // Commands report their exit code through process.exitCode; main returns it and leaves the
  // process's own as it found it (the caller decides).
  const outer = process.exitCode;
  process.exitCode = undefined;
  const command = args.find((a) => COMMAND_NAMES.includes(a));
  forgetSecrets();
  try {
    await withCliOutput(output, () => parse(args));
    return Number(process.exitCode ?? ExitCode.OK);
  } catch (e) {
    // A lazily loaded command's validation throws yargs' YError past the fail handler.
    const error = e instanceof Error && e.name === 'YError' ? usageError(e.message, args, COMMAND_NAMES) : e;
    const code = reportError(error, args.includes('--verbose') || args.includes('-v'), output.stderr);
    // `wsbench connect` keeps wscat's exit codes: a bad flag is 1.
    return command === 'connect' && code === ExitCode.CONFIG_ERROR ? ConnectExitCode.ERROR : code;
  } finally {
    process.off('beforeExit', onBeforeExit);
    process.exitCode = outer;
  }
}

async function parse(args: string[]): Promise<void> {
  const width = helpWidth(process.stdout, process.env);
  let cli = stackExamples(yargs(args), width)
    .scriptName(SCRIPT_NAME)
    .usage('$0 <command> [options]\n\nTest and load-benchmark WebSocket + Redis fan-out.');
  for (const entry of COMMANDS) cli = cli.command(lazy(entry));
  await cli
    .completion('completion', 'Print a shell completion script (bash, zsh): wsbench completion >> ~/.bashrc')
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'Show stack traces and more detail on errors', global: true })
    .option('color', {
      type: 'boolean',
      describe: 'Colours on or off (--no-color; default: on a terminal, following NO_COLOR and FORCE_COLOR)',
      global: true,
    })
    .middleware((argv) => applyColorFlag(argv.color as boolean | undefined, process.env))
    .demandCommand(1, 'Choose a command: run, compare, report, serve, connect, agent, doctor or completion')
    .recommendCommands()
    .strict()
    .example('$0 run scenarios/quickstart.yaml', 'Quick fan-out benchmark on the built-in server and an embedded Redis')
    .example('$0 compare baseline.json current.json', 'Exit 1 when current regressed beyond tolerance and noise')
    .example('$0 report baseline.json current.json --html report.html', 'Both runs on the same charts in one offline HTML page')
    .example('$0 serve --port 8080', 'Run the reference server for your own experiments')
    .epilogue(
      'Exit codes: 0 ok · 1 gate failed · 2 bad scenario/flags · 3 setup failed (Redis, target) · 70 internal error · 130 interrupted',
    )
    .version(TOOL_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(width)
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      // yargs reports a usage mistake (a flag without its value, an unknown flag) as a YError.
      if (error && error.name !== 'YError') throw error;
      throw usageError(message ?? error?.message ?? 'bad command line', args, COMMAND_NAMES);
    })
    .parseAsync();
}
