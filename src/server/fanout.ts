/**
 * Fan-out with one frame per message and one write per socket per event-loop turn.
 *
 * A naive server calls `ws.send` per recipient per message: a frame built, a small allocation
 * and a write syscall each time (≈ 14 µs per recipient on the reference machine). Here a message
 * is framed once and appended to its channel's list for the current turn; once per turn
 * (setImmediate, after every message that the Redis socket's read delivered) each channel's
 * frames are joined once into one buffer and that same buffer is written to every recipient with
 * a single `socket.write`. Every WebSocket connection is on exactly one channel, so all of a
 * channel's recipients get the same bytes and the join is shared.
 *
 * permessage-deflate (`ws` negotiates it; the server answers server_no_context_takeover to every
 * offer unless configured otherwise, RFC 7692 §7.1.1.1): a recipient without context takeover
 * gets frames whose payload depends on the message alone, so each message is compressed once per
 * channel and turn (per window size: output made with a smaller window inflates at every peer that
 * allows a larger one) and the joined compressed frames are shared like the plain ones. A
 * recipient with context takeover (the server configured not to insist, the client not asking)
 * has a compression stream of its own: each message is compressed again for it, in order, with its
 * own zlib context — about 214 KiB of memory per connection at 15 window bits and the deflate CPU
 * per recipient instead of per channel (bench/results/deflate.txt: 34 µs for a 1 KiB message). It
 * still gets one write per turn.
 *
 * Frames go straight to the connection's TCP socket. That is safe with `ws` because the server
 * never sends data through `ws`: its Sender then queues nothing of its own (it queues only while
 * deflating or reading a Blob, which happen only in `ws.send`) and writes whole control frames
 * (close, pong) synchronously, so whole-frame writes from here never interleave with its own.
 * A connection whose internals are not what this expects keeps the `ws.send` path (still once per
 * turn, in order). Nothing is written once `ws` has left the OPEN state, so no data frame ever
 * follows a close frame.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { MessageDeflater, MAX_WINDOW_BITS } from '../wire/permessage-deflate.js';
import { FirstByte, Opcode, encodeFrame, encodeServerFrame } from '../wire/websocket-frame.js';

const OPEN = 1;

/**
 * A client dropped for being too slow gets its close frame behind everything already queued for
 * it; one that does not read its way there this soon is cut with a TCP reset, which frees what
 * this process and the kernel hold for it now — not after `ws`'s 30 s close timeout, nor behind a
 * FIN that would wait for the client to read megabytes first.
 */
const DROP_GRACE_MS = 1000;

function cutIfStillOpen(ws: WebSocket): void {
  if (ws.readyState === ws.CLOSED) return;
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  try {
    if (socket && !socket.destroyed) socket.resetAndDestroy();
  } catch {
    // Not a plain TCP handle (TLS): destroying is all there is.
  }
  ws.terminate();
}

/** How a recipient's messages are compressed (permessage-deflate negotiated), if at all. */
export type RecipientDeflate =
  /** No context takeover: frames shared by the channel's recipients with this window. */
  | { readonly shared: true; readonly windowBits: number }
  /** Context takeover: its own compression stream. */
  | { readonly shared: false; readonly deflater: MessageDeflater };

export interface Recipient {
  readonly ws: WebSocket;
  /** The raw TCP socket when frames may be written to it directly; null: use `ws.send`. */
  readonly socket: Socket | null;
  /** null: frames are sent uncompressed. */
  readonly deflate: RecipientDeflate | null;
}

export class FanoutChannel {
  readonly recipients = new Set<Recipient>();
  /** This turn's messages: frames for direct writes, payloads and kinds for the `ws.send` path. */
  frames: Buffer[] = [];
  payloads: Buffer[] = [];
  binary: boolean[] = [];
  bytes = 0;
  /**
   * Recipients that joined while this turn's frames were queued, and how many came before them
   * (they get only the later ones); null when none did. Kept by the channel, not the recipient:
   * a connection in several channels (/ws?channels=…) joins each on its own.
   */
  joinedMidTurn: Map<Recipient, number> | null = null;

  add(recipient: Recipient): void {
    if (this.frames.length > 0) (this.joinedMidTurn ??= new Map()).set(recipient, this.frames.length);
    this.recipients.add(recipient);
  }
}

export interface FanoutCounters {
  deliveries: number;
  slowClientsDropped: number;
}

/** What `ws` keeps of a negotiated permessage-deflate: the accepted parameters (RFC 7692 names). */
interface WsDeflateInternals {
  params?: { server_no_context_takeover?: boolean; server_max_window_bits?: number } | null;
}

/**
 * Wraps an accepted `ws` connection: direct writes to its socket, compressed as it negotiated.
 * `ws`'s internals are checked; when they are not what is expected, the connection keeps `ws.send`.
 */
export function recipientOf(ws: WebSocket, deflateLevel?: number): Recipient {
  const internals = ws as unknown as { _socket?: Socket; _extensions?: Record<string, WsDeflateInternals> };
  const extensions = internals._extensions ?? {};
  const names = Object.keys(extensions);
  const negotiated = extensions['permessage-deflate'];
  let deflate: RecipientDeflate | null = null;
  let direct = internals._socket !== undefined && names.length === 0;
  if (names.length === 1 && negotiated?.params) {
    const params = negotiated.params;
    const windowBits = params.server_max_window_bits ?? MAX_WINDOW_BITS;
    direct = internals._socket !== undefined;
    deflate = params.server_no_context_takeover
      ? { shared: true, windowBits }
      : {
          shared: false,
          deflater: new MessageDeflater({
            noContextTakeover: false,
            windowBits,
            ...(deflateLevel !== undefined ? { level: deflateLevel } : {}),
          }),
        };
  }
  return { ws, socket: direct ? internals._socket! : null, deflate: direct ? deflate : null };
}

