/**
 * Entry of a client worker child process: runs one ClientPool and talks to the coordinator over
 * IPC (see worker-messages.ts). Ignores SIGINT (the coordinator decides when to stop so the run can
 * still report) and exits as soon as the coordinator disconnects, so no worker outlives it.
 */
import { ClientPool } from './client-pool.js';
import { LoadSampler, ProcessMonitor } from '../process/monitor.js';
import { transportDescriptor } from '../transports/registry.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

if (!process.send) {
  console.error('worker-process must be started by wsbench with an IPC channel');
  process.exit(1);
}

const send = (msg: FromWorker) => process.send!(msg);
const monitor = new ProcessMonitor('worker');
let pool: ClientPool | null = null;
let workerId = -1;
let snapshotTimer: NodeJS.Timeout | null = null;

process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.on('uncaughtException', (e) => {
  send({ type: 'fatal', message: e.stack ?? e.message });
  process.exit(70);
});

process.on('message', (raw) => {
  const msg = raw as ToWorker;
  if (msg.type === 'plan') {
    const plan = msg.plan;
    workerId = plan.workerId;
    monitor.reset();
    pool = new ClientPool(plan, transportDescriptor(plan.transport).clientFactory(plan.transportSettings), monitor, new LoadSampler());
    snapshotTimer = setInterval(() => send({ type: 'snapshot', snapshot: pool!.snapshot() }), plan.snapshotIntervalMs);
    pool.connectAll(plan.connectStartMs).then(
      (connected) => send({ type: 'connected', connected }),
      (e: Error) => send({ type: 'fatal', message: e.stack ?? e.message }),
    );
  } else if (msg.type === 'publishing') {
    monitor.resetEventLoopDelay();
    pool?.publishing(msg.t0);
    // Clients that send (publish.via websocket): what they sent, once through the schedule or stopped.
    void pool?.sends?.then((sends) => send({ type: 'sent', sends }));
  } else if (msg.type === 'stop-sending') {
    pool?.stopSending();
  } else if (msg.type === 'drain') {
    pool?.draining(msg.publishes);
  } else if (msg.type === 'server-restart') {
    pool?.serverRestart(msg.index, msg.at);
    send({ type: 'restart-ack', workerId: pool ? workerId : -1, index: msg.index });
  } else if (msg.type === 'server-restarted') {
    pool?.serverRestarted();
  } else if (msg.type === 'finish' && pool) {
    pool.finish(msg.publishes).then(
      (result) => {
        if (snapshotTimer) clearInterval(snapshotTimer);
        send({ type: 'snapshot', snapshot: pool!.snapshot() });
        send({ type: 'result', result });
      },
      (e: Error) => send({ type: 'fatal', message: e.stack ?? e.message }),
    );
  }
});
