/**
 * The permessage-deflate codec, Autobahn-style (section 12/13 of the Autobahn testsuite covers the
 * same ground over the wire): fragmented compressed messages cut at every byte, context takeover on
 * and off, empty messages, invalid data → 1007, oversize → 1009, window bits 8–15, and the output
 * checked against zlib driven independently (Node's streaming and one-shot APIs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { MessageDeflater, MessageInflater, PerMessageDeflateError, type DirectionParams } from '../../src/wire/permessage-deflate.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MAX = 1 << 20;
const takeover = (windowBits = 15): DirectionParams => ({ noContextTakeover: false, windowBits });
const fresh = (windowBits = 15): DirectionParams => ({ noContextTakeover: true, windowBits });
const modes: [string, (bits?: number) => DirectionParams][] = [
  ['context takeover', takeover],
  ['no context takeover', fresh],
];

/** Deterministic text that compresses like chat or JSON traffic: words, numbers, repeats. */
function text(bytes: number, seed: number): Buffer {
  const words = ['alpha', 'beta', '"seq":', '{"type":"message"', 'room-42', 'lorem', 'ipsum', '},', 'delivered', 'x'];
  let state = seed * 2654435761 + 1;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  let out = '';
  while (out.length < bytes) out += next() % 3 === 0 ? String(next() % 100000) : words[next() % words.length]!;
  return Buffer.from(out.slice(0, bytes), 'latin1');
}

