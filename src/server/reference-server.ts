/**
 * The built-in reference server: what a typical Redis → WebSocket fan-out server does, kept
 * small and honest so wsbench has a known target.
 *
 *   GET /ws/<channel>   WebSocket; every message PUBLISHed on Redis channel <prefix><channel> is
 *                       forwarded verbatim (text frame when the bytes are UTF-8, binary otherwise)
 *   GET /healthz        200 when Redis is connected, 503 otherwise
 *   GET /stats          JSON: per channel, clients and whether the Redis subscription is live
 *
 * One Redis subscriber connection per server; a channel is subscribed when its first client
 * arrives and a client is counted ready only once that SUBSCRIBE is confirmed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { openRedis, type RedisClient } from '../redis/client.js';
import { WsbenchError, messageOf } from '../errors.js';

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
}

export interface ChannelStats {
  clients: number;
  /** Redis SUBSCRIBE confirmed. */
  live: boolean;
}

export interface ServerStats {
  connections: number;
  channels: Record<string, ChannelStats>;
  /** Messages received from Redis. */
  messagesIn: number;
  /** Frames queued to clients. */
  deliveries: number;
  /** Clients dropped for being too slow. */
  slowClientsDropped: number;
}

interface Channel {
  name: string;
  clients: Set<WebSocket>;
  live: boolean;
  subscribing: Promise<void> | null;
}

export interface ReferenceServer {
  /** ws://host:port — clients connect to `${url}/ws/<channel>`. */
  url: string;
  port: number;
  stats(): ServerStats;
  close(): Promise<void>;
}

const WS_PATH = /^\/ws\/([^/?#]+)$/;

export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const prefix = options.channelPrefix ?? '';
  const maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  const subscriber = await openRedis(options.redisUrl, { name: 'wsbench-server-sub' });
  let redisUp = true;
  subscriber.on('end', () => (redisUp = false));

  const channels = new Map<string, Channel>();
  const stats = { messagesIn: 0, deliveries: 0, slowClientsDropped: 0 };

  subscriber.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
    stats.messagesIn++;
    const channel = channels.get(channelBuf.toString().slice(prefix.length));
    if (!channel) return;
    const binary = !isUtf8(message);
    for (const ws of channel.clients) {
      if (ws.bufferedAmount > maxBuffered) {
        stats.slowClientsDropped++;
        ws.close(1013, 'too slow: send buffer full');
        channel.clients.delete(ws);
        continue;
      }
      ws.send(message, { binary });
      stats.deliveries++;
    }
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    perMessageDeflate: options.perMessageDeflate,
    clientTracking: true,
  });

  async function join(ws: WebSocket, name: string): Promise<void> {
    let channel = channels.get(name);
    if (!channel) {
      channel = { name, clients: new Set(), live: false, subscribing: null };
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
    if (ws.readyState === ws.OPEN) channel.clients.add(ws);
  }

  function leave(ws: WebSocket, name: string): void {
    const channel = channels.get(name);
    if (!channel) return;
    channel.clients.delete(ws);
    if (channel.clients.size === 0 && channel.live) {
      channels.delete(name);
      subscriber.unsubscribe(prefix + name).catch(() => {});
    }
  }

  const http: Server = createServer((req, res) => handleHttp(req, res));

  function handleHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      sendJson(res, redisUp ? 200 : 503, { ok: redisUp, redis: redisUp ? 'connected' : 'disconnected' });
    } else if (req.method === 'GET' && path === '/stats') {
      sendJson(res, 200, currentStats());
    } else {
      sendJson(res, 404, { error: 'not found', routes: ['/ws/<channel>', '/healthz', '/stats'] });
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
      ws.on('error', () => {});
      ws.on('close', () => leave(ws, name));
      join(ws, name).catch((e) => ws.close(1011, `subscribe failed: ${messageOf(e)}`.slice(0, 120)));
    });
  });

  function currentStats(): ServerStats {
    const byChannel: Record<string, ChannelStats> = {};
    for (const [name, c] of channels) byChannel[name] = { clients: c.clients.size, live: c.live };
    return { connections: wss.clients.size, channels: byChannel, ...stats };
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', (e: NodeJS.ErrnoException) =>
      reject(new WsbenchError('SETUP', `reference server cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`, { cause: e })),
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
      for (const ws of wss.clients) ws.terminate();
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
