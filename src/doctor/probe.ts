/**
 * Reads the system facts capacity.ts reasons about (Linux /proc; sensible stand-ins elsewhere).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { createServer } from 'node:net';
import type { SystemFacts } from './machine-limits.js';

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function readSystemFacts(): SystemFacts {
  const limits = readProc('/proc/self/limits') ?? '';
  const files = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : v === 'unlimited' ? 1_048_576 : Number(v));
  const ports = (readProc('/proc/sys/net/ipv4/ip_local_port_range') ?? '32768 60999').trim().split(/\s+/).map(Number);
  return {
    openFilesSoft: num(files?.[1], 1024),
    openFilesHard: num(files?.[2], 1024),
    portRange: [ports[0] ?? 32768, ports[1] ?? 60999],
    somaxconn: Number((readProc('/proc/sys/net/core/somaxconn') ?? '4096').trim()),
    cores: availableParallelism(),
    totalMemoryBytes: totalmem(),
  };
}

/** True when a socket can bind to `address` (e.g. 127.0.0.2 as a loopback source). */
export function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}
