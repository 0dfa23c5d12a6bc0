/**
 * The clients of one worker: opens them with ramp-up and a bound on handshakes in flight, reads
 * the stamp of every message, keeps each client's delivery ledger and records latency. Knows
 * nothing of processes or IPC; worker-process.ts wraps it.
 */
import { describeCloseCode, peerSnippet } from '../peer-text.js';
import { ClientLedger, addDelivery, emptyDelivery } from '../metrics/ledger.js';
import { NOTHING_OWED, PublishOutcomes, type PublishOutcome } from '../metrics/publish-outcomes.js';
import { createHistogram, encodeHistogram, recordMs, type Histogram } from '../metrics/histogram.js';
import { IntervalCollector, type LoadSource } from './interval-collector.js';
import { FLAG_WARMUP, StampReader, StampStatus } from '../metrics/stamp.js';
import { monotonicMs } from '../metrics/clock.js';
import {
  TransportError,
  type TransportClient,
  type TransportEvents,
  type TransportFactory,
  type WireStats,
} from '../transports/transport.js';
import type { IgnoredBreakdown } from '../results/types.js';
import { Verdict, type ClientProtocol, type ProtocolContext } from '../targets/client-protocol.js';
import { createClientProtocol } from '../targets/registry.js';
import { PROTOCOL_UNEXPECTED, PUBLISH_SEND_FAILED, connectErrorKind, socketClosedKind, type ErrorKind } from '../results/error-kinds.js';
import { fillTemplate } from '../targets/template.js';
import type { WorkerConnected, WorkerPlan, WorkerResult, WorkerSends, WorkerSnapshot } from './worker-messages.js';
import { OpenLoopSchedule } from './pacer.js';
import { SenderMap } from './sender-map.js';
import { UpstreamSender, type SenderPort } from './upstream-sender.js';
import type { ProcessMonitor } from '../process/monitor.js';
import { messageOf } from '../errors.js';
import { ConnectionFacts } from '../transports/connection-facts.js';

const enum ClientState {
  Waiting,
  Connecting,
  Open,
  Failed,
  Closed,
}

/** What a client reports to its pool. */
interface ClientOwner {
  channelName(channelIndex: number): string;
  receive(client: PoolClient, data: Buffer, start: number, end: number, receivedAt: number): void;
  closed(client: PoolClient, code: number, reason: string, clean: boolean): void;
  countError(kind: ErrorKind, sample: string, count?: number): void;
}

/**
 * One client. It is its transport's event sink and its protocol's context itself: a held
 * connection then costs one small object here instead of a handful of closures (issue 7's memory
 * budget, see BENCHMARKS.md).
 */
class PoolClient implements TransportEvents, ProtocolContext {
  protocol: ClientProtocol | null = null;
  state = ClientState.Waiting;
  /** Reached Open at some point (so it was subscribed and owed every message). */
  wasOpen = false;
  /** Its place among its channel's senders (publish.via websocket), or -1: it only receives. */
  senderSlot = -1;
  readonly ledger = new ClientLedger();
  transport: TransportClient | null = null;

  constructor(
    private readonly owner: ClientOwner,
    readonly clientIndex: number,
    readonly channelIndex: number,
  ) {}

  get channel(): string {
    return this.owner.channelName(this.channelIndex);
  }

  send(text: string): void {
    this.transport?.send(text);
  }

  onMessage(data: Buffer, start: number, end: number, receivedAtMs: number): void {
    this.owner.receive(this, data, start, end, receivedAtMs);
  }

  onClose(code: number, reason: string, clean: boolean): void {
    this.owner.closed(this, code, reason, clean);
  }

  onError(kind: ErrorKind, message: string, count?: number): void {
    this.owner.countError(kind, message, count);
  }
}

export class ClientPool implements ClientOwner, SenderPort {
  private readonly clients: PoolClient[] = [];
  private readonly reader: StampReader;
  private readonly channelCount: number;
  private problem: string | null = null;

  /** Measured latencies since the previous snapshot, by arrival (the live figures). */
  private interval: Histogram = createHistogram();
  /** Everything by interval of the timeline; the run's fan-out and connect totals are its sums. */
  private readonly timeline: IntervalCollector;
  private readonly firstLatency: Float32Array;
  private readonly lastLatency: Float32Array;
  private readonly recipients: Uint32Array;

