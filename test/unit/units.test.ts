import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDurationMs, parseRatePerSec, parseSizeBytes } from '../../src/config/units.js';

test('durations', () => {
  const cases: [string | number, number | undefined][] = [
    ['10s', 10_000],
    ['250ms', 250],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
    [3, 3000],
    ['3', 3000],
    ['0', 0],
    ['ten seconds', undefined],
    ['10 parsecs', undefined],
    ['', undefined],
    ['-5s', -5000],
  ];
  for (const [input, expected] of cases) assert.equal(parseDurationMs(input), expected, `parseDurationMs(${JSON.stringify(input)})`);
});

test('rates', () => {
  const cases: [string | number, number | undefined][] = [
    ['1000/s', 1000],
    ['5k/s', 5000],
    ['2M/s', 2_000_000],
    ['60/min', 1],
    ['1/ms', 1000],
    ['200', 200],
    [200, 200],
    ['-1/s', -1],
    ['fast', undefined],
    ['10/fortnight', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseRatePerSec(input), expected, `parseRatePerSec(${JSON.stringify(input)})`);
});

test('sizes', () => {
  const cases: [string | number, number | undefined][] = [
    ['64', 64],
    ['64B', 64],
    ['1KiB', 1024],
    ['2kb', 2000],
    ['1MiB', 1048576],
    [128, 128],
    ['12 bananas', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseSizeBytes(input), expected, `parseSizeBytes(${JSON.stringify(input)})`);
});

test('formatDuration', () => {
  const cases: [number, string][] = [
    [950, '950ms'],
    [1000, '1s'],
    [12_500, '12.5s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
  ];
  for (const [ms, expected] of cases) assert.equal(formatDuration(ms), expected);
});
