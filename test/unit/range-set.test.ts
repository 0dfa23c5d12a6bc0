import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RangeSet } from '../../src/metrics/range-set.js';

/** The set's members one by one (small sets only). */
function members(set: RangeSet): number[] {
  const out: number[] = [];
  set.forEach((from, to) => {
    for (let n = from; n < to; n++) out.push(n);
  });
  return out;
}

const cases: { name: string; ops: ['add' | 'delete', number, number?][]; ranges: number[] }[] = [
  {
    name: 'in order, adjacent: one range',
    ops: [
      ['add', 0],
      ['add', 1],
      ['add', 2],
    ],
    ranges: [0, 3],
  },
  {
    name: 'in order with a hole',
    ops: [
      ['add', 0],
      ['add', 2],
    ],
    ranges: [0, 1, 2, 3],
  },
  {
    name: 'a range then the hole before it filled',
    ops: [
      ['add', 5, 8],
      ['add', 0, 2],
      ['add', 2, 5],
    ],
    ranges: [0, 8],
  },
  {
    name: 'out of order bridging three ranges',
    ops: [
      ['add', 0, 2],
      ['add', 4, 6],
      ['add', 8, 9],
      ['add', 1, 8],
    ],
    ranges: [0, 9],
  },
  {
    name: 'adding what is there changes nothing',
    ops: [
      ['add', 0, 10],
      ['add', 3, 5],
      ['add', 9],
    ],
    ranges: [0, 10],
  },
  {
    name: 'delete in the middle splits',
    ops: [
      ['add', 0, 5],
      ['delete', 2],
    ],
    ranges: [0, 2, 3, 5],
  },
  {
    name: 'delete at the ends trims',
    ops: [
      ['add', 0, 5],
      ['delete', 0],
      ['delete', 4],
    ],
    ranges: [1, 4],
  },
  {
    name: 'delete the only member',
    ops: [
      ['add', 7],
      ['delete', 7],
    ],
    ranges: [],
  },
  {
    name: 'delete what is not there',
    ops: [
      ['add', 0, 2],
      ['delete', 5],
      ['delete', 2],
    ],
    ranges: [0, 2],
  },
  {
    name: 'empty ranges are ignored',
    ops: [
      ['add', 3, 3],
      ['add', 5, 4],
    ],
    ranges: [],
  },
];

for (const c of cases) {
  test(`range set: ${c.name}`, () => {
    const set = new RangeSet();
    const shadow = new Set<number>();
    for (const [op, a, b] of c.ops) {
      const to = b ?? a + 1;
      if (op === 'add') {
        set.addRange(a, to);
        for (let n = a; n < to; n++) shadow.add(n);
      } else {
        assert.equal(set.delete(a), shadow.delete(a));
      }
    }
    assert.deepEqual(set.ranges(), c.ranges);
    assert.equal(set.size, shadow.size);
    assert.deepEqual(
      members(set),
      [...shadow].sort((x, y) => x - y),
    );
  });
}

test('range set: has, countIn and forEachIn agree with a plain set over random operations', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const set = new RangeSet();
  const shadow = new Set<number>();
  for (let step = 0; step < 2000; step++) {
    const n = random(200);
    if (random(3) === 0) assert.equal(set.delete(n), shadow.delete(n));
    else {
      const to = n + 1 + random(5);
      set.addRange(n, to);
      for (let k = n; k < to; k++) shadow.add(k);
    }
  }
  for (let n = 0; n < 210; n++) assert.equal(set.has(n), shadow.has(n), `has(${n})`);
  for (const [from, to] of [
    [0, 210],
    [17, 93],
    [50, 51],
    [199, 300],
  ] as const) {
    let want = 0;
    for (let n = from; n < to; n++) if (shadow.has(n)) want++;
    assert.equal(set.countIn(from, to), want, `countIn(${from}, ${to})`);
  }
  assert.equal(set.size, shadow.size);
  assert.deepEqual(RangeSet.fromRanges(set.ranges()).ranges(), set.ranges());
});