  private readonly ignoredBy: IgnoredBreakdown = { foreign: 0, unstamped: 0, control: 0, misrouted: 0 };
  private readonly errors: Record<string, number> = {};
  private readonly errorSamples: Record<string, string> = {};
  private delivered = 0;
  private duplicated = 0;
  private ignoredTotal = 0;
  private clamped = 0;
  private opened = 0;
  private failed = 0;
  private closedEarly = 0;
  private inFlight = 0;
  private finishing = false;
  /** Clients closed and results taken: every interval is closed. */
  private finished = false;
  /** Who sends what, and this worker's senders, when clients send the schedule (publish.via websocket). */
  private readonly senderMap: SenderMap | null = null;
  private readonly upstream: UpstreamSender | null = null;
  /** What the connections negotiated (TLS, compression), counted by the clients themselves. */
  private readonly facts = new ConnectionFacts();

  constructor(
    private readonly plan: WorkerPlan,
    private readonly createTransport: TransportFactory,
    private readonly monitor: ProcessMonitor,
    load: LoadSource | null = null,
  ) {
    this.reader = new StampReader(plan.runId);
    this.channelCount = plan.channelNames.length;
    const tracked = Math.min(plan.totalPublishes, plan.perPublishLimit);
    this.firstLatency = new Float32Array(tracked).fill(Number.POSITIVE_INFINITY);
    this.lastLatency = new Float32Array(tracked);
    this.recipients = new Uint32Array(tracked);
    this.timeline = new IntervalCollector(
      {
        timeline: plan.timeline,
        publishRatePerSec: plan.publishRatePerSec,
        totalPublishes: plan.totalPublishes,
        channelCount: this.channelCount,
      },
      { firstLatencyMs: this.firstLatency, lastLatencyMs: this.lastLatency, recipients: this.recipients },
      load,
    );
    for (let i = 0; i < plan.clientCount; i++) {
      const index = plan.firstClient + i;
      this.clients.push(new PoolClient(this, index, index % this.channelCount));
    }
    if (plan.upstream) {
      this.senderMap = new SenderMap(plan.totalClients, this.channelCount, plan.upstream.senders);
      for (const c of this.clients) c.senderSlot = this.senderMap.slotOf(c.clientIndex);
      this.upstream = new UpstreamSender({ ...plan, upstream: plan.upstream }, this.senderMap, this);
    }
  }

  /**
   * Opens every client: client k starts no earlier than rampUp × k / totalClients after `startAt`
   * (so several workers interleave into one global ramp), with at most maxInFlight handshakes.
   * Resolves when every client has opened or failed, or when `stop` is called.
   */
  async connectAll(startAt: number): Promise<WorkerConnected> {
    const { plan } = this;
    let next = 0;
    let stopWaiting: () => void = () => {};
    const done = new Promise<void>((resolve) => (stopWaiting = resolve));
    let settled = 0;

    const launch = (): void => {
      while (!this.finishing && next < this.clients.length && this.inFlight < plan.maxInFlight) {
        const client = this.clients[next]!;
        const due = startAt + (plan.rampUpMs * client.clientIndex) / plan.totalClients;
        const wait = due - monotonicMs();
        if (wait > 1) {
          setTimeout(launch, wait);
          return;
        }
        next++;
        this.inFlight++;
        void this.open(client).finally(() => {
          this.inFlight--;
          settled++;
          if (settled === this.clients.length) stopWaiting();
          else launch();
        });
      }
      if (this.finishing) stopWaiting();
    };
    this.stopConnecting = stopWaiting;
    if (this.clients.length === 0) stopWaiting();
    else launch();
    await done;

    const openedPerChannel = new Array<number>(this.channelCount).fill(0);
    for (const c of this.clients) if (c.state === ClientState.Open) openedPerChannel[c.channelIndex]!++;
    return {
      workerId: plan.workerId,
      openedPerChannel,
      failed: this.failed,
      errors: { ...this.errors },
      errorSamples: { ...this.errorSamples },
    };
  }

  private stopConnecting: () => void = () => {};

  /** Publishing started with message 0 due at monotonic `t0` (this worker's senders start sending). */
  publishing(t0: number): void {
    this.timeline.publishing(t0);
    this.upstream?.start(new OpenLoopSchedule(t0, this.plan.publishRatePerSec, this.plan.totalPublishes));
  }

  /** What this worker's senders did, once they are through the schedule or stopped; null when clients do not send. */
  get sends(): Promise<WorkerSends> | null {
    return this.upstream?.done ?? null;
  }

  /** The run stops early: senders stop. */
  stopSending(): void {
    this.upstream?.stop();
  }

  /** SenderPort: a sender's message through its connection; its bufferedAmount after, or null when it is not open. */
  sendThrough(clientIndex: number, frame: Buffer, binary: boolean): number | null {
    const client = this.clients[clientIndex - this.plan.firstClient];
    const transport = client?.state === ClientState.Open ? client.transport : null;
    if (!transport?.sendPayload(frame, binary)) return null;
    return transport.bufferedAmount();
  }

