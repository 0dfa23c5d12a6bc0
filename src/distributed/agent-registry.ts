/**
 * The coordinator's view of the agents on a control Redis: who is alive, who left, who was lost,
 * who was refused.
 *
 * Liveness is judged on the control Redis's own clock: an agent's last sign of life is the time
 * in its latest entry's id, "now" is TIME, and an agent silent for longer than `lostAfterMs` is
 * lost. Neither host's clock enters, and before judging, the registry reads everything already
 * waiting — a coordinator that stalled for ten seconds finds the heartbeats that came meanwhile
 * instead of declaring every agent lost.
 *
 * An agent speaking another protocol version is refused once (a `refused` entry on its own
 * stream, which every version can read) and never counted.
 */
import { WsbenchError, messageOf } from '../errors.js';
import { monotonicMs } from '../metrics/clock.js';
import { TOOL_VERSION } from '../version.js';
import { DEFAULT_TIMING, agentNameProblem, type MessageBody } from './protocol.js';
import { compareIds, type ControlChannel, type ControlEntry, type StreamReader } from './control-channel.js';
import type { AgentDescriptor } from './agent-presence.js';

export type AgentStatus = 'alive' | 'lost' | 'left';

export interface KnownAgent {
  descriptor: AgentDescriptor;
  state: MessageBody<'agents', 'heartbeat'>['state'];
  runId: string | null;
  status: AgentStatus;
  /** The control Redis's time (Unix ms) of the agent's latest entry. */
  lastSeenMs: number;
}

export type RegistryEvent =
  /** First seen alive (or alive again after it was lost or left: `again`). */
  | { type: 'joined'; agent: KnownAgent; again: boolean }
  | { type: 'lost'; agent: KnownAgent; silentMs: number }
  | { type: 'left'; agent: KnownAgent; reason: string }
  /** Another protocol version: told so on its stream, never counted. */
  | { type: 'refused'; name: string; detail: string }
  /** An entry that is not a message (named, counted, ignored). */
  | { type: 'invalid'; detail: string }
  /** The control connection failed: the registry has stopped. */
  | { type: 'error'; error: WsbenchError };

export interface RegistryOptions {
  /** An agent silent this long (ms, control Redis clock) is lost. */
  lostAfterMs?: number;
  /** Liveness is checked at least this often (ms). */
  checkEveryMs?: number;
  onEvent?: (event: RegistryEvent) => void;
}

const BATCH = 500;

export class AgentRegistry {
  private readonly known = new Map<string, KnownAgent>();
  private readonly refused = new Set<string>();
  private readonly waiters = new Set<{ check: () => void; cancel: () => void }>();
  private lastId: string;
  private lastCheckMs = Number.NEGATIVE_INFINITY;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly lostAfterMs: number;
  private readonly checkEveryMs: number;

  private constructor(
    private readonly channel: ControlChannel,
    private readonly reader: StreamReader,
    startId: string,
    private readonly options: RegistryOptions,
  ) {
    this.lastId = startId;
    this.lostAfterMs = options.lostAfterMs ?? DEFAULT_TIMING.agentLostAfterMs;
    this.checkEveryMs = options.checkEveryMs ?? Math.max(50, Math.min(1000, this.lostAfterMs / 4));
  }

  /**
   * Starts watching the agents stream from `lostAfterMs` ago (agents that heart-beat within the
   * timeout are alive at once) and resolves once that backlog has been read.
   */
  static async start(channel: ControlChannel, options: RegistryOptions = {}): Promise<AgentRegistry> {
    const lostAfterMs = options.lostAfterMs ?? DEFAULT_TIMING.agentLostAfterMs;
    const now = await channel.serverTimeMs();
    const reader = await channel.reader('registry');
    const registry = new AgentRegistry(channel, reader, `${Math.max(0, now - lostAfterMs)}-0`, options);
    try {
      await registry.drain();
      await registry.checkLiveness();
    } catch (e) {
      reader.close();
      throw e;
    }
    registry.loop = registry.run();
    return registry;
  }

  /** Agents alive now. */
  alive(): KnownAgent[] {
    return [...this.known.values()].filter((a) => a.status === 'alive');
  }

  /** Every agent seen, whatever its status. */
  all(): KnownAgent[] {
    return [...this.known.values()];
  }

