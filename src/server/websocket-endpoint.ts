/**
 * GET /ws/<channel> upgrades: the WebSocket side of the reference server. The handshake, pings,
 * the close handshake and messages from clients are the `ws` library's; each accepted connection
 * joins its channel's fan-out (fanout.ts), which writes the channel's frames straight to its socket.
 * Messages from clients are PUBLISHed to the connection's channel when the server publishes client
 * messages (`clientPublish`: the channel registry's publishing connection), and dropped otherwise;
 * above `maxPayload` they close the connection with 1009 either way.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { messageOf } from '../errors.js';
import type { ChannelRegistry } from './channel-registry.js';
import { recipientOf } from './fanout.js';

export interface WebSocketEndpointOptions {
  /** Largest message accepted from a client. */
  maxPayload: number;
  perMessageDeflate: boolean;
}

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

  /** Completes the upgrade of a request for channel `name` and adds the client to the channel. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, name: string): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const recipient = recipientOf(ws);
      ws.on('error', () => {});
      ws.on('close', () => this.channels.leave(recipient, name));
      // A chat line: through Redis, so every member on every server process gets it (the sender too).
      if (this.channels.publishesClientMessages) ws.on('message', (data: Buffer) => this.channels.publish(name, data));
      this.channels.join(recipient, name).catch((e) => ws.close(1011, `subscribe failed: ${messageOf(e)}`.slice(0, 120)));
    });
  }

  /** Drops every connection at once (no close handshake: the server is going away). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
