/**
 * Main-thread side of the publisher thread: start it, read its progress, stop it, get the result.
 */
import { Worker } from 'node:worker_threads';
import { WsbenchError, isErrorCode } from '../errors.js';
import type { PublisherProgress } from './publisher.js';
import {
  COUNTER_ACKED,
  COUNTER_ERRORS,
  COUNTER_SENT,
  COUNTER_STOP,
  type EncodedPublisherResult,
  type PublisherThreadInput,
  type PublisherThreadReply,
  type PublisherThreadStart,
} from './publisher-thread.js';

export type PublisherPlan = Omit<PublisherThreadInput, 'counters' | 'lag'>;

/** What the thread says as it happens: its Redis connection lost or back, failure streaks. */
export type PublisherNotice = Extract<PublisherThreadReply, { type: 'redis' | 'incident' }>;

export class PublisherHandle {
  private readonly counters = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly lag = new Float64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly done: Promise<EncodedPublisherResult>;
  readonly connected: Promise<void>;

  constructor(plan: PublisherPlan, onNotice: (notice: PublisherNotice) => void = () => {}) {
    this.worker = new Worker(new URL('./publisher-thread.js', import.meta.url), {
      workerData: { ...plan, counters: this.counters.buffer, lag: this.lag.buffer } satisfies PublisherThreadInput,
    });
    let onConnected: () => void = () => {};
    let onConnectFailed: (e: Error) => void = () => {};
    this.connected = new Promise((resolve, reject) => {
      onConnected = resolve;
      onConnectFailed = reject;
    });
    this.done = new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        onConnectFailed(e);
        reject(e);
      };
      this.worker.on('message', (msg: PublisherThreadReply) => {
        if (msg.type === 'connected') onConnected();
        else if (msg.type === 'result') resolve(msg.result);
        else if (msg.type === 'redis' || msg.type === 'incident') onNotice(msg);
        else fail(new WsbenchError(isErrorCode(msg.code) ? msg.code : 'INTERNAL', msg.message));
      });
      this.worker.once('error', (e) => fail(new WsbenchError('INTERNAL', `publisher thread failed: ${e.message}`, { cause: e })));
      this.worker.once('exit', (code) => fail(new WsbenchError('INTERNAL', `publisher thread exited (${code}) before reporting`)));
    });
    // Avoid unhandled rejections when only one of the two is awaited.
    this.connected.catch(() => {});
    this.done.catch(() => {});
  }

  progress(): PublisherProgress {
    return {
      sent: Atomics.load(this.counters, COUNTER_SENT),
      acked: Atomics.load(this.counters, COUNTER_ACKED),
      errors: Atomics.load(this.counters, COUNTER_ERRORS),
      lagMs: this.lag[0]!,
    };
  }

  /** Starts the schedule: message 0 is due at monotonic time `t0`. */
  start(t0: number): void {
    this.worker.postMessage({ type: 'start', t0 } satisfies PublisherThreadStart);
  }

  stop(): void {
    Atomics.store(this.counters, COUNTER_STOP, 1);
  }

  /** The whole schedule's result (after it ran or was stopped). */
  async result(): Promise<EncodedPublisherResult> {
    try {
      return await this.done;
    } finally {
      await this.worker.terminate();
    }
  }

  async dispose(): Promise<void> {
    this.stop();
    await this.worker.terminate();
  }
}
