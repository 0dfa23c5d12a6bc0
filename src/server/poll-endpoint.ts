/**
 * GET /poll/<channel>?after=<cursor>[&timeout=<ms>][&max=<n>]: long-polling and interval polling
 * over the same feed as /ws/<channel>.
 *
 * Without `after`, the poller joins (the channel is subscribed and gets a poll buffer) and is
 * answered the current cursor at once. With it, the answer is immediate when newer messages exist
 * (or `timeout=0`), else the request is held until the next message or until `timeout` (default:
 * the server's long-poll timeout). The answer's format is src/wire/poll-batch.ts. A poll that
 * would create one polled channel more than the server keeps (`maxPollChannels`) is refused with
 * 429 and Retry-After.
 */
import type { ServerResponse } from 'node:http';
import { CURSOR_HEADER, MISSED_HEADER, encodePollBatch } from '../wire/poll-batch.js';
import { PollChannelLimitError, type ChannelRegistry } from './channel-registry.js';
import { sendJson } from './http-replies.js';
import type { PollBatch, PollBuffer } from './poll-buffer.js';

/** At most this many messages per answer unless the poller asks for `max`. */
const DEFAULT_MAX = 1000;

export interface PollCounters {
  /** Poll requests answered. */
  pollRequests: number;
  /** Messages handed to pollers. */
  deliveries: number;
  /** Messages pollers asked for that had already left the buffer. */
  pollMissed: number;
}

/**
 * Cursors as pollers see them. With several server processes each numbers its own feed, so a
 * cursor carries the process that gave it (cursor = local × count + index): one shown to another
 * process is refused (409) instead of being misread.
 */
export class ClusterCursors {
  constructor(
    private readonly index = 0,
    private readonly count = 1,
  ) {}

  toPoller(local: number): number {
    return local * this.count + this.index;
  }

  /** The local cursor, or null when another process gave this one. */
  fromPoller(cursor: number): number | null {
    if (this.count === 1) return cursor;
    return cursor % this.count === this.index ? (cursor - this.index) / this.count : null;
  }
}

export class PollEndpoint {
  constructor(
    private readonly channels: ChannelRegistry,
    private readonly counters: PollCounters,
    private readonly cursors: ClusterCursors,
    private readonly longPollTimeoutMs: number,
  ) {}

  /** Answers (now or later) one poll of channel `name`. Rejects when the channel cannot be subscribed. */
  async handle(res: ServerResponse, name: string, query: URLSearchParams): Promise<void> {
    const after = query.get('after');
    const timeoutText = query.get('timeout');
    const maxText = query.get('max');
    const given = after === null ? null : Number(after);
    const timeout = timeoutText === null ? this.longPollTimeoutMs : Number(timeoutText);
    const max = maxText === null ? DEFAULT_MAX : Number(maxText);
    if ((given !== null && !(Number.isInteger(given) && given >= 0)) || !(timeout >= 0) || !(Number.isInteger(max) && max >= 1)) {
      sendJson(res, 400, { error: 'after must be a cursor (integer >= 0), timeout milliseconds >= 0, max an integer >= 1' });
      return;
    }
    const from = given === null ? null : this.cursors.fromPoller(given);
    if (given !== null && from === null) {
      sendJson(res, 409, { error: `cursor ${given} was given by another server process; join again without after=` });
      return;
    }
    let buffer: PollBuffer;
    try {
      buffer = await this.channels.pollBuffer(name);
    } catch (e) {
      if (!(e instanceof PollChannelLimitError)) throw e;
      // Too many distinct polled channels: refused until idle ones are released.
      res.setHeader('retry-after', String(Math.ceil(e.idleMs / 1000)));
      sendJson(res, 429, { error: e.message });
      return;
    }
    if (from === null) return this.answer(res, { cursor: buffer.cursor, messages: [], missed: 0 });
    const now = buffer.read(from, max);
    if (now.messages.length > 0 || now.missed > 0 || timeout === 0) return this.answer(res, now);
    // Nothing new: hold the request until the next message or the timeout.
    const timer = setTimeout(() => {
      cancel();
      this.answer(res, buffer.read(from, max));
    }, timeout);
    const cancel = buffer.waitForNext(() => {
      clearTimeout(timer);
      this.answer(res, buffer.read(from, max));
    });
    // The poller went away before an answer (its response closes unfinished): stop waiting.
    res.once('close', () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        cancel();
      }
    });
  }

  private answer(res: ServerResponse, batch: PollBatch): void {
    this.counters.pollRequests++;
    this.counters.deliveries += batch.messages.length;
    this.counters.pollMissed += batch.missed;
    const body = encodePollBatch(batch.messages);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
      [CURSOR_HEADER]: String(this.cursors.toPoller(batch.cursor)),
      ...(batch.missed > 0 ? { [MISSED_HEADER]: String(batch.missed) } : {}),
    });
    res.end(body);
  }
}
