import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bar, latencyPoints, percentileChart, progressBar, sparkline } from '../../src/reporters/charts.js';
import { createHistogram, recordMs } from '../../src/metrics/histogram.js';
import { ANSI_STYLE } from '../../src/reporters/style.js';
import { textSummary, wrapLine } from '../../src/reporters/text.js';
import { SPREAD_MS, runReport, transportReport } from '../fixtures/ui.js';

const ANSI = /\x1b\[/;

const sparklines: { name: string; values: number[]; width: number; options?: { max?: number; unicode?: boolean }; expect: string }[] = [
  { name: 'empty: all padding', values: [], width: 4, expect: '    ' },
  { name: 'ramp to the top level', values: [1, 2, 3, 4, 5, 6, 7, 8], width: 8, expect: '▁▂▃▄▅▆▇█' },
  { name: 'fewer values than width: padded left, newest right', values: [8, 8], width: 4, expect: '  ██' },
  { name: 'more values than width: the newest', values: [1, 1, 1, 8, 4], width: 2, expect: '█▄' },
  { name: 'zero is a gap, tiny positive still shows', values: [0, 0.001, 100], width: 3, expect: ' ▁█' },
  { name: 'all zero', values: [0, 0, 0], width: 3, expect: '   ' },
  { name: 'fixed max clamps', values: [50, 200], width: 2, options: { max: 100 }, expect: '▄█' },
  { name: 'non-finite values are gaps', values: [NaN, Infinity, 4], width: 3, expect: '  █' },
  { name: 'ASCII', values: [1, 4, 8], width: 3, options: { unicode: false }, expect: '.-#' },
  { name: 'zero width', values: [1, 2], width: 0, expect: '' },
];
for (const c of sparklines) {
  test(`sparkline: ${c.name}`, () => assert.equal(sparkline(c.values, c.width, c.options), c.expect));
}

const bars: { ratio: number; width: number; unicode?: boolean; expect: string }[] = [
  { ratio: 0, width: 4, expect: '    ' },
  { ratio: 1, width: 4, expect: '████' },
  { ratio: 0.5, width: 4, expect: '██  ' },
  { ratio: 0.5625, width: 4, expect: '██▎ ' },
  { ratio: 0.0001, width: 4, expect: '▏   ' },
  { ratio: 2, width: 3, expect: '███' },
  { ratio: -1, width: 3, expect: '   ' },
  { ratio: 0.5, width: 4, unicode: false, expect: '##  ' },
  { ratio: 0.01, width: 4, unicode: false, expect: '#   ' },
];
for (const c of bars) {
  test(`bar: ${c.ratio} over ${c.width}${c.unicode === false ? ' (ASCII)' : ''}`, () => {
    const b = bar(c.ratio, c.width, c.unicode ?? true);
    assert.equal(b, c.expect);
    assert.equal([...b].length, c.width);
  });
}

test('progress bar: filled then track, exact width', () => {
  assert.equal(progressBar(0, 4), '░░░░');
  assert.equal(progressBar(0.5, 4), '██░░');
  assert.equal(progressBar(0.99, 4), '███░');
  assert.equal(progressBar(1, 4), '████');
  assert.equal(progressBar(0.5, 4, false), '##--');
  assert.equal(progressBar(NaN, 2), '░░');
});

test('latency points: percentiles the sample count resolves, max last', () => {
  const h = createHistogram();
  assert.deepEqual(latencyPoints(h), []);
  for (let i = 1; i <= 100; i++) recordMs(h, i);
  const points = latencyPoints(h);
  assert.deepEqual(
    points.map((p) => p.label),
    ['p50', 'p75', 'p90', 'p95', 'p99', 'max'],
  );
  // HdrHistogram reports the highest value equivalent to the bucket (3 significant digits).
  assert.ok(Math.abs(points[0]!.ms - 50) <= 0.05, String(points[0]!.ms));
  assert.ok(Math.abs(points.at(-1)!.ms - 100) <= 0.1, String(points.at(-1)!.ms));
  for (let i = 1; i < points.length; i++) assert.ok(points[i]!.ms >= points[i - 1]!.ms);
  const one = createHistogram();
  recordMs(one, 2);
  assert.deepEqual(
    latencyPoints(one).map((p) => p.label),
    ['p50', 'max'],
  );
});

test('percentile chart: aligned labels, bars to scale, values right, fits the width', () => {
  const lines = percentileChart(
    [
      { label: 'p50', percentile: 50, ms: 1 },
      { label: 'p99.9', percentile: 99.9, ms: 2 },
      { label: 'max', percentile: 100, ms: 4 },
    ],
    { width: 40, indent: 2 },
  );
  assert.deepEqual(lines, [
    '    p50 ██████▌                    1.000',
    '  p99.9 █████████████              2.000',
    '    max ██████████████████████████ 4.000',
  ]);
  for (const l of lines) assert.equal([...l].length, 40);
  assert.deepEqual(percentileChart([], { width: 40 }), []);
  const ascii = percentileChart([{ label: 'max', percentile: 100, ms: 0 }], { width: 30, unicode: false });
  assert.equal(ascii[0], `  max ${' '.repeat(22)} 0`);
});

const wraps: { name: string; line: string; width: number; expect: string[] }[] = [
  { name: 'short stays', line: '  errors        none', width: 80, expect: ['  errors        none'] },
  {
    name: 'breaks at " · " and goes on under the values',
    line: '  throughput    2,000 deliveries/s · 100 publishes/s (target 100/s) · publisher lag p99 8.079 max 19.57',
    width: 80,
    expect: ['  throughput    2,000 deliveries/s · 100 publishes/s (target 100/s)', '                · publisher lag p99 8.079 max 19.57'],
  },
  {
    name: 'breaks at double spaces',
    line: '  fan-out       p50 2.151  p90 5.211  p99 19.92  p99.9 29.71  max 29.92  mean 3.100  (n=4,000)',
    width: 60,
    expect: ['  fan-out       p50 2.151  p90 5.211  p99 19.92  p99.9 29.71', '                max 29.92  mean 3.100  (n=4,000)'],
  },
  { name: 'a long word stays whole', line: `  x ${'y'.repeat(30)}`, width: 20, expect: [`  x ${'y'.repeat(30)}`] },
];
for (const c of wraps) {
  test(`wrapLine: ${c.name}`, () => {
    const out = wrapLine(c.line, c.width);
    assert.deepEqual(out, c.expect);
  });
}

test('summary: chart, no ANSI without a style, ANSI with one', () => {
  const report = runReport([transportReport('websocket', SPREAD_MS)]);
  const plain = textSummary(report);
  assert.doesNotMatch(plain, ANSI);
  assert.match(plain, /fan-out latency by percentile \(ms, linear from 0\)\n\s+p50 █+/);
  assert.match(plain, /\n\s+p99\.99 █+.*\n\s+max █+\s+[\d.]+\n/);
  for (const line of plain.split('\n').filter((l) => /█/.test(l))) assert.ok([...line].length <= 80, line);
  const coloured = textSummary(report, { style: ANSI_STYLE });
  assert.match(coloured, ANSI);
  assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), plain, 'colour adds escapes only');
  const ascii = textSummary(report, { unicode: false });
  assert.doesNotMatch(ascii, /[█▏▎▍▌▋▊▉]/);
  assert.match(ascii, /\n\s+max #+ /);
});

test('summary: a terminal gets lines wrapped to its width, a stopped run says so', () => {
  const report = runReport([transportReport('websocket', SPREAD_MS)], false);
  const text = textSummary(report, { width: 60, wrap: true });
  for (const line of text.split('\n')) assert.ok([...line].length <= 60, `too wide: ${line}`);
  assert.match(text, /NOT COMPLETED \(interrupted during publishing\)/);
});
