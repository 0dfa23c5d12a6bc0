/**
 * How the text summary and the HTML report show a run where clients sent the messages
 * (publish.via websocket): the round trip in place of fan-out, the senders' own copies apart (echo),
 * what the senders sent and their bufferedAmount — and nothing of it for a run where wsbench published.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { textSummary } from '../../src/reporters/text.js';
import { htmlReport } from '../../src/reporters/html.js';
import { markdownSummary } from '../../src/reporters/markdown.js';
import { gateOutcome } from '../../src/gate/result.js';
import { fakeReport, spread } from '../helpers/report.js';
import { timelineFrom } from '../helpers/timeline.js';
import { seriesSources, timeCharts } from '../../src/reporters/html-data.js';

const require = createRequire(import.meta.url);
const ASSETS = {
  uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
};

const chat = { echoMs: spread(100, 2, 4), sent: 450, sendFailures: 3, bufferedBytes: [0, 2048, 65536] };

test('text summary: round trip, echo (own) and a senders line with sent, failed and bufferedAmount', () => {
  const report = fakeReport({ websocket: { chat } });
  report.transports.websocket!.delivery.unpublished = 150;
  report.transports.websocket!.throughput.publishFailures = 3;
  const text = textSummary(report);
  assert.match(text, /^ {2}round trip {4}/m, 'fan-out is the chat round trip');
  assert.doesNotMatch(text, /^ {2}fan-out /m);
  assert.match(text, /^ {2}round-trip latency by percentile/m);
  assert.match(text, /^ {2}echo \(own\) {4}.*p50 \d/m);
  assert.match(
    text,
    /^ {2}senders {7}5 · 450 sent · 3 could not be sent \(unpublished\) · bufferedAmount p50 2 KiB p99 64(\.\d)? KiB max 64(\.\d)? KiB$/m,
  );
  assert.match(text, /sender lag p99/);
  assert.match(text, /! 3 messages could not be sent \(a sender was not connected, or the run stopped first\): 150 deliveries unpublished/);

  // Messages due while senders reconnected, and own copies an app echoed although publish.echo is none.
  const away = fakeReport({ websocket: { chat: { ...chat, unsent: 7 } } });
  away.transports.websocket!.upstream!.unexpectedEchoes = 2;
  away.transports.websocket!.delivery.unpublished = 70;
  away.transports.websocket!.throughput.publishFailures = 10;
  const awayText = textSummary(away);
  assert.match(
    awayText,
    /^ {2}senders {7}5 · 450 sent · 3 could not be sent \(unpublished\) · 7 unsent while reconnecting \(unpublished\) · 2 unexpected echo\(es\)/m,
  );
  assert.match(awayText, /! 10 messages could not be sent \(a sender was not connected, or was reconnecting, or the run stopped first\)/);
  assert.match(awayText, /! 2 unexpected echoes: senders got their own messages back although publish\.echo is none — the app echoes/);
  assert.doesNotMatch(textSummary(report), /unexpected echo|reconnecting/);

  const plain = textSummary(fakeReport({ websocket: {} }));
  assert.match(plain, /^ {2}fan-out /m);
  assert.doesNotMatch(plain, /round trip|round-trip|echo \(own\)|senders |sender lag/);
});

test('Markdown: a line per transport with senders, none without', () => {
  const report = fakeReport({ websocket: { chat } });
  const outcome = gateOutcome([]);
  assert.match(
    markdownSummary(report, outcome),
    /^websocket: clients sent the messages \(fan-out is the chat round trip\) · 5 senders · 450 sent · 3 could not be sent · echo \(a sender's own copy\) p50 \d[\d.]* ms p99 \d[\d.]* ms · bufferedAmount p99 65,5\d\d B max 65,5\d\d B$/m,
  );
  assert.doesNotMatch(markdownSummary(fakeReport({ websocket: {} }), outcome), /clients sent/);
});

test('HTML figures: senders sent / failed, echo p50 / p99 and bufferedAmount rows only when some report has senders', () => {
  const html = htmlReport([{ label: 'chat', report: fakeReport({ websocket: { chat } }) }], ASSETS);
  assert.match(html, /senders: sent \/ failed<\/th><td[^>]*>450 \/ 3</);
  assert.match(html, /echo p50 \/ p99<\/th><td[^>]*>\d[^<]* \/ \d/);
  assert.match(html, /sender bufferedAmount p99 \/ max<\/th><td[^>]*>64(\.\d)? KiB \/ 64(\.\d)? KiB</);
  const mixed = htmlReport(
    [
      { label: 'chat', report: fakeReport({ websocket: { chat } }, 'a') },
      { label: 'redis', report: fakeReport({ websocket: {} }, 'b') },
    ],
    ASSETS,
  );
  assert.match(mixed, /senders: sent \/ failed<\/th><td[^>]*>450 \/ 3<\/td><td[^>]*>—</, 'a dash for the report without senders');
  const plain = htmlReport([{ label: 'redis', report: fakeReport({ websocket: {} }) }], ASSETS);
  assert.doesNotMatch(plain, /senders: sent|echo p50|bufferedAmount|chat round trip/);
  assert.match(html, /Fan-out \(chat round trip\) latency by percentile/);
});

test('HTML latency over time: an echo p99 line per series with senders, a point only where senders got their own copies', () => {
  const report = fakeReport({ websocket: { chat } });
  const t = report.transports.websocket!;
  t.phases = [{ name: 'publishing', startMs: 0, endMs: 3000 }];
  t.timeline = timelineFrom([
    { startMs: 0, fanoutMs: [5, 6], echoMs: [2, 3] },
    { startMs: 1000, fanoutMs: [5] },
    { startMs: 2000, fanoutMs: [7], echoMs: [4] },
  ]);
  t.timeline.intervals[0]!.upstream = { sent: 2, sendFailures: 0, bufferedAmountBytes: { max: 0 } };
  t.timeline.intervals[2]!.upstream = { sent: 1, sendFailures: 1, bufferedAmountBytes: { max: 4096 } };
  const inputs = [{ label: 'chat', report }];
  const charts = timeCharts(inputs, seriesSources(inputs));
  const latency = charts[0]!;
  const senders = charts.find((c) => c.id === 'senders-over-time');
  assert.ok(senders, charts.map((c) => c.id).join());
  assert.deepEqual(
    senders.series.map((s) => [s.label, s.values]),
    [
      ['bufferedAmount max', [0, null, 4096]],
      ['not sent', [0, null, 1]],
    ],
  );
  assert.equal(latency.title, 'Fan-out (chat round trip) latency over time');
  assert.deepEqual(
    latency.series.map((s) => [s.label, s.dash]),
    [
      ['p50', false],
      ['p90', false],
      ['p99', false],
      ['max', false],
      ['echo p99', true],
    ],
  );
  const echo = latency.series[4]!.values;
  assert.equal(echo[1], null, 'no own copies in that interval: no point');
  assert.ok(echo[0]! >= 3 && echo[0]! < 3.01 && echo[2]! >= 4 && echo[2]! < 4.01, JSON.stringify(echo));

  const plain = fakeReport({ websocket: {} });
  plain.transports.websocket!.phases = t.phases;
  plain.transports.websocket!.timeline = timelineFrom([{ startMs: 0, fanoutMs: [5] }]);
  const plainInputs = [{ label: 'redis', report: plain }];
  const plainCharts = timeCharts(plainInputs, seriesSources(plainInputs));
  assert.ok(!plainCharts.some((c) => c.id === 'senders-over-time'), 'no senders: no senders chart');
  const plainLatency = plainCharts[0]!;
  assert.equal(plainLatency.title, 'Fan-out latency over time');
  assert.ok(!plainLatency.series.some((s) => s.label.includes('echo')));
});
