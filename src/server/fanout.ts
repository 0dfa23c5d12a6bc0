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
 * Frames go straight to the connection's TCP socket. That is safe with `ws` as long as
 * permessage-deflate is off for the connection: its Sender then queues nothing of its own (it
 * queues only while deflating or reading a Blob, and the server sends neither) and writes whole
 * frames (close, pong) synchronously, so whole-frame writes from here never interleave with its
 * own. Connections that negotiated permessage-deflate keep the `ws.send` path (still once per
 * turn, in order). Nothing is written once `ws` has left the OPEN state, so no data frame ever
 * follows a close frame.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { Opcode, encodeServerFrame } from '../wire/websocket-frame.js';

const OPEN = 1;

export interface Recipient {
  readonly ws: WebSocket;
  /** The raw TCP socket when frames may be written to it directly; null: use `ws.send`. */
  readonly socket: Socket | null;
  /** Turn of the channel in which it joined, and how many of that turn's frames came before. */
  joinTurn: number;
  joinIndex: number;
}

export class FanoutChannel {
  readonly recipients = new Set<Recipient>();
  /** This turn's messages: frames for direct writes, payloads and kinds for the `ws.send` path. */
  frames: Buffer[] = [];
  payloads: Buffer[] = [];
  binary: boolean[] = [];
  bytes = 0;
  turn = 0;

  add(recipient: Recipient): void {
    recipient.joinTurn = this.turn;
    recipient.joinIndex = this.frames.length;
    this.recipients.add(recipient);
  }
}

export interface FanoutCounters {
  deliveries: number;
  slowClientsDropped: number;
}

/** Wraps an accepted `ws` connection: direct writes unless it negotiated permessage-deflate. */
export function recipientOf(ws: WebSocket): Recipient {
  const internals = ws as unknown as { _socket?: Socket; _extensions?: Record<string, unknown> };
  const deflate = internals._extensions !== undefined && Object.keys(internals._extensions).length > 0;
  const socket = !deflate && internals._socket ? internals._socket : null;
  return { ws, socket, joinTurn: -1, joinIndex: 0 };
}

export class Fanout {
  private dirty: FanoutChannel[] = [];
  private scheduled = false;
  private readonly flushBound = () => this.flush();

  /**
   * @param maxBuffered a recipient with more unsent bytes than this is closed with 1013
   * @param writeDelayMs 0: flush at the end of the turn; > 0: collect for this long first, so
   *   that more messages share one write (fewer syscalls per delivery) at up to this much latency
   */
  constructor(
    private readonly maxBuffered: number,
    private readonly counters: FanoutCounters,
    private readonly writeDelayMs = 0,
  ) {}

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
    const turn = channel.turn++;
    if (count === 0) return;
    const all = count === 1 ? frames[0]! : Buffer.concat(frames);
    let deliveries = 0;
    for (const r of channel.recipients) {
      const from = r.joinTurn === turn ? r.joinIndex : 0;
      if (from >= count) continue;
      const ws = r.ws;
      if (ws.readyState !== OPEN) continue; // its 'close' handler removes it
      const socket = r.socket;
      if ((socket ? socket.writableLength : ws.bufferedAmount) > this.maxBuffered) {
        this.counters.slowClientsDropped++;
        ws.close(1013, 'too slow: send buffer full');
        channel.recipients.delete(r);
        continue;
      }
      if (socket) {
        if (!socket.writable) continue;
        socket.write(from === 0 ? all : Buffer.concat(frames.slice(from)));
      } else {
        for (let i = from; i < count; i++) ws.send(payloads[i]!, { binary: binary[i]! });
      }
      deliveries += count - from;
    }
    this.counters.deliveries += deliveries;
  }
}
