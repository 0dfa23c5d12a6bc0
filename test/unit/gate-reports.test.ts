/**
 * Report merging (--repeat) and the gate's outputs: JUnit XML, Markdown, HdrHistogram log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { mergeReports, pooledRate } from '../../src/results/merge.js';
import { createHistogram, recordMs, summarizeMs } from '../../src/metrics/histogram.js';
import { parseThreshold } from '../../src/gate/expression.js';
import { evaluateThresholds } from '../../src/gate/thresholds.js';
import { baselineChecks, compareReports } from '../../src/gate/baseline.js';
import { gateOutcome, gateReport } from '../../src/gate/result.js';
import { junitXml, attr } from '../../src/reporters/junit.js';
import { markdownSummary } from '../../src/reporters/markdown.js';
import { hlogText, measuredWindow } from '../../src/reporters/hlog.js';
import { fakeReport, fakeTransport, spread } from '../helpers/report.js';

test('merge: latency from the merged histograms equals recording every sample in one; counts are per-run means, ratios pooled', () => {
  const a = spread(3000, 0.1, 30);
  const b = spread(1000, 5, 90);
  const c = spread(500, 1, 2);
  const reports = [a, b, c].map((fanoutMs, i) =>
    fakeReport(
      { websocket: { fanoutMs, expected: 100 * (i + 1), lost: i, failed: i, errors: { 'socket.dropped-1006': 1 } } },
      `run${i}`,
      `2025-01-01T00:00:0${i * 2}.000Z`,
    ),
  );
  const merged = mergeReports(reports);
  const all = createHistogram();
  for (const ms of [...a, ...b, ...c]) recordMs(all, ms);
  const ws = merged.transports.websocket!;
  assert.deepEqual(ws.fanoutLatencyMs, summarizeMs(all));
  // Each run: 10 connections, 100·(i+1) expected, i lost: per run that is 200 expected, 1 lost.
  assert.equal(ws.delivery.expected, 200);
  assert.equal(ws.delivery.lost, 1);
  assert.equal(ws.delivery.delivered, 199);
  assert.equal(ws.delivery.lostRatio, 0.005, 'pooled: 3 of 600');
  assert.equal(ws.delivery.delivered + ws.delivery.lost, ws.delivery.expected, 'the ledger identity holds for the means');
  assert.equal(ws.connections.failed, 1);
  assert.equal(ws.connections.target, 10, 'comparable with the scenario, not 3 × 10');
  assert.deepEqual(ws.errors, { 'socket.dropped-1006': 1 });
  assert.deepEqual(ws.wire, { bytesIn: 100 * 199, bytesOut: 1000, requests: 10 });
  assert.equal(ws.bytesPerDelivery, Math.round(((100 * 597 + 3000) / 597) * 1000) / 1000);
  assert.equal(ws.toolCpuUsPerDelivery, 20);
  assert.equal(merged.comparison, undefined, 'one transport: no comparison');
  const two = mergeReports([
    fakeReport({ websocket: {}, longpoll: { fanoutMs: [50] } }),
    fakeReport({ websocket: {}, longpoll: { fanoutMs: [70] } }),
  ]);
  assert.equal(two.comparison?.rows.length, 2, 'the comparison is rebuilt from the merged transports');
  assert.equal(two.comparison?.rows[1]?.fanoutP50Ms, two.transports.longpoll!.fanoutLatencyMs.p50);
  assert.equal(merged.repeats?.length, 3);
  assert.deepEqual(
    merged.repeats!.map((r) => r.run.id),
    ['run0', 'run1', 'run2'],
  );
  assert.equal(merged.run.id, 'run0');
  assert.equal(merged.run.durationMs, 4500);
  assert.equal(merged.run.completed, true);
  // A merged report merges again without nesting its repeats.
  assert.equal(mergeReports([merged, reports[0]!]).repeats?.length, 4);
  assert.equal(mergeReports([reports[0]!]), reports[0]);
});

test('merge: client senders’ figures — echo and bufferedAmount from the merged histograms, sends as per-run means', () => {
  const runs = [
    fakeReport({ websocket: { chat: { echoMs: [1, 2], sent: 10, sendFailures: 0, bufferedBytes: [0, 100] } } }, 'a'),
    fakeReport({ websocket: { chat: { echoMs: [3, 4], sent: 20, sendFailures: 2, unsent: 4, bufferedBytes: [1500] } } }, 'b'),
  ];
  const ws = mergeReports(runs).transports.websocket!;
  assert.equal(ws.echoLatencyMs!.count, 4);
  assert.ok(ws.echoLatencyMs!.max >= 4 && ws.echoLatencyMs!.max < 4.01, 'the largest of both runs (histogram precision)');
  assert.deepEqual(ws.upstream, {
    senders: 5,
    sent: 15,
    sendFailures: 1,
    unsent: 2,
    unexpectedEchoes: 0,
    bufferedAmountBytes: { p50: 100, p99: 1500, max: 1500 },
  });
  assert.ok(ws.histograms.echo && ws.histograms.bufferedAmount);
  // A run without senders among them: no chat figures (they would not add up).
  const mixed = mergeReports([runs[0]!, fakeReport({ websocket: {} }, 'c')]).transports.websocket!;
  assert.equal(mixed.upstream, undefined);
  assert.equal(mixed.echoLatencyMs, undefined);
});

test('merge: rates are time-weighted, an incomplete run makes the merge incomplete', () => {
  const fast = fakeTransport('websocket', { fanoutMs: spread(1000, 1, 2), deliveriesPerSec: 1000 }); // 1 s window
  const slow = fakeTransport('websocket', { fanoutMs: spread(1000, 1, 2), deliveriesPerSec: 250 }); // 4 s window
  assert.equal(
    pooledRate([fast, slow], (t) => t.throughput.deliveriesPerSec),
    400,
  );
  const done = fakeReport();
  const stopped = fakeReport(undefined, 'r2');
  stopped.run.completed = false;
  stopped.run.stopReason = 'interrupted during publishing';
  const merged = mergeReports([done, stopped]);
  assert.equal(merged.run.completed, false);
  assert.equal(merged.run.stopReason, 'interrupted during publishing');
});

function outcomeFor(thresholds: string[], withBaseline = false) {
  const report = fakeReport({ websocket: { fanoutMs: spread(1000, 1, 100), lost: 1 } });
  const results = evaluateThresholds(
    thresholds.map((t) => ({ threshold: parseThreshold(t), origin: 'scenario' })),
    report,
  );
  const slower = fakeReport({ websocket: { fanoutMs: spread(1000, 50, 150), lost: 1 } });
  const baseline = withBaseline ? { ...compareReports(slower, report, baselineChecks()), source: 'main "best".json' } : undefined;
  return { report, outcome: gateOutcome(results, baseline) };
}

test('JUnit: one testcase per threshold and baseline check; failures carry the value; XML is escaped', () => {
  const { report, outcome } = outcomeFor(['fanout.p99 < 1us', 'delivery.lost < 5', 'fanout.p50 > 0 & 1'.replace(' & 1', '')], true);
  const xml = junitXml(report, outcome);
  assert.match(xml, /<testsuites name="wsbench fake" tests="7" failures="1" errors="0" skipped="0" time="1\.500">/);
  assert.match(xml, /<testsuite name="wsbench thresholds" tests="3" failures="1"/);
  assert.match(
    xml,
    /<testcase classname="wsbench\.thresholds" name="fanout\.p99 &lt; 1us" time="0">\n {6}<failure type="threshold" message="fanout\.p99 = 99\.071 ms, expected &lt; 0\.001 ms">/,
  );
  assert.match(xml, /<testsuite name="wsbench baseline" tests="4" failures="0"/);
  assert.match(xml, /<testcase classname="wsbench\.baseline" name="fanout\.p50" time="0">\n {6}<system-out>fanout\.p50 improved/);
  // Well-formed enough: every opened element is closed.
  for (const tag of ['testsuites', 'testsuite', 'testcase', 'properties']) {
    const open = (xml.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length;
    const selfClosed = (xml.match(new RegExp(`<${tag} [^>]*/>`, 'g')) ?? []).length;
    const close = (xml.match(new RegExp(`</${tag}>`, 'g')) ?? []).length;
    assert.equal(open - selfClosed, close, tag);
  }
  assert.equal(attr('a<b & "c"\n\u0001'), 'a&lt;b &amp; &quot;c&quot;&#10;');
});

test('JUnit: a run that did not complete gets a failing "run completed" case', () => {
  const { report, outcome } = outcomeFor(['fanout.p99 < 1s']);
  report.run.completed = false;
  report.run.stopReason = 'interrupted during publishing';
  const xml = junitXml(report, outcome);
  assert.match(
    xml,
    /<testcase classname="wsbench\.run" name="run completed" time="0">\n {6}<failure type="incomplete" message="the run did not complete: interrupted during publishing">/,
  );
});

test('Markdown: verdict, figures, every threshold and baseline check', () => {
  const { report, outcome } = outcomeFor(['fanout.p99 < 1us', 'delivery.lost < 5'], true);
  const md = markdownSummary(report, outcome);
  assert.match(md, /^## wsbench ❌ failed: fake\n/);
  assert.match(md, /\| websocket \| 50\.\d+ ms \| 99\.\d+ ms \|/);
  assert.match(md, /### Thresholds: ❌ 1 of 2 failed/);
  assert.match(md, /\| ❌ \| `fanout\.p99 < 1us` \| fanout\.p99 = 99\.071 ms, expected &lt; 0\.001 ms \|/);
  assert.match(md, /\| ✅ \| `delivery\.lost < 5` \| delivery\.lost = 1 &lt; 5 \|/);
  assert.match(md, /### Baseline: ✅ no regression/);
  assert.match(md, /\| ✅ \| `fanout\.p50` \| 99\.967 ms <sub>\([\d.]+ ms–[\d.]+ ms\)<\/sub> \| 50\.463 ms <sub>/);
  assert.match(md, /Against `main "best"\.json` \(1 run vs 1 run\)/);
  const stored = gateReport(outcome);
  assert.equal(stored.passed, false);
  assert.equal(stored.thresholds.length, 2);
  assert.equal(stored.baseline?.checks.length, 4);
});

test('.hlog: HdrHistogram log v1.3 that hdr-histogram-js reads back exactly, one interval per run', () => {
  const runs = [spread(2000, 0.2, 20), spread(1000, 1, 3)].map((fanoutMs, i) =>
    fakeReport({ websocket: { fanoutMs }, longpoll: { fanoutMs: spread(100, 10, 50) } }, `run${i}`, `2025-01-01T00:00:0${i * 5}.000Z`),
  );
  const merged = mergeReports(runs);
  const text = hlogText(merged);
  const lines = text.split('\n');
  assert.equal(lines[0], '#[Histogram log format version 1.3]');
  assert.match(lines[1]!, /^#\[StartTime: 1735689600\.000 \(seconds since epoch\), 2025-01-01T00:00:00\.000Z\]$/);
  assert.match(lines[2]!, /^#\[BaseTime: 1735689600\.000 \(seconds since epoch\)\]$/);
  assert.ok(lines.includes('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"'));
  assert.deepEqual(hdr.listTags(text).sort(), [
    'NO TAG',
    'longpoll.connect',
    'longpoll.fanout',
    'longpoll.firstRecipient',
    'longpoll.lastRecipient',
    'longpoll.publisherLag',
    'websocket.connect',
    'websocket.fanout',
    'websocket.firstRecipient',
    'websocket.lastRecipient',
    'websocket.publisherLag',
  ]);

  const reader = new hdr.HistogramLogReader(text);
  const read: hdr.Histogram[] = [];
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) read.push(h);
  const untagged = read.filter((h) => h.tag === 'NO TAG');
  assert.equal(untagged.length, 2);
  assert.deepEqual(
    untagged.map((h) => [h.totalCount, h.getValueAtPercentile(99) / 1000]),
    runs.map((r) => [r.transports.websocket!.fanoutLatencyMs.count, r.transports.websocket!.fanoutLatencyMs.p99]),
  );
  // Interval times: each run's publishing..draining window, at the run's own start.
  assert.deepEqual(
    untagged.map((h) => [h.startTimeStampMsec, h.endTimeStampMsec]),
    [
      [1735689600000 + 200, 1735689600000 + 1300],
      [1735689605000 + 200, 1735689605000 + 1300],
    ],
  );
  const lp = read.filter((h) => h.tag === 'longpoll.fanout');
  assert.equal(lp.length, 2);
  assert.equal(lp[0]!.totalCount, 100);
  assert.deepEqual(measuredWindow([], 500), { startMs: 0, endMs: 500 });
});

test('Markdown: with slow consumers, a row per client class under its transport', () => {
  const report = fakeReport({
    websocket: {
      fanoutMs: spread(1000, 1, 100),
      classes: { normal: { clients: 19, fanoutMs: spread(950, 1, 10), lost: 0 }, slow: { clients: 1, fanoutMs: [], lost: 100 } },
    },
  });
  const md = markdownSummary(report, gateOutcome([], undefined));
  assert.match(
    md,
    /\| websocket \| 50\.\d+ ms \|[^\n]*\n\| websocket · normal clients \(19\) \| 5\.\d+ ms \| 9\.\d+ ms \| — \| 1,900\/1,900 \| 0 \(0(\.0+)?%\) \| — \|\n\| websocket · slow clients \(1\) \| — \| — \| — \| 0\/100 \| 100 \(100(\.0+)?%\) \| — \|/,
  );
});
