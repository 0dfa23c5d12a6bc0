/**
 * Network namespaces for tests: a process with its own network stack and its own IP, linked to
 * the host by a veth pair — what a load agent on another host sees, on one machine.
 *
 *     host                                     namespace wsbns-<pid>-<n>
 *     wsb<pid>h<n>  10.250.x.(4k+1)/30  ◄──veth──►  wsb<pid>n<n>  10.250.x.(4k+2)/30, lo up
 *
 * Services listening on the host side's address (or 0.0.0.0) are reachable from inside; the
 * namespace's own 127.0.0.1 is its own. Addresses are /30 blocks of 10.250.0.0/16 not in use on
 * the host. Names carry the owning process's pid: everything is removed by `remove()`, at exit
 * and on SIGINT/SIGTERM, and a later run removes what a killed test left (`removeStaleNetns`:
 * namespaces and links whose owner is dead) — never another live test's.
 *
 * Needs Linux, iproute2 (`ip`) and CAP_NET_ADMIN (root): `netnsSupport()` says why not otherwise,
 * for the test to show as its skip reason.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const NS = /^wsbns-(\d+)-(\w+)$/;
const LINK = /^wsb(\d+)[hn]\d+$/;
const IP_TIMEOUT_MS = 10_000;

export interface Netns {
  name: string;
  /** The host's end of the link: listen here (or on 0.0.0.0) to be reached from inside. */
  hostAddress: string;
  /** The namespace's own address (what servers on the host see as the peer). */
  nsAddress: string;
  /** Starts `command` inside the namespace. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs `command` inside the namespace to its end, killed after `timeoutMs`. */
  run(command: string, args: string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** Kills what still runs inside and removes the namespace and its link. */
  remove(): Promise<void>;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type NetnsSupport = { ok: true } | { ok: false; reason: string };

function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${(stderr || error.message).trim().split('\n')[0]}`, { cause: error }));
      else resolve(stdout);
    });
  });
}

function ipSync(args: string[]): string {
  try {
    return execFileSync('ip', args, { timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** CAP_NET_ADMIN (bit 12) in this process's effective capabilities. */
function hasNetAdmin(): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 12n)) !== 0n;
  } catch {
    return false;
  }
}

let support: Promise<NetnsSupport> | undefined;

/** Whether this process may create network namespaces, and if not, why (a sentence for the skip reason). */
export function netnsSupport(): Promise<NetnsSupport> {
  support ??= (async (): Promise<NetnsSupport> => {
    if (process.platform !== 'linux') return { ok: false, reason: `network namespaces are Linux only (this is ${process.platform})` };
    if (!hasNetAdmin()) return { ok: false, reason: 'network namespaces need CAP_NET_ADMIN (run the tests as root, as CI does)' };
    try {
      await ip(['-V']);
    } catch (e) {
      const missing = (e as { cause?: NodeJS.ErrnoException }).cause?.code === 'ENOENT';
      return { ok: false, reason: missing ? 'the ip command (iproute2) is not installed: apt-get install iproute2' : (e as Error).message };
    }
    removeStaleNetns();
    const probe = `wsbns-${process.pid}-probe`;
    try {
      await ip(['netns', 'add', probe]);
    } catch (e) {
      return { ok: false, reason: `cannot create a network namespace here: ${(e as Error).message}` };
    }
    await ip(['netns', 'del', probe]).catch(() => {});
    return { ok: true };
  })();
  return support;
}

/** Removes namespaces and links of this helper whose owning process is gone; returns their names. */
export function removeStaleNetns(): string[] {
  const removed: string[] = [];
  for (const line of ipSync(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = NS.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    killInside(name);
    ipSync(['netns', 'del', name]);
    removed.push(name);
  }
  for (const line of ipSync(['-o', 'link', 'show']).split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '';
    const m = LINK.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    ipSync(['link', 'del', name]);
    removed.push(name);
  }
  return removed;
}

function killInside(name: string): void {
  for (const pid of ipSync(['netns', 'pids', name]).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

/** Namespaces of this process still to remove (at exit, on a signal, by remove()). */
const mine = new Map<string, string>();
let counter = 0;
let hooked = false;

function removeAllSync(): void {
  for (const [name, hostLink] of mine) {
    killInside(name);
    ipSync(['link', 'del', hostLink]);
    ipSync(['netns', 'del', name]);
  }
  mine.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      removeAllSync();
      // Nobody else handles it: die of it, as without this handler.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

/** IPv4 addresses on the host's interfaces (to pick a /30 nobody uses). */
async function hostAddresses(): Promise<Set<string>> {
  const out = await ip(['-o', '-4', 'addr', 'show']);
  return new Set([...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!));
}

function block(index: number): { host: string; ns: string; network: string } {
  const base = index * 4;
  const prefix = `10.250.${base >> 8}`;
  return { network: `${prefix}.${base & 255}`, host: `${prefix}.${(base & 255) + 1}`, ns: `${prefix}.${(base & 255) + 2}` };
}

/** A new namespace with its own address on a veth link to the host. Check `netnsSupport()` first. */
export async function createNetns(): Promise<Netns> {
  hookExit();
  const n = counter++;
  const name = `wsbns-${process.pid}-${n}`;
  const hostLink = `wsb${process.pid}h${n}`;
  const nsLink = `wsb${process.pid}n${n}`;
  const used = await hostAddresses();
  // Start where this pid points, so that concurrent test processes rarely try the same block.
  const blocks = 16_384;
  let index = (process.pid * 7 + n * 13) % blocks;
  while (used.has(block(index).host) || used.has(block(index).ns)) index = (index + 1) % blocks;
  const { host, ns } = block(index);
  mine.set(name, hostLink);
  try {
    await ip(['netns', 'add', name]);
    await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink, 'netns', name]);
    await ip(['addr', 'add', `${host}/30`, 'dev', hostLink]);
    await ip(['link', 'set', hostLink, 'up']);
    await ip(['-n', name, 'addr', 'add', `${ns}/30`, 'dev', nsLink]);
    await ip(['-n', name, 'link', 'set', nsLink, 'up']);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    await removeNetns(name, hostLink);
    throw e;
  }
  return {
    name,
    hostAddress: host,
    nsAddress: ns,
    spawn: (command, args, options = {}) => spawn('ip', ['netns', 'exec', name, command, ...args], options),
    run: (command, args, options = {}) => runInside(name, command, args, options.timeoutMs ?? 30_000, options.env),
    remove: () => removeNetns(name, hostLink),
  };
}

async function removeNetns(name: string, hostLink: string): Promise<void> {
  killInside(name);
  await ip(['link', 'del', hostLink]).catch(() => {}); // deleting one end removes the pair
  await ip(['netns', 'del', name]).catch(() => {});
  mine.delete(name);
}

function runInside(name: string, command: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', name, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} in ${name} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}
