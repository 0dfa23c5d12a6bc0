import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, acceptKey, clientFrame } from '../../src/transports/websocket-fast.js';

/** An unmasked server frame. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0, n]) : n < 65536 ? Buffer.from([0, 126, n >> 8, n & 255]) : Buffer.alloc(10);
  if (n >= 65536) {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    header.writeUInt32BE(n >>> 0, 6);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, payload]);
}

interface Seen {
  messages: string[];
  controls: [number, string][];
  errors: [number, string][];
}

function parse(chunks: Buffer[], maxPayload = 1 << 20): Seen {
  const seen: Seen = { messages: [], controls: [], errors: [] };
  const parser = new FrameParser(maxPayload, {
    frameMessage: (data, start, end) => seen.messages.push(data.toString('latin1', start, end)),
    frameControl: (opcode, payload) => seen.controls.push([opcode, payload.toString()]),
    frameError: (code, reason) => seen.errors.push([code, reason]),
  });
  for (const c of chunks) parser.push(c);
  return seen;
}

const text = (s: string) => Buffer.from(s, 'latin1');
const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000];

test('frames of every length class, several per chunk', () => {
  const payloads = sizes.map((n) => 'x'.repeat(n));
  const seen = parse([Buffer.concat(payloads.map((p) => serverFrame(1, text(p))))]);
  assert.deepEqual(
    seen.messages.map((m) => m.length),
    sizes,
  );
  assert.deepEqual(seen.errors, []);
});

test('a stream cut at every byte boundary gives the same messages', () => {
  const stream = Buffer.concat([
    serverFrame(1, text('hello')),
    serverFrame(9, text('p')),
    serverFrame(2, text('y'.repeat(300))),
    serverFrame(1, text('!')),
  ]);
  for (let cut = 1; cut < stream.length; cut++) {
    const seen = parse([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(seen.messages, ['hello', 'y'.repeat(300), '!'], `cut at ${cut}`);
    assert.deepEqual(seen.controls, [[9, 'p']]);
  }
  const byteByByte = parse([...stream].map((b) => Buffer.from([b])));
  assert.deepEqual(byteByByte.messages, ['hello', 'y'.repeat(300), '!']);
});

test('fragmented messages are joined, control frames may come between fragments', () => {
  const seen = parse([
    serverFrame(1, text('ab'), false),
    serverFrame(9, text('ping')),
    serverFrame(0, text('cd'), false),
    serverFrame(0, text('ef')),
  ]);
  assert.deepEqual(seen.messages, ['abcdef']);
  assert.deepEqual(seen.controls, [[9, 'ping']]);
});

test('reads into one reused buffer: only the first `size` bytes count, kept bytes are copies', () => {
  const stream = Buffer.concat([serverFrame(1, text('first')), serverFrame(1, text('second-message')), serverFrame(1, text('third'))]);
  const cut = 12; // inside the second frame
  const shared = Buffer.alloc(64, 0xff); // stale bytes after each read must be ignored
  const seen: string[] = [];
  const parser = new FrameParser(1 << 20, {
    frameMessage: (data, start, end) => seen.push(data.toString('latin1', start, end)),
    frameControl: () => assert.fail('no control frame was sent'),
    frameError: (code, reason) => assert.fail(`protocol error ${code}: ${reason}`),
  });
  for (const [from, to] of [
    [0, cut],
    [cut, stream.length],
  ] as const) {
    shared.fill(0xff);
    stream.copy(shared, 0, from, to);
    parser.push(shared, to - from);
  }
  assert.deepEqual(seen, ['first', 'second-message', 'third']);
});

const bad: { name: string; bytes: Buffer; code: number }[] = [
  { name: 'masked server frame', bytes: Buffer.from([0x81, 0x81, 1, 2, 3, 4, 5]), code: 1002 },
  { name: 'reserved bit', bytes: Buffer.from([0xc1, 0x00]), code: 1002 },
  { name: 'unknown opcode', bytes: Buffer.from([0x83, 0x00]), code: 1002 },
  { name: 'continuation without a start', bytes: serverFrame(0, text('x')), code: 1002 },
  { name: 'oversized message', bytes: serverFrame(2, Buffer.alloc(2000)), code: 1009 },
  { name: 'long control frame', bytes: serverFrame(9, Buffer.alloc(126)), code: 1002 },
];
for (const c of bad) {
  test(`protocol error: ${c.name}`, () => {
    assert.equal(parse([c.bytes], 1000).errors[0]?.[0], c.code);
  });
}

test('client frames are masked and unmask to the payload', () => {
  for (const n of [0, 5, 125, 126, 65536]) {
    const payload = Buffer.alloc(n, 0x61);
    const frame = clientFrame(1, payload);
    const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
    assert.equal(frame[0], 0x81);
    assert.ok(frame[1]! & 0x80, 'mask bit');
    const mask = frame.subarray(header, header + 4);
    const unmasked = Buffer.from(frame.subarray(header + 4).map((b, i) => b ^ mask[i & 3]!));
    assert.deepEqual(unmasked, payload);
  }
});

test('Sec-WebSocket-Accept of the RFC 6455 example', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});
