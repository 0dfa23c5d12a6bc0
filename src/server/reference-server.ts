/**
 * The built-in reference server: what a typical Redis → WebSocket fan-out server does, kept
 * small and honest so wsbench has a known target.
 *
 *   GET /ws/<channel>   WebSocket; every message PUBLISHed on Redis channel <prefix><channel> is
 *                       forwarded verbatim (text frame when the bytes are UTF-8, binary otherwise)
 *   GET /poll/<channel>?after=<cursor>[&timeout=<ms>][&max=<n>]
 *                       long-polling and interval polling over the same feed: without `after`,
 *                       joins (subscribes) and answers the current cursor at once; with it,
 *                       answers at once when newer messages exist, else holds the request until
 *                       one arrives or `timeout` (default 25 s; 0 = answer at once) passes.
 *                       The answer's format (batch body, cursor and missed headers): wire/poll-batch.ts
 *   GET /healthz        200 when Redis is connected, 503 otherwise
 *   GET /stats          JSON: per channel, clients and whether the Redis subscription is live
 *
 * One Redis subscriber connection per server process; a channel is subscribed when its first
 * client arrives and a client is counted ready only once that SUBSCRIBE is confirmed. Messages are
 * framed once and written to each client once per event-loop turn (see fanout.ts). Several
 * processes (cluster.ts) each run one of these with their own subscriber; /stats and /healthz
 * then answer for all of them (`statsSource`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { openRedis, type RedisClient } from '../redis/client.js';
import { WsbenchError, messageOf } from '../errors.js';
import { CURSOR_HEADER, MISSED_HEADER, encodePollBatch } from '../wire/poll-batch.js';
import { PollBuffer, type PollBatch } from './poll-buffer.js';
import { Fanout, FanoutChannel, recipientOf, type Recipient } from './fanout.js';

export interface ReferenceServerOptions {
  host: string;
  port: number;
  redisUrl: string;
  /** Largest message accepted from a client. */
  maxPayload: number;
  perMessageDeflate: boolean;
  /** Prepended to the URL's channel to form the Redis channel. */
  channelPrefix?: string;
  /**
   * A client whose unsent data exceeds this is disconnected (1013) instead of growing memory
   * without bound; the drop shows up as loss in the client's ledger.
   */
  maxBufferedBytes?: number;
  /**
   * 0 (default): each client gets one write per event-loop turn with every message of that turn.
   * > 0: messages are collected this many ms before the write — fewer syscalls per delivery when
   * messages are sparse, at up to this much added latency.
   */
  writeDelayMs?: number;
  /** Messages kept per channel for pollers (default 10,000). */
  pollBufferSize?: number;
  /** How long a long-poll request is held when nothing is new (default 25 s). */
  longPollTimeoutMs?: number;
  /**
   * Set when this is one of several server processes: poll cursors then carry the process
   * (cursor = local × count + index), so a cursor shown to another process is refused (409)
   * instead of being misread.
   */
  cluster?: { index: number; count: number };
  /** What /stats and /healthz report; default: this process's own stats. */
  statsSource?: () => Promise<ServerStats>;
}

export interface ChannelStats {
  /** WebSocket clients. */
  clients: number;
  /** Redis SUBSCRIBE confirmed. */
  live: boolean;
  /** Long-poll requests being held right now. */
  pollersWaiting: number;
}

export interface ServerStats {
  /** Server processes these figures cover. */
  processes: number;
  /** Processes whose Redis subscriber is connected. */
  redisConnected: number;
  connections: number;
  /** With several processes: each one's connections (how evenly they were spread). */
  connectionsPerProcess?: number[];
  channels: Record<string, ChannelStats>;
  /** Messages received from Redis. */
  messagesIn: number;
  /** Frames queued to clients. */
  deliveries: number;
  /** Clients dropped for being too slow. */
  slowClientsDropped: number;
  /** Poll requests answered. */
  pollRequests: number;
  /** Messages pollers asked for that had already left the buffer. */
  pollMissed: number;
}

interface Channel {
  name: string;
  /** WebSocket clients, and this turn's frames for them. */
  fan: FanoutChannel;
  live: boolean;
  subscribing: Promise<void> | null;
  /** Created when the first poller joins; kept while polling goes on. */
  buffer: PollBuffer | null;
  lastPollAt: number;
}

/** A channel used only by pollers is unsubscribed after this long without a poll. */
const POLL_IDLE_MS = 60_000;

