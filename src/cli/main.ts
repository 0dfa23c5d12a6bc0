/**
 * The wsbench command line: yargs wiring only. Every command lives in its own file and returns an
 * exit code; only this layer (src/cli) ends the process.
 *
 * Commands are loaded lazily: this file names them and says what they do (the top-level help),
 * and a command's module — with its heavy dependencies (the engine, ioredis, zod, yaml, Ink and
 * React, HDR histograms) — is imported only when that command runs or shows its own help. So
 * `wsbench --version` and `wsbench --help` load yargs and nothing else.
 */
import yargs, { type Argv, type ArgumentsCamelCase } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode } from '../exit-codes.js';
import { TOOL_VERSION } from '../version.js';
import { applyColorFlag, helpWidth, SCRIPT_NAME, stackExamples } from './help.js';

/** What a command module exports: its flags and what it does with them. */
interface CommandModule {
  // yargs hands every builder and handler its own command's arguments; each module types them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (y: Argv) => Argv<any> | PromiseLike<Argv<any>>;
  handler: (argv: never) => void | Promise<void>;
}

interface LazyCommand {
  /** yargs' command string: the name and its positional arguments. */
  command: string;
  describe: string;
  load: () => Promise<CommandModule>;
}

/** Every command, in the order the help lists them. The one place a command is named and described. */
export const COMMANDS: readonly LazyCommand[] = [
  {
    command: 'run [scenario]',
    describe: 'Measure Redis → WebSocket fan-out latency, throughput and delivery',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    command: 'compare <baseline> <current>',
    describe: 'Compare two reports: diff table, exit 1 on a regression beyond the noise',
    load: async () => (await import('./compare.js')).compareCommand,
  },
  {
    command: 'report <reports..>',
    describe: 'Render saved reports: an HTML page overlaying them, an .hlog, or the text summary',
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    command: 'serve',
    describe: 'Run the built-in reference server (WebSocket fan-out fed by Redis)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    command: 'connect [url]',
    describe: 'Interactive WebSocket console (wscat-compatible) with Redis publish/subscribe and a live status line',
    load: async () => (await import('./connect.js')).connectCommand,
  },
  {
    command: 'doctor',
    describe: 'Check this machine for a big run: limits, ports, CPU, Redis, and the connection count it can reach',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
];

function lazy(entry: LazyCommand) {
  return {
    command: entry.command,
    describe: entry.describe,
    builder: async (y: Argv) => (await entry.load()).builder(y),
    handler: async (argv: ArgumentsCamelCase) => (await entry.load()).handler(argv as never),
  };
}

export async function main(args: string[] = hideBin(process.argv)): Promise<void> {
  // If a command ever stalls with nothing left to wait for, Node would exit 0 silently: make that
  // an internal error instead. Commands set the real exit code when they finish.
  let finished = false;
  process.once('beforeExit', () => {
    if (finished) return;
    process.stderr.write('wsbench: internal error: the command stopped without finishing (this is a bug)\n');
    process.exitCode = ExitCode.INTERNAL_ERROR;
  });
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
    .demandCommand(1, 'Choose a command: run, compare, report, serve, connect, doctor or completion (wsbench --help lists them)')
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
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`wsbench: error: ${message}\n(see: wsbench --help)\n`);
      process.exit(ExitCode.CONFIG_ERROR);
    })
    .parseAsync();
  finished = true;
}
