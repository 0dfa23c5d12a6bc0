/**
 * One run's two streams (protocol.ts has the messages):
 *
 * - control (coordinator → the run's agents): every agent reads it through a consumer group of its
 *   own, created by the coordinator at id 0 before anything is written — an agent that starts
 *   reading late still gets `start`, the server keeps each agent's place (a reconnecting agent
 *   resumes there), and XINFO GROUPS tells the coordinator how far each agent has read. The
 *   coordinator heart-beats here; an agent that hears nothing for `coordinatorLostAfterMs` (on
 *   the control Redis's clock) knows its coordinator is gone.
 * - data (agents → coordinator): read through the group "coordinator" and acknowledged once
 *   handled; a coordinator that reconnects re-reads what it had not acknowledged.
 *
 * Both streams are bounded (MAXLEN ~) and expire `runStreamTtlMs` after the coordinator's last
 * heartbeat: nothing of a run stays in the control Redis.
 */
import { WsbenchError, messageOf } from '../errors.js';
import { COORDINATOR, DEFAULT_TIMING, type ControlMessage } from './protocol.js';
import { compareIds, noGroup, type ControlChannel, type ControlEntry, type GroupProgress, type StreamReader } from './control-channel.js';

/**
 * What a run's reader keeps so that an outage of the control Redis neither loses nor re-applies an
 * entry: the last id read (a group that vanished with a restarted Redis is made again there) and
 * each sender's last `seq` (an entry sent again because its XADD's reply was lost is dropped).
 */
class ReadPlace {
  lastId = '0-0';
  private readonly seqs = new Map<string, number>();

  /** The entries not seen before, in order; `seen` gets the others (to acknowledge them). */
  fresh<R extends 'runData' | 'runControl'>(entries: ControlEntry<R>[], seen: ControlEntry<R>[] = []): ControlEntry<R>[] {
    const out: ControlEntry<R>[] = [];
    for (const entry of entries) {
      if (compareIds(entry.id, this.lastId) > 0) this.lastId = entry.id;
      const d = entry.decoded;
      if (d.ok) {
        if (d.message.seq <= (this.seqs.get(d.message.from) ?? -1)) {
          seen.push(entry);
          continue;
        }
        this.seqs.set(d.message.from, d.message.seq);
      }
      out.push(entry);
    }
    return out;
  }
}

export interface CoordinatorRunOptions {
  heartbeatMs?: number;
  ttlMs?: number;
  /** The heartbeat could not be written (the control connection is gone). */
  onError?: (error: WsbenchError) => void;
}

/** The coordinator's side of one run. */
export class CoordinatorRun {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<unknown> | undefined;
  private readonly place = new ReadPlace();

  private constructor(
    private readonly channel: ControlChannel,
    readonly runId: string,
    private readonly reader: StreamReader,
    private readonly ttlMs: number,
    private readonly onError: (error: WsbenchError) => void,
  ) {}

  get controlKey(): string {
    return this.channel.keys.runControl(this.runId);
  }

  get dataKey(): string {
    return this.channel.keys.runData(this.runId);
  }

  /** Creates both streams and their groups (one per agent on control, "coordinator" on data) and starts heart-beating. */
  static async open(
    channel: ControlChannel,
    runId: string,
    agents: readonly string[],
    options: CoordinatorRunOptions = {},
  ): Promise<CoordinatorRun> {
    const control = channel.keys.runControl(runId);
    const data = channel.keys.runData(runId);
    for (const agent of agents) await channel.ensureGroup(control, agent, '0');
    await channel.ensureGroup(data, COORDINATOR, '0');
    const ttlMs = options.ttlMs ?? DEFAULT_TIMING.runStreamTtlMs;
    const run = new CoordinatorRun(channel, runId, await channel.reader(`run-${runId}`), ttlMs, options.onError ?? (() => {}));
    await run.beat();
    run.timer = setInterval(() => void run.beat(), options.heartbeatMs ?? DEFAULT_TIMING.coordinatorHeartbeatMs);
    run.timer.unref();
    return run;
  }

  send(message: ControlMessage<'runControl'>): Promise<string> {
    return this.channel.send('runControl', this.controlKey, message);
  }

  /**
   * The agents' next messages (waiting up to `blockMs`); acknowledge them with `ack` once handled.
   * Through an outage of the control Redis (a channel with a grace) it waits for it to come back
   * and returns nothing; it rejects once the outage outlasted the grace.
   */
  async read(blockMs: number, options: { pending?: boolean } = {}): Promise<ControlEntry<'runData'>[]> {
    let entries: ControlEntry<'runData'>[];
    try {
      entries = await this.reader.readGroup('runData', this.dataKey, COORDINATOR, COORDINATOR, {
        blockMs,
        count: 500,
        pending: options.pending,
      });
    } catch (e) {
      // Restarted without its data: the group again, after the last entry read.
      if (noGroup(e))
        await this.channel.ensureGroup(this.dataKey, COORDINATOR, this.place.lastId).catch((f: unknown) => this.channel.recover(f));
      else await this.channel.recover(e);
      return [];
    }
    // Read again on purpose (not acknowledged yet): as they are.
    if (options.pending) return entries;
    const seen: ControlEntry<'runData'>[] = [];
    const fresh = this.place.fresh(entries, seen);
    if (seen.length > 0) void this.ack(seen).catch(() => {});
    return fresh;
  }

