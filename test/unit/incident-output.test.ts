/**
 * Where incidents and failed publishes show: the text summary, plain progress lines, the dashboard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textSummary } from '../../src/reporters/text.js';
import { plainProgressLine } from '../../src/reporters/progress-plain.js';
import { INCIDENTS_SHOWN, initialState, reduce } from '../../src/ui/dashboard/state.js';
import type { Incident } from '../../src/results/types.js';
import { runReport, transportReport } from '../fixtures/ui.js';

const INCIDENTS: Incident[] = [
  { atMs: 3_210, kind: 'redis-down', detail: 'the publisher’s connection to Redis was lost (ECONNRESET); reconnecting with backoff' },
  { atMs: 3_215, kind: 'publish-failed', detail: 'publish #149 failed: not connected to Redis' },
  { atMs: 5_800, kind: 'redis-up', detail: 'Redis reachable again after 2.6 s' },
];

test('text summary: a degraded run says so in its head line, lists every incident, and accounts the failed publishes', () => {
  const t = transportReport('websocket', [1, 2, 3]);
  t.delivery = { ...t.delivery, expected: 100, delivered: 60, lost: 0, unpublished: 40, deliveryRatio: 0.6 };
  t.throughput.publishFailures = 2;
  const report = runReport([t]);
  report.run.incidents = INCIDENTS;
  const text = textSummary(report);
  const lines = text.split('\n');
  assert.match(lines[0]!, /completed DEGRADED in/);
  const at = lines.indexOf('incidents (3; s since the run started)');
  assert.ok(at > 0, text);
  assert.deepEqual(lines.slice(at + 1, at + 4), [
    '  3.210 s redis-down: the publisher’s connection to Redis was lost (ECONNRESET); reconnecting with backoff',
    '  3.215 s publish-failed: publish #149 failed: not connected to Redis',
    '  5.800 s redis-up: Redis reachable again after 2.6 s',
  ]);
  assert.match(text, /delivery\s+60\/100 \(60\.0+%\) · lost 0 · unpublished 40 ·/);
  assert.match(text, /· 2 publishes failed ·/);
  assert.match(text, /! 2 publishes never reached Redis: 40 deliveries unpublished \(not lost, not delivered\)/);
});

test('text summary: a clean run has no incidents section and no DEGRADED', () => {
  const report = runReport([transportReport('websocket', [1, 2, 3])]);
  report.run.incidents = [];
  const text = textSummary(report);
  assert.doesNotMatch(text, /DEGRADED|incidents|unpublished|publish(es)? failed/);
});

test('plain progress: an incident is one line at its own time', () => {
  assert.equal(
    plainProgressLine({ type: 'incident', incident: INCIDENTS[0]! }),
    '[3.2s] incident redis-down: the publisher’s connection to Redis was lost (ECONNRESET); reconnecting with backoff',
  );
});

test('dashboard: the latest incidents are kept as lines', () => {
  let s = initialState('t');
  for (const incident of [...INCIDENTS, { atMs: 9_000, kind: 'target-down', detail: 'every connection dropped' }])
    s = reduce(s, { type: 'incident', incident });
  assert.equal(s.incidents.length, INCIDENTS_SHOWN);
  assert.equal(s.incidents[s.incidents.length - 1], '9.0 s target-down: every connection dropped');
  assert.equal(s.elapsedMs, 9_000);
});

test('text summary: a distributed run lists its agents, the unobserved deliveries of a lost one, and a clock bound too large for the p50', () => {
  const t = transportReport('websocket', [1, 2, 3]);
  t.delivery = { ...t.delivery, expected: 300, delivered: 200, lost: 0, unpublished: 0, unobserved: 100, deliveryRatio: 0.666667 };
  const report = runReport([t]);
  report.run.incidents = [{ atMs: 4_000, kind: 'agent-lost', detail: 'agent "b" (1 clients of websocket) silent for 5.2 s' }];
  const exact = { mode: 'exact' as const, offsetMs: 0, errorBoundMs: 0.001, driftPpm: 0, consistent: true };
  report.run.agents = [
    { name: 'a', host: 'h1', clients: 2, clock: exact, status: 'finished' },
    { name: 'b', host: 'h2', clients: 1, clock: { ...exact, mode: 'estimated', offsetMs: 250.01, errorBoundMs: 2.5 }, status: 'lost' },
  ];
  report.run.latencyErrorBoundMs = 2.5;
  const text = textSummary(report);
  const lines = text.split('\n');
  const at = lines.indexOf('agents (2)');
  assert.ok(at > 0, text);
  assert.deepEqual(lines.slice(at + 1, at + 3), [
    '  a             h1 · 2 clients · clock exact (same host) · finished',
    '  b             h2 · 1 client · clock +250.0 ±2.500 ms, drift 0.0 ppm · lost',
  ]);
  assert.match(text, /delivery\s+200\/300 \(66\.\d+%\) · lost 0 · unobserved 100 \(agent lost\) ·/);
  // The fixture's p50 is 2 ms: a ±2.5 ms bound is more than 10 % of it.
  assert.match(text, /! clock error bound ±2\.500 ms is \d+ % of the websocket fan-out p50/);
  report.run.latencyErrorBoundMs = 0.001;
  assert.doesNotMatch(textSummary(report), /clock error bound/);
});
