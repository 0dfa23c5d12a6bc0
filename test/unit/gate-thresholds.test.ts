import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThreshold, ThresholdSyntaxError, tokenize } from '../../src/gate/expression.js';
import { compileThreshold, evaluateThreshold } from '../../src/gate/thresholds.js';
import { lookupMetric, METRICS, formatValue } from '../../src/gate/metrics.js';
import { ConfigError } from '../../src/errors.js';
import { parseScenarioText } from '../../src/config/load.js';
import { fakeReport, spread } from '../helpers/report.js';

// websocket: fan-out 1..100 ms (p50 ≈ 50, p99 ≈ 99); longpoll 10× slower; 2 of 1000 lost.
const report = fakeReport({
  websocket: {
    fanoutMs: spread(1000, 1, 100),
    expected: 1000,
    lost: 2,
    deliveriesPerSec: 25_000,
    cpu: 80,
    failed: 0,
    errors: { 'socket.dropped-1006': 3 },
    classes: {
      normal: { clients: 9, fanoutMs: spread(900, 1, 90), lost: 0 },
      slow: { clients: 1, fanoutMs: spread(100, 500, 5000), lost: 40 },
    },
    chat: { echoMs: spread(100, 1, 10), sent: 100, sendFailures: 1, bufferedBytes: [0, 0, 4096] },
  },
  longpoll: { fanoutMs: spread(1000, 10, 1000), deliveriesPerSec: 5000 },
});

const passing: [string, boolean][] = [
  ['fanout.p99 < 100ms', true],
  ['echo.p99 < 10ms', true],
  ['echo.p50 < 5ms', false],
  ['upstream.sendFailures == 0', false],
  ['upstream.sent >= 100', true],
  ['upstream.bufferedAmountBytes.max < 4096', false],
  ['longpoll.echo.p50 > 0ms', false],
  ['longpoll.upstream.sent >= 0', false],
  ['fanout.p99 < 99ms', false],
  ['fanout.p99 < 0.1s', true],
  ['fanout.p99 < 100000us', true],
  ['fanout.p99 < 100000µs', true],
  ['fanout.p99 < 100', true], // bare number: the metric's unit (ms)
  ['websocket.fanout.p50 <= 51ms', true],
  ['fanout.max >= 100ms', true],
  ['fanout.count == 1000', true],
  ['delivery.lostRatio == 0', false],
  ['delivery.lostRatio <= 0.2%', true],
  ['delivery.lostRatio < 0.1%', false],
  ['delivery.lostRatio < 0.003', true],
  ['delivery.lost == 2', true],
  ['delivery.lost != 2', false],
  ['delivery.deliveryRatio >= 99.8%', true],
  ['throughput.deliveriesPerSec >= 20000', true],
  ['throughput.deliveriesPerSec >= 20k', true],
  ['throughput.deliveriesPerSec > 0.03M', false],
  ['tool.maxCpuPercent < 90%', true],
  ['tool.maxCpuPercent < 80', false],
  ['errors.total == 3', true],
  ['connections.failed == 0', true],
  ['longpoll.fanout.p50 / websocket.fanout.p50 > 3', true],
  ['longpoll.fanout.p50 / fanout.p50 > 300%', true],
  ['longpoll.fanout.p50 / fanout.p50 < 9', false],
  ['longpoll.throughput.deliveriesPerSec * 5 <= throughput.deliveriesPerSec', true],
  ['fanout.p99 - fanout.p50 < 50ms', true],
  ['(fanout.p99 - fanout.p50) / fanout.p50 < 100%', true],
  ['fanout.p99 < fanout.p50 * 110%', false],
  ['100ms > fanout.p99', true],
  ['-fanout.p50 < 0', true],
  ['lastRecipient.p99 < 10ms', true], // fake last recipient: one sample of 5 ms
  ['1e2 > fanout.p99', true],
  ['longpoll.requestsPerDelivery / requestsPerDelivery >= 1', true],
  ['toolCpuUsPerDelivery < 50', true],
  ['wire.bytesIn > 0', true],
  ['classes.normal.fanout.p99 < 90ms', true],
  ['classes.slow.fanout.p50 > classes.normal.fanout.p99 * 10', true],
  ['classes.normal.delivery.lost == 0', true],
  ['classes.slow.delivery.lostRatio < 40%', false],
  ['classes.slow.delivery.deliveryRatio == 60%', true],
  ['longpoll.classes.normal.fanout.p50 < 1s', false], // no classes in that transport: cannot pass
];

for (const [expression, expected] of passing) {
  test(`threshold: ${expression} → ${expected ? 'pass' : 'fail'}`, () => {
    const result = evaluateThreshold(parseThreshold(expression), report);
    assert.equal(result.passed, expected, result.message);
  });
}

