/**
 * WebSocket frames (RFC 6455 §5): the header as both ends write it, and the in-place parser the
 * fast client reads with. The reference server frames each Redis message once with this codec
 * and writes the same bytes to every recipient (server/fanout.ts); the fast client masks what it
 * sends and parses what it receives (transports/fast-websocket/).
 *
 *   byte 0   FIN (0x80), RSV1 (0x40, permessage-deflate's "compressed"), RSV2, RSV3, opcode
 *   byte 1   MASK (0x80, set on every client frame), 7-bit length: 0–125, or 126 / 127 for a
 *            16-bit / 64-bit big-endian length in the next 2 / 8 bytes
 *   then     the 4-byte mask key when masked, then the payload
 *
 * The parser is built for many small messages per read: several frames per chunk, each complete
 * message handed to a sink as a view data[start, end) into the chunk, no copy, string or event per
 * message. Only partial frames and fragmented messages are copied (reads may land in a reused
 * buffer). It reads server frames (unmasked): the reference server itself receives through `ws`.
 */
import { randomBytes } from 'node:crypto';

export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/**
 * Header bits, as const enums so that they compile to literals: the parser's loop runs per
 * message, and module-level constants cost it measurably (a context load each).
 */
export const enum FirstByte {
  /** The last frame of a message. */
  Fin = 0x80,
  /** On the first frame of a compressed message, once permessage-deflate was negotiated (RFC 7692). */
  Rsv1 = 0x40,
  /** Reserved: no extension wsbench knows uses them. */
  Rsv2 = 0x20,
  Rsv3 = 0x10,
}

export const enum SecondByte {
  /** A mask key follows the length. */
  Masked = 0x80,
}

/** Control frames (close, ping, pong) carry at most this many payload bytes and are never fragmented. */
export const MAX_CONTROL_PAYLOAD = 125;

// ─── encoding ──────────────────────────────────────────────────────────────────────────────────