/** Bytes that do not compress (so the window, not the matcher, decides what can be referenced). */
function noise(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let state = seed + 7;
  for (let i = 0; i < bytes; i++) out[i] = (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24;
  return out;
}

/** Compresses a sequence of messages with the codec (copies: deflate() returns a reused view). */
function deflateAll(params: DirectionParams, messages: Buffer[]): Buffer[] {
  const deflater = new MessageDeflater(params);
  const out = messages.map((m) => Buffer.from(deflater.deflate(m)));
  deflater.close();
  return out;
}

/** Inflates whole messages in order with one inflater (copies). */
function inflateAll(params: DirectionParams, compressed: Buffer[], maxPayload = MAX): Buffer[] {
  const inflater = new MessageInflater(params, maxPayload);
  const out = compressed.map((c) => Buffer.from(inflater.inflate(c, 0, c.length)));
  inflater.close();
  return out;
}

/** The error `fn` throws, checked to be a PerMessageDeflateError with that kind and close code. */
function codecFailure(fn: () => unknown, kind: string, closeCode: number): PerMessageDeflateError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PerMessageDeflateError, `not a PerMessageDeflateError: ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.equal(e.closeCode, closeCode);
    return e;
  }
  assert.fail(`expected ${kind}`);
}

/** zlib's streaming API, flushing after each message: an independent compressor with context takeover. */
async function referenceDeflate(messages: Buffer[], windowBits = 15): Promise<Buffer[]> {
  const stream = createDeflateRaw({ windowBits });
  const out: Buffer[] = [];
  for (const message of messages) {
    const chunks: Buffer[] = [];
    const collect = (chunk: Buffer) => chunks.push(chunk);
    stream.on('data', collect);
    stream.write(message);
    await new Promise<void>((resolve) => stream.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    stream.off('data', collect);
    const whole = Buffer.concat(chunks);
    assert.deepEqual(whole.subarray(-4), TAIL);
    out.push(whole.subarray(0, -4));
  }
  stream.close();
  return out;
}

test('round trips of every size class, with and without context takeover', () => {
  const sizes = [0, 1, 2, 31, 32, 33, 64, 1000, 16384, 70000, 300000];
  for (const [name, params] of modes) {
    const messages = sizes.map((n, i) => text(n, i));
    messages.push(noise(100000, 1), text(5000, 3), text(5000, 3));
    const compressed = deflateAll(params(), messages);
    assert.deepEqual(inflateAll(params(), compressed), messages, name);
    // Independent check: the whole sequence with each message's tail put back is one valid raw DEFLATE
    // stream (with takeover) — or each message is one on its own (without).
    if (name === 'context takeover') {
      const joined = inflateRawSync(Buffer.concat(compressed.flatMap((c) => [c, TAIL])), { finishFlush: constants.Z_SYNC_FLUSH });
      assert.deepEqual(joined, Buffer.concat(messages));
    } else {
      compressed.forEach((c, i) =>
        assert.deepEqual(inflateRawSync(Buffer.concat([c, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }), messages[i], `message ${i}`),
      );
    }
  }
});

test("zlib's own streaming compressor (context takeover) inflates here", async () => {
  const messages = [text(500, 1), text(500, 1), text(20000, 2), Buffer.alloc(0), text(64, 4), text(20000, 2)];
  const compressed = await referenceDeflate(messages);
  assert.ok(compressed[1]!.length < 20, 'the repeated message was compressed against the first');
  assert.deepEqual(inflateAll(takeover(), compressed), messages);
});

test('context takeover: a message that refers back to the previous one inflates only with the context kept', () => {
  const first = text(2000, 9);
  const [c1, c2] = deflateAll(takeover(), [first, first]);
  assert.ok(c2!.length < c1!.length / 4, `the second copy is back-references (${c2!.length} bytes)`);
  assert.deepEqual(inflateAll(takeover(), [c1!, c2!]), [first, first]);
  // On its own, or in a context reset per message, the back-reference points outside the window.
  const alone = new MessageInflater(takeover(), MAX);
  const error = codecFailure(() => alone.inflate(c2!, 0, c2!.length), 'deflate.invalid-data', 1007);
  assert.match(error.message, /^invalid compressed message: invalid distance too far back$/);
  const reset = new MessageInflater(fresh(), MAX);
  reset.inflate(c1!, 0, c1!.length);
  codecFailure(() => reset.inflate(c2!, 0, c2!.length), 'deflate.invalid-data', 1007);
  // Without takeover the deflater never refers back: each message stands alone, byte for byte
  // the same whatever came before (one compression serves every recipient).
  const [n1, n2] = deflateAll(fresh(), [first, first]);
  assert.deepEqual(n1, n2);
  assert.deepEqual(Buffer.from(new MessageInflater(fresh(), MAX).inflate(n2!, 0, n2!.length)), first);
  assert.deepEqual(deflateAll(fresh(), [text(10, 1), first])[1], n1);
});

/** Every way of cutting `payload` into `count` fragments (empty fragments included). */
function* cuts(length: number, count: 2 | 3): Generator<number[]> {
  for (let a = 0; a <= length; a++) {
    if (count === 2) yield [0, a, length];
    else for (let b = a; b <= length; b++) yield [0, a, b, length];
  }
}

test('fragmented compressed messages: the payload cut at every byte boundary into 2 and 3 fragments', () => {
  for (const [name, params] of modes) {
    // The fragmented message sits between two others, so that takeover has a window to get right
    // on both sides of it.
    const before = text(300, 21);
    const middle = Buffer.concat([text(150, 21), text(100, 22)]);
    const after = Buffer.concat([middle.subarray(0, 120), before.subarray(0, 100)]);
    const [c1, c2, c3] = deflateAll(params(), [before, middle, after]);
    let checked = 0;
    for (const count of [2, 3] as const) {
      for (const bounds of cuts(c2!.length, count)) {
        const inflater = new MessageInflater(params(), MAX);
        assert.deepEqual(Buffer.from(inflater.inflate(c1!, 0, c1!.length)), before);
        let result: Buffer | null = null;
        for (let i = 0; i + 1 < bounds.length; i++) {
          const fin = i + 2 === bounds.length;
          result = inflater.inflateFragment(c2!, bounds[i]!, bounds[i + 1]!, fin);
          if (!fin) assert.equal(result, null);
        }
        assert.deepEqual(Buffer.from(result!), middle, `${name}, cut at ${bounds.join('/')}`);
        assert.deepEqual(Buffer.from(inflater.inflate(c3!, 0, c3!.length)), after, `${name}, after ${bounds.join('/')}`);
        checked++;
      }
    }
    assert.ok(checked > c2!.length ** 2 / 2, `${checked} cuts`);
  }
});

test('fragments of one connection and whole messages of another interleave safely', () => {
  for (const [name, params] of modes) {
    const a = [text(3000, 31), text(3000, 31)];
    const b = [text(2000, 32), text(2000, 32)];
    const ca = deflateAll(params(), a);
    const cb = deflateAll(params(), b);
    const ia = new MessageInflater(params(), MAX);
    const ib = new MessageInflater(params(), MAX);
    for (let m = 0; m < 2; m++) {
      const half = ca[m]!.length >> 1;
      assert.equal(ia.inflateFragment(ca[m]!, 0, half, false), null);
      assert.deepEqual(Buffer.from(ib.inflate(cb[m]!, 0, cb[m]!.length)), b[m], name);
      assert.deepEqual(Buffer.from(ia.inflateFragment(ca[m]!, half, ca[m]!.length, true)!), a[m], name);
    }
  }
});

test("closing one connection's codec leaves the shared context (no takeover) to the others", () => {
  const message = text(800, 35);
  const first = new MessageDeflater(fresh());
  const compressed = Buffer.from(first.deflate(message));
  first.close();
  const inflater = new MessageInflater(fresh(), MAX);
  inflater.inflate(compressed, 0, compressed.length);
  inflater.close();
  const second = new MessageDeflater(fresh());
  assert.deepEqual(Buffer.from(second.deflate(message)), compressed);
  assert.deepEqual(Buffer.from(new MessageInflater(fresh(), MAX).inflate(compressed, 0, compressed.length)), message);
});

test('empty messages: the compressed forms (one 0x00 byte, or no bytes at all) and the uncompressed one', () => {
  for (const [name, params] of modes) {
    const deflater = new MessageDeflater(params());
    const first = text(1000, 41);
    const c1 = Buffer.from(deflater.deflate(first));
    // An empty message compresses to a single empty stored block without its tail (RFC 7692 §7.2.3.6).
    const empty = Buffer.from(deflater.deflate(Buffer.alloc(0)));
    assert.deepEqual(empty, Buffer.from([0x00]), name);
    assert.deepEqual(inflateRawSync(Buffer.concat([empty, TAIL]), { finishFlush: constants.Z_SYNC_FLUSH }).length, 0);
    const c2 = Buffer.from(deflater.deflate(first));
    const inflater = new MessageInflater(params(), MAX);
    assert.deepEqual(Buffer.from(inflater.inflate(c1, 0, c1.length)), first);
    assert.equal(inflater.inflate(empty, 0, 1).length, 0, `${name}: 0x00`);
    assert.equal(inflater.inflate(Buffer.alloc(0), 0, 0).length, 0, `${name}: no bytes with RSV1 set`);
    assert.equal(inflater.inflateFragment(Buffer.alloc(0), 0, 0, false), null);
    assert.equal(inflater.inflateFragment(empty, 0, 1, true)!.length, 0, `${name}: fragmented 0x00`);
    // An uncompressed empty message (RSV1 clear) never reaches the inflater; none of these touched
    // the context, so the back-reference to the first message still resolves.
    assert.deepEqual(Buffer.from(inflater.inflate(c2, 0, c2.length)), first, name);
  }
});

test('invalid DEFLATE data fails with close code 1007, and the inflater stays failed', () => {
  const stored = (len: number, nlen: number) => Buffer.from([0x00, len & 0xff, len >> 8, nlen & 0xff, nlen >> 8]);
  const finished = deflateRawSync(text(100, 51)); // ends with a final block (BFINAL)
  const backReference = deflateAll(takeover(), [text(100, 51), text(100, 51)])[1]!;
  const cases: [string, Buffer, RegExp][] = [
    ['reserved block type 11', Buffer.from([0xff, 0xff]), /invalid block type/],
    ['stored block with LEN ≠ ~NLEN', stored(3, 3), /invalid stored block lengths/],
    ['reference before the start of the stream', backReference, /invalid distance too far back/],
    ['data after a final block', Buffer.concat([finished, Buffer.from([0x01, 0x02, 0x03])]), /data after a final DEFLATE block/],
  ];
  for (const [name, params] of modes) {
    for (const [what, payload, reason] of cases) {
      const inflater = new MessageInflater(params(), MAX);
      const error = codecFailure(() => inflater.inflate(payload, 0, payload.length), 'deflate.invalid-data', 1007);
      assert.match(error.message, reason, `${name}: ${what}`);
      // The connection is to be failed: later calls report the same error instead of going on.
      const good = deflateAll(params(), [text(10, 1)])[0]!;
      assert.equal(
        codecFailure(() => inflater.inflate(good, 0, good.length), 'deflate.invalid-data', 1007),
        error,
      );
    }
    // The same through fragments: a valid first fragment, then an empty stored block and a block of
    // the reserved type.
    const inflater = new MessageInflater(params(), MAX);
    const valid = deflateAll(params(), [text(100, 52)])[0]!;
    assert.equal(inflater.inflateFragment(valid, 0, valid.length, false), null);
    const bad = Buffer.concat([TAIL, Buffer.from([0xff])]);
    const error = codecFailure(() => inflater.inflateFragment(bad, 0, bad.length, true), 'deflate.invalid-data', 1007);
    assert.match(error.message, /invalid block type/);
  }
  // Without takeover one zlib context serves every connection: a failure on one must not leak into another.
  const broken = new MessageInflater(fresh(), MAX);
  codecFailure(() => broken.inflate(Buffer.from([0xff]), 0, 1), 'deflate.invalid-data', 1007);
  const other = deflateAll(fresh(), [text(500, 53)])[0]!;
  assert.deepEqual(Buffer.from(new MessageInflater(fresh(), MAX).inflate(other, 0, other.length)), text(500, 53));
});

test('a peer that ends its DEFLATE stream per message (BFINAL) is inflated message by message', () => {
  const messages = [text(300, 61), text(300, 62), text(300, 61)];
  const compressed = messages.map((m) => deflateRawSync(m)); // whole streams, final block each
  for (const [name, params] of modes) assert.deepEqual(inflateAll(params(), compressed), messages, name);
  // With takeover a back-reference across a stream end cannot be resolved; the error says why.
  const joined = deflateAll(takeover(), [messages[0]!, messages[0]!]);
  const inflater = new MessageInflater(takeover(), MAX);
  inflater.inflate(compressed[0]!, 0, compressed[0]!.length);
  const error = codecFailure(() => inflater.inflate(joined[1]!, 0, joined[1]!.length), 'deflate.invalid-data', 1007);
  assert.match(error.message, /after the peer ended its DEFLATE stream with a final block/);
});

test('a message inflating beyond the maximum payload fails with close code 1009', () => {
  const limit = 10000;
  const exact = text(limit, 71);
  const over = text(limit + 1, 71);
  const bomb = Buffer.alloc(5 << 20); // 5 MiB of zeros: about 5 KiB compressed
  for (const [name, params] of modes) {
    // Each compressed on its own (with takeover `over` would refer back into `exact`).
    const [cExact, cOver, cBomb] = [exact, over, bomb].map((m) => deflateAll(params(), [m])[0]);
    assert.ok(cBomb!.length < 10000);
    assert.deepEqual(inflateAll(params(), [cExact!], limit), [exact], name);
    for (const [what, payload] of [
      ['one byte over', cOver!],
      ['5 MiB of zeros', cBomb!],
    ] as const) {
      const inflater = new MessageInflater(params(), limit);
      const error = codecFailure(() => inflater.inflate(payload, 0, payload.length), 'deflate.too-big', 1009);
      assert.match(error.message, /more than 10000 bytes inflated/, `${name}: ${what}`);
      const fragmented = new MessageInflater(params(), limit);
      const half = payload.length >> 1;
      codecFailure(
        () => {
          fragmented.inflateFragment(payload, 0, half, false);
          fragmented.inflateFragment(payload, half, payload.length, true);
        },
        'deflate.too-big',
        1009,
      );
    }
  }
  // Without takeover, compressed fragments are kept until the last one: they are bounded too.
  const hoarder = new MessageInflater(fresh(), 100);
  codecFailure(() => hoarder.inflateFragment(noise(101, 1), 0, 101, false), 'deflate.too-big', 1009);
});

test('inflating only the stamp: without takeover just the wanted bytes, with takeover always everything', () => {
  const message = Buffer.concat([noise(32, 81), text(20000, 81)]);
  const [c] = deflateAll(fresh(), [message]);
  // A maximum payload below the message's size: only the compressed fragments kept are bounded by it.
  const stampOnly = new MessageInflater(fresh(), c!.length + 100);
  const head = stampOnly.inflate(c!, 0, c!.length, 32);
  assert.deepEqual(Buffer.from(head), message.subarray(0, 32));
  const half = c!.length >> 1;
  assert.equal(stampOnly.inflateFragment(c!, 0, half, false, 32), null);
  assert.deepEqual(Buffer.from(stampOnly.inflateFragment(c!, half, c!.length, true, 32)!), message.subarray(0, 32));
  // A message shorter than what is wanted comes out whole.
  const [short] = deflateAll(fresh(), [text(20, 82)]);
  assert.deepEqual(Buffer.from(stampOnly.inflate(short!, 0, short!.length, 32)), text(20, 82));
  // With takeover the next message may refer back into any of this one: it is inflated whole.
  const [t1, t2] = deflateAll(takeover(), [message, message]);
  const keeper = new MessageInflater(takeover(), MAX);
  assert.deepEqual(Buffer.from(keeper.inflate(t1!, 0, t1!.length, 32)), message);
  assert.deepEqual(Buffer.from(keeper.inflate(t2!, 0, t2!.length, 32)), message);
});

test('window bits 8 to 15: round trips, and zlib inflates the output with exactly that window', () => {
  for (let bits = 8; bits <= 15; bits++) {
    const window = 1 << bits;
    // Repeats at distances just inside the window, in one message and across messages.
    const block = noise(window >> 1, bits);
    const messages = [Buffer.concat([block, text(window >> 2, bits), block]), block, text(3 * window, bits), block];
    for (const [name, params] of modes) {
      const compressed = deflateAll(params(bits), messages);
      assert.deepEqual(inflateAll(params(bits), compressed), messages, `${name}, ${bits} bits`);
      const options = { windowBits: bits, finishFlush: constants.Z_SYNC_FLUSH };
      if (name === 'context takeover') {
        assert.deepEqual(
          inflateRawSync(Buffer.concat(compressed.flatMap((c) => [c, TAIL])), options),
          Buffer.concat(messages),
          `${bits} bits`,
        );
      } else {
        compressed.forEach((c) => assert.doesNotThrow(() => inflateRawSync(Buffer.concat([c, TAIL]), options), `${bits} bits`));
      }
    }
  }
  // The negotiated window is what is kept between messages: with 9 bits, a message that refers 1 KiB
  // back into the previous one fails. (Within one message zlib resolves references from its output,
  // whatever the window.)
  const far = noise(1024, 5);
  const compressed = deflateAll(takeover(15), [far, far]);
  assert.deepEqual(inflateAll(takeover(15), compressed), [far, far]);
  const small = new MessageInflater(takeover(9), MAX);
  small.inflate(compressed[0]!, 0, compressed[0]!.length);
  codecFailure(() => small.inflate(compressed[1]!, 0, compressed[1]!.length), 'deflate.invalid-data', 1007);
});

test('window bits outside 8–15 and use after close are programming errors, not protocol errors', () => {
  for (const bits of [7, 16, 10.5]) {
    assert.throws(() => new MessageInflater(fresh(bits), MAX), RangeError);
    assert.throws(() => new MessageDeflater(fresh(bits)), RangeError);
  }
  const deflater = new MessageDeflater(takeover());
  deflater.deflate(text(10, 1));
  deflater.close();
  assert.throws(() => deflater.deflate(text(10, 1)), /deflater used after close/);
  const inflater = new MessageInflater(takeover(), MAX);
  inflater.close();
  assert.throws(() => inflater.inflate(Buffer.from([0x00]), 0, 1), /inflater used after close/);
});