test('messages name the metric and the measured value, in its unit', () => {
  assert.equal(evaluateThreshold(parseThreshold('fanout.p99 < 1us'), report).message, 'fanout.p99 = 99.071 ms, expected < 0.001 ms');
  assert.equal(evaluateThreshold(parseThreshold('delivery.lostRatio == 0'), report).message, 'delivery.lostRatio = 0.2%, expected == 0%');
  assert.equal(
    evaluateThreshold(parseThreshold('throughput.deliveriesPerSec >= 20k'), report).message,
    'throughput.deliveriesPerSec = 25,000/s >= 20,000/s',
  );
  assert.equal(
    evaluateThreshold(parseThreshold('longpoll.fanout.p50 / websocket.fanout.p50 > 11'), report).message,
    'longpoll.fanout.p50 / websocket.fanout.p50 = 9.999, expected > 11 (longpoll.fanout.p50 = 504.6 ms, websocket.fanout.p50 = 50.463 ms)',
  );
  const r = evaluateThreshold(parseThreshold('fanout.p99 < 1us'), report);
  assert.equal(r.value, 99.071);
  assert.equal(r.dim, 'duration');
});

test('a metric that cannot be read fails the threshold instead of passing silently', () => {
  const noPoll = evaluateThreshold(parseThreshold('poll.fanout.p99 < 1s'), report);
  assert.equal(noPoll.passed, false);
  assert.match(noPoll.message, /cannot evaluate \(no poll results in the report\)/);
  const empty = fakeReport({ websocket: { fanoutMs: [] } });
  const noSamples = evaluateThreshold(parseThreshold('fanout.p99 < 1s'), empty);
  assert.equal(noSamples.passed, false);
  assert.match(noSamples.message, /fanout\.p99: no samples/);
  const zero = fakeReport({ websocket: { fanoutMs: [1] }, longpoll: { deliveriesPerSec: 0 } });
  assert.match(
    evaluateThreshold(parseThreshold('throughput.deliveriesPerSec / longpoll.throughput.deliveriesPerSec > 1'), zero).message,
    /division by zero/,
  );
});

const broken: [string, number, RegExp][] = [
  ['', 0, /empty threshold/],
  ['fanout.p99', 10, /expected a comparison .* but found the end/],
  ['fanout.p99 <', 12, /expected a metric or a number but found the end/],
  ['fanout.p99 < 50 ms', 16, /unexpected "ms" after the comparison/],
  ['fanout.p99 < 50xs', 15, /unknown unit "xs"/],
  ['fanout.p99 = 50ms', 11, /"=" is not an operator \(use == to compare\)/],
  ['fanout.p98 < 50ms', 0, /unknown metric "fanout\.p98" \(did you mean fanout\.p9[09]\?\)/],
  ['websocket.fanuot.p99 < 1s', 0, /unknown metric "websocket\.fanuot\.p99" \(did you mean fanout\.p99\?\)/],
  ['delivery.lost < 5ms', 16, /cannot compare a count and a latency/],
  ['fanout.p99 < 1%', 13, /cannot compare a latency and a percentage/],
  ['fanout.p99 + delivery.lost < 5', 13, /cannot add a latency and a count/],
  ['1 < 2', 0, /must name at least one metric/],
  ['(fanout.p99 < 5', 12, /expected "\)" but found "<"/],
  ['fanout.p99 < 5 & 3', 15, /unexpected character "&"/],
  ['fanout.p99 << 5', 12, /expected a metric or a number but found "<"/],
];

for (const [expression, offset, message] of broken) {
  test(`bad threshold ${JSON.stringify(expression)} → error at ${offset}`, () => {
    assert.throws(
      () => parseThreshold(expression),
      (e: unknown) => {
        assert.ok(e instanceof ThresholdSyntaxError, String(e));
        assert.match(e.message, message);
        assert.equal(e.offset, offset, e.message);
        return true;
      },
    );
  });
}

test('tokens carry positions; k/M multiply, units stay', () => {
  const tokens = tokenize('a.b<=2k');
  assert.deepEqual(
    tokens.map((t) => [t.type, t.pos, t.end]),
    [
      ['ident', 0, 3],
      ['op', 3, 5],
      ['number', 5, 7],
      ['end', 7, 7],
    ],
  );
  const n = tokens[2]!;
  assert.ok(n.type === 'number' && n.value === 2000 && n.unit === null);
});

