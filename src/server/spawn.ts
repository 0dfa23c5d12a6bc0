/**
 * Starts the reference server in a child process and talks to it over IPC.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WsbenchError, type ErrorCode } from '../errors.js';
import { trackChild } from '../process/children.js';
import type { ProcessStats } from '../report/types.js';
import type { ReferenceServerOptions, ServerStats } from './reference-server.js';
import type { ServerReply, ServerRequest } from './server-process.js';

export interface ServerChild {
  url: string;
  pid: number;
  stats(): Promise<{ stats: ServerStats; process: ProcessStats }>;
  resetStats(): void;
  stop(): Promise<void>;
}

const entry = fileURLToPath(new URL('./server-process.js', import.meta.url));

export async function spawnServer(options: ReferenceServerOptions, startTimeoutMs = 10_000): Promise<ServerChild> {
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, execArgv: [] });
  const stop = trackChild(child, 'reference-server');
  const request = (msg: ServerRequest) => child.send(msg);

  const listening = await new Promise<{ url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new WsbenchError('SETUP', `reference server did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    child.on('message', (raw) => {
      const msg = raw as ServerReply;
      if (msg.type === 'listening') {
        clearTimeout(timer);
        resolve({ url: msg.url });
      } else if (msg.type === 'error') {
        clearTimeout(timer);
        reject(new WsbenchError(msg.code as ErrorCode, msg.message));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new WsbenchError('SETUP', `reference server exited during start-up (${signal ?? `code ${code}`})`));
    });
    request({ type: 'start', options });
  }).catch(async (e) => {
    await stop(500);
    throw e;
  });

  return {
    url: listening.url,
    pid: child.pid!,
    stats() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('reference server did not answer a stats request')), 5000);
        const onMessage = (raw: unknown) => {
          const msg = raw as ServerReply;
          if (msg.type !== 'stats') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve({ stats: msg.stats, process: msg.process });
        };
        child.on('message', onMessage);
        request({ type: 'stats' });
      });
    },
    resetStats() {
      request({ type: 'reset-stats' });
    },
    stop: () => stop(3000),
  };
}
