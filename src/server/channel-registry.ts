/**
 * The reference server's channels: its one Redis subscriber connection, which channels it is
 * subscribed to, and who receives each channel's messages — the WebSocket clients (through the
 * fan-out) and, once somebody polls it, the channel's poll buffer.
 *
 * A channel is subscribed when its first client or poller arrives, and `subscribed()` resolves only
 * once Redis has confirmed the SUBSCRIBE, so a client counts as ready only when messages will reach
 * it. A channel is unsubscribed when its last WebSocket client leaves and no poller has asked for it
 * for POLL_IDLE_MS. Everything about the Redis side of the server (its connection state, what is
 * subscribed) lives here.
 */
import { isUtf8 } from 'node:buffer';
import { openRedis, type RedisClient } from '../redis/client.js';
import { FanoutChannel, type Fanout, type Recipient } from './fanout.js';
import { PollBuffer } from './poll-buffer.js';

/** A channel used only by pollers is unsubscribed after this long without a poll. */
const POLL_IDLE_MS = 60_000;

export interface ChannelStats {
  /** WebSocket clients. */
  clients: number;
  /** Redis SUBSCRIBE confirmed. */
  live: boolean;
  /** Long-poll requests being held right now. */
  pollersWaiting: number;
}

export interface ChannelRegistryOptions {
  redisUrl: string;
  /** Prepended to a channel's name to form its Redis channel. */
  channelPrefix: string;
  /** Messages kept per channel for pollers. */
  pollBufferSize: number;
}

interface Channel {
  readonly name: string;
  /** WebSocket clients, and this turn's frames for them. */
  readonly fan: FanoutChannel;
  live: boolean;
  subscribing: Promise<void> | null;
  /** Created when the first poller joins; kept while polling goes on. */
  buffer: PollBuffer | null;
  lastPollAt: number;
}

export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>();
  private redisUp = true;
  private readonly idleSweep: NodeJS.Timeout;

  /** Connects the subscriber (a SETUP error when Redis cannot be reached). */
  static async open(options: ChannelRegistryOptions, fanout: Fanout, counters: { messagesIn: number }): Promise<ChannelRegistry> {
    const subscriber = await openRedis(options.redisUrl, { name: 'wsbench-server-sub' });
    return new ChannelRegistry(subscriber, options, fanout, counters);
  }

  private constructor(
    private readonly subscriber: RedisClient,
    private readonly options: ChannelRegistryOptions,
    private readonly fanout: Fanout,
    counters: { messagesIn: number },
  ) {
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
    }, POLL_IDLE_MS / 4);
    this.idleSweep.unref();
  }

  /** Whether the Redis subscriber is connected. */
  get redisConnected(): boolean {
    return this.redisUp;
  }

  /** The channel, subscribed in Redis (SUBSCRIBE confirmed) by the time this resolves. */
  async subscribed(name: string): Promise<Channel> {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = { name, fan: new FanoutChannel(), live: false, subscribing: null, buffer: null, lastPollAt: 0 };
      this.channels.set(name, channel);
    }
    if (!channel.live) {
      const current = channel;
      current.subscribing ??= this.subscriber.subscribe(this.options.channelPrefix + name).then(() => {
        current.live = true;
        current.subscribing = null;
      });
      await current.subscribing;
    }
    return channel;
  }

  /** The channel's poll buffer, created on its first poll; the poll keeps the channel subscribed. */
  async pollBuffer(name: string): Promise<PollBuffer> {
    const channel = await this.subscribed(name);
    channel.buffer ??= new PollBuffer(this.options.pollBufferSize);
    channel.lastPollAt = Date.now();
    return channel.buffer;
  }

  /** Adds a WebSocket client to its channel once the channel is live (unless it closed meanwhile). */
  async join(recipient: Recipient, name: string): Promise<void> {
    const channel = await this.subscribed(name);
    if (recipient.ws.readyState === recipient.ws.OPEN) channel.fan.add(recipient);
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

  close(): void {
    clearInterval(this.idleSweep);
    this.subscriber.disconnect();
  }

  private unsubscribeIfUnused(channel: Channel): void {
    if (channel.fan.recipients.size > 0 || !channel.live) return;
    if (channel.buffer && (channel.buffer.waiting > 0 || Date.now() - channel.lastPollAt < POLL_IDLE_MS)) return;
    this.channels.delete(channel.name);
    this.subscriber.unsubscribe(this.options.channelPrefix + channel.name).catch(() => {});
  }
}
