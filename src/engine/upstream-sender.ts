/**
 * A worker's senders (`publish.via: websocket`): the messages of the open-loop schedule that this
 * worker's sending clients own (sender-map.ts), each sent through its sender's WebSocket at its
 * intended time and stamped with that time, exactly as the publisher stamps (metrics/stamp.ts), so
 * every recipient's latency is the chat round trip: sender → app → Redis → every server process →
 * every member.
 *
 * Open loop per sender: a sender that fell behind (a busy event loop) sends what is due at once and
 * never skips; how late each send went out is recorded (the publisher's lag). A send whose sender
 * is not open at that moment cannot go out: it is counted (`publish.send-failed`) and its message is
 * owed to nobody (unpublished, metrics/publish-outcomes.ts). A sender the scenario took away for a
 * while (churn, a storm, a server restart) cannot send either: what falls due meanwhile is
 * `unsent` (no error: the scenario's doing), also unpublished. Either way the message is not kept
 * for later: once connected again the sender goes on with what is due from then on, no catch-up
 * burst — a message stamped with an intended time long past would put the outage into the round
 * trip of the others, and the open-loop rate would spike right when the server is busiest
 * (reconnects). After each send the sender's queued bytes are recorded, as a browser app would
 * read `WebSocket.bufferedAmount`.
 *
 * The wait between sends is a timer, about a millisecond late at best (the publisher's thread
 * waits more precisely, but the senders share the event loop with the receiving clients, which
 * must not be blocked); the lateness is in the lag and, since stamps carry the intended time, in
 * the latency: what the tool adds is shown, never hidden.
 */
import { FLAG_WARMUP, StampWriter, type StampEncoding } from '../metrics/stamp.js';
import { createHistogram, encodeHistogram, recordCount, recordMs } from '../metrics/histogram.js';
import { monotonicMs } from '../metrics/clock.js';
import { RangeSet } from '../metrics/range-set.js';
import { encodeIndexSet } from '../metrics/publish-outcomes.js';
import { fillTemplate } from '../targets/template.js';
import type { OpenLoopSchedule } from './pacer.js';
import type { SenderMap } from './sender-map.js';
import type { UpstreamPlan, WorkerSends } from './worker-messages.js';

/**
 * Why a sender's message did not go out: its connection was not open (it never opened, or dropped
 * without the scenario doing it: `publish.send-failed`), or the scenario had it between
 * connections (churn, a storm, a server restart: `upstream.unsent`, no error).
 */
export type NotSent = 'not-open' | 'in-transition';

/** A send's outcome: the sender's bufferedAmount right after it went out, or why it did not. */
export type SendOutcome = number | NotSent;

/** What the senders need of the pool that holds their clients. */
export interface SenderPort {
  /** Sends `frame` through client `clientIndex` when its connection is open and owed messages. */
  sendThrough(clientIndex: number, frame: Buffer, binary: boolean): SendOutcome;
  /** A send could not go out (counted and timed by the pool). */
  sendFailed(message: string): void;
  /** What became of the message intended at `intendedMs`: for the timeline. */
  sendOutcome(intendedMs: number, outcome: SendOutcome): void;
  channelName(channelIndex: number): string;
}

export interface UpstreamSetup {
  workerId: number;
  runId: string;
  encoding: StampEncoding;
  upstream: UpstreamPlan;
  warmupPublishes: number;
  /** This worker's clients: firstClient, firstClient + clientStride, … (clientCount of them). */
  firstClient: number;
  clientCount: number;
  clientStride: number;
}

const PAYLOAD = '{payload}';

/** A sender's message around the payload: the template's text before and after `{payload}`. */
export function splitTemplate(template: string, channel: string, client: number): { before: Buffer; after: Buffer } {
  const at = template.indexOf(PAYLOAD);
  // Adapters always put the payload in; a template without it is a bug.
  if (at < 0) throw new Error(`upstream template without ${PAYLOAD}: ${template}`);
  return {
    before: Buffer.from(fillTemplate(template.slice(0, at), channel, client)),
    after: Buffer.from(fillTemplate(template.slice(at + PAYLOAD.length), channel, client)),
  };
}

/** Whether global client `k` is one of a worker's clients (first, first + stride, …: count of them). */
export function ownsClient(range: { firstClient: number; clientCount: number; clientStride: number }, k: number): boolean {
  const j = (k - range.firstClient) / range.clientStride;
  return Number.isInteger(j) && j >= 0 && j < range.clientCount;
}

