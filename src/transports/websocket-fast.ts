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
import { createHash, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { monotonicMs } from '../metrics/clock.js';
import { ConnectAttempt, type ConnectOptions, type TransportClient, type TransportEvents } from './transport.js';

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
  return createHash('sha1').update(key + GUID).digest('base64');
}

/**
 * Incremental parser of server frames. Calls `message` for each complete text/binary message
 * with a view into the chunk; control frames go to `control`. Keeps partial frames across chunks,
 * joining bytes only once a frame is complete.
 */
export class FrameParser {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before parsing can go on (0: unknown, parse as soon as anything comes). */
  private needed = 0;
  private fragments: Buffer[] | null = null;

  constructor(
    private readonly maxPayload: number,
    private readonly message: (data: Buffer, start: number, end: number) => void,
    private readonly control: (opcode: number, payload: Buffer) => void,
    private readonly protocolError: (code: number, reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      // The chunk may be a view into a reused read buffer: keep a copy.
      this.pending.push(Buffer.from(chunk));
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let pos = 0;
    const size = buf.length;
    while (pos < size) {
      const avail = size - pos;
      if (avail < 2) return this.keep(buf, pos, 2);
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      if (b1 & 0x80) return this.protocolError(1002, 'server frames must not be masked');
      if (b0 & 0x70) return this.protocolError(1002, 'reserved bits set (no extension was negotiated)');
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (avail < 4) return this.keep(buf, pos, 4);
        length = buf.readUInt16BE(pos + 2);
        header = 4;
      } else if (length === 127) {
        if (avail < 10) return this.keep(buf, pos, 10);
        length = buf.readUInt32BE(pos + 2) * 2 ** 32 + buf.readUInt32BE(pos + 6);
        header = 10;
      }
      if (length > this.maxPayload) return this.protocolError(1009, `message of ${length} bytes exceeds ${this.maxPayload}`);
      if (avail < header + length) return this.keep(buf, pos, header + length);
      const start = pos + header;
      const end = start + length;
      pos = end;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === Op.Text || opcode === Op.Binary) {
        if (this.fragments) return this.protocolError(1002, 'new message inside a fragmented one');
        if (fin) this.message(buf, start, end);
        else this.fragments = [Buffer.from(buf.subarray(start, end))];
      } else if (opcode === Op.Continuation) {
        if (!this.fragments) return this.protocolError(1002, 'continuation frame without a message');
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = null;
          if (whole.length > this.maxPayload) return this.protocolError(1009, `message of ${whole.length} bytes exceeds ${this.maxPayload}`);
          this.message(whole, 0, whole.length);
        }
      } else if (opcode === Op.Close || opcode === Op.Ping || opcode === Op.Pong) {
        if (!fin || length > 125) return this.protocolError(1002, 'control frames must be whole and at most 125 bytes');
        this.control(opcode, buf.subarray(start, end));
      } else {
        return this.protocolError(1002, `unknown opcode ${opcode}`);
      }
    }
  }

  private keep(buf: Buffer, pos: number, needed: number): void {
    const rest = Buffer.from(buf.subarray(pos));
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.needed = needed;
  }
}

