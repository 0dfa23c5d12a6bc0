import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAG_WARMUP, STAMP_BINARY_BYTES, STAMP_TEXT_BYTES, StampReader, StampStatus, StampWriter } from '../../src/metrics/stamp.js';
import type { WsbenchError } from '../../src/errors.js';

const RUN = '0123456789abcdef';
const OTHER = 'fedcba9876543210';

for (const encoding of ['binary', 'text'] as const) {
  test(`${encoding} stamp round-trips seq, time and flags at the minimum and a padded size`, () => {
    const minimum = encoding === 'binary' ? STAMP_BINARY_BYTES : STAMP_TEXT_BYTES;
    for (const size of [minimum, 1024]) {
      const writer = new StampWriter(RUN, encoding, size);
      const reader = new StampReader(RUN);
      const cases: [number, number, number][] = [
        [0, 0, 0],
        [1, 123456.789012, FLAG_WARMUP],
        [0xffffffff, 9_876_543_210.123_46, 0],
        // The top bit of the sequence and of the float's sign (byte arithmetic must not go negative).
        [0x80000000, -0.25, FLAG_WARMUP],
      ];
      for (const [seq, time, flags] of cases) {
        const payload = writer.write(seq, time, flags);
        assert.equal(payload.length, size);
        assert.equal(reader.read(payload), StampStatus.Ok);
        assert.deepEqual({ ...reader.out }, { seq, intendedMs: time, flags });
      }
    }
  });

  test(`${encoding} stamp of another run is foreign`, () => {
    const payload = new StampWriter(OTHER, encoding, 100).write(7, 1, 0);
    assert.equal(new StampReader(RUN).read(payload), StampStatus.Foreign);
  });
}

test('text stamp is found inside an envelope (JSON, Socket.IO event)', () => {
  const stamp = new StampWriter(RUN, 'text', STAMP_TEXT_BYTES).write(42, 1000.5, 0).toString('latin1');
  const reader = new StampReader(RUN);
  for (const frame of [`{"message":"${stamp}","identifier":"x"}`, `42["bench","${stamp}"]`]) {
    assert.equal(reader.read(Buffer.from(frame)), StampStatus.Ok, frame);
    assert.equal(reader.out.seq, 42);
    assert.equal(reader.out.intendedMs, 1000.5);
  }
});

test('a stamp is read from a view into a larger buffer, and not past its end', () => {
  const reader = new StampReader(RUN);
  for (const encoding of ['binary', 'text'] as const) {
    const one = new StampWriter(RUN, encoding, 64).write(5, 77.5, 0);
    const chunk = Buffer.concat([Buffer.from('junk'), one, Buffer.from('tail')]);
    assert.equal(reader.read(chunk, 4, 4 + one.length), StampStatus.Ok, encoding);
    assert.equal(reader.out.seq, 5);
    assert.equal(reader.out.intendedMs, 77.5);
  }
  const text = new StampWriter(RUN, 'text', 48).write(1, 1, 0);
  const later = Buffer.concat([Buffer.from('{"ping":1}'), text]);
  assert.equal(reader.read(later, 0, 10), StampStatus.Missing, 'a stamp in the next message does not count');
});

test('messages without a valid stamp are missing', () => {
  const reader = new StampReader(RUN);
  const cases = [
    '--heartbeat--',
    '',
    'WSB1',
    'WSB1x.0123456789abcdef.00000001.0000000000000000',
    `WSB10.0123456789abcdeg.00000001.0000000000000000`,
  ];
  for (const text of cases) assert.equal(reader.read(Buffer.from(text)), StampStatus.Missing, JSON.stringify(text));
  const truncatedBinary = new StampWriter(RUN, 'binary', 64).write(1, 1, 0).subarray(0, 20);
  assert.equal(reader.read(truncatedBinary), StampStatus.Missing);
});

test('payload smaller than the stamp is refused', () => {
  assert.throws(
    () => new StampWriter(RUN, 'binary', STAMP_BINARY_BYTES - 1),
    (e: WsbenchError) => e.code === 'INTERNAL',
  );
  assert.throws(
    () => new StampWriter(RUN, 'text', STAMP_TEXT_BYTES - 1),
    (e: WsbenchError) => e.code === 'INTERNAL',
  );
});
