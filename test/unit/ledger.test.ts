import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLedger, deliveryReport, emptyDelivery, type DeliveryCounts } from '../../src/metrics/ledger.js';
import { NOTHING_OWED, type ChannelPublishes } from '../../src/metrics/publish-outcomes.js';
import { RangeSet } from '../../src/metrics/range-set.js';
import { NEVER_OWED, forEachIn, owedSpansOf } from '../../src/metrics/owed-spans.js';

/** A channel with `expected` sequences sent, those in `failed` (flat ranges) never reached Redis. */
function channel(expected: number, failed: number[] = []): ChannelPublishes {
  return { expected, unpublished: RangeSet.fromRanges(failed) };
}

type Want = Omit<DeliveryCounts, 'expected' | 'ignored' | 'unpublished' | 'notOwed'> & { unpublished?: number };

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
    assert.deepEqual(counts, { expected: c.expected, ignored: 0, unpublished: 0, notOwed: 0, ...c.want });
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
    notOwed: 0,
    duplicated: 0,
    reordered: 0,
    ignored: 0,
  });
  assert.deepEqual(ledger.counts(channel(10), NEVER_OWED), ledger.counts(NOTHING_OWED));
});

/**
 * Owed windows: a client's connections in time ([ready, close, continues] triples), their spans in
 * channel sequences (here sequence s is intended at s × 10 ms), and the ledger's four terms.
 */
const AT = (ms: number) => Math.ceil(ms / 10);
const windowCases: {
  name: string;
  windows: number[];
  spans: { owed: number[]; notOwed: number[] };
  receipts: number[];
  sent: number;
  failed?: number[];
  want: Pick<DeliveryCounts, 'expected' | 'delivered' | 'lost' | 'unpublished' | 'notOwed'>;
}[] = [
  {
    name: 'open throughout: everything sent is owed',
    windows: [-Infinity, Infinity, 0],
    spans: { owed: [0, Infinity], notOwed: [] },
    receipts: [0, 1, 2, 3, 4],
    sent: 5,
    want: { expected: 5, delivered: 5, lost: 0, unpublished: 0, notOwed: 0 },
  },
  {
    name: 'a storm drop at 50 ms, ready again at 120 ms: 5..11 not owed',
    windows: [-Infinity, 50, 1, 120, Infinity, 0],
    spans: { owed: [0, 5, 12, Infinity], notOwed: [5, 12] },
    receipts: [0, 1, 2, 3, 4, 12, 13, 14],
    sent: 15,
    want: { expected: 15, delivered: 8, lost: 0, unpublished: 0, notOwed: 7 },
  },
  {
    name: 'the same with one lost before the drop and one after the reconnect',
    windows: [-Infinity, 50, 1, 120, Infinity, 0],
    spans: { owed: [0, 5, 12, Infinity], notOwed: [5, 12] },
    receipts: [0, 1, 3, 4, 12, 14],
    sent: 15,
    want: { expected: 15, delivered: 6, lost: 2, unpublished: 0, notOwed: 7 },
  },
  {
    name: 'dropped and never back: the rest of its presence is not owed',
    windows: [-Infinity, 30, 1],
    spans: { owed: [0, 3], notOwed: [3, Infinity] },
    receipts: [0, 1, 2],
    sent: 10,
    want: { expected: 10, delivered: 3, lost: 0, unpublished: 0, notOwed: 7 },
  },
  {
    name: 'opened by a stage at 35 ms (ready 41 ms), closed by another at 88 ms: only its presence is expected',
    windows: [41, 88, 0],
    spans: { owed: [5, 9], notOwed: [] },
    receipts: [5, 6, 8],
    sent: 20,
    want: { expected: 4, delivered: 3, lost: 1, unpublished: 0, notOwed: 0 },
  },
  {
    name: 'two presences (a stage took it away and brought it back): the time between is no transition',
    windows: [-Infinity, 40, 0, 100, Infinity, 0],
    spans: { owed: [0, 4, 10, Infinity], notOwed: [] },
    receipts: [0, 1, 2, 3, 10, 11],
    sent: 12,
    want: { expected: 6, delivered: 6, lost: 0, unpublished: 0, notOwed: 0 },
  },
  {
    name: 'churned twice: each replacement is a transition',
    windows: [-Infinity, 20, 1, 25, 60, 1, 71, Infinity, 0],
    spans: { owed: [0, 2, 3, 6, 8, Infinity], notOwed: [2, 3, 6, 8] },
    receipts: [0, 1, 3, 4, 5, 8, 9],
    sent: 10,
    want: { expected: 10, delivered: 7, lost: 0, unpublished: 0, notOwed: 3 },
  },
  {
    name: 'a reconnect that never got ready before the next drop: the transition runs through it',
    windows: [-Infinity, 20, 1, Infinity, 50, 1, 90, Infinity, 0],
    spans: { owed: [0, 2, 9, Infinity], notOwed: [2, 9] },
    receipts: [0, 1, 9],
    sent: 10,
    want: { expected: 10, delivered: 3, lost: 0, unpublished: 0, notOwed: 7 },
  },
  {
    name: 'failed publishes inside and outside the owed windows',
    windows: [-Infinity, 50, 1, 120, Infinity, 0],
    spans: { owed: [0, 5, 12, Infinity], notOwed: [5, 12] },
    receipts: [0, 1, 12],
    sent: 15,
    // Failed: 2, 6, 7 and 13; owed and missing: 2, 3, 4 before the drop and 13, 14 after.
    failed: [2, 3, 6, 8, 13, 14],
    want: { expected: 15, delivered: 3, lost: 3, unpublished: 2, notOwed: 7 },
  },
];

