/**
 * Apps that leave the sender out (publish.echo none): a sender's own messages move from owed to not
 * owed (withoutOwn), so the ledger puts them in notOwed and delivered + lost + unpublished + notOwed
 * still equals expected; and the clients senders are chosen from when stages change the load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLedger, SenderLedger } from '../../src/metrics/ledger.js';
import { RangeSet } from '../../src/metrics/range-set.js';
import {
  OWED_THROUGHOUT,
  NEVER_OWED,
  notOwedSize,
  owedSize,
  ownIn,
  sizeIn,
  withoutOwn,
  type OwedSpans,
} from '../../src/metrics/owed-spans.js';
import { senderPoolSize, sendersProblem } from '../../src/config/senders.js';
import { parseScenarioText } from '../../src/config/load.js';

const spans = (owed: number[], notOwed: number[] = []): OwedSpans => ({ owed, notOwed });

test('withoutOwn: every period-th sequence from the offset, below the end, moves from owed to not owed', () => {
  const cases: [string, OwedSpans, number, number, number, OwedSpans][] = [
    ['the only sender of its channel: every message is its own', OWED_THROUGHOUT, 0, 1, 10, spans([10, Infinity], [0, 10])],
    ['one of two senders, slot 0', spans([0, 6]), 0, 2, 6, spans([1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5])],
    ['one of three, slot 1', spans([0, 9]), 1, 3, 9, spans([0, 1, 2, 4, 5, 7, 8, 9], [1, 2, 4, 5, 7, 8])],
    [
      'owed from 3 (reconnected): only own ones inside the window move',
      spans([3, 8], [0, 3]),
      0,
      2,
      8,
      spans([3, 4, 5, 6, 7, 8], [0, 3, 4, 5, 6, 7]),
    ],
    // The only sender of its channel is its slot 0 (an offset is below its period).
    ['a transition joins the own ones around it', spans([0, 2, 5, 8], [2, 5]), 0, 1, 8, spans([], [0, 8])],
    ['never owed: nothing moves', NEVER_OWED, 0, 2, 10, spans([], [])],
    ['the end caps an open window', spans([0, Infinity]), 1, 2, 5, spans([0, 1, 2, 3, 4, 5, 5, Infinity], [1, 2, 3, 4])],
  ];
  for (const [label, input, offset, period, end, want] of cases) {
    const got = withoutOwn(input, offset, period, end);
    // The own ones are kept as a progression (spans.own), not as ranges: compare the sets they stand for.
    assert.deepEqual(owedSet(got, 12), expand(want.owed, 12), `${label}: owed`);
    assert.deepEqual(notOwedSet(got, 12), expand(want.notOwed, 12), `${label}: not owed`);
    assert.equal(owedSize(got, end), sizeIn(want.owed, end), `${label}: owed count`);
    assert.equal(notOwedSize(got, end), sizeIn(want.notOwed, end), `${label}: not owed count`);
    assert.equal(
      owedSize(got, end) + notOwedSize(got, end),
      sizeIn(input.owed, end) + sizeIn(input.notOwed, end),
      `${label}: nothing lost`,
    );
  }
});

function expand(ranges: readonly number[], upTo: number): number[] {
  const out: number[] = [];
  for (let k = 0; k + 1 < ranges.length; k += 2) for (let q = ranges[k]!; q < Math.min(ranges[k + 1]!, upTo); q++) out.push(q);
  return out;
}

const isOwnIn = (got: OwedSpans, q: number) => ownIn(got.own, q, q + 1) === 1;
const owedSet = (got: OwedSpans, upTo: number) => expand(got.owed, upTo).filter((q) => !isOwnIn(got, q));
const notOwedSet = (got: OwedSpans, upTo: number) =>
  [...expand(got.notOwed, upTo), ...expand(got.owed, upTo).filter((q) => isOwnIn(got, q))].sort((a, b) => a - b);

test('ledger with a sender left out: its own messages are notOwed, what it missed of the others is lost, the identity holds', () => {
  // 10 messages on the channel, 2 senders: this one (slot 1) sends 1, 3, 5, 7, 9 and receives the others' but 4.
  const ledger = new ClientLedger();
  const sender = new SenderLedger({ offset: 1, period: 2, end: 10 });
  for (const q of [0, 2, 6, 8]) {
    ledger.receive(q);
    sender.receive(q);
  }
  const channel = { expected: 10, unpublished: new RangeSet() };
  channel.unpublished.add(8); // failed, arrived anyway: delivered
  const counts = ledger.counts(channel, withoutOwn(OWED_THROUGHOUT, 1, 2, 10));
  assert.deepEqual(
    { expected: counts.expected, delivered: counts.delivered, lost: counts.lost, unpublished: counts.unpublished, notOwed: counts.notOwed },
    { expected: 10, delivered: 4, lost: 1, unpublished: 0, notOwed: 5 },
  );
  // Visited ranges may span own sequences (never missing): what they hold besides those is what is lost.
  const spans = withoutOwn(OWED_THROUGHOUT, 1, 2, 10);
  for (const ledgerOf of [ledger, sender]) {
    const lost: number[] = [];
    ledgerOf.forEachLost(channel, (a, b) => lost.push(...expand([a, b], 10).filter((q) => !isOwnIn(spans, q))), spans);
    assert.deepEqual(lost, [4], 'its own missing copies are never lost');
  }
  assert.deepEqual(sender.counts(channel, spans), counts, 'a SenderLedger counts the same');
});

test('senders are chosen among the clients the load keeps throughout: the fewest connections of the stages', () => {
  assert.equal(senderPoolSize(100, undefined), 100);
  assert.equal(senderPoolSize(100, [{ connections: 200 }, {}]), 100);
  assert.equal(senderPoolSize(100, [{ connections: 200 }, { connections: 40 }, { connections: 300 }]), 40);
  assert.equal(senderPoolSize(100, [{ connections: 0 }]), 0);
  assert.match(sendersProblem(50, 40, 10, true)!, /stages go down to 40 connections/);
  assert.equal(sendersProblem(40, 40, 10, true), null);
});

test('the scenario: echo only with senders; senders with stages, churn and events are accepted; stages below the senders are refused', () => {
  const base = `target: { kind: builtin, clientPublish: true }\nclients: { connections: 20 }\n`;
  assert.throws(
    () => parseScenarioText(`${base}publish: { rate: 10, duration: 1s, echo: none }\n`, 'e.yaml'),
    /publish\.echo: echo says what the app does with a sender's own message: only with publish\.via: websocket/,
  );
  const ok = parseScenarioText(
    `target: { kind: builtin, clientPublish: true }\nclients: { connections: 20, churn: 5/s }\npublish: { rate: 10, channels: 2, via: websocket, senders: 4, echo: none }\nstages: [{ duration: 1s, rate: 20 }, { duration: 1s, connections: 10 }]\nevents: [{ at: 500ms, disconnect: 50% }]\n`,
    'ok.yaml',
  );
  assert.equal(ok.publish.echo, 'none');
  assert.equal(ok.senders, 4);
  assert.throws(
    () =>
      parseScenarioText(
        `${base}publish: { rate: 10, channels: 2, via: websocket, senders: 8 }\nstages: [{ duration: 1s, connections: 5 }]\n`,
        's.yaml',
      ),
    /publish\.senders: 8 senders, but the stages go down to 5 connections/,
  );
});
