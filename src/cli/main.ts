/**
 * The wsbench command line: yargs wiring only. Every command lives in its own file and returns an
 * exit code; `main` returns it (bin/wsbench.js sets it as the process's exit code). `main` can be
 * called in-process with writers for its messages (the bad-input corpus test does).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { doctorCommand } from './doctor.js';
import { connectCommand } from './connect.js';
import { compareCommand } from './compare.js';
import { reportCommand } from './report.js';
import { ConnectExitCode, ExitCode } from '../exit-codes.js';
import { forgetSecrets } from '../secrets.js';
import { TOOL_VERSION } from '../version.js';
import { reportError, usageError } from './errors.js';
import { processOutput, withCliOutput, type CliOutput } from './output.js';

const COMMANDS = ['run', 'compare', 'report', 'serve', 'connect', 'doctor'];

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
  const command = args.find((a) => COMMANDS.includes(a));
  forgetSecrets();
  try {
    await withCliOutput(output, () => parser(args).parseAsync());
    return Number(process.exitCode ?? ExitCode.OK);
  } catch (e) {
    const code = reportError(e, args.includes('--verbose'), output.stderr);
    // `wsbench connect` keeps wscat's exit codes: a bad flag is 1.
    return command === 'connect' && code === ExitCode.CONFIG_ERROR ? ConnectExitCode.ERROR : code;
  } finally {
    process.off('beforeExit', onBeforeExit);
    process.exitCode = outer;
  }
}

function parser(args: string[]) {
  return yargs(args)
    .scriptName('wsbench')
    .usage('$0 <command> [options]\n\nTest and load-benchmark WebSocket + Redis fan-out.')
    .command(runCommand)
    .command(serveCommand)
    .command(doctorCommand)
    .command(connectCommand)
    .command(compareCommand)
    .command(reportCommand)
    .option('verbose', { type: 'boolean', describe: 'Show stack traces and more detail on errors', global: true })
    .demandCommand(1, 'Choose a command: run, compare, report, serve, connect or doctor')
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
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message: string | null, error: Error | undefined) => {
      // yargs reports a usage mistake (a flag without its value, an unknown flag) as a YError.
      if (error && error.name !== 'YError') throw error;
      throw usageError(message ?? error?.message ?? 'bad command line', args, COMMANDS);
    });
}
