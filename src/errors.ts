/**
 * One error type for everything wsbench reports to a user. `code` is stable (tests and scripts
 * match on it); `exitCode` is what the CLI exits with; `userFacing` errors print as one line
 * without a stack trace unless --verbose.
 */
import { ExitCode } from './exit-codes.js';

export type ErrorCode =
  | 'CONFIG'
  | 'USAGE'
  | 'REDIS_MISSING'
  | 'REDIS_UNREACHABLE'
  | 'TARGET_UNREACHABLE'
  | 'TARGET_NOT_READY'
  | 'TARGET_PROTOCOL'
  | 'SETUP'
  | 'INTERRUPTED'
  | 'INTERNAL';

const exitCodeFor: Record<ErrorCode, ExitCode> = {
  CONFIG: ExitCode.CONFIG_ERROR,
  USAGE: ExitCode.CONFIG_ERROR,
  REDIS_MISSING: ExitCode.SETUP_FAILED,
  REDIS_UNREACHABLE: ExitCode.SETUP_FAILED,
  TARGET_UNREACHABLE: ExitCode.SETUP_FAILED,
  TARGET_NOT_READY: ExitCode.SETUP_FAILED,
  TARGET_PROTOCOL: ExitCode.SETUP_FAILED,
  SETUP: ExitCode.SETUP_FAILED,
  INTERRUPTED: ExitCode.INTERRUPTED,
  INTERNAL: ExitCode.INTERNAL_ERROR,
};

export class WsbenchError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WsbenchError';
    this.code = code;
    this.exitCode = exitCodeFor[code];
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

/** Message of any thrown value, for one-line reporting. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
