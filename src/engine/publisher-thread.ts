/**
 * The publisher runs on its own thread so nothing on the coordinator's event loop (merging
 * snapshots, drawing the dashboard, IPC) can delay a publish: a late publish is latency the target
 * did not cause. Progress is shared through an Int32Array/Float64Array the main thread reads
 * without messages; the final result comes back as one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openRedis } from '../redis/client.js';
import { StampWriter, type StampEncoding } from '../metrics/stamp.js';
import { encodeHistogram } from '../metrics/histogram.js';
import { asWsbenchError } from '../errors.js';
import { OpenLoopSchedule } from './pacer.js';
import type { InjectorIssues, InjectorSpec } from '../targets/injector.js';
import { createInjector } from '../targets/registry.js';
import { Publisher, type PublisherProgress } from './publisher.js';

export interface PublisherThreadInput {
  redisUrl: string;
  runId: string;
  encoding: StampEncoding;
  payloadSize: number;
  injector: InjectorSpec;
  /** Scenario channels: message i goes to channel i mod channelCount. */
  channelCount: number;
  ratePerSec: number;
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
  { type: 'connected' } | { type: 'result'; result: EncodedPublisherResult } | { type: 'error'; message: string; code: string };

export interface EncodedPublisherResult extends PublisherProgress {
  ackedPerChannel: number[];
  noSubscriber: number;
  lag: string;
  errorSamples: string[];
  measuredFirstSentAt: number;
  measuredLastSentAt: number;
  measuredSent: number;
  injectorIssues: InjectorIssues;
}

export const COUNTER_SENT = 0;
export const COUNTER_ACKED = 1;
export const COUNTER_ERRORS = 2;
export const COUNTER_STOP = 3;

async function main(input: PublisherThreadInput, port: NonNullable<typeof parentPort>): Promise<void> {
  const counters = new Int32Array(input.counters);
  const lag = new Float64Array(input.lag);
  const redis = await openRedis(input.redisUrl, { name: 'wsbench-publisher', autoPipelining: true });
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
    new StampWriter(input.runId, input.encoding, input.payloadSize),
    createInjector(input.injector, redis),
    input.channelCount,
    new OpenLoopSchedule(t0, input.ratePerSec, input.total),
    input.warmupCount,
    (p) => {
      Atomics.store(counters, COUNTER_SENT, p.sent);
      Atomics.store(counters, COUNTER_ACKED, p.acked);
      Atomics.store(counters, COUNTER_ERRORS, p.errors);
      lag[0] = p.lagMs;
    },
  );
  try {
    const result = await publisher.run(controller.signal);
    const { lag: histogram, ...rest } = result;
    port.postMessage({ type: 'result', result: { ...rest, lag: encodeHistogram(histogram) } } satisfies PublisherThreadReply);
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
