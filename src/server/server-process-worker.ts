/**
 * Entry of one reference-server process of a cluster (see cluster.ts): runs the reference server
 * with its own Redis subscriber; /stats and /healthz ask the primary for the merged figures.
 * Exits when the primary goes.
 */
import cluster from 'node:cluster';
import { startReferenceServer, type ReferenceServer, type ServerStats } from './reference-server.js';
import { ProcessMonitor } from '../process/monitor.js';
import { isWsbenchError, messageOf } from '../errors.js';
import type { FromWorker, ToWorker } from './cluster.js';

if (cluster.isPrimary || !process.send) {
  console.error('server-process-worker must be started by the reference server primary (node:cluster)');
  process.exit(1);
}

const send = (msg: FromWorker) => {
  if (process.connected) process.send!(msg);
};
const monitor = new ProcessMonitor('server');
let server: ReferenceServer | null = null;
let nextId = 1;
const merges = new Map<number, { resolve: (s: ServerStats) => void; reject: (e: Error) => void }>();

// The primary went away (even SIGKILLed): nothing may outlive it.
process.on('disconnect', () => process.exit(0));
// A message to a primary that is already gone (EPIPE) would be an unhandled 'error' on the worker.
cluster.worker?.on('error', () => {});
process.on('SIGTERM', () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
// Ctrl-C reaches the whole process group; the primary decides when the server stops.
process.on('SIGINT', () => {});

function mergedStats(): Promise<ServerStats> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      merges.delete(id);
      reject(new Error('the server primary did not answer with merged stats'));
    }, 10_000);
    merges.set(id, {
      resolve: (s) => (clearTimeout(timer), resolve(s)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    });
    send({ wsbench: 'merge', id });
  });
}

process.on('message', (msg: ToWorker) => {
  if (msg.wsbench === 'start') {
    startReferenceServer({
      ...msg.options,
      cluster: { index: msg.index, count: msg.count },
      statsSource: mergedStats,
      onIncident: (incident) => send({ wsbench: 'incident', incident }),
    }).then(
      (s) => {
        server = s;
        monitor.reset();
        send({ wsbench: 'listening', url: s.url, port: s.port });
      },
      (e) => send({ wsbench: 'error', message: messageOf(e), code: isWsbenchError(e) ? e.code : 'SETUP' }),
    );
  } else if (msg.wsbench === 'collect' && server) {
    send({ wsbench: 'collected', id: msg.id, stats: server.stats(), process: monitor.stats() });
  } else if (msg.wsbench === 'reset-stats') {
    monitor.reset();
  } else if (msg.wsbench === 'merged') {
    const m = merges.get(msg.id);
    merges.delete(msg.id);
    if (msg.stats) m?.resolve(msg.stats);
    else m?.reject(new Error(msg.error ?? 'merge failed'));
  }
});

// Messages that arrive before this module has run are dropped (the cluster's own IPC listener
// starts reading at once): tell the primary when the listener above is in place.
send({ wsbench: 'ready' });
