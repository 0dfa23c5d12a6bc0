/**
 * The public runScenario's composition (src/api/run-scenario.ts) with a stand-in for the engine:
 * which options reach the engine, the scenario's own thresholds and tolerances under the
 * caller's, the baseline's like-for-like warning, repeats, the early abort, and a failed run's
 * partial report with its verdict. The engine itself runs in test/integration/package.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReport } from '../../src/api/report-file.js';
import { runGated, type EngineRun } from '../../src/api/run-scenario.js';
import { parseScenarioText } from '../../src/config/load.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { RunOptions } from '../../src/engine/runner.js';
import { ConfigError, WsbenchError } from '../../src/errors.js';
import { RunFailedError } from '../../src/results/run-failed.js';
import type { RunReport } from '../../src/results/types.js';
import { fakeReport } from '../helpers/report.js';

const SCENARIO = 'clients: { connections: 10 }\npublish: { rate: 100/s, duration: 1s }\n';

/** An engine that records what it was given and returns the reports in turn (the last one again when it runs out). */
function engine(...reports: (RunReport | (() => RunReport))[]): EngineRun & { calls: RunOptions[] } {
  const calls: RunOptions[] = [];
  const run = async (_scenario: unknown, options: RunOptions) => {
    calls.push(options);
    const next = reports[Math.min(calls.length, reports.length) - 1]!;
    return typeof next === 'function' ? next() : next;
  };
  return Object.assign(run, { calls });
}

/** A report of `scenario` as the engine would store it. */
function reportOf(yaml: string, fanoutMs: number[] = [1, 2, 3], id = 'r1'): RunReport {
  const report = fakeReport({ websocket: { fanoutMs } }, id);
  report.scenario = parseScenarioText(yaml, 'b.yaml').asRun;
  return report;
}

test('nothing gated: the engine gets the run options as given, the report comes back as is, no verdict', async () => {
  const report = fakeReport();
  const run = engine(report);
  const events: EngineEvent[] = [];
  const stop = new AbortController();
  const preflight = () => [];
  const result = await runGated(run, parseScenarioText(SCENARIO, 's.yaml'), {
    signal: stop.signal,
    onEvent: (e) => events.push(e),
    workers: 3,
    snapshotIntervalMs: 50,
    preflight,
  });
  assert.equal(result.report, report);
  assert.equal(result.gate, undefined);
  assert.equal(report.gate, undefined, 'no gate section without a gate');
  assert.equal(run.calls.length, 1);
  const given = run.calls[0]!;
  assert.equal(given.workers, 3);
  assert.equal(given.snapshotIntervalMs, 50);
  assert.equal(given.preflight, preflight);
  given.onEvent?.({ type: 'warning', message: 'from the engine', elapsedMs: 1 });
  assert.deepEqual(events, [{ type: 'warning', message: 'from the engine', elapsedMs: 1 }]);
  assert.equal(given.signal?.aborted, false);
  stop.abort();
  assert.equal(given.signal?.aborted, true, "the caller's signal reaches the engine");
});

test("thresholds: the scenario's, then the caller's (strings or with an origin); the verdict is returned and stored", async () => {
  const scenario = parseScenarioText(SCENARIO + 'thresholds: ["fanout.p99 < 50ms"]\n', 'ci.yaml');
  const result = await runGated(engine(fakeReport({ websocket: { fanoutMs: [1, 2, 3] } })), scenario, {
    thresholds: ['delivery.lost == 0', { expression: 'fanout.p50 > 100ms', origin: 'nightly' }],
  });
  assert.deepEqual(
    result.gate?.thresholds.map((t) => [t.expression, t.origin, t.passed]),
    [
      ['fanout.p99 < 50ms', 'scenario', true],
      ['delivery.lost == 0', 'options', true],
      ['fanout.p50 > 100ms', 'nightly', false],
    ],
  );
  assert.equal(result.gate?.passed, false);
  assert.equal(result.report.gate?.passed, false);
  assert.equal(result.report.gate?.thresholds.length, 3);

  const scenarioOnly = await runGated(engine(fakeReport()), scenario);
  assert.equal(scenarioOnly.gate?.passed, true, "the scenario's thresholds judge a run without options");
  const always = await runGated(engine(fakeReport()), parseScenarioText(SCENARIO, 's.yaml'), { alwaysEvaluate: true });
  assert.deepEqual(always.gate, { passed: true, thresholds: [] });
});

