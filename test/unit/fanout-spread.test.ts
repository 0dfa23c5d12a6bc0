import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fanoutSpread, type PerPublishPart } from '../../src/metrics/fanout-spread.js';
import { summarizeMs } from '../../src/metrics/histogram.js';

/** Equal within the histogram's 3-significant-digit resolution. */
function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.001 + 0.001, `${actual} is not ${expected}`);
}

function part(first: number[], last: number[], recipients: number[]): PerPublishPart {
  return { firstLatencyMs: Float32Array.from(first), lastLatencyMs: Float32Array.from(last), recipients: Uint32Array.from(recipients) };
}

test('first is the min and last the max across workers; incomplete publishes have no last', () => {
  const a = part([1, 2, 3, Infinity], [4, 5, 6, 0], [2, 2, 1, 0]);
  const b = part([0.5, 3, 2, Infinity], [8, 4, 2, 0], [2, 2, 2, 0]);
  // 4 clients subscribed to every publish: publish 2 reached 3, publish 3 none.
  const spread = fanoutSpread([a, b], 0, 4, () => 4);
  assert.equal(spread.incomplete, 2);
  const first = summarizeMs(spread.first);
  const last = summarizeMs(spread.last);
  assert.equal(first.count, 3);
  near(first.min, 0.5);
  near(first.max, 2);
  assert.equal(last.count, 2);
  near(last.min, 5);
  near(last.max, 8);
});

test('warm-up publishes (below fromIndex) and unsent ones (from toIndex) are skipped', () => {
  const a = part([9, 1, 1, 1], [9, 1, 1, 1], [1, 1, 1, 1]);
  const spread = fanoutSpread([a], 1, 3, () => 1);
  assert.equal(summarizeMs(spread.first).count, 2);
  near(summarizeMs(spread.first).max, 1);
  assert.equal(spread.incomplete, 0);
});
