/**
 * The stamp every published payload carries: run id, sequence number and the *intended* publish
 * time (open loop: the schedule's time, not the send time, so a stalled publisher shows as
 * latency). Two encodings, both with fixed offsets so a receiver never parses more than it must:
 *
 * binary (32 bytes, little-endian)            text (48 ASCII bytes, findable inside any frame)
 *   0  "WSB" 0x01  magic + version              "WSB1" magic + version
 *   4  flags (bit 0: warm-up)                   flags digit '0'/'1', then '.'
 *   8  run id, 8 bytes                          16 hex digits run id, then '.'
 *  16  sequence, uint32                         8 hex digits sequence, then '.'
 *  20  reserved (0)                             16 hex digits: float64 bits of the intended time
 *  24  intended time, float64 ms (monotonic)
 *
 * The rest of the payload is padding up to the configured size ('x' for text, zeros for binary).
 * Text stamps are searched for with indexOf, so stacks that wrap the payload (JSON envelopes,
 * Socket.IO event arrays) still yield it.
 */
import { jsonPaddings } from './json-padding.js';
import { WsbenchError } from '../errors.js';

export const STAMP_BINARY_BYTES = 32;
export const STAMP_TEXT_BYTES = 48;
export const RUN_ID_BYTES = 8;

export const FLAG_WARMUP = 1;

const BINARY_MAGIC = 0x01425357; // "WSB\x01" read as little-endian uint32
const TEXT_MAGIC = Buffer.from('WSB1', 'latin1');

export type StampEncoding = 'binary' | 'text';

/** What a receiver learns from one message; reused to keep the receive path allocation-free. */
export interface DecodedStamp {
  seq: number;
  intendedMs: number;
  flags: number;
}

export const enum StampStatus {
  Ok = 0,
  /** No stamp in the message (heartbeats, greetings, other traffic). */
  Missing = 1,
  /** A well-formed stamp from another run (replayed or stale messages). */
  Foreign = 2,
}

/** A run id as the two uint32 halves the decoder compares against. */
export interface RunIdWords {
  lo: number;
  hi: number;
}

export function runIdWords(runIdHex: string): RunIdWords {
  const bytes = Buffer.from(runIdHex, 'hex');
  // Run ids are made by the engine: a wrong one is a bug.
  if (bytes.length !== RUN_ID_BYTES) throw new WsbenchError('INTERNAL', `run id must be ${RUN_ID_BYTES} bytes of hex`);
  return { lo: bytes.readUInt32LE(0), hi: bytes.readUInt32LE(4) };
}

/** What fills a payload behind its stamp: zeros (binary) or 'x' (text), or JSON-like text. */
export type PayloadPadding = 'plain' | 'json';

/**
 * Builds payloads for one run: a template is made once per size and only the varying fields are
 * written per message.
 */
export class StampWriter {
  private readonly runId: Buffer;
  private readonly runIdHex: string;
  /** The padding behind the stamp: one template, or (json) several that messages cycle through. */
  private readonly templates: Buffer[];

  constructor(
    runIdHex: string,
    readonly encoding: StampEncoding,
    readonly payloadSize: number,
    readonly padding: PayloadPadding = 'plain',
  ) {
    this.runId = Buffer.from(runIdHex, 'hex');
    this.runIdHex = runIdHex.toLowerCase();
    const minimum = encoding === 'binary' ? STAMP_BINARY_BYTES : STAMP_TEXT_BYTES;
    // The scenario schema refuses such sizes: reaching this is a bug.
    if (payloadSize < minimum)
      throw new WsbenchError('INTERNAL', `payload size ${payloadSize} is below the ${encoding} stamp (${minimum} bytes)`);
    this.templates = padding === 'json' ? jsonPaddings(payloadSize) : [Buffer.alloc(payloadSize, encoding === 'binary' ? 0 : 0x78 /* x */)];
  }

  /** A fresh buffer holding message `seq` scheduled at `intendedMs`. */
  write(seq: number, intendedMs: number, flags = 0): Buffer {
    const out = Buffer.allocUnsafe(this.payloadSize);
    const templates = this.templates;
    templates[templates.length === 1 ? 0 : seq % templates.length]!.copy(out);
    if (this.encoding === 'binary') {
      out.writeUInt32LE(BINARY_MAGIC, 0);
      out.writeUInt32LE(flags, 4);
      this.runId.copy(out, 8);
      out.writeUInt32LE(seq >>> 0, 16);
      out.writeUInt32LE(0, 20);
      out.writeDoubleLE(intendedMs, 24);
    } else {
      out.write(textStamp(this.runIdHex, seq, intendedMs, flags), 0, 'latin1');
    }
    return out;
  }
}

const scratch = Buffer.alloc(8);

