/**
 * A sender left out of its own messages (publish.echo none) is counted by arithmetic: its owed
 * spans carry its own sequences as a progression (withoutOwn) and its ledger (SenderLedger) never
 * holds a gap for them. These tables feed the same inputs — senders per channel 1, 3 and 7, every
 * slot kind, windows with transitions and with stages taking the client away and back, receipts
 * with gaps, an outage, reordering and duplicates, failed publishes — to the new arithmetic and to
 * the per-message representation it replaced (kept here as the reference: a range per own
 * message, in the spans and as the plain ledger's gaps), and require the same numbers: run counts,
 * lost and unpublished sequences, per-interval terms, receipt verdicts, and what a closing
 * connection still waits for. And the own sequences the arithmetic assumes are exactly those the
 * sender map gives the sender, with and without stages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLedger, SenderLedger } from '../../src/metrics/ledger.js';
import {
  OWED_THROUGHOUT,
  forEachIn,
  nthNotOwn,
  notOwnBelow,
  owedSpansOf,
  ownIn,
  withoutOwn,
  type OwedSpans,
  type OwnSequences,
} from '../../src/metrics/owed-spans.js';
import { RangeSet } from '../../src/metrics/range-set.js';
import { sentOnChannel } from '../../src/metrics/publish-outcomes.js';
import { IntervalCollector } from '../../src/engine/interval-collector.js';
import { OpenLoopSchedule, constantRate } from '../../src/engine/pacer.js';
import { SenderMap } from '../../src/engine/sender-map.js';
import { senderPoolSize } from '../../src/config/senders.js';
import { seededRandom as random } from '../helpers/seeded-random.js';

/** The representation the arithmetic replaced: each own sequence of an owed range moved to notOwed as a range of its own. */
function perMessageWithoutOwn(spans: OwedSpans, offset: number, period: number, end: number): OwedSpans {
  const owed: number[] = [];
  const notOwed: number[] = [];
  const set = new RangeSet();
  for (let k = 0; k + 1 < spans.notOwed.length; k += 2) set.addRange(spans.notOwed[k]!, spans.notOwed[k + 1]!);
  for (let k = 0; k + 1 < spans.owed.length; k += 2) {
    const from = spans.owed[k]!;
    const to = spans.owed[k + 1]!;
    let at = from;
    for (let q = from; q < Math.min(to, end); q++) {
      if (q < offset || (q - offset) % period !== 0) continue;
      if (q > at) owed.push(at, q);
      set.add(q);
      at = q + 1;
    }
    if (to > at) owed.push(at, to);
  }
  set.forEach((a, b) => notOwed.push(a, b));
  return { owed, notOwed };
}

const N = 80; // sequences on the channel
const RATE = 10;
const ORIGIN = 50_000;
const T0 = ORIGIN + 2_500;
const I = Number.POSITIVE_INFINITY;

// Windows [ready, close, continues] in sequence units (a sequence is due at its number).
const WINDOWS: [string, OwedSpans][] = [
  ['owed throughout', OWED_THROUGHOUT],
  ['a storm: dropped at 17, ready again at 23', owedSpansOf([-I, 17, 1, 23, I, 0], Math.ceil)],
  ['a stage takes it away at 20 and back at 31', owedSpansOf([-I, 20, 0, 31, I, 0], Math.ceil)],
  ['churned twice', owedSpansOf([-I, 10, 1, 14, 30, 1, 33, 45, 0, 52, I, 0], Math.ceil)],
  ['joined late', owedSpansOf([12, I, 0], Math.ceil)],
];

const RECEIPTS: [string, (owed: number[], rnd: () => number) => number[]][] = [
  ['everything in order', (owed) => owed],
  ['a fifth missing', (owed, rnd) => owed.filter(() => rnd() >= 0.2)],
  ['an outage from 25 to 40', (owed) => owed.filter((q) => q < 25 || q >= 40)],
  [
    'reordered and duplicated',
    (owed, rnd) => {
      const out = owed.filter(() => rnd() >= 0.1);
      for (let k = 0; k + 1 < out.length; k++) if (rnd() < 0.3) [out[k], out[k + 1]] = [out[k + 1]!, out[k]!];
      for (let k = out.length - 1; k >= 0; k--) if (rnd() < 0.15) out.splice(k + Math.floor(rnd() * 4), 0, out[k]!);
      return out;
    },
  ],
];