  ack(entries: readonly ControlEntry<'runData'>[]): Promise<number> {
    return this.channel.ack(
      this.dataKey,
      COORDINATOR,
      entries.map((e) => e.id),
    );
  }

  /** How far each agent has read the control stream (its group), and the coordinator the data stream. */
  async progress(): Promise<{ control: GroupProgress[]; data: GroupProgress[] }> {
    return { control: await this.channel.groups(this.controlKey), data: await this.channel.groups(this.dataKey) };
  }

  /** Stops reading the data stream, heart-beating on: `--once` agents waiting for the next plan of the run see the coordinator alive. */
  stopReading(): void {
    this.reader.close();
  }

  /** Stops heart-beating (agents then see the coordinator as gone after their timeout unless told `stop`). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    this.reader.close();
  }

  private beat(): Promise<unknown> {
    this.beating ??= (async () => {
      await this.send({ type: 'heartbeat', body: {} });
      await this.channel.expire(this.controlKey, this.ttlMs);
      await this.channel.expire(this.dataKey, this.ttlMs);
    })()
      // An outage the channel rides out is not an error: the next beat does it again.
      .catch((e: unknown) => this.channel.recover(e))
      .catch((e: unknown) =>
        this.onError(e instanceof WsbenchError ? e : new WsbenchError('REDIS_UNREACHABLE', messageOf(e), { cause: e })),
      )
      .finally(() => (this.beating = undefined));
    return this.beating;
  }
}

/** An agent's side of one run. */
export class AgentRun {
  /** The control Redis's time (Unix ms) of the coordinator's latest entry, or of joining the run. */
  private lastHeardMs: number;
  private readonly place = new ReadPlace();

  private constructor(
    private readonly channel: ControlChannel,
    readonly runId: string,
    readonly name: string,
    private readonly reader: StreamReader,
    joinedMs: number,
  ) {
    this.lastHeardMs = joinedMs;
  }

  static async open(channel: ControlChannel, runId: string, name: string): Promise<AgentRun> {
    const joinedMs = await channel.serverTimeMs();
    return new AgentRun(channel, runId, name, await channel.reader(`run-${runId}`), joinedMs);
  }

  get controlKey(): string {
    return this.channel.keys.runControl(this.runId);
  }

  /**
   * The coordinator's next messages through this agent's group (waiting up to `blockMs`),
   * acknowledged at once: an agent acts on a command when it reads it.
   */
  async read(blockMs: number): Promise<ControlEntry<'runControl'>[]> {
    let entries: ControlEntry<'runControl'>[];
    try {
      entries = await this.reader.readGroup('runControl', this.controlKey, this.name, this.name, { blockMs, count: 100 });
    } catch (e) {
      // Restarted without its data: this agent's group again, after the last entry it read.
      if (noGroup(e))
        await this.channel.ensureGroup(this.controlKey, this.name, this.place.lastId).catch((f: unknown) => this.channel.recover(f));
      else await this.recover(e);
      return [];
    }
    for (const e of entries)
      if (e.decoded.ok && e.decoded.message.from === COORDINATOR) this.lastHeardMs = Math.max(this.lastHeardMs, e.idMs);
    await this.channel
      .ack(
        this.controlKey,
        this.name,
        entries.map((e) => e.id),
      )
      .catch((e: unknown) => this.recover(e));
    return this.place.fresh(entries);
  }

  /**
   * Waits out an outage of the control Redis (rejects past the channel's grace). Nobody could be
   * heard while it lasted: the coordinator's silence is counted again from its end.
   */
  private async recover(e: unknown): Promise<void> {
    await this.channel.recover(e);
    this.lastHeardMs = Math.max(this.lastHeardMs, await this.channel.serverTimeMs());
  }

  send(message: ControlMessage<'runData'>): Promise<string> {
    return this.channel.send('runData', this.channel.keys.runData(this.runId), message);
  }

  /** How long the coordinator has been silent (ms, control Redis clock): above `coordinatorLostAfterMs`, it is gone. */
  async coordinatorSilentMs(): Promise<number> {
    try {
      return (await this.channel.serverTimeMs()) - this.lastHeardMs;
    } catch (e) {
      await this.recover(e);
      return 0;
    }
  }

  close(): void {
    this.reader.close();
  }
}
