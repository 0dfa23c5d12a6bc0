/**
 * The HTML report's pure parts: the chart data (series naming, alignment, percentile curves, time
 * axes), escaping of everything that comes from a report, the page's Content-Security-Policy, the
 * note for reports without a timeline, and the size of a 10-minute run's page. What the page looks
 * like in a browser is test/integration/report-html.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHistogram, recordMs } from '../../src/metrics/histogram.js';
import { alignSeries, distributionCharts, percentileCurve, seriesSources, timeCharts } from '../../src/reporters/html-data.js';
import { escapeHtml, htmlReport, jsonForScript } from '../../src/reporters/html.js';
import type { RunReport } from '../../src/results/types.js';
import { mergeReports } from '../../src/results/merge.js';
import { fakeReport, spread } from '../helpers/report.js';
import { timelineFrom, type IntervalSamples } from '../helpers/timeline.js';

const require = createRequire(import.meta.url);
const ASSETS = {
  uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
};

/** Connecting 0–2 s, warm-up 2–3 s, publishing 3–`seconds`+3 s, draining 1 s; a timeline on 1 s intervals. */
function timedReport(id: string, seconds: number, perInterval: (k: number) => Partial<IntervalSamples> = () => ({})): RunReport {
  const report = fakeReport({ websocket: {} }, id);
  const t = report.transports.websocket!;
  const end = 3000 + seconds * 1000;
  t.phases = [
    { name: 'connecting', startMs: 0, endMs: 2000 },
    { name: 'warmup', startMs: 2000, endMs: 3000 },
    { name: 'publishing', startMs: 3000, endMs: end },
    { name: 'draining', startMs: end, endMs: end + 1000 },
  ];
  t.timeline = timelineFrom(
    Array.from({ length: seconds + 4 }, (_, k) => ({
      startMs: k * 1000,
      phase: k < 2 ? 'connecting' : k < 3 ? 'warmup' : k < seconds + 3 ? 'publishing' : 'draining',
      open: 10,
      ...perInterval(k),
    })),
  );
  return report;
}

test('escapeHtml and jsonForScript leave nothing that HTML would read as markup', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['<script>alert(1)</script>', '&#60;script&#62;alert(1)&#60;/script&#62;'],
    [`"quoted" & 'single'`, '&#34;quoted&#34; &#38; &#39;single&#39;'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(escapeHtml(input), expected);
  const json = jsonForScript({ a: '</script><!-- & \u2028' });
  assert.doesNotMatch(json, /[<>&\u2028]/);
  assert.deepEqual(JSON.parse(json), { a: '</script><!-- & \u2028' });
});

test('seriesSources: a series per report and transport, named by what tells them apart', () => {
  const one = fakeReport({ websocket: {} });
  const two = fakeReport({ websocket: {}, longpoll: {} });
  const cases: [inputs: { label: string; report: RunReport }[], names: string[]][] = [
    [[{ label: 'a', report: one }], ['websocket']],
    [[{ label: 'a', report: two }], ['websocket', 'longpoll']],
    [
      [
        { label: 'base', report: one },
        { label: 'cur', report: one },
      ],
      ['base', 'cur'],
    ],
    [
      [
        { label: 'base', report: two },
        { label: 'cur', report: one },
      ],
      ['base · websocket', 'base · longpoll', 'cur · websocket'],
    ],
  ];
  for (const [inputs, names] of cases) {
    const sources = seriesSources(inputs);
    assert.deepEqual(
      sources.map((s) => s.name),
      names,
    );
    assert.deepEqual(
      sources.map((s) => s.color),
      names.map((_, i) => i),
      'a palette slot each',
    );
  }
});

