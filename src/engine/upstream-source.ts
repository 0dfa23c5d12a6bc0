/**
 * Where a transport's messages come from, as the transport run sees it: wsbench's publisher thread
 * PUBLISHing into Redis (publisher-handle.ts), or the clients themselves (`publish.via: websocket`):
 * the senders in the workers (upstream-sender.ts), seen here through the worker group. Both give
 * the run the same progress and the same result, so phases, the drain, the ledgers and the report
 * need not know which one ran.
 *
 * With client senders the coordinator's publisher thread is not started at all: every message of
 * the schedule is a client's, so the round trip measured is the chat's alone (a share published
 * by wsbench would mix two paths into one latency figure).
 */
import { encodeHistogram, mergeEncoded } from '../metrics/histogram.js';
import { PublishOutcomes, decodeIndexSet, encodeIndexSet } from '../metrics/publish-outcomes.js';
import { RangeSet } from '../metrics/range-set.js';
import type { PublisherProgress } from './publisher.js';
import type { EncodedPublisherResult } from './publisher-thread.js';
import type { SenderMap } from './sender-map.js';
import type { WorkerGroup } from './worker-group.js';
import type { WorkerSends } from './worker-messages.js';
import { ownsClient } from './upstream-sender.js';
import { OpenLoopSchedule } from './pacer.js';
import { monotonicMs } from '../metrics/clock.js';
import type { CurveSegment } from '../config/load-shape.js';

/** What the clients' sending adds to a publisher result. */
export interface UpstreamResult {
  senders: number;
  /** Sends that went out. */
  sent: number;
  /** Messages that were due and did not go out: the sender's connection was not open, or the run stopped first. */
  sendFailures: number;
  /** Messages that were due while the scenario had their sender between connections (churn, storm, restart): not sent, no error. */
  unsent: number;
  /** Encoded histogram of the senders' bufferedAmount right after each send (bytes). */
  bufferedAmount: string;
  /** Why sends failed (up to five). */
  failureSamples: string[];
}

/** A transport's publish result, with what the senders did when clients sent. */
export type SourceResult = EncodedPublisherResult & { upstream?: UpstreamResult };

/** What the transport run needs of whoever sends the schedule's messages. */
export interface PublishSource {
  /** Resolves when it can start (the publisher thread's Redis connection is up). */
  readonly connected: Promise<void>;
  /** Sent, acknowledged, failed so far, and the latest lag. */
  progress(): PublisherProgress;
  /** Message 0 is due at monotonic `t0`. */
  start(t0: number): void;
  /** Stop early. */
  stop(): void;
  /** The whole schedule's result (after it ran or was stopped). */
  result(): Promise<SourceResult>;
  dispose(): Promise<void>;
}

/** The clients in the workers send (publish.via websocket). */
export class UpstreamSource implements PublishSource {
  readonly connected = Promise.resolve();
  private sends: Promise<WorkerSends[]> | null = null;
  private t0 = Number.NaN;
  /** Messages due when the run stopped sending early (null: the whole schedule was). */
  private dueAtStop: number | null = null;

  constructor(
    private readonly workers: WorkerGroup,
    /** Progress summed over the workers' latest snapshots. */
    private readonly progressNow: () => PublisherProgress,
    /** `due`: messages of the schedule due by the end of sending, on this clock (for workers that could not say: lost agents). */
    private readonly merge: (sends: readonly WorkerSends[], due: number) => SourceResult,
    /** The schedule (as in every worker): the publisher's rate curve and its messages. */
    private readonly plan: { rate: readonly CurveSegment[]; total: number },
  ) {}

  progress(): PublisherProgress {
    return this.progressNow();
  }

  /** Listens for the workers' answers; the workers start sending when told that publishing starts (message 0 due at `t0`). */
  start(t0: number): void {
    if (this.sends) return;
    this.t0 = t0;
    this.sends = this.workers.sent();
    this.sends.catch(() => {});
  }

  stop(): void {
    if (!this.sends) return;
    this.dueAtStop ??= new OpenLoopSchedule(this.t0, this.plan.rate, this.plan.total).dueCount(monotonicMs());
    this.workers.stopSending();
  }

  async result(): Promise<SourceResult> {
    if (!this.sends) throw new Error('the senders never started');
    return this.merge(await this.sends, this.dueAtStop ?? this.plan.total);
  }

  async dispose(): Promise<void> {}
}

/** The clients' worker ranges, by worker id. */
export interface ClientRange {
  workerId: number;
  firstClient: number;
  clientCount: number;
  clientStride: number;
}

/**
 * Every worker's sends as one publisher result. The schedule's messages [0, sent) are those up to
 * the last any sender attempted (or, when a worker's agent was lost, the `due` messages of the
 * schedule if more: its senders cannot say how far they got); each failed send is a failed publish, and so is a message below
 * that whose sender had not got to it when the run stopped (workers stop a moment apart): due,
 * never sent, owed to nobody. Of the messages not sent, those due while the scenario had their
 * sender between connections are `unsent`, the others `sendFailures` (the two never overlap: a
 * worker reports each message once). Lag and bufferedAmount histograms are added exactly.
 */
