/**
 * The fast WebSocket client: RFC 6455 over a bare TCP (or TLS) socket, built for receiving many
 * small messages cheaply. Frames are parsed in place — several per chunk, one clock read per
 * chunk, each message handed on as a view (buffer, start, end) into the received chunk: no
 * per-message copy, string or event. It sends only what a load client must (the handshake,
 * protocol messages, pongs, the close handshake). permessage-deflate is not offered.
 *
 * The `ws` client (websocket.ts) stays as the conformance baseline: tests check both give the
 * same ledger on the same target.
 */
import { closeCode, describeCloseCode } from '../peer-text.js';
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { monotonicMs } from '../metrics/clock.js';
import {
  ConnectAttempt,
  TransportError,
  type ConnectOptions,
  type TransportClient,
  type TransportEvents,
  type TransportFactory,
  type WireStats,
} from './transport.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
/** Refuse absurd upgrade responses instead of buffering them forever. */
const MAX_HANDSHAKE_BYTES = 16 * 1024;
/**
 * Every plain-TCP client of this process reads into this one buffer (net's `onread`): no Buffer
 * is allocated per read and no stream 'data' event is emitted. Safe because each read is parsed
 * to the end before the next read happens; anything kept across reads is copied out.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const enum Op {
  Continuation = 0,
  Text = 1,
  Binary = 2,
  Close = 8,
  Ping = 9,
  Pong = 10,
}

/** A masked client frame (clients must mask everything they send). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** The start of a chunked HTTP body (as much as has arrived), for error messages. */
function dechunk(raw: Buffer): string {
  let out = '';
  let at = 0;
  while (at < raw.length && out.length < 200) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) break;
    out += raw.toString('utf8', lineEnd + 2, Math.min(raw.length, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Where a FrameParser hands on what it parsed. */
export interface FrameSink {
  /** A complete text or binary message: data[start, end), valid only during the call. */
  frameMessage(data: Buffer, start: number, end: number): void;
  /** A close, ping or pong frame. */
  frameControl(opcode: number, payload: Buffer): void;
  /** The server broke the protocol; `code` is the close code to answer with. */
  frameError(code: number, reason: string): void;
}

/**
 * Incremental parser of server frames. Hands each complete text/binary message to the sink as a
 * view into the chunk; control frames too. Keeps partial frames across chunks, joining bytes only
 * once a frame is complete.
 */
export class FrameParser {
  /** Bytes of an incomplete frame (copies: chunks may be views into a reused read buffer). */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  /** Bytes needed before parsing can go on. */
  private needed = 0;
  private fragments: Buffer[] | null = null;

  constructor(
    private readonly maxPayload: number,
    private readonly sink: FrameSink,
  ) {}

  /** Parses chunk[0, size). */
  push(chunk: Buffer, size = chunk.length): void {
    let buf = chunk;
    if (this.pending !== null) {
      this.pending.push(Buffer.from(chunk.subarray(0, size)));
      this.pendingBytes += size;
      if (this.pendingBytes < this.needed) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      size = buf.length;
      this.pending = null;
      this.pendingBytes = 0;
    }
    const sink = this.sink;
    let pos = 0;
    while (pos < size) {
      const avail = size - pos;
      if (avail < 2) return this.keep(buf, pos, size, 2);
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      if (b1 & 0x80) return sink.frameError(1002, 'server frames must not be masked');
      if (b0 & 0x70) return sink.frameError(1002, 'reserved bits set (no extension was negotiated)');
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (avail < 4) return this.keep(buf, pos, size, 4);
        length = buf.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (avail < 10) return this.keep(buf, pos, size, 10);
        length = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
        header = 10;
      }
      if (length > this.maxPayload) return sink.frameError(1009, `message of ${length} bytes exceeds ${this.maxPayload}`);
      if (avail < header + length) return this.keep(buf, pos, size, header + length);
      const start = pos + header;
      const end = start + length;
      pos = end;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === Op.Text || opcode === Op.Binary) {
        if (this.fragments) return sink.frameError(1002, 'new message inside a fragmented one');
        if (fin) sink.frameMessage(buf, start, end);
        else this.fragments = [Buffer.from(buf.subarray(start, end))];
      } else if (opcode === Op.Continuation) {
        if (!this.fragments) return sink.frameError(1002, 'continuation frame without a message');
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          if (whole.length > this.maxPayload) return sink.frameError(1009, `message of ${whole.length} bytes exceeds ${this.maxPayload}`);
          sink.frameMessage(whole, 0, whole.length);
        }
      } else if (opcode === Op.Close || opcode === Op.Ping || opcode === Op.Pong) {
        if (!fin || length > 125) return sink.frameError(1002, 'control frames must be whole and at most 125 bytes');
        sink.frameControl(opcode, buf.subarray(start, end));
      } else {
        return sink.frameError(1002, `unknown opcode ${opcode}`);
      }
    }
  }

  private keep(buf: Buffer, pos: number, size: number, needed: number): void {
    const rest = Buffer.from(buf.subarray(pos, size));
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.needed = needed;
  }
}

