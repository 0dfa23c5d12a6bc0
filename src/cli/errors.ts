/**
 * How the CLI shows an error: one line, no stack (unless --verbose), and the exit code to use.
 */
import { ExitCode } from '../exit-codes.js';
import { isWsbenchError, messageOf } from '../errors.js';

export function reportError(e: unknown, verbose: boolean, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (isWsbenchError(e)) {
    const prefix = e.code === 'CONFIG' || e.code === 'USAGE' ? 'error' : e.code === 'INTERRUPTED' ? 'stopped' : 'error';
    write(`wsbench: ${prefix}: ${e.message}\n`);
    if (verbose && e.stack) write(`${e.stack}\n${e.cause instanceof Error && e.cause.stack ? `caused by: ${e.cause.stack}\n` : ''}`);
    return e.exitCode;
  }
  write(`wsbench: internal error: ${messageOf(e)} (this is a bug; --verbose shows where)\n`);
  if (verbose && e instanceof Error && e.stack) write(`${e.stack}\n`);
  return ExitCode.INTERNAL_ERROR;
}
