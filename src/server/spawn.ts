/**
 * Starts the reference server in a child process and talks to it over IPC. What the server says
 * as it happens (its Redis subscriber dropped or restored) and its process exiting while wanted
 * are told to `watch` listeners; a stats request to a server that is gone fails at once.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WsbenchError, type ErrorCode } from '../errors.js';
import { trackChild } from '../process/children.js';
import type { ProcessStats } from '../results/types.js';
import { monotonicMs } from '../metrics/clock.js';
import type { ServerIncident } from './channel-registry.js';
import type { ReferenceServerOptions, ServerStats } from './reference-server.js';
import type { ServerReply, ServerRequest } from './server-process.js';

export interface ServerChild {
  url: string;
  /** The process wsbench started (the cluster primary when there are several). */
  pid: number;
  /** Every server process: the started one first, then its workers. */
  pids: number[];
  /** Merged server stats; `process` sums all server processes, `processes` lists each. */
  stats(): Promise<{ stats: ServerStats; process: ProcessStats; processes: ProcessStats[] }>;
  resetStats(): void;
  /** Hears what happens to the server until the returned function is called. */
  watch(listener: (notice: ServerNotice) => void): () => void;
  stop(): Promise<void>;
}

/** The server's process exited while it was wanted, or a server process's Redis subscriber was dropped or restored. */
export type ServerNotice = { type: 'exited'; detail: string; at: number } | ({ type: 'incident' } & ServerIncident);

/** A stats request is given up after this long (a cluster collects from every process: up to 5 s). */
const STATS_TIMEOUT_MS = 6000;

const entry = fileURLToPath(new URL('./server-process.js', import.meta.url));

export type SpawnServerOptions = Omit<ReferenceServerOptions, 'statsSource' | 'cluster' | 'onIncident'> & {
  /** Server processes (default 1): more than one makes the started process a cluster primary. */
  processes?: number;
};

export async function spawnServer(spawnOptions: SpawnServerOptions, startTimeoutMs = 20_000): Promise<ServerChild> {
  const { processes = 1, ...options } = spawnOptions;
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, execArgv: [] });
  const stopChild = trackChild(child, 'reference-server');
  const request = (msg: ServerRequest) => {
    if (child.connected) child.send(msg);
  };
  const listeners = new Set<(notice: ServerNotice) => void>();
  const tell = (notice: ServerNotice) => {
    for (const listener of listeners) listener(notice);
  };
  let stopping = false;
  let exited: string | null = null;
  child.on('message', (raw) => {
    const msg = raw as ServerReply;
    if (msg.type === 'incident') tell({ type: 'incident', ...msg.incident });
  });
  child.once('exit', (code, signal) => {
    exited = signal ?? `code ${code}`;
    if (!stopping)
      tell({ type: 'exited', detail: `the reference server process (pid ${child.pid}) exited (${exited})`, at: monotonicMs() });
  });
  const stop = (graceMs: number) => {
    stopping = true;
    return stopChild(graceMs);
  };

  const listening = await new Promise<{ url: string; pids: number[] }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new WsbenchError('SETUP', `reference server did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    child.on('message', (raw) => {
      const msg = raw as ServerReply;
      if (msg.type === 'listening') {
        clearTimeout(timer);
        resolve({ url: msg.url, pids: msg.pids });
      } else if (msg.type === 'error') {
        clearTimeout(timer);
        reject(new WsbenchError(msg.code as ErrorCode, msg.message));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new WsbenchError('SETUP', `reference server exited during start-up (${signal ?? `code ${code}`})`));
    });
    request({ type: 'start', options, processes });
  }).catch(async (e) => {
    await stop(500);
    throw e;
  });

  return {
    url: listening.url,
    pid: child.pid!,
    pids: listening.pids,
    stats() {
      return new Promise((resolve, reject) => {
        // A server that is gone answers nothing: say so at once instead of waiting out the timeout.
        if (exited !== null) return reject(new Error(`the reference server process exited (${exited})`));
        const done = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error('reference server did not answer a stats request'));
        }, STATS_TIMEOUT_MS);
        const onExit = () => {
          done();
          reject(new Error(`the reference server process exited (${exited})`));
        };
        const onMessage = (raw: unknown) => {
          const msg = raw as ServerReply;
          if (msg.type !== 'stats' && msg.type !== 'error') return;
          done();
          if (msg.type === 'error') reject(new Error(`reference server stats: ${msg.message}`));
          else resolve({ stats: msg.stats, process: msg.process, processes: msg.processes });
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        request({ type: 'stats' });
      });
    },
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resetStats() {
      request({ type: 'reset-stats' });
    },
    // Workers of a cluster close their connections in parallel; give them longer before SIGKILL.
    stop: () => stop(processes > 1 ? 10_000 : 3000),
  };
}