export interface ReferenceServer {
  /** ws://host:port — clients connect to `${url}/ws/<channel>`. */
  url: string;
  port: number;
  stats(): ServerStats;
  close(): Promise<void>;
}

const WS_PATH = /^\/ws\/([^/?#]+)$/;
const POLL_PATH = /^\/poll\/([^/?#]+)$/;

export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const prefix = options.channelPrefix ?? '';
  const maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  const subscriber = await openRedis(options.redisUrl, { name: 'wsbench-server-sub' });
  let redisUp = true;
  subscriber.on('end', () => (redisUp = false));

  const pollBufferSize = options.pollBufferSize ?? 10_000;
  const longPollTimeoutMs = options.longPollTimeoutMs ?? 25_000;
  const channels = new Map<string, Channel>();
  const stats = { messagesIn: 0, deliveries: 0, slowClientsDropped: 0, pollRequests: 0, pollMissed: 0 };
  const fanout = new Fanout(maxBuffered, stats, options.writeDelayMs ?? 0);
  const clusterCount = options.cluster?.count ?? 1;
  const clusterIndex = options.cluster?.index ?? 0;
  const cursorOut = (local: number) => local * clusterCount + clusterIndex;

  subscriber.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
    stats.messagesIn++;
    const channel = channels.get(channelBuf.toString().slice(prefix.length));
    if (!channel) return;
    channel.buffer?.push(message);
    fanout.publish(channel.fan, message, !isUtf8(message));
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    perMessageDeflate: options.perMessageDeflate,
    clientTracking: true,
  });

  /** The channel, subscribed in Redis (SUBSCRIBE confirmed) by the time this resolves. */
  async function subscribed(name: string): Promise<Channel> {
    let channel = channels.get(name);
    if (!channel) {
      channel = { name, fan: new FanoutChannel(), live: false, subscribing: null, buffer: null, lastPollAt: 0 };
      channels.set(name, channel);
    }
    if (!channel.live) {
      const current = channel;
      current.subscribing ??= subscriber.subscribe(prefix + name).then(() => {
        current.live = true;
        current.subscribing = null;
      });
      await current.subscribing;
    }
    return channel;
  }

  async function join(recipient: Recipient, name: string): Promise<void> {
    const channel = await subscribed(name);
    if (recipient.ws.readyState === recipient.ws.OPEN) channel.fan.add(recipient);
  }

  function unsubscribeIfUnused(channel: Channel): void {
    if (channel.fan.recipients.size > 0 || !channel.live) return;
    if (channel.buffer && (channel.buffer.waiting > 0 || Date.now() - channel.lastPollAt < POLL_IDLE_MS)) return;
    channels.delete(channel.name);
    subscriber.unsubscribe(prefix + channel.name).catch(() => {});
  }

  function leave(recipient: Recipient, name: string): void {
    const channel = channels.get(name);
    if (!channel) return;
    channel.fan.recipients.delete(recipient);
    unsubscribeIfUnused(channel);
  }

  const idleSweep = setInterval(() => {
    for (const channel of channels.values()) if (channel.buffer) unsubscribeIfUnused(channel);
  }, POLL_IDLE_MS / 4);
  idleSweep.unref();

  async function handlePoll(res: ServerResponse, name: string, query: URLSearchParams): Promise<void> {
    const after = query.get('after');
    const timeoutText = query.get('timeout');
    const maxText = query.get('max');
    let cursor = after === null ? null : Number(after);
    const timeout = timeoutText === null ? longPollTimeoutMs : Number(timeoutText);
    const max = maxText === null ? 1000 : Number(maxText);
    if ((cursor !== null && !(Number.isInteger(cursor) && cursor >= 0)) || !(timeout >= 0) || !(Number.isInteger(max) && max >= 1)) {
      sendJson(res, 400, { error: 'after must be a cursor (integer >= 0), timeout milliseconds >= 0, max an integer >= 1' });
      return;
    }
    if (cursor !== null && clusterCount > 1) {
      // Each process numbers its own feed: a cursor is only meaningful to the process that gave it.
      if (cursor % clusterCount !== clusterIndex) {
        sendJson(res, 409, { error: `cursor ${cursor} was given by another server process; join again without after=` });
        return;
      }
      cursor = (cursor - clusterIndex) / clusterCount;
    }
    const channel = await subscribed(name);
    channel.buffer ??= new PollBuffer(pollBufferSize);
    channel.lastPollAt = Date.now();
    const buffer = channel.buffer;
    const answer = (batch: PollBatch) => {
      stats.pollRequests++;
      stats.deliveries += batch.messages.length;
      stats.pollMissed += batch.missed;
      const body = encodePollBatch(batch.messages);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
        [CURSOR_HEADER]: String(cursorOut(batch.cursor)),
        ...(batch.missed > 0 ? { [MISSED_HEADER]: String(batch.missed) } : {}),
      });
      res.end(body);
    };
    if (cursor === null) return answer({ cursor: buffer.cursor, messages: [], missed: 0 });
    const from = cursor;
    const now = buffer.read(from, max);
    if (now.messages.length > 0 || now.missed > 0 || timeout === 0) return answer(now);
    // Nothing new: hold the request until the next message or the timeout.
    const timer = setTimeout(() => {
      cancel();
      answer(buffer.read(from, max));
    }, timeout);
    const cancel = buffer.waitForNext(() => {
      clearTimeout(timer);
      answer(buffer.read(from, max));
    });
    // The poller went away before an answer (its response closes unfinished): stop waiting.
    res.once('close', () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        cancel();
      }
    });
  }

  const http: Server = createServer((req, res) => handleHttp(req, res));
  // Long polls are held up to longPollTimeoutMs: keep idle keep-alive sockets longer than that,
  // and do not let Node's request timeout cut a held poll.
  http.keepAliveTimeout = longPollTimeoutMs + 10_000;
  http.headersTimeout = longPollTimeoutMs + 15_000;
  http.requestTimeout = 0;

  function handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const [path = '/', queryText = ''] = (req.url ?? '/').split('?', 2);
    const poll = req.method === 'GET' ? POLL_PATH.exec(path) : null;
    if (poll) {
      let name: string;
      try {
        name = decodeURIComponent(poll[1]!);
      } catch {
        sendJson(res, 400, { error: 'bad channel name encoding' });
        return;
      }
      handlePoll(res, name, new URLSearchParams(queryText)).catch((e) => {
        if (!res.headersSent) sendJson(res, 503, { error: `subscribe failed: ${messageOf(e)}` });
        else res.destroy();
      });
    } else if (req.method === 'GET' && path === '/healthz') {
      reportedStats().then(
        (s) => {
          const ok = s.redisConnected === s.processes;
          sendJson(res, ok ? 200 : 503, {
            ok,
            redis: ok ? 'connected' : 'disconnected',
            ...(s.processes > 1 ? { processes: s.processes, redisConnected: s.redisConnected } : {}),
          });
        },
        (e) => sendJson(res, 503, { ok: false, error: messageOf(e) }),
      );
    } else if (req.method === 'GET' && path === '/stats') {
      reportedStats().then(
        (s) => sendJson(res, 200, s),
        (e) => sendJson(res, 503, { error: messageOf(e) }),
      );
    } else {
      sendJson(res, 404, { error: 'not found', routes: ['/ws/<channel>', '/poll/<channel>?after=<cursor>', '/healthz', '/stats'] });
    }
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const match = WS_PATH.exec((req.url ?? '').split('?')[0]!);
    if (!match) {
      rejectUpgrade(socket, 404, 'Not Found', 'WebSocket path must be /ws/<channel>\n');
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(match[1]!);
    } catch {
      rejectUpgrade(socket, 400, 'Bad Request', 'bad channel name encoding\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const recipient = recipientOf(ws);
      ws.on('error', () => {});
      ws.on('close', () => leave(recipient, name));
      join(recipient, name).catch((e) => ws.close(1011, `subscribe failed: ${messageOf(e)}`.slice(0, 120)));
    });
  });

  function currentStats(): ServerStats {
    const byChannel: Record<string, ChannelStats> = {};
    for (const [name, c] of channels)
      byChannel[name] = { clients: c.fan.recipients.size, live: c.live, pollersWaiting: c.buffer?.waiting ?? 0 };
    return { processes: 1, redisConnected: redisUp ? 1 : 0, connections: wss.clients.size, channels: byChannel, ...stats };
  }
  const reportedStats = options.statsSource ?? (() => Promise.resolve(currentStats()));

  await new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new WsbenchError('SETUP', `reference server cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`, {
          cause: e,
        }),
      ),
    );
    http.listen({ host: options.host, port: options.port, backlog: 4096 }, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `ws://${hostForUrl}:${port}`,
    port,
    stats: currentStats,
    async close() {
      clearInterval(idleSweep);
      fanout.flush();
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      subscriber.disconnect();
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export type { RedisClient };