test('bad options are ConfigErrors naming the option, before the engine runs', async () => {
  const scenario = parseScenarioText(SCENARIO, 's.yaml');
  const cases: [string, Parameters<typeof runGated>[2], RegExp][] = [
    ['a threshold', { thresholds: ['delivery.lost == 0', 'fanout.p99 <'] }, /^thresholds\[1\]: "fanout\.p99 <": expected a metric/],
    ['a located threshold', { thresholds: [{ expression: 'nope.p99 < 1ms', location: { key: '--threshold' } }] }, /^--threshold: /],
    ['repeat 0', { repeat: 0 }, /^repeat: "0": must be a whole number from 1 to 100$/],
    ['repeat 1.5', { repeat: 1.5 }, /^repeat: "1.5": must be a whole number/],
    ['a report that is none', { baseline: { report: {} as RunReport } }, /^baseline\.report: not a wsbench report \(no "schema" field\)$/],
    [
      'another schema',
      { baseline: { report: { ...fakeReport(), schema: 'wsbench.report/v0' } as unknown as RunReport } },
      /^baseline\.report: report schema "wsbench\.report\/v0" is not supported/,
    ],
    [
      'a negative tolerance',
      { baseline: { report: fakeReport(), tolerances: { maxRegression: -0.1 } } },
      /^baseline\.tolerances\.maxRegression: -0\.1: expected a fraction such as 0\.1 \(10 %\)$/,
    ],
    [
      'a percentage as text',
      { baseline: { report: fakeReport(), tolerances: { metrics: { 'fanout.p99': '20%' as unknown as number } } } },
      /^baseline\.tolerances\.metrics\.fanout\.p99: "20%": expected a fraction such as 0\.1 \(10 %\) or "off"$/,
    ],
    [
      'an unknown metric',
      { baseline: { report: fakeReport(), tolerances: { metrics: { 'fanout.p98': 0.1 } } } },
      /^baseline\.tolerances\.metrics: .*fanout\.p98/,
    ],
  ];
  for (const [name, options, message] of cases) {
    const run = engine(fakeReport());
    await assert.rejects(
      runGated(run, scenario, options),
      (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG' && e.exitCode === 2 && message.test(e.message),
      name,
    );
    assert.equal(run.calls.length, 0, `${name}: nothing ran`);
  }
});

test("a baseline: the scenario's tolerances under the caller's, its source named, a warning when it ran another scenario", async () => {
  const yaml = SCENARIO + 'baseline: { maxRegression: 50%, metrics: { fanout.p50: off } }\n';
  const scenario = parseScenarioText(yaml, 'ci.yaml');
  const baseline = reportOf(yaml, Array(200).fill(1));
  const events: EngineEvent[] = [];
  const slower = fakeReport({ websocket: { fanoutMs: Array(200).fill(1.3) } });
  // 30 % slower: within the scenario's 50 %, beyond the caller's 20 % for p99.
  const result = await runGated(engine(slower), scenario, {
    baseline: { report: baseline, source: 'main.json', tolerances: { metrics: { 'fanout.p99': 0.2 } } },
    onEvent: (e) => events.push(e),
  });
  const checks = Object.fromEntries(result.gate!.baseline!.checks.map((c) => [c.metric, [c.tolerance, c.verdict]]));
  assert.deepEqual(checks, {
    'fanout.p99': [0.2, 'regression'],
    'delivery.lostRatio': [0.5, 'ok'],
    'throughput.deliveriesPerSec': [0.5, 'ok'],
  });
  assert.equal(result.gate?.passed, false);
  assert.equal(result.gate?.baseline?.source, 'main.json');
  assert.equal(result.gate?.baseline?.warning, undefined, 'the same scenario: nothing to say');
  assert.equal(events.length, 0, 'no warning event');

  const other = reportOf(SCENARIO.replace('connections: 10', 'connections: 20'), [1, 2, 3], 'b7');
  const warned = await runGated(engine(fakeReport()), scenario, { baseline: { report: other }, onEvent: (e) => events.push(e) });
  const warning = warned.gate?.baseline?.warning;
  assert.match(warning ?? '', /^the baseline run b7 ran a different scenario \(clients\.connections 20 → 10\)/);
  assert.deepEqual(events, [{ type: 'warning', message: warning, elapsedMs: 0 }], 'said before the run too');
  assert.equal(warned.gate?.baseline?.source, 'run b7', 'a baseline without a source is named by its run id');
});

test('repeat: the runs merged into one report, onRun before each, stopped early by the caller', async () => {
  const scenario = parseScenarioText(SCENARIO, 's.yaml');
  let n = 0;
  const run = engine(() => fakeReport({ websocket: { expected: 10 } }, `r${n++}`));
  const runs: string[] = [];
  const result = await runGated(run, scenario, {
    repeat: 3,
    thresholds: ['delivery.expected == 10'],
    onRun: (i, of) => runs.push(`${i}/${of}`),
  });
  assert.equal(run.calls.length, 3);
  assert.deepEqual(runs, ['1/3', '2/3', '3/3']);
  assert.deepEqual(
    result.report.repeats?.map((r) => r.run.id),
    ['r0', 'r1', 'r2'],
  );
  assert.equal(result.gate?.passed, true, 'counts are per-run means: 10, not 30');

  const stop = new AbortController();
  const stopping = engine(() => {
    stop.abort();
    return fakeReport();
  });
  await runGated(stopping, scenario, { repeat: 3, signal: stop.signal });
  assert.equal(stopping.calls.length, 1, 'no further run after the caller aborted');
});

test('abortOnFail: a counter threshold certainly broken aborts the run, which then fails', async () => {
  const scenario = parseScenarioText(SCENARIO, 's.yaml');
  const events: EngineEvent[] = [];
  const run: EngineRun = async (_s, options) => {
    assert.equal(options.signal?.aborted, false);
    options.onEvent?.({ type: 'snapshot', snapshot: liveSnapshot(4) });
    assert.equal(options.signal?.aborted, true, 'aborted while the run goes');
    const partial = fakeReport({ websocket: { duplicated: 4 } });
    partial.run.completed = false;
    return partial;
  };
  const result = await runGated(run, scenario, {
    thresholds: ['delivery.duplicated == 0'],
    abortOnFail: true,
    onEvent: (e) => events.push(e),
  });
  assert.equal(result.gate?.passed, false);
  assert.match(result.gate?.abortedBy ?? '', /delivery\.duplicated/);
  assert.match(result.report.run.stopReason ?? '', /^stopped by --abort-on-fail: /);
  assert.deepEqual(
    events.map((e) => e.type),
    ['warning', 'snapshot'],
  );
});

test('a run that fails after measuring: RunFailedError with the partial report and its verdict (never a pass)', async () => {
  const scenario = parseScenarioText(SCENARIO, 's.yaml');
  const partial = fakeReport();
  partial.run.completed = false;
  partial.run.stopReason = 'redis went away';
  const run: EngineRun = async () => {
    throw new RunFailedError(new WsbenchError('REDIS_UNREACHABLE', 'redis went away'), partial);
  };
  await assert.rejects(runGated(run, scenario, { thresholds: ['delivery.lost == 0'] }), (e: unknown) => {
    assert.ok(e instanceof RunFailedError);
    assert.equal(e.code, 'REDIS_UNREACHABLE');
    assert.equal(e.message, 'redis went away');
    assert.equal(e.report, partial);
    assert.equal(e.gate?.passed, false);
    assert.equal(e.gate?.incomplete, 'redis went away');
    assert.equal(e.gate?.thresholds[0]?.passed, true, 'its figures met the threshold');
    assert.equal(partial.gate?.passed, false, 'the report says so too');
    return true;
  });
  await assert.rejects(
    runGated(run, scenario),
    (e: unknown) => e instanceof RunFailedError && e.gate === undefined,
    'not gated: no verdict',
  );

  const setup: EngineRun = async () => {
    throw new WsbenchError('REDIS_MISSING', 'no redis-server');
  };
  await assert.rejects(
    runGated(setup, scenario, { thresholds: ['delivery.lost == 0'] }),
    (e: unknown) => e instanceof WsbenchError && !(e instanceof RunFailedError) && e.code === 'REDIS_MISSING',
    'nothing measured: the error as it is',
  );
});

function liveSnapshot(duplicated: number): Extract<EngineEvent, { type: 'snapshot' }>['snapshot'] {
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

test('what the caller gets is safe to print: events, report, verdict, errors and baselines carry no secret and no terminal control', async () => {
  // The scenario's header value is remembered as a secret when it is parsed (rule 3 of src/secrets.ts).
  const yaml =
    'target: { kind: raw, url: "ws://127.0.0.1:1/{channel}", redisChannel: "c:{channel}", headers: { X-Session: hunter22 } }\n' + SCENARIO;
  const scenario = parseScenarioText(yaml, 's.yaml');
  const peer = 'server said: session hunter22 refused by wss://bob:pw1234@x.example/?key=k9k9k9 \u001b[2J';
  const leaks = (text: string) => /hunter22|pw1234|k9k9k9|\u001b/.test(text);
  const dirty = () => {
    const r = fakeReport({ websocket: { errors: { 'socket.closed-4001': 2 } } });
    r.transports.websocket!.errorSamples['socket.closed-4001'] = peer;
    r.run.stopReason = peer;
    r.scenario = { target: { url: 'ws://bob:pw1234@x.example/' } };
    return r;
  };
  const events: EngineEvent[] = [];
  const run: EngineRun = async (_s, options) => {
    options.onEvent?.({ type: 'warning', message: peer, elapsedMs: 1 });
    return dirty();
  };
  const result = await runGated(run, scenario, { thresholds: ['delivery.lost == 0'], onEvent: (e) => events.push(e) });
  assert.equal(events.length, 1);
  assert.ok(!leaks(JSON.stringify(events)), JSON.stringify(events));
  assert.ok(!leaks(JSON.stringify(result.report)), JSON.stringify(result.report.transports.websocket?.errorSamples));
  assert.ok(!leaks(JSON.stringify(result.gate)));
  assert.equal(
    result.report.transports.websocket?.errorSamples['socket.closed-4001'],
    'server said: session *** refused by wss://bob:***@x.example/?key=*** \\x1b[2J',
    'redacted and inert, the rest kept',
  );
  assert.equal(result.report.gate?.passed, true, 'the verdict is still stored in the report');
  const clean = fakeReport();
  assert.equal((await runGated(engine(clean), scenario)).report, clean, 'a report with nothing to hide is returned as it is');

  // A failed run: the error's message, stack and cause, its partial report and its verdict.
  const failing: EngineRun = async () => {
    const partial = dirty();
    partial.run.completed = false;
    throw new RunFailedError(new WsbenchError('SETUP', peer), partial);
  };
  await assert.rejects(runGated(failing, scenario, { thresholds: ['delivery.lost == 0'] }), (e: unknown) => {
    assert.ok(e instanceof RunFailedError);
    for (const [what, text] of [
      ['message', e.message],
      ['stack', e.stack ?? ''],
      ['cause', (e.cause as Error).message + (e.cause as Error).stack],
      ['report', JSON.stringify(e.report)],
      ['verdict', JSON.stringify(e.gate)],
    ] as const)
      assert.ok(!leaks(text), `${what}: ${text}`);
    assert.equal(e.gate?.passed, false);
    return true;
  });
  // Any other error, and a bad option that quotes the caller's text.
  const setup: EngineRun = async () => {
    throw new WsbenchError('REDIS_UNREACHABLE', peer, { cause: new Error(peer) });
  };
  await assert.rejects(runGated(setup, scenario), (e: unknown) => {
    assert.ok(e instanceof WsbenchError && e.code === 'REDIS_UNREACHABLE');
    assert.ok(!leaks(`${e.message} ${e.stack} ${(e.cause as Error).message} ${(e.cause as Error).stack}`), e.stack);
    return true;
  });
  await assert.rejects(runGated(engine(clean), scenario, { thresholds: ['hunter22 <'] }), (e: unknown) => {
    assert.ok(e instanceof ConfigError && !leaks(`${e.message} ${e.stack}`), String(e));
    return true;
  });

  // A report from elsewhere (readReport's file, a caller's baseline object): its scenario redacted by
  // structure (a header value nobody remembered), every string redacted and inert.
  const foreign = dirty();
  foreign.scenario = { target: { headers: { Authorization: 'Bearer zz-unremembered' }, name: 'a\u001b]0;title\u0007' } };
  const read = checkReport(foreign, { key: 'baseline.report' });
  assert.deepEqual(read.scenario, { target: { headers: { Authorization: '***' }, name: 'a\\x1b]0;title\\x07' } });
  assert.ok(!leaks(JSON.stringify(read)), JSON.stringify(read));
  assert.equal(read.transports.websocket?.errors['socket.closed-4001'], 2, 'the figures as they were');
});
