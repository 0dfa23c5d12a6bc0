/**
 * GET /ws/<channel> and /ws?channels=a,b upgrades: the WebSocket side of the reference server.
 * A connection of several channels is one recipient in each channel's fan-out. The handshake (with the
 * permessage-deflate negotiation), pings, the close handshake and messages from clients are the
 * `ws` library's; each accepted connection joins its channel's fan-out (fanout.ts), which writes
 * the channel's frames — compressed as the connection negotiated — straight to its socket.
 * Messages from clients are PUBLISHed to the connection's channel when the server publishes client
 * messages (`clientPublish`: the channel registry's publishing connection) and the connection has
 * one channel (of several, none would be the one), and dropped otherwise; above `maxPayload` they
 * close the connection with 1009 either way.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { messageOf } from '../errors.js';
import type { ChannelRegistry } from './channel-registry.js';
import { recipientOf, releaseRecipient } from './fanout.js';
import { rejectUpgrade } from './http-replies.js';

/** permessage-deflate on the reference server (RFC 7692 parameter names in camel case). */
export interface ServerDeflateOptions {
  /**
   * Answer server_no_context_takeover to every offer, asked or not (RFC 7692 §7.1.1.1): each
   * message is then compressed once per channel for all its recipients. Default true. false: only
   * clients that ask for it get it; the others get a compression stream each (memory and CPU per
   * connection, see fanout.ts).
   */
  serverNoContextTakeover?: boolean;
  /** Ask clients to compress each of their messages on its own. */
  clientNoContextTakeover?: boolean;
  /** The largest window the server compresses with (8–15; default 15). */
  serverMaxWindowBits?: number;
  /** Ask clients that can limit their window to use at most this (8–15). */
  clientMaxWindowBits?: number;
  /** zlib level of the server's compression, 0–9 (default 6, zlib's and `ws`'s default). */
  level?: number;
}

export interface WebSocketEndpointOptions {
  /** Largest message accepted from a client. */
  maxPayload: number;
  /** false: no compression; true: the defaults of ServerDeflateOptions. */
  perMessageDeflate: boolean | ServerDeflateOptions;
}

/** The reference server's settings as `ws` takes them (it negotiates; the fan-out compresses). */
export function wsDeflateOptions(setting: boolean | ServerDeflateOptions): PerMessageDeflateOptions | false {
  if (setting === false) return false;
  const o = setting === true ? {} : setting;
  return {
    // `false` would make `ws` refuse offers that ask for it; undefined accepts them, unasked it is not added.
    ...(o.serverNoContextTakeover !== false ? { serverNoContextTakeover: true } : {}),
    ...(o.clientNoContextTakeover ? { clientNoContextTakeover: true } : {}),
    ...(o.serverMaxWindowBits !== undefined ? { serverMaxWindowBits: o.serverMaxWindowBits } : {}),
    ...(o.clientMaxWindowBits !== undefined ? { clientMaxWindowBits: o.clientMaxWindowBits } : {}),
    // Only ws.send would use these, and the fan-out does not call it; kept for the fallback path.
    threshold: 0,
  };
}

function ignore(): void {}

export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;
  private readonly deflateLevel: number | undefined;

  constructor(
    private readonly channels: ChannelRegistry,
    options: WebSocketEndpointOptions,
  ) {
    const deflate = options.perMessageDeflate;
    this.deflateLevel = typeof deflate === 'object' ? deflate.level : undefined;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: wsDeflateOptions(deflate),
      clientTracking: true,
    });
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.wss.clients.size;
  }

  /**
   * Completes the upgrade of a request for channels `names` (one or more) once every one is live in
   * Redis, and adds the client to them in the same turn: a client whose upgrade completed is
   * subscribed to all its channels.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, names: readonly string[]): void {
    // Until `ws` takes the socket over: a client that gives up meanwhile must not be an uncaught error.
    socket.on('error', ignore);
    void Promise.allSettled(names.map((name) => this.channels.reserve(name))).then((reserved) => {
      const failed = reserved.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed || socket.destroyed) {
        names.forEach((name, i) => reserved[i]!.status === 'fulfilled' && this.channels.release(name));
        if (failed) rejectUpgrade(socket, 503, 'Service Unavailable', `subscribe failed: ${messageOf(failed.reason)}\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const recipient = recipientOf(ws, this.deflateLevel);
        ws.on('error', () => {});
        ws.on('close', () => {
          for (const name of names) this.channels.leave(recipient, name);
          releaseRecipient(recipient);
        });
        // A chat line: through Redis, so every member on every server process gets it (the sender too).
        if (this.channels.publishesClientMessages && names.length === 1) {
          const name = names[0]!;
          ws.on('message', (data: Buffer) => this.channels.publish(name, data));
        }
        for (const name of names)
          this.channels.joinReserved(recipient, name).catch((e) => ws.close(1011, `subscribe failed: ${messageOf(e)}`.slice(0, 120)));
      });
    });
  }

  /** Drops every connection at once (no close handshake: the server is going away). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
