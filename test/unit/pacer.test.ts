/**
 * The open-loop schedule along a rate curve: message i is due when the integral of the rate
 * reaches i. Tables of curves (constant, ramps up and down, zero-rate stages, many stages), each
 * checked against the integral computed independently, and the schedule's three readings
 * (dueAt, dueCount, firstDueAtOrAfter) checked against each other message by message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenLoopSchedule, PiecewiseLinear } from '../../src/engine/pacer.js';
import type { CurveSegment } from '../../src/config/load-shape.js';
import { loadShapeOf } from '../../src/config/load-shape.js';

const seg = (durationMs: number, from: number, to: number): CurveSegment => ({ durationMs, from, to });

/** ∫₀^ms by the trapezoid rule on a 0.01 ms grid per segment: exact for linear pieces up to rounding. */
function integralByHand(segments: CurveSegment[], ms: number): number {
  let total = 0;
  let at = 0;
  for (const s of segments) {
    const u = Math.min(Math.max(0, ms - at), s.durationMs);
    const value = s.from + ((s.to - s.from) * u) / s.durationMs;
    total += ((s.from + value) / 2) * (u / 1000);
    at += s.durationMs;
  }
  if (ms > at) total += (segments[segments.length - 1]!.to / 1000) * (ms - at);
  return total;
}

const CURVES: { name: string; segments: CurveSegment[] }[] = [
  { name: 'constant 200/s for 3 s', segments: [seg(3000, 200, 200)] },
  { name: 'ramp up 50 → 500/s over 20 s (the acceptance curve)', segments: [seg(20_000, 50, 500)] },
  { name: 'ramp down 400 → 20/s over 5 s', segments: [seg(5000, 400, 20)] },
  { name: 'ramp from 0 to 100/s over 4 s', segments: [seg(4000, 0, 100)] },
  { name: 'ramp down to 0 and hold 0 then up again', segments: [seg(2000, 100, 0), seg(1500, 0, 0), seg(2000, 0, 300)] },
  {
    name: 'warm-up then many stages (steps, ramps, holds)',
    segments: [
      seg(1000, 100, 100),
      seg(500, 100, 1000),
      seg(2000, 1000, 1000),
      seg(1000, 1000, 10),
      seg(300, 10, 10),
      seg(1, 10, 5000),
      seg(700, 5000, 5000),
      seg(2000, 5000, 0),
    ],
  },
  { name: 'fractional rates (0.5/s up to 3.3/s)', segments: [seg(10_000, 0.5, 3.3), seg(5000, 3.3, 3.3)] },
];

for (const { name, segments } of CURVES) {
  test(`pacer: ${name}: the integral matches the area under the curve at every boundary and in between`, () => {
    const curve = new PiecewiseLinear(segments);
    const end = segments.reduce((a, s) => a + s.durationMs, 0);
    for (let k = 0; k <= 40; k++) {
      const ms = (end * k) / 40;
      const want = integralByHand(segments, ms);
      assert.ok(Math.abs(curve.integralTo(ms) - want) <= 1e-9 * Math.max(1, want), `${ms} ms: ${curve.integralTo(ms)} vs ${want}`);
    }
    assert.ok(Math.abs(curve.total - integralByHand(segments, end)) < 1e-6);
    assert.equal(curve.integralTo(-5), 0);
  });

  test(`pacer: ${name}: message i is due when the integral reaches i, and the three readings agree`, () => {
    const t0 = 1_000_000.25;
    const curve = new PiecewiseLinear(segments);
    const total = Math.round(curve.total);
    const schedule = new OpenLoopSchedule(t0, segments, total);
    let previous = -Infinity;
    for (let i = 0; i < total; i++) {
      const due = schedule.dueAt(i);
      assert.ok(due >= previous, `dueAt is non-decreasing at ${i}`);
      previous = due;
      // The inverse: the integral at the due time is i (to rounding), and never reached i earlier.
      const reached = curve.integralTo(due - t0);
      assert.ok(Math.abs(reached - i) <= 1e-6 * Math.max(1, i), `integral at dueAt(${i}) is ${reached}`);
      // dueCount counts exactly the messages with dueAt ≤ now.
      const count = schedule.dueCount(due);
      assert.ok(count >= i + 1, `dueCount(dueAt(${i})) = ${count}`);
      assert.ok(count === total || schedule.dueAt(count) > due);
      assert.ok(schedule.dueCount(due - 1e-6) <= i || schedule.dueAt(i - 1) === due || due - 1e-6 === due);
      // firstDueAtOrAfter is the smallest index due at or after a time.
      const first = schedule.firstDueAtOrAfter(due);
      assert.ok(first <= i && schedule.dueAt(first) === due, `firstDueAtOrAfter(dueAt(${i})) = ${first}`);
    }
    assert.equal(schedule.dueCount(t0 - 1), 0);
    assert.equal(schedule.dueCount(t0 + curve.endMs + 10_000), total);
    assert.equal(schedule.firstDueAtOrAfter(t0 + curve.endMs + 10_000), total);
  });

  test(`pacer: ${name}: messages due in each 250 ms slice follow the slice's integral (within one)`, () => {
    const curve = new PiecewiseLinear(segments);
    const total = Math.round(curve.total);
    const schedule = new OpenLoopSchedule(0, segments, total);
    for (let from = 0; from < curve.endMs; from += 250) {
      const to = Math.min(curve.endMs, from + 250);
      const due = schedule.firstDueAtOrAfter(to) - schedule.firstDueAtOrAfter(from);
      const area = curve.integralTo(to) - curve.integralTo(from);
      assert.ok(Math.abs(due - area) <= 1, `[${from}, ${to}): ${due} due, area ${area}`);
    }
  });
}