  /** SenderPort: a send that could not go out. */
  sendFailed(message: string): void {
    this.countError(PUBLISH_SEND_FAILED, message);
  }

  /** SenderPort: into the interval of the message's intended time. */
  sendOutcome(intendedMs: number, bufferedBytes: number | null): void {
    this.timeline.sentAt(intendedMs, bufferedBytes);
  }

  channelName(channelIndex: number): string {
    return this.plan.channelNames[channelIndex]!;
  }

  private async open(client: PoolClient): Promise<void> {
    const { plan } = this;
    const localAddress = plan.localAddresses.length ? plan.localAddresses[client.clientIndex % plan.localAddresses.length] : undefined;
    const transport = this.createTransport(
      {
        url: fillTemplate(plan.urlTemplate, encodeURIComponent(client.channel), client.clientIndex),
        clientIndex: client.clientIndex,
        headers: plan.headers,
        subprotocols: plan.subprotocols,
        timeoutMs: plan.connectTimeoutMs,
        maxPayload: plan.maxPayload,
        ...(localAddress ? { localAddress } : {}),
        ...(plan.tls ? { tls: plan.tls } : {}),
        ...(plan.compression ? { compression: plan.compression } : {}),
        facts: this.facts,
      },
      client,
    );
    client.transport = transport;
    // Built before open: a server may speak first (Socket.IO's open packet, ActionCable's welcome).
    client.protocol = createClientProtocol(plan.clientProtocol, client);
    client.state = ClientState.Connecting;
    const started = monotonicMs();
    try {
      await transport.open();
      if (this.finishing) {
        client.state = ClientState.Closed;
        await transport.close();
        return;
      }
      client.state = ClientState.Open;
      client.wasOpen = true;
      this.opened++;
      client.protocol.opened();
      const now = monotonicMs();
      if (this.timeline.openedAt(now, now - started)) this.clamped++;
    } catch (e) {
      client.state = ClientState.Failed;
      client.transport = null;
      this.failed++;
      const kind = e instanceof TransportError ? e.kind : connectErrorKind('error');
      this.countError(kind, messageOf(e));
    }
  }

  /** A message for `client` (called by the client, from its transport). */
  receive(client: PoolClient, data: Buffer, start: number, end: number, receivedAt: number): void {
    const verdict = client.protocol!.received(data, start, end);
    if (verdict === Verdict.Batch) {
      // Newline-delimited messages in one frame: each one on its own.
      for (let from = start; from < end;) {
        let to = data.indexOf(0x0a, from);
        if (to < 0 || to > end) to = end;
        if (to > from) this.receive(client, data, from, to, receivedAt);
        from = to + 1;
      }
      return;
    }
    if (verdict !== Verdict.Data) {
      this.ignoredTotal++;
      client.ledger.ignore();
      this.ignoredBy.control++;
      if (verdict === Verdict.Unexpected) {
        this.problem ??= client.protocol!.problem;
        this.countError(PROTOCOL_UNEXPECTED, client.protocol!.problem ?? 'unexpected message');
      }
      return;
    }
    const status = this.reader.read(data, start, end);
    if (status !== StampStatus.Ok) {
      this.ignoredTotal++;
      client.ledger.ignore();
      if (status === StampStatus.Foreign) this.ignoredBy.foreign++;
      else this.ignoredBy.unstamped++;
      return;
    }
    const stamp = this.reader.out;
    const seq = stamp.seq;
    if (seq >= this.plan.totalPublishes || seq % this.channelCount !== client.channelIndex) {
      this.ignoredTotal++;
      this.ignoredBy.misrouted++;
      client.ledger.ignore();
      return;
    }
    const q = (seq - client.channelIndex) / this.channelCount;
    const firstReceipt = client.ledger.receive(q);
    if (!firstReceipt) {
      this.duplicated++;
      return;
    }
    this.delivered++;
    const slot = this.timeline.delivered(stamp.intendedMs);
    if (stamp.flags & FLAG_WARMUP) return;
    const latency = receivedAt - stamp.intendedMs;
    if (client.senderSlot >= 0 && this.senderMap!.sends(client.channelIndex, client.senderSlot, q)) {
      // The sender's own copy: echo latency, apart from the fan-out; it is still one of the recipients.
      if (this.timeline.recordEcho(slot, latency)) this.clamped++;
      if (seq < this.recipients.length) this.recipients[seq]!++;
      return;
    }
    if (this.timeline.recordLatency(slot, latency)) this.clamped++;
    recordMs(this.interval, latency);
    if (seq < this.recipients.length) {
      if (latency < this.firstLatency[seq]!) this.firstLatency[seq] = latency;
      if (latency > this.lastLatency[seq]!) this.lastLatency[seq] = latency;
      this.recipients[seq]!++;
    }
  }

