/**
 * `wsbench connect --listen <port>`: a WebSocket server for one client at a time (wscat's -l).
 * What is typed goes to the connected client (queued while there is none); a second client is
 * turned away with 1013. The console keeps listening after a client leaves; EOF or /quit ends it.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConnectExitCode } from '../exit-codes.js';
import { messageOf } from '../errors.js';
import { ConsoleCore } from './core.js';
import type { ConsoleEventListener } from './events.js';
import type { ConsoleOptions } from './options.js';

export class ListenSession extends ConsoleCore {
  private server: WebSocketServer | null = null;
  private port = 0;
  private interrupted = false;

  constructor(options: ConsoleOptions, listener: ConsoleEventListener) {
    super(options, listener);
  }

  protected target(): string {
    return `listening on :${this.port}`;
  }

  protected reconnects(): number {
    return 0;
  }

  async start(): Promise<void> {
    if (!(await this.openRedis())) {
      await this.finish(ConnectExitCode.ERROR);
      return;
    }
    if (this.stopping) return;
    const server = new WebSocketServer({
      port: this.options.listenPort,
      ...(this.options.bindAddress !== undefined ? { host: this.options.bindAddress } : {}),
      ...(this.options.ws.subprotocols.length > 0
        ? { handleProtocols: (offered: Set<string>) => this.options.ws.subprotocols.find((p) => offered.has(p)) ?? false }
        : {}),
    });
    this.server = server;
    server.on('error', (e: NodeJS.ErrnoException) => {
      this.emit({ type: 'error', message: `cannot listen on port ${this.options.listenPort}: ${e.code ?? messageOf(e)}`, fatal: true });
      void this.finish(ConnectExitCode.ERROR);
    });
    server.on('listening', () => {
      this.port = (server.address() as AddressInfo).port;
      this.emit({ type: 'listening', port: this.port });
    });
    server.on('connection', (ws: WebSocket, req) => {
      if (this.ws) {
        ws.close(1013, 'wsbench connect --listen serves one client at a time');
        return;
      }
      this.ws = ws;
      this.wire(ws);
      ws.on('error', (e: Error) => this.emit({ type: 'error', message: messageOf(e), fatal: false }));
      ws.on('close', (code: number, reason: Buffer) => {
        this.ws = null;
        this.forgetPings();
        this.emit({ type: 'close', code, reason: reason.toString(), byUs: this.stopping });
        if (this.stopping) void this.finish(this.interrupted ? ConnectExitCode.INTERRUPTED : ConnectExitCode.OK);
      });
      this.emit({ type: 'client-connected', remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}` });
      this.flushQueue();
    });
  }

  quit(): void {
    this.stop(false);
  }

  interrupt(): void {
    this.stop(true);
  }

  protected acceptsInput(): boolean {
    // Redis commands run whether or not a client is there; frames wait for one.
    return true;
  }

  endInput(): void {
    if (this.options.keepOpenAtEof) return;
    // Whatever is queued for a client that has not come yet is not worth waiting for at EOF; with a
    // client, its replies to what was sent are.
    if (!this.isOpen()) {
      this.stop(false);
      return;
    }
    void this.whenIdle()
      .then(() => this.waitForReplies(() => !this.isOpen() || this.stopping))
      .then(() => this.stop(false));
  }

  private stop(interrupted: boolean): void {
    if (this.stopping) return;
    this.stopping = true;
    this.interrupted = interrupted;
    if (this.isOpen()) this.closeByUs(1000, '');
    else void this.finish(interrupted ? ConnectExitCode.INTERRUPTED : ConnectExitCode.OK);
  }

  protected async cleanUp(): Promise<void> {
    this.ws?.terminate();
    const server = this.server;
    if (server) {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
