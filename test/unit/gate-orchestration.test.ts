/**
 * The gate with typed options (src/gate/gate.ts), without the CLI: thresholds, baseline, repeats,
 * the early abort — and one verdict for a run that did not complete, in the text, the report,
 * JUnit and Markdown alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGate, scenarioThresholds, scenarioTolerances } from '../../src/gate/gate.js';
import { gateText } from '../../src/reporters/gate-text.js';
import { junitXml } from '../../src/reporters/junit.js';
import { markdownSummary } from '../../src/reporters/markdown.js';
import { RunFailedError } from '../../src/results/run-failed.js';
import { WsbenchError } from '../../src/errors.js';
import { parseScenarioText } from '../../src/config/load.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { Snapshot } from '../../src/engine/events.js';
import { fakeReport } from '../helpers/report.js';

test('thresholds as plain strings; an inactive gate judges nothing', () => {
  const gate = createGate({ thresholds: ['fanout.p99 < 50ms', 'delivery.lost == 0'] });
  assert.equal(gate.active, true);
  const outcome = gate.evaluate(fakeReport({ websocket: { fanoutMs: [1, 2, 3] } }))!;
  assert.equal(outcome.passed, true);
  assert.deepEqual(
    outcome.thresholds.map((t) => [t.expression, t.origin, t.passed]),
    [
      ['fanout.p99 < 50ms', 'options', true],
      ['delivery.lost == 0', 'options', true],
    ],
  );
  const none = createGate();
  assert.equal(none.active, false);
  assert.equal(none.evaluate(fakeReport()), undefined);
  assert.equal(createGate({ alwaysEvaluate: true }).evaluate(fakeReport())?.passed, true);
});

test('bad options are config errors before anything runs', () => {
  assert.throws(
    () => createGate({ thresholds: [{ expression: 'fanout.p99 <', origin: '--threshold', location: { key: '--threshold' } }] }),
    (e: WsbenchError) => e.code === 'CONFIG' && /^--threshold: /.test(e.message),
  );
  assert.throws(() => createGate({ repeat: 0 }), /repeat: "0": must be a whole number from 1 to 100/);
  assert.throws(() => createGate({ baseline: { report: fakeReport(), source: 'b.json', tolerances: { metrics: { 'no.such': 0.1 } } } }));
});

test('a baseline with tolerances judges a regression', () => {
  const baseline = fakeReport({ websocket: { fanoutMs: Array(200).fill(1) } });
  const slower = fakeReport({ websocket: { fanoutMs: Array(200).fill(3) } });
  const gate = createGate({ baseline: { report: baseline, source: 'main.json', tolerances: { maxRegression: 0.1 } } });
  const outcome = gate.evaluate(slower)!;
  assert.equal(outcome.passed, false);
  assert.equal(outcome.baseline?.source, 'main.json');
  assert.equal(slower.gate?.passed, false);
});

test('a run that did not complete never passes: text, report, JUnit and Markdown agree', () => {
  const report = fakeReport({ websocket: { fanoutMs: [1, 2, 3] } });
  report.run.completed = false;
  report.run.stopReason = 'interrupted during publishing';
  const outcome = createGate({ thresholds: ['fanout.p99 < 50ms'] }).evaluate(report)!;
  assert.equal(outcome.thresholds[0]!.passed, true, 'its figures met the threshold');
  assert.equal(outcome.passed, false);
  assert.equal(outcome.incomplete, 'interrupted during publishing');
  assert.equal(report.gate?.passed, false);
  assert.match(gateText(outcome), /\ngate: FAILED \(the run did not complete: interrupted during publishing\)\n$/);
  assert.match(junitXml(report, outcome), /<testsuites [^>]*failures="1"/);
  assert.match(markdownSummary(report, outcome), /^## wsbench ❌ failed/);
});

function liveSnapshot(duplicated: number): Snapshot {
  return {
    elapsedMs: 10,
    phase: 'publishing',
    transport: 'websocket',
    transportIndex: 0,
    transportCount: 1,
    phaseProgress: 0,
    phaseRemainingMs: null,
    connections: { target: 1, opened: 1, failed: 0, closed: 0, open: 1, inFlight: 0, perSec: 0 },
    publish: { sent: 1, acked: 1, errors: 0, total: 1, lagMs: 0 },
    delivery: { delivered: 1, expectedSoFar: 1, duplicated, reordered: 0, ignored: 0, perSec: 0 },
    latencyMs: null,
    errors: {},
    wire: { bytesIn: 0, bytesOut: 0, requests: 0, bytesInPerSec: 0, requestsPerSec: 0 },
    tool: { cpuPercent: 0, eventLoopDelayMs: 0, processes: 2, bottleneck: false, reason: null },
  };
}

test('abortOnFail: a counter threshold certainly broken aborts the gate signal once, with a warning', () => {
  const gate = createGate({ thresholds: ['delivery.duplicated == 0', 'fanout.p99 < 1ms'], abortOnFail: true });
  const seen: EngineEvent[] = [];
  const listener = gate.watch((e) => seen.push(e))!;
  listener({ type: 'snapshot', snapshot: liveSnapshot(0) });
  assert.equal(gate.signal.aborted, false);
  listener({ type: 'snapshot', snapshot: liveSnapshot(2) });
  listener({ type: 'snapshot', snapshot: liveSnapshot(3) });
  assert.equal(gate.signal.aborted, true);
  assert.equal(seen.filter((e) => e.type === 'warning').length, 1);
  assert.equal(seen.filter((e) => e.type === 'snapshot').length, 3, 'events still reach the listener');
  const report = fakeReport();
  const outcome = gate.evaluate(report)!;
  assert.match(outcome.abortedBy ?? '', /delivery\.duplicated/);
  assert.match(report.run.stopReason ?? '', /^stopped by --abort-on-fail: /);
  assert.equal(createGate({ thresholds: ['fanout.p99 < 1ms'] }).watch(undefined), undefined, 'nothing to watch: the listener as is');
});

test('runRepeated merges the runs, stops after one that did not complete, keeps earlier runs when one fails', async () => {
  const gate = createGate({ repeat: 3 });
  const runs: string[] = [];
  let n = 0;
  const merged = await gate.runRepeated(async () => fakeReport({ websocket: { expected: 10 } }, `r${n++}`), {
    onRun: (run, of) => runs.push(`${run}/${of}`),
  });
  assert.equal(merged.repeats?.length, 3);
  assert.deepEqual(runs, ['1/3', '2/3', '3/3']);

  n = 0;
  const stopped = await gate.runRepeated(async () => {
    const r = fakeReport({ websocket: {} }, `s${n++}`);
    if (n === 2) r.run.completed = false;
    return r;
  });
  assert.equal(stopped.repeats?.length, 2);

  n = 0;
  await assert.rejects(
    gate.runRepeated(async () => {
      if (n++ === 1) throw new RunFailedError(new WsbenchError('TARGET_NOT_READY', 'not ready'), fakeReport({ websocket: {} }, 'bad'));
      return fakeReport({ websocket: {} }, 'good');
    }),
    (e: RunFailedError) => e.code === 'TARGET_NOT_READY' && e.report.repeats?.length === 2,
  );
  const aborted = new AbortController();
  aborted.abort();
  n = 0;
  const once = await gate.runRepeated(async () => fakeReport({ websocket: {} }, `a${n++}`), { signal: aborted.signal });
  assert.equal(once.run.id, 'a0', 'an aborted signal stops after the first run');
});

test('the scenario supplies thresholds located in its file and its baseline tolerances', () => {
  const scenario = parseScenarioText(
    'clients: { connections: 1 }\npublish: { rate: 1, duration: 1s }\nthresholds: ["fanout.p99 < 5ms"]\nbaseline: { maxRegression: 20% }\n',
    'ci.yaml',
  );
  assert.deepEqual(scenarioThresholds(scenario), [
    { expression: 'fanout.p99 < 5ms', origin: 'scenario', location: { file: 'ci.yaml', key: 'thresholds[0]' } },
  ]);
  assert.deepEqual(scenarioTolerances(scenario), { maxRegression: 0.2, metrics: {} });
});
