/**
 * Client workers as local child processes (the open-files limit is per process, and each worker
 * gets a core's worth of event loop). The coordinator sees only worker messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { WsbenchError } from '../errors.js';
import { trackChild } from '../process/children.js';
import { transportDescriptor } from '../transports/registry.js';
import type { PublishOutcome } from '../metrics/publish-outcomes.js';
import type { WorkerGroup } from './worker-group.js';
import type { FromWorker, ToWorker, WorkerConnected, WorkerPlan, WorkerResult, WorkerSends, WorkerSnapshot } from './worker-messages.js';

const entry = fileURLToPath(new URL('./worker-process.js', import.meta.url));

/** Connections one worker should hold at most: stays well under the 20k open-files limit. */
export const CONNECTIONS_PER_WORKER = 15_000;

/** Enough workers for the connections, at most one per core unless more are needed for fds. */
export function defaultWorkerCount(connections: number, cores = availableParallelism()): number {
  const forFiles = Math.ceil(connections / CONNECTIONS_PER_WORKER);
  const forCpu = connections >= 2000 ? Math.max(1, cores - 1) : 1;
  return Math.max(forFiles, forCpu);
}

/** Workers as child processes of this one, talking over IPC. */
export class ChildProcessWorkers implements WorkerGroup {
  private readonly children: ChildProcess[] = [];
  private readonly stops: ((graceMs?: number) => Promise<void>)[] = [];
  private fatal: string | null = null;
  private onFatal: ((message: string) => void) | null = null;

  constructor(private readonly plans: WorkerPlan[]) {}

  start(onSnapshot: (snapshot: WorkerSnapshot) => void): void {
    for (const plan of this.plans) {
      const child = fork(entry, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
        detached: true,
        execArgv: transportDescriptor(plan.transport).workerExecArgv(plan.transportSettings),
      });
      this.children.push(child);
      this.stops.push(trackChild(child, `worker-${plan.workerId}`));
      child.on('message', (raw) => {
        const msg = raw as FromWorker;
        if (msg.type === 'snapshot') onSnapshot(msg.snapshot);
        else if (msg.type === 'fatal') {
          this.fail(`worker ${plan.workerId} failed: ${msg.message.split('\n')[0]}`);
        }
      });
      child.once('exit', (code, signal) => {
        if (code !== 0) this.fail(`worker ${plan.workerId} exited unexpectedly (${signal ?? `code ${code}`})`);
      });
      this.send(child, { type: 'plan', plan });
    }
  }

  private fail(message: string): void {
    this.fatal ??= message;
    this.onFatal?.(message);
  }

  private send(child: ChildProcess, msg: ToWorker): void {
    if (child.connected) child.send(msg);
  }

  connected(signal: AbortSignal): Promise<WorkerConnected[]> {
    return this.collect<WorkerConnected>('connected', (m) => (m.type === 'connected' ? m.connected : undefined), signal);
  }

  publishing(t0: number): void {
    for (const child of this.children) this.send(child, { type: 'publishing', t0 });
  }

  sent(): Promise<WorkerSends[]> {
    return this.collect<WorkerSends>('sends', (m) => (m.type === 'sent' ? m.sends : undefined));
  }

  stopSending(): void {
    for (const child of this.children) this.send(child, { type: 'stop-sending' });
  }

  draining(publishes: PublishOutcome): void {
    for (const child of this.children) this.send(child, { type: 'drain', publishes });
  }

  async serverRestart(index: number, at: number, timeoutMs = 2000): Promise<void> {
    const acks = this.collect<number>(
      'restart acknowledgement',
      (m) => (m.type === 'restart-ack' && m.index === index ? m.workerId : undefined),
      undefined,
      timeoutMs,
    );
    for (const child of this.children) this.send(child, { type: 'server-restart', index, at });
    // A worker that does not answer in time still hears it; its drops may then count as errors.
    await acks.catch(() => {});
  }

  serverRestarted(index: number): void {
    for (const child of this.children) this.send(child, { type: 'server-restarted', index });
  }

  finish(publishes: PublishOutcome, timeoutMs = 30_000): Promise<WorkerResult[]> {
    const results = this.collect<WorkerResult>('result', (m) => (m.type === 'result' ? m.result : undefined), undefined, timeoutMs);
    for (const child of this.children) this.send(child, { type: 'finish', publishes });
    return results;
  }

  private collect<T>(what: string, pick: (m: FromWorker) => T | undefined, signal?: AbortSignal, timeoutMs?: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const got: T[] = [];
      const listeners: [ChildProcess, (raw: unknown) => void][] = [];
      let timer: NodeJS.Timeout | undefined;
      const done = (error?: Error) => {
        for (const [child, listener] of listeners) child.off('message', listener);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        this.onFatal = null;
        if (error) reject(error);
        else resolve(got);
      };
      const onAbort = () => done(new WsbenchError('INTERRUPTED', 'interrupted'));
      if (this.fatal) return done(new WsbenchError('INTERNAL', this.fatal));
      this.onFatal = (message) => done(new WsbenchError('INTERNAL', message));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs)
        timer = setTimeout(
          () => done(new WsbenchError('INTERNAL', `workers did not send their ${what} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      for (const child of this.children) {
        const listener = (raw: unknown) => {
          const value = pick(raw as FromWorker);
          if (value === undefined) return;
          got.push(value);
          if (got.length === this.children.length) done();
        };
        child.on('message', listener);
        listeners.push([child, listener]);
      }
    });
  }

  /** Stops every worker (they also exit on their own when the coordinator goes). */
  async stop(): Promise<void> {
    for (const child of this.children) if (child.connected) child.disconnect();
    await Promise.all(this.stops.map((stop) => stop(2000)));
  }
}

export const childProcessWorkers = (plans: WorkerPlan[]): WorkerGroup => new ChildProcessWorkers(plans);
