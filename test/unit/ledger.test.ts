import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLedger, type DeliveryCounts } from '../../src/metrics/ledger.js';

const cases: { name: string; receipts: number[]; expected: number; want: Omit<DeliveryCounts, 'expected' | 'ignored'> }[] = [
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
];

for (const c of cases) {
  test(`ledger: ${c.name}`, () => {
    const ledger = new ClientLedger();
    for (const seq of c.receipts) ledger.receive(seq);
    assert.deepEqual(ledger.counts(c.expected), { expected: c.expected, ignored: 0, ...c.want });
  });
}

test('ledger: receive() tells first receipts from duplicates, ignore() counts apart', () => {
  const ledger = new ClientLedger();
  assert.equal(ledger.receive(0), true);
  assert.equal(ledger.receive(0), false);
  ledger.ignore();
  ledger.ignore();
  assert.equal(ledger.counts(1).ignored, 2);
});