export function createFastWebSocketClient(options: ConnectOptions, events: TransportEvents): TransportClient {
  const url = new URL(options.url);
  const secure = url.protocol === 'wss:';
  let socket: Socket | null = null;
  let open = false;
  let closeSent = false;
  let closed = false;
  let onClosed: (() => void) | null = null;

  const write = (opcode: number, payload: Buffer) => {
    if (socket && !socket.destroyed && !closeSent) socket.write(clientFrame(opcode, payload));
  };

  /** The connection is over; a clean close lets the socket flush (it was ended) instead of cutting it. */
  function finish(code: number, reason: string, clean: boolean): void {
    if (closed) return;
    closed = true;
    if (!clean) socket?.destroy();
    if (open) events.onClose(code, reason, clean);
    onClosed?.();
  }

  function sendClose(code: number, reason: string): void {
    if (closeSent || !socket || socket.destroyed) return;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    socket.write(clientFrame(Op.Close, payload));
    closeSent = true;
  }

  return {
    open() {
      return new Promise<void>((resolve, reject) => {
        const attempt = new ConnectAttempt(options.timeoutMs, () => socket?.destroy(), resolve, reject);
        const fail = (kind: string, message: string) => attempt.fail(kind, message);
        const port = Number(url.port || (secure ? 443 : 80));
        const host = url.hostname.replace(/^\[|\]$/g, '');
        const common = { host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
        // Bytes go to the handshake reader first, then to the frame parser.
        let onBytes: (chunk: Buffer) => void = () => {};
        const s = secure
          ? tlsConnect({ ...common, servername: host })
          : netConnect({
              ...common,
              onread: {
                buffer: READ_BUFFER,
                callback: (n: number, buf: Uint8Array) => {
                  onBytes((buf as Buffer).subarray(0, n));
                  return true;
                },
              },
            });
        if (secure) s.on('data', (chunk: Buffer) => onBytes(chunk));
        socket = s;
        s.setNoDelay(true);
        const key = randomBytes(16).toString('base64');
        const connectEvent = secure ? 'secureConnect' : 'connect';
        s.once(connectEvent, () => {
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
          s.write(lines.join('\r\n') + '\r\n\r\n');
        });

        let head: Buffer = Buffer.alloc(0);
        const parser = new FrameParser(
          options.maxPayload,
          (data, start, end) => events.onMessage(data, start, end, receivedAt),
          (opcode, payload) => {
            if (opcode === Op.Ping) write(Op.Pong, Buffer.from(payload));
            else if (opcode === Op.Close) {
              const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
              const reason = payload.length > 2 ? payload.toString('utf8', 2) : '';
              sendClose(code === 1005 ? 1000 : code, '');
              s.end();
              finish(code, reason, true);
            }
          },
          (code, reason) => {
            sendClose(code, reason);
            s.end();
            finish(code, reason, false);
          },
        );
        let receivedAt = 0;

        const onHandshakeData = (chunk: Buffer) => {
          head = Buffer.concat([head, chunk]);
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
            fail(`connect.http-${status || 'bad-response'}`, `HTTP ${status || '?'} ${statusLine.replace(/^HTTP\/1\.[01] \d{3} ?/, '')}${body ? `: ${body}` : ''}`.trim());
            return;
          }
          if (headers.get('sec-websocket-accept') !== acceptKey(key)) {
            fail('connect.bad-accept', 'Sec-WebSocket-Accept does not match the key');
            return;
          }
          if (headers.has('sec-websocket-extensions')) {
            fail('connect.bad-extension', `server chose an extension that was not offered: ${headers.get('sec-websocket-extensions')}`);
            return;
          }
          open = true;
          onBytes = (data) => {
            receivedAt = monotonicMs();
            parser.push(data);
          };
          attempt.succeed();
          // Frames that came in the same chunk as the response headers: handed on after the
          // caller has seen the connection open (its continuation runs first), before any later
          // chunk (the check phase comes before the next poll).
          const rest = head.subarray(endAt + 4);
          if (rest.length > 0) {
            const at = monotonicMs();
            setImmediate(() => {
              receivedAt = at;
              parser.push(rest);
            });
          }
        };
        onBytes = onHandshakeData;
        s.on('error', (e: NodeJS.ErrnoException) => {
          if (!attempt.settled) fail(`connect.${e.code ?? 'error'}`, e.message);
          else finish(1006, e.message, false);
        });
        s.on('close', () => {
          if (!attempt.settled) fail('connect.closed', 'connection closed during the handshake');
          else finish(1006, 'connection closed without a close frame', false);
        });
      });
    },

    send(text) {
      if (open) write(Op.Text, Buffer.from(text));
    },

    close() {
      return new Promise<void>((resolve) => {
        if (closed || !socket) {
          socket?.destroy();
          return resolve();
        }
        const timer = setTimeout(() => finish(1006, 'no close frame from the server', false), 1000);
        onClosed = () => {
          clearTimeout(timer);
          resolve();
        };
        if (!open) return finish(1006, 'closed before open', false);
        sendClose(1000, 'wsbench done');
      });
    },

    wire() {
      return { bytesIn: socket?.bytesRead ?? 0, bytesOut: socket?.bytesWritten ?? 0, requests: socket ? 1 : 0 };
    },
  };
}
