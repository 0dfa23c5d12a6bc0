/**
 * Slow consumers (clients.slow), the pure parts: the units, which clients are slow, the reading
 * pacer, the scenario rules, and adding up the report's classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteRatePerSec, parseFraction } from '../../src/config/units.js';
import { isSlowClient, readThrottleOf, slowClientCount } from '../../src/config/slow-clients.js';
import { ReadPacer, type ReadThrottle } from '../../src/transports/read-throttle.js';
import { parseScenarioText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import {
  classReport,
  describeReadThrottle,
  emptyClassCounts,
  mergeClassReports,
  type ClientClassCounts,
} from '../../src/results/client-classes.js';
import { createHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';
import { plainWorkerPlans } from '../helpers/worker-plans.js';
import { classLines } from '../../src/reporters/class-text.js';
import { scenarioFacts } from '../../src/api/scenario-facts.js';
import type { TimelineInterval } from '../../src/results/types.js';

test('byte rates', () => {
  const cases: [string | number, number | undefined][] = [
    ['16KiB/s', 16384],
    ['16 KiB / s', 16384],
    ['1MB/s', 1_000_000],
    ['64kb/min', 64000 / 60],
    ['2048', 2048],
    [2048, 2048],
    ['512B/s', 512],
    ['1KiB/ms', 1024 * 1000],
    ['fast', undefined],
    ['16KiB/fortnight', undefined],
    ['/s', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases)
    assert.equal(parseByteRatePerSec(input), expected, `parseByteRatePerSec(${JSON.stringify(input)})`);
});

test('fractions', () => {
  const cases: [string | number, number | undefined][] = [
    ['5%', 0.05],
    [' 12.5 % ', 0.125],
    ['100%', 1],
    [0.05, 0.05],
    ['-5%', -0.05],
    ['5', undefined],
    ['five percent', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(parseFraction(input), expected, `parseFraction(${JSON.stringify(input)})`);
});

test('slow client count: the fraction of the connections rounded, at least one, at most all', () => {
  const cases: [number, number, number][] = [
    // fraction, connections, slow
    [0.05, 200, 10],
    [0.05, 10, 1],
    [0.001, 10, 1],
    [0.5, 3, 2],
    [1, 7, 7],
    [0.125, 1000, 125],
  ];
  for (const [fraction, connections, slow] of cases)
    assert.equal(slowClientCount(fraction, connections), slow, `${fraction} of ${connections}`);
});

test('slow clients: exactly that many, spread evenly over the indices', () => {
  const cases: { total: number; slow: number; indices: number[] }[] = [
    { total: 20, slow: 1, indices: [19] },
    { total: 20, slow: 2, indices: [9, 19] },
    { total: 10, slow: 3, indices: [3, 6, 9] },
    { total: 5, slow: 5, indices: [0, 1, 2, 3, 4] },
    { total: 200, slow: 10, indices: [19, 39, 59, 79, 99, 119, 139, 159, 179, 199] },
  ];
  for (const { total, slow, indices } of cases) {
    const found = Array.from({ length: total }, (_, i) => i).filter((i) => isSlowClient(i, total, slow));
    assert.deepEqual(found, indices, `${slow} of ${total}`);
  }
});

test('read pacer: reads at most the rate, then waits until the bytes are paid for', () => {
  type Step = [bytes: number, at: number, wait: number];
  const cases: { name: string; throttle: ReadThrottle; steps: Step[] }[] = [
    {
      name: '1000 B/s: every read is paid for after it',
      throttle: { bytesPerSec: 1000 },
      steps: [
        [100, 0, 100],
        [100, 100, 100],
        [500, 200, 500],
        // idle for a while: no credit is saved up, the next read starts from now
        [100, 5000, 100],
      ],
    },
    {
      name: 'a read while still paying (a transport that cannot stop at once) adds to the debt',
      throttle: { bytesPerSec: 1000 },
      steps: [
        [1000, 0, 1000],
        [1000, 10, 1990],
      ],
    },
    {
      name: 'pauses of 200 ms every 1000 ms of reading',
      throttle: { pauseEveryMs: 1000, pauseForMs: 200 },
      steps: [
        [10, 0, 0],
        [10, 999, 0],
        [10, 1000, 200],
        [10, 1200, 0],
        [10, 2199, 0],
        [10, 2200, 200],
        // nothing read for a long while: the next read pauses at once
        [10, 9000, 200],
      ],
    },
  ];
  for (const { name, throttle, steps } of cases) {
    const pacer = new ReadPacer(throttle);
    for (const [bytes, at, wait] of steps) assert.equal(pacer.afterRead(bytes, at), wait, `${name}: read of ${bytes} at ${at}`);
  }
});

test('read pacer: reads of about a tenth of a second of the rate, within bounds', () => {
  const cases: [ReadThrottle, number][] = [
    [{ bytesPerSec: 16384 }, 1638],
    [{ bytesPerSec: 100 }, 512],
    [{ bytesPerSec: 100_000_000 }, 256 * 1024],
    [{ pauseEveryMs: 100, pauseForMs: 100 }, 0],
  ];
  for (const [throttle, bytes] of cases) assert.equal(new ReadPacer(throttle).readBytes, bytes, describeReadThrottle(throttle));
});

const BASE = `clients:
  connections: 200
publish:
  rate: 100/s
  duration: 2s
`;

function rejected(text: string): string {
  try {
    parseScenarioText(text, 'scn.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('expected the scenario to be rejected');
}

test('clients.slow in a scenario: the settings as the transports get them', () => {
  const cases: [string, ReadThrottle, number][] = [
    ['{ fraction: 5%, readRate: 16KiB/s }', { bytesPerSec: 16384 }, 0.05],
    ['{ fraction: 0.1, readRate: 2000 }', { bytesPerSec: 2000 }, 0.1],
    ['{ fraction: "1%", pauseEvery: 1s, pauseFor: 250ms }', { pauseEveryMs: 1000, pauseForMs: 250 }, 0.01],
  ];
  for (const [slow, throttle, fraction] of cases) {
    const scenario = parseScenarioText(BASE.replace('connections: 200', `connections: 200\n  slow: ${slow}`), 'scn.yaml');
    assert.equal(scenario.clients.slow!.fraction, fraction, slow);
    assert.deepEqual(readThrottleOf(scenario.clients.slow!), throttle, slow);
  }
});

test('clients.slow mistakes: one line naming where and what', () => {
  const cases: [string, RegExp][] = [
    ['{ fraction: 5% }', /scn\.yaml:3:9: clients\.slow: says how slow clients read: readRate .* or pauseEvery and pauseFor/],
    [
      '{ fraction: 5%, readRate: 1KiB/s, pauseEvery: 1s, pauseFor: 1s }',
      /clients\.slow\.readRate: .*either at a readRate or with pauseEvery\/pauseFor/,
    ],
    ['{ fraction: 5%, pauseEvery: 1s }', /clients\.slow\.pauseFor: pauseEvery and pauseFor go together/],
    ['{ fraction: 0%, readRate: 1KiB/s }', /clients\.slow\.fraction: "0%": must be greater than zero/],
    ['{ fraction: 150%, readRate: 1KiB/s }', /clients\.slow\.fraction: "150%": must be at most 100%/],
    ['{ fraction: many, readRate: 1KiB/s }', /clients\.slow\.fraction: "many" is not a fraction/],
    ['{ fraction: 5%, readRate: quickly }', /clients\.slow\.readRate: "quickly" is not a byte rate/],
    ['{ fraction: 5%, readRate: 0.5 }', /clients\.slow\.readRate: 0\.5: must be at least 1 byte per second/],
    ['{ fraction: 5%, readRate: 1KiB/s, speed: 3 }', /scn\.yaml:3:43: clients\.slow\.speed: unknown key "speed"/],
  ];
  for (const [slow, says] of cases) {
    const message = rejected(BASE.replace('connections: 200', `connections: 200\n  slow: ${slow}`));
    assert.match(message, says, slow);
  }
  const polling = rejected(
    BASE.replace('connections: 200', 'connections: 200\n  slow: { fraction: 5%, readRate: 1KiB/s }') +
      'transports: [websocket, longpoll]\n',
  );
  assert.match(
    polling,
    /scn\.yaml:7:25: transports\[1\]: "longpoll" clients cannot read slowly .* run clients\.slow with transports: \[websocket\]/,
  );
});

test('worker plans: the slow share and the reading for every worker', () => {
  const scenario = parseScenarioText(
    BASE.replace('connections: 200', 'connections: 200\n  slow: { fraction: 5%, readRate: 16KiB/s }'),
    'scn.yaml',
  );
  const plans = plainWorkerPlans(
    { ...scenario, channelNames: ['bench'], encoding: 'binary' },
    { urlTemplate: 'ws://127.0.0.1:1/ws/{channel}', workers: 3 },
  );
  for (const plan of plans) assert.deepEqual(plan.slow, { clients: 10, readThrottle: { bytesPerSec: 16384 } });
  // Each worker's clients are every workers-th global index from its first (interleaved): the slow
  // ones among them, 10 in all, spread over the workers.
  const slowPerWorker = plans.map(
    (p) =>
      Array.from({ length: p.clientCount }, (_, j) => p.firstClient + j * p.clientStride).filter((i) => isSlowClient(i, 200, 10)).length,
  );
  assert.deepEqual(slowPerWorker, [3, 4, 3]);
});

function counts(over: Partial<ClientClassCounts> & { latencies?: number[] }): ClientClassCounts {
  const h = createHistogram();
  for (const ms of over.latencies ?? []) recordMs(h, ms);
  const { latencies: _latencies, ...rest } = over;
  return { ...emptyClassCounts(0), ...rest, fanout: encodeHistogram(h) };
}

test('classes: the workers add up, ratios from the sums', () => {
  const delivery = (expected: number, delivered: number) => ({
    expected,
    delivered,
    lost: expected - delivered,
    unpublished: 0,
    notOwed: 0,
    duplicated: 0,
    reordered: 0,
    ignored: 0,
  });
  const report = classReport(
    [
      counts({
        clients: 3,
        opened: 3,
        delivery: delivery(300, 150),
        errors: { 'socket.dropped-1013': 1 },
        closedEarly: 1,
        closesByCode: { 1013: 1 },
        latencies: [100, 200],
      }),
      counts({
        clients: 2,
        opened: 1,
        failed: 1,
        delivery: delivery(100, 50),
        closedEarly: 1,
        closesByCode: { 1013: 1 },
        latencies: [300],
      }),
      emptyClassCounts(0),
    ],
    { bytesPerSec: 1024 },
  );
  assert.equal(report.clients, 5);
  assert.deepEqual(report.connections, { opened: 4, failed: 1, closedEarly: 2 });
  assert.deepEqual(report.delivery, { ...delivery(400, 200), lostRatio: 0.5, deliveryRatio: 0.5 });
  assert.deepEqual(report.errors, { 'socket.dropped-1013': 1 });
  assert.deepEqual(report.closesByCode, { 1013: 2 });
  assert.equal(report.fanoutLatencyMs.count, 3);
  assert.ok(Math.abs(report.fanoutLatencyMs.max - 300) < 1);
  assert.deepEqual(report.readThrottle, { bytesPerSec: 1024 });

  const empty = classReport([], null);
  assert.equal(empty.delivery.deliveryRatio, 1, 'nothing expected: nothing missing');
  assert.equal(empty.fanoutLatencyMs.count, 0);

  // Two runs: per-run means, ratios pooled, histograms added.
  const other = classReport([counts({ clients: 5, opened: 5, delivery: delivery(400, 400), latencies: [10] })], { bytesPerSec: 1024 });
  const merged = mergeClassReports([
    { normal: other, slow: report },
    { normal: other, slow: other },
  ]);
  assert.equal(merged.slow.delivery.expected, 400);
  assert.equal(merged.slow.delivery.delivered, 300);
  assert.equal(merged.slow.delivery.lostRatio, 0.25);
  assert.deepEqual(merged.slow.closesByCode, { 1013: 1 });
  assert.deepEqual(merged.slow.connections, { opened: 4.5, failed: 0.5, closedEarly: 1 });
  assert.equal(merged.slow.fanoutLatencyMs.count, 4);
  assert.equal(merged.normal.fanoutLatencyMs.count, 2);
});

test('text summary: a line per class and the server’s memory, only when the report has them', () => {
  const delivery = { expected: 100, delivered: 40, lost: 60, unpublished: 0, notOwed: 0, duplicated: 0, reordered: 0, ignored: 0 };
  const slow = classReport(
    [
      counts({
        clients: 2,
        opened: 2,
        delivery,
        closedEarly: 1,
        closesByCode: { 1013: 1 },
        errors: { 'socket.dropped-1013': 1 },
        latencies: [900],
      }),
    ],
    { bytesPerSec: 16384 },
  );
  const normal = classReport([counts({ clients: 8, opened: 8, delivery: { ...delivery, delivered: 100, lost: 0 }, latencies: [2] })], null);
  const sample = {
    rssBytes: 80 * 1024 * 1024,
    heapUsedBytes: 10 * 1024 * 1024,
    bufferedBytes: 2048,
    maxClientBufferedBytes: 1024,
    slowClientsDropped: 1,
  };
  const lines = classLines({ classes: { normal, slow }, timeline: { intervalMs: 1000, intervals: [] } });
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /^ {2}class normal {2}8 clients · 100\/100 \(100\.000%\) · lost 0 · fan-out p50 2(\.\d+)? p99 2(\.\d+)? max 2(\.\d+)? · errors 0 · closes none$/,
  );
  assert.match(
    lines[1]!,
    /^ {2}class slow {4}2 clients \(reads at most 16384 B\/s\) · 40\/100 \(40\.000%\) · lost 60 · fan-out p50 9\d\d.* · errors 1 · closes 1013 ×1$/,
  );
  const withServer = classLines({
    timeline: { intervalMs: 1000, intervals: [{ ...classFreeInterval(), server: sample }, classFreeInterval()] },
  });
  assert.deepEqual(withServer, [
    '  server memory RSS max 80 MiB · heap max 10 MiB · queued for clients max 2 KiB (one client 1 KiB) · 1 dropped as too slow',
  ]);
  assert.deepEqual(classLines({}), []);
});

function classFreeInterval(): TimelineInterval {
  const empty = encodeHistogram(createHistogram());
  return {
    startMs: 0,
    phase: 'publishing',
    connectionsOpen: 0,
    publishes: 0,
    deliveries: 0,
    lost: 0,
    errors: 0,
    fanoutLatencyMs: { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
    histogram: empty,
    tool: { cpuPercent: 0, eventLoopDelayP99Ms: 0 },
  };
}

test('compare and --baseline: slow consumers are a fact of the scenario', () => {
  const facts = (slow: string | null) =>
    scenarioFacts(parseScenarioText(slow ? BASE.replace('connections: 200', `connections: 200\n  slow: ${slow}`) : BASE, 'scn.yaml'));
  const cases: [string | null, string | undefined][] = [
    [null, undefined],
    ['{ fraction: 5%, readRate: 16KiB/s }', '5% reads at most 16384 B/s'],
    ['{ fraction: 0.125, pauseEvery: 2s, pauseFor: 100ms }', '12.5% pauses 100 ms every 2000 ms'],
  ];
  for (const [slow, fact] of cases) assert.equal(facts(slow)['clients.slow'], fact, String(slow));
});
