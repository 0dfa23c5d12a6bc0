import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLedger, type DeliveryCounts } from '../../src/metrics/ledger.js';
import { NOTHING_OWED, type ChannelPublishes } from '../../src/metrics/publish-outcomes.js';
import { RangeSet } from '../../src/metrics/range-set.js';

/** A channel with `expected` sequences sent, those in `failed` (flat ranges) never reached Redis. */
function channel(expected: number, failed: number[] = []): ChannelPublishes {
  return { expected, unpublished: RangeSet.fromRanges(failed) };
}

type Want = Omit<DeliveryCounts, 'expected' | 'ignored' | 'unpublished'> & { unpublished?: number };

const cases: { name: string; receipts: number[]; expected: number; failed?: number[]; want: Want }[] = [
  { name: 'in order, complete', receipts: [0, 1, 2, 3], expected: 4, want: { delivered: 4, lost: 0, duplicated: 0, reordered: 0 } },
  { name: 'nothing received', receipts: [], expected: 3, want: { delivered: 0, lost: 3, duplicated: 0, reordered: 0 } },
  { name: 'one lost in the middle', receipts: [0, 1, 3, 4], expected: 5, want: { delivered: 4, lost: 1, duplicated: 0, reordered: 0 } },
  { name: 'tail lost', receipts: [0, 1], expected: 4, want: { delivered: 2, lost: 2, duplicated: 0, reordered: 0 } },
  { name: 'head lost', receipts: [2, 3], expected: 4, want: { delivered: 2, lost: 2, duplicated: 0, reordered: 0 } },
  { name: 'duplicate of the latest', receipts: [0, 1, 1, 2], expected: 3, want: { delivered: 3, lost: 0, duplicated: 1, reordered: 0 } },
  { name: 'duplicate of an old one', receipts: [0, 1, 2, 0], expected: 3, want: { delivered: 3, lost: 0, duplicated: 1, reordered: 0 } },
  { name: 'swapped pair', receipts: [0, 2, 1, 3], expected: 4, want: { delivered: 4, lost: 0, duplicated: 0, reordered: 1 } },
  { name: 'late one after several', receipts: [1, 2, 3, 0], expected: 4, want: { delivered: 4, lost: 0, duplicated: 0, reordered: 1 } },
  { name: 'reordered then duplicated', receipts: [1, 0, 0, 1], expected: 2, want: { delivered: 2, lost: 0, duplicated: 2, reordered: 1 } },
  { name: 'fully reversed', receipts: [3, 2, 1, 0], expected: 4, want: { delivered: 4, lost: 0, duplicated: 0, reordered: 3 } },
  {
    name: 'a gap filled from the middle out',
    receipts: [0, 9, 5, 3, 7, 1],
    expected: 10,
    want: { delivered: 6, lost: 4, duplicated: 0, reordered: 4 },
  },
  // Failed publishes: what was never received and never reached Redis is unpublished, not lost.
  {
    name: 'an outage: the failed publishes are unpublished, not lost',
    receipts: [0, 1, 5, 6],
    expected: 7,
    failed: [2, 5],
    want: { delivered: 4, lost: 0, unpublished: 3, duplicated: 0, reordered: 0 },
  },
  {
    name: 'a failed publish that arrived anyway is delivered (Redis ran it, the reply was lost)',
    receipts: [0, 1, 2, 3],
    expected: 4,
    failed: [2, 3],
    want: { delivered: 4, lost: 0, unpublished: 0, duplicated: 0, reordered: 0 },
  },
  {
    name: 'failures in the tail that never came',
    receipts: [0, 1],
    expected: 6,
    failed: [3, 6],
    want: { delivered: 2, lost: 1, unpublished: 3, duplicated: 0, reordered: 0 },
  },
  {
    name: 'loss and failures interleaved',
    receipts: [0, 2, 7],
    expected: 9,
    failed: [1, 2, 4, 6],
    want: { delivered: 3, lost: 3, unpublished: 3, duplicated: 0, reordered: 0 },
  },
];

for (const c of cases) {
  test(`ledger: ${c.name}`, () => {
    const ledger = new ClientLedger();
    for (const seq of c.receipts) ledger.receive(seq);
    const counts = ledger.counts(channel(c.expected, c.failed));
    assert.deepEqual(counts, { expected: c.expected, ignored: 0, unpublished: 0, ...c.want });
    // The identity, always.
    assert.equal(counts.delivered + counts.lost + counts.unpublished, counts.expected);
  });
}

test('ledger: forEachLost gives exactly the lost sequences, never an unpublished one', () => {
  const ledger = new ClientLedger();
  for (const seq of [0, 2, 7]) ledger.receive(seq);
  const ch = channel(9, [1, 2, 4, 6]);
  const lost: number[] = [];
  ledger.forEachLost(ch, (from, to) => {
    for (let s = from; s < to; s++) lost.push(s);
  });
  assert.deepEqual(lost, [3, 6, 8]);
  assert.equal(lost.length, ledger.counts(ch).lost);
});

test('ledger: a client that never opened owes nothing', () => {
  const ledger = new ClientLedger();
  assert.deepEqual(ledger.counts(NOTHING_OWED), {
    expected: 0,
    delivered: 0,
    lost: 0,
    unpublished: 0,
    duplicated: 0,
    reordered: 0,
    ignored: 0,
  });
});

test('ledger: a client that missed a long stretch remembers it as one range', () => {
  const ledger = new ClientLedger();
  ledger.receive(0);
  ledger.receive(1_000_000);
  let ranges = 0;
  ledger.forEachMissing(1_000_001, () => ranges++);
  assert.equal(ranges, 1);
  assert.equal(ledger.counts(channel(1_000_001)).lost, 999_999);
});

test('ledger: receive() tells first receipts from duplicates, ignore() counts apart', () => {
  const ledger = new ClientLedger();
  assert.equal(ledger.receive(0), true);
  assert.equal(ledger.receive(0), false);
  ledger.ignore();
  ledger.ignore();
  assert.equal(ledger.counts(channel(1)).ignored, 2);
});
