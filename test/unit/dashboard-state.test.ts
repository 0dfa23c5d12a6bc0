import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RATE_HISTORY,
  initialState,
  reduce,
  stepStatuses,
  type DashboardAction,
  type DashboardState,
} from '../../src/ui/dashboard/state.js';
import { phaseEvent, snapshot } from '../fixtures/ui.js';

const fold = (actions: DashboardAction[], from: DashboardState = initialState('t')) => actions.reduce(reduce, from);

test('state: phases in order are remembered; the strip shows done, current, skipped and pending', () => {
  const s = fold([
    phaseEvent('starting-redis', null, 0),
    phaseEvent('starting-server', null, 100, 'builtin'),
    phaseEvent('connecting', 'websocket', 300),
    phaseEvent('waiting-ready'),
    phaseEvent('publishing', 'websocket', 2_000),
  ]);
  assert.equal(s.phase, 'publishing');
  assert.equal(s.phaseStartedMs, 2_000);
  assert.equal(s.transport, 'websocket');
  assert.deepEqual(stepStatuses(s), ['done', 'done', 'done', 'done', 'skipped', 'current', 'pending', 'pending']);
});

test('state: before anything happened every step is pending', () => {
  assert.deepEqual(new Set(stepStatuses(initialState())), new Set(['pending']));
});

test('state: a finished run marks what was seen done and the rest skipped', () => {
  const s = fold([phaseEvent('connecting'), phaseEvent('publishing'), { type: 'finished', completed: false }]);
  assert.deepEqual(stepStatuses(s), ['skipped', 'skipped', 'done', 'skipped', 'skipped', 'done', 'skipped', 'skipped']);
  assert.deepEqual(s.finished, { completed: false });
});

test('state: snapshots replace the latest one; deliveries/s history only while messages flow', () => {
  const s = fold([
    phaseEvent('connecting'),
    { type: 'snapshot', snapshot: snapshot('connecting') },
    { type: 'snapshot', snapshot: snapshot('warmup', { delivery: { ...snapshot('warmup').delivery, perSec: 10 } }) },
    { type: 'snapshot', snapshot: snapshot('publishing', { delivery: { ...snapshot('publishing').delivery, perSec: 20 } }) },
    { type: 'snapshot', snapshot: snapshot('draining', { delivery: { ...snapshot('draining').delivery, perSec: 5 } }) },
    { type: 'snapshot', snapshot: snapshot('closing') },
  ]);
  assert.deepEqual(s.rateHistory, [10, 20, 5]);
  assert.equal(s.snapshot!.phase, 'closing');
});

test('state: the history is bounded', () => {
  const many: DashboardAction[] = Array.from({ length: RATE_HISTORY + 50 }, (_, i) => ({
    type: 'snapshot',
    snapshot: snapshot('publishing', { delivery: { ...snapshot('publishing').delivery, perSec: i } }),
  }));
  const s = fold(many);
  assert.equal(s.rateHistory.length, RATE_HISTORY);
  assert.equal(s.rateHistory.at(-1), RATE_HISTORY + 49);
});

test('state: the next transport starts clean and the previous one is listed as done', () => {
  const s = fold([
    phaseEvent('starting-redis', null),
    phaseEvent('connecting', 'websocket'),
    { type: 'snapshot', snapshot: snapshot('publishing', { transportCount: 3 }) },
    phaseEvent('closing', 'websocket'),
    phaseEvent('connecting', 'longpoll', 20_000),
  ]);
  assert.deepEqual(s.finishedTransports, ['websocket']);
  assert.equal(s.transport, 'longpoll');
  assert.equal(s.transportIndex, 1);
  assert.equal(s.transportCount, 3);
  assert.equal(s.snapshot, null);
  assert.deepEqual(s.rateHistory, []);
  assert.deepEqual(s.seen, ['starting-redis', 'connecting']);
  const next = reduce(s, {
    type: 'snapshot',
    snapshot: snapshot('connecting', { transport: 'longpoll', transportIndex: 1, transportCount: 3 }),
  });
  assert.equal(next.transportIndex, 1);
});

test('state: warnings keep the last two; the first stop message sticks', () => {
  const s = fold([
    { type: 'warning', message: 'a', elapsedMs: 1 },
    { type: 'warning', message: 'b', elapsedMs: 2 },
    { type: 'warning', message: 'c', elapsedMs: 3 },
    { type: 'stopping', message: 'q: stopping' },
    { type: 'stopping', message: 'Ctrl-C: stopping' },
  ]);
  assert.deepEqual(s.warnings, ['b', 'c']);
  assert.equal(s.stopping, 'q: stopping');
  assert.equal(s.elapsedMs, 3);
});

test('state: the reducer does not mutate what it is given', () => {
  const before = fold([phaseEvent('publishing'), { type: 'snapshot', snapshot: snapshot('publishing') }]);
  const copy = structuredClone(before);
  reduce(before, { type: 'snapshot', snapshot: snapshot('draining') });
  reduce(before, phaseEvent('connecting', 'poll'));
  assert.deepEqual(before, copy);
});

test('state: the p99 over time comes from the current transport’s closed intervals with measured deliveries', () => {
  const interval = (transport: 'websocket' | 'longpoll', startMs: number, p99: number, count = 100): DashboardAction => ({
    type: 'interval',
    transport,
    elapsedMs: startMs + 2_500,
    intervalMs: 1000,
    startMs,
    phase: 'publishing',
    connectionsOpen: 10,
    publishes: 10,
    deliveries: count,
    lost: 0,
    errors: 0,
    fanoutLatencyMs: { count, p50: p99 / 2, p90: p99, p99, p999: p99, max: p99 },
    histogram: '',
    tool: { cpuPercent: 1, eventLoopDelayP99Ms: 0 },
  });
  let s = fold([
    phaseEvent('connecting', 'websocket'),
    interval('websocket', 0, 0, 0),
    interval('websocket', 1000, 2.5),
    interval('websocket', 2000, 310),
  ]);
  assert.deepEqual(s.p99History, [2.5, 310], 'an interval without measured deliveries has no p99');
  s = reduce(s, interval('longpoll', 3000, 99));
  assert.deepEqual(s.p99History, [2.5, 310], 'another transport’s interval is not this one’s');
  s = reduce(s, phaseEvent('connecting', 'longpoll', 20_000));
  assert.deepEqual(s.p99History, [], 'the next transport starts clean');
  const many = Array.from({ length: RATE_HISTORY + 5 }, (_, k) => interval('longpoll', k * 1000, k + 1));
  assert.equal(fold(many, s).p99History.length, RATE_HISTORY);
});
