/**
 * The built-in reference server: what a typical Redis → WebSocket fan-out server does, kept
 * small and honest so wsbench has a known target.
 *
 *   GET /ws/<channel>   WebSocket; every message PUBLISHed on Redis channel <prefix><channel> is
 *                       forwarded verbatim (text frame when the bytes are UTF-8, binary otherwise);
 *                       with `clientPublish`, what a client sends is PUBLISHed there too
 *   GET /poll/<channel> long-polling and interval polling over the same feed (poll-endpoint.ts)
 *   GET /healthz        200 when Redis is connected (and every channel subscribed), 503 otherwise
 *   GET /stats          JSON ServerStats: per channel, clients and whether the Redis subscription is live
 *
 * This module puts the parts together: the channel registry (the Redis subscriber and who receives
 * each channel: channel-registry.ts), the fan-out that frames each message once and writes each
 * client once per event-loop turn (fanout.ts), the two endpoints, the router, and the HTTP server.
 * Several processes (cluster.ts) each run one of these with their own subscriber; /stats and
 * /healthz then answer for all of them (`statsSource`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WsbenchError } from '../errors.js';
import { ChannelRegistry, type ChannelStats, type ServerIncident } from './channel-registry.js';
import { Fanout } from './fanout.js';
import { ClusterCursors, PollEndpoint } from './poll-endpoint.js';
import { Router } from './router.js';
import { WebSocketEndpoint, type ServerDeflateOptions } from './websocket-endpoint.js';

export interface ReferenceServerOptions {
  host: string;
  port: number;
  redisUrl: string;
  /** Largest message accepted from a client. */
  maxPayload: number;
  /** permessage-deflate: off, on with the defaults, or with settings (websocket-endpoint.ts). */
  perMessageDeflate: boolean | ServerDeflateOptions;
  /** Serve https:// and wss:// with this certificate (PEM); see serverTlsOptions. */
  tls?: ServerTlsSettings;
  /**
   * PUBLISH what a WebSocket client sends to its channel (a chat line), so every member on every
   * server process receives it through Redis; off: client messages are dropped.
   */
  clientPublish?: boolean;
  /** With clientPublish: leave the sender out of its own message (every other member gets it, as socket.to(room).emit does). */
  leaveSenderOut?: boolean;
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
  /** Polled channels (each a Redis subscription and a buffer) kept at most; more are refused with 429 (default 10,000). */
  maxPollChannels?: number;
  /** A channel only polled is released after this long without a poll (default 60 s). */
  pollIdleMs?: number;
  /** Told when the Redis subscriber is dropped and when it is subscribed again. */
  onIncident?: (incident: ServerIncident) => void;
  /**
   * Set when this is one of several server processes: poll cursors then carry the process
   * (cursor = local × count + index), so a cursor shown to another process is refused (409)
   * instead of being misread.
   */
  cluster?: { index: number; count: number };
  /** What /stats and /healthz report; default: this process's own stats. */
  statsSource?: () => Promise<ServerStats>;
}

/** TLS of the reference server: plain data, so it travels to server processes over IPC. */
export interface ServerTlsSettings {
  /** PEM certificate (chain) and private key. */
  cert: string;
  key: string;
  /**
   * Session ticket keys (48 bytes, base64) shared by every process of a cluster, so that a client
   * resumes its session whichever process accepts its next connection; default: random per process.
   */
  ticketKeys?: string;
}

/**
 * TLS 1.3 only, AES-GCM suites, ECDHE over X25519 or P-256: what a production endpoint negotiates
 * with current clients (TLS_CHACHA20_POLY1305 is left out: on x86 with AES-NI it costs more).
 * Session tickets are on (Node's default): clients may resume.
 */
