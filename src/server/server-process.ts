/**
 * Entry of the reference server when `wsbench run` starts it as a child process (so its CPU is
 * measured apart from the tool's). Talks to the parent over IPC; exits when the parent goes.
 * With `processes` > 1 it is the primary of a cluster of server processes (cluster.ts) and
 * reports their stats merged, CPU summed over all of them (itself included).
 */
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions, type ServerStats } from './reference-server.js';
import type { ServerIncident } from './channel-registry.js';
import { startServerCluster, type ServerCluster, type ServerProcessExit, describeProcessExit } from './cluster.js';
import { aggregateProcessStats, mergeServerStats } from './stats.js';
import { ProcessMonitor } from '../process/monitor.js';
import type { ProcessStats } from '../results/types.js';
import { isWsbenchError, messageOf } from '../errors.js';

export type ServerRequest =
  | { type: 'start'; options: Omit<ReferenceServerOptions, 'statsSource' | 'cluster' | 'onIncident'>; processes: number }
  | { type: 'stats' }
  | { type: 'reset-stats' };
export type ServerReply =
  | { type: 'listening'; url: string; port: number; pids: number[] }
  | {
      type: 'stats';
      stats: ServerStats;
      /** All server processes together: CPU summed, worst event-loop delay. */
      process: ProcessStats;
      /** One entry per server process (the primary first when there are several). */
      processes: ProcessStats[];
    }
  | { type: 'error'; message: string; code: string }
  /** A server process's Redis subscriber was dropped or restored (said as it happens). */
  | { type: 'incident'; incident: ServerIncident };

if (!process.send) {
  console.error('server-process must be started by wsbench with an IPC channel');
  process.exit(1);
}

const send = (reply: ServerReply) => {
  if (process.connected) process.send!(reply);
};
const monitor = new ProcessMonitor('server');
let server: ReferenceServer | null = null;
let group: ServerCluster | null = null;

/** Said on stderr (wsbench passes it through): the clients see the same as closed connections and loss. */
function reportProcessExit(exit: ServerProcessExit): void {
  process.stderr.write(`wsbench: ${describeProcessExit(exit)}\n`);
}

// wsbench went away (even SIGKILLed): the IPC channel closes. Cluster workers follow this process.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  void Promise.allSettled([server?.close(), group?.close()]).finally(() => process.exit(0));
});
// Ctrl-C reaches the whole process group; the parent decides when the server stops.
process.on('SIGINT', () => {});

process.on('message', (raw) => {
  const msg = raw as ServerRequest;
  if (msg.type === 'start') {
    const onIncident = (incident: ServerIncident) => send({ type: 'incident', incident });
    const started =
      msg.processes > 1
        ? startServerCluster(msg.options, msg.processes, undefined, reportProcessExit, onIncident).then((g) => {
            group = g;
            return { url: g.url, port: g.port, pids: [process.pid, ...g.pids] };
          })
        : startReferenceServer({ ...msg.options, onIncident }).then((s) => {
            server = s;
            return { url: s.url, port: s.port, pids: [process.pid] };
          });
    started.then(
      (l) => {
        monitor.reset();
        send({ type: 'listening', ...l });
      },
      (e) => send({ type: 'error', message: messageOf(e), code: isWsbenchError(e) ? e.code : 'SETUP' }),
    );
  } else if (msg.type === 'stats') {
    if (server) {
      const own = monitor.stats();
      send({ type: 'stats', stats: server.stats(), process: own, processes: [own] });
    } else if (group) {
      group.collect().then(
        (all) => {
          const processes = [monitor.stats(), ...all.map((a) => a.process)];
          send({ type: 'stats', stats: mergeServerStats(all.map((a) => a.stats)), process: aggregateProcessStats(processes), processes });
        },
        (e) => send({ type: 'error', message: messageOf(e), code: 'INTERNAL' }),
      );
    }
  } else if (msg.type === 'reset-stats') {
    monitor.reset();
    group?.resetStats();
  }
});