/*
 * A held connection should cost little more than its socket (issue 7: ≤ 3 KB per connection), so
 * a client is one object with its methods on the prototype, and the socket's listeners are the
 * functions below, shared by every client of the process: `this` is the socket, its owner the
 * client. Per-connection closures would cost several hundred bytes (BENCHMARKS.md, memory).
 */
const OWNER = Symbol('wsbench.fastClient');
type OwnedSocket = Socket & { [OWNER]: FastWebSocketClient };

function socketConnected(this: OwnedSocket): void {
  this[OWNER].sendUpgradeRequest();
}
/** net's `onread` callback: `length` bytes were read into the shared buffer. */
function socketRead(this: OwnedSocket, length: number, buffer: Uint8Array): boolean {
  this[OWNER].received(buffer as Buffer, length);
  return true;
}
function socketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER].received(chunk, chunk.length);
}
function socketFailed(this: OwnedSocket, e: NodeJS.ErrnoException): void {
  this[OWNER].socketFailed(e);
}
function socketClosed(this: OwnedSocket): void {
  this[OWNER].socketClosed();
}

const enum Phase {
  Idle,
  Upgrading,
  Open,
  Closed,
}

/** What is needed only while the upgrade is in progress; dropped once the connection is open. */
class Upgrade {
  readonly key = randomBytes(16).toString('base64');
  /** The response so far (a copy: reads land in the shared buffer). */
  head: Buffer = Buffer.alloc(0);

  constructor(
    readonly url: URL,
    readonly options: ConnectOptions,
    readonly attempt: ConnectAttempt,
  ) {}
}

class FastWebSocketClient implements TransportClient, FrameSink {
  private socket: OwnedSocket | null = null;
  private phase = Phase.Idle;
  private closeSent = false;
  /** monotonicMs() of the read being parsed. */
  private receivedAt = 0;
  private upgrade: Upgrade | null = null;
  private readonly parser: FrameParser;
  private onClosed: (() => void) | null = null;
  /** Until open() moves them into the upgrade state. */
  private options: ConnectOptions | null;

  constructor(
    options: ConnectOptions,
    private readonly events: TransportEvents,
  ) {
    this.options = options;
    this.parser = new FrameParser(options.maxPayload, this);
  }

