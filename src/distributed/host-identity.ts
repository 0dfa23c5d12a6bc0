/**
 * This process's host and clock id (see clock-domain.ts): read once, sent with every agent
 * registration and every plan.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname, networkInterfaces } from 'node:os';
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

/**
 * The source addresses of `addresses` this host does not have (a client cannot bind to them):
 * every 127.x.y.z and ::1 is loopback here (Linux routes all of 127/8 to lo); the rest must be on
 * an interface. `interfaces` is for tests.
 */
export function addressesNotHere(
  addresses: readonly string[],
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): string[] {
  const here = new Set(
    Object.values(interfaces)
      .flatMap((list) => list ?? [])
      .map((i) => i.address.toLowerCase()),
  );
  return addresses.filter((a) => !/^127\.\d+\.\d+\.\d+$/.test(a) && a !== '::1' && !here.has(a.toLowerCase()));
}

/**
 * Agent i's share of the run's source addresses (of `agents`): every agent-th one from its own
 * index, so agents on one host never share an address's ports; when there are fewer addresses than
 * agents, one each, in turn. Empty stays empty (the system picks).
 */
export function addressShare(addresses: readonly string[], agent: number, agents: number): string[] {
  if (addresses.length === 0) return [];
  if (addresses.length < agents) return [addresses[agent % addresses.length]!];
  return addresses.filter((_, k) => k % agents === agent);
}
