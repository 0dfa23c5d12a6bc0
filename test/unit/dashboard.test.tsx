/**
 * The dashboard from fixed snapshots, one frame per phase, at 80 columns: what each phase shows,
 * that it fits 80×24, and the keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { Dashboard } from '../../src/ui/dashboard/Dashboard.js';
import { initialState, reduce, type DashboardAction, type DashboardState } from '../../src/ui/dashboard/state.js';
import type { AgentLiveState, Phase } from '../../src/engine/events.js';
import { phaseEvent, snapshot } from '../fixtures/ui.js';

const fold = (actions: DashboardAction[]) => actions.reduce(reduce, initialState('quickstart'));

function frame(state: DashboardState, width = 80, extra: { unicode?: boolean; interactive?: boolean } = {}): string {
  const view = (
    <Dashboard state={state} width={width} color={false} unicode={extra.unicode ?? true} interactive={extra.interactive ?? false} />
  );
  const r = render(view);
  // ink-testing-library's terminal is 100 columns: make it as wide as the dashboard is told.
  Object.defineProperty(r.stdout, 'columns', { value: width });
  r.stdout.emit('resize');
  r.rerender(view);
  const out = r.lastFrame() ?? '';
  r.unmount();
  r.cleanup();
  return out;
}

function fits(out: string, columns = 80, rows = 24) {
  const lines = out.split('\n');
  assert.ok(lines.length < rows, `${lines.length} rows:\n${out}`);
  for (const line of lines) assert.ok([...line].length <= columns, `wider than ${columns}: "${line}"`);
  assert.doesNotMatch(out, /\x1b\[/, 'no colour when colour is off');
}

const setup: DashboardAction[] = [phaseEvent('starting-redis', null, 0), phaseEvent('starting-server', null, 200, 'builtin')];
const at = (phase: Phase, withSnapshot = true): DashboardAction[] => [
  ...setup,
  phaseEvent('connecting', 'websocket', 400),
  ...(phase === 'connecting' ? [] : [phaseEvent('waiting-ready', 'websocket', 1_400)]),
  ...(['warmup', 'publishing', 'draining', 'closing', 'done'].includes(phase) ? [phaseEvent('warmup', 'websocket', 1_500)] : []),
  ...(['publishing', 'draining', 'closing', 'done'].includes(phase) ? [phaseEvent('publishing', 'websocket', 2_500)] : []),
  ...(['draining', 'closing', 'done'].includes(phase) ? [phaseEvent('draining', 'websocket', 12_500)] : []),
  ...(['closing', 'done'].includes(phase) ? [phaseEvent('closing', 'websocket', 13_000)] : []),
  ...(phase === 'done' ? [phaseEvent('done', null, 13_500)] : []),
  // A snapshot of the phase, taken after the phase began (draining begins at 12.5 s).
  ...(withSnapshot && phase !== 'done'
    ? [{ type: 'snapshot', snapshot: snapshot(phase, { elapsedMs: phase === 'draining' ? 13_000 : 7_500 }) } as const]
    : []),
];

const phases: { phase: Phase | 'before'; actions: DashboardAction[]; shows: RegExp[] }[] = [
  { phase: 'before', actions: [], shows: [/^wsbench · quickstart/, /starting…/, /○ redis/] },
  { phase: 'starting-redis', actions: setup.slice(0, 1), shows: [/● redis  ○ server/, /starting the embedded redis-server…/] },
  { phase: 'starting-server', actions: setup, shows: [/✓ redis  ● server/, /starting the target \(builtin\)…/] },
  {
    phase: 'connecting',
    actions: at('connecting'),
    shows: [/● connect/, /█{15}░{5}\s+75% 148\/200 open · 2 failed · 12 in flight · 180\/s/, /websocket 1\/1 · 7\.5 s$/m],
  },
  { phase: 'waiting-ready', actions: at('waiting-ready'), shows: [/● ready/, /waiting until all 200 clients are subscribed…/] },
  {
    phase: 'warmup',
    actions: at('warmup'),
    shows: [
      /● warm-up/,
      /50% warm-up \(not measured\) · 5\.0 s left/,
      /latency\s+– \(no measured deliveries in the last interval\)/,
      /deliveries\/s\s+40,000 +█/,
    ],
  },
  {
    phase: 'publishing',
    actions: at('publishing'),
    shows: [
      /✓ warm-up  ● publish/,
      /50% publishing · 5\.0 s elapsed · 5\.0 s left/,
      /deliveries\/s\s+40,000 +█$/m,
      /latency\s+p50 0\.412 · p99 1\.200 · max 3\.050 ms  \(last interval, n=20,000\)/,
      /delivery\s+99\.55% of 220k · 1,000 in flight · dup 0 · reord 0 · ign 3/,
      /wire\s+5\.1 MiB\/s in · 0 req\/s · 28 MiB in, 50\.8 KiB out$/m,
      /publish\s+1,100\/2,200 sent · lag 0\.021 ms · 0 errors/,
      /errors\s+none/,
      /tool\s+CPU 23\.5% · event loop p99 1\.200 ms · 3 processes/,
      /Ctrl-C: stop and report/,
    ],
  },
  { phase: 'draining', actions: at('draining'), shows: [/● drain/, /draining · 1,000 in flight · at most 5\.0 s left/] },
  { phase: 'closing', actions: at('closing'), shows: [/● close/, /closing connections and collecting results…/] },
  { phase: 'done', actions: at('done'), shows: [/● close/, /^done$/m] },
];

for (const c of phases) {
  test(`dashboard: ${c.phase} at 80 columns`, () => {
    const out = frame(fold(c.actions));
    fits(out);
    for (const re of c.shows) assert.match(out, re, out);
  });
}

/** A closed timeline interval of the websocket transport with measured deliveries. */
const intervalEvent = (startMs: number, p99: number): DashboardAction => ({
  type: 'interval',
  transport: 'websocket',
  elapsedMs: startMs + 2_500,
  intervalMs: 1000,
  startMs,
  phase: 'publishing',
  connectionsOpen: 200,
  publishes: 200,
  deliveries: 40_000,
  lost: 0,
  errors: 0,
  fanoutLatencyMs: { count: 40_000, p50: 0.4, p90: 0.9, p99, p999: p99, max: p99 },
  histogram: '',
  tool: { cpuPercent: 20, eventLoopDelayP99Ms: 1 },
});

