/**
 * The reference server's channels: its one Redis subscriber connection, which channels it is
 * subscribed to, and who receives each channel's messages — the WebSocket clients (through the
 * fan-out) and, once somebody polls it, the channel's poll buffer.
 *
 * A channel is subscribed when its first client or poller arrives, and `subscribed()` resolves only
 * once Redis has confirmed the SUBSCRIBE, so a client counts as ready only when messages will reach
 * it. A WebSocket upgrade is answered only once its channel is live (`reserve` holds the channel
 * meanwhile, `joinReserved` adds the client in the same turn as its 101 goes out): a client whose
 * upgrade completed is subscribed, which is what wsbench's ledger counts on after a reconnect. A channel is unsubscribed when its last WebSocket client leaves and no poller has asked for it
 * for POLL_IDLE_MS. Everything about the Redis side of the server (its connection state, what is
 * subscribed) lives here.
 *
 * When the subscriber connection is lost it reconnects with backoff (redis/client.ts) and
 * resubscribes every channel it had; until then every channel is not live and /healthz says 503.
 * Why it was lost is told apart when it is back: Redis restarted (its run_id changed), Redis was
 * unreachable (reconnect attempts failed), or Redis closed this subscriber while it stayed up — the
 * `subscriber-dropped` incident, with Redis's reason when its counters tell it
 * (client_output_buffer_limit_disconnections for the output-buffer limit).
 *
 * With client publishing on, a second connection PUBLISHes what WebSocket clients send to their
 * channel (`publish`): the message then reaches every member, on every server process, the way an
 * app's own publishes do.
 *
 * Polls create channels too (a subscription per distinct name): at most `maxPollChannels` channels
 * with a poll buffer exist at once; a poll for one more is refused (PollChannelLimitError, HTTP 429
 * from the poll endpoint) until idle ones are released.
 */
import { isUtf8 } from 'node:buffer';
import { monotonicMs } from '../metrics/clock.js';
import { openRedis, type RedisClient } from '../redis/client.js';
import { FanoutChannel, bufferedBytesOf, type Fanout, type Recipient } from './fanout.js';
import { PollBuffer } from './poll-buffer.js';
import { DEFAULT_MAX_POLL_CHANNELS, POLL_IDLE_MS } from './poll-limits.js';

export { DEFAULT_MAX_POLL_CHANNELS, POLL_IDLE_MS };
/** Channels per SUBSCRIBE command when resubscribing. */
const RESUBSCRIBE_BATCH = 1000;

export interface ChannelStats {
  /** WebSocket clients. */
  clients: number;
  /** Redis SUBSCRIBE confirmed. */
  live: boolean;
  /** Long-poll requests being held right now. */
  pollersWaiting: number;
}

/** What the server says about its Redis subscriber, at monotonic time `at`. */
export interface ServerIncident {
  kind: 'subscriber-dropped' | 'subscriber-restored';
  detail: string;
  at: number;
}

export interface ChannelRegistryOptions {
  redisUrl: string;
  /** Prepended to a channel's name to form its Redis channel. */
  channelPrefix: string;
  /** Messages kept per channel for pollers. */
  pollBufferSize: number;
  /** Channels with a poll buffer at most (default DEFAULT_MAX_POLL_CHANNELS). */
  maxPollChannels?: number;
  /** A channel only polled is released after this long without a poll (default POLL_IDLE_MS). */
  pollIdleMs?: number;
  /** Told when the subscriber is dropped and when it is subscribed again. */
  onIncident?: (incident: ServerIncident) => void;
  /**
   * Open a second Redis connection that PUBLISHes what clients send (`clientPublish`): a
   * subscriber connection cannot publish.
   */
  clientPublish?: boolean;
}

/** What the registry counts of the messages clients send (client publishing). */
export interface ClientPublishCounters {
  /** Client messages PUBLISHed to Redis (Redis answered). */
  clientPublishes: number;
  /** Client messages whose PUBLISH failed (the publishing connection down, or Redis refused). */
  clientPublishFailures: number;
}

/** A poll asked for a new channel while `limit` channels already have a poll buffer. */
export class PollChannelLimitError extends Error {
  constructor(
    readonly limit: number,
    /** When idle channels are released: a poll may try again after this long. */
    readonly idleMs: number,
  ) {
    super(
      `this server process already serves ${limit} polled channels (--max-poll-channels); idle ones are released after ${idleMs / 1000} s without a poll`,
    );
  }
}

interface Channel {
  readonly name: string;
  /** WebSocket clients, and this turn's frames for them. */
  readonly fan: FanoutChannel;
  live: boolean;
  subscribing: Promise<void> | null;
  /** Created when the first poller joins; kept while polling goes on. */
  buffer: PollBuffer | null;
  /** Upgrades waiting to join (reserve → joinReserved or release): the channel is kept for them. */
  reserved: number;
  lastPollAt: number;
}

