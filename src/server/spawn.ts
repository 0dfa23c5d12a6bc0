/**
 * Starts the reference server in a child process and talks to it over IPC.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WsbenchError, type ErrorCode } from '../errors.js';
import { trackChild } from '../process/children.js';
import type { ProcessStats } from '../results/types.js';
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
  stop(): Promise<void>;
}

const entry = fileURLToPath(new URL('./server-process.js', import.meta.url));

export type SpawnServerOptions = Omit<ReferenceServerOptions, 'statsSource' | 'cluster'> & {
  /** Server processes (default 1): more than one makes the started process a cluster primary. */
  processes?: number;
};

export async function spawnServer(spawnOptions: SpawnServerOptions, startTimeoutMs = 20_000): Promise<ServerChild> {
  const { processes = 1, ...options } = spawnOptions;
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, execArgv: [] });
  const stop = trackChild(child, 'reference-server');
  const request = (msg: ServerRequest) => child.send(msg);

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
        const timer = setTimeout(() => reject(new Error('reference server did not answer a stats request')), 8000);
        const onMessage = (raw: unknown) => {
          const msg = raw as ServerReply;
          if (msg.type !== 'stats' && msg.type !== 'error') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          if (msg.type === 'error') reject(new Error(`reference server stats: ${msg.message}`));
          else resolve({ stats: msg.stats, process: msg.process, processes: msg.processes });
        };
        child.on('message', onMessage);
        request({ type: 'stats' });
      });
    },
    resetStats() {
      request({ type: 'reset-stats' });
    },
    // Workers of a cluster close their connections in parallel; give them longer before SIGKILL.
    stop: () => stop(processes > 1 ? 10_000 : 3000),
  };
}
