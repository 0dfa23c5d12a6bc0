/**
 * Same clock or not (distributed/clock-domain.ts): the boot id names the kernel, a time
 * namespace's monotonic offset tells processes of one kernel apart; anything unknown is estimated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockIdOf, clockMode, timensMonotonicOffset, type TimensFile } from '../../src/distributed/clock-domain.js';

const BOOT = '886f72e9-0cfc-4b02-979e-759df3dcf109';

const OFFSETS: [string, TimensFile, string | null][] = [
  ['no time namespace here', { text: 'monotonic           0         0\nboottime            0         0\n' }, '0 0'],
  ['a namespace 10 days ahead', { text: 'monotonic      864000         0\nboottime            0         0\n' }, '864000 0'],
  ['negative seconds, nanoseconds', { text: 'boottime 5 0\nmonotonic -3 500000000\n' }, '-3 500000000'],
  ['older kernels print the clock number', { text: '1 7 0\n7 0 0\n' }, '7 0'],
  ['a kernel without time namespaces', 'missing', '0 0'],
  ['unreadable', 'unreadable', null],
  ['garbled', { text: 'monotonic x y\n' }, null],
  ['no monotonic line', { text: 'boottime 0 0\n' }, null],
];
for (const [name, file, want] of OFFSETS) {
  test(`timensMonotonicOffset: ${name}`, () => assert.equal(timensMonotonicOffset(file), want));
}

test('clockIdOf: the boot id alone without an offset, with it otherwise; unknown parts give null', () => {
  assert.equal(clockIdOf(`${BOOT}\n`, '0 0'), BOOT);
  assert.equal(clockIdOf(BOOT.toUpperCase(), '0 0'), BOOT);
  assert.equal(clockIdOf(BOOT, '864000 0'), `${BOOT}+864000.0`);
  assert.equal(clockIdOf(null, '0 0'), null);
  assert.equal(clockIdOf('', '0 0'), null);
  assert.equal(clockIdOf('not a boot id', '0 0'), null);
  assert.equal(clockIdOf(BOOT, null), null);
});

test('clockMode: exact only for equal known ids', () => {
  assert.equal(clockMode(BOOT, BOOT), 'exact');
  assert.equal(clockMode(BOOT, `${BOOT}+864000.0`), 'estimated', 'same kernel, another time namespace');
  assert.equal(clockMode(BOOT, '00000000-0cfc-4b02-979e-759df3dcf109'), 'estimated', 'another host (or a reboot)');
  assert.equal(clockMode(null, null), 'estimated', 'unknown is never the same');
  assert.equal(clockMode(BOOT, null), 'estimated');
});
