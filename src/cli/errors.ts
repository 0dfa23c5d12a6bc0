/**
 * How the CLI shows an error: one line (a scenario with several problems: a first line that says
 * how many, then one line per problem), no stack (unless --verbose), and the exit code to use.
 * Every line is redacted and made inert (./sanitize.ts): errors often carry a URL, a server's
 * close reason or an HTTP body.
 */
import { ExitCode } from '../exit-codes.js';
import { WsbenchError, isWsbenchError, messageOf } from '../errors.js';
import { cliOutput } from './output.js';
import { safeText } from '../sanitize.js';

export function reportError(e: unknown, verbose: boolean, write: (line: string) => void = (l) => cliOutput().stderr(l)): number {
  if (isWsbenchError(e)) {
    const prefix = e.code === 'INTERRUPTED' ? 'stopped' : 'error';
    write(safeLines(`wsbench: ${prefix}: ${e.message}`));
    if (verbose) write(safeLines(stackChain(e)));
    return e.exitCode;
  }
  write(safeLines(`wsbench: internal error: ${messageOf(e)} (this is a bug; --verbose shows where)`));
  if (verbose) write(safeLines(stackChain(e)));
  return ExitCode.INTERNAL_ERROR;
}

/**
 * Failures after a command's main work (an output file that could not be written): each said
 * exactly once. The first one is kept, to be reported at the end (`reportError`, which gives the
 * exit code); one that comes while another is pending is said now.
 */
export function keepFirstFailure<F>(
  pending: F | undefined,
  next: WsbenchError | undefined,
  write: (line: string) => void,
): F | WsbenchError | undefined {
  if (next === undefined) return pending;
  if (pending === undefined) return next;
  write(safeLines(`wsbench: error: ${next.message}`));
  return pending;
}

/** Each line redacted and inert, newline-terminated. */
export function safeLines(text: string): string {
  return safeText(text) + '\n';
}

/** The stack of an error and of every `cause` below it (bounded, in case of a cycle). */
function stackChain(e: unknown): string {
  const parts: string[] = [];
  let current: unknown = e;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current);
    parts.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/**
 * A command-line mistake reported by yargs, as one line that names the flag: "Not enough
 * arguments following: t" becomes "-t needs a value"; multi-line messages (invalid choices) are
 * folded into one line. `args` is the command line (for the command's name in the hint).
 */
export function usageError(message: string, args: readonly string[], commands: readonly string[]): WsbenchError {
  const command = args.find((a) => commands.includes(a));
  const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);
  let text = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  const rewrites: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^Not enough arguments following: (\S+)$/, (m) => `${flag(m[1]!)} needs a value`],
    [/^Invalid values: Argument: (\S+), Given: (.+), Choices: (.+)$/, (m) => `${flag(m[1]!)}: ${m[2]!} is not one of ${m[3]!}`],
    [/^Did you mean (\S+)\?$/, (m) => `unknown command "${args.find((a) => !a.startsWith('-')) ?? ''}": did you mean ${m[1]!}?`],
    [
      /^Not enough non-option arguments: got (\d+), need at least (\d+)$/,
      (m) => `${command ?? 'the command'} needs ${m[2]!} argument${m[2] === '1' ? '' : 's'}, got ${m[1]!}`,
    ],
  ];
  for (const [pattern, rewrite] of rewrites) {
    const m = pattern.exec(text);
    if (m) {
      text = rewrite(m);
      break;
    }
  }
  return new WsbenchError('USAGE', `${text} (wsbench ${command ? `${command} ` : ''}--help lists the options)`);
}
