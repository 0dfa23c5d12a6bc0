/**
 * `wsbench connect <url>`: one WebSocket client (reconnecting when asked), the console's queue,
 * -x messages, pings on an interval, EOF handling and the exit code.
 *
 * Exit codes (ConnectExitCode): 0 a close handshake completed (either side) or the user quit;
 * 1 an error or a failed opening handshake; 2 the connection dropped without a close frame
 * (1006); 130 SIGINT.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { ConnectExitCode } from '../exit-codes.js';
import { messageOf } from '../errors.js';
import { tlsFailure } from '../transports/tls.js';
import { ConsoleCore, type ExitCodeValue } from './core.js';
import type { ConsoleEventListener, UpgradeFailure } from './events.js';
import type { ConsoleOptions } from './options.js';

const BODY_LIMIT = 2048;
const BODY_WAIT_MS = 2000;
const INTERRUPT_CLOSE_MS = 1000;

/** Backoff before reconnect attempt n (1-based): 0.5 s, 1 s, 2 s … capped at 10 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

export class ClientSession extends ConsoleCore {
  /** Consecutive failed attempts since the last open. */
  private failures = 0;
  private reconnectCount = 0;
  private closeRequested = false;
  private interrupted = false;
  private eof = false;
  /** Set when this attempt already reported why it failed (upgrade refused, protocol error). */
  private attemptError: ExitCodeValue | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  /** The socket whose end-of-input close is under way. */
  private closingAfterInput: WebSocket | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pingSeq = 0;

  constructor(
    options: ConsoleOptions,
    private readonly clientOptions: ClientOptions,
    listener: ConsoleEventListener,
  ) {
    super(options, listener);
  }

  protected target(): string {
    return this.options.url;
  }

  protected reconnects(): number {
    return this.reconnectCount;
  }

  async start(): Promise<void> {
    if (!(await this.openRedis())) {
      await this.finish(ConnectExitCode.ERROR);
      return;
    }
    if (!this.stopping) this.connect();
    else await this.finish(this.interrupted ? ConnectExitCode.INTERRUPTED : ConnectExitCode.OK);
  }

  private connect(): void {
    this.attemptError = null;
    this.emit({ type: 'connecting', url: this.options.url, attempt: this.failures + 1 });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, this.options.ws.subprotocols, this.clientOptions);
    } catch (e) {
      this.emit({ type: 'error', message: messageOf(e), fatal: true });
      void this.finish(ConnectExitCode.ERROR);
      return;
    }
    this.ws = ws;
    this.wire(ws);
    ws.on('open', () => this.onOpen(ws));
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => this.onUpgradeRefused(ws, req, res));
    ws.on('error', (e: Error) => this.onError(ws, e));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    this.failures = 0;
    this.emit({ type: 'open', url: this.options.url, protocol: ws.protocol, extensions: ws.extensions });
    if (this.interrupted || this.closeRequested) {
      this.closeByUs(1000, '');
      return;
    }
    // -x messages go first on every (re)connection, then whatever was typed meanwhile.
    this.inputFirst(this.options.execute);
    if (this.options.pingIntervalMs !== null) {
      this.pingTimer = setInterval(() => this.sendPing(Buffer.from(`wsbench-${++this.pingSeq}`), false), this.options.pingIntervalMs);
    }
    if (this.options.execute.length > 0 && this.options.closeAfterMs !== null) this.closeAfterExecute(ws, this.options.closeAfterMs);
    else if (this.eof && !this.options.keepOpenAtEof && this.options.execute.length === 0) this.closeAfterInput(ws);
  }

  protected acceptsInput(): boolean {
    return this.isOpen();
  }

  /** Once the -x messages are sent and Redis has answered, wait --wait seconds (default 2), then close. */
  private closeAfterExecute(ws: WebSocket, waitMs: number): void {
    if (this.closeTimer) return;
    void this.whenIdle().then(() => {
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN || this.closeTimer) return;
      this.closeTimer = setTimeout(() => {
        this.closeTimer = null;
        if (this.ws === ws && ws.readyState === WebSocket.OPEN) this.closeByUs(1000, '');
      }, waitMs);
    });
  }

  /** Piped input ended: once every line is done, wait for the replies (see waitForReplies), then close. */
  private closeAfterInput(ws: WebSocket): void {
    if (this.closingAfterInput === ws) return;
    this.closingAfterInput = ws;
    const gone = () => this.ws !== ws || ws.readyState !== WebSocket.OPEN || this.stopping;
    void this.whenIdle()
      .then(() => this.waitForReplies(gone))
      .then(() => {
        if (!gone()) this.closeByUs(1000, '');
      });
  }

  private onUpgradeRefused(ws: WebSocket, req: ClientRequest, res: IncomingMessage): void {
    this.attemptError = ConnectExitCode.ERROR;
    const chunks: Buffer[] = [];
    let size = 0;
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      clearTimeout(timer);
      const body = Buffer.concat(chunks);
      const failure: UpgradeFailure = {
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers: headerPairs(res.rawHeaders),
        body: body.subarray(0, BODY_LIMIT).toString('utf8'),
        bodyTruncated: body.length > BODY_LIMIT || !res.complete,
      };
      this.emit({ type: 'upgrade-failed', failure });
      res.destroy();
      req.destroy();
      ws.terminate();
    };
    const timer = setTimeout(report, BODY_WAIT_MS);
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > BODY_LIMIT) report();
    });
    res.on('end', report);
    res.on('error', report);
    res.on('close', report);
  }

  private onError(ws: WebSocket, e: Error): void {
    if (this.ws !== ws || this.stopping) return;
    // The upgrade-refused path aborts the socket itself; its "closed before established" is noise.
    if (this.attemptError !== null) return;
    this.attemptError = ConnectExitCode.ERROR;
    const willRetry = this.shouldReconnect();
    this.emit({ type: 'error', message: describeError(e, this.options.url, !this.wasOpen(ws)), fatal: !willRetry });
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.clearConnectionTimers();
    this.forgetPings();
    const opened = this.wasOpen(ws);
    if (opened) this.emit({ type: 'close', code, reason, byUs: this.closeRequested });

    let exit: ExitCodeValue;
    if (this.interrupted) exit = ConnectExitCode.INTERRUPTED;
    else if (this.closeRequested) exit = ConnectExitCode.OK;
    else if (this.attemptError !== null) exit = this.attemptError;
    else if (!opened) exit = ConnectExitCode.ERROR;
    else if (code === 1006) exit = ConnectExitCode.UNEXPECTED_DISCONNECT;
    else exit = ConnectExitCode.OK;

    const reconnectable = !this.interrupted && !this.closeRequested && (exit !== ConnectExitCode.OK || code !== 1000);
    if (reconnectable && this.shouldReconnect()) {
      this.failures++;
      this.reconnectCount++;
      const delayMs = reconnectDelayMs(this.failures);
      this.emit({ type: 'reconnecting', attempt: this.failures, delayMs });
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (!this.stopping) this.connect();
      }, delayMs);
      return;
    }
    if (exit === ConnectExitCode.ERROR && this.attemptError === null) {
      this.emit({ type: 'error', message: `could not connect to ${this.options.url}`, fatal: true });
    }
    void this.finish(exit);
  }

  private readonly openedSockets = new WeakSet<WebSocket>();
  private wasOpen(ws: WebSocket): boolean {
    return this.openedSockets.has(ws);
  }

  protected override wire(ws: WebSocket): void {
    super.wire(ws);
    ws.once('open', () => this.openedSockets.add(ws));
  }

  private shouldReconnect(): boolean {
    const max = this.options.reconnectAttempts;
    return max !== null && !this.stopping && !this.closeRequested && this.failures < max;
  }

  protected override onCloseRequested(): void {
    this.closeRequested = true;
  }

  quit(): void {
    if (this.finished) return;
    this.closeRequested = true;
    this.stopping = true;
    this.endWithoutWaiting(ConnectExitCode.OK);
  }

  interrupt(): void {
    if (this.finished) return;
    this.interrupted = true;
    this.stopping = true;
    this.endWithoutWaiting(ConnectExitCode.INTERRUPTED, INTERRUPT_CLOSE_MS);
  }

  private endWithoutWaiting(code: ExitCodeValue, closeWithinMs?: number): void {
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this.closeByUs(1000, '');
      if (closeWithinMs !== undefined) setTimeout(() => ws.terminate(), closeWithinMs).unref();
    } else if (ws && ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else if (!ws || ws.readyState === WebSocket.CLOSED) {
      void this.finish(code);
    }
    // CLOSING: its close event finishes the session.
  }

  endInput(): void {
    if (this.eof) return;
    this.eof = true;
    if (this.options.execute.length > 0 || this.options.keepOpenAtEof) return;
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) this.closeAfterInput(ws);
    // Not open yet: onOpen closes once the queue is flushed.
  }

  private clearConnectionTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.pingTimer = null;
    this.closeTimer = null;
  }

  protected async cleanUp(): Promise<void> {
    this.clearConnectionTimers();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
}

function headerPairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

function describeError(e: Error, url: string, handshake: boolean): string {
  const code = (e as NodeJS.ErrnoException).code;
  const tls = handshake && /^wss:/i.test(url) ? tlsFailure(e, hostPort(url)) : null;
  const detail = tls ? tls.message : code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'host not found' : e.message;
  return handshake ? `cannot connect to ${url}: ${detail}` : detail;
}

function hostPort(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || 443}`;
  } catch {
    return url;
  }
}