const UNPUBLISHED: [string, number[]][] = [
  ['all published', []],
  ['failed publishes', [5, 8, 26, 27, 41, 50]],
];

function collector() {
  const perPublish = { firstLatencyMs: new Float32Array(N).fill(I), lastLatencyMs: new Float32Array(N), recipients: new Uint32Array(N) };
  const c = new IntervalCollector(
    { timeline: { originMs: ORIGIN, lengthMs: 1000 }, publishRate: constantRate(RATE), totalPublishes: N, channelCount: 1 },
    perPublish,
    null,
    ORIGIN + 100,
  );
  c.publishing(T0);
  return c;
}

const isOwn = (own: OwnSequences, q: number) => ownIn(own, q, q + 1) === 1;
const expand = (ranges: readonly number[], upTo = N) => {
  const out: number[] = [];
  forEachIn(ranges, upTo, (a, b) => {
    for (let q = a; q < b; q++) out.push(q);
  });
  return out;
};

test('echo none by arithmetic: the same counts, lost, unpublished and intervals as a range per own message', () => {
  const schedule = new OpenLoopSchedule(T0, RATE, N);
  let cases = 0;
  for (const senders of [1, 3, 7])
    for (const slot of new Set([0, Math.floor(senders / 2), senders - 1]))
      for (const [windowLabel, spans] of WINDOWS)
        for (const [receiptLabel, receipts] of RECEIPTS)
          for (const [unpublishedLabel, failed] of UNPUBLISHED) {
            const label = `${senders} senders, slot ${slot}, ${windowLabel}, ${receiptLabel}, ${unpublishedLabel}`;
            const own: OwnSequences = { offset: slot, period: senders, end: N };
            const before = perMessageWithoutOwn(spans, slot, senders, N);
            const after = withoutOwn(spans, slot, senders, N);
            // What the pool hands the ledger: owed, not own (an own copy is an unexpected echo, never received).
            const owedOthers = expand(spans.owed).filter((q) => !isOwn(own, q));
            const rnd = random(senders * 1000 + slot * 100 + cases);
            const fed = receipts(owedOthers, rnd);
            const reference = new ClientLedger();
            const ledger = new SenderLedger(own);
            const cBefore = collector();
            const cAfter = collector();
            for (const q of fed) {
              const first = reference.receive(q);
              assert.equal(ledger.receive(q), first, `${label}: receipt of ${q}`);
              if (first) {
                cBefore.delivered(schedule.dueAt(q));
                cAfter.delivered(schedule.dueAt(q));
              }
            }
            const channel = { expected: N, unpublished: RangeSet.fromRanges(failed) };
            const counts = ledger.counts(channel, after);
            assert.deepEqual(counts, reference.counts(channel, before), `${label}: counts`);
            assert.equal(counts.delivered + counts.lost + counts.unpublished + counts.notOwed, counts.expected, `${label}: identity`);

            const sequences = (visitAll: (visit: (a: number, b: number) => void) => void, spansOf: OwedSpans) => {
              const out: number[] = [];
              visitAll((a, b) => {
                for (let q = a; q < b; q++) if (spansOf.own === undefined || !isOwn(spansOf.own, q)) out.push(q);
              });
              return out;
            };
            assert.deepEqual(
              sequences((v) => ledger.forEachLost(channel, v, after), after),
              sequences((v) => reference.forEachLost(channel, v, before), before),
              `${label}: lost`,
            );
            assert.deepEqual(
              sequences((v) => ledger.forEachUnpublished(channel, v, after), after),
              sequences((v) => reference.forEachUnpublished(channel, v, before), before),
              `${label}: unpublished`,
            );

            // Per interval: what the pool did before (a missed() per range) against forEachNotDelivered.
            reference.forEachLost(channel, (a, b) => cBefore.missed(0, a, b, 'lost'), before);
            reference.forEachUnpublished(channel, (a, b) => cBefore.missed(0, a, b, 'unpublished'), before);
            forEachIn(before.notOwed, N, (a, b) => cBefore.missed(0, a, b, 'notOwed'));
            ledger.forEachNotDelivered(channel, after, (a, b, term, count) => cAfter.missed(0, a, b, term, count));
            const terms = (c: IntervalCollector) =>
              c.finish(ORIGIN + 20_000).map((i) => ({ index: i.index, lost: i.lost, unpublished: i.unpublished, notOwed: i.notOwed }));
            const perInterval = terms(cAfter);
            assert.deepEqual(perInterval, terms(cBefore), `${label}: intervals`);

            // A closing connection waits while something owed in its window is missing (client-pool caughtUp).
            for (const [a, b] of [
              [0, N],
              [10, 30],
              [24, 26],
              [slot, slot + 1],
              [60, 61],
            ] as const) {
              let waitsBefore = false;
              reference.forEachMissingIn(a, b, (x, y) => {
                if (!(senders === 1 || (y - x === 1 && isOwn(own, x)))) waitsBefore = true;
              });
              let waitsAfter = false;
              ledger.forEachMissingIn(a, b, (x, y) => {
                if (y - x > ownIn(own, x, y)) waitsAfter = true;
              });
              assert.equal(waitsAfter, waitsBefore, `${label}: waits for [${a}, ${b})`);
            }
            cases++;
          }
  assert.equal(cases, 7 * WINDOWS.length * RECEIPTS.length * UNPUBLISHED.length);
});

