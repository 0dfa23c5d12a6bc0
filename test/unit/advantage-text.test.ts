/**
 * websocketAdvantageText (src/reporters/advantage-text.ts): the "websocket vs <transport>" ratios
 * in words, only those measured; and the text summary and the HTML page both say it that way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { websocketAdvantageText } from '../../src/reporters/advantage-text.js';
import { comparisonLines } from '../../src/reporters/text.js';
import { htmlReport } from '../../src/reporters/html.js';
import type { Comparison, WebSocketAdvantage } from '../../src/results/types.js';
import { fakeReport } from '../helpers/report.js';

const ALL: WebSocketAdvantage = {
  fanoutP50: 3.2,
  fanoutP99: 5,
  bytesPerDelivery: 4.1,
  requestsPerDelivery: 1,
  toolCpuPerDelivery: 2.5,
  serverCpuPerDelivery: 0.8,
};
const NONE: WebSocketAdvantage = {
  fanoutP50: null,
  fanoutP99: null,
  bytesPerDelivery: null,
  requestsPerDelivery: null,
  toolCpuPerDelivery: null,
  serverCpuPerDelivery: null,
};

test('websocketAdvantageText: each measured ratio, in a fixed order', () => {
  const cases: [string, string, WebSocketAdvantage, string][] = [
    [
      'all measured',
      'longpoll',
      ALL,
      'websocket vs longpoll: p50 latency 3.2× · p99 latency 5× · bytes 4.1× · requests 1× · tool CPU 2.5× · server CPU 0.8×',
    ],
    [
      'no server CPU (not the built-in server)',
      'poll',
      { ...ALL, serverCpuPerDelivery: null },
      'websocket vs poll: p50 latency 3.2× · p99 latency 5× · bytes 4.1× · requests 1× · tool CPU 2.5×',
    ],
    ['latency only', 'poll', { ...NONE, fanoutP99: 7 }, 'websocket vs poll: p99 latency 7×'],
    ['nothing measured', 'poll', NONE, 'websocket vs poll: '],
  ];
  for (const [name, transport, advantage, expected] of cases) assert.equal(websocketAdvantageText(transport, advantage), expected, name);
});

test('the text summary and the HTML page give the same words', () => {
  const comparison: Comparison = { baseline: 'websocket', rows: [], websocketAdvantage: { longpoll: ALL } };
  const words = websocketAdvantageText('longpoll', ALL);
  assert.ok(
    comparisonLines(comparison).includes(`  ${words} (other ÷ websocket per delivery; > 1 = websocket better)`),
    comparisonLines(comparison).join('\n'),
  );
  const require = createRequire(import.meta.url);
  const assets = {
    uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  const report = { ...fakeReport({ websocket: {}, longpoll: {} }), comparison };
  assert.ok(htmlReport([{ label: 'run', report }], assets).includes(`<li>${words}</li>`));
});
