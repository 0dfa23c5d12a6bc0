/**
 * Who sends which message when clients send (sender-map.ts), and how the workers' sends become one
 * publish outcome (upstream-source.ts mergeSends): tables of cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SenderMap } from '../../src/engine/sender-map.js';
import { mergeSends } from '../../src/engine/upstream-source.js';
import { ownsClient } from '../../src/engine/upstream-sender.js';
import { splitTemplate } from '../../src/engine/upstream-sender.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordCount, recordMs } from '../../src/metrics/histogram.js';
import { decodeIndexSet, encodeIndexSet } from '../../src/metrics/publish-outcomes.js';
import { RangeSet } from '../../src/metrics/range-set.js';
import type { WorkerSends } from '../../src/engine/worker-messages.js';

const layouts: [connections: number, channels: number, senders: number][] = [
  [1, 1, 1],
  [10, 1, 1],
  [10, 1, 10],
  [10, 3, 3],
  [10, 3, 4],
  [11, 3, 5],
  [500, 10, 50],
  [7, 7, 7],
  [100, 4, 99],
  [1000, 7, 333],
  [20_000, 13, 5000],
];

for (const [connections, channels, senders] of layouts) {
  test(`sender map ${connections} clients, ${channels} channel(s), ${senders} sender(s): each sender sends into its own channel, its regular share`, () => {
    const map = new SenderMap(connections, channels, senders);
    const all = map.sendersIn(0, connections);
    assert.equal(all.length, senders, 'as many senders as asked');
    for (let c = 0; c < channels; c++) {
      const onChannel = all.filter((k) => k % channels === c);
      assert.equal(onChannel.length, map.sendersOn(c), `channel ${c}`);
      for (let r = 0; r < map.sendersOn(c); r++) {
        const k = map.senderClient(c, r);
        assert.equal(k % channels, c, 'a sender is a member of the channel it sends into');
        assert.ok(k < connections);
        assert.equal(map.slotOf(k), r, 'slotOf inverts senderClient');
      }
    }
    // Every message has a sender on its channel; a channel's senders take its sequences in turn.
    const sentBy = new Map<number, number[]>();
    for (let i = 0; i < 6 * senders; i++) {
      const k = map.senderOf(i);
      const c = i % channels;
      const q = (i - c) / channels;
      assert.equal(k % channels, c, `message ${i}`);
      assert.ok(map.sends(c, map.slotOf(k), q), `message ${i}: its sender owns sequence ${q}`);
      sentBy.set(k, [...(sentBy.get(k) ?? []), q]);
    }
    for (const [k, qs] of sentBy) {
      const step = map.sendersOn(k % channels);
      qs.forEach((q, n) => n > 0 && assert.equal(q - qs[n - 1]!, step, `sender ${k} sends every ${step}th sequence of its channel`));
    }
    for (let k = 0; k < connections; k++) if (!all.includes(k)) assert.equal(map.slotOf(k), -1, `client ${k} only receives`);
  });
}

test('senders are spread over the clients, so workers (contiguous ranges) share the sending', () => {
  const map = new SenderMap(500, 10, 50);
  assert.equal(map.sendersIn(0, 250).length, 25);
  assert.equal(map.sendersIn(250, 250).length, 25);
  // Also when a channel's senders cannot split evenly: 3 per channel over 2 workers.
  const odd = new SenderMap(600, 10, 30);
  assert.equal(odd.sendersIn(0, 300).length, 15);
  assert.equal(odd.sendersIn(300, 300).length, 15);
});

test('a sender template is split around {payload} and filled with the sender’s channel and index', () => {
  const { before, after } = splitTemplate('{"room":"{channel}","from":{client},"text":"{payload}"}', 'lobby', 7);
  assert.equal(before.toString(), '{"room":"lobby","from":7,"text":"');
  assert.equal(after.toString(), '"}');
  assert.throws(() => splitTemplate('no slot', 'c', 0), /without \{payload\}/);
});

function sends(workerId: number, attemptedUpTo: number, sent: number, failed: number[], extra: Partial<WorkerSends> = {}): WorkerSends {
  const set = new RangeSet();
  for (const i of failed) set.add(i);
  const lag = createHistogram();
  recordMs(lag, 1);
  const buffered = createHistogram();
  recordCount(buffered, 100 * (workerId + 1));
  return {
    workerId,
    attemptedUpTo,
    sent,
    failed: encodeIndexSet(set, attemptedUpTo),
    failureSamples: failed.map((i) => `#${i} failed`),
    measuredSent: sent + failed.length,
    measuredFirstSentAt: 100 + workerId,
    measuredLastSentAt: 200 + workerId,
    lag: encodeHistogram(lag),
    bufferedAmount: encodeHistogram(buffered),
    ...extra,
  };
}

test('mergeSends: workers through the whole schedule — every message sent or failed as they say, histograms added', () => {
  // 4 clients, 1 channel, 2 senders: clients 0 and 2 (worker 0 has 0–1, worker 1 has 2–3); even messages are client 0's.
  const map = new SenderMap(4, 1, 2);
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => map.senderOf(i)),
    [0, 2, 0, 2],
  );
  const ranges = [
    { workerId: 0, firstClient: 0, clientCount: 2, clientStride: 1 },
    { workerId: 1, firstClient: 2, clientCount: 2, clientStride: 1 },
  ];
  const r = mergeSends([sends(0, 9, 4, [4]), sends(1, 10, 5, [])], map, ranges, 2);
  assert.equal(r.sent, 10);
  assert.equal(r.errors, 1);
  assert.equal(r.acked, 9);
  assert.deepEqual(decodeIndexSet(r.failed).ranges(), [4, 5]);
  assert.deepEqual(r.upstream && { ...r.upstream, bufferedAmount: undefined }, {
    senders: 2,
    sent: 9,
    sendFailures: 1,
    unsent: 0,
    bufferedAmount: undefined,
    failureSamples: ['#4 failed'],
  });
  assert.equal(decodeHistogram(r.lag).totalCount, 2);
  assert.equal(decodeHistogram(r.upstream!.bufferedAmount).maxValue >= 200, true);
  assert.equal(r.measuredSent, 8, 'the messages after the warm-up');
  assert.deepEqual([r.measuredFirstSentAt, r.measuredLastSentAt], [100, 201]);
  assert.deepEqual(r.ackedPerChannel, [9]);
});

test('mergeSends: stopped early — what a sender had not reached below the last message sent is not sent (unpublished)', () => {
  const map = new SenderMap(4, 1, 2);
  const ranges = [
    { workerId: 0, firstClient: 0, clientCount: 2, clientStride: 1 },
    { workerId: 1, firstClient: 2, clientCount: 2, clientStride: 1 },
  ];
  // Worker 1 went up to message 9; worker 0 stopped after 4 (its 6 and 8 were due, never sent).
  const r = mergeSends([sends(0, 5, 3, []), sends(1, 10, 5, [])], map, ranges, 0);
  assert.equal(r.sent, 10);
  assert.deepEqual(decodeIndexSet(r.failed).ranges(), [6, 7, 8, 9]);
  assert.equal(r.upstream!.sendFailures, 2);
  assert.equal(r.upstream!.sent, 8);
  assert.match(r.errorSamples.at(-1)!, /run stopped before some senders sent/);
  // A worker with no sender has nothing it could have missed.
  const none = mergeSends([sends(0, 4, 4, []), sends(1, 0, 0, [])], new SenderMap(4, 1, 1), ranges, 0);
  assert.deepEqual(decodeIndexSet(none.failed).ranges(), []);
});

test('interleaved workers (worker w holds clients w, w + W, …): which sender is whose, and a stop cut-off per worker', () => {
  const cases: [{ firstClient: number; clientCount: number; clientStride: number }, number, boolean][] = [
    [{ firstClient: 0, clientCount: 3, clientStride: 2 }, 0, true],
    [{ firstClient: 0, clientCount: 3, clientStride: 2 }, 4, true],
    [{ firstClient: 0, clientCount: 3, clientStride: 2 }, 6, false],
    [{ firstClient: 0, clientCount: 3, clientStride: 2 }, 3, false],
    [{ firstClient: 1, clientCount: 3, clientStride: 2 }, 5, true],
    [{ firstClient: 1, clientCount: 3, clientStride: 2 }, 0, false],
    [{ firstClient: 2, clientCount: 2, clientStride: 1 }, 3, true],
  ];
  for (const [range, k, want] of cases) assert.equal(ownsClient(range, k), want, `${JSON.stringify(range)} ${k}`);
  // 4 clients, 1 channel, 2 senders (clients 0 and 2: both on worker 0 when interleaved over 2 workers).
  const map = new SenderMap(4, 1, 2);
  const ranges = [
    { workerId: 0, firstClient: 0, clientCount: 2, clientStride: 2 },
    { workerId: 1, firstClient: 1, clientCount: 2, clientStride: 2 },
  ];
  // Worker 0 stopped after message 5 of 8; worker 1 has no sender: it misses nothing.
  const r = mergeSends([sends(0, 6, 6, []), sends(1, 0, 0, [])], map, ranges, 0);
  assert.equal(r.sent, 6);
  assert.deepEqual(decodeIndexSet(r.failed).ranges(), []);
  assert.equal(r.upstream!.sendFailures, 0);
});

test('mergeSends: messages due while a sender was between connections (churn, storm, restart) are unsent, apart from sendFailures', () => {
  const map = new SenderMap(4, 1, 2);
  const ranges = [
    { workerId: 0, firstClient: 0, clientCount: 2, clientStride: 1 },
    { workerId: 1, firstClient: 2, clientCount: 2, clientStride: 1 },
  ];
  // Worker 0's sender was away for messages 2 and 4 (a storm) and not open for 6 (dropped on its own).
  const away = new RangeSet();
  away.add(2);
  away.add(4);
  const r = mergeSends([sends(0, 9, 2, [2, 4, 6], { unsent: encodeIndexSet(away, 9) }), sends(1, 10, 5, [])], map, ranges, 0);
  assert.equal(r.sent, 10);
  assert.deepEqual(decodeIndexSet(r.failed).ranges(), [2, 3, 4, 5, 6, 7], 'every message not sent is unpublished');
  assert.equal(r.errors, 3);
  assert.equal(r.upstream!.unsent, 2);
  assert.equal(r.upstream!.sendFailures, 1);
  assert.equal(r.upstream!.sent + r.upstream!.sendFailures + r.upstream!.unsent, r.sent, 'sent + sendFailures + unsent = messages due');
  assert.ok(!r.errorSamples.some((x) => /run stopped/.test(x)), 'nothing was cut off by a stop');
});

test('mergeSends: a worker whose agent was lost — what its last snapshot said was sent stands, every later message of its senders is not sent (unpublished), named', () => {
  // 4 clients, 1 channel, 2 senders: client 0 (worker 0) sends the even messages, client 2 (worker 1) the odd ones.
  const map = new SenderMap(4, 1, 2);
  const ranges = [
    { workerId: 0, firstClient: 0, clientCount: 2, clientStride: 1 },
    { workerId: 1, firstClient: 2, clientCount: 2, clientStride: 1 },
  ];
  const lost = (attempted: number, failed: number): WorkerSends =>
    sends(0, 0, 0, [], { lostAgent: { name: 'agent-0', attempted, failed }, measuredSent: 0 });
  const cases: [what: string, lostSends: WorkerSends, failed: number[], sent: number][] = [
    // Its 2 first own messages (0 and 2) went out; 4, 6 and 8 were due after its last report.
    ['2 attempted, none failed', lost(2, 0), [4, 5, 6, 7, 8, 9], 5 + 2],
    // Which of its attempts failed is not known: nothing of it is taken as sent.
    ['2 attempted, 1 failed', lost(2, 1), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5],
    ['lost before its first snapshot', lost(0, 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5],
    ['through its share before it was lost', lost(5, 0), [], 10],
  ];
  for (const [what, lostSends, failed, sent] of cases) {
    const r = mergeSends([lostSends, sends(1, 10, 5, [])], map, ranges, 0);
    const up = r.upstream!;
    assert.equal(r.sent, 10, what);
    assert.deepEqual(decodeIndexSet(r.failed).ranges(), failed, what);
    assert.equal(up.sent, sent, what);
    // Every message due is sent, failed or unsent, once.
    assert.equal(up.sent + up.sendFailures + up.unsent, r.sent, what);
    assert.equal(r.errors, up.sendFailures, what);
    assert.equal(r.acked, r.sent - r.errors, what);
    if (up.sendFailures > 0) {
      assert.match(
        up.failureSamples[0]!,
        /^agent "agent-0" was lost: \d+ message\(s\) due from its senders \(worker 0\) after its last report/,
        what,
      );
      assert.ok(!up.failureSamples.some((s) => /run stopped before/.test(s)), `not taken for an early stop: ${what}`);
    }
  }
  // The schedule's last message (10 of 11) was the lost worker's: the survivors stopped at 10, the
  // schedule's due count says 11 were due; without it (due 0) the last one would go uncounted.
  const last = mergeSends([lost(2, 0), sends(1, 10, 5, [])], map, ranges, 0, 11);
  assert.equal(last.sent, 11);
  assert.deepEqual(decodeIndexSet(last.failed).ranges(), [4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(last.upstream!.sent + last.upstream!.sendFailures, 11);
  // Without a lost worker the survivors' own account stands (the due count is for lost agents only).
  assert.equal(mergeSends([sends(0, 9, 5, []), sends(1, 10, 5, [])], map, ranges, 0, 11).sent, 10);
  // A lost worker that held no sender misses nothing.
  const noSender = mergeSends(
    [sends(0, 10, 10, []), sends(1, 0, 0, [], { lostAgent: { name: 'agent-1', attempted: 0, failed: 0 } })],
    new SenderMap(4, 1, 1),
    ranges,
    0,
  );
  assert.deepEqual(decodeIndexSet(noSender.failed).ranges(), []);
  assert.equal(noSender.upstream!.sent, 10);
});