/** Header bytes for a payload of `payloadLength` bytes: 2, 4 or 10, plus 4 for a mask key. */
export function headerLength(payloadLength: number, masked = false): number {
  return (payloadLength < 126 ? 2 : payloadLength < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * One frame, header and payload in a single buffer. `first` is the first header byte (FIN, RSV1,
 * opcode); with a `maskKey` the payload is masked (clients must mask everything they send).
 */
export function encodeFrame(first: number, payload: Uint8Array, maskKey: Uint8Array | null = null): Buffer {
  const length = payload.length;
  const head = headerLength(length, maskKey !== null);
  const frame = Buffer.allocUnsafe(head + length);
  const maskBit = maskKey !== null ? SecondByte.Masked : 0;
  frame[0] = first;
  if (length < 126) {
    frame[1] = maskBit | length;
  } else if (length < 0x10000) {
    frame[1] = maskBit | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = maskBit | 127;
    // Payloads are far below 2^53: the high 32 bits come from a division, not a shift.
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (maskKey === null) {
    frame.set(payload, head);
  } else {
    frame.set(maskKey.subarray(0, 4), head - 4);
    for (let i = 0; i < length; i++) frame[head + i] = payload[i]! ^ maskKey[i & 3]!;
  }
  return frame;
}

/** A final, unmasked frame as a server sends it. */
export function encodeServerFrame(opcode: Opcode, payload: Uint8Array): Buffer {
  return encodeFrame(FirstByte.Fin | opcode, payload);
}

/** A final frame masked with a fresh random key, as a client must send it. */
export function encodeClientFrame(opcode: Opcode, payload: Uint8Array): Buffer {
  return encodeFrame(FirstByte.Fin | opcode, payload, randomBytes(4));
}

/** A close frame's reason fits in a control frame after the 2-byte code. */
const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;

/** The payload of a close frame: the status code, then the reason in UTF-8 (shortened to fit). */
export function encodeClosePayload(code: number, reason: string): Buffer {
  let text = reason;
  while (Buffer.byteLength(text) > MAX_CLOSE_REASON_BYTES) text = text.slice(0, -1);
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(text));
  payload.writeUInt16BE(code, 0);
  payload.write(text, 2);
  return payload;
}

/** The status code of a close frame's payload; 1005 ("no status") when it has none. */
export function closeCodeOf(payload: Buffer): number {
  return payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
}

/** The reason of a close frame's payload ('' when it has none). */
export function closeReasonOf(payload: Buffer): string {
  return payload.length > 2 ? payload.toString('utf8', 2) : '';
}

// ─── decoding ──────────────────────────────────────────────────────────────────────────────────

/** Header bytes of a frame, from its second byte (mask bit and 7-bit length): 2, 4 or 10, plus 4 when masked. */
export function headerLengthOf(secondByte: number): number {
  const length7 = secondByte & 0x7f;
  return (length7 < 126 ? 2 : length7 === 126 ? 4 : 10) + (secondByte & SecondByte.Masked ? 4 : 0);
}

/** Payload length of the frame whose header starts at buf[at] (the whole header must be there). */
export function payloadLengthOf(buf: Buffer, at: number): number {
  const length7 = buf[at + 1]! & 0x7f;
  if (length7 < 126) return length7;
  if (length7 === 126) return buf.readUInt16BE(at + 2);
  return buf.readUInt32BE(at + 2) * 0x1_0000_0000 + buf.readUInt32BE(at + 6);
}

/** Where a FrameParser hands on what it parsed. */
export interface FrameSink {
  /**
   * A complete text or binary message: data[start, end), valid only during the call. `opcode` is
   * Text or Binary. `compressed` (RSV1 of its first frame) can only be true once the parser was
   * told that permessage-deflate is on (`allowCompressed`): the sink then inflates the payload.
   */
  frameMessage(data: Buffer, start: number, end: number, opcode: Opcode, compressed: boolean): void;
  /** A close, ping or pong frame. Nothing after a close frame is parsed. */
  frameControl(opcode: Opcode, payload: Buffer): void;
  /** The peer broke the protocol; `code` is the close code to answer with. Parsing stops. */
  frameError(code: number, reason: string): void;
}

/** The bytes of a frame that did not arrive whole, collected until `needed` are there. */
class PartialFrame {
  constructor(
    readonly chunks: Buffer[],
    public bytes: number,
    /** Bytes needed before parsing can go on (the header first, then the whole frame). */
    readonly needed: number,
  ) {}
}

/** A message that came in several frames: its first byte (opcode, RSV1) and the payloads so far. */
class FragmentedMessage {
  readonly parts: Buffer[];
  bytes: number;

  constructor(
    readonly first: number,
    part: Buffer,
  ) {
    this.parts = [part];
    this.bytes = part.length;
  }
}

/**
 * Incremental parser of unmasked (server) frames. Hands each complete text or binary message to
 * the sink as a view into the chunk, control frames too. Partial frames and fragmented messages
 * live in objects that exist only while one is in progress, so an idle connection's parser is
 * five small fields (BENCHMARKS.md, memory per connection).
 */
export class FrameParser {
  private partial: PartialFrame | null = null;
  private message: FragmentedMessage | null = null;
  /** RSV1 marks compressed messages (permessage-deflate negotiated); otherwise it is a protocol error. */
  private compression = false;

  constructor(
    private readonly maxPayload: number,
    private readonly sink: FrameSink,
  ) {}

  /** The handshake negotiated permessage-deflate: from now on RSV1 on a message's first frame means compressed. */
  allowCompressed(): void {
    this.compression = true;
  }

  /** Parses chunk[0, size). The chunk may be a reused read buffer: nothing of it is kept uncopied. */
  push(chunk: Buffer, size = chunk.length): void {
    let buf = chunk;
    const partial = this.partial;
    if (partial !== null) {
      partial.chunks.push(Buffer.from(chunk.subarray(0, size)));
      partial.bytes += size;
      if (partial.bytes < partial.needed) return;
      buf = Buffer.concat(partial.chunks, partial.bytes);
      size = buf.length;
      this.partial = null;
    }
    const sink = this.sink;
    let pos = 0;
    while (pos < size) {
      const avail = size - pos;
      if (avail < 2) return this.keep(buf, pos, size, 2);
      const b0 = buf[pos]!;
      const b1 = buf[pos + 1]!;
      if (b1 & SecondByte.Masked) return sink.frameError(1002, 'server frames must not be masked');
      if (
        (b0 & (FirstByte.Rsv1 | FirstByte.Rsv2 | FirstByte.Rsv3)) !== 0 &&
        ((b0 & (FirstByte.Rsv2 | FirstByte.Rsv3)) !== 0 || !this.compression)
      ) {
        return sink.frameError(1002, 'reserved bits set (no extension was negotiated that uses them)');
      }
      // The 7-bit length (nearly every message here) inline; longer forms through the helpers.
      let length = b1 & 0x7f;
      let header = 2;
      if (length >= 126) {
        header = headerLengthOf(b1);
        if (avail < header) return this.keep(buf, pos, size, header);
        length = payloadLengthOf(buf, pos);
      }
      if (length > this.maxPayload) return sink.frameError(1009, `message of ${length} bytes exceeds ${this.maxPayload}`);
      if (avail < header + length) return this.keep(buf, pos, size, header + length);
      const start = pos + header;
      const end = start + length;
      pos = end;
      const opcode = b0 & 0x0f;
      if (opcode === Opcode.Text || opcode === Opcode.Binary) {
        if (this.message !== null) return sink.frameError(1002, 'new message inside a fragmented one');
        if (b0 & FirstByte.Fin) sink.frameMessage(buf, start, end, opcode, (b0 & FirstByte.Rsv1) !== 0);
        else this.message = new FragmentedMessage(b0, Buffer.from(buf.subarray(start, end)));
      } else if (opcode === Opcode.Continuation) {
        const message = this.message;
        if (message === null) return sink.frameError(1002, 'continuation frame without a message');
        if (b0 & FirstByte.Rsv1) return sink.frameError(1002, 'RSV1 set on a continuation frame');
        message.parts.push(Buffer.from(buf.subarray(start, end)));
        message.bytes += length;
        if (message.bytes > this.maxPayload) return sink.frameError(1009, `message of ${message.bytes}+ bytes exceeds ${this.maxPayload}`);
        if (b0 & FirstByte.Fin) {
          this.message = null;
          const whole = Buffer.concat(message.parts, message.bytes);
          sink.frameMessage(whole, 0, whole.length, message.first & 0x0f, (message.first & FirstByte.Rsv1) !== 0);
        }
      } else if (opcode === Opcode.Close || opcode === Opcode.Ping || opcode === Opcode.Pong) {
        if (!(b0 & FirstByte.Fin) || length > MAX_CONTROL_PAYLOAD)
          return sink.frameError(1002, 'control frames must be whole and at most 125 bytes');
        if (b0 & FirstByte.Rsv1) return sink.frameError(1002, 'RSV1 set on a control frame');
        sink.frameControl(opcode, buf.subarray(start, end));
        if (opcode === Opcode.Close) return;
      } else {
        return sink.frameError(1002, `unknown opcode ${opcode}`);
      }
    }
  }

  private keep(buf: Buffer, pos: number, size: number, needed: number): void {
    const rest = Buffer.from(buf.subarray(pos, size));
    this.partial = new PartialFrame([rest], rest.length, needed);
  }
}
