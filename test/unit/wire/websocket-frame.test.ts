import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wsModule from 'ws';
import {
  FirstByte,
  FrameParser,
  Opcode,
  closeCodeOf,
  closeReasonOf,
  encodeClientFrame,
  encodeClosePayload,
  encodeFrame,
  encodeServerFrame,
  headerLength,
  headerLengthOf,
  payloadLengthOf,
} from '../../../src/wire/websocket-frame.js';

// ws exports its Sender at runtime; @types/ws does not declare it. Its framing is the independent
// reference both for what we encode and for the frames the parser is fed.
interface SenderFrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
  generateMask?: (mask: Buffer) => void;
}
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: SenderFrameOptions): Buffer[] } }).Sender;

/** A frame as `ws` builds it (unmasked unless a mask key is given). */
function wsFrame(opcode: number, payload: Buffer, { fin = true, rsv1 = false, mask = null as Buffer | null } = {}): Buffer {
  const options: SenderFrameOptions = { fin, opcode, mask: mask !== null, readOnly: false, rsv1 };
  if (mask) options.generateMask = (m) => mask.copy(m);
  return Buffer.concat(Sender.frame(Buffer.from(payload), options));
}

const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000];
const text = (s: string) => Buffer.from(s, 'latin1');

// ─── encoding ────────────────────────────────────────────────────────────────────────────────

for (const size of sizes) {
  for (const opcode of [Opcode.Text, Opcode.Binary]) {
    test(`encodeServerFrame: ${size} bytes, opcode ${opcode}: the same bytes as ws`, () => {
      const payload = Buffer.alloc(size, opcode === Opcode.Binary ? 0xfe : 0x61);
      const ours = encodeServerFrame(opcode, payload);
      assert.equal(ours.length, headerLength(size) + size);
      assert.deepEqual(ours, wsFrame(opcode, payload));
    });
  }
  test(`encodeFrame masked: ${size} bytes: the same bytes as ws with the same key`, () => {
    const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const payload = Buffer.from(Array.from({ length: size }, (_, i) => i & 0xff));
    const ours = encodeFrame(FirstByte.Fin | Opcode.Binary, payload, key);
    assert.equal(ours.length, headerLength(size, true) + size);
    assert.deepEqual(ours, wsFrame(Opcode.Binary, payload, { mask: key }));
  });
}

test('encodeFrame: FIN and RSV1 bits as given (a compressed first fragment, a continuation)', () => {
  const payload = text('abc');
  assert.deepEqual(encodeFrame(FirstByte.Rsv1 | Opcode.Text, payload), wsFrame(Opcode.Text, payload, { fin: false, rsv1: true }));
  assert.deepEqual(encodeFrame(FirstByte.Fin | Opcode.Continuation, payload), wsFrame(Opcode.Continuation, payload));
});

test('encodeClientFrame: masked with a fresh key, unmasks to the payload', () => {
  for (const n of [0, 5, 125, 126, 65536]) {
    const payload = Buffer.alloc(n, 0x61);
    const frame = encodeClientFrame(Opcode.Text, payload);
    const header = headerLength(n, true);
    assert.equal(frame[0], 0x81);
    assert.ok(frame[1]! & 0x80, 'mask bit');
    assert.equal(headerLengthOf(frame[1]!), header);
    assert.equal(payloadLengthOf(frame, 0), n);
    const mask = frame.subarray(header - 4, header);
    const unmasked = Buffer.from(frame.subarray(header).map((b, i) => b ^ mask[i & 3]!));
    assert.deepEqual(unmasked, payload);
  }
});

test('header lengths: 7-bit, 16-bit and 64-bit length forms, with and without a mask key', () => {
  const cases: [number, boolean, number][] = [
    [0, false, 2],
    [125, false, 2],
    [126, false, 4],
    [65535, false, 4],
    [65536, false, 10],
    [2 ** 40, false, 10],
    [0, true, 6],
    [126, true, 8],
    [65536, true, 14],
  ];
  for (const [length, masked, want] of cases) assert.equal(headerLength(length, masked), want, `${length} masked=${masked}`);
});

test('payloadLengthOf reads every length form, also at an offset', () => {
  for (const n of [...sizes, 2 ** 33 + 5]) {
    const header = Buffer.alloc(3 + 10);
    const frame = n > 1e6 ? Buffer.alloc(0) : encodeServerFrame(Opcode.Binary, Buffer.alloc(n));
    if (n > 1e6) {
      header[4] = 127;
      header.writeUInt32BE(Math.floor(n / 2 ** 32), 5);
      header.writeUInt32BE(n >>> 0, 9);
    } else frame.copy(header, 3, 0, headerLength(n));
    assert.equal(payloadLengthOf(header, 3), n);
  }
});

