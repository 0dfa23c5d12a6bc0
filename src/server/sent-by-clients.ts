/**
 * The client messages a server process PUBLISHed and has not yet seen come back from Redis, with
 * who sent each, so that its fan-out can leave the sender out (`leaveSenderOut`, as
 * `socket.to(room).emit` does). Redis pub/sub does not say who published a message, so a message
 * coming back is matched by its bytes, in order: Redis hands one subscriber the messages of one
 * publishing connection in the order they were published, so a match further down the list means
 * the ones before it never came back (a failed publish, a subscriber that was down) and they are
 * forgotten. Other processes' messages match nothing here: their members get every message, as the
 * sender is not theirs. Two clients of one process sending the same bytes to one channel at once
 * cannot be told apart (the first sender is left out of the first copy): stamped payloads never
 * are the same.
 */
import type { Recipient } from './fanout.js';

/** Messages per channel remembered at most (the oldest is forgotten first): a bound if Redis never answers. */
const MAX_PENDING_PER_CHANNEL = 10_000;

interface Pending {
  payload: Buffer;
  sender: Recipient;
}

export class SentByClients {
  private readonly byChannel = new Map<string, Pending[]>();

  /** `sender` PUBLISHed `payload` to `channel`. */
  sent(channel: string, payload: Buffer, sender: Recipient): void {
    let list = this.byChannel.get(channel);
    if (!list) this.byChannel.set(channel, (list = []));
    if (list.length >= MAX_PENDING_PER_CHANNEL) list.shift();
    list.push({ payload, sender });
  }

  /** The PUBLISH of `payload` failed: it will not come back. */
  failed(channel: string, payload: Buffer): void {
    const list = this.byChannel.get(channel);
    const at = list?.findIndex((p) => p.payload === payload) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    if (list?.length === 0) this.byChannel.delete(channel);
  }

  /** Who sent `payload`, when it is a message of this process coming back on `channel` (undefined: someone else's). */
  senderOf(channel: string, payload: Buffer): Recipient | undefined {
    const list = this.byChannel.get(channel);
    if (!list) return undefined;
    const at = list.findIndex((p) => p.payload.equals(payload));
    if (at < 0) return undefined;
    const sender = list[at]!.sender;
    list.splice(0, at + 1);
    if (list.length === 0) this.byChannel.delete(channel);
    return sender;
  }

  /** The subscriber was lost: nothing published meanwhile comes back. */
  clear(): void {
    this.byChannel.clear();
  }
}