/** What Redis says of itself that tells a restart and an output-buffer drop apart. */
export interface RedisFacts {
  runId?: string;
  outputBufferDisconnections?: number;
  /** `<hard> <soft> <seconds>` in bytes and seconds. */
  pubsubLimit?: string;
}

export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();
  private redisUp = true;
  private readonly idleSweep: NodeJS.Timeout;
  private readonly maxPollChannels: number;
  private readonly pollIdleMs: number;
  private pollChannels = 0;
  /** When the subscriber was lost (monotonic ms), while it is. */
  private downAt = 0;
  /** Resolves when the subscriber is back and every channel resubscribed. */
  private back: Promise<void> = Promise.resolve();
  private backNow: () => void = () => {};
  /** Bumped on every loss: a recovery that a newer loss overtook stops. */
  private epoch = 0;
  private facts: RedisFacts = {};
  private lossReason = '';
  private closed = false;

  /** Connects the subscriber, and the publisher for client publishing (a SETUP error when Redis cannot be reached). */
  static async open(
    options: ChannelRegistryOptions,
    fanout: Fanout,
    counters: { messagesIn: number } & ClientPublishCounters,
  ): Promise<ChannelRegistry> {
    let registry: ChannelRegistry | null = null;
    const subscriber = await openRedis(options.redisUrl, {
      name: 'wsbench-server-sub',
      reconnect: {
        onDown: (reason) => registry?.lost(reason),
        onUp: (failedAttempts) => registry?.reconnected(failedAttempts),
      },
    });
    let publisher: RedisClient | null = null;
    if (options.clientPublish) {
      try {
        // Reconnects on its own; while it is down a client's message fails at once (counted), as
        // a publish held through an outage would arrive as a different message at another time.
        publisher = await openRedis(options.redisUrl, {
          name: 'wsbench-server-pub',
          autoPipelining: true,
          reconnect: { onDown: () => {}, onUp: () => {} },
        });
      } catch (e) {
        subscriber.disconnect();
        throw e;
      }
    }
    registry = new ChannelRegistry(subscriber, publisher, options, fanout, counters);
    registry.facts = await redisFacts(subscriber);
    return registry;
  }

  private constructor(
    private readonly subscriber: RedisClient,
    private readonly publisher: RedisClient | null,
    private readonly options: ChannelRegistryOptions,
    private readonly fanout: Fanout,
    private readonly counters: { messagesIn: number } & ClientPublishCounters,
  ) {
    this.maxPollChannels = options.maxPollChannels ?? DEFAULT_MAX_POLL_CHANNELS;
    this.pollIdleMs = options.pollIdleMs ?? POLL_IDLE_MS;
    const prefixLength = options.channelPrefix.length;
    subscriber.on('end', () => (this.redisUp = false));
    subscriber.on('messageBuffer', (redisChannel: Buffer, message: Buffer) => {
      counters.messagesIn++;
      const channel = this.channels.get(redisChannel.toString().slice(prefixLength));
      if (!channel) return;
      channel.buffer?.push(message);
      this.fanout.publish(channel.fan, message, !isUtf8(message));
    });
    this.idleSweep = setInterval(() => {
      for (const channel of this.channels.values()) if (channel.buffer) this.unsubscribeIfUnused(channel);
    }, this.pollIdleMs / 4);
    this.idleSweep.unref();
  }

  /** Whether the Redis subscriber is connected (and, after a loss, every channel resubscribed). */
  get redisConnected(): boolean {
    return this.redisUp;
  }

  /** The channel, subscribed in Redis (SUBSCRIBE confirmed) by the time this resolves. */
  async subscribed(name: string): Promise<Channel> {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { name, fan: new FanoutChannel(), live: false, subscribing: null, buffer: null, lastPollAt: 0, reserved: 0 };
      this.channels.set(name, channel);
    }
    while (!channel.live) {
      const current = channel;
      current.subscribing ??= this.subscribe(current).finally(() => (current.subscribing = null));
      await current.subscribing;
    }
    return channel;
  }

  /** The channel's poll buffer, created on its first poll; the poll keeps the channel subscribed. */
  async pollBuffer(name: string): Promise<PollBuffer> {
    const existing = this.channels.get(name);
    if (!existing?.buffer && this.pollChannels >= this.maxPollChannels)
      throw new PollChannelLimitError(this.maxPollChannels, this.pollIdleMs);
    const channel = await this.subscribed(name);
    if (!channel.buffer) {
      // Checked again: other polls may have taken the last places while this one subscribed.
      if (this.pollChannels >= this.maxPollChannels) {
        this.unsubscribeIfUnused(channel);
        throw new PollChannelLimitError(this.maxPollChannels, this.pollIdleMs);
      }
      channel.buffer = new PollBuffer(this.options.pollBufferSize);
      this.pollChannels++;
    }
    channel.lastPollAt = Date.now();
    return channel.buffer;
  }

  /** Holds the channel for an upgrade until joinReserved or release: resolves once it is live in Redis. */
  async reserve(name: string): Promise<void> {
    const channel = await this.subscribed(name);
    channel.reserved++;
  }

  /**
   * Adds a client whose upgrade was reserved, at once when its channel is still live (so it gets
   * every message Redis hands over from now on), else once it is live again.
   */
  joinReserved(recipient: Recipient, name: string): Promise<void> {
    const channel = this.channels.get(name);
    if (channel) channel.reserved--;
    if (channel?.live) {
      if (recipient.ws.readyState === recipient.ws.OPEN) channel.fan.add(recipient);
      return Promise.resolve();
    }
    return this.join(recipient, name);
  }

  /** An upgrade that reserved its channel will not join (its socket went away meanwhile). */
  release(name: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    channel.reserved--;
    this.unsubscribeIfUnused(channel);
  }

  /** Adds a WebSocket client to its channel once the channel is live (unless it closed meanwhile). */
  async join(recipient: Recipient, name: string): Promise<void> {
    const channel = await this.subscribed(name);
    if (recipient.ws.readyState === recipient.ws.OPEN) channel.fan.add(recipient);
  }

  /**
   * PUBLISHes a client's message to channel `name`'s Redis channel (client publishing): it reaches
   * the channel's clients the way every other message does, through Redis and every server
   * process subscribed to it (this one included), so a cluster fans it out as a whole. Not
   * awaited by the endpoint: failures are counted, never thrown.
   */
  publish(name: string, message: Buffer): void {
    const publisher = this.publisher;
    if (!publisher) return;
    publisher.publish(this.options.channelPrefix + name, message).then(
      () => this.counters.clientPublishes++,
      () => this.counters.clientPublishFailures++,
    );
  }

  /** Whether client messages are published (the server was started with client publishing). */
  get publishesClientMessages(): boolean {
    return this.publisher !== null;
  }

  leave(recipient: Recipient, name: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    channel.fan.recipients.delete(recipient);
    this.unsubscribeIfUnused(channel);
  }

  stats(): Record<string, ChannelStats> {
    const byChannel: Record<string, ChannelStats> = {};
    for (const [name, c] of this.channels)
      byChannel[name] = { clients: c.fan.recipients.size, live: c.live, pollersWaiting: c.buffer?.waiting ?? 0 };
    return byChannel;
  }

  /**
   * Bytes queued in this process for its WebSocket clients that their sockets have not handed to
   * the kernel (slow readers make it grow): the sum, and the most one client has.
   */
  buffered(): { total: number; max: number } {
    let total = 0;
    let max = 0;
    for (const c of this.channels.values())
      for (const r of c.fan.recipients) {
        const bytes = bufferedBytesOf(r);
        total += bytes;
        if (bytes > max) max = bytes;
      }
    return { total, max };
  }

  /** Channels with a poll buffer right now. */
  get polledChannels(): number {
    return this.pollChannels;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.idleSweep);
    this.subscriber.disconnect();
    this.publisher?.disconnect();
  }

  /** SUBSCRIBE one channel; while the subscriber is down, wait until it is back (which resubscribes it). */
  private async subscribe(channel: Channel): Promise<void> {
    if (!this.redisUp) return this.back;
    try {
      await this.subscriber.subscribe(this.options.channelPrefix + channel.name);
      // A loss between the command and its reply leaves it to the resubscription.
      if (this.redisUp) channel.live = true;
    } catch (e) {
      // Lost while subscribing: the recovery resubscribes it. Anything else is the caller's error.
      if (this.redisUp) throw e;
    }
  }

  /** The subscriber connection was lost (it reconnects on its own). */
  private lost(reason: string): void {
    if (this.closed) return;
    this.epoch++;
    if (!this.redisUp) return;
    this.redisUp = false;
    this.downAt = monotonicMs();
    this.lossReason = reason;
    for (const channel of this.channels.values()) channel.live = false;
    this.back = new Promise((resolve) => (this.backNow = resolve));
  }

  /** The subscriber is connected again: why it was lost, then every channel subscribed again. */
  private reconnected(failedAttempts: number): void {
    void this.recover(this.epoch, failedAttempts).catch(() => {
      // Lost again while resubscribing: the next reconnect recovers.
    });
  }

  private async recover(epoch: number, failedAttempts: number): Promise<void> {
    const before = this.facts;
    const now = await redisFacts(this.subscriber);
    if (epoch !== this.epoch || this.closed) return;
    // Channels created meanwhile (their clients wait for this) are subscribed in a further round.
    const done = new Set<string>();
    for (;;) {
      const pending = [...this.channels.keys()].filter((name) => !done.has(name));
      if (pending.length === 0) break;
      for (let i = 0; i < pending.length; i += RESUBSCRIBE_BATCH)
        await this.subscriber.subscribe(...pending.slice(i, i + RESUBSCRIBE_BATCH).map((name) => this.options.channelPrefix + name));
      if (epoch !== this.epoch || this.closed) return;
      for (const name of pending) done.add(name);
    }
    this.facts = { ...before, ...now };
    for (const channel of this.channels.values()) channel.live = true;
    this.redisUp = true;
    this.backNow();
    // Channels whose last client left meanwhile could not be unsubscribed while down.
    for (const channel of [...this.channels.values()]) this.unsubscribeIfUnused(channel);
    const at = monotonicMs();
    const downFor = `${((at - this.downAt) / 1000).toFixed(1)} s`;
    const restarted = before.runId !== undefined && now.runId !== undefined && before.runId !== now.runId;
    let cause: string;
    if (restarted) cause = 'Redis restarted';
    else {
      const why =
        failedAttempts > 0
          ? `Redis was unreachable from the server (${failedAttempts} reconnect attempt(s) failed; ${this.lossReason})`
          : droppedBy(before, now);
      this.options.onIncident?.({
        kind: 'subscriber-dropped',
        detail: `the reference server's Redis subscriber was dropped: ${why}`,
        at: this.downAt,
      });
      cause = 'the drop';
    }
    this.options.onIncident?.({
      kind: 'subscriber-restored',
      detail: `the reference server resubscribed ${done.size} channel(s) ${downFor} after ${cause}; messages published while it was not subscribed reached no subscriber`,
      at,
    });
  }

  private unsubscribeIfUnused(channel: Channel): void {
    if (channel.fan.recipients.size > 0 || channel.reserved > 0 || !channel.live) return;
    if (channel.buffer && (channel.buffer.waiting > 0 || Date.now() - channel.lastPollAt < this.pollIdleMs)) return;
    this.channels.delete(channel.name);
    if (channel.buffer) this.pollChannels--;
    this.subscriber.unsubscribe(this.options.channelPrefix + channel.name).catch(() => {});
  }
}

