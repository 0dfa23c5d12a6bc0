/**
 * Which processes are alive: used to prove a command left nothing running.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of living processes whose command line matches `pattern`. */
export function processesMatching(pattern: RegExp): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && pattern.test(cmd)) out.push({ pid: Number(entry), cmd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Descendants of `pid` (children, grandchildren …) that are alive. */
export function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

export async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/** Command lines of living descendants of this process that are wsbench's own children. */
export function leftoverChildren(except: number[] = []): string[] {
  return descendantsOf(process.pid)
    .filter((pid) => !except.includes(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return '';
      }
    })
    .filter((cmd) => /worker-process|server-process|redis-server/.test(cmd));
}

/** Whether a process with this PID exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Calls `act` once, `afterMs` after the first `publishing` phase event on the CLI's NDJSON stdout. */
export function onPublishing(child: ChildProcess, afterMs: number, act: () => void): void {
  let seen = '';
  let armed = false;
  child.stdout!.on('data', (d: Buffer) => {
    if (armed) return;
    seen += d.toString();
    if (!seen.includes('"phase":"publishing"')) return;
    armed = true;
    setTimeout(act, afterMs);
  });
}