test('dashboard: the p99 over time, next to deliveries/s, from the closed intervals', () => {
  const interval = intervalEvent;
  const before = frame(fold(at('publishing')));
  assert.match(before, /deliveries\/s.*\np99 over time\s+– *$/m, 'no closed interval yet');
  const out = frame(fold([...at('publishing'), interval(2000, 1.2), interval(3000, 1.4), interval(4000, 310.5)]));
  fits(out);
  assert.match(out, /deliveries\/s\s+40,000 +█\np99 over time\s+310\.5 ms +▁▁█$/m);
});

test('dashboard: the tool as bottleneck is called out, errors by kind are listed', () => {
  const s = fold([
    ...at('publishing'),
    {
      type: 'snapshot',
      snapshot: snapshot('publishing', {
        errors: { 'socket.dropped-1006': 3, 'connect.ECONNREFUSED': 7, 'a.b': 1, 'c.d': 1 },
        tool: { cpuPercent: 97, eventLoopDelayMs: 40, processes: 3, bottleneck: true, reason: 'tool CPU at 97%' },
      }),
    },
  ]);
  const out = frame(s);
  fits(out);
  assert.match(out, /errors\s+connect\.ECONNREFUSED ×7, socket\.dropped-1006 ×3, a\.b ×1 \(\+1 kinds\)/);
  assert.match(out, /⚠ THE TOOL ITSELF IS THE BOTTLENECK: tool CPU at 97%\n  these figures measure wsbench, not the target/);
});

test('dashboard: warnings and the stop notice show; the footer says how to stop', () => {
  const s = fold([
    ...at('publishing'),
    { type: 'warning', message: 'publisher fell 120 ms behind', elapsedMs: 6_000 },
    { type: 'stopping', message: 'Ctrl-C: stopping and reporting what was measured (again to quit at once)' },
  ]);
  const out = frame(s);
  fits(out);
  assert.match(out, /warning: publisher fell 120 ms behind/);
  assert.match(out, /Ctrl-C: stopping and reporting what was measured \(again to quit at once\)$/);
  assert.match(frame(fold(at('publishing')), 80, { interactive: true }), /q or Ctrl-C: stop and report/);
});

test('dashboard: the next transport — the previous one is ticked off in the header', () => {
  const s = fold([
    ...at('publishing'),
    { type: 'snapshot', snapshot: snapshot('publishing', { transportCount: 2 }) },
    phaseEvent('connecting', 'longpoll', 15_000),
    {
      type: 'snapshot',
      snapshot: snapshot('connecting', { transport: 'longpoll', transportIndex: 1, transportCount: 2, elapsedMs: 15_500 }),
    },
  ]);
  const out = frame(s);
  fits(out);
  assert.match(out, /websocket ✓ · longpoll 2\/2 · 15\.5 s$/m);
  assert.match(out, /✓ redis  ✓ server  ● connect  ○ ready/);
  assert.match(out, /delivery\s+–/);
  const finished = frame(reduce(s, { type: 'finished', completed: true }));
  assert.match(finished, /websocket ✓ · longpoll ✓ · 15\.5 s$/m);
  const stopped = frame(reduce(s, { type: 'finished', completed: false }));
  assert.match(stopped, /websocket ✓ · longpoll \(stopped\) · 15\.5 s$/m);
});

