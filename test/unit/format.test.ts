import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtApprox, fmtBytes, fmtNum, fmtPerDelivery, fmtShort } from '../../src/reporters/format.js';

test('fmtNum: three significant digits, no exponent, small values never shown as zero', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [66.543, '66.5'],
    [2.866, '2.87'],
    [1, '1'],
    [0.0016667, '0.00167'],
    [0.00002, '0.00002'],
    [1.23e-7, '0.000000123'],
    [99.96, '100'],
    [1234.5, '1,235'],
    [-0.5, '-0.5'],
  ];
  for (const [n, text] of cases) assert.equal(fmtNum(n), text, String(n));
});

test('fmtPerDelivery: per delivery from one up, "1 per N deliveries" below one', () => {
  const cases: [number, number, string][] = [
    [200, 120_000, '1 HTTP request per 600 deliveries'],
    [200, 10_000_000, '1 HTTP request per 50,000 deliveries'],
    [3, 1_000, '1 HTTP request per 333 deliveries'],
    [1_000, 1_000, '1 HTTP request per delivery'],
    [1_500, 1_000, '1.5 HTTP requests per delivery'],
    [0, 1_000, 'no HTTP requests'],
    [5, 0, '5 HTTP requests, no deliveries'],
  ];
  for (const [count, deliveries, text] of cases)
    assert.equal(fmtPerDelivery(count, deliveries, 'HTTP request'), text, `${count}/${deliveries}`);
});

test('fmtShort, fmtApprox, fmtBytes: tight rows and estimates', () => {
  const short: [number, string][] = [
    [0, '0'],
    [9_999, '9,999'],
    [12_345, '12.3k'],
    [123_456, '123k'],
    [9_876_543, '9.88M'],
    [9_876_543_210, '9.88B'],
  ];
  for (const [n, text] of short) assert.equal(fmtShort(n), text, String(n));
  assert.equal(fmtApprox(113_507.4), '114,000');
  const bytes: [number, string][] = [
    [512, '512 B'],
    [52_000, '50.8 KiB'],
    [29_400_000, '28 MiB'],
    [2_940_000_000_000, '2738.1 GiB'],
  ];
  for (const [n, text] of bytes) assert.equal(fmtBytes(n), text, String(n));
});
