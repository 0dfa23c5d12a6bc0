import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchCapacity } from '../../src/engine/capacity-search.js';

const cases: {
  name: string;
  start: number;
  factor: number;
  max: number;
  refinements: number;
  breaksAt: number;
  lastGood: number | null;
  firstBad: number | null;
  tried: number[];
}[] = [
  {
    name: 'doubles until it breaks, then bisects',
    start: 100,
    factor: 2,
    max: 100_000,
    refinements: 2,
    breaksAt: 700,
    lastGood: 600,
    firstBad: 700,
    tried: [100, 200, 400, 800, 600, 700],
  },
  {
    name: 'no refinement',
    start: 100,
    factor: 2,
    max: 100_000,
    refinements: 0,
    breaksAt: 700,
    lastGood: 400,
    firstBad: 800,
    tried: [100, 200, 400, 800],
  },
  {
    name: 'holds up to max',
    start: 1000,
    factor: 4,
    max: 10_000,
    refinements: 3,
    breaksAt: Infinity,
    lastGood: 10_000,
    firstBad: null,
    tried: [1000, 4000, 10_000],
  },
  { name: 'fails at the start', start: 50, factor: 2, max: 1000, refinements: 3, breaksAt: 10, lastGood: null, firstBad: 50, tried: [50] },
  {
    name: 'small loads still grow',
    start: 1,
    factor: 1.1,
    max: 4,
    refinements: 0,
    breaksAt: 100,
    lastGood: 4,
    firstBad: null,
    tried: [1, 2, 3, 4],
  },
  {
    name: 'bisection stops when adjacent',
    start: 10,
    factor: 2,
    max: 100,
    refinements: 10,
    breaksAt: 11,
    lastGood: 10,
    firstBad: 11,
    tried: [10, 20, 15, 13, 12, 11],
  },
];

for (const c of cases) {
  test(`capacity search: ${c.name}`, async () => {
    const tried: number[] = [];
    const result = await searchCapacity({ start: c.start, factor: c.factor, max: c.max, refinements: c.refinements }, async (load) => {
      tried.push(load);
      return { ok: load < c.breaksAt, detail: load };
    });
    assert.deepEqual(tried, c.tried);
    assert.equal(result.lastGood, c.lastGood);
    assert.equal(result.firstBad, c.firstBad);
    assert.equal(result.steps.length, tried.length);
  });
}

test('capacity search stops when asked', async () => {
  let calls = 0;
  const result = await searchCapacity(
    { start: 1, factor: 2, max: 1000, refinements: 0 },
    async () => ({ ok: true, detail: null }),
    () => ++calls > 2,
  );
  assert.deepEqual(
    result.steps.map((s) => s.load),
    [1, 2],
  );
});
