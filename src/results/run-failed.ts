/**
 * A run that failed after measuring something: the error, with the partial report of what was
 * measured until then (which the CLI still prints and writes) and, when the run was gated, the
 * gate's verdict on it (never a pass: the run did not complete).
 */
import { WsbenchError } from '../errors.js';
import type { GateOutcome } from '../gate/result.js';
import type { RunReport } from './types.js';

export class RunFailedError extends WsbenchError {
  constructor(
    cause: WsbenchError,
    readonly report: RunReport,
    /** The gate's verdict on the partial report; undefined when nothing was gated (or the engine threw it). */
    readonly gate?: GateOutcome,
  ) {
    super(cause.code, cause.message, { cause });
    this.name = 'RunFailedError';
  }
}
