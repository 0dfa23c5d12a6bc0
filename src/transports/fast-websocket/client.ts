/**
 * The fast WebSocket client: RFC 6455 over a bare TCP (or TLS) socket, built for receiving many
 * small messages cheaply. Frames are parsed in place (src/wire/websocket-frame.ts) — several per
 * read, one clock read per read, each message handed on as a view (buffer, start, end) into the
 * read: no per-message copy, string or event. It sends only what a load client must (the
 * handshake, protocol messages, pongs, the close handshake, and a sender's messages), never compressed.
 *
 * permessage-deflate (when the scenario offers it and the server agrees): compressed messages are
 * inflated in the frame sink, through a MessageInflater (wire/permessage-deflate.ts). Without
 * server context takeover, and when the receiver reads only the binary stamp, only the stamp's
 * bytes are inflated; with takeover every byte must be (the next message may refer back into it).
 * Invalid compressed data closes the connection with 1007, a message inflating past maxPayload
 * with 1009 (counted under socket.dropped-1007 / -1009, the codec's reason as the sample).
 *
 * This module is the connection's state machine:
 *
 *   Idle ──open()──► Upgrading ──101 accepted──► Open ──close() / bad frame──► Closing ──► Closed
 *                       │ (refused, timeout)       │ server's close frame: answered ──────────┘
 *                       └──► Closed                └ socket lost ──────────────────────────────┘
 *
 * socket.ts owns the socket plumbing (shared listeners and read buffer), upgrade.ts the handshake.
 * `finish()` is the one place a connection ends, where a reconnect policy would take over.
 *
 * The `ws` client (../websocket.ts) stays as the conformance baseline: tests check both give the
 * same ledger on the same target.
 */
import { closeCode, describeCloseCode } from '../../peer-text.js';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { monotonicMs } from '../../metrics/clock.js';
import { MessageInflater, PerMessageDeflateError, directionFor } from '../../wire/permessage-deflate.js';
import {
  FrameParser,
  Opcode,
  closeCodeOf,
  closeReasonOf,
  encodeClientFrame,
  encodeClosePayload,
  type FrameSink,
} from '../../wire/websocket-frame.js';
import {
  ConnectAttempt,
  TransportError,
  type ConnectOptions,
  type TransportClient,
  type TransportEvents,
  type TransportFactory,
  type WireStats,
} from '../transport.js';
import { describeDeflateParams } from '../compression.js';
import { tlsFailure, tlsOutcomeOf } from '../tls.js';
import { openSocket, type SocketOwner } from './socket.js';
import { Upgrade } from './upgrade.js';
import { ReadPacer } from '../read-throttle.js';

/** How long close() waits for the server's close frame before cutting the connection. */
const CLOSE_TIMEOUT_MS = 1000;

/** A slow reader's pause is over (a shared function: no closure per connection). */
function resumeReading(client: FastWebSocketClient): void {
  client.resumeReading();
}

const enum Phase {
  Idle,
  Upgrading,
  Open,
  /** Our close frame is sent; messages still count until the server's close frame arrives. */
  Closing,
  Closed,
}

/**
 * One connection, one object: methods on the prototype, no closures per connection, and what only
 * the handshake needs (the Upgrade) dropped once open — see BENCHMARKS.md, memory per connection.
 */
class FastWebSocketClient implements TransportClient, FrameSink, SocketOwner {
  private socket: Socket | null = null;
  private phase = Phase.Idle;
  /** monotonicMs() of the read being parsed. */
  private receivedAt = 0;
  private upgrade: Upgrade | null = null;
  private readonly parser: FrameParser;
  private onClosed: (() => void) | null = null;
  /** Until open() moves them into the upgrade. */
  private options: ConnectOptions | null;
  /** permessage-deflate agreed: the connection's receive side. */
  private inflater: MessageInflater | null = null;
  /** Leading bytes to inflate (the stamp) when that is all the receiver reads; Infinity: all. */
  private inflatePrefix = Infinity;
  /** A slow reader (clients.slow): when to stop reading the socket, and the pause going on. */
  private readonly pacer: ReadPacer | null;
  private pause: NodeJS.Timeout | null = null;

  constructor(
    options: ConnectOptions,
    private readonly events: TransportEvents,
  ) {
    this.options = options;
    this.parser = new FrameParser(options.maxPayload, this);
    this.pacer = options.readThrottle ? new ReadPacer(options.readThrottle) : null;
  }

