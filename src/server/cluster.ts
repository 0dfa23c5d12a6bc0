/**
 * The reference server as several processes: this process is the cluster primary and forks
 * `count` workers (server-process-worker.ts), each running the reference server with its own
 * Redis subscriber and its share of the connections.
 *
 * Why Node's cluster, round-robin: Node 20 has no SO_REUSEPORT (`reusePort` came in 22.12/23.1),
 * and with a shared listening socket (SCHED_NONE) the kernel wakes whichever worker is idle,
 * which piles connections onto a few processes. Round-robin has the primary accept and hand each
 * connection to the next worker: even shares, so the 20,000 open-files limit is met per worker
 * and 100k connections fit in 6 or more of them. The handoff costs the primary a little CPU per
 * connection (counted in the server's CPU), nothing per message.
 *
 * /stats and /healthz answer for all processes: the worker that got the request asks the primary,
 * which collects every worker's stats over IPC and merges them (stats.ts). Workers exit when the
 * primary goes (their IPC channel closes), and the primary is the child wsbench tracks.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { WsbenchError, type ErrorCode } from '../errors.js';
import type { ProcessStats } from '../results/types.js';
import type { ReferenceServerOptions, ServerStats } from './reference-server.js';
import type { ServerIncident } from './channel-registry.js';
import { mergeServerStats } from './stats.js';

/** Serializable server options (no functions): what a worker is started with. */
export type WorkerServerOptions = Omit<ReferenceServerOptions, 'statsSource' | 'cluster' | 'onIncident'>;

export type ToWorker =
  | { wsbench: 'start'; options: WorkerServerOptions; index: number; count: number }
  | { wsbench: 'collect'; id: number }
  | { wsbench: 'reset-stats' }
  | { wsbench: 'merged'; id: number; stats?: ServerStats; error?: string };

export type FromWorker =
  | { wsbench: 'ready' }
  | { wsbench: 'listening'; url: string; port: number }
  | { wsbench: 'error'; message: string; code: string }
  | { wsbench: 'collected'; id: number; stats: ServerStats; process: ProcessStats }
  | { wsbench: 'merge'; id: number }
  | { wsbench: 'incident'; incident: ServerIncident };

export interface ServerCluster {
  url: string;
  port: number;
  /** PIDs of the workers. */
  pids: number[];
  /** Each living worker's server and process stats. */
  collect(): Promise<{ stats: ServerStats; process: ProcessStats }[]>;
  resetStats(): void;
  close(graceMs?: number): Promise<void>;
}

const workerEntry = fileURLToPath(new URL('./server-process-worker.js', import.meta.url));
const COLLECT_TIMEOUT_MS = 5000;

/** A server process that exited while the cluster was not closing: its connections are gone. */
export interface ServerProcessExit {
  index: number;
  count: number;
  pid: number | undefined;
  /** Signal name or `code N`. */
  how: string;
}

/** One line for a user: which server process went, and how. */
export function describeProcessExit(exit: ServerProcessExit): string {
  return `reference server process ${exit.index + 1} of ${exit.count} (pid ${exit.pid}) exited (${exit.how})`;
}

export async function startServerCluster(
  options: WorkerServerOptions,
  count: number,
  startTimeoutMs = 15_000,
  onProcessExit: (exit: ServerProcessExit) => void = () => {},
  /** A worker's Redis subscriber was dropped or restored. */
  onIncident: (incident: ServerIncident) => void = () => {},
): Promise<ServerCluster> {
  if (!cluster.isPrimary) throw new Error('startServerCluster must run in the primary');
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: workerEntry, args: [] });

  const workers: Worker[] = [];
  let closing = false;
  let nextId = 1;
  const pending = new Map<
    number,
    { waiting: Set<Worker>; got: { stats: ServerStats; process: ProcessStats }[]; done: (e?: Error) => void }
  >();
  const alive = () => workers.filter((w) => !w.isDead() && w.isConnected());

  function collect(): Promise<{ stats: ServerStats; process: ProcessStats }[]> {
    const targets = alive();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const got: { stats: ServerStats; process: ProcessStats }[] = [];
      const timer = setTimeout(
        () => finish(new Error(`a server process did not answer a stats request within ${COLLECT_TIMEOUT_MS} ms`)),
        COLLECT_TIMEOUT_MS,
      );
      const finish = (e?: Error) => {
        clearTimeout(timer);
        pending.delete(id);
        if (e) reject(e);
        else resolve(got);
      };
      pending.set(id, { waiting: new Set(targets), got, done: finish });
      if (targets.length === 0) return finish();
      for (const w of targets) w.send({ wsbench: 'collect', id } satisfies ToWorker);
    });
  }

  function onMessage(worker: Worker, msg: FromWorker): void {
    if (msg.wsbench === 'collected') {
      const p = pending.get(msg.id);
      if (!p?.waiting.delete(worker)) return;
      p.got.push({ stats: msg.stats, process: msg.process });
      if (p.waiting.size === 0) p.done();
    } else if (msg.wsbench === 'incident') {
      onIncident(msg.incident);
    } else if (msg.wsbench === 'merge') {
      collect().then(
        (all) =>
          worker.isConnected() &&
          worker.send({ wsbench: 'merged', id: msg.id, stats: mergeServerStats(all.map((a) => a.stats)) } satisfies ToWorker),
        (e: Error) => worker.isConnected() && worker.send({ wsbench: 'merged', id: msg.id, error: e.message } satisfies ToWorker),
      );
    }
  }

  async function close(graceMs = 3000): Promise<void> {
    closing = true;
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const timer = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  const started = Promise.all(
    Array.from({ length: count }, (_, index) => {
      const worker = cluster.fork();
      workers.push(worker);
      return new Promise<{ url: string; port: number }>((resolve, reject) => {
        worker.on('message', (raw: FromWorker) => {
          if (raw.wsbench === 'ready') worker.send({ wsbench: 'start', options, index, count } satisfies ToWorker);
          else if (raw.wsbench === 'listening') resolve({ url: raw.url, port: raw.port });
          else if (raw.wsbench === 'error') reject(new WsbenchError(raw.code as ErrorCode, raw.message));
          else onMessage(worker, raw);
        });
        worker.once('exit', (code, signal) => {
          const how = signal ?? `code ${code}`;
          reject(new WsbenchError('SETUP', `reference server process ${index + 1} of ${count} exited during start-up (${how})`));
          // Its connections are gone: the clients see it as closed connections and loss.
          if (!closing) onProcessExit({ index, count, pid: worker.process.pid, how });
          for (const p of [...pending.values()]) if (p.waiting.delete(worker) && p.waiting.size === 0) p.done();
        });
      });
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WsbenchError('SETUP', `reference server processes did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
  });
  let listening: { url: string; port: number }[];
  try {
    listening = await Promise.race([started, timeout]);
  } catch (e) {
    await close(500);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const first = listening[0]!;
  if (listening.some((l) => l.port !== first.port)) {
    await close(500);
    throw new WsbenchError('SETUP', `reference server processes listen on different ports: ${listening.map((l) => l.port).join(', ')}`);
  }
  return {
    url: first.url,
    port: first.port,
    pids: workers.map((w) => w.process.pid!),
    collect,
    resetStats() {
      for (const w of alive()) w.send({ wsbench: 'reset-stats' } satisfies ToWorker);
    },
    close,
  };
}
