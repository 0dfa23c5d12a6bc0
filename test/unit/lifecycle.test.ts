/**
 * The pool's lifecycle rules (engine/lifecycle.ts) and the report's reconnect figures
 * (metrics/reconnects.ts), as tables of cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY, dropsClient, ownedIn, reconnectDue, retryDelay, unitRandom, wantedBelow } from '../../src/engine/lifecycle.js';
import type { ReconnectPolicy } from '../../src/engine/worker-messages.js';
import { interleaveClients } from '../../src/engine/worker-plans.js';
import { allReconnectedMs, reconnectReport, reconnectsPerSec, sumEventAccounts, type EventAccount } from '../../src/metrics/reconnects.js';
import { createHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';

test('a storm takes exactly ⌊n·f⌋ of clients 0 … n−1, spread evenly by index', () => {
  const cases: [n: number, fraction: number, taken: number, firstTaken: number[]][] = [
    [10, 0.5, 5, [1, 3, 5, 7, 9]],
    [2000, 0.5, 1000, [1, 3, 5]],
    [10, 1, 10, [0, 1, 2]],
    [10, 0.25, 2, [3, 7]],
    [7, 0.1, 0, []],
    [100, 0.1, 10, [9, 19, 29]],
    [3, 1 / 3, 1, [2]],
  ];
  for (const [n, f, taken, first] of cases) {
    const chosen = Array.from({ length: n }, (_, k) => k).filter((k) => dropsClient(k, f));
    assert.equal(chosen.length, taken, `${n} × ${f}`);
    assert.deepEqual(chosen.slice(0, first.length), first, `${n} × ${f}: which`);
  }
});

test('a storm takes each channel’s share: 50 % of an even number of channels leaves every channel subscribed', () => {
  const cases: [n: number, channels: number, fraction: number][] = [
    [10, 2, 0.5],
    [2000, 4, 0.5],
    [400, 4, 0.25],
    [120, 3, 0.5],
    [60, 6, 1 / 3],
  ];
  for (const [n, channels, f] of cases) {
    const chosen = Array.from({ length: n }, (_, k) => k).filter((k) => dropsClient(k, f, channels));
    assert.equal(chosen.length, Math.floor(n * f + 1e-9), `${n} over ${channels} channels × ${f}: how many`);
    const perChannel = n / channels;
    for (let c = 0; c < channels; c++) {
      const taken = chosen.filter((k) => k % channels === c).length;
      assert.ok(
        Math.abs(taken - perChannel * f) <= 1,
        `${n} over ${channels} channels × ${f}: channel ${c} lost ${taken} of ${perChannel}`,
      );
    }
  }
  // One client per channel: the clients themselves are spread.
  assert.equal(Array.from({ length: 10 }, (_, k) => k).filter((k) => dropsClient(k, 0.5, 10)).length, 5);
});

test('each worker decides for its own clients alone: the interleaved workers together drop what one would', () => {
  for (const [n, workers, f] of [
    [2000, 2, 0.5],
    [101, 3, 0.3],
    [64, 7, 0.75],
  ] as const) {
    const alone = Array.from({ length: n }, (_, k) => k).filter((k) => dropsClient(k, f));
    const together = interleaveClients(n, workers)
      .flatMap((r) => Array.from({ length: r.count }, (_, j) => r.first + j * r.stride))
      .filter((k) => dropsClient(k, f))
      .sort((a, b) => a - b);
    assert.deepEqual(together, alone, `${n} clients over ${workers} workers at ${f}`);
  }
});

test('unitRandom: in [0, 1), the same for the same inputs, different across clients', () => {
  const seen = new Set<number>();
  for (let k = 0; k < 1000; k++) {
    const x = unitRandom(k, 3);
    assert.ok(x >= 0 && x < 1, `${x}`);
    assert.equal(unitRandom(k, 3), x);
    seen.add(Math.floor(x * 10));
  }
  assert.equal(seen.size, 10, 'spread over the unit interval');
  assert.notEqual(unitRandom(1, 0, 1), unitRandom(1, 0, 2));
});

test('reconnect due: after + a jitter of the client’s own, within [after, after + jitter)', () => {
  const policy: ReconnectPolicy = { afterMs: 500, jitterMs: 2000, backoff: { initialMs: 250, maxMs: 10_000, factor: 2 } };
  const cases: [dropAt: number, k: number, e: number][] = [
    [1000, 0, 0],
    [1000, 1, 0],
    [5000, 999, 2],
  ];
  const dues = new Set<number>();
  for (const [dropAt, k, e] of cases) {
    const due = reconnectDue(policy, dropAt, k, e);
    assert.ok(due >= dropAt + 500 && due < dropAt + 2500, `${due}`);
    assert.equal(reconnectDue(policy, dropAt, k, e), due, 'deterministic');
    dues.add(due - dropAt);
  }
  assert.equal(dues.size, 3, 'clients spread');
  assert.equal(reconnectDue({ ...policy, jitterMs: 0 }, 1000, 7, 0), 1500, 'no jitter: exactly after');
});

test('retry delay: initial × factor^(n−1) capped at max, with up to half taken off', () => {
  const policy = { afterMs: 0, jitterMs: 0, backoff: { initialMs: 100, maxMs: 1000, factor: 3 } };
  const cases: [attempt: number, base: number][] = [
    [1, 100],
    [2, 300],
    [3, 900],
    [4, 1000],
    [20, 1000],
  ];
  for (const [attempt, base] of cases)
    for (const k of [0, 1, 2, 3]) {
      const d = retryDelay(policy, attempt, k, 0);
      assert.ok(d > base / 2 - 1e-9 && d <= base, `attempt ${attempt}, client ${k}: ${d} for base ${base}`);
    }
  assert.ok(retryDelay(DEFAULT_RETRY, 1, 0, -1) <= 250);
});

test('wanted below a level of the connection curve, and which of a worker’s clients lie in a range of global indices', () => {
  const levels: [level: number, below: number][] = [
    [0, 0],
    [-3, 0],
    [199.9999999999, 200],
    [200.5, 200],
    [40, 40],
  ];
  for (const [level, below] of levels) assert.equal(wantedBelow(level), below, `${level}`);
  // Worker 1 of 3 holds global clients 1, 4, 7, 10 (local 0 … 3).
  const cases: [from: number, to: number, local: { from: number; to: number }][] = [
    [0, 12, { from: 0, to: 4 }],
    [0, 4, { from: 0, to: 1 }],
    [0, 5, { from: 0, to: 2 }],
    [4, 8, { from: 1, to: 3 }],
    [11, 20, { from: 4, to: 4 }],
    [2, 4, { from: 1, to: 1 }],
    [0, 0, { from: 0, to: 0 }],
  ];
  for (const [from, to, local] of cases) assert.deepEqual(ownedIn(from, to, 1, 3, 4), local, `[${from}, ${to})`);
});

const account = (over: Partial<EventAccount>): EventAccount => ({
  index: 0,
  dropped: 0,
  reconnected: 0,
  gone: 0,
  failed: 0,
  at: null,
  firstReadyAt: null,
  lastReadyAt: null,
  ...over,
});

test('event accounts add up across workers: counts summed, earliest drop and first readiness, latest last readiness', () => {
  const summed = sumEventAccounts([
    [account({ index: 0, dropped: 3, reconnected: 3, failed: 1, at: 1000, firstReadyAt: 1100, lastReadyAt: 1900 })],
    [
      account({ index: 1, dropped: 1, reconnected: 0, at: 5000 }),
      account({ index: 0, dropped: 2, reconnected: 1, gone: 1, at: 1001, firstReadyAt: 1050, lastReadyAt: 2100 }),
    ],
    [account({ index: 0 })],
  ]);
  assert.deepEqual(summed, [
    account({ index: 0, dropped: 5, reconnected: 4, gone: 1, failed: 1, at: 1000, firstReadyAt: 1050, lastReadyAt: 2100 }),
    account({ index: 1, dropped: 1, at: 5000 }),
  ]);
});

test('all reconnected and the reconnect rate of an event', () => {
  const cases: [EventAccount, allMs: number | null, perSec: number | null][] = [
    [account({ dropped: 100, reconnected: 100, at: 1000, firstReadyAt: 1010, lastReadyAt: 3010 }), 2010, 50],
    [account({ dropped: 100, reconnected: 99, at: 1000, firstReadyAt: 1010, lastReadyAt: 3010 }), null, 49],
    [account({ dropped: 100, reconnected: 90, gone: 10, at: 1000, firstReadyAt: 1010, lastReadyAt: 1910 }), 910, 99],
    [account({ dropped: 5, gone: 5, at: 1000 }), 0, null],
    [account({ dropped: 0, at: 1000 }), null, null],
    [account({ dropped: 1, reconnected: 1, at: 1000, firstReadyAt: 1200, lastReadyAt: 1200 }), 200, null],
  ];
  for (const [e, all, rate] of cases) {
    assert.equal(allReconnectedMs(e), all, JSON.stringify(e));
    assert.equal(reconnectsPerSec(e), rate, JSON.stringify(e));
  }
});

test('the report’s reconnects: counts, times on the run’s axis, null when an event’s clients are not all back', () => {
  const h = createHistogram();
  for (const ms of [100, 200, 300]) recordMs(h, ms);
  const report = reconnectReport(
    [
      {
        ...account({ index: 0, dropped: 2, reconnected: 2, failed: 3, at: 10_500, firstReadyAt: 10_600, lastReadyAt: 10_800 }),
        kind: 'storm',
      },
      {
        ...account({ index: 1, dropped: 1, reconnected: 1, at: 20_000, firstReadyAt: 20_100, lastReadyAt: 20_100 }),
        kind: 'server-restart',
      },
    ],
    h,
    encodeHistogram(h),
    10_000,
  );
  assert.equal(report.count, 3);
  assert.equal(report.failed, 3);
  assert.equal(report.dropped, 3);
  assert.equal(report.allReconnectedMs, 300, 'the slower event');
  assert.deepEqual(
    report.events.map((e) => [e.kind, e.atMs, e.allReconnectedMs, e.handshakesPerSec]),
    [
      ['storm', 500, 300, 5],
      ['server-restart', 10_000, 100, null],
    ],
  );
  assert.ok(report.timeToReconnectMs.p50 >= 199 && report.timeToReconnectMs.max >= 299);
  const notBack = reconnectReport([{ ...account({ dropped: 2, reconnected: 1, at: 1 }), kind: 'storm' }], h, '', 0);
  assert.equal(notBack.allReconnectedMs, null);
});