test('compileThreshold: a bad flag names the flag; a bad scenario entry its file:line:column', () => {
  assert.throws(
    () => compileThreshold({ expression: 'fanout.p99 < 5xs', location: { key: '--threshold' } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === '--threshold: "fanout.p99 < 5xs": unknown unit "xs" (use us, ms, s, % or a k/M multiplier) (at character 15)' &&
      e.exitCode === 2,
  );
  assert.throws(
    () => compileThreshold({ expression: 'fanout.p99 < 5xs', location: { file: 'ci.yaml', line: 3, column: 5, key: 'thresholds[0]' } }),
    (e: unknown) => e instanceof ConfigError && e.message.startsWith('ci.yaml:3:19: thresholds[0]: unknown unit "xs"'),
  );
});

const scenarioBase = 'clients: { connections: 1 }\npublish: { rate: 1, duration: 1s }\n';
const scenarioCases: [string, string, RegExp][] = [
  ['plain scalar', 'thresholds:\n  - fanout.p99 < 5xs\n', /^scn\.yaml:4:19: thresholds\[0\]: unknown unit "xs"/],
  ['double-quoted', 'thresholds:\n  - "fanout.p99 < 5xs"\n', /^scn\.yaml:4:20: thresholds\[0\]: unknown unit "xs"/],
  [
    'flow list',
    'thresholds: ["delivery.lost == 0", \'fanout.p98 < 1s\']\n',
    /^scn\.yaml:3:37: thresholds\[1\]: unknown metric "fanout\.p98"/,
  ],
  ['not a list', 'thresholds: fanout.p99 < 5ms\n', /^scn\.yaml:3:13: thresholds: expected array/],
  ['bad tolerance', 'baseline:\n  maxRegression: ten\n', /^scn\.yaml:4:18: baseline\.maxRegression: "ten" is not a tolerance/],
  [
    'unknown baseline metric',
    'baseline:\n  metrics:\n    fanout.p98: 20%\n',
    /^scn\.yaml:5:\d+: baseline\.metrics\.fanout\.p98: unknown metric/,
  ],
];
for (const [name, extra, says] of scenarioCases) {
  test(`scenario thresholds/baseline error (${name}) points at the spot`, () => {
    assert.throws(
      () => parseScenarioText(scenarioBase + extra, 'scn.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, says);
        return true;
      },
    );
  });
}

test('scenario thresholds and baseline settings parse', () => {
  const s = parseScenarioText(
    scenarioBase + 'thresholds:\n  - fanout.p99 < 50ms\nbaseline:\n  metrics: { fanout.p99: 25%, delivery.lostRatio: "off" }\n',
    'scn.yaml',
  );
  assert.deepEqual(s.thresholds, ['fanout.p99 < 50ms']);
  assert.deepEqual(s.baseline, { maxRegression: 0.1, metrics: { 'fanout.p99': 0.25, 'delivery.lostRatio': 'off' } });
  assert.deepEqual(parseScenarioText(scenarioBase, 'scn.yaml').thresholds, []);
});

/** What a run with events adds to a transport's report. */
const reconnects = {
  count: 1000,
  failed: 3,
  dropped: 1000,
  timeToReconnectMs: { p50: 900, p99: 1980, max: 2010 },
  allReconnectedMs: 2010,
  events: [],
  histogram: '',
};

test('metric catalog: every metric reads a number from a full report and formats it', () => {
  for (const [name, def] of METRICS) {
    const found = lookupMetric(name);
    assert.ok(found.ok, name);
    const value = def.read({ ...report.transports.websocket!, reconnects });
    assert.equal(typeof value, 'number', name);
    assert.notEqual(formatValue(value!, def.dim), '', name);
  }
  const lp = lookupMetric('longpoll.fanout.p50');
  assert.ok(lp.ok && lp.ref.transport === 'longpoll' && lp.ref.def.name === 'fanout.p50');
});

test('reconnect metrics: read from reconnects, and cannot pass without it or when some client never came back', () => {
  const withStorm = { ...report, transports: { websocket: { ...report.transports.websocket!, reconnects } } };
  const cases: [expression: string, passed: boolean][] = [
    ['reconnects.count == 1000', true],
    ['reconnects.count == reconnects.dropped', true],
    ['reconnects.failed == 0', false],
    ['reconnects.allReconnectedMs < 3s', true],
    ['reconnects.timeToReconnect.p99 < 2s', true],
    ['reconnects.timeToReconnect.max < 2s', false],
    ['delivery.notOwed == 0', true],
  ];
  for (const [expression, passed] of cases)
    assert.equal(evaluateThreshold(parseThreshold(expression), withStorm).passed, passed, expression);
  assert.equal(evaluateThreshold(parseThreshold('reconnects.count == 0'), report).passed, false, 'no events: no reconnect figures');
  const notBack = {
    ...report,
    transports: { websocket: { ...report.transports.websocket!, reconnects: { ...reconnects, allReconnectedMs: null } } },
  };
  assert.equal(evaluateThreshold(parseThreshold('reconnects.allReconnectedMs < 3600s'), notBack).passed, false);
});
