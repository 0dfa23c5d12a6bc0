/**
 * The open-loop publisher: PUBLISHes message i at t0 + i / rate into Redis, stamped with that
 * intended time. When it falls behind it catches up in a burst (never skips), and how far behind
 * it was is recorded, because that delay becomes latency the target did not cause.
 */
import type { Injector, InjectorIssues } from '../targets/injector.js';
import { FLAG_WARMUP, type StampWriter } from '../metrics/stamp.js';
import { createHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { monotonicMs } from '../metrics/clock.js';
import { sleepUntil, type OpenLoopSchedule } from './pacer.js';

export interface PublisherProgress {
  sent: number;
  acked: number;
  errors: number;
  /** Lag of the latest publish, ms. */
  lagMs: number;
}

export interface PublisherResult extends PublisherProgress {
  ackedPerChannel: number[];
  /** Publishes Redis delivered to no subscriber at all (the target lost its subscription). */
  noSubscriber: number;
  lag: Histogram;
  errorSamples: string[];
  /** monotonicMs() of the first and last measured publish actually sent (NaN when none). */
  measuredFirstSentAt: number;
  measuredLastSentAt: number;
  measuredSent: number;
  /** What the stack dropped or refused while accepting publishes (by error kind). */
  injectorIssues: InjectorIssues;
}

export class Publisher {
  private sent = 0;
  private acked = 0;
  private errors = 0;
  private noSubscriber = 0;
  private lastLag = 0;
  private readonly ackedPerChannel: number[];
  private readonly lag = createHistogram();
  private readonly errorSamples: string[] = [];
  private measuredFirstSentAt = Number.NaN;
  private measuredLastSentAt = Number.NaN;
  private measuredSent = 0;
  private outstanding = 0;
  private drained: (() => void) | null = null;

  constructor(
    private readonly writer: StampWriter,
    private readonly injector: Injector,
    private readonly channelCount: number,
    private readonly schedule: OpenLoopSchedule,
    private readonly warmupCount: number,
    /** Called after each burst (the thread mirrors progress into shared memory). */
    private readonly onProgress: (p: PublisherProgress) => void = () => {},
  ) {
    this.ackedPerChannel = new Array<number>(channelCount).fill(0);
  }

  progress(): PublisherProgress {
    return { sent: this.sent, acked: this.acked, errors: this.errors, lagMs: this.lastLag };
  }

  /** Publishes the whole schedule (or until aborted), then waits for outstanding replies. */
  async run(signal: AbortSignal, replyTimeoutMs = 5000): Promise<PublisherResult> {
    const { schedule } = this;
    let i = 0;
    while (i < schedule.total && !signal.aborted) {
      await sleepUntil(schedule.dueAt(i), signal);
      if (signal.aborted) break;
      const now = monotonicMs();
      const end = schedule.dueCount(now);
      for (; i < end; i++) this.publish(i, now);
      this.onProgress(this.progress());
      // Let replies and other I/O in between bursts (a late publisher would otherwise starve it).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.waitForReplies(replyTimeoutMs);
    this.onProgress(this.progress());
    return {
      ...this.progress(),
      ackedPerChannel: [...this.ackedPerChannel],
      noSubscriber: this.noSubscriber,
      lag: this.lag,
      errorSamples: this.errorSamples,
      measuredFirstSentAt: this.measuredFirstSentAt,
      measuredLastSentAt: this.measuredLastSentAt,
      measuredSent: this.measuredSent,
      injectorIssues: { ...this.injector.issues },
    };
  }

  private publish(i: number, now: number): void {
    const channel = i % this.channelCount;
    const intended = this.schedule.dueAt(i);
    const warmup = i < this.warmupCount;
    const payload = this.writer.write(i, intended, warmup ? FLAG_WARMUP : 0);
    this.lastLag = now - intended;
    recordMs(this.lag, this.lastLag);
    if (!warmup) {
      if (this.measuredSent === 0) this.measuredFirstSentAt = now;
      this.measuredLastSentAt = now;
      this.measuredSent++;
    }
    this.sent++;
    this.outstanding++;
    this.injector.inject(channel, payload).then(
      (receivers) => {
        this.acked++;
        this.onProgress(this.progress());
        this.ackedPerChannel[channel]!++;
        if (receivers === 0) this.noSubscriber++;
        this.settle();
      },
      (e: Error) => {
        this.errors++;
        if (this.errorSamples.length < 5) this.errorSamples.push(e.message);
        this.settle();
      },
    );
  }

  private settle(): void {
    this.outstanding--;
    if (this.outstanding === 0) this.drained?.();
  }

  private waitForReplies(timeoutMs: number): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
