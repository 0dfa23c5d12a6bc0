/**
 * Redis connections for wsbench's own use (publisher, readiness checks, reference server).
 * Connection failures become one-line SETUP errors that name the URL (password redacted) and the
 * real cause (./connect-failure.ts), and so does a database number (the URL's path) the server
 * does not have; the whole attempt is bounded by `connectTimeoutMs`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, WsbenchError, messageOf } from '../errors.js';
import { redactText } from '../secrets.js';
import { connectFailure, databaseFailure } from './connect-failure.js';

export type RedisClient = Redis;

export interface OpenRedisOptions {
  /** Name shown in CLIENT LIST, handy when looking at a shared Redis. */
  name: string;
  /** Batch commands issued in the same tick into one write (the publisher). */
  autoPipelining?: boolean;
  /** Bound on the whole attempt: TCP, TLS, AUTH and the ready check (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * Once connected, reconnect with backoff (reconnectDelayMs) whenever the connection is lost,
   * and say so: `onDown` when it is lost (with why), `onUp` when it is ready again (with how many
   * reconnect attempts failed before: 0 means Redis answered at once, so it was not down). Commands
   * issued while it is down fail at once instead of waiting in a queue (a publish held through an
   * outage would be a different measurement), and so do commands in flight when it drops. Nothing
   * is resubscribed on its own: the owner knows what it had subscribed. Without this option a lost
   * connection stays lost.
   */
  reconnect?: { onDown(reason: string): void; onUp(failedAttempts: number): void };
}

/** Wait before reconnect attempt `attempt` (1, 2, …): 50 ms doubling up to 1 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.max(0, attempt - 1));
}

export async function openRedis(url: string, options: OpenRedisOptions): Promise<RedisClient> {
  const { reconnect } = options;
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  let established = false;
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    enableAutoPipelining: options.autoPipelining ?? false,
    connectTimeout: timeoutMs,
    // Setup fails fast (no retries before the first connection): an unreachable Redis is a setup
    // error, said at once. Afterwards only connections that asked for it reconnect.
    retryStrategy: (attempt) => (reconnect && established ? reconnectDelayMs(attempt) : null),
    ...(reconnect
      ? { maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResubscribe: false }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: true }),
  };
  const client = new Redis(url, redisOptions);
  // ioredis reads the URL's path (or ?db=) as the database number; a word there becomes NaN, and
  // ioredis would then send SELECT NaN before every command, each failing.
  const db = client.options.db ?? 0;
  if (!Number.isSafeInteger(db)) throw new ConfigError(redactText(`Redis URL ${url}: the database (its path: /0, /1, …) is not a number`));
  // Errors after connect surface through commands; keep ioredis from printing them.
  let lastError: string | null = null;
  // While connecting, the first error is the cause (ioredis then rejects with "Connection is closed.").
  let firstError: unknown;
  client.on('error', (e: unknown) => {
    lastError = messageOf(e);
    if (!established) firstError ??= e;
  });
  if (reconnect) {
    let down = false;
    let failedAttempts = 0;
    client.on('close', () => {
      // 'reconnecting' (not 'end'): lost, not closed on purpose, and a retry is scheduled.
      if (!established || client.status !== 'reconnecting') return;
      if (down) {
        failedAttempts++;
        return;
      }
      down = true;
      failedAttempts = 0;
      reconnect.onDown(lastError ?? 'connection closed by Redis');
    });
    client.on('ready', () => {
      lastError = null;
      if (!down) return;
      down = false;
      reconnect.onUp(failedAttempts);
    });
  }
  // ioredis bounds the TCP/TLS connect only: a peer that accepts and never answers would be waited
  // for forever. This bounds the whole attempt.
  let connected = false;
  let timedOut = false;
  const onConnect = () => (connected = true);
  client.once('connect', onConnect);
  const bound = setTimeout(() => {
    timedOut = true;
    client.disconnect();
    // disconnect() only ends our side and waits up to 2 s for the peer's; a silent peer gets none.
    client.stream?.destroy();
  }, timeoutMs);
  try {
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      const why = connectFailure({ error: firstError ?? e, timedOut, connected, timeoutMs, tls: /^rediss:/i.test(url) });
      throw new WsbenchError('REDIS_UNREACHABLE', redactText(`cannot reach Redis at ${url}: ${why}`), { cause: firstError ?? e });
    }
    if (db !== 0) await selectDatabase(client, db, url, () => timedOut, timeoutMs);
  } finally {
    clearTimeout(bound);
    client.off('connect', onConnect);
  }
  established = true;
  return client;
}

/**
 * The database the URL names (redis://host:6379/<db>), checked. ioredis sends SELECT <db> on
 * connect, but a refusal (a number the server does not have) only becomes an 'error' event: the
 * connection is ready anyway, on database 0, while ioredis believes it is on <db> and never
 * selects again — keys would silently land in database 0. So it is asked once more, and the
 * answer waited for, within the attempt's bound.
 */
async function selectDatabase(client: RedisClient, db: number, url: string, timedOut: () => boolean, timeoutMs: number): Promise<void> {
  try {
    await client.select(db);
  } catch (e) {
    const databases = timedOut() ? null : await databaseCount(client);
    client.disconnect();
    const why = timedOut()
      ? `connected, but no reply to SELECT ${db} within ${timeoutMs} ms`
      : databaseFailure({ db, error: e, databases });
    throw new WsbenchError('REDIS_UNREACHABLE', redactText(`cannot use Redis at ${url}: ${why}`), { cause: e });
  }
}

/** The server's `databases` setting, or null when it will not say (CONFIG may be refused or renamed). */
async function databaseCount(client: RedisClient): Promise<number | null> {
  try {
    const reply = (await client.call('CONFIG', 'GET', 'databases')) as unknown[];
    const count = Number(reply[1]);
    return Number.isSafeInteger(count) ? count : null;
  } catch {
    return null;
  }
}

/** PUBSUB NUMSUB for several channels at once. */
export async function numsub(client: RedisClient, channels: string[]): Promise<Map<string, number>> {
  const reply = (await client.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < reply.length; i += 2) counts.set(String(reply[i]), Number(reply[i + 1]));
  return counts;
}
