/**
 * One worker's timeline: what its clients measured, interval by interval on the run's grid
 * (interval-grid.ts). A delivery is counted in the interval of its message's *intended* publish
 * time (the stamp's), so every measured delivery lands in exactly one interval and a stall shows
 * where the delayed messages were due; errors, handshakes and connections by wall time.
 *
 * The receive path costs an index computation and an array slot per delivery: the interval's
 * counters live in a Slot, its fan-out histogram is created when its first measured delivery
 * arrives. Histograms are ~94 KB each, so they are not kept for the whole run: once an interval is
 * closed (ClosingRule) its histogram is encoded, added to the worker's total and reused; a late
 * delivery for a closed interval gets a fresh one, folded into the encoding at the next close.
 * Memory is then a small Slot per interval (the interval length rule keeps a planned run at ≤ 1000
 * of them) plus the encodings.
 *
 * ClosingRule (live reporting): interval k is closed once it ended LIVE_GRACE_MS ago; each worker
 * sends a closed interval once, in its next snapshot. What arrives later still counts in the final
 * results (the report is authoritative).
 */
import { createHistogram, decodeHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import type { PerPublishPart } from '../metrics/fanout-spread.js';
import { monotonicMs } from '../metrics/clock.js';
import type { LoadSample } from '../process/monitor.js';
import { IntervalGrid, type IntervalGridSpec } from './interval-grid.js';
import { IntervalTicker } from './interval-ticker.js';
import { OpenLoopSchedule } from './pacer.js';
import type { CurveSegment } from '../config/load-shape.js';
import type { PublishSlice, WorkerInterval } from './worker-messages.js';

/** How long after its end an interval is reported live: deliveries due in it have had this long to arrive. */
export const LIVE_GRACE_MS = 1000;

/**
 * Slots a worker keeps at most (a guard against a corrupted stamp's intended time, never reached by
 * a run: the interval length is planned for ≤ 1000 intervals); later times land in the last one.
 */
const MAX_SLOTS = 100_000;

const NO_LOAD: LoadSample = { cpuPercent: 0, eventLoopDelayP99Ms: 0 };

/** One interval's counters. */
export class Slot {
  deliveries = 0;
  lost = 0;
  notOwed = 0;
  unpublished = 0;
  errors = 0;
  opened = 0;
  closed = 0;
  connects = 0;
  /** Measured fan-out latencies since the last close (null when none). */
  fanout: Histogram | null = null;
  fanoutEncoded: string | null = null;
  connect: Histogram | null = null;
  connectEncoded: string | null = null;
  /** Senders' own copies (echo latency) of messages intended in the interval. */
  echoes = 0;
  echo: Histogram | null = null;
  echoEncoded: string | null = null;
  /** Client senders: messages intended in the interval that went out or could not, and the most bytes a sender held after a send. */
  sent = 0;
  sendFailures = 0;
  /** Messages intended in the interval whose sender the scenario had between connections. */
  unsent = 0;
  bufferedMax = 0;
  tool: LoadSample = NO_LOAD;

  constructor(readonly index: number) {}
}

/** The ledger's terms a missing sequence is counted under per interval. */
export type MissedTerm = 'lost' | 'notOwed' | 'unpublished';

export interface CollectorSetup {
  timeline: IntervalGridSpec;
  /** The rate curve of the schedule (with t0 it gives every sequence's intended time). */
  publishRate: CurveSegment[];
  totalPublishes: number;
  channelCount: number;
}

/** What samples this process's load (process/monitor.ts LoadSampler). */
export interface LoadSource {
  sample(): LoadSample;
  stop(): void;
}

export class IntervalCollector {
  readonly grid: IntervalGrid;
  /** Index of slots[0]: the interval the collector started in. */
  private readonly base: number;
  private readonly slots: Slot[] = [];
  /** Slots holding live histograms (closed ones are retired at the next close). */
  private live: Slot[] = [];
  private readonly spare: Histogram[] = [];
  /** Sum of every retired interval histogram: the worker's totals. */
  readonly fanoutTotal = createHistogram();
  readonly connectTotal = createHistogram();
  readonly echoTotal = createHistogram();
  private schedule: OpenLoopSchedule | null = null;
  /** Intervals below this were sent live. */
  private sentBefore: number;
  /** Connections open at the end of interval sentBefore − 1. */
  private openAtSent = 0;
  private readonly ticker: IntervalTicker;
  private finished = false;

  constructor(
    private readonly setup: CollectorSetup,
    private readonly perPublish: PerPublishPart,
    private readonly load: LoadSource | null,
    now = monotonicMs(),
  ) {
    this.grid = new IntervalGrid(setup.timeline);
    this.base = this.grid.indexOf(now);
    this.sentBefore = this.base;
    this.ticker = new IntervalTicker(this.grid, (first, last) => this.sampleLoad(first, last));
    if (load) this.ticker.start(now);
  }

  /**
   * When the load changes (stages, churn, storms): deliveries owed of the publishes [from, to)
   * (global indices), from the clients' windows. Live intervals carry it for their `lost` so far.
   */
  owedIn: ((from: number, to: number) => number) | null = null;

  /** Publishing started: message 0 is due at `t0` (every sequence's intended time follows). */
  publishing(t0: number): OpenLoopSchedule {
    this.schedule = new OpenLoopSchedule(t0, this.setup.publishRate, this.setup.totalPublishes);
    return this.schedule;
  }

  /** The slot of the interval a monotonic time falls in. Hot path. */
  slotAt(ms: number): Slot {
    return this.slotOf(this.grid.indexOf(ms));
  }

  /** The slot of interval `index` (created, with any before it, when new). */
  slotOf(index: number): Slot {
    let k = index - this.base;
    // NaN, or before this collector started (not for this run's stamps): the first slot.
    if (!(k >= 0)) k = 0;
    else if (k >= MAX_SLOTS) k = MAX_SLOTS - 1;
    return this.slots[k] ?? this.grow(k);
  }

  /** A first receipt of the message intended at `intendedMs`: its interval's slot (deliveries counted). Hot path. */
  delivered(intendedMs: number): Slot {
    const slot = this.slotAt(intendedMs);
    slot.deliveries++;
    return slot;
  }

  /** A measured delivery's latency into its interval; true when it had to be clamped. Hot path. */
  recordLatency(slot: Slot, latencyMs: number): boolean {
    return recordMs(slot.fanout ?? this.liveHistogram(slot, 'fanout'), latencyMs);
  }

  /** A sender's own copy of its message (echo latency) into its interval; true when it had to be clamped. */
  recordEcho(slot: Slot, latencyMs: number): boolean {
    slot.echoes++;
    return recordMs(slot.echo ?? this.liveHistogram(slot, 'echo'), latencyMs);
  }

  /** A client sender's message intended at `intendedMs` went out (its bufferedAmount after the send), or could not, or its sender was between connections. */
  sentAt(intendedMs: number, outcome: number | 'not-open' | 'in-transition'): void {
    const slot = this.slotAt(intendedMs);
    if (outcome === 'not-open') slot.sendFailures++;
    else if (outcome === 'in-transition') slot.unsent++;
    else {
      slot.sent++;
      if (outcome > slot.bufferedMax) slot.bufferedMax = outcome;
    }
  }

  errorAt(now: number, count: number): void {
    this.slotAt(now).errors += count;
  }

  /** A handshake completed at `now` after `connectMs`; true when the latency had to be clamped. */
  openedAt(now: number, connectMs: number): boolean {
    const slot = this.slotAt(now);
    slot.opened++;
    slot.connects++;
    return recordMs(slot.connect ?? this.liveHistogram(slot, 'connect'), connectMs);
  }

  /** An open connection stopped being open at `now` (dropped, or closed at the end). */
  closedAt(now: number): void {
    this.slotAt(now).closed++;
  }

  /**
   * Channel-local sequences [from, to) of `channel` that a client lost — owed, published, never
   * received (ClientLedger.forEachLost: the ledger decides what is lost) — or was not owed, or
   * were owed by publishes that never reached Redis (`term`), counted in the intervals they were
   * due in. `count(a, b)` says how many of [a, b) count (all of them by default; a sender left out
   * of its own messages counts its own ones apart: metrics/owed-spans.ts owedIn, ownIn).
   */
  missed(channel: number, from: number, to: number, term: MissedTerm = 'lost', count?: (from: number, to: number) => number): void {
    const schedule = this.schedule;
    if (!schedule) return;
    const channels = this.setup.channelCount;
    let local = from;
    while (local < to) {
      const seq = local * channels + channel;
      const slot = this.slotAt(schedule.dueAt(seq));
      // Every local sequence of this run that is due in the same interval, at once.
      const end =
        to - local === 1 ? local + 1 : Math.min(to, Math.ceil((this.grid.sequencesIn(slot.index, schedule).to - channel) / channels));
      const next = Math.max(local + 1, end);
      slot[term] += count === undefined ? next - local : count(local, next);
      local = next;
    }
  }

  /**
   * Live reporting: the intervals closed at `now` (every one, once clients are closed: `final`)
   * that were not sent yet, in order, and the index below which all are closed. Retires the
   * histograms of every closed interval.
   */
  closeUpTo(now: number, final = false): { closedBefore: number; intervals: WorkerInterval[] } {
    const closedBefore = final
      ? Math.max(this.base + this.slots.length, this.grid.indexOf(now) + 1)
      : this.grid.closedBefore(now, LIVE_GRACE_MS);
    this.retireBefore(closedBefore);
    const intervals: WorkerInterval[] = [];
    for (let k = this.sentBefore; k < closedBefore; k++) {
      const slot = this.slots[k - this.base];
      if (slot) this.openAtSent += slot.opened - slot.closed;
      if (slot) intervals.push(this.intervalOf(slot, this.openAtSent, true));
    }
    this.sentBefore = Math.max(this.sentBefore, closedBefore);
    return { closedBefore, intervals };
  }

  /** Clients are closed and the lost counted: every interval, late arrivals included, in order. */
  finish(now = monotonicMs()): WorkerInterval[] {
    if (!this.finished) {
      this.finished = true;
      this.ticker.stop(now);
      this.load?.stop();
    }
    this.retireBefore(Number.POSITIVE_INFINITY);
    let open = 0;
    return this.slots.map((slot) => {
      open += slot.opened - slot.closed;
      return this.intervalOf(slot, open, false);
    });
  }

  private sampleLoad(first: number, last: number): void {
    if (!this.load) return;
    const sample = this.load.sample();
    for (let k = Math.max(first, this.base); k <= last; k++) this.slotOf(k).tool = sample;
  }

  private grow(k: number): Slot {
    for (let i = this.slots.length; i <= k; i++) this.slots.push(new Slot(this.base + i));
    return this.slots[k]!;
  }

  private liveHistogram(slot: Slot, which: 'fanout' | 'connect' | 'echo'): Histogram {
    const histogram = this.spare.pop() ?? createHistogram();
    if (slot.fanout === null && slot.connect === null && slot.echo === null) this.live.push(slot);
    slot[which] = histogram;
    return histogram;
  }

  /** Encodes (and adds to the totals) the live histograms of every interval below `before`. */
  private retireBefore(before: number): void {
    const keep: Slot[] = [];
    for (const slot of this.live) {
      if (slot.index >= before) {
        keep.push(slot);
        continue;
      }
      if (slot.fanout) {
        slot.fanoutEncoded = this.retire(slot.fanout, slot.fanoutEncoded, this.fanoutTotal);
        slot.fanout = null;
      }
      if (slot.connect) {
        slot.connectEncoded = this.retire(slot.connect, slot.connectEncoded, this.connectTotal);
        slot.connect = null;
      }
      if (slot.echo) {
        slot.echoEncoded = this.retire(slot.echo, slot.echoEncoded, this.echoTotal);
        slot.echo = null;
      }
    }
    this.live = keep;
  }

  private retire(histogram: Histogram, before: string | null, total: Histogram): string {
    total.add(histogram);
    let encoded: string;
    if (before === null) encoded = encodeHistogram(histogram);
    else {
      // Late arrivals for an interval already encoded (rare): fold them in.
      const sum = decodeHistogram(before);
      sum.add(histogram);
      encoded = encodeHistogram(sum);
    }
    histogram.reset();
    this.spare.push(histogram);
    return encoded;
  }

  private intervalOf(slot: Slot, connectionsOpen: number, live: boolean): WorkerInterval {
    const publishes = live ? this.publishSlice(slot.index) : null;
    const owed = live && this.owedIn && this.schedule ? this.liveOwed(slot.index) : null;
    return {
      index: slot.index,
      deliveries: slot.deliveries,
      fanout: slot.fanoutEncoded,
      lost: slot.lost,
      notOwed: slot.notOwed,
      unpublished: slot.unpublished,
      ...(owed !== null ? { owed } : {}),
      errors: slot.errors,
      connectionsOpen,
      connect: slot.connects > 0 && slot.connectEncoded ? { count: slot.connects, histogram: slot.connectEncoded } : null,
      ...(slot.echoes > 0 && slot.echoEncoded ? { echo: { count: slot.echoes, histogram: slot.echoEncoded } } : {}),
      ...(slot.sent + slot.sendFailures + slot.unsent > 0
        ? {
            upstream: {
              sent: slot.sent,
              sendFailures: slot.sendFailures,
              unsent: slot.unsent,
              bufferedAmountBytes: { max: slot.bufferedMax },
            },
          }
        : {}),
      tool: slot.tool,
      ...(publishes ? { publishes } : {}),
    };
  }

  private liveOwed(index: number): number {
    const { from, to } = this.grid.sequencesIn(index, this.schedule!);
    return to > from ? this.owedIn!(from, to) : 0;
  }

  /** This worker's per-publish figures for the publishes intended in interval `index` (copies: they travel). */
  private publishSlice(index: number): PublishSlice | null {
    if (!this.schedule) return null;
    const tracked = this.perPublish.recipients.length;
    const { from, to } = this.grid.sequencesIn(index, this.schedule);
    const end = Math.min(to, tracked);
    if (end <= from) return null;
    return {
      from,
      firstLatencyMs: this.perPublish.firstLatencyMs.slice(from, end),
      lastLatencyMs: this.perPublish.lastLatencyMs.slice(from, end),
      recipients: this.perPublish.recipients.slice(from, end),
    };
  }
}