test('SenderLedger numbers the not-own sequences densely: notOwnBelow and nthNotOwn are inverse', () => {
  const cases: [string, OwnSequences][] = [
    ['only sender', { offset: 0, period: 1, end: 30 }],
    ['slot 0 of 3', { offset: 0, period: 3, end: 30 }],
    ['slot 2 of 3', { offset: 2, period: 3, end: 30 }],
    ['slot 6 of 7, ends early', { offset: 6, period: 7, end: 17 }],
    ['offset beyond the end', { offset: 5, period: 7, end: 4 }],
  ];
  for (const [label, own] of cases) {
    let j = 0;
    for (let q = 0; q < 50; q++) {
      assert.equal(notOwnBelow(own, q), j, `${label}: not own below ${q}`);
      if (isOwn(own, q)) continue;
      assert.equal(nthNotOwn(own, j), q, `${label}: not own #${j}`);
      j++;
    }
    assert.equal(nthNotOwn(own, I), I, `${label}: infinity`);
    assert.equal(notOwnBelow(own, I), I, `${label}: infinity below`);
  }
});

test('the own sequences the arithmetic assumes are the sender map’s, with and without stages', () => {
  const layouts: [string, number, { connections?: number }[] | undefined, number, number][] = [
    ['one channel, one sender', 20, undefined, 1, 1],
    ['one channel, 3 senders', 20, undefined, 1, 3],
    ['one channel, 7 senders', 20, undefined, 1, 7],
    ['4 channels, 7 senders', 40, undefined, 4, 7],
    ['3 channels, 7 senders, stages down to 15 connections', 40, [{ connections: 60 }, { connections: 15 }, {}], 3, 7],
    ['2 channels, 3 senders, stages up only', 10, [{ connections: 30 }], 2, 3],
  ];
  const total = 211;
  for (const [label, connections, stages, channels, senders] of layouts) {
    const map = new SenderMap(senderPoolSize(connections, stages), channels, senders);
    let found = 0;
    for (let k = 0; k < connections; k++) {
      const r = map.slotOf(k);
      if (r < 0) continue;
      found++;
      const c = k % channels;
      const own: OwnSequences = { offset: r, period: map.sendersOn(c), end: sentOnChannel(total, c, channels) };
      for (let q = 0; q * channels + c < total; q++)
        assert.equal(isOwn(own, q), map.senderOf(q * channels + c) === k, `${label}: client ${k}, sequence ${q}`);
    }
    assert.equal(found, senders, `${label}: every sender`);
  }
});
