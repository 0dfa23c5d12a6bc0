/**
 * One error type for everything wsbench reports to a user. `code` is stable (tests and scripts
 * match on it; the README lists every one); `exitCode` is what the CLI exits with; `cause` keeps
 * the error underneath. User errors print as one line without a stack trace unless --verbose.
 *
 * Errors *counted* during a run (a refused connection, a dropped socket, a failed publish) are
 * measurements, not thrown errors: see results/error-kinds.ts.
 */
import { ExitCode } from './exit-codes.js';

/** Every error code, with its exit code and when it happens (the README's table is this list). */
export const ERROR_CODES = {
  CONFIG: { exit: ExitCode.CONFIG_ERROR, when: 'a scenario file, flag, URL, threshold or report file is not valid' },
  USAGE: { exit: ExitCode.CONFIG_ERROR, when: 'the command line is not valid (unknown command or flag)' },
  REDIS_MISSING: { exit: ExitCode.SETUP_FAILED, when: 'no redis-server binary to start the embedded Redis' },
  REDIS_UNREACHABLE: { exit: ExitCode.SETUP_FAILED, when: 'the given Redis cannot be reached or refuses the connection' },
  TARGET_UNREACHABLE: { exit: ExitCode.SETUP_FAILED, when: 'no client could connect to the target (the most frequent error is named)' },
  TARGET_NOT_READY: { exit: ExitCode.SETUP_FAILED, when: 'the clients connected but were not all subscribed within the readiness timeout' },
  TARGET_PROTOCOL: { exit: ExitCode.SETUP_FAILED, when: "the target answered with something its adapter's protocol does not expect" },
  CONNECT_FAILED: { exit: ExitCode.SETUP_FAILED, when: 'one client connection failed (counted in the report as connect.<detail>)' },
  PUBLISH_FAILED: { exit: ExitCode.SETUP_FAILED, when: 'one publish was refused by the stack (counted in the report as publish.error)' },
  SETUP: {
    exit: ExitCode.SETUP_FAILED,
    when: 'a process wsbench starts (redis-server, the reference server) failed, or an output file cannot be written',
  },
  INTERRUPTED: { exit: ExitCode.INTERRUPTED, when: 'stopped by Ctrl-C or SIGTERM (the partial report is still written)' },
  INTERNAL: { exit: ExitCode.INTERNAL_ERROR, when: 'a bug in wsbench: please report it with the --verbose output' },
} as const satisfies Record<string, { exit: ExitCode; when: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class WsbenchError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WsbenchError';
    this.code = code;
    this.exitCode = ERROR_CODES[code].exit;
  }
}

/** Where in a scenario file (or which flag) a config error comes from. */
export interface ConfigLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted key path, e.g. `publish.rate`, or a flag such as `--rate`. */
  key?: string;
}

export class ConfigError extends WsbenchError {
  readonly location: ConfigLocation;

  constructor(detail: string, location: ConfigLocation = {}, options?: { cause?: unknown }) {
    super('CONFIG', formatConfigMessage(detail, location), options);
    this.name = 'ConfigError';
    this.location = location;
  }
}

function formatConfigMessage(detail: string, loc: ConfigLocation): string {
  let where = '';
  if (loc.file) {
    where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}`;
    if (loc.line !== undefined && loc.column !== undefined) where += `:${loc.column}`;
  }
  const key = loc.key ? `${loc.key}: ` : '';
  return where ? `${where}: ${key}${detail}` : `${key}${detail}`;
}

export function isWsbenchError(e: unknown): e is WsbenchError {
  return e instanceof WsbenchError;
}

/** Is `code` one of the codes above (a code that crossed a process boundary as a string)? */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * Any thrown value as a WsbenchError: itself when it is one, else wrapped with `code` (INTERNAL
 * unless the caller knows better), its message kept and the original as `cause`.
 */
export function asWsbenchError(e: unknown, code: ErrorCode = 'INTERNAL'): WsbenchError {
  return e instanceof WsbenchError ? e : new WsbenchError(code, messageOf(e), { cause: e });
}

/** Message of any thrown value, for one-line reporting. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