test('alignSeries: the union of x values, each line null where it has no point', () => {
  assert.deepEqual(
    alignSeries([
      {
        points: [
          [1, 10],
          [2, 20],
        ],
      },
      {
        points: [
          [1.5, 5],
          [2, 6],
        ],
      },
    ]),
    {
      x: [1, 1.5, 2],
      values: [
        [10, null, 20],
        [null, 5, 6],
      ],
    },
  );
  assert.deepEqual(
    alignSeries([{ points: [[0.1 + 0.2, 1]] }, { points: [[0.3, 2]] }]),
    { x: [0.3], values: [[1], [2]] },
    'equal after rounding to µs',
  );
  assert.deepEqual(alignSeries([]), { x: [], values: [] });
});

test('percentileCurve: x = 1/(1−p) ten points a decade while the count resolves it, the max last at x = count', () => {
  const cases: [samples: number[], points: number, lastX: number][] = [
    [[], 0, 0],
    [[7], 1, 1],
    [spread(10, 1, 10), 11, 10],
    [spread(1000, 1, 1000), 31, 1000],
  ];
  for (const [samples, points, lastX] of cases) {
    const h = createHistogram();
    for (const ms of samples) recordMs(h, ms);
    const curve = percentileCurve(h);
    assert.equal(curve.length, points, `${samples.length} samples`);
    if (points === 0) continue;
    assert.deepEqual(curve[curve.length - 1], [lastX, Math.max(...samples) >= 1 ? Math.round(h.getValueAtPercentile(100)) / 1000 : 0]);
    assert.equal(curve[0]![0], 1, 'starts at 0% (x = 1)');
    assert.ok(
      curve.every(([x], i) => i === 0 || x > curve[i - 1]![0]),
      'x increases',
    );
    assert.ok(
      curve.every(([, v], i) => i === 0 || v >= curve[i - 1]![1]),
      'latency never falls with the percentile',
    );
  }
});