  open(): Promise<void> {
    const options = this.options;
    if (!options) return Promise.reject(new TransportError('connect.error', 'a client opens once'));
    this.options = null;
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (e) {
      return Promise.reject(new TransportError('connect.invalid-url', (e as Error).message));
    }
    return new Promise<void>((resolve, reject) => {
      this.connect(new Upgrade(url, options, new ConnectAttempt(options.timeoutMs, () => this.socket?.destroy(), resolve, reject)));
    });
  }

  send(text: string): void {
    if (this.phase === Phase.Open) this.write(Opcode.Text, Buffer.from(text));
  }

  sendPayload(payload: Buffer, binary: boolean): boolean {
    const { socket } = this;
    if (this.phase !== Phase.Open || !socket || socket.destroyed) return false;
    socket.write(encodeClientFrame(binary ? Opcode.Binary : Opcode.Text, payload));
    return true;
  }

  /** What the socket holds unwritten (its stream buffer: what the kernel did not take yet). */
  bufferedAmount(): number {
    return this.socket?.writableLength ?? 0;
  }

  close(): Promise<void> {
    const phase = this.phase;
    if (phase === Phase.Closed || !this.socket) {
      this.socket?.destroy();
      return Promise.resolve();
    }
    if (phase !== Phase.Open && phase !== Phase.Closing) {
      this.finish(1006, 'closed before open', false);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.finish(1006, 'no close frame from the server', false), CLOSE_TIMEOUT_MS);
      const earlier = this.onClosed;
      this.onClosed = () => {
        clearTimeout(timer);
        earlier?.();
        resolve();
      };
      this.sendClose(1000, 'wsbench done');
    });
  }

  reset(): void {
    const { socket } = this;
    if (this.phase === Phase.Closed || !socket) return;
    if (this.phase === Phase.Upgrading || this.phase === Phase.Idle) {
      this.finish(1006, 'reset before open', false);
      return;
    }
    // RST instead of FIN: the server sees the connection vanish, as when a load balancer dies.
    if (!socket.destroyed) socket.resetAndDestroy();
    this.finish(1006, 'connection reset by wsbench', false);
  }

  wire(): WireStats {
    const { socket } = this;
    return { bytesIn: socket?.bytesRead ?? 0, bytesOut: socket?.bytesWritten ?? 0, requests: socket ? 1 : 0 };
  }

  // ─── the socket's reports (SocketOwner) ──────────────────────────────────────────────────────

  socketConnected(): void {
    const { upgrade, socket } = this;
    if (!upgrade || !socket) return;
    if (upgrade.endpoint.tls) upgrade.options.facts?.secured(tlsOutcomeOf(socket as TLSSocket));
    socket.write(upgrade.request());
  }

  received(data: Buffer, length: number): void {
    const phase = this.phase;
    if (phase === Phase.Open || phase === Phase.Closing) {
      const at = monotonicMs();
      this.receivedAt = at;
      this.parser.push(data, length);
      if (this.pacer !== null) this.paceReading(length, at);
    } else if (phase === Phase.Upgrading) {
      this.upgradeResponse(data, length);
    }
  }

  socketFailed(e: NodeJS.ErrnoException): void {
    const upgrade = this.upgrade;
    const attempt = upgrade?.attempt;
    if (attempt && !attempt.settled) {
      const endpoint = upgrade!.endpoint;
      const tls = endpoint.tls ? tlsFailure(e, `${endpoint.host}:${endpoint.port}`) : null;
      if (tls) attempt.fail(tls.kind, tls.message);
      else attempt.fail(`connect.${e.code ?? 'error'}`, e.message);
    } else this.finish(1006, e.message, false);
  }

  socketClosed(): void {
    const attempt = this.upgrade?.attempt;
    if (attempt && !attempt.settled) attempt.fail('connect.closed', 'connection closed during the handshake');
    else this.finish(1006, 'connection closed without a close frame', false);
  }

  /**
   * A slow reader stops reading its socket for as long as its pacer says: the bytes stay in the
   * kernel and then in the server, which is the point (read-throttle.ts).
   */
  private paceReading(length: number, at: number): void {
    const wait = this.pacer!.afterRead(length, at);
    const socket = this.socket;
    if (wait <= 0 || this.pause !== null || this.phase === Phase.Closed || !socket || socket.destroyed) return;
    socket.pause();
    this.pause = setTimeout(resumeReading, wait, this);
  }

  resumeReading(): void {
    this.pause = null;
    const socket = this.socket;
    if (this.phase !== Phase.Closed && socket && !socket.destroyed) socket.resume();
  }

  // ─── what the parser found (FrameSink) ───────────────────────────────────────────────────────

  frameMessage(data: Buffer, start: number, end: number, _opcode: Opcode, compressed: boolean): void {
    if (!compressed) {
      this.events.onMessage(data, start, end, this.receivedAt);
      return;
    }
    // Only a failed connection is Closed here (frames after the failing one in the same read).
    if (this.phase === Phase.Closed) return;
    let plain: Buffer;
    try {
      plain = this.inflater!.inflate(data, start, end, this.inflatePrefix);
    } catch (e) {
      if (!(e instanceof PerMessageDeflateError)) throw e;
      return this.frameError(e.closeCode, e.message);
    }
    this.events.onMessage(plain, 0, plain.length, this.receivedAt);
  }

  frameControl(opcode: Opcode, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      this.write(Opcode.Pong, payload);
    } else if (opcode === Opcode.Close) {
      const code = closeCodeOf(payload);
      // RFC 6455 §7.4: a close code a peer may not send (or a 1-byte payload) is a protocol error, not a close code.
      if (payload.length === 1 || (payload.length >= 2 && !closeCode(code).validOnWire)) {
        const what = payload.length === 1 ? 'a 1-byte close payload' : `close code ${describeCloseCode(code)}`;
        this.sendClose(1002, 'invalid close frame');
        this.socket!.end();
        this.finish(1002, `the server sent an invalid close frame: ${what}`, false);
        return;
      }
      const reason = closeReasonOf(payload);
      this.sendClose(code === 1005 ? 1000 : code, '');
      this.socket!.end();
      this.finish(code, reason, true);
    }
  }

  frameError(code: number, reason: string): void {
    this.sendClose(code, reason);
    this.socket!.end();
    this.finish(code, reason, false);
  }

  // ─── transitions ─────────────────────────────────────────────────────────────────────────────

  /** Opens the socket for a handshake; the response comes back through received(). */
  private connect(upgrade: Upgrade): void {
    this.upgrade = upgrade;
    this.phase = Phase.Upgrading;
    this.socket = openSocket(this, upgrade.endpoint, this.pacer?.readBytes ?? 0);
  }

  private upgradeResponse(data: Buffer, length: number): void {
    const upgrade = this.upgrade!;
    const outcome = upgrade.read(data, length);
    if (outcome === null) return;
    if (!outcome.ok) return upgrade.attempt.fail(outcome.kind, outcome.message);
    const params = outcome.deflate;
    if (params !== null) {
      const { options } = upgrade;
      this.inflater = new MessageInflater(directionFor(params, 'client').receive, options.maxPayload);
      this.inflatePrefix = options.compression?.inflatePrefix ?? Infinity;
      this.parser.allowCompressed();
      options.facts?.compressed(describeDeflateParams(params));
    }
    this.phase = Phase.Open;
    this.upgrade = null;
    upgrade.attempt.succeed();
    // Frames that came in the same read as the response head: handed on after the caller has
    // seen the connection open (its continuation runs first), before any later read (the check
    // phase comes before the next poll).
    const rest = outcome.rest;
    if (rest.length > 0) {
      const at = monotonicMs();
      setImmediate(() => {
        this.receivedAt = at;
        this.parser.push(rest);
      });
    }
  }

  /** Our close frame, once, on an open connection: the connection is Closing from then on. */
  private sendClose(code: number, reason: string): void {
    const { socket } = this;
    if (this.phase !== Phase.Open || !socket || socket.destroyed) return;
    socket.write(encodeClientFrame(Opcode.Close, encodeClosePayload(code, reason)));
    this.phase = Phase.Closing;
  }

  private write(opcode: Opcode, payload: Buffer): void {
    const { socket } = this;
    if (this.phase === Phase.Open && socket && !socket.destroyed) socket.write(encodeClientFrame(opcode, payload));
  }

  /**
   * The connection is over: the one place it ends (a reconnect policy would decide here whether
   * to connect() again with a new Upgrade and a fresh parser). A clean close lets the socket
   * flush (it was ended) instead of cutting it.
   */
  private finish(code: number, reason: string, clean: boolean): void {
    const phase = this.phase;
    if (phase === Phase.Closed) return;
    this.phase = Phase.Closed;
    this.inflater?.close();
    if (this.pause !== null) {
      // Read again, so that a socket ended cleanly sees the server's end and closes.
      clearTimeout(this.pause);
      this.pause = null;
      if (clean && this.socket && !this.socket.destroyed) this.socket.resume();
    }
    if (!clean) this.socket?.destroy();
    if (phase === Phase.Open || phase === Phase.Closing) this.events.onClose(code, reason, clean);
    const onClosed = this.onClosed;
    this.onClosed = null;
    onClosed?.();
  }
}

export const createFastWebSocketClient: TransportFactory = (options, events) => new FastWebSocketClient(options, events);
