/**
 * Every process wsbench starts (redis-server, the reference server, client workers) is tracked
 * here so that none outlives the command: stopped in order on a normal end, killed on exit or a
 * crash, and — for non-Node children that cannot notice their parent dying — watched by a tiny
 * shell watchdog that kills them even if wsbench itself is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';

interface Tracked {
  child: ChildProcess;
  name: string;
  /** Watchdog process, for children that cannot see their parent go. */
  watchdog?: ChildProcess;
}

const tracked = new Set<Tracked>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a plain kill is all that can be done here.
  process.on('exit', () => {
    for (const t of tracked) killNow(t);
  });
}

function killNow(t: Tracked): void {
  if (t.child.exitCode === null && t.child.signalCode === null) {
    try {
      t.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (t.watchdog && t.watchdog.exitCode === null) {
    try {
      t.watchdog.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export interface TrackOptions {
  /** Start a watchdog that kills the child if this process dies without cleaning up. */
  watchdog?: boolean;
}

/** Registers a child; returns a function that stops it (SIGTERM, then SIGKILL after `graceMs`). */
export function trackChild(child: ChildProcess, name: string, options: TrackOptions = {}): (graceMs?: number) => Promise<void> {
  installExitHook();
  const entry: Tracked = { child, name };
  if (options.watchdog && child.pid !== undefined) entry.watchdog = startWatchdog(child.pid);
  tracked.add(entry);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    // A child that could not be spawned at all (ENOENT …) never emits 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  void exited.then(() => {
    tracked.delete(entry);
    if (entry.watchdog && entry.watchdog.exitCode === null) entry.watchdog.kill('SIGKILL');
  });
  return async (graceMs = 2000) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => killNow(entry), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await exited;
  };
}

/** Polls every 0.5 s whether this process is alive; when it is not, kills the child. */
function startWatchdog(childPid: number): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 0.5; done; kill -9 ${childPid} 2>/dev/null`;
  const watchdog = spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true });
  watchdog.unref();
  return watchdog;
}

/** Names of children still running (for diagnostics and tests). */
export function runningChildren(): string[] {
  return [...tracked].filter((t) => t.child.exitCode === null && t.child.signalCode === null).map((t) => t.name);
}

/** Stops every tracked child now (used on a second Ctrl-C and on fatal errors). */
export function killAllChildren(): void {
  for (const t of tracked) killNow(t);
}
