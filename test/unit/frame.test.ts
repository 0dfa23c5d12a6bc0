import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wsModule from 'ws';
import { encodeFrame, headerLength } from '../../src/server/frame.js';

// ws exports its Sender at runtime; @types/ws does not declare it.
const Sender = (wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } }).Sender;

// The same bytes as ws's own framing (server side: no mask), across the length encodings.
const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000];

for (const size of sizes) {
  for (const binary of [false, true]) {
    test(`encodeFrame: ${size} bytes, ${binary ? 'binary' : 'text'} — same bytes as ws`, () => {
      const payload = Buffer.alloc(size, binary ? 0xfe : 0x61);
      const ours = encodeFrame(payload, binary);
      const theirs = Buffer.concat(Sender.frame(payload, { fin: true, opcode: binary ? 2 : 1, mask: false, readOnly: true, rsv1: false }));
      assert.equal(ours.length, headerLength(size) + size);
      assert.deepEqual(ours, theirs);
    });
  }
}

test('headerLength: 7-bit, 16-bit and 64-bit length forms', () => {
  assert.deepEqual(
    [0, 125, 126, 65535, 65536].map((n) => headerLength(n)),
    [2, 2, 4, 4, 10],
  );
});