/** Bytes queued in this server for a recipient that its socket has not handed to the kernel yet. */
export function bufferedBytesOf(recipient: Recipient): number {
  return recipient.socket ? recipient.socket.writableLength : recipient.ws.bufferedAmount;
}

/** Frees what a recipient holds (its compression stream). */
export function releaseRecipient(recipient: Recipient): void {
  if (recipient.deflate && !recipient.deflate.shared) recipient.deflate.deflater.close();
}

/** A compressed frame: RSV1 on, the payload as permessage-deflate sends it. */
function compressedFrame(deflater: MessageDeflater, payload: Buffer, binary: boolean): Buffer {
  return encodeFrame(FirstByte.Fin | FirstByte.Rsv1 | (binary ? Opcode.Binary : Opcode.Text), deflater.deflate(payload));
}

export class Fanout {
  private dirty: FanoutChannel[] = [];
  private scheduled = false;
  private readonly flushBound = () => this.flush();
  /** Deflaters without context takeover (one zlib context of the process, reset per message), per window size. */
  private readonly sharedDeflaters = new Map<number, MessageDeflater>();

  /**
   * @param maxBuffered a recipient with more unsent bytes than this is closed with 1013
   * @param writeDelayMs 0: flush at the end of the turn; > 0: collect for this long first, so
   *   that more messages share one write (fewer syscalls per delivery) at up to this much latency
   */
  constructor(
    private readonly maxBuffered: number,
    private readonly counters: FanoutCounters,
    private readonly writeDelayMs = 0,
    private readonly deflateLevel?: number,
  ) {}

  private sharedDeflater(windowBits: number): MessageDeflater {
    let deflater = this.sharedDeflaters.get(windowBits);
    if (!deflater) {
      const level = this.deflateLevel;
      deflater = new MessageDeflater({ noContextTakeover: true, windowBits, ...(level !== undefined ? { level } : {}) });
      this.sharedDeflaters.set(windowBits, deflater);
    }
    return deflater;
  }

  /** Queues `payload` for every recipient of `channel`; written at the end of this turn. */
  publish(channel: FanoutChannel, payload: Buffer, binary: boolean): void {
    if (channel.recipients.size === 0) return;
    if (channel.frames.length === 0) {
      this.dirty.push(channel);
      if (!this.scheduled) {
        this.scheduled = true;
        if (this.writeDelayMs > 0) setTimeout(this.flushBound, this.writeDelayMs);
        else setImmediate(this.flushBound);
      }
    }
    channel.frames.push(encodeServerFrame(binary ? Opcode.Binary : Opcode.Text, payload));
    channel.payloads.push(payload);
    channel.binary.push(binary);
    channel.bytes += payload.length;
  }

  /** Writes every channel's pending frames: one write per recipient. */
  flush(): void {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const channel of dirty) this.flushChannel(channel);
  }

  private flushChannel(channel: FanoutChannel): void {
    const { frames, payloads, binary } = channel;
    const count = frames.length;
    channel.frames = [];
    channel.payloads = [];
    channel.binary = [];
    channel.bytes = 0;
    const joined = channel.joinedMidTurn;
    channel.joinedMidTurn = null;
    if (count === 0) return;
    const all = count === 1 ? frames[0]! : Buffer.concat(frames);
    // Compressed frames shared by the recipients without context takeover, per window size.
    let sharedFrames: Map<number, { frames: Buffer[]; all: Buffer }> | null = null;
    const compressedFor = (windowBits: number) => {
      sharedFrames ??= new Map();
      let made = sharedFrames.get(windowBits);
      if (!made) {
        const deflater = this.sharedDeflater(windowBits);
        const list = payloads.map((p, i) => compressedFrame(deflater, p, binary[i]!));
        made = { frames: list, all: list.length === 1 ? list[0]! : Buffer.concat(list) };
        sharedFrames.set(windowBits, made);
      }
      return made;
    };
    let deliveries = 0;
    for (const r of channel.recipients) {
      const from = joined === null ? 0 : (joined.get(r) ?? 0);
      if (from >= count) continue;
      const ws = r.ws;
      if (ws.readyState !== OPEN) continue; // its 'close' handler removes it
      const socket = r.socket;
      if (bufferedBytesOf(r) > this.maxBuffered) {
        this.counters.slowClientsDropped++;
        ws.close(1013, 'too slow: send buffer full');
        setTimeout(cutIfStillOpen, DROP_GRACE_MS, ws).unref();
        channel.recipients.delete(r);
        continue;
      }
      if (socket) {
        if (!socket.writable) continue;
        const deflate = r.deflate;
        if (deflate === null) {
          socket.write(from === 0 ? all : Buffer.concat(frames.slice(from)));
        } else if (deflate.shared) {
          const made = compressedFor(deflate.windowBits);
          socket.write(from === 0 ? made.all : Buffer.concat(made.frames.slice(from)));
        } else {
          const own: Buffer[] = [];
          for (let i = from; i < count; i++) own.push(compressedFrame(deflate.deflater, payloads[i]!, binary[i]!));
          socket.write(own.length === 1 ? own[0]! : Buffer.concat(own));
        }
      } else {
        for (let i = from; i < count; i++) ws.send(payloads[i]!, { binary: binary[i]! });
      }
      deliveries += count - from;
    }
    this.counters.deliveries += deliveries;
  }
}
