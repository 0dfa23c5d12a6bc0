import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePollBatch, encodePollBatch } from '../../../src/wire/poll-batch.js';

function decoded(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  decodePollBatch(body, (data, start, end) => out.push(Buffer.from(data.subarray(start, end))));
  return out;
}

const batches: { name: string; messages: Buffer[]; bytes: number[] }[] = [
  { name: 'empty', messages: [], bytes: [] },
  { name: 'one empty message', messages: [Buffer.alloc(0)], bytes: [0, 0, 0, 0] },
  { name: 'one message', messages: [Buffer.from('ab')], bytes: [0, 0, 0, 2, 0x61, 0x62] },
  {
    name: 'several, binary and empty',
    messages: [Buffer.from('a'), Buffer.alloc(0), Buffer.from([0, 1, 2, 255])],
    bytes: [0, 0, 0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 2, 255],
  },
];

for (const b of batches) {
  test(`poll batch: ${b.name}: length-prefixed bytes, and back`, () => {
    const body = encodePollBatch(b.messages);
    assert.deepEqual([...body], b.bytes);
    assert.deepEqual(decoded(body), b.messages);
  });
}

test('poll batch: a large message (length above 16 bits)', () => {
  const big = Buffer.alloc(70_000, 7);
  const body = encodePollBatch([big, Buffer.from('x')]);
  assert.equal(body.readUInt32BE(0), 70_000);
  assert.deepEqual(decoded(body), [big, Buffer.from('x')]);
});

test('poll batch: messages are views into the body at their offsets', () => {
  const body = encodePollBatch([Buffer.from('ab'), Buffer.from('cde')]);
  const views: [boolean, number, number][] = [];
  decodePollBatch(body, (data, start, end) => views.push([data === body, start, end]));
  assert.deepEqual(views, [
    [true, 4, 6],
    [true, 10, 13],
  ]);
});

const malformed: { name: string; body: Buffer; error: RegExp }[] = [
  { name: 'truncated message', body: encodePollBatch([Buffer.from('abc')]).subarray(0, 6), error: /truncated/ },
  { name: 'trailing bytes', body: Buffer.concat([encodePollBatch([Buffer.from('a')]), Buffer.from([1])]), error: /trailing/ },
  { name: 'truncated length', body: Buffer.from([0, 0, 1]), error: /trailing/ },
];
for (const m of malformed) {
  test(`poll batch: ${m.name} is refused before any message is handed on`, () => {
    const body = Buffer.concat([encodePollBatch([Buffer.from('first')]), m.body]);
    let handed = 0;
    assert.throws(() => decodePollBatch(body, () => handed++), m.error);
    assert.equal(handed, 0);
  });
}
