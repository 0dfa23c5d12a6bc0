/**
 * The engine's preflight for big runs, from the doctor's arithmetic: which machine limit a run
 * will hit before it hits it, one warning per broken limit. The CLI hands it to the engine
 * (RunOptions.preflight), so the engine itself reads nothing of the machine.
 */
import type { Preflight } from '../engine/runner.js';
import { capacity } from './machine-limits.js';
import { readSystemFacts } from './probe.js';

export const machinePreflight: Preflight = ({ connections, workers, sourceAddresses }) =>
  capacity({ facts: readSystemFacts(), connections, workers, serverProcesses: 0, sourceAddresses }).broken.map(
    (limit) => `${limit.name} allows ${limit.allows} connections, fewer than ${connections}: ${limit.advice}`,
  );