export class UpstreamSender {
  private readonly writer: StampWriter;
  private readonly binary: boolean;
  /** Per own sender (by client index − firstClient): its message's text around the payload; null for non-senders. */
  private readonly frames: ({ before: Buffer; after: Buffer } | null)[] = [];
  private readonly verbatim: boolean;
  private readonly stampShiftMs: number;
  private schedule: OpenLoopSchedule | null = null;
  private next = 0;
  private attemptedUpTo = 0;
  private attempted = 0;
  private sent = 0;
  private lastLagMs = 0;
  private measuredSent = 0;
  private measuredFirstSentAt = Number.NaN;
  private measuredLastSentAt = Number.NaN;
  private readonly failed = new RangeSet();
  /** Of `failed`, those due while the sender was between connections the scenario made. */
  private readonly unsent = new RangeSet();
  private readonly failureSamples: string[] = [];
  private readonly lag = createHistogram();
  private readonly buffered = createHistogram();
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private resolveDone: (sends: WorkerSends) => void = () => {};
  /** Resolves once every own message was attempted, or `stop()` was called. */
  readonly done: Promise<WorkerSends>;

  constructor(
    private readonly setup: UpstreamSetup,
    private readonly map: SenderMap,
    private readonly port: SenderPort,
  ) {
    this.writer = new StampWriter(setup.runId, setup.encoding, setup.upstream.payloadSize, setup.upstream.padding);
    this.binary = setup.encoding === 'binary';
    this.verbatim = setup.upstream.template === PAYLOAD;
    this.stampShiftMs = setup.upstream.stampShiftMs ?? 0;
    for (let j = 0; j < setup.clientCount; j++) {
      const k = setup.firstClient + j * setup.clientStride;
      const own = map.slotOf(k) >= 0;
      this.frames.push(own && !this.verbatim ? splitTemplate(setup.upstream.template, port.channelName(k % map.channelCount), k) : null);
    }
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Sending starts: message i is due at schedule.dueAt(i). */
  start(schedule: OpenLoopSchedule): void {
    if (this.schedule || this.finished) return;
    this.schedule = schedule;
    this.next = this.nextOwn(0);
    this.tick();
  }

  /** Stops sending (the run stops early); `done` resolves with what was sent. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.finish();
  }

  progress(): { attempted: number; failed: number; lagMs: number } {
    return { attempted: this.attempted, failed: this.attempted - this.sent, lagMs: this.lastLagMs };
  }

  private readonly tick = (): void => {
    this.timer = null;
    const schedule = this.schedule!;
    if (this.finished) return;
    const now = monotonicMs();
    const due = schedule.dueCount(now);
    // Everything due by now goes at once, in order: a late sender catches up, never skips.
    while (this.next < due) {
      this.sendOne(this.next, now);
      this.next = this.nextOwn(this.next + 1);
    }
    if (this.next >= schedule.total) return this.finish();
    this.timer = setTimeout(this.tick, Math.max(0, schedule.dueAt(this.next) - monotonicMs()));
  };

  /** The first message at or after `i` whose sender is one of this worker's clients (the schedule's total if none). */
  private nextOwn(i: number): number {
    const total = this.schedule!.total;
    for (; i < total; i++) if (ownsClient(this.setup, this.map.senderOf(i))) return i;
    return total;
  }

  private sendOne(i: number, now: number): void {
    const intended = this.schedule!.dueAt(i);
    const warmup = i < this.setup.warmupPublishes;
    this.lastLagMs = now - intended;
    recordMs(this.lag, this.lastLagMs);
    this.attempted++;
    this.attemptedUpTo = i + 1;
    if (!warmup) {
      if (this.measuredSent === 0) this.measuredFirstSentAt = now;
      this.measuredLastSentAt = now;
      this.measuredSent++;
    }
    const client = this.map.senderOf(i);
    // Stamped on the coordinator's clock (stampShiftMs: 0 on one host), sent on this one's.
    const payload = this.writer.write(i, intended + this.stampShiftMs, warmup ? FLAG_WARMUP : 0);
    const around = this.frames[(client - this.setup.firstClient) / this.setup.clientStride];
    const frame = around ? Buffer.concat([around.before, payload, around.after]) : payload;
    const outcome = this.port.sendThrough(client, frame, this.binary);
    this.port.sendOutcome(intended, outcome);
    if (outcome === 'in-transition') {
      this.failed.add(i);
      this.unsent.add(i);
      return;
    }
    if (outcome === 'not-open') {
      this.failed.add(i);
      const why = `message #${i} was due from sender client ${client}, whose connection was not open: not sent (owed to nobody)`;
      if (this.failureSamples.length < 5) this.failureSamples.push(why);
      this.port.sendFailed(why);
      return;
    }
    this.sent++;
    recordCount(this.buffered, outcome);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone({
      workerId: this.setup.workerId,
      attemptedUpTo: this.attemptedUpTo,
      sent: this.sent,
      failed: encodeIndexSet(this.failed, this.attemptedUpTo),
      unsent: encodeIndexSet(this.unsent, this.attemptedUpTo),
      failureSamples: this.failureSamples,
      measuredSent: this.measuredSent,
      measuredFirstSentAt: this.measuredFirstSentAt,
      measuredLastSentAt: this.measuredLastSentAt,
      lag: encodeHistogram(this.lag),
      bufferedAmount: encodeHistogram(this.buffered),
    });
  }
}