  open(): Promise<void> {
    const options = this.options;
    if (!options) return Promise.reject(new TransportError('connect.error', 'a client opens once'));
    this.options = null;
    return new Promise<void>((resolve, reject) => {
      const url = new URL(options.url);
      const secure = url.protocol === 'wss:';
      this.upgrade = new Upgrade(url, options, new ConnectAttempt(options.timeoutMs, () => this.socket?.destroy(), resolve, reject));
      this.phase = Phase.Upgrading;
      const port = Number(url.port || (secure ? 443 : 80));
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const common = { host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
      const socket = (
        secure
          ? tlsConnect({ ...common, servername: host })
          : netConnect({ ...common, onread: { buffer: READ_BUFFER, callback: socketRead } })
      ) as OwnedSocket;
      socket[OWNER] = this;
      this.socket = socket;
      if (secure) socket.on('data', socketData);
      socket.setNoDelay(true);
      socket.once(secure ? 'secureConnect' : 'connect', socketConnected);
      socket.on('error', socketFailed);
      socket.on('close', socketClosed);
    });
  }

  send(text: string): void {
    if (this.phase === Phase.Open) this.write(Op.Text, Buffer.from(text));
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.phase === Phase.Closed || !this.socket) {
        this.socket?.destroy();
        return resolve();
      }
      const timer = setTimeout(() => this.finish(1006, 'no close frame from the server', false), 1000);
      this.onClosed = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.phase !== Phase.Open) return this.finish(1006, 'closed before open', false);
      this.sendClose(1000, 'wsbench done');
    });
  }

  wire(): WireStats {
    const { socket } = this;
    return { bytesIn: socket?.bytesRead ?? 0, bytesOut: socket?.bytesWritten ?? 0, requests: socket ? 1 : 0 };
  }

  sendUpgradeRequest(): void {
    if (!this.upgrade || !this.socket) return;
    const { url, key, options } = this.upgrade;
    const lines = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.subprotocols.length) lines.push(`Sec-WebSocket-Protocol: ${options.subprotocols.join(', ')}`);
    for (const [name, value] of Object.entries(options.headers)) lines.push(`${name}: ${value}`);
    this.socket.write(lines.join('\r\n') + '\r\n\r\n');
  }

  /** `length` bytes arrived in `data` (possibly the shared read buffer: parsed before returning). */
  received(data: Buffer, length: number): void {
    if (this.phase === Phase.Open) {
      this.receivedAt = monotonicMs();
      this.parser.push(data, length);
    } else if (this.phase === Phase.Upgrading) {
      this.readUpgradeResponse(data, length);
    }
  }

  private readUpgradeResponse(data: Buffer, length: number): void {
    const upgrade = this.upgrade!;
    const fail = (kind: string, message: string) => upgrade.attempt.fail(kind, message);
    const head = (upgrade.head = Buffer.concat([upgrade.head, data.subarray(0, length)]));
    const endAt = head.indexOf(HEADER_END);
    if (endAt < 0) {
      if (head.length > MAX_HANDSHAKE_BYTES) fail('connect.bad-response', 'upgrade response headers too long');
      return;
    }
    const text = head.toString('latin1', 0, endAt);
    const [statusLine = '', ...headerLines] = text.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status !== 101) {
      const raw = head.subarray(endAt + 4);
      const body = oneLine(headers.get('transfer-encoding') === 'chunked' ? dechunk(raw) : raw.toString('utf8', 0, 200));
      fail(
        `connect.http-${status || 'bad-response'}`,
        `HTTP ${status || '?'} ${statusLine.replace(/^HTTP\/1\.[01] \d{3} ?/, '')}${body ? `: ${body}` : ''}`.trim(),
      );
      return;
    }
    if (headers.get('sec-websocket-accept') !== acceptKey(upgrade.key)) {
      fail('connect.bad-accept', 'Sec-WebSocket-Accept does not match the key');
      return;
    }
    if (headers.has('sec-websocket-extensions')) {
      fail('connect.bad-extension', `server chose an extension that was not offered: ${headers.get('sec-websocket-extensions')}`);
      return;
    }
    this.phase = Phase.Open;
    this.upgrade = null;
    upgrade.attempt.succeed();
    // Frames that came in the same chunk as the response headers: handed on after the caller has
    // seen the connection open (its continuation runs first), before any later chunk (the check
    // phase comes before the next poll).
    const rest = head.subarray(endAt + 4);
    if (rest.length > 0) {
      const at = monotonicMs();
      setImmediate(() => {
        this.receivedAt = at;
        this.parser.push(rest);
      });
    }
  }

  frameMessage(data: Buffer, start: number, end: number): void {
    this.events.onMessage(data, start, end, this.receivedAt);
  }

  frameControl(opcode: number, payload: Buffer): void {
    if (opcode === Op.Ping) this.write(Op.Pong, Buffer.from(payload));
    else if (opcode === Op.Close) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      // RFC 6455 §7.4: a close code a peer may not send (or a 1-byte payload) is a protocol error, not a close code.
      if (payload.length === 1 || (payload.length >= 2 && !closeCode(code).validOnWire)) {
        const what = payload.length === 1 ? 'a 1-byte close payload' : `close code ${describeCloseCode(code)}`;
        this.sendClose(1002, 'invalid close frame');
        this.socket!.end();
        this.finish(1002, `the server sent an invalid close frame: ${what}`, false);
        return;
      }
      const reason = payload.length > 2 ? payload.toString('utf8', 2) : '';
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

  socketFailed(e: NodeJS.ErrnoException): void {
    const attempt = this.upgrade?.attempt;
    if (attempt && !attempt.settled) attempt.fail(`connect.${e.code ?? 'error'}`, e.message);
    else this.finish(1006, e.message, false);
  }

  socketClosed(): void {
    const attempt = this.upgrade?.attempt;
    if (attempt && !attempt.settled) attempt.fail('connect.closed', 'connection closed during the handshake');
    else this.finish(1006, 'connection closed without a close frame', false);
  }

  private write(opcode: number, payload: Buffer): void {
    const { socket } = this;
    if (socket && !socket.destroyed && !this.closeSent) socket.write(clientFrame(opcode, payload));
  }

  private sendClose(code: number, reason: string): void {
    const { socket } = this;
    if (this.closeSent || !socket || socket.destroyed) return;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    socket.write(clientFrame(Op.Close, payload));
    this.closeSent = true;
  }

  /** The connection is over; a clean close lets the socket flush (it was ended) instead of cutting it. */
  private finish(code: number, reason: string, clean: boolean): void {
    if (this.phase === Phase.Closed) return;
    const wasOpen = this.phase === Phase.Open;
    this.phase = Phase.Closed;
    if (!clean) this.socket?.destroy();
    if (wasOpen) this.events.onClose(code, reason, clean);
    this.onClosed?.();
  }
}

export const createFastWebSocketClient: TransportFactory = (options, events) => new FastWebSocketClient(options, events);
