/**
 * The open-loop publisher: PUBLISHes message i at t0 + i / rate into Redis, stamped with that
 * intended time. When it falls behind it catches up in a burst (never skips), and how far behind
 * it was is recorded, because that delay becomes latency the target did not cause.
 *
 * A publish that fails (refused, Redis connection down, no reply) is not retried — a retried
 * publish would be a different message at a different time — but remembered by index: its
 * recipients are `unpublished`, not lost (metrics/publish-outcomes.ts). A streak of failures is
 * said as incidents when it starts and when a publish succeeds again.
 */
import type { Injector, InjectorIssues } from '../targets/injector.js';
import { FLAG_WARMUP, type StampWriter } from '../metrics/stamp.js';
import { createHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { monotonicMs } from '../metrics/clock.js';
import { RangeSet } from '../metrics/range-set.js';
import type { RecordedIncidentKind } from '../results/incidents.js';
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
  /** Indices of the publishes that never reached Redis (`errors` of them). */
  failed: RangeSet;
}

/** An incident the publisher noticed, at monotonic time `at`. */
export type PublisherIncident = (kind: RecordedIncidentKind, detail: string, at: number) => void;

/** Said as the sample of publishes still unanswered when the publisher stops waiting. */
const NO_REPLY = 'no reply from Redis';

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
  /** Indices of the publishes Redis acknowledged. */
  private readonly reachedRedis = new RangeSet();
  private readonly failed = new RangeSet();
  /** The failure streak going on: its first index, when it started, how many failed. */
  private streak: { first: number; at: number; count: number } | null = null;
  /** Set once the result is taken: late replies change nothing. */
  private settled = false;

  constructor(
    private readonly writer: StampWriter,
    private readonly injector: Injector,
    private readonly channelCount: number,
    private readonly schedule: OpenLoopSchedule,
    private readonly warmupCount: number,
    /** Called after each burst (the thread mirrors progress into shared memory). */
    private readonly onProgress: (p: PublisherProgress) => void = () => {},
    private readonly onIncident: PublisherIncident = () => {},
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
    this.settled = true;
    this.giveUpOnUnanswered(replyTimeoutMs);
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
      failed: this.failed,
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
        if (this.settled) return;
        this.acked++;
        this.reachedRedis.add(i);
        this.onProgress(this.progress());
        this.ackedPerChannel[channel]!++;
        if (receivers === 0) this.noSubscriber++;
        if (this.streak) this.streakEnded(i);
        this.settle();
      },
      (e: Error) => {
        if (this.settled) return;
        this.fail(i, e.message);
        this.settle();
      },
    );
  }

  private fail(i: number, message: string): void {
    this.errors++;
    this.failed.add(i);
    if (this.errorSamples.length < 5) this.errorSamples.push(message);
    if (this.streak) {
      this.streak.count++;
      return;
    }
    const at = monotonicMs();
    this.streak = { first: i, at, count: 1 };
    this.onIncident('publish-failed', `publish #${i} failed: ${message} (failures are counted, not retried)`, at);
  }

  private streakEnded(resumedAt: number): void {
    const { first, at, count } = this.streak!;
    this.streak = null;
    const now = monotonicMs();
    this.onIncident(
      'publish-resumed',
      `publish #${resumedAt} reached Redis again: ${count} publish(es) failed from #${first} over ${((now - at) / 1000).toFixed(1)} s`,
      now,
    );
  }

  /** Publishes still unanswered when the publisher stops waiting never reached Redis as far as it knows: failed. */
  private giveUpOnUnanswered(waitedMs: number): void {
    if (this.outstanding === 0) return;
    const answered = new RangeSet();
    this.reachedRedis.forEach((from, to) => answered.addRange(from, to));
    this.failed.forEach((from, to) => answered.addRange(from, to));
    const unanswered: [number, number][] = [];
    let at = 0;
    answered.forEachIn(0, this.sent, (from, to) => {
      if (from > at) unanswered.push([at, from]);
      at = to;
    });
    if (this.sent > at) unanswered.push([at, this.sent]);
    const message = `${NO_REPLY} within ${waitedMs} ms`;
    for (const [from, to] of unanswered) for (let i = from; i < to; i++) this.fail(i, message);
    this.outstanding = 0;
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