for (const c of windowCases) {
  test(`ledger, owed windows: ${c.name}`, () => {
    const spans = owedSpansOf(c.windows, AT);
    assert.deepEqual(spans, c.spans);
    const ledger = new ClientLedger();
    for (const seq of c.receipts) ledger.receive(seq);
    const ch = channel(c.sent, c.failed);
    const counts = ledger.counts(ch, spans);
    assert.deepEqual({ ...counts, duplicated: 0, reordered: 0, ignored: 0 }, { ...c.want, duplicated: 0, reordered: 0, ignored: 0 });
    assert.equal(counts.delivered + counts.lost + counts.unpublished + counts.notOwed, counts.expected, 'the identity');
    // The per-sequence visitors agree with the counts, and never overlap.
    const seen = new Map<number, string>();
    const mark = (what: string) => (from: number, to: number) => {
      for (let s = from; s < to; s++) {
        assert.equal(seen.get(s), undefined, `sequence ${s} is ${what} and ${seen.get(s)}`);
        seen.set(s, what);
      }
    };
    ledger.forEachLost(ch, mark('lost'), spans);
    ledger.forEachUnpublished(ch, mark('unpublished'), spans);
    forEachIn(spans.notOwed, c.sent, mark('notOwed'));
    for (const s of c.receipts) mark('delivered')(s, s + 1);
    const tally = (what: string) => [...seen.values()].filter((v) => v === what).length;
    assert.deepEqual(
      { lost: tally('lost'), unpublished: tally('unpublished'), notOwed: tally('notOwed'), delivered: tally('delivered') },
      { lost: counts.lost, unpublished: counts.unpublished, notOwed: counts.notOwed, delivered: counts.delivered },
    );
    assert.equal(seen.size, counts.expected);
  });
}

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

test('delivery ratios are over what was owed: messages not owed (a transition) lower neither', () => {
  const ignoredBy = { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 };
  const counts = (over: Partial<DeliveryCounts>): DeliveryCounts => ({ ...emptyDelivery(), ...over });
  const cases: [DeliveryCounts, lostRatio: number, deliveryRatio: number][] = [
    [counts({ expected: 100, delivered: 100 }), 0, 1],
    [counts({ expected: 100, delivered: 80, notOwed: 20 }), 0, 1],
    [counts({ expected: 100, delivered: 70, lost: 10, notOwed: 20 }), 0.125, 0.875],
    [counts({ expected: 100, delivered: 90, unpublished: 10 }), 0, 0.9],
    [counts({ expected: 20, notOwed: 20 }), 0, 1],
    [counts({}), 0, 1],
  ];
  for (const [c, lostRatio, deliveryRatio] of cases) {
    const r = deliveryReport(c, ignoredBy);
    assert.deepEqual([r.lostRatio, r.deliveryRatio], [lostRatio, deliveryRatio], JSON.stringify(c));
  }
});
