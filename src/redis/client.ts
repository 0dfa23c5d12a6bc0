/**
 * Redis connections for wsbench's own use (publisher, readiness checks, reference server).
 * Connection failures become one-line SETUP errors that name the URL (password redacted).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { WsbenchError, messageOf } from '../errors.js';
import { redactText } from '../secrets.js';

export type RedisClient = Redis;

export interface OpenRedisOptions {
  /** Name shown in CLIENT LIST, handy when looking at a shared Redis. */
  name: string;
  /** Batch commands issued in the same tick into one write (the publisher). */
  autoPipelining?: boolean;
  connectTimeoutMs?: number;
}

export async function openRedis(url: string, options: OpenRedisOptions): Promise<RedisClient> {
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    enableAutoPipelining: options.autoPipelining ?? false,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Fail fast during setup instead of retrying forever; a lost connection mid-run is an error
    // the run reports, not something to hide behind reconnects.
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  };
  const client = new Redis(url, redisOptions);
  // Errors after connect surface through commands; keep ioredis from printing them.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new WsbenchError('REDIS_UNREACHABLE', `cannot reach Redis at ${redactText(url)}: ${messageOf(e)}`, { cause: e });
  }
  return client;
}

/** PUBSUB NUMSUB for several channels at once. */
export async function numsub(client: RedisClient, channels: string[]): Promise<Map<string, number>> {
  const reply = (await client.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < reply.length; i += 2) counts.set(String(reply[i]), Number(reply[i + 1]));
  return counts;
}
