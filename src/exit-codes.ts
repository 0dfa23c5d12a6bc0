/**
 * Every exit code wsbench uses, in one place (documented in the README). Only src/cli/ calls
 * process.exit; everything else throws a WsbenchError carrying one of these.
 */
export const ExitCode = {
  /** Run completed and every gate (if any) passed. */
  OK: 0,
  /** Run completed but a threshold or a baseline comparison failed. */
  GATE_FAILED: 1,
  /** Bad scenario file, flag or URL; nothing was started. */
  CONFIG_ERROR: 2,
  /** Redis, the server or the target could not be started, reached or made ready. */
  SETUP_FAILED: 3,
  /**
   * The run completed degraded: something failed during it (Redis or the target down, a dropped
   * subscriber, publishes that never reached Redis: any `run.incidents`). Its figures are reported
   * but describe a damaged run. Wins over GATE_FAILED (a degraded run often fails its thresholds
   * *because* it was degraded, and that is what to look at first); errors and INTERRUPTED win over it.
   */
  DEGRADED: 4,
  /** Internal error (a bug in wsbench): please report it. */
  INTERNAL_ERROR: 70,
  /** Stopped by Ctrl-C / SIGINT / SIGTERM; a partial report was still written. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * `wsbench connect` keeps wscat's meanings so scripts written for wscat keep working.
 */
export const ConnectExitCode = {
  /** Clean close (either side) or the user quit. */
  OK: 0,
  /** Error, or the opening handshake failed. */
  ERROR: 1,
  /** The connection dropped without a close handshake (e.g. 1006). */
  UNEXPECTED_DISCONNECT: 2,
  /** SIGINT. */
  INTERRUPTED: 130,
} as const;
