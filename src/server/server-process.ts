/**
 * Entry of the reference server when `wsbench run` starts it as a child process (so its CPU is
 * measured apart from the tool's). Talks to the parent over IPC; exits when the parent goes.
 */
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from './reference-server.js';
import { ProcessMonitor } from '../process/monitor.js';
import { isWsbenchError, messageOf } from '../errors.js';

export type ServerRequest = { type: 'start'; options: ReferenceServerOptions } | { type: 'stats' } | { type: 'reset-stats' };
export type ServerReply =
  | { type: 'listening'; url: string; port: number }
  | { type: 'stats'; stats: ReturnType<ReferenceServer['stats']>; process: ReturnType<ProcessMonitor['stats']> }
  | { type: 'error'; message: string; code: string };

if (!process.send) {
  console.error('server-process must be started by wsbench with an IPC channel');
  process.exit(1);
}

const send = (reply: ServerReply) => process.send!(reply);
const monitor = new ProcessMonitor('server');
let server: ReferenceServer | null = null;

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
// Ctrl-C reaches the whole process group; the parent decides when the server stops.
process.on('SIGINT', () => {});

process.on('message', (raw) => {
  const msg = raw as ServerRequest;
  if (msg.type === 'start') {
    startReferenceServer(msg.options).then(
      (s) => {
        server = s;
        monitor.reset();
        send({ type: 'listening', url: s.url, port: s.port });
      },
      (e) => send({ type: 'error', message: messageOf(e), code: isWsbenchError(e) ? e.code : 'SETUP' }),
    );
  } else if (msg.type === 'stats' && server) {
    send({ type: 'stats', stats: server.stats(), process: monitor.stats() });
  } else if (msg.type === 'reset-stats') {
    monitor.reset();
  }
});