test('time charts: x in seconds since the first publish (warm-up), rates per second, incidents placed on the same axis', () => {
  const report = timedReport('a', 5, (k) => ({
    fanoutMs: k >= 2 && k < 8 ? spread(10 * k, 1, k) : [],
    publishes: 4,
    errors: k === 6 ? 3 : 0,
  }));
  report.run.incidents = [
    { atMs: 5500, kind: 'redis-down', detail: 'gone' },
    { atMs: 99_000, kind: 'redis-up', detail: 'after the transport ended' },
  ];
  const inputs = [{ label: 'a', report }];
  const charts = timeCharts(inputs, seriesSources(inputs));
  assert.deepEqual(
    charts.map((c) => c.id),
    ['latency-over-time', 'throughput-over-time', 'connections-over-time', 'errors-over-time', 'tool-over-time'],
  );
  const latency = charts[0]!;
  assert.deepEqual(latency.x, [-2, -1, 0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(
    latency.series.map((s) => s.label),
    ['p50', 'p90', 'p99', 'max'],
  );
  assert.deepEqual(latency.series[3]!.values.slice(0, 3), [null, null, 2], 'no deliveries: no point (not zero)');
  assert.deepEqual(
    latency.markers.map((m) => [m.x, m.kind, m.label]),
    [
      [-2, 'phase', 'connecting'],
      [0, 'phase', 'warmup'],
      [1, 'phase', 'publishing'],
      [3.5, 'incident', 'redis-down — gone'],
      [6, 'phase', 'draining'],
    ],
  );
  const throughput = charts[1]!;
  assert.deepEqual(throughput.series[0]!.values.slice(2, 5), [20, 30, 40], 'deliveries per second of 1 s intervals');
  assert.deepEqual(charts[3]!.series[0]!.values[6], 3, 'errors per interval (the one at 4 s)');
  assert.deepEqual(charts[4]!.units, ['%', 'ms']);

  // Two reports: p99 and p50 per report, lined up at their first publish.
  const later = timedReport('b', 3);
  const two = [inputs[0]!, { label: 'b', report: later }];
  const overlay = timeCharts(two, seriesSources(two))[0]!;
  assert.deepEqual(
    overlay.series.map((s) => [s.label, s.color, s.dash]),
    [
      ['a p99', 0, false],
      ['a p50', 0, true],
      ['b p99', 1, false],
      ['b p50', 1, true],
    ],
  );
  assert.equal(overlay.markers.filter((m) => m.kind === 'phase').length, 0, 'phases are marked for a single series only');
  assert.deepEqual(
    overlay.markers.map((m) => m.label),
    ['a: redis-down — gone'],
  );
  assert.deepEqual(timeCharts([{ label: 'old', report: fakeReport() }], seriesSources([{ label: 'old', report: fakeReport() }])), []);
});

test('time charts of a --repeat report: deliveries/s at the scenario’s rate (the runs’ mean), not N times it', () => {
  // Three runs of a scenario delivering 100 messages a second (40, 100, 160 in runs 1–3's
  // second publishing interval, 100 on average) and holding 10 connections.
  const runs = [40, 100, 160].map((n, r) =>
    timedReport(`run-${r}`, 3, (k) => ({ fanoutMs: k >= 3 && k < 6 ? spread(k === 4 ? n : 100, 1, 9) : [], publishes: 1 })),
  );
  for (const run of runs) {
    const t = run.transports.websocket!;
    t.delivery.delivered = t.timeline!.intervals.reduce((a, i) => a + i.deliveries, 0);
  }
  const merged = mergeReports(runs);
  const inputs = [{ label: 'merged', report: merged }];
  const [latency, throughput, connections, errors] = timeCharts(inputs, seriesSources(inputs));
  const deliveries = throughput!.series[0]!;
  assert.equal(deliveries.label, 'deliveries/s');
  assert.deepEqual(deliveries.values.slice(3, 6), [100, 100, 100], 'the mean of the runs, per second');
  assert.equal(
    deliveries.values.reduce<number>((a, v) => a + (v ?? 0), 0),
    merged.transports.websocket!.delivery.delivered,
    '1 s intervals: the per-second points add up to the merged delivery.delivered',
  );
  assert.deepEqual(connections!.series[0]!.values.slice(0, 3), [10, 10, 10], 'connections open: 10, as in each run');
  for (const chart of [throughput!, connections!, errors!])
    assert.match(chart.caption, /merged from several runs \(--repeat\) shows the runs’ mean/);
  assert.match(latency!.caption, /every run’s deliveries/);
  const single = [{ label: 'one', report: runs[0]! }];
  assert.doesNotMatch(timeCharts(single, seriesSources(single))[1]!.caption, /--repeat/);
});

test('the page: one file, every report string escaped, scripts allowed by hash only, nothing fetched', () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const report = timedReport('r<1>', 3, (k) => ({ fanoutMs: k >= 2 && k < 6 ? [1, 2, 3] : [] }));
  report.run.name = `name ${hostile}`;
  report.run.incidents = [{ atMs: 3500, kind: `kind ${hostile}`, detail: `detail ${hostile}</script>` }];
  report.scenario = { name: hostile, target: { headers: { Authorization: '[redacted]' } } };
  const t = report.transports.websocket!;
  t.errors = { [`socket.${hostile}`]: 2 };
  t.errorSamples = { [`socket.${hostile}`]: `sample ${hostile}` };
  t.tool.bottleneck = true;
  t.tool.bottleneckReasons = [`reason ${hostile}`];
  report.gate = {
    passed: false,
    thresholds: [{ expression: `fanout.p99 < 1ms ${hostile}`, origin: 'scenario', passed: false, value: 2, message: `msg ${hostile}` }],
  };
  const html = htmlReport([{ label: `label ${hostile}`, report }], ASSETS);

  assert.doesNotMatch(html, /<img/i, 'no markup from the report survives');
  assert.ok(html.includes(escapeHtml(hostile)), 'shown as text');
  assert.equal((html.match(/<script/gi) ?? []).length, 3, 'the data block, uPlot and the page script');
  assert.doesNotMatch(html, /<[a-z][^>]*\s(src|href|action|poster|srcset)\s*=/i, 'no element loads anything');
  assert.doesNotMatch(html, /<link|<iframe|<object|<embed|@import|url\(/i);

  const data = /<script type="application\/json" id="wsbench-data">([^<]*)<\/script>/.exec(html);
  assert.ok(data, 'the data block has no "<" inside');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!.replaceAll('&#39;', "'");
  assert.equal(
    csp,
    `default-src 'none'; script-src ${hash(scripts[0]!)} ${hash(scripts[1]!)}; style-src ${hash(style)}; img-src 'none'; base-uri 'none'; form-action 'none'`,
  );
  assert.ok(scripts[0]!.startsWith('/*! https://github.com/leeoniya/uPlot'), 'uPlot inlined');

  assert.match(html, /<span class="badge fail">FAILED<\/span>/);
  assert.match(html, /✗ <code>fanout\.p99 &#60; 1ms/);
  assert.match(html, /the tool may have been the bottleneck/);
  assert.match(html, /&#34;Authorization&#34;: &#34;\[redacted\]&#34;/, 'the scenario as stored (redacted)');
});

test('a report without a timeline renders everything else, with a note', () => {
  const html = htmlReport([{ label: 'old', report: fakeReport({ websocket: {}, longpoll: {} }) }], ASSETS);
  assert.match(html, /No timeline for websocket, longpoll: the report was written by a wsbench that did not record results over time/);
  const data = JSON.parse(/id="wsbench-data">([^<]*)</.exec(html)![1]!) as { charts: { id: string }[] };
  assert.deepEqual(
    data.charts.map((c) => c.id),
    ['latency-distribution', 'recipient-spread', 'connect-distribution'],
  );
  for (const section of ['summary', 'distribution', 'figures', 'ledger', 'errors', 'incidents', 'tool', 'runs'])
    assert.match(html, new RegExp(`<section id="${section}">`));
  assert.match(html, /<h2>Comparison<\/h2>/, 'two transports: the comparison table');
  assert.match(html, /No incidents recorded/);
  // A mix: the one with a timeline is charted, the other named in the note.
  const mixed = htmlReport(
    [
      { label: 'new', report: timedReport('n', 2, () => ({ fanoutMs: [1] })) },
      { label: 'old', report: fakeReport() },
    ],
    ASSETS,
  );
  assert.match(
    mixed,
    /No timeline for old: those reports were written by a wsbench that did not record results over time, so they are left out/,
  );
});

test('size: a 10-minute run (600 publishing intervals) makes a page well under 1 MB', (t) => {
  // Realistic interval histograms: 20,000 deliveries a second spread over 0.3–40 ms, a stall every minute.
  const report = timedReport('long', 600, (k) => {
    const fanoutMs = k >= 2 && k < 603 ? spread(2000, 0.3, k % 60 === 0 ? 400 : 40) : [];
    return {
      fanoutMs,
      ...(k >= 3 && k < 603 ? { firstMs: spread(200, 0.3, 2), lastMs: spread(200, 5, 40) } : {}),
      ...(k < 2 ? { connectMs: spread(500, 1, 30) } : {}),
      publishes: 200,
      cpu: 40,
      eventLoopMs: 2,
    };
  });
  const inputs = [{ label: 'long', report }];
  const one = htmlReport(inputs, ASSETS);
  const overlay = htmlReport([...inputs, { label: 'again', report }], ASSETS);
  const json = JSON.stringify(report, null, 2);
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  t.diagnostic(
    `one report: ${bytes(one)} B; two overlaid: ${bytes(overlay)} B; the report JSON: ${bytes(json)} B; uPlot: ${bytes(ASSETS.uplotJs)} B`,
  );
  assert.ok(bytes(one) < 500_000, `page ${bytes(one)} B`);
  assert.ok(bytes(overlay) < 1_000_000, `overlay ${bytes(overlay)} B`);
  assert.equal(distributionCharts(seriesSources(inputs)).length, 3);
});