test('close payloads: code and reason round-trip; no code is 1005; long reasons are cut to fit a control frame', () => {
  const payload = encodeClosePayload(4001, 'bye');
  assert.equal(closeCodeOf(payload), 4001);
  assert.equal(closeReasonOf(payload), 'bye');
  assert.equal(closeCodeOf(Buffer.alloc(0)), 1005);
  assert.equal(closeReasonOf(Buffer.from([0x03, 0xe8])), '');
  const long = encodeClosePayload(1002, 'é'.repeat(100));
  assert.ok(long.length <= 125, `${long.length} bytes`);
  assert.equal(closeReasonOf(long), 'é'.repeat(61));
});

// ─── parsing ─────────────────────────────────────────────────────────────────────────────────

interface Seen {
  messages: string[];
  /** Opcode and compressed flag of each message. */
  kinds: string[];
  controls: [number, string][];
  errors: [number, string][];
}

function parser(seen: Seen, maxPayload = 1 << 20, compression = false): FrameParser {
  const p = new FrameParser(maxPayload, {
    frameMessage: (data, start, end, opcode, compressed) => {
      seen.messages.push(data.toString('latin1', start, end));
      seen.kinds.push(`${opcode === Opcode.Text ? 'text' : 'binary'}${compressed ? '+rsv1' : ''}`);
    },
    frameControl: (opcode, payload) => seen.controls.push([opcode, payload.toString()]),
    frameError: (code, reason) => seen.errors.push([code, reason]),
  });
  if (compression) p.allowCompressed();
  return p;
}

function parse(chunks: Buffer[], maxPayload = 1 << 20, compression = false): Seen {
  const seen: Seen = { messages: [], kinds: [], controls: [], errors: [] };
  const p = parser(seen, maxPayload, compression);
  for (const c of chunks) p.push(c);
  return seen;
}

test('frames of every length class, several per read', () => {
  const payloads = sizes.map((n) => 'x'.repeat(n));
  const seen = parse([Buffer.concat(payloads.map((p, i) => wsFrame(i % 2 ? Opcode.Binary : Opcode.Text, text(p))))]);
  assert.deepEqual(
    seen.messages.map((m) => m.length),
    sizes,
  );
  assert.deepEqual(
    seen.kinds,
    sizes.map((_, i) => (i % 2 ? 'binary' : 'text')),
  );
  assert.deepEqual(seen.errors, []);
});

/** Streams the parser must read the same way however they are cut into reads. */
const streams: { name: string; frames: Buffer[]; messages: string[]; controls: [number, string][] }[] = [
  {
    name: 'text, ping, 16-bit binary, text',
    frames: [wsFrame(1, text('hello')), wsFrame(9, text('p')), wsFrame(2, text('y'.repeat(300))), wsFrame(1, text('!'))],
    messages: ['hello', 'y'.repeat(300), '!'],
    controls: [[9, 'p']],
  },
  {
    name: 'fragmented message with a pong between its fragments',
    frames: [
      wsFrame(1, text('ab'), { fin: false }),
      wsFrame(10, text('pong')),
      wsFrame(0, text('c'.repeat(200)), { fin: false }),
      wsFrame(0, text('d')),
      wsFrame(2, text('after')),
    ],
    messages: [`ab${'c'.repeat(200)}d`, 'after'],
    controls: [[10, 'pong']],
  },
  {
    name: 'empty messages and an empty ping',
    frames: [wsFrame(1, text('')), wsFrame(9, text('')), wsFrame(2, text(''))],
    messages: ['', ''],
    controls: [[9, '']],
  },
  {
    name: 'a 64-bit length frame between small ones',
    frames: [wsFrame(1, text('a')), wsFrame(2, text('z'.repeat(65536))), wsFrame(1, text('b'))],
    messages: ['a', 'z'.repeat(65536), 'b'],
    controls: [],
  },
];

