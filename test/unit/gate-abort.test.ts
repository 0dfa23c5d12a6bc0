import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abortRule, brokenBy, firstBroken } from '../../src/gate/abort.js';
import { parseThreshold } from '../../src/gate/expression.js';
import type { Snapshot } from '../../src/engine/events.js';

function snapshot(
  over: {
    failed?: number;
    duplicated?: number;
    reordered?: number;
    errors?: Record<string, number>;
    transport?: Snapshot['transport'];
  } = {},
): Snapshot {
  return {
    elapsedMs: 1000,
    phase: 'publishing',
    transport: over.transport ?? 'websocket',
    transportIndex: 0,
    transportCount: 1,
    phaseProgress: 0.5,
    phaseRemainingMs: 1000,
    connections: {
      target: 10,
      opened: 10 - (over.failed ?? 0),
      failed: over.failed ?? 0,
      closed: 0,
      open: 10 - (over.failed ?? 0),
      inFlight: 0,
      perSec: 0,
    },
    publish: { sent: 10, acked: 10, errors: 0, total: 20, lagMs: 0 },
    delivery: {
      delivered: 100,
      expectedSoFar: 100,
      duplicated: over.duplicated ?? 0,
      reordered: over.reordered ?? 0,
      ignored: 0,
      perSec: 100,
    },
    latencyMs: { p50: 1, p99: 500, max: 900, count: 100 },
    errors: over.errors ?? {},
    wire: { bytesIn: 10_000, bytesOut: 1_000, requests: 10, bytesInPerSec: 1_000, requestsPerSec: 1 },
    tool: { cpuPercent: 10, eventLoopDelayMs: 1, processes: 2, bottleneck: false, reason: null },
  };
}

// [threshold, watchable?]
const eligibility: [string, boolean][] = [
  ['connections.failed == 0', true],
  ['connections.failed < 3', true],
  ['connections.failed <= 2', true],
  ['3 > connections.failed', true],
  ['delivery.duplicated == 0', true],
  ['delivery.reordered < 10', true],
  ['errors.total == 0', true],
  ['longpoll.connections.failed == 0', true],
  // A growing counter cannot break these for good.
  ['connections.failed > 0', false],
  ['connections.failed >= 1', false],
  ['connections.failed != 5', false],
  // Not counters that only grow, or not known live.
  ['fanout.p99 < 1ms', false],
  ['delivery.lost == 0', false],
  ['delivery.lostRatio == 0', false],
  ['connections.closedEarly == 0', false],
  // Arithmetic is never decided early.
  ['connections.failed + 1 < 3', false],
  ['connections.failed < errors.total', false],
];

for (const [expression, watchable] of eligibility) {
  test(`abort rule: ${expression} → ${watchable ? 'watched live' : 'end of run only'}`, () => {
    assert.equal(abortRule(parseThreshold(expression)) !== null, watchable);
  });
}

// [threshold, snapshot, broken?]
const live: [string, Snapshot, boolean][] = [
  ['connections.failed == 0', snapshot(), false],
  ['connections.failed == 0', snapshot({ failed: 1 }), true],
  ['connections.failed < 3', snapshot({ failed: 2 }), false],
  ['connections.failed < 3', snapshot({ failed: 3 }), true],
  ['connections.failed <= 2', snapshot({ failed: 2 }), false],
  ['connections.failed <= 2', snapshot({ failed: 3 }), true],
  ['3 > connections.failed', snapshot({ failed: 3 }), true],
  ['delivery.duplicated == 0', snapshot({ duplicated: 4 }), true],
  ['errors.total < 5', snapshot({ errors: { 'connect.ECONNREFUSED': 2, 'socket.dropped-1006': 3 } }), true],
  ['errors.total < 5', snapshot({ errors: { 'connect.ECONNREFUSED': 4 } }), false],
  // Another transport's snapshot says nothing about this one.
  ['longpoll.connections.failed == 0', snapshot({ failed: 9 }), false],
  ['longpoll.connections.failed == 0', snapshot({ failed: 1, transport: 'longpoll' }), true],
  ['connections.failed == 0', snapshot({ failed: 9, transport: 'longpoll' }), false],
];

for (const [expression, snap, broken] of live) {
  test(`abort: ${expression} with ${JSON.stringify({ t: snap.transport, failed: snap.connections.failed, dup: snap.delivery.duplicated, errors: snap.errors })} → ${broken ? 'broken' : 'undecided'}`, () => {
    const rule = abortRule(parseThreshold(expression))!;
    assert.equal(brokenBy(rule, snap) !== null, broken);
  });
}

test('the abort message names the threshold and the counter', () => {
  const rules = ['fanout.p99 < 1ms', 'delivery.duplicated == 0', 'connections.failed == 0'].flatMap(
    (e) => abortRule(parseThreshold(e)) ?? [],
  );
  assert.equal(rules.length, 2);
  assert.equal(firstBroken(rules, snapshot()), null);
  assert.equal(
    firstBroken(rules, snapshot({ duplicated: 12, failed: 1 })),
    'threshold "delivery.duplicated == 0" is broken: delivery.duplicated reached 12 and can only grow',
  );
});
