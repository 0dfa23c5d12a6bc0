/**
 * The answer of the reference server's polling endpoint (GET /poll/<channel>), as the server
 * writes it (server/poll-endpoint.ts) and the polling clients read it (transports/http-poll.ts).
 *
 *   body                     per message: its length as 4 bytes big-endian, then its bytes
 *   X-Wsbench-Cursor header  the cursor to pass back as `after=` in the next poll
 *   X-Wsbench-Missed header  (only when > 0) messages after the poller's cursor that had already
 *                            left the server's bounded buffer: loss the client must count
 */

/** Response header names, lower case as node:http hands them over. */
export const CURSOR_HEADER = 'x-wsbench-cursor';
export const MISSED_HEADER = 'x-wsbench-missed';

/** Bytes of the length before each message. */
const LENGTH_BYTES = 4;

export function encodePollBatch(messages: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const m of messages) size += LENGTH_BYTES + m.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const m of messages) {
    out.writeUInt32BE(m.length, at);
    out.set(m, at + LENGTH_BYTES);
    at += LENGTH_BYTES + m.length;
  }
  return out;
}

/**
 * Calls `each` with every message of a batch body as body[start, end) (no copies). The whole body
 * is checked first: a malformed one throws before any message is handed on, so a client that
 * retries the poll does not see the leading messages twice.
 */
export function decodePollBatch(body: Buffer, each: (data: Buffer, start: number, end: number) => void): void {
  let at = 0;
  while (at < body.length) {
    if (body.length - at < LENGTH_BYTES) throw new Error(`poll batch has ${body.length - at} trailing bytes`);
    const length = body.readUInt32BE(at);
    const end = at + LENGTH_BYTES + length;
    if (end > body.length) throw new Error(`truncated poll batch: message of ${length} bytes at offset ${at} runs past ${body.length}`);
    at = end;
  }
  for (at = 0; at < body.length;) {
    const start = at + LENGTH_BYTES;
    const end = start + body.readUInt32BE(at);
    each(body, start, end);
    at = end;
  }
}