export function mergeSends(
  sends: readonly WorkerSends[],
  map: SenderMap,
  ranges: readonly ClientRange[],
  warmupCount: number,
  due = 0,
): SourceResult {
  const rangeOf = (s: WorkerSends) => ranges.find((r) => r.workerId === s.workerId);
  const known = sends.map((s) => (s.lostAgent ? knownOfLost(s, map, rangeOf(s)) : s));
  // A lost agent's senders cannot say how far they got: the schedule's due messages stand for them.
  const sent = Math.max(0, ...known.map((s) => s.attemptedUpTo), known.some((s) => s.lostAgent) ? due : 0);
  const failed = new RangeSet();
  const samples: string[] = [];
  let reported = 0;
  let unsent = 0;
  for (const s of known) {
    // Due from this worker's senders after the last it attempted: workers stop a moment apart, and
    // a lost agent's senders cannot say how far they got (those are reported here, by name).
    const range = rangeOf(s);
    let after = 0;
    if (range)
      for (let i = s.attemptedUpTo; i < sent; i++)
        if (ownsClient(range, map.senderOf(i))) {
          failed.add(i);
          after++;
        }
    if (s.lostAgent) {
      reported += after;
      if (after > 0 && samples.length < 5)
        samples.push(
          `agent "${s.lostAgent.name}" ${s.lostAgent.why ?? 'was lost'}: ${after} message(s) due from its senders (worker ${s.workerId}) after its last report ` +
            'are not known to have been sent: counted as not sent (unpublished: owed to nobody, delivered where they arrived)',
        );
    }
    const own = decodeIndexSet(s.failed);
    const away = s.unsent ? decodeIndexSet(s.unsent).size : 0;
    unsent += away;
    reported += own.size - away;
    own.forEach((from, to) => failed.addRange(from, to));
    for (const sample of s.failureSamples) if (samples.length < 5) samples.push(sample);
  }
  const notSent = failed.countIn(0, sent);
  if (notSent > reported + unsent && samples.length < 5)
    samples.push('the run stopped before some senders sent messages already due: those count as not sent (owed to nobody)');
  const outcomes = new PublishOutcomes(sent, failed, map.channelCount);
  const lag = mergeEncoded(known.map((s) => s.lag));
  const measured = known.filter((s) => s.measuredSent > 0);
  return {
    sent,
    acked: sent - notSent,
    errors: notSent,
    lagMs: 0,
    ackedPerChannel: Array.from({ length: map.channelCount }, (_, c) => outcomes.publishedOn(c)),
    noSubscriber: 0,
    lag: encodeHistogram(lag),
    errorSamples: samples,
    measuredFirstSentAt: measured.length ? Math.min(...measured.map((s) => s.measuredFirstSentAt)) : Number.NaN,
    measuredLastSentAt: measured.length ? Math.max(...measured.map((s) => s.measuredLastSentAt)) : Number.NaN,
    // Measured messages of [0, sent): the publisher's count, whether or not each went out.
    measuredSent: Math.max(0, sent - warmupCount),
    injectorIssues: {},
    failed: encodeIndexSet(failed, sent),
    upstream: {
      senders: map.senders,
      sent: known.reduce((a, s) => a + s.sent, 0),
      sendFailures: notSent - unsent,
      unsent,
      bufferedAmount: encodeHistogram(mergeEncoded(known.map((s) => s.bufferedAmount))),
      failureSamples: samples,
    },
  };
}

/**
 * What is known of the sends of a worker whose agent was lost (`lostAgent`: its last snapshot's
 * counts): its senders attempt their own messages in schedule order, so `attempted` of them means
 * its first `attempted` own messages; with no failure among them, those all went out. Anything
 * after is unknown — the agent may have died, or gone on sending while cut off from the control
 * Redis — so mergeSends counts it not sent: unpublished, owed to nobody (a copy that arrived
 * anyway is delivered), never lost. With failures among them (which ones is not known) nothing of
 * the worker is taken as sent.
 */
function knownOfLost(s: WorkerSends, map: SenderMap, range: ClientRange | undefined): WorkerSends {
  const lost = s.lostAgent!;
  let upTo = 0;
  // A worker holding a sender owns a message of every round of its channel's senders: the walk ends.
  const holdsSender =
    range !== undefined &&
    Array.from({ length: range.clientCount }, (_, j) => range.firstClient + j * range.clientStride).some((k) => map.slotOf(k) >= 0);
  if (holdsSender && lost.failed === 0 && lost.attempted > 0)
    for (let i = 0, own = 0; ; i++) {
      if (!ownsClient(range!, map.senderOf(i))) continue;
      if (++own === lost.attempted) {
        upTo = i + 1;
        break;
      }
    }
  const sentKnown = upTo > 0 ? lost.attempted : 0;
  return { ...s, attemptedUpTo: upTo, sent: sentKnown, measuredSent: 0, measuredFirstSentAt: Number.NaN, measuredLastSentAt: Number.NaN };
}
