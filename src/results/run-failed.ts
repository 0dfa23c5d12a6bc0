/**
 * A run that failed after measuring something: the error, with the partial report of what was
 * measured until then (which the CLI still prints and writes).
 */
import { WsbenchError } from '../errors.js';
import type { RunReport } from './types.js';

export class RunFailedError extends WsbenchError {
  constructor(
    cause: WsbenchError,
    readonly report: RunReport,
  ) {
    super(cause.code, cause.message, { cause });
    this.name = 'RunFailedError';
  }
}