test('dashboard: a phase without its first snapshot yet shows no percentage (never "0 %" while it runs); the clock carries the bar between snapshots', () => {
  // Publishing has begun; the latest snapshot is still the warm-up's.
  const stale = fold([...at('warmup'), phaseEvent('publishing', 'websocket', 8_000)]);
  const out = frame(stale);
  fits(out);
  assert.match(out, /^░{20}\s+… publishing · 0\.0 s elapsed · – left$/m);
  assert.doesNotMatch(out, /\b0% publishing/);
  // Its first snapshot: 10 % done, 9 s left; 4.5 s later by the run's clock: 55 %, 4.5 s left.
  const first = reduce(stale, {
    type: 'snapshot',
    snapshot: snapshot('publishing', { elapsedMs: 9_000, phaseProgress: 0.1, phaseRemainingMs: 9_000 }),
  });
  assert.match(frame(first), / 10% publishing · 1\.0 s elapsed · 9\.0 s left$/m);
  const later = reduce(first, { type: 'tick', elapsedMs: 13_500 });
  assert.match(frame(later), / 55% publishing · 5\.5 s elapsed · 4\.5 s left$/m);
  assert.match(frame(later), /websocket 1\/1 · 13\.5 s$/m, 'the header time moves with the clock');
  assert.equal(reduce(later, { type: 'tick', elapsedMs: 10_000 }), later, 'the clock never goes back');
});

test('dashboard at 80 columns: big figures fit — compact rows, nothing cut off', () => {
  const big = fold([
    ...at('publishing'),
    {
      type: 'snapshot',
      snapshot: snapshot('publishing', {
        elapsedMs: 7_600,
        wire: {
          bytesIn: 2_940_000_000_000,
          bytesOut: 5_200_000_000,
          requests: 9_000_000,
          bytesInPerSec: 536_000_000,
          requestsPerSec: 123_456,
        },
        delivery: {
          delivered: 987_654_321,
          expectedSoFar: 988_888_888,
          duplicated: 12_345,
          reordered: 0,
          ignored: 0,
          perSec: 2_400_000,
        },
      }),
    },
  ]);
  const out = frame(big, 80);
  fits(out);
  assert.match(out, /^wire {10}511\.2 MiB\/s in · 123k req\/s · 2738\.1 GiB in, 4\.8 GiB out$/m);
  assert.match(out, /^delivery {6}99\.88% of 989M · 1\.23M in flight · dup 12\.3k · reord 0 · ign 0$/m);
  assert.doesNotMatch(out, /…$/m, 'no row is cut off');
});

test('dashboard at 160 columns: the width is used — full rows, a longer p99 over time, more error kinds', () => {
  const history: DashboardAction[] = Array.from({ length: 150 }, (_, i) => ({
    type: 'snapshot',
    snapshot: snapshot('publishing', {
      delivery: { ...snapshot('publishing').delivery, perSec: 1000 + i },
      latencyMs: { p50: 0.4, p99: 1 + (i % 10), max: 12, count: 20_000 },
      errors: Object.fromEntries(Array.from({ length: 6 }, (_, k) => [`kind.${k}`, k + 1])),
    }),
  }));
  const intervals = Array.from({ length: 150 }, (_, i) => intervalEvent(i * 1000, 1 + (i % 10)));
  const s = fold([...at('publishing'), ...history, ...intervals]);
  const out = frame(s, 160);
  fits(out, 160);
  const lines = out.split('\n');
  const widthOf = (prefix: string) => [...(lines.find((l) => l.startsWith(prefix)) ?? '')].length;
  assert.equal(widthOf('wsbench · quickstart'), 160, 'the header spans the terminal');
  assert.ok(widthOf('deliveries/s') >= 155, `sparkline: ${widthOf('deliveries/s')}`);
  assert.ok(widthOf('p99 over time') >= 155, `p99 over time: ${widthOf('p99 over time')}`);
  assert.match(out, /^p99 over time {4}10\.00 ms [▁▂▃▄▅▆▇█]{130,}$/m);
  assert.match(out, /^latency {7}p50 0\.400 · p99 10\.00 · max 12\.00 ms  \(last interval, n=20,000\)$/m);
  assert.match(out, /^delivery {6}99\.55% of 220,000 owed so far · 1,000 in flight · duplicated 0 · reordered 0 · ignored 3$/m);
  assert.match(out, /^wire {10}5\.1 MiB\/s in · 0 requests\/s · so far 28 MiB in, 50\.8 KiB out$/m);
  assert.match(out, /^errors {8}kind\.5 ×6, kind\.4 ×5, kind\.3 ×4, kind\.2 ×3, kind\.1 ×2, kind\.0 ×1$/m);
  assert.match(out, /^[█░]{60}\s+\d+% publishing/m, 'a longer phase bar');
  assert.doesNotMatch(out, /…$/m);
  // The same state at 80 columns stays within 80.
  fits(frame(s, 80));
});

