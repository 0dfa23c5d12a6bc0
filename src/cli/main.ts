/**
 * The wsbench command line: yargs wiring only. Every command lives in its own file and returns an
 * exit code; only this layer (src/cli) ends the process.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { doctorCommand } from './doctor.js';
import { connectCommand } from './connect.js';
import { compareCommand } from './compare.js';
import { reportCommand } from './report.js';
import { ExitCode } from '../exit-codes.js';
import { TOOL_VERSION } from '../version.js';

export async function main(args: string[] = hideBin(process.argv)): Promise<void> {
  // If a command ever stalls with nothing left to wait for, Node would exit 0 silently: make that
  // an internal error instead. Commands set the real exit code when they finish.
  let finished = false;
  process.once('beforeExit', () => {
    if (finished) return;
    process.stderr.write('wsbench: internal error: the command stopped without finishing (this is a bug)\n');
    process.exitCode = ExitCode.INTERNAL_ERROR;
  });
  await yargs(args)
    .scriptName('wsbench')
    .usage('$0 <command> [options]\n\nTest and load-benchmark WebSocket + Redis fan-out.')
    .command(runCommand)
    .command(serveCommand)
    .command(doctorCommand)
    .command(connectCommand)
    .command(compareCommand)
    .command(reportCommand)
    .option('verbose', { type: 'boolean', describe: 'Show stack traces and more detail on errors', global: true })
    .demandCommand(1, 'Choose a command: run, compare, report, serve, connect or doctor (wsbench --help lists them)')
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
    .fail((message, error) => {
      if (error) throw error;
      process.stderr.write(`wsbench: error: ${message}\n(see: wsbench --help)\n`);
      process.exit(ExitCode.CONFIG_ERROR);
    })
    .parseAsync();
  finished = true;
}
