/**
 * Client workers as child processes (the open-files limit is per process, and each worker gets a
 * core's worth of event loop). The coordinator sees only protocol messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { WsbenchError } from '../errors.js';
import { trackChild } from '../process/children.js';
import type { FromWorker, ToWorker, WorkerConnected, WorkerPlan, WorkerResult, WorkerSnapshot } from './worker-messages.js';

const entry = fileURLToPath(new URL('./worker-process.js', import.meta.url));

/** Connections one worker should hold at most: stays well under the 20k open-files limit. */
export const CONNECTIONS_PER_WORKER = 15_000;

/** Enough workers for the connections, at most one per core unless more are needed for fds. */
export function defaultWorkerCount(connections: number, cores = availableParallelism()): number {
  const forFiles = Math.ceil(connections / CONNECTIONS_PER_WORKER);
  const forCpu = connections >= 2000 ? Math.max(1, cores - 1) : 1;
  return Math.max(forFiles, forCpu);
}

/**
 * Node flags of a worker. The fast WebSocket client allocates next to nothing per message, so a
 * 1 MiB young generation costs it no measurable CPU (2.29–2.36 µs per delivery at 400k/s with or
 * without it) and keeps V8 from growing 16 MiB semi-spaces while thousands of handshakes run:
 * 10–30 MiB less RSS per worker. The `ws` client and the polling transports allocate per message
 * and keep V8's default.
 */
export function workerExecArgv(plan: Pick<WorkerPlan, 'transport' | 'transportSettings'>): string[] {
  const allocatesLittle = plan.transport === 'websocket' && plan.transportSettings.websocketClient === 'fast';
  return allocatesLittle ? ['--max-semi-space-size=1'] : [];
}

/** Splits `total` clients into `workers` contiguous ranges of near-equal size. */
export function splitClients(total: number, workers: number): { first: number; count: number }[] {
  const out: { first: number; count: number }[] = [];
  let first = 0;
  for (let w = 0; w < workers; w++) {
    const count = Math.floor(total / workers) + (w < total % workers ? 1 : 0);
    out.push({ first, count });
    first += count;
  }
  return out;
}

export class WorkerGroup {
  private readonly children: ChildProcess[] = [];
  private readonly stops: ((graceMs?: number) => Promise<void>)[] = [];
  private readonly latest = new Map<number, WorkerSnapshot>();
  private readonly pendingIntervals: string[] = [];
  private fatal: string | null = null;
  private onFatal: ((message: string) => void) | null = null;

  constructor(private readonly plans: WorkerPlan[]) {}

  /** Starts every worker with its plan; connecting begins at once. */
  start(): void {
    for (const plan of this.plans) {
      const child = fork(entry, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
        detached: true,
        execArgv: workerExecArgv(plan),
      });
      this.children.push(child);
      this.stops.push(trackChild(child, `worker-${plan.workerId}`));
      child.on('message', (raw) => {
        const msg = raw as FromWorker;
        if (msg.type === 'snapshot') {
          this.latest.set(msg.snapshot.workerId, msg.snapshot);
          if (msg.snapshot.interval) this.pendingIntervals.push(msg.snapshot.interval);
        } else if (msg.type === 'fatal') {
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

  /** Latest snapshot of every worker, and the interval histograms received since the last call. */
  takeSnapshots(): { snapshots: WorkerSnapshot[]; intervals: string[] } {
    return { snapshots: [...this.latest.values()], intervals: this.pendingIntervals.splice(0) };
  }

  /** Latest snapshot of every worker, leaving interval histograms for the next takeSnapshots. */
  latestSnapshots(): WorkerSnapshot[] {
    return [...this.latest.values()];
  }

  /** Resolves with every worker's connect outcome (or rejects when a worker dies). */
  connected(signal: AbortSignal): Promise<WorkerConnected[]> {
    return this.collect<WorkerConnected>('connected', (m) => (m.type === 'connected' ? m.connected : undefined), signal);
  }

  /** Tells every worker publishing starts (they restart their event-loop delay figures). */
  publishing(): void {
    for (const child of this.children) this.send(child, { type: 'publishing' });
  }

  /** Tells every worker publishing is over and collects the final accounting. */
  finish(ackedPerChannel: number[], timeoutMs = 30_000): Promise<WorkerResult[]> {
    const results = this.collect<WorkerResult>('result', (m) => (m.type === 'result' ? m.result : undefined), undefined, timeoutMs);
    for (const child of this.children) this.send(child, { type: 'finish', ackedPerChannel });
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