function textStamp(runIdHex: string, seq: number, intendedMs: number, flags: number): string {
  scratch.writeDoubleBE(intendedMs, 0);
  return `WSB1${flags & FLAG_WARMUP ? '1' : '0'}.${runIdHex}.${(seq >>> 0).toString(16).padStart(8, '0')}.${scratch.toString('hex')}`;
}

/** Reads stamps of one run; `out` is overwritten by each successful decode. */
export class StampReader {
  readonly out: DecodedStamp = { seq: 0, intendedMs: 0, flags: 0 };
  private readonly lo: number;
  private readonly hi: number;

  constructor(runIdHex: string) {
    ({ lo: this.lo, hi: this.hi } = runIdWords(runIdHex));
  }

  /**
   * Reads the stamp of the message in data[start, end) — a view into a larger receive buffer is
   * fine, so a frame parser need not copy or slice.
   */
  read(data: Buffer, start = 0, end = data.length): StampStatus {
    if (end - start >= STAMP_BINARY_BYTES && data.readUInt32LE(start) === BINARY_MAGIC) return this.readBinary(data, start);
    const at = data.indexOf(TEXT_MAGIC, start);
    if (at >= 0 && end - at >= STAMP_TEXT_BYTES) return this.readText(data, at);
    return StampStatus.Missing;
  }

  private readBinary(data: Buffer, at: number): StampStatus {
    if (uint32LE(data, at + 8) !== this.lo || uint32LE(data, at + 12) !== this.hi) return StampStatus.Foreign;
    this.out.flags = uint32LE(data, at + 4);
    this.out.seq = uint32LE(data, at + 16);
    this.out.intendedMs = float64LE(data, at + 24);
    return StampStatus.Ok;
  }

  private readText(data: Buffer, at: number): StampStatus {
    // Layout after "WSB1": flag(1) '.' run(16) '.' seq(8) '.' time(16)
    const flagChar = data[at + 4];
    if ((flagChar !== 0x30 && flagChar !== 0x31) || data[at + 5] !== 0x2e || data[at + 22] !== 0x2e || data[at + 31] !== 0x2e) {
      return StampStatus.Missing;
    }
    // Run id hex is the byte order of the binary run id; compare as little-endian words.
    const lo = hexWordLE(data, at + 6);
    const hi = hexWordLE(data, at + 14);
    if (lo < 0 || hi < 0) return StampStatus.Missing;
    if (lo !== this.lo || hi !== this.hi) return StampStatus.Foreign;
    const seq = hexNumber(data, at + 23, 8);
    const timeHi = hexNumber(data, at + 32, 8);
    const timeLo = hexNumber(data, at + 40, 8);
    if (seq < 0 || timeHi < 0 || timeLo < 0) return StampStatus.Missing;
    scratch.writeUInt32BE(timeHi, 0);
    scratch.writeUInt32BE(timeLo, 4);
    this.out.flags = flagChar === 0x31 ? FLAG_WARMUP : 0;
    this.out.seq = seq;
    this.out.intendedMs = scratch.readDoubleBE(0);
    return StampStatus.Ok;
  }
}

function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Big-endian hex number of `digits` (≤ 8) digits at `at`, or -1. */
function hexNumber(data: Buffer, at: number, digits: number): number {
  let value = 0;
  for (let i = 0; i < digits; i++) {
    const d = hexDigit(data[at + i]);
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

/** 8 hex digits that spell 4 bytes in memory order, read as a little-endian uint32, or -1. */
function hexWordLE(data: Buffer, at: number): number {
  let value = 0;
  for (let byte = 3; byte >= 0; byte--) {
    const h = hexDigit(data[at + byte * 2]);
    const l = hexDigit(data[at + byte * 2 + 1]);
    if (h < 0 || l < 0) return -1;
    value = value * 256 + h * 16 + l;
  }
  return value;
}

// The binary stamp is read with plain byte arithmetic, not Buffer#readUInt32LE/readDoubleLE: those
// carry an offset check each and are big enough that V8 stopped inlining the stamp read into the
// receive path once the pool grew (bench/results/receive-path-callgrind.txt, 2026-11-28: about 300
// instructions per delivery of 1,700 in generated code). The caller has already checked that the
// 32 bytes are there.

/** The little-endian uint32 at `at` (in bounds). */
function uint32LE(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

const float64Word = new Float64Array(1);
const float64Bytes = new Uint8Array(float64Word.buffer);
/** Whether this machine's typed arrays are little-endian (all Node platforms today but s390x). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian float64 at `at` (in bounds). */
function float64LE(data: Uint8Array, at: number): number {
  if (HOST_LITTLE_ENDIAN) for (let i = 0; i < 8; i++) float64Bytes[i] = data[at + i]!;
  else for (let i = 0; i < 8; i++) float64Bytes[7 - i] = data[at + i]!;
  return float64Word[0]!;
}