  closed(client: PoolClient, code: number, reason: string, clean: boolean): void {
    if (client.state !== ClientState.Open) return;
    client.state = ClientState.Closed;
    this.timeline.closedAt(monotonicMs());
    if (this.finishing) return;
    this.closedEarly++;
    this.countError(socketClosedKind(code, clean), reason || `closed with ${describeCloseCode(code)}`);
  }

  countError(kind: ErrorKind, sample: string, count = 1): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + count;
    this.timeline.errorAt(monotonicMs(), count);
    // Samples are often a peer's words (close reasons, HTTP bodies): bounded and inert.
    this.errorSamples[kind] ??= peerSnippet(sample, 300);
  }

  snapshot(): WorkerSnapshot {
    const interval = this.interval.totalCount > 0 ? encodeHistogram(this.interval) : null;
    if (interval) this.interval = createHistogram();
    let closed = 0;
    let ready = 0;
    let reordered = 0;
    for (const c of this.clients) {
      reordered += c.ledger.reordered;
      if (c.state === ClientState.Closed) closed++;
      else if (c.state === ClientState.Open && c.protocol!.ready) ready++;
    }
    return {
      workerId: this.plan.workerId,
      opened: this.opened,
      failed: this.failed,
      closed,
      inFlight: this.inFlight,
      ready,
      problem: this.problem,
      delivered: this.delivered,
      duplicated: this.duplicated,
      reordered,
      ignored: this.ignoredTotal,
      errors: { ...this.errors },
      interval,
      wire: this.wire(),
      cpuPercent: this.monitor.intervalCpuPercent(),
      eventLoopDelayP99Ms: this.monitor.eventLoopDelayP99Ms(),
      ...(this.upstream ? { upstream: this.upstream.progress() } : {}),
      timeline: this.timeline.closeUpTo(monotonicMs(), this.finished),
    };
  }

  /** Bytes and requests of every client, closed ones included (their counters are kept). */
  private wire(): WireStats {
    const total: WireStats = { bytesIn: 0, bytesOut: 0, requests: 0 };
    for (const c of this.clients) {
      if (!c.transport) continue;
      const w = c.transport.wire();
      total.bytesIn += w.bytesIn;
      total.bytesOut += w.bytesOut;
      total.requests += w.requests;
    }
    return total;
  }

  /** Closes every client and returns the final accounting; `publishes` says what each client was owed. */
  async finish(publishes: PublishOutcome): Promise<WorkerResult> {
    this.finishing = true;
    this.stopConnecting();
    this.upstream?.stop();
    await Promise.all(this.clients.map((c) => (c.transport ? c.transport.close().catch(() => {}) : Promise.resolve())));
    const closedAt = monotonicMs();
    for (const c of this.clients) {
      // A transport that closed without telling (no close event): closed now.
      if (c.state === ClientState.Open) this.closed(c, 1000, '', true);
    }

    const outcomes = PublishOutcomes.from(publishes, this.channelCount);
    const delivery = emptyDelivery();
    for (const c of this.clients) {
      // A client that never opened was never subscribed: its messages are not "lost", its
      // connection failure is reported under connections and errors instead.
      const channel = c.wasOpen ? outcomes.channel(c.channelIndex) : NOTHING_OWED;
      addDelivery(delivery, c.ledger.counts(channel));
      // Where the lost lie: the ledger's own lost runs (an unpublished message is never lost).
      c.ledger.forEachLost(channel, (from, to) => this.timeline.missed(c.channelIndex, from, to));
    }
    const timeline = this.timeline.finish(closedAt);
    this.finished = true;
    return {
      workerId: this.plan.workerId,
      opened: this.opened,
      failed: this.failed,
      closedEarly: this.closedEarly,
      delivery,
      ignoredBy: { ...this.ignoredBy },
      errors: { ...this.errors },
      errorSamples: { ...this.errorSamples },
      clampedSamples: this.clamped,
      wire: this.wire(),
      histograms: {
        fanout: encodeHistogram(this.timeline.fanoutTotal),
        connect: encodeHistogram(this.timeline.connectTotal),
        ...(this.upstream ? { echo: encodeHistogram(this.timeline.echoTotal) } : {}),
      },
      connectionFacts: this.facts.snapshot(),
      firstLatencyMs: this.firstLatency,
      lastLatencyMs: this.lastLatency,
      recipients: this.recipients,
      process: this.monitor.stats(),
      timeline,
    };
  }
}