test('pacer: a zero-rate stage has nothing due inside it; the message reaching its count is due at its start', () => {
  const segments = [seg(2000, 100, 0), seg(1500, 0, 0), seg(2000, 0, 300)];
  const schedule = new OpenLoopSchedule(0, segments, 400);
  // 100 messages (area 100) in the first 2 s: message 100 is due exactly when the plateau starts? No:
  // the integral reaches 100 at 2000 ms and stays there, so 100 is due at 2000 — the plateau's start.
  assert.equal(schedule.dueAt(100), 2000);
  assert.equal(schedule.dueCount(2000), 101);
  assert.equal(schedule.dueCount(3499), 101, 'nothing new during the plateau');
  assert.ok(schedule.dueAt(101) > 3500, 'the next one comes after it');
  assert.equal(schedule.rateAt(2500), 0);
});

test('pacer: a constant rate gives t0 + i · 1000 / rate exactly, as before stages', () => {
  const schedule = new OpenLoopSchedule(12.5, 300, 1000);
  for (const i of [0, 1, 7, 299, 999]) assert.equal(schedule.dueAt(i), 12.5 + i * (1000 / 300));
  // The same constant written as segments (warm-up + duration) is the same schedule, bit for bit.
  const staged = new OpenLoopSchedule(12.5, [seg(1000, 300, 300), seg(2000, 300, 300)], 900);
  for (const i of [0, 299, 300, 301, 899]) assert.equal(staged.dueAt(i), schedule.dueAt(i));
  assert.equal(schedule.dueCount(12.5 + 10 * (1000 / 300)), 11);
});

test('pacer: the load shape of a scenario: warm-up at the base rate, then each stage ramps from the previous value', () => {
  const shape = loadShapeOf({
    warmup: 2000,
    publish: { rate: 50 },
    clients: { connections: 200 },
    stages: [
      { duration: 20_000, rate: 500, connections: 2000 },
      { duration: 5000, connections: 100 },
      { duration: 1000, rate: 0 },
    ],
  });
  assert.deepEqual(shape.rate, [seg(2000, 50, 50), seg(20_000, 50, 500), seg(5000, 500, 500), seg(1000, 500, 0)]);
  assert.deepEqual(shape.connections, [seg(2000, 200, 200), seg(20_000, 200, 2000), seg(5000, 2000, 100), seg(1000, 100, 100)]);
  assert.equal(shape.maxConnections, 2000);
  assert.equal(shape.spanMs, 28_000);
  assert.deepEqual(shape.stageStartsMs, [2000, 22_000, 27_000]);
  const plain = loadShapeOf({ warmup: 0, publish: { rate: 10, duration: 3000 }, clients: { connections: 5 } });
  assert.deepEqual(plain.rate, [seg(3000, 10, 10)]);
  assert.deepEqual(plain.stageStartsMs, []);
});
