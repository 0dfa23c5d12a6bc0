/**
 * The console's Redis side: one connection for PUBLISH and, opened on the first /subscribe or
 * /psubscribe, a second one in subscriber mode (Redis allows nothing else on it).
 */
import { openRedis, type RedisClient } from '../redis/client.js';
import { redactText } from '../secrets.js';
import type { ConsoleEventBody, RedisStatus } from './events.js';

export class RedisBridge {
  private subscriber: RedisClient | null = null;
  private opening: Promise<RedisClient> | null = null;
  private readonly channels = new Set<string>();
  private readonly patterns = new Set<string>();
  private connected = true;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly publisher: RedisClient,
    private readonly emit: (event: ConsoleEventBody) => void,
  ) {
    publisher.on('end', () => this.lost());
  }

  static async open(url: string, emit: (event: ConsoleEventBody) => void): Promise<RedisBridge> {
    const publisher = await openRedis(url, { name: 'wsbench-connect' });
    return new RedisBridge(url, publisher, emit);
  }

  status(): RedisStatus {
    return { url: redactText(this.url), connected: this.connected, channels: [...this.channels], patterns: [...this.patterns] };
  }

  /** PUBLISH; resolves with the number of subscribers that received it. */
  async publish(channel: string, message: string): Promise<number> {
    return this.publisher.publish(channel, message);
  }

  async subscribe(channels: string[]): Promise<number> {
    const sub = await this.subscriberConnection();
    const count = Number(await sub.subscribe(...channels));
    for (const c of channels) this.channels.add(c);
    return count;
  }

  async psubscribe(patterns: string[]): Promise<number> {
    const sub = await this.subscriberConnection();
    const count = Number(await sub.psubscribe(...patterns));
    for (const p of patterns) this.patterns.add(p);
    return count;
  }

  /** Drops the named channels and patterns (a name is taken as a pattern if one is subscribed); all when none named. */
  async unsubscribe(names: string[]): Promise<{ names: string[]; count: number }> {
    const sub = this.subscriber;
    if (!sub) return { names, count: 0 };
    const channels = names.length ? names.filter((n) => !this.patterns.has(n)) : [...this.channels];
    const patterns = names.length ? names.filter((n) => this.patterns.has(n)) : [...this.patterns];
    if (channels.length) await sub.unsubscribe(...channels);
    if (patterns.length) await sub.punsubscribe(...patterns);
    for (const c of channels) this.channels.delete(c);
    for (const p of patterns) this.patterns.delete(p);
    return { names: [...channels, ...patterns], count: this.channels.size + this.patterns.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    const quit = async (c: RedisClient | null) => {
      if (!c) return;
      try {
        await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 1000).unref())]);
      } catch {
        /* already gone */
      }
      c.disconnect();
    };
    const pendingSub = this.opening ? this.opening.catch(() => null) : Promise.resolve(this.subscriber);
    await Promise.all([quit(this.publisher), pendingSub.then(quit)]);
  }

  private subscriberConnection(): Promise<RedisClient> {
    if (this.subscriber) return Promise.resolve(this.subscriber);
    this.opening ??= openRedis(this.url, { name: 'wsbench-connect-sub' }).then(
      (sub) => {
        sub.on('messageBuffer', (channel: Buffer, data: Buffer) => this.emit({ type: 'redis-message', channel: channel.toString(), data }));
        sub.on('pmessageBuffer', (pattern: Buffer, channel: Buffer, data: Buffer) =>
          this.emit({ type: 'redis-message', channel: channel.toString(), pattern: pattern.toString(), data }),
        );
        sub.on('end', () => this.lost());
        this.subscriber = sub;
        this.opening = null;
        if (this.closed) sub.disconnect();
        return sub;
      },
      (e: unknown) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  private lost(): void {
    if (this.closed || !this.connected) return;
    this.connected = false;
    this.emit({ type: 'error', message: `lost the connection to Redis at ${redactText(this.url)}`, fatal: false });
  }
}