export function serverTlsOptions(tls: ServerTlsSettings) {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.3' as const,
    ciphersuites: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384',
    ecdhCurve: 'X25519:P-256',
    ...(tls.ticketKeys ? { ticketKeys: Buffer.from(tls.ticketKeys, 'base64') } : {}),
  };
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
  /** Resident memory and V8 heap in use (every process: summed), bytes; absent from servers before it. */
  rssBytes?: number;
  heapUsedBytes?: number;
  /**
   * Bytes queued for WebSocket clients that their sockets have not handed to the kernel yet (summed),
   * and the most one client has: what slow readers leave in the server.
   */
  bufferedBytes?: number;
  maxClientBufferedBytes?: number;
  /** Client messages PUBLISHed to Redis (client publishing; 0 when it is off). */
  clientPublishes?: number;
  /** Client messages whose PUBLISH failed. */
  clientPublishFailures?: number;
}

export interface ReferenceServer {
  /** ws://host:port (wss:// with TLS) — clients connect to `${url}/ws/<channel>`. */
  url: string;
  port: number;
  stats(): ServerStats;
  close(): Promise<void>;
}

export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const longPollTimeoutMs = options.longPollTimeoutMs ?? 25_000;
  const counters = {
    messagesIn: 0,
    deliveries: 0,
    slowClientsDropped: 0,
    pollRequests: 0,
    pollMissed: 0,
    clientPublishes: 0,
    clientPublishFailures: 0,
  };
  const deflateLevel = typeof options.perMessageDeflate === 'object' ? options.perMessageDeflate.level : undefined;
  const fanout = new Fanout(options.maxBufferedBytes ?? 64 * 1024 * 1024, counters, options.writeDelayMs ?? 0, deflateLevel);
  const channels = await ChannelRegistry.open(
    {
      redisUrl: options.redisUrl,
      channelPrefix: options.channelPrefix ?? '',
      pollBufferSize: options.pollBufferSize ?? 10_000,
      ...(options.maxPollChannels !== undefined ? { maxPollChannels: options.maxPollChannels } : {}),
      ...(options.pollIdleMs !== undefined ? { pollIdleMs: options.pollIdleMs } : {}),
      ...(options.onIncident ? { onIncident: options.onIncident } : {}),
      clientPublish: options.clientPublish ?? false,
      ...(options.leaveSenderOut ? { leaveSenderOut: true } : {}),
    },
    fanout,
    counters,
  );
  const websocket = new WebSocketEndpoint(channels, { maxPayload: options.maxPayload, perMessageDeflate: options.perMessageDeflate });
  const poll = new PollEndpoint(channels, counters, new ClusterCursors(options.cluster?.index, options.cluster?.count), longPollTimeoutMs);

  const stats = (): ServerStats => {
    const memory = process.memoryUsage();
    const buffered = channels.buffered();
    return {
      processes: 1,
      redisConnected: channels.redisConnected ? 1 : 0,
      connections: websocket.connections,
      channels: channels.stats(),
      ...counters,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      bufferedBytes: buffered.total,
      maxClientBufferedBytes: buffered.max,
    };
  };
  const router = new Router({ websocket, poll, stats: options.statsSource ?? (() => Promise.resolve(stats())) });

  const onRequest = (req: IncomingMessage, res: ServerResponse) => router.request(req, res);
  const http: Server = options.tls ? createTlsServer(serverTlsOptions(options.tls), onRequest) : createServer(onRequest);
  // A client that fails the TLS handshake (an untrusted certificate, a plain-text request) is
  // the client's problem: it sees the alert; the server just drops the socket.
  if (options.tls) http.on('tlsClientError', (_e, socket) => socket.destroy());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => router.upgrade(req, socket, head));
  // Long polls are held up to longPollTimeoutMs: keep idle keep-alive sockets longer than that,
  // and do not let Node's request timeout cut a held poll.
  http.keepAliveTimeout = longPollTimeoutMs + 10_000;
  http.headersTimeout = longPollTimeoutMs + 15_000;
  http.requestTimeout = 0;

  try {
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
  } catch (e) {
    websocket.close();
    channels.close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;

  return {
    url: `${options.tls ? 'wss' : 'ws'}://${hostForUrl}:${port}`,
    port,
    stats,
    async close() {
      fanout.flush();
      websocket.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      channels.close();
    },
  };
}
