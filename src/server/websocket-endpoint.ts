/**
 * GET /ws/<channel> upgrades: the WebSocket side of the reference server. The handshake, pings,
 * the close handshake and messages from clients are the `ws` library's; each accepted connection
 * joins its channel's fan-out (fanout.ts), which writes the channel's frames straight to its socket.
 * Messages from clients are not relayed (above `maxPayload` they close the connection with 1009).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { messageOf } from '../errors.js';
import type { ChannelRegistry } from './channel-registry.js';
import { recipientOf } from './fanout.js';
import { rejectUpgrade } from './http-replies.js';

export interface WebSocketEndpointOptions {
  /** Largest message accepted from a client. */
  maxPayload: number;
  perMessageDeflate: boolean;
}

function ignore(): void {}

export class WebSocketEndpoint {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly channels: ChannelRegistry,
    options: WebSocketEndpointOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: options.perMessageDeflate,
      clientTracking: true,
    });
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.wss.clients.size;
  }

  /**
   * Completes the upgrade of a request for channel `name` once the channel is live in Redis, and
   * adds the client to the channel in the same turn: a client whose upgrade completed is subscribed.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, name: string): void {
    // Until `ws` takes the socket over: a client that gives up meanwhile must not be an uncaught error.
    socket.on('error', ignore);
    this.channels.reserve(name).then(
      () => {
        if (socket.destroyed) return this.channels.release(name);
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const recipient = recipientOf(ws);
          ws.on('error', () => {});
          ws.on('close', () => this.channels.leave(recipient, name));
          this.channels.joinReserved(recipient, name).catch((e) => ws.close(1011, `subscribe failed: ${messageOf(e)}`.slice(0, 120)));
        });
      },
      (e: unknown) => rejectUpgrade(socket, 503, 'Service Unavailable', `subscribe failed: ${messageOf(e)}\n`),
    );
  }

  /** Drops every connection at once (no close handshake: the server is going away). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
