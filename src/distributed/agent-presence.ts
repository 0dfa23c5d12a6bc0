/**
 * The agent's side of the agents stream: it registers, heart-beats every `heartbeatMs` with its
 * whole descriptor (a coordinator that starts later, or reads after trimming, still learns who it
 * is), says goodbye when it goes on purpose, and reads its inbox — where a refusal from the
 * coordinator, written by whatever version, becomes a one-line error.
 */
import { WsbenchError, messageOf } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { DEFAULT_TIMING, refusalOf, type MessageBody } from './protocol.js';
import { readHostIdentity } from './host-identity.js';
import type { ControlChannel, ControlEntry, StreamReader } from './control-channel.js';

/** Who an agent says it is (register and heartbeat bodies without the state). */
export type AgentDescriptor = MessageBody<'agents', 'register'>;

/** This agent's descriptor: what it was given, and the host, clock id, cores, pid and version read here. */
export function describeThisAgent(options: {
  name: string;
  labels?: Record<string, string>;
  capacity?: number | null;
  heartbeatMs?: number;
}): AgentDescriptor {
  const host = readHostIdentity();
  return {
    name: options.name,
    host: host.host,
    clockId: host.clockId,
    pid: process.pid,
    wsbenchVersion: TOOL_VERSION,
    labels: options.labels ?? {},
    capacity: options.capacity ?? null,
    cores: host.cores,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_TIMING.heartbeatMs,
  };
}

/** The coordinator turned this agent away (another protocol version, a name in use …). */
export class AgentRefusedError extends WsbenchError {
  constructor(
    readonly agent: string,
    readonly reason: string,
    coordinator: string,
  ) {
    super('SETUP', `agent "${agent}" refused by the coordinator (${coordinator}): ${reason}`);
    this.name = 'AgentRefusedError';
  }
}

export type AgentState = MessageBody<'agents', 'heartbeat'>['state'];

/** An agent's registration and heartbeat on the agents stream, and its inbox. */
export class AgentPresence {
  private timer: NodeJS.Timeout | undefined;
  private state: AgentState = 'idle';
  private runId: string | null = null;
  private beating: Promise<unknown> | undefined;

  private constructor(
    private readonly channel: ControlChannel,
    readonly descriptor: AgentDescriptor,
    private readonly inboxAfter: string,
    private readonly onError: (error: WsbenchError) => void,
  ) {}

  /**
   * Registers and starts heart-beating every `descriptor.heartbeatMs`. The inbox reads what the
   * coordinator writes from this moment on (earlier entries belong to an earlier life).
   */
  static async start(
    channel: ControlChannel,
    descriptor: AgentDescriptor,
    onError: (error: WsbenchError) => void = () => {},
  ): Promise<AgentPresence> {
    const after = await channel.lastId(channel.keys.agent(descriptor.name));
    const presence = new AgentPresence(channel, descriptor, after, onError);
    await channel.send('agents', channel.keys.agents, { type: 'register', body: descriptor });
    presence.timer = setInterval(() => presence.beat(), descriptor.heartbeatMs);
    presence.timer.unref();
    return presence;
  }

  /** What the next heartbeats say (idle, busy with a run, stopping). */
  setState(state: AgentState, runId: string | null): void {
    this.state = state;
    this.runId = runId;
  }

  /** Stops heart-beating; with a reason, says goodbye (a `leave`), so the coordinator does not wait out the timeout. */
  async stop(leaveReason?: string): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    if (leaveReason !== undefined) {
      await this.channel.send('agents', this.channel.keys.agents, {
        type: 'leave',
        body: { name: this.descriptor.name, reason: leaveReason },
      });
    }
  }

  /** The agent's inbox: plans; a refusal rejects with AgentRefusedError. */
  async inbox(): Promise<AgentInbox> {
    return new AgentInbox(
      await this.channel.reader('inbox'),
      this.channel.keys.agent(this.descriptor.name),
      this.inboxAfter,
      this.descriptor.name,
    );
  }

  private beat(): void {
    if (this.beating) return; // the previous one is still on its way: Redis is slow, not the agent
    this.beating = this.channel
      .send('agents', this.channel.keys.agents, { type: 'heartbeat', body: { ...this.descriptor, state: this.state, runId: this.runId } })
      .catch((e: unknown) =>
        this.onError(e instanceof WsbenchError ? e : new WsbenchError('REDIS_UNREACHABLE', messageOf(e), { cause: e })),
      )
      .finally(() => (this.beating = undefined));
  }
}

/** What the coordinator writes to one agent. */
export class AgentInbox {
  constructor(
    private readonly reader: StreamReader,
    private readonly key: string,
    private lastId: string,
    private readonly name: string,
  ) {}

  /**
   * The next messages (waiting up to `blockMs`), entries of another version or invalid ones
   * returned as such; a refusal rejects with AgentRefusedError, whatever version wrote it.
   */
  async next(blockMs: number): Promise<ControlEntry<'agent'>[]> {
    const entries = await this.reader.read('agent', this.key, this.lastId, { blockMs, count: 10 });
    for (const entry of entries) {
      this.lastId = entry.id;
      const refusal = entry.fields ? refusalOf(entry.fields) : null;
      if (refusal)
        throw new AgentRefusedError(this.name, refusal.reason, `${refusal.coordinatorProtocol}, wsbench ${refusal.coordinatorVersion}`);
    }
    return entries;
  }

  close(): void {
    this.reader.close();
  }
}
