/**
 * The control protocol (protocol.ts) spoken on a control Redis through ioredis: XADD with
 * MAXLEN ~, XREAD BLOCK, consumer groups (XGROUP, XREADGROUP, XACK, XINFO GROUPS), PEXPIRE, TIME.
 * Connections come from redis/client.ts, so ACL users, passwords and rediss:// work as everywhere
 * else in wsbench. A ControlChannel has one command connection (XADD, XACK, TIME …) plus one
 * connection per blocking reader: a blocking read holds its connection, and nothing may wait
 * behind it. On top: agent-presence.ts (the agent side), agent-registry.ts (the coordinator's view
 * of its agents), run-streams.ts (one run's streams).
 *
 * Not here yet: reconnecting a dropped control connection (a failure is a REDIS_UNREACHABLE error
 * and the reader using it stops).
 */
import { openRedis, type RedisClient } from '../redis/client.js';
import { WsbenchError, messageOf } from '../errors.js';
import { redactText } from '../secrets.js';
import { ReferenceClock, type ReferenceClockOptions } from './redis-time.js';
import {
  DEFAULT_PREFIX,
  PROTOCOL_ID,
  STREAM_MAXLEN,
  decodeEntry,
  encodeEntry,
  entryIdMs,
  prefixProblem,
  streamKeys,
  type ControlMessage,
  type Decoded,
  type StreamRole,
} from './protocol.js';

/** One entry read from a stream: its id, the control Redis's time it was added (ms), what it says, and its raw fields. */
export interface ControlEntry<R extends StreamRole> {
  id: string;
  idMs: number;
  decoded: Decoded<R>;
  /** Null for a pending entry that was trimmed before it was read. */
  fields: string[] | null;
}

export interface ControlChannelOptions {
  /** Who sends: an agent's name, or "coordinator" (the `from` of every entry). */
  sender: string;
  /** Key prefix of every stream (default wsbench:ctl). */
  prefix?: string;
  /** MAXLEN per stream, when not the protocol's defaults (tests use small ones). */
  maxLen?: Partial<Record<StreamRole, number>>;
  /** Speak another protocol id (tests of the version check only). */
  protocolId?: string;
  connectTimeoutMs?: number;
}

/** The part of a stream's consumer group the coordinator looks at: how far each agent has read. */
export interface GroupProgress {
  name: string;
  consumers: number;
  /** Delivered to the group and not acknowledged yet. */
  pending: number;
  lastDeliveredId: string;
  /** Entries added since the group's last delivery (null when Redis cannot tell, e.g. after trimming). */
  lag: number | null;
}

type StreamReply = [string, ([string, string[] | null] | null)[]][] | null;