test('dashboard: wider terminals get longer bars and a longer sparkline; ASCII when asked', () => {
  const history: DashboardAction[] = Array.from({ length: 150 }, (_, i) => ({
    type: 'snapshot',
    snapshot: snapshot('publishing', { delivery: { ...snapshot('publishing').delivery, perSec: 1000 + i } }),
  }));
  const s = fold([...at('publishing'), ...history]);
  const narrow = frame(s, 80);
  const wide = frame(s, 140);
  fits(narrow);
  fits(wide, 140);
  const spark = (out: string) =>
    out
      .split('\n')
      .find((l) => l.startsWith('deliveries/s'))!
      .trimEnd().length;
  assert.ok(spark(wide) > spark(narrow) + 40, `${spark(narrow)} vs ${spark(wide)}`);
  assert.match(wide, /duplicated 0 · reordered 0 · ignored 3/);
  const ascii = frame(s, 80, { unicode: false });
  assert.doesNotMatch(ascii, /[█░▁▂▃▄▅▆▇✓●○⚠]/);
  assert.match(ascii, /\+ redis  \+ server/);
});

test('dashboard keys: q stops once, Ctrl-C always goes through, both also in one chunk', async () => {
  let stops = 0;
  let interrupts = 0;
  const view = (state: DashboardState) => (
    <Dashboard state={state} width={80} color={false} unicode interactive onStop={() => stops++} onInterrupt={() => interrupts++} />
  );
  const running = fold(at('publishing'));
  const r = render(view(running));
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
  await tick();
  r.stdin.write('x');
  r.stdin.write('q');
  await tick();
  assert.equal(stops, 1);
  r.rerender(view(reduce(running, { type: 'stopping', message: 'q: stopping' })));
  await tick();
  r.stdin.write('q');
  await tick();
  assert.equal(stops, 1, 'q while stopping does nothing more');
  r.stdin.write('\x03');
  await tick();
  assert.equal(interrupts, 1);
  r.stdin.write('\x03\x03');
  await tick();
  assert.equal(interrupts, 3);
  r.unmount();
  r.cleanup();
  const fresh = render(view(running));
  await tick();
  fresh.stdin.write('qq');
  await tick();
  assert.equal(stops, 2, 'two q in one chunk stop once');
  fresh.unmount();
  fresh.cleanup();
});

const agent = (name: string, over: Partial<AgentLiveState> = {}): AgentLiveState => ({
  name,
  host: 'vm',
  clientsOpen: 100,
  clients: 100,
  clock: { mode: 'exact', offsetMs: 0, errorBoundMs: 0.001 },
  status: 'running',
  delivered: 12_345,
  ...over,
});

test('dashboard: a row per agent of a distributed run — host, clients open of its share, clock, status', () => {
  const agents: AgentLiveState[] = [
    agent('agent-0'),
    agent('agent-1', { host: 'pod-7', clock: { mode: 'estimated', offsetMs: 250.0123, errorBoundMs: 0.0281 }, clientsOpen: 40 }),
    agent('agent-2', { status: 'lost', clientsOpen: 0, delivered: 5 }),
  ];
  const state = fold([...at('publishing'), { type: 'agents', transport: 'websocket', elapsedMs: 7_000, agents }]);
  const wide = frame(state, 120);
  assert.match(wide, /^agent-2 {7}vm · 0\/100 open · clock exact · lost · 5 delivered$/m, 'lost agents first');
  assert.match(wide, /^agent-0 {7}vm · 100\/100 open · clock exact · running · 12,345 delivered$/m);
  assert.match(wide, /^agent-1 {7}pod-7 · 40\/100 open · clock \+250\.012 ±0\.028 ms · running · 12,345 delivered$/m);
  const narrow = frame(state, 80);
  fits(narrow);
  assert.match(narrow, /^agent-1 {7}pod-7 · 40\/100 · clock \+250\.012 ±0\.028 ms · running$/m);
  // A local run has no agent rows.
  assert.doesNotMatch(frame(fold(at('publishing')), 80), /agent-/);
});

test('dashboard: many agents — the first rows and one line for the rest; still fits 80×24', () => {
  const agents = Array.from({ length: 10 }, (_, i) => agent(`agent-${i}`, i >= 6 ? { status: 'lost', clientsOpen: 0 } : {}));
  const out = frame(fold([...at('publishing'), { type: 'agents', transport: 'websocket', elapsedMs: 7_000, agents }]), 80);
  fits(out);
  assert.equal(out.match(/^agent-\d/gm)?.length, 3);
  assert.match(out, /^agent-6 /m);
  assert.match(out, /^ {14}\+7 more agent\(s\), 1 lost$/m);
});
