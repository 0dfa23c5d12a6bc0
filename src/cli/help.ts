/**
 * How the help reads, for every command at once: its width follows the terminal, and examples
 * are stacked (the command on its own line, what it does indented below) so a long command line
 * is never broken inside a URL or a quoted argument the way a two-column table breaks it.
 * Also the global --color / --no-color flag.
 */
import type { Argv } from 'yargs';

export const SCRIPT_NAME = 'wsbench';
/** Help text is hard to read wider than this, even on a wide terminal. */
export const MAX_HELP_WIDTH = 120;
/** When the width cannot be known (a pipe without $COLUMNS). */
export const DEFAULT_HELP_WIDTH = 80;

/** The terminal's width (or $COLUMNS when piped), capped for readability. */
export function helpWidth(stdout: { isTTY?: boolean; columns?: number }, env: Readonly<Record<string, string | undefined>>): number {
  const fromEnv = Number(env['COLUMNS']);
  const columns = stdout.isTTY && stdout.columns ? stdout.columns : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_HELP_WIDTH;
  return Math.min(MAX_HELP_WIDTH, columns);
}

/**
 * Example lines as yargs will print them (each across the full width): what the example does as
 * a `#` comment, then the command, broken between shell words with a trailing backslash when it
 * is wider than `width` — so it can still be pasted into a shell, and a URL or a quoted argument
 * is never split. yargs trims leading spaces, so the layout cannot rely on indentation.
 */
export function stackedExampleLines(examples: readonly (readonly [string, string?])[], width: number): string[] {
  return examples.flatMap(([command, description]) => [...(description ? [`# ${description}`] : []), ...shellLines(command, width)]);
}

/** Words of a command line; quoted parts stay inside their word. */
export function shellWords(command: string): string[] {
  return command.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

/** `command` in lines of at most `width` columns (a longer single word gets its own line). */
export function shellLines(command: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of shellWords(command)) {
    // yargs pads examples by two columns on each side; the " \\" continuation needs two more.
    if (line && line.length + 1 + word.length + 2 > width - 4) {
      lines.push(`${line} \\`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Makes `.example(command, description)` on this yargs instance (and on every command's builder,
 * which gets the same instance) print stacked examples fitted to `width`.
 */
export function stackExamples<T>(y: Argv<T>, width: number): Argv<T> {
  // yargs' own array form calls `this.example` per pair, so lines go in one at a time.
  const add = y.example.bind(y) as (command: string, description: string) => Argv<T>;
  const example = (command: string | [string, string?][], description?: string): Argv<T> => {
    const pairs = Array.isArray(command) ? command : [[command, description] as const];
    // Laid out with the name yargs prints for $0, so the widths are right.
    const named = pairs.map(([c, d]) => [c.replace(/\$0/g, SCRIPT_NAME), d] as const);
    for (const line of stackedExampleLines(named, width)) add(line, '');
    return y;
  };
  return Object.assign(y, { example });
}

/**
 * `--no-color` / `--color` win over the environment; they are applied to it so that every output
 * path (the run's progress and summary, the console, child processes) follows one rule — the one
 * src/ui/mode.ts implements from NO_COLOR and FORCE_COLOR.
 */
export function applyColorFlag(color: boolean | undefined, env: Record<string, string | undefined>): void {
  if (color === false) {
    delete env['FORCE_COLOR'];
    env['NO_COLOR'] = '1';
  } else if (color === true) {
    delete env['NO_COLOR'];
    env['FORCE_COLOR'] = '1';
  }
}
