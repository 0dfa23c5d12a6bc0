/**
 * How `wsbench run` shows its progress, decided once from the terminal, the flags and the
 * environment. Pure: the CLI passes in what it sees (isTTY, env) and gets a decision back.
 *
 *  - `json`:  NDJSON events on stdout (--json), nothing else there;
 *  - `quiet`: only the final summary (--quiet);
 *  - `plain`: progress lines on stderr, then the summary (--no-tui, a pipe, TERM=dumb, CI);
 *  - `tui`:   the live Ink dashboard on stdout, then the summary.
 *
 * Colour follows Node's own rules (tty.hasColors): FORCE_COLOR (anything but "0"/"false") forces
 * it on and wins over NO_COLOR; NO_COLOR (non-empty) turns it off; otherwise colour only on a
 * terminal that is not TERM=dumb. JSON output never has colour.
 */

export type OutputMode = 'tui' | 'plain' | 'json' | 'quiet';

export interface ModeInputs {
  /** Whether stdout is a terminal (where the dashboard and the summary go). */
  stdoutIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  json?: boolean;
  quiet?: boolean;
  /** false for --no-tui; undefined or true leaves the choice to the terminal. */
  tui?: boolean;
}

export interface OutputChoice {
  mode: OutputMode;
  /** ANSI colours and styles allowed in what is written. */
  color: boolean;
  /** Unicode block characters for bars and charts (false: plain ASCII). */
  unicode: boolean;
  /** Why this mode was chosen, for --verbose and tests. */
  reason: string;
}

/** The same test Ink (is-in-ci) uses, so wsbench and Ink agree on what CI is. */
export function isCi(env: ModeInputs['env']): boolean {
  const set = (key: string) => env[key] !== undefined && env[key] !== '0' && env[key] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

export function colorEnabled(isTTY: boolean, env: ModeInputs['env']): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return isTTY && env['TERM'] !== 'dumb';
}

export function chooseOutputMode(input: ModeInputs): OutputChoice {
  const { env } = input;
  const unicode = env['TERM'] !== 'dumb';
  const color = colorEnabled(input.stdoutIsTTY, env);
  const pick = (mode: OutputMode, reason: string): OutputChoice => ({ mode, color: mode === 'json' ? false : color, unicode, reason });
  if (input.json) return pick('json', '--json');
  if (input.quiet) return pick('quiet', '--quiet');
  if (input.tui === false) return pick('plain', '--no-tui');
  if (!input.stdoutIsTTY) return pick('plain', 'stdout is not a terminal');
  if (env['TERM'] === 'dumb') return pick('plain', 'TERM=dumb');
  if (isCi(env)) return pick('plain', 'CI');
  return pick('tui', 'terminal');
}
