/**
 * CPU and memory of other processes, read from /proc (Linux): the benches measure the server and
 * peer tools from outside, so that measuring costs them nothing. A process that has exited counts
 * as zero.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ on Linux). */
const TICKS_PER_SECOND = 100;

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** User and system CPU time of the processes (all their threads) so far, in µs. */
export function processCpuUs(pids: readonly number[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    if (stat === null) continue;
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += (Number(fields[11]) * 1e6) / TICKS_PER_SECOND;
    system += (Number(fields[12]) * 1e6) / TICKS_PER_SECOND;
  }
  return { user, system };
}

/** Resident memory of the processes now, in bytes. */
export function processRssBytes(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) kib += Number(/VmRSS:\s+(\d+)/.exec(readOrNull(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
  return kib * 1024;
}
