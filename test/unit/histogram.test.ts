import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HIGHEST_US,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncoded,
  recordMs,
  summarizeMs,
} from '../../src/metrics/histogram.js';

test('summary of known values, in ms with µs resolution', () => {
  const h = createHistogram();
  for (let i = 1; i <= 1000; i++) recordMs(h, i / 10); // 0.1 ms … 100 ms
  const s = summarizeMs(h);
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 50) / 50 < 0.002, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p99 - 99) / 99 < 0.002, `p99 ${s.p99}`);
  assert.ok(Math.abs(s.max - 100) / 100 < 0.002, `max ${s.max}`);
  assert.equal(s.min, 0.1);
});

test('empty histogram summarises to zeros', () => {
  assert.deepEqual(summarizeMs(createHistogram()), { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, stddev: 0 });
});

test('out-of-range values are clamped and reported', () => {
  const h = createHistogram();
  assert.equal(recordMs(h, -1), true);
  assert.equal(recordMs(h, (HIGHEST_US / 1000) * 2), true);
  assert.equal(recordMs(h, 5), false);
  assert.equal(h.totalCount, 3);
});

test('merging encoded histograms equals recording everything in one', () => {
  const parts = [createHistogram(), createHistogram(), createHistogram()];
  const all = createHistogram();
  let x = 7;
  for (let i = 0; i < 30_000; i++) {
    x = (x * 48271) % 2147483647;
    const ms = (x % 100_000) / 1000;
    recordMs(parts[i % 3]!, ms);
    recordMs(all, ms);
  }
  const merged = mergeEncoded(parts.map(encodeHistogram));
  assert.deepEqual(summarizeMs(merged), summarizeMs(all));
  assert.deepEqual(summarizeMs(decodeHistogram(encodeHistogram(all))), summarizeMs(all));
});
