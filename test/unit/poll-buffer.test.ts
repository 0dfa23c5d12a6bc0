import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PollBuffer } from '../../src/server/poll-buffer.js';

const msg = (n: number) => Buffer.from(`m${n}`);
const texts = (b: Buffer[]) => b.map((m) => m.toString());

function filled(capacity: number, count: number): PollBuffer {
  const buffer = new PollBuffer(capacity);
  for (let i = 1; i <= count; i++) buffer.push(msg(i));
  return buffer;
}

const cases: {
  name: string;
  capacity: number;
  pushed: number;
  after: number;
  limit?: number;
  want: { cursor: number; messages: string[]; missed: number };
}[] = [
  { name: 'empty buffer', capacity: 4, pushed: 0, after: 0, want: { cursor: 0, messages: [], missed: 0 } },
  { name: 'everything new', capacity: 4, pushed: 3, after: 0, want: { cursor: 3, messages: ['m1', 'm2', 'm3'], missed: 0 } },
  { name: 'up to date', capacity: 4, pushed: 3, after: 3, want: { cursor: 3, messages: [], missed: 0 } },
  { name: 'some new', capacity: 4, pushed: 5, after: 3, want: { cursor: 5, messages: ['m4', 'm5'], missed: 0 } },
  {
    name: 'fell behind: oldest gone',
    capacity: 4,
    pushed: 10,
    after: 2,
    want: { cursor: 10, messages: ['m7', 'm8', 'm9', 'm10'], missed: 4 },
  },
  { name: 'limit', capacity: 8, pushed: 6, after: 0, limit: 2, want: { cursor: 2, messages: ['m1', 'm2'], missed: 0 } },
  { name: 'cursor from the future is clamped', capacity: 4, pushed: 2, after: 99, want: { cursor: 2, messages: [], missed: 0 } },
  { name: 'fell behind with limit', capacity: 4, pushed: 10, after: 0, limit: 1, want: { cursor: 7, messages: ['m7'], missed: 6 } },
];

for (const c of cases) {
  test(`poll buffer: ${c.name}`, () => {
    const batch = filled(c.capacity, c.pushed).read(c.after, c.limit);
    assert.deepEqual({ ...batch, messages: texts(batch.messages) }, c.want);
  });
}

test('poll buffer wakes waiters once on the next push, and cancel works', () => {
  const buffer = new PollBuffer(2);
  let woken = 0;
  let cancelledWoken = 0;
  buffer.waitForNext(() => woken++);
  const cancel = buffer.waitForNext(() => cancelledWoken++);
  assert.equal(buffer.waiting, 2);
  cancel();
  buffer.push(msg(1));
  buffer.push(msg(2));
  assert.equal(woken, 1);
  assert.equal(cancelledWoken, 0);
  assert.equal(buffer.waiting, 0);
});
