/**
 * WebSocket frames as a server sends them (RFC 6455 §5.2): FIN set, no mask, no extensions.
 * The reference server builds one frame per Redis message and writes that same buffer to every
 * recipient, instead of framing (and allocating) per recipient as `ws.send` does.
 */

export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;

/** Bytes of the header for a payload of `length` bytes (2, 4 or 10). */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** One complete, unmasked, final frame: header and payload in a single buffer. */
export function encodeFrame(payload: Uint8Array, binary: boolean): Buffer {
  const length = payload.length;
  const head = headerLength(length);
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = 0x80 | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (head === 2) {
    frame[1] = length;
  } else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // Payloads are far below 2^53: the high 32 bits come from a division, not a shift.
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set(payload, head);
  return frame;
}
