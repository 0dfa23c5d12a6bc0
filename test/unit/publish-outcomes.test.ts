import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublishOutcomes, decodeIndexSet, encodeIndexSet, sentOnChannel } from '../../src/metrics/publish-outcomes.js';
import { RangeSet } from '../../src/metrics/range-set.js';

test('publish outcomes: each channel sees its own sequences of the failed publishes', () => {
  // 3 channels, 20 publishes sent; 4..10 failed (an outage) and 15.
  const failed = RangeSet.fromRanges([4, 11, 15, 16]);
  const outcomes = new PublishOutcomes(20, failed, 3);
  const wants: [number, number, number[]][] = [
    // channel, expected, unpublished sequences (channel c carries indices c, c+3, c+6 …)
    [0, 7, [2, 3, 5]], // indices 6, 9, 15
    [1, 7, [1, 2, 3]], // indices 4, 7, 10
    [2, 6, [1, 2]], // indices 5, 8
  ];
  for (const [c, expected, unpublished] of wants) {
    const view = outcomes.channel(c);
    assert.equal(view.expected, expected, `channel ${c} expected`);
    const got: number[] = [];
    view.unpublished.forEach((from, to) => {
      for (let s = from; s < to; s++) got.push(s);
    });
    assert.deepEqual(got, unpublished, `channel ${c} unpublished`);
    assert.equal(outcomes.publishedOn(c), expected - unpublished.length);
  }
  assert.equal(outcomes.isFailed(15), true);
  assert.equal(outcomes.isFailed(16), false);
});

test('publish outcomes: sentOnChannel splits a round-robin schedule', () => {
  const cases: [number, number, number, number][] = [
    [0, 0, 1, 0],
    [10, 0, 1, 10],
    [10, 0, 3, 4],
    [10, 1, 3, 3],
    [10, 2, 3, 3],
    [2, 2, 3, 0],
  ];
  for (const [sent, c, n, want] of cases) assert.equal(sentOnChannel(sent, c, n), want, `${sent} on ${c}/${n}`);
});

test('publish outcomes: the encoding is ranges when few, a bitmap when smaller, and decodes to the same set', () => {
  const outage = RangeSet.fromRanges([100, 900]);
  const few = encodeIndexSet(outage, 1000);
  assert.ok('ranges' in few);
  assert.deepEqual(decodeIndexSet(few).ranges(), [100, 900]);

  // Every other publish failed: 500 ranges (4 KB) against a 125-byte bitmap.
  const scattered = new RangeSet();
  for (let i = 0; i < 1000; i += 2) scattered.add(i);
  const encoded = encodeIndexSet(scattered, 1000);
  assert.ok('bitmap' in encoded);
  assert.equal(encoded.bitmap.byteLength, 125);
  assert.deepEqual(decodeIndexSet(encoded).ranges(), scattered.ranges());
  // Bounded: never more than one bit per publish (plus a range's 8 bytes).
  for (const set of [outage, scattered]) {
    const e = encodeIndexSet(set, 1000);
    const bytes = 'ranges' in e ? e.ranges.byteLength : e.bitmap.byteLength;
    assert.ok(bytes <= Math.max(8, 125), `${bytes} bytes`);
  }
});