  /** Resolves with the alive agents once `enough(alive)` holds; null after `timeoutMs`, on abort or when the registry stops. */
  waitFor(enough: (alive: KnownAgent[]) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<KnownAgent[] | null> {
    return new Promise((resolve) => {
      const waiter = {
        check: () => {
          if (enough(this.alive())) done(this.alive());
        },
        cancel: () => done(null),
      };
      const done = (value: KnownAgent[] | null) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', waiter.cancel);
        resolve(value);
      };
      const timer = setTimeout(waiter.cancel, timeoutMs);
      signal?.addEventListener('abort', waiter.cancel, { once: true });
      this.waiters.add(waiter);
      if (this.stopping || signal?.aborted) waiter.cancel();
      else waiter.check();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.reader.close();
    await this.loop;
    for (const w of [...this.waiters]) w.cancel();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.drain(this.checkEveryMs);
        if (monotonicMs() - this.lastCheckMs >= this.checkEveryMs) await this.checkLiveness();
      } catch (e) {
        if (this.stopping) return;
        // An outage the channel rides out: nobody could be heard meanwhile, so silence counts from its end.
        let failure = e;
        const recovered = await this.channel.recover(e).then(
          () => true,
          (f: unknown) => ((failure = f), false),
        );
        if (recovered && !this.stopping) {
          await this.heardAgain().catch(() => {});
          continue;
        }
        if (this.stopping) return;
        this.reader.close();
        const error =
          failure instanceof WsbenchError
            ? failure
            : new WsbenchError('REDIS_UNREACHABLE', `control Redis: reading the agents stream failed: ${messageOf(failure)}`, {
                cause: failure,
              });
        this.emit({ type: 'error', error });
        return;
      }
    }
  }

  /** Reads what is waiting (blocking up to `blockMs` for the first entry), then everything behind it. */
  private async drain(blockMs?: number): Promise<void> {
    let entries = await this.reader.read('agents', this.channel.keys.agents, this.lastId, { blockMs, count: BATCH });
    for (;;) {
      for (const entry of entries) await this.handle(entry);
      if (entries.length === 0 || this.stopping) return;
      entries = await this.reader.read('agents', this.channel.keys.agents, this.lastId, { count: BATCH });
    }
  }

  private async handle(entry: ControlEntry<'agents'>): Promise<void> {
    if (compareIds(entry.id, this.lastId) <= 0) return;
    this.lastId = entry.id;
    const d = entry.decoded;
    if (!d.ok) {
      if (d.problem === 'version' && d.from !== null && agentNameProblem(d.from) === null) await this.refuse(d.from, d.detail);
      else this.emit({ type: 'invalid', detail: `agents stream entry ${entry.id}: ${d.detail}` });
      return;
    }
    const m = d.message;
    if (m.body.name !== m.from) {
      this.emit({ type: 'invalid', detail: `agents stream entry ${entry.id}: sent by "${m.from}" for agent "${m.body.name}"` });
      return;
    }
    this.refused.delete(m.from);
    const previous = this.known.get(m.from);
    if (m.type === 'leave') {
      if (previous && previous.status === 'alive') {
        previous.status = 'left';
        previous.lastSeenMs = entry.idMs;
        this.emit({ type: 'left', agent: previous, reason: m.body.reason });
      }
      return;
    }
    const heartbeat = m.type === 'heartbeat' ? m.body : null;
    const { state: _state, runId: _runId, ...descriptor } = heartbeat ?? { ...m.body, state: 'idle' as const, runId: null };
    const agent: KnownAgent = {
      descriptor,
      state: heartbeat?.state ?? 'idle',
      runId: heartbeat?.runId ?? null,
      status: 'alive',
      lastSeenMs: entry.idMs,
    };
    this.known.set(m.from, agent);
    if (!previous || previous.status !== 'alive') this.emit({ type: 'joined', agent, again: previous !== undefined });
    // A busy agent that became idle (its last run ended) may be what a waiter waits for.
    else if (previous.state !== agent.state) for (const w of [...this.waiters]) w.check();
  }

  /** Tells an agent of another version why it is not taken (once, until it comes back speaking ours). */
  private async refuse(name: string, detail: string): Promise<void> {
    if (this.refused.has(name)) return;
    this.refused.add(name);
    await this.channel.send('agent', this.channel.keys.agent(name), {
      type: 'refused',
      body: { reason: detail, coordinatorProtocol: this.channel.protocolId, coordinatorVersion: TOOL_VERSION },
    });
    this.emit({ type: 'refused', name, detail });
  }

  /** After an outage of the control Redis: every agent alive before it gets a full `lostAfterMs` from now. */
  private async heardAgain(): Promise<void> {
    const now = await this.channel.serverTimeMs();
    for (const agent of this.known.values()) if (agent.status === 'alive') agent.lastSeenMs = Math.max(agent.lastSeenMs, now);
  }

  private async checkLiveness(): Promise<void> {
    this.lastCheckMs = monotonicMs();
    const now = await this.channel.serverTimeMs();
    for (const agent of this.known.values()) {
      const silentMs = now - agent.lastSeenMs;
      if (agent.status === 'alive' && silentMs > this.lostAfterMs) {
        agent.status = 'lost';
        this.emit({ type: 'lost', agent, silentMs });
      }
    }
  }

  private emit(event: RegistryEvent): void {
    this.options.onEvent?.(event);
    for (const w of [...this.waiters]) w.check();
  }
}
