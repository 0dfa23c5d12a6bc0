/**
 * The timeline's grid (src/engine/interval-grid.ts): where a monotonic time falls, when an interval
 * is closed for live reporting, which sequences are due in an interval (the same answer as putting
 * each one's intended time on the grid), and the planned interval length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalGrid, plannedIntervalMs } from '../../src/engine/interval-grid.js';
import { OpenLoopSchedule } from '../../src/engine/pacer.js';
import { parseScenarioText } from '../../src/config/load.js';

test('grid: index, start on the report axis and end on the monotonic clock', () => {
  const grid = new IntervalGrid({ originMs: 10_000.25, lengthMs: 1000 });
  const cases: [monotonicMs: number, index: number][] = [
    [10_000.25, 0],
    [10_000.2, -1],
    [10_999.9, 0],
    [11_000.25, 1],
    [13_500, 3],
    [9_000.25, -1],
  ];
  for (const [ms, index] of cases) assert.equal(grid.indexOf(ms), index, `${ms}`);
  assert.equal(grid.startMs(3), 3000);
  assert.equal(grid.endsAt(3), 14_000.25);
  // Closed once it ended `grace` ago: at 12_500.25 with a 1 s grace, intervals 0 (ended 11_000.25) is, 1 is not.
  assert.equal(grid.closedBefore(12_500.25, 1000), 1);
  assert.equal(grid.closedBefore(13_000.25, 1000), 2);
});

test('grid: the sequences due in an interval are exactly those whose intended time falls in it', () => {
  const shapes: [rate: number, t0: number, total: number, length: number][] = [
    [200, 10_123.456, 2400, 1000],
    [3, 10_000, 40, 1000],
    [7, 10_999.999, 100, 250],
    [1000, 10_000.000001, 7000, 1000],
    [333, 12_345.678, 5000, 4000],
  ];
  for (const [rate, t0, total, length] of shapes) {
    const grid = new IntervalGrid({ originMs: 10_000, lengthMs: length });
    const schedule = new OpenLoopSchedule(t0, rate, total);
    const first = grid.indexOf(schedule.dueAt(0));
    const last = grid.indexOf(schedule.dueAt(total - 1));
    let next = 0;
    for (let k = first - 1; k <= last + 1; k++) {
      const { from, to } = grid.sequencesIn(k, schedule);
      assert.equal(from, next, `${rate}/s interval ${k}: contiguous`);
      for (let seq = from; seq < to; seq++) assert.equal(grid.indexOf(schedule.dueAt(seq)), k, `${rate}/s seq ${seq}`);
      next = to;
    }
    assert.equal(next, total, `${rate}/s: every sequence in one interval`);
  }
});

test('planned interval length: report.interval, doubled until the expected span fits 1000 intervals', () => {
  const scenario = (extra: string) =>
    parseScenarioText(`clients: { connections: 1 }\npublish: { rate: 10, duration: ${extra} }\n`, 'grid.yaml');
  // 10 s of publishing + 2 s drain + 10 s overhead: 1 s intervals.
  assert.equal(plannedIntervalMs(scenario('10s')), 1000);
  // An hour: 3612 s / 1000 → doubled twice.
  assert.equal(plannedIntervalMs(scenario('1h')), 4000);
  const custom = parseScenarioText(
    'clients: { connections: 1 }\npublish: { rate: 10, duration: 10s }\nreport: { interval: 250ms }\n',
    'grid.yaml',
  );
  assert.equal(custom.report.interval, 250);
  assert.equal(plannedIntervalMs(custom), 250);
  assert.equal(scenario('10s').report.interval, 1000, 'default 1 s');
});