/** Why Redis closed a subscriber while it stayed up, as far as Redis tells. */
export function droppedBy(before: RedisFacts, now: RedisFacts): string {
  const limit = now.pubsubLimit ? ` (client-output-buffer-limit pubsub ${now.pubsubLimit})` : '';
  if (before.outputBufferDisconnections === undefined || now.outputBufferDisconnections === undefined)
    return `Redis closed it while staying up: for its output-buffer limit${limit} if this server process fell that far behind, or CLIENT KILL, a timeout or a proxy in between; this Redis does not count output-buffer disconnections (INFO stats client_output_buffer_limit_disconnections, in newer Redis), so which one is not known`;
  if (now.outputBufferDisconnections > before.outputBufferDisconnections)
    return `Redis closed it for exceeding its output-buffer limit${limit}: this server process read its messages too slowly`;
  return 'Redis closed it while staying up, not for its output-buffer limit: CLIENT KILL, a timeout, or a proxy in between';
}

/** Redis's run_id, output-buffer disconnection count (newer Redis) and pubsub output-buffer limit; what it refuses is left out. */
async function redisFacts(client: RedisClient): Promise<RedisFacts> {
  const field = (text: string, key: string) => new RegExp(`^${key}:(.*)$`, 'm').exec(text)?.[1]?.trim();
  const [server, stats, limits] = await Promise.all([
    client.info('server').catch(() => ''),
    client.info('stats').catch(() => ''),
    client.config('GET', 'client-output-buffer-limit').catch(() => []) as Promise<unknown>,
  ]);
  const runId = field(server, 'run_id');
  const disconnections = field(stats, 'client_output_buffer_limit_disconnections');
  const pubsubLimit = Array.isArray(limits) ? /pubsub (\d+ \d+ \d+)/.exec(String(limits[1] ?? ''))?.[1] : undefined;
  return {
    ...(runId ? { runId } : {}),
    ...(disconnections !== undefined ? { outputBufferDisconnections: Number(disconnections) } : {}),
    ...(pubsubLimit ? { pubsubLimit } : {}),
  };
}