/** "1700000000000-3" → [ms, seq] for ordering. */
function idParts(id: string): [number, number] {
  const dash = id.indexOf('-');
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

export function compareIds(a: string, b: string): number {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am - bm || as - bs;
}

export class ControlChannel {
  readonly keys: ReturnType<typeof streamKeys>;
  private readonly seqs = new Map<string, number>();
  private readonly readers = new Set<StreamReader>();
  private closed = false;

  private constructor(
    private readonly url: string,
    readonly sender: string,
    readonly prefix: string,
    private readonly commands: RedisClient,
    private readonly options: ControlChannelOptions,
  ) {
    this.keys = streamKeys(prefix);
  }

  /** Connects to the control Redis (a one-line REDIS_UNREACHABLE error, password redacted, when it cannot). */
  static async open(url: string, options: ControlChannelOptions): Promise<ControlChannel> {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const problem = prefixProblem(prefix);
    if (problem) throw new WsbenchError('CONFIG', `control stream prefix "${prefix}": ${problem}`);
    const commands = await openRedis(url, { name: `wsbench-ctl-${options.sender}`, connectTimeoutMs: options.connectTimeoutMs });
    return new ControlChannel(url, options.sender, prefix, commands, options);
  }

  get protocolId(): string {
    return this.options.protocolId ?? PROTOCOL_ID;
  }

  maxLenOf(role: StreamRole): number {
    return this.options.maxLen?.[role] ?? STREAM_MAXLEN[role];
  }

  /** XADD key MAXLEN ~ n * v … type … from … seq … body …; the entry's id. */
  async send<R extends StreamRole>(role: R, key: string, message: ControlMessage<R>): Promise<string> {
    const seq = this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    const fields = encodeEntry(role, message, this.sender, seq, this.protocolId);
    return this.command(`XADD ${key}`, () =>
      this.commands.call('XADD', key, 'MAXLEN', '~', String(this.maxLenOf(role)), '*', ...fields),
    ) as Promise<string>;
  }

  /** A reader on its own connection (blocking reads hold it). */
  async reader(label: string): Promise<StreamReader> {
    const conn = await openRedis(this.url, {
      name: `wsbench-ctl-${this.sender}-${label}`,
      connectTimeoutMs: this.options.connectTimeoutMs,
    });
    const reader = new StreamReader(conn, this.protocolId, () => this.readers.delete(reader));
    this.readers.add(reader);
    return reader;
  }

  /** Creates `group` on `key` at `startId` (the stream too, if missing); an existing group is kept. */
  async ensureGroup(key: string, group: string, startId = '0'): Promise<void> {
    try {
      await this.commands.call('XGROUP', 'CREATE', key, group, startId, 'MKSTREAM');
    } catch (e) {
      if (/BUSYGROUP/.test(messageOf(e))) return;
      throw this.failure(`XGROUP CREATE ${key} ${group}`, e);
    }
  }

  async ack(key: string, group: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.command(`XACK ${key}`, () => this.commands.call('XACK', key, group, ...ids))) as number;
  }

  /** XINFO GROUPS: how far each group has read (empty when the stream does not exist). */
  async groups(key: string): Promise<GroupProgress[]> {
    let reply: unknown[][];
    try {
      reply = (await this.commands.call('XINFO', 'GROUPS', key)) as unknown[][];
    } catch (e) {
      if (/no such key/i.test(messageOf(e))) return [];
      throw this.failure(`XINFO GROUPS ${key}`, e);
    }
    return reply.map((flat) => {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < flat.length; i += 2) f.set(String(flat[i]), flat[i + 1]);
      const lag = f.get('lag');
      return {
        name: String(f.get('name')),
        consumers: Number(f.get('consumers')),
        pending: Number(f.get('pending')),
        lastDeliveredId: String(f.get('last-delivered-id')),
        lag: lag === null || lag === undefined ? null : Number(lag),
      };
    });
  }

  /** The id of the newest entry of `key`, or "0-0" when there is none: read after it to see only what comes next. */
  async lastId(key: string): Promise<string> {
    const reply = (await this.command(`XREVRANGE ${key}`, () => this.commands.call('XREVRANGE', key, '+', '-', 'COUNT', '1'))) as [
      string,
      string[],
    ][];
    return reply[0]?.[0] ?? '0-0';
  }

  async length(key: string): Promise<number> {
    return (await this.command(`XLEN ${key}`, () => this.commands.call('XLEN', key))) as number;
  }

  async expire(key: string, ms: number): Promise<void> {
    await this.command(`PEXPIRE ${key}`, () => this.commands.call('PEXPIRE', key, String(Math.ceil(ms))));
  }

  /** The control Redis's clock (Unix ms), the clock entry ids are written with. */
  async serverTimeMs(): Promise<number> {
    const [s, us] = (await this.command('TIME', () => this.commands.call('TIME'))) as [string, string];
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  /**
   * This process's offset to the control Redis's TIME, re-estimated on a timer (redis-time.ts), on
   * a connection of its own: nothing else may queue ahead of a TIME sample. Its first window is
   * taken before this resolves; `stop` closes the connection.
   */
  async referenceClock(options: ReferenceClockOptions = {}): Promise<{ clock: ReferenceClock; stop: () => Promise<void> }> {
    const conn = await openRedis(this.url, { name: `wsbench-ctl-${this.sender}-clock`, connectTimeoutMs: this.options.connectTimeoutMs });
    const clock = new ReferenceClock(conn, options);
    try {
      await clock.start();
    } catch (e) {
      conn.disconnect();
      throw e;
    }
    return {
      clock,
      stop: async () => {
        await clock.stop();
        conn.disconnect();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const reader of [...this.readers]) reader.close();
    this.commands.disconnect();
  }

  private async command<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw this.failure(what, e);
    }
  }

  private failure(what: string, e: unknown): WsbenchError {
    return new WsbenchError('REDIS_UNREACHABLE', `control Redis ${redactText(this.url)}: ${what} failed: ${messageOf(e)}`, {
      cause: e,
    });
  }
}

export interface ReadOptions {
  /** Wait this long for an entry (XREAD BLOCK); omitted: return at once. */
  blockMs?: number;
  count?: number;
}

/** Blocking reads on a connection of their own. */
export class StreamReader {
  private closed = false;

  constructor(
    private readonly conn: RedisClient,
    private readonly protocolId: string,
    private readonly onClose: () => void,
  ) {}

  /** XREAD [BLOCK ms] COUNT n STREAMS key afterId. */
  async read<R extends StreamRole>(role: R, key: string, afterId: string, options: ReadOptions = {}): Promise<ControlEntry<R>[]> {
    const args = ['COUNT', String(options.count ?? 100), ...(options.blockMs !== undefined ? ['BLOCK', String(options.blockMs)] : [])];
    return this.decode(role, (await this.conn.call('XREAD', ...args, 'STREAMS', key, afterId)) as StreamReply);
  }

  /** XREADGROUP GROUP group consumer [BLOCK ms] COUNT n STREAMS key > (or 0: this consumer's entries read and not acknowledged). */
  async readGroup<R extends StreamRole>(
    role: R,
    key: string,
    group: string,
    consumer: string,
    options: ReadOptions & { pending?: boolean } = {},
  ): Promise<ControlEntry<R>[]> {
    const args = ['COUNT', String(options.count ?? 100), ...(options.blockMs !== undefined ? ['BLOCK', String(options.blockMs)] : [])];
    const reply = (await this.conn.call(
      'XREADGROUP',
      'GROUP',
      group,
      consumer,
      ...args,
      'STREAMS',
      key,
      options.pending ? '0' : '>',
    )) as StreamReply;
    return this.decode(role, reply);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.disconnect();
    this.onClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private decode<R extends StreamRole>(role: R, reply: StreamReply): ControlEntry<R>[] {
    const out: ControlEntry<R>[] = [];
    for (const [, entries] of reply ?? []) {
      for (const entry of entries) {
        if (!entry) continue;
        const [id, fields] = entry;
        out.push({
          id,
          idMs: entryIdMs(id),
          // A pending entry trimmed away before it was read comes back without fields.
          decoded: fields
            ? decodeEntry(role, fields, this.protocolId)
            : { ok: false, problem: 'invalid', from: null, detail: `entry ${id} was trimmed before it was read` },
          fields,
        });
      }
    }
    return out;
  }
}
