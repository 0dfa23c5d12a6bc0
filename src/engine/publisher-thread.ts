/**
 * The publisher runs on its own thread so nothing on the coordinator's event loop (merging
 * snapshots, drawing the dashboard, IPC) can delay a publish: a late publish is latency the target
 * did not cause. Progress is shared through an Int32Array/Float64Array the main thread reads
 * without messages; the final result comes back as one message, incidents (its Redis connection
 * lost and back, failure streaks) as they happen.
 *
 * Its Redis connection reconnects with backoff; while it is down, publishes fail at once (they
 * are counted and their recipients are unpublished) and publishing goes on at the schedule.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openRedis } from '../redis/client.js';
import { monotonicMs } from '../metrics/clock.js';
import { encodeIndexSet, type EncodedIndexSet } from '../metrics/publish-outcomes.js';
import type { RecordedIncidentKind } from '../results/incidents.js';
import { StampWriter, type PayloadPadding, type StampEncoding } from '../metrics/stamp.js';
import { encodeHistogram } from '../metrics/histogram.js';
import { asWsbenchError } from '../errors.js';
import { OpenLoopSchedule } from './pacer.js';
import type { CurveSegment } from '../config/load-shape.js';
import type { Injector, InjectorIssues, InjectorSpec } from '../targets/injector.js';
import { createInjector } from '../targets/registry.js';
import { Publisher, type PublisherProgress } from './publisher.js';

export interface PublisherThreadInput {
  redisUrl: string;
  runId: string;
  encoding: StampEncoding;
  payloadSize: number;
  /** What fills the payload behind the stamp (default plain). */
  padding?: PayloadPadding;
  injector: InjectorSpec;
  /** Scenario channels: message i goes to channel i mod channelCount. */
  channelCount: number;
  /** The rate curve: message i is due when its integral from t0 reaches i. */
  rate: CurveSegment[];
  total: number;
  warmupCount: number;
  /** [sent, acked, errors, stop flag] */
  counters: SharedArrayBuffer;
  /** [latest lag ms] */
  lag: SharedArrayBuffer;
}

export interface PublisherThreadStart {
  type: 'start';
  /** monotonicMs() of message 0. */
  t0: number;
}

export type PublisherThreadReply =
  | { type: 'connected' }
  | { type: 'result'; result: EncodedPublisherResult }
  | { type: 'error'; message: string; code: string }
  /** Its Redis connection was lost (up: false) or is back, at monotonic time `at`. */
  | { type: 'redis'; up: boolean; reason: string; at: number }
  /** A failure streak started or ended, at monotonic time `at`. */
  | { type: 'incident'; kind: RecordedIncidentKind; detail: string; at: number };

export interface EncodedPublisherResult extends PublisherProgress {
  ackedPerChannel: number[];
  noSubscriber: number;
  lag: string;
  errorSamples: string[];
  measuredFirstSentAt: number;
  measuredLastSentAt: number;
  measuredSent: number;
  injectorIssues: InjectorIssues;
  /** Indices of the publishes that never reached Redis. */
  failed: EncodedIndexSet;
}

export const COUNTER_SENT = 0;
export const COUNTER_ACKED = 1;
export const COUNTER_ERRORS = 2;
export const COUNTER_STOP = 3;

async function main(input: PublisherThreadInput, port: NonNullable<typeof parentPort>): Promise<void> {
  const counters = new Int32Array(input.counters);
  const lag = new Float64Array(input.lag);
  let down: string | null = null;
  const redis = await openRedis(input.redisUrl, {
    name: 'wsbench-publisher',
    autoPipelining: true,
    reconnect: {
      onDown(reason) {
        down = reason;
        port.postMessage({ type: 'redis', up: false, reason, at: monotonicMs() } satisfies PublisherThreadReply);
      },
      onUp() {
        down = null;
        port.postMessage({ type: 'redis', up: true, reason: '', at: monotonicMs() } satisfies PublisherThreadReply);
      },
    },
  });
  const injector = createInjector(input.injector, redis);
  // While the connection is down a publish fails at once, in words a person understands.
  const guarded: Injector = {
    ...(injector.issues ? { issues: injector.issues } : {}),
    inject(channel, payload) {
      if (down !== null) return Promise.reject(new Error(`not connected to Redis (${down}); reconnecting`));
      return injector.inject(channel, payload).catch((e: unknown) => {
        // ioredis's own words here are about its retry option: say what happened instead.
        throw redis.status === 'ready' ? e : new Error('the Redis connection was lost before Redis replied');
      });
    },
  };
  // t0 comes once the clients are ready; the thread is started earlier to be warm by then.
  const started = new Promise<number>((resolve) => port.once('message', (msg: PublisherThreadStart) => resolve(msg.t0)));
  port.postMessage({ type: 'connected' } satisfies PublisherThreadReply);
  const t0 = await started;
  const controller = new AbortController();
  // The main thread raises the stop flag; look at it between bursts.
  const watch = setInterval(() => {
    if (Atomics.load(counters, COUNTER_STOP) !== 0) controller.abort();
  }, 20);
  const publisher = new Publisher(
    new StampWriter(input.runId, input.encoding, input.payloadSize, input.padding),
    guarded,
    input.channelCount,
    new OpenLoopSchedule(t0, input.rate, input.total),
    input.warmupCount,
    (p) => {
      Atomics.store(counters, COUNTER_SENT, p.sent);
      Atomics.store(counters, COUNTER_ACKED, p.acked);
      Atomics.store(counters, COUNTER_ERRORS, p.errors);
      lag[0] = p.lagMs;
    },
    (kind, detail, at) => port.postMessage({ type: 'incident', kind, detail, at } satisfies PublisherThreadReply),
  );
  try {
    const result = await publisher.run(controller.signal);
    const { lag: histogram, failed, ...rest } = result;
    port.postMessage({
      type: 'result',
      result: { ...rest, lag: encodeHistogram(histogram), failed: encodeIndexSet(failed, result.sent) },
    } satisfies PublisherThreadReply);
  } finally {
    clearInterval(watch);
    redis.disconnect();
  }
}

if (parentPort) {
  const port = parentPort;
  main(workerData as PublisherThreadInput, port).catch((e) => {
    const error = asWsbenchError(e);
    port.postMessage({ type: 'error', message: error.message, code: error.code } satisfies PublisherThreadReply);
  });
}