for (const s of streams) {
  test(`cut into two reads at every byte boundary: ${s.name}`, () => {
    const stream = Buffer.concat(s.frames);
    // Large streams: every boundary inside the headers and the first bytes, then a stride.
    const cuts: number[] = [];
    for (let cut = 1; cut < stream.length; cut += cut < 600 || stream.length < 2000 ? 1 : 997) cuts.push(cut);
    cuts.push(stream.length - 1);
    for (const cut of cuts) {
      const seen = parse([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(seen.messages, s.messages, `cut at ${cut}`);
      assert.deepEqual(seen.controls, s.controls, `cut at ${cut}`);
      assert.deepEqual(seen.errors, [], `cut at ${cut}`);
    }
  });
}

test('one byte per read gives the same messages', () => {
  const s = streams[1]!;
  const seen = parse([...Buffer.concat(s.frames)].map((b) => Buffer.from([b])));
  assert.deepEqual(seen.messages, s.messages);
  assert.deepEqual(seen.controls, s.controls);
});

test('reads into one reused buffer: only the first `size` bytes count, kept bytes are copies', () => {
  const stream = Buffer.concat([
    wsFrame(1, text('first')),
    wsFrame(1, text('second-message')),
    wsFrame(1, text('thi'), { fin: false }),
    wsFrame(0, text('rd')),
  ]);
  const shared = Buffer.alloc(64);
  for (let cut = 1; cut < stream.length; cut++) {
    const seen: Seen = { messages: [], kinds: [], controls: [], errors: [] };
    const p = parser(seen);
    for (const [from, to] of [
      [0, cut],
      [cut, stream.length],
    ] as const) {
      shared.fill(0xff); // stale bytes after each read must be ignored, kept bytes must not change
      stream.copy(shared, 0, from, to);
      p.push(shared, to - from);
    }
    shared.fill(0xee);
    assert.deepEqual(seen.messages, ['first', 'second-message', 'third'], `cut at ${cut}`);
    assert.deepEqual(seen.errors, []);
  }
});

test('a message is a view into the read: start and end inside the chunk, no copy', () => {
  const chunk = Buffer.concat([wsFrame(2, text('abc')), wsFrame(2, text('de'))]);
  const views: [Buffer, number, number][] = [];
  new FrameParser(100, {
    frameMessage: (data, start, end) => views.push([data, start, end]),
    frameControl: () => assert.fail('no control frame was sent'),
    frameError: (code, reason) => assert.fail(`${code} ${reason}`),
  }).push(chunk);
  assert.deepEqual(
    views.map(([data, start, end]) => [data === chunk, start, end]),
    [
      [true, 2, 5],
      [true, 7, 9],
    ],
  );
});

test('nothing after a close frame is parsed', () => {
  const seen = parse([Buffer.concat([wsFrame(1, text('a')), wsFrame(8, encodeClosePayload(1000, 'bye')), wsFrame(1, text('late'))])]);
  assert.deepEqual(seen.messages, ['a']);
  assert.deepEqual(
    seen.controls.map(([op]) => op),
    [8],
  );
});

test('RSV1 with permessage-deflate on: surfaced per message (first frame), fragmented ones too', () => {
  const seen = parse(
    [
      Buffer.concat([
        wsFrame(1, text('plain')),
        wsFrame(2, text('deflated'), { rsv1: true }),
        wsFrame(1, text('frag'), { fin: false, rsv1: true }),
        wsFrame(9, text('p')),
        wsFrame(0, text('mented')),
      ]),
    ],
    1000,
    true,
  );
  assert.deepEqual(seen.messages, ['plain', 'deflated', 'fragmented']);
  assert.deepEqual(seen.kinds, ['text', 'binary+rsv1', 'text+rsv1']);
  assert.deepEqual(seen.errors, []);
});

const bad: { name: string; bytes: Buffer; code: number; compression?: boolean }[] = [
  { name: 'masked server frame', bytes: wsFrame(1, text('x'), { mask: Buffer.from([1, 2, 3, 4]) }), code: 1002 },
  { name: 'RSV1 without permessage-deflate', bytes: wsFrame(1, text('x'), { rsv1: true }), code: 1002 },
  { name: 'RSV2', bytes: Buffer.from([0xa1, 0x00]), code: 1002, compression: true },
  { name: 'RSV3', bytes: Buffer.from([0x91, 0x00]), code: 1002, compression: true },
  {
    name: 'RSV1 on a continuation frame',
    bytes: Buffer.concat([wsFrame(1, text('a'), { fin: false }), wsFrame(0, text('b'), { rsv1: true })]),
    code: 1002,
    compression: true,
  },
  { name: 'RSV1 on a control frame', bytes: wsFrame(9, text('p'), { rsv1: true }), code: 1002, compression: true },
  { name: 'unknown opcode', bytes: Buffer.from([0x83, 0x00]), code: 1002 },
  { name: 'continuation without a start', bytes: wsFrame(0, text('x')), code: 1002 },
  {
    name: 'new message inside a fragmented one',
    bytes: Buffer.concat([wsFrame(1, text('a'), { fin: false }), wsFrame(1, text('b'))]),
    code: 1002,
  },
  { name: 'oversized message', bytes: wsFrame(2, Buffer.alloc(2000)), code: 1009 },
  {
    name: 'oversized fragmented message (each fragment small)',
    bytes: Buffer.concat([wsFrame(2, Buffer.alloc(600), { fin: false }), wsFrame(0, Buffer.alloc(600), { fin: false })]),
    code: 1009,
  },
  { name: 'long control frame', bytes: wsFrame(9, Buffer.alloc(126)), code: 1002 },
  { name: 'fragmented control frame', bytes: wsFrame(9, text('p'), { fin: false }), code: 1002 },
];
for (const c of bad) {
  test(`protocol error: ${c.name}`, () => {
    const seen = parse([c.bytes], 1000, c.compression ?? false);
    assert.equal(seen.errors.length, 1, JSON.stringify(seen));
    assert.equal(seen.errors[0]![0], c.code);
    assert.deepEqual(seen.messages, []);
  });
}
