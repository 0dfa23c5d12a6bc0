import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGENTS_SHOWN,
  RATE_HISTORY,
  agentClockText,
  agentRows,
  initialState,
  reduce,
  stepStatuses,
  type DashboardAction,
  type DashboardState,
} from '../../src/ui/dashboard/state.js';
import { phaseEvent, snapshot } from '../fixtures/ui.js';
import type { AgentLiveState } from '../../src/engine/events.js';

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

test('state: agent rows — all when they fit, lost ones first, the rest summed up', () => {
  const a = (name: string, status = 'running'): AgentLiveState => ({
    name,
    host: 'h',
    clientsOpen: 1,
    clients: 1,
    clock: null,
    status,
    delivered: 0,
  });
  const cases: { agents: AgentLiveState[]; shown: string[]; more: { count: number; lost: number } | null }[] = [
    { agents: [], shown: [], more: null },
    { agents: [a('x'), a('y', 'lost')], shown: ['y', 'x'], more: null },
    { agents: [a('a'), a('b'), a('c'), a('d')], shown: ['a', 'b', 'c', 'd'], more: null },
    { agents: [a('a'), a('b'), a('c'), a('d'), a('e', 'lost')], shown: ['e', 'a', 'b'], more: { count: 2, lost: 0 } },
    {
      agents: [a('a', 'lost'), a('b', 'lost'), a('c', 'lost'), a('d', 'lost'), a('e')],
      shown: ['a', 'b', 'c'],
      more: { count: 2, lost: 1 },
    },
  ];
  for (const c of cases) {
    const got = agentRows(c.agents);
    assert.deepEqual(
      got.shown.map((x) => x.name),
      c.shown,
    );
    assert.deepEqual(got.more, c.more);
    assert.ok(got.shown.length <= AGENTS_SHOWN);
  }
});

test('state: an agent clock in a few characters', () => {
  const cases: [AgentLiveState['clock'], string][] = [
    [null, 'clock ?'],
    [{ mode: 'exact', offsetMs: 0, errorBoundMs: 0.001 }, 'clock exact'],
    [{ mode: 'estimated', offsetMs: 250.0004, errorBoundMs: 0.0219 }, 'clock +250.000 ±0.022 ms'],
    [{ mode: 'estimated', offsetMs: -3.5, errorBoundMs: 1.25 }, 'clock −3.500 ±1.250 ms'],
  ];
  for (const [clock, text] of cases) assert.equal(agentClockText(clock), text);
});

test('state: the agents event replaces the agents shown, across transports too', () => {
  const agents: AgentLiveState[] = [
    { name: 'agent-0', host: 'h', clientsOpen: 3, clients: 5, clock: null, status: 'running', delivered: 7 },
  ];
  const s = fold([phaseEvent('connecting', 'websocket', 100), { type: 'agents', transport: 'websocket', elapsedMs: 900, agents }]);
  assert.deepEqual(s.agents, agents);
  assert.equal(s.elapsedMs, 900);
  const lost = [{ ...agents[0]!, status: 'lost', clientsOpen: 0 }];
  const next = fold(
    [phaseEvent('connecting', 'longpoll', 2000), { type: 'agents', transport: 'longpoll', elapsedMs: 2100, agents: lost }],
    s,
  );
  assert.deepEqual(next.agents, lost);
  assert.deepEqual(initialState().agents, []);
});
