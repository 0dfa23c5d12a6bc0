/**
 * This process's host and clock id (see clock-domain.ts): read once, sent with every agent
 * registration and every plan.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { clockIdOf, timensMonotonicOffset, type TimensFile } from './clock-domain.js';

export interface HostIdentity {
  host: string;
  /** Equal on two processes iff they read the same CLOCK_MONOTONIC; null when that cannot be known here. */
  clockId: string | null;
  cores: number;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readTimens(): TimensFile {
  try {
    return { text: readFileSync('/proc/self/timens_offsets', 'utf8') };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

export function readHostIdentity(): HostIdentity {
  const bootId = readOrNull('/proc/sys/kernel/random/boot_id');
  return { host: hostname(), clockId: clockIdOf(bootId, timensMonotonicOffset(readTimens())), cores: availableParallelism() };
}
