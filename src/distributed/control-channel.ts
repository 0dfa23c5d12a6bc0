/**
 * The control protocol (protocol.ts) spoken on a control Redis through ioredis: XADD with
 * MAXLEN ~, XREAD BLOCK, consumer groups (XGROUP, XREADGROUP, XACK, XINFO GROUPS), PEXPIRE, TIME.
 * Connections come from redis/client.ts, so ACL users, passwords and rediss:// work as everywhere
 * else in wsbench. A ControlChannel has one command connection (XADD, XACK, TIME …) plus one
 * connection per blocking reader: a blocking read holds its connection, and nothing may wait
 * behind it. On top: agent-presence.ts (the agent side), agent-registry.ts (the coordinator's view
 * of its agents), run-streams.ts (one run's streams).
 *
 * Outages: a channel opened with `graceMs` rides out a control Redis that goes away (restarted, a
 * dropped connection) for up to that long. Its connections reconnect with backoff; a command that
 * fails because its connection is gone calls `recover`, which starts an outage (`onOutage` says
 * `down`), probes the control Redis until every connection of the channel is back (`up`) and
 * resolves — or, past the grace, rejects with one REDIS_UNREACHABLE error (`gave-up`) that every
 * later `recover` repeats. `send` retries its entry through `recover` with the same `seq`, so a
 * reader that drops entries whose `seq` it has seen (an XADD applied whose reply was lost) neither
 * loses nor re-applies one. Without `graceMs` a failure is final, as before.
 */
import { openRedis, type RedisClient } from '../redis/client.js';
import { WsbenchError, messageOf } from '../errors.js';
import { redactText } from '../secrets.js';
import { monotonicMs } from '../metrics/clock.js';
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
  /** Ride out an unreachable control Redis for this long (ms); omitted: a failure is final. */
  graceMs?: number;
  /** An outage began, ended, or lasted longer than the grace (see the module's comment). */
  onOutage?: (event: OutageEvent) => void;
}

export type OutageEvent =
  { type: 'down'; reason: string; at: number } | { type: 'up'; downMs: number; at: number } | { type: 'gave-up'; error: WsbenchError };

/** How often an outage probes the control Redis. */
const PROBE_MS = 100;

/**
 * Whether `e` says a connection to Redis is gone (ioredis's own words, or the socket's) rather
 * than Redis refusing a command: only those are waited out.
 */
export function connectionLost(e: unknown): boolean {
  const text = `${messageOf(e)} ${e instanceof Error && e.cause !== undefined ? messageOf(e.cause) : ''}`;
  return /Connection is closed|isn't writeable|max retries per request|ECONNRE|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTCONN|LOADING|cannot reach Redis/i.test(
    text,
  );
}

/** XREADGROUP on a group that is not there (a control Redis restarted without persistence). */
export function noGroup(e: unknown): boolean {
  return /NOGROUP/.test(messageOf(e));
}

interface Outage {
  since: number;
  done: Promise<void>;
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
  private readonly connections = new Set<RedisClient>();
  private closed = false;
  private outage: Outage | null = null;
  private gaveUp: WsbenchError | null = null;

  private constructor(
    private readonly url: string,
    readonly sender: string,
    readonly prefix: string,
    private readonly commands: RedisClient,
    private readonly options: ControlChannelOptions,
  ) {
    this.keys = streamKeys(prefix);
    this.connections.add(commands);
  }

  /** Connects to the control Redis (a one-line REDIS_UNREACHABLE error, password redacted, when it cannot). */
  static async open(url: string, options: ControlChannelOptions): Promise<ControlChannel> {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const problem = prefixProblem(prefix);
    if (problem) throw new WsbenchError('CONFIG', `control stream prefix "${prefix}": ${problem}`);
    const commands = await openRedis(url, connectionOptions(`wsbench-ctl-${options.sender}`, options));
    return new ControlChannel(url, options.sender, prefix, commands, options);
  }

  /** A connection of this channel (reconnecting when the channel rides out outages), forgotten once closed. */
  private async connection(label: string): Promise<RedisClient> {
    const conn = await openRedis(this.url, connectionOptions(`wsbench-ctl-${this.sender}-${label}`, this.options));
    this.connections.add(conn);
    conn.once('end', () => this.connections.delete(conn));
    return conn;
  }

  /** The grace this channel rides out outages for (ms), or null. */
  get graceMs(): number | null {
    return this.options.graceMs ?? null;
  }

  /**
   * After a command failed with `e`: when `e` is a lost connection and the channel rides out
   * outages, resolves once the control Redis answers again on every connection (an outage begins
   * if none is under way); rejects with `e` otherwise, or with the outage's error past the grace.
   */
  async recover(e: unknown): Promise<void> {
    if (this.gaveUp) throw this.gaveUp;
    const error = e instanceof WsbenchError ? e : this.failure('a command', e);
    if (this.options.graceMs === undefined || this.closed || !connectionLost(e)) throw error;
    this.outage ??= this.startOutage(messageOf(e));
    await this.outage.done;
  }

  private startOutage(reason: string): Outage {
    const since = monotonicMs();
    const graceMs = this.options.graceMs!;
    this.options.onOutage?.({ type: 'down', reason: redactText(reason), at: since });
    const done = (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, PROBE_MS));
        if (this.closed) throw new WsbenchError('REDIS_UNREACHABLE', `control Redis ${redactText(this.url)}: the channel was closed`);
        const back =
          [...this.connections].every((c) => c.status === 'ready') &&
          (await this.commands.call('TIME').then(
            () => true,
            () => false,
          ));
        const now = monotonicMs();
        if (back) {
          this.outage = null;
          this.options.onOutage?.({ type: 'up', downMs: now - since, at: now });
          return;
        }
        if (now - since > graceMs) {
          this.gaveUp = new WsbenchError(
            'REDIS_UNREACHABLE',
            `control Redis ${redactText(this.url)} unreachable for more than ${(graceMs / 1000).toFixed(1)} s (${redactText(reason)})`,
          );
          this.outage = null;
          this.options.onOutage?.({ type: 'gave-up', error: this.gaveUp });
          throw this.gaveUp;
        }
      }
    })();
    done.catch(() => {});
    return { since, done };
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
    // Through an outage the same entry (same seq) is tried again: readers drop a seq they have seen.
    for (;;) {
      try {
        return (await this.commands.call('XADD', key, 'MAXLEN', '~', String(this.maxLenOf(role)), '*', ...fields)) as string;
      } catch (e) {
        await this.recover(this.failure(`XADD ${key}`, e));
      }
    }
  }

  /** A reader on its own connection (blocking reads hold it). */
  async reader(label: string): Promise<StreamReader> {
    const conn = await this.connection(label);
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
    const conn = await this.connection('clock');
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

/** Connections of a channel that rides out outages reconnect with backoff (redis/client.ts); the channel's probe says when they are back. */
function connectionOptions(name: string, options: ControlChannelOptions): Parameters<typeof openRedis>[1] {
  return {
    name,
    connectTimeoutMs: options.connectTimeoutMs,
    ...(options.graceMs !== undefined ? { reconnect: { onDown: () => {}, onUp: () => {} } } : {}),
  };
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
