/**
 * The engine's timeline end to end, with real processes (redis-server, the reference server or a
 * relay, client workers, the CLI):
 * - the quickstart writes a timeline whose intervals add up exactly to the run's totals, NDJSON
 *   gets one `interval` event per interval, and HdrHistogram's own HistogramLogProcessor reads the
 *   .hlog with one line per interval;
 * - against a relay that stalls its event loop for 300 ms every 2 s, the intervals in which the
 *   delayed messages were due show it (p99 ≥ 200 ms), the others do not. Which intervals those are
 *   comes from the relay's own log of its stalls, on the clock every process of the host shares.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenarioText } from '../../src/config/load.js';
import type { EngineEvent, IntervalEvent } from '../../src/engine/events.js';
import { runEngine } from '../../src/engine/runner.js';
import { monotonicMs } from '../../src/metrics/clock.js';
import { decodeHistogram } from '../../src/metrics/histogram.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RunReport, TimelineInterval, TransportReport } from '../../src/results/types.js';
import { startStallRelay, type StallRelay } from '../fixtures/stall-relay.js';
import { runCli } from '../helpers/cli.js';
import { processLogRows } from '../helpers/hdr-log-processor.js';
import { leftoverChildren } from '../helpers/processes.js';
import { startTestRedis } from '../helpers/redis.js';

let redis: EmbeddedRedis;
let dir: string;
let relay: StallRelay | undefined;

before(async () => {
  redis = await startTestRedis();
  dir = await mkdtemp(join(tmpdir(), 'wsbench-timeline-'));
});

after(async () => {
  await relay?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sum = (intervals: readonly TimelineInterval[], f: (i: TimelineInterval) => number) => intervals.reduce((a, i) => a + f(i), 0);

/** Everything a timeline must add up to, whatever the run. */
function assertAddsUp(t: TransportReport): void {
  const timeline = t.timeline!;
  const { intervals, intervalMs } = timeline;
  intervals.forEach((i, k) => {
    assert.equal(i.startMs % intervalMs, 0, 'on the grid from the run start');
    if (k > 0) assert.equal(i.startMs, intervals[k - 1]!.startMs + intervalMs, 'one interval after the other');
    assert.equal(decodeHistogram(i.histogram).totalCount, i.fanoutLatencyMs.count);
  });
  assert.equal(
    sum(intervals, (i) => i.fanoutLatencyMs.count),
    t.fanoutLatencyMs.count,
    'measured deliveries: each in exactly one interval',
  );
  assert.equal(
    sum(intervals, (i) => i.deliveries),
    t.delivery.delivered,
    'deliveries add up to delivery.delivered',
  );
  assert.equal(
    sum(intervals, (i) => i.lost),
    t.delivery.lost,
    'lost adds up',
  );
  assert.equal(
    sum(intervals, (i) => i.publishes),
    t.throughput.publishes,
    'publishes add up',
  );
  assert.equal(
    sum(intervals, (i) => i.connect?.count ?? 0),
    t.connectLatencyMs.count,
    'handshakes add up',
  );
  const first = sum(intervals, (i) => (i.recipientHistograms ? decodeHistogram(i.recipientHistograms.first).totalCount : 0));
  const last = sum(intervals, (i) => (i.recipientHistograms ? decodeHistogram(i.recipientHistograms.last).totalCount : 0));
  assert.equal(first, t.firstRecipientLatencyMs.count, 'first recipient adds up');
  assert.equal(last, t.lastRecipientLatencyMs.count, 'last recipient adds up');
  assert.equal(Math.max(...intervals.map((i) => i.fanoutLatencyMs.max)), t.fanoutLatencyMs.max, 'the same max');
}

test('quickstart --out --html --hlog: one interval per second of publishing, intervals add up, NDJSON and HistogramLogProcessor agree', async () => {
  const out = join(dir, 'r.json');
  const html = join(dir, 'r.html');
  const hlog = join(dir, 'r.hlog');
  const result = await runCli(
    [
      'run',
      'scenarios/quickstart.yaml',
      ...['-c', '50', '-d', '5s', '--redis', redis.url, '--out', out, '--html', html, '--hlog', hlog, '--json'],
    ],
    { timeoutMs: 90_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const { intervals, intervalMs } = ws.timeline!;
  assert.equal(intervalMs, 1000, 'report.interval defaults to 1 s');
  assertAddsUp(ws);
  assert.equal(ws.delivery.lost, 0);

  // 1 s of warm-up and 5 s measured (quickstart's warm-up, -d 5s), on a grid that starts at the run's start.
  const withPublishes = intervals.filter((i) => i.publishes > 0).length;
  const measured = intervals.filter((i) => i.fanoutLatencyMs.count > 0).length;
  assert.ok(Math.abs(withPublishes - 6) <= 1, `${withPublishes} intervals with publishes for 6 s of publishing`);
  assert.ok(Math.abs(measured - 5) <= 1, `${measured} intervals with measured deliveries for 5 s measured`);
  const publishing = ws.phases.find((p) => p.name === 'publishing')!;
  const inside = intervals.filter((i) => i.startMs >= publishing.startMs && i.startMs + intervalMs <= publishing.endMs);
  assert.ok(inside.length >= 3);
  for (const i of inside) assert.equal(i.connectionsOpen, 50, `${i.startMs}: every connection open at its end`);
  assert.equal(intervals.at(-1)!.connectionsOpen, 0, 'all closed at the end');
  assert.ok(
    intervals.some((i) => i.tool.cpuPercent > 0),
    'the tool’s load per interval',
  );
  assert.deepEqual(
    [...new Set(intervals.map((i) => i.phase))].filter((p) => p === 'connecting' || p === 'publishing'),
    ['connecting', 'publishing'],
  );

  // NDJSON: one interval event per interval of the report, in order, with the report's fields.
  const events = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as EngineEvent | { type: 'report' });
  const live = events.filter((e): e is IntervalEvent => e.type === 'interval');
  assert.deepEqual(
    live.map((e) => e.startMs),
    intervals.map((i) => i.startMs),
  );
  for (const [k, e] of live.entries()) {
    const { type, transport, elapsedMs, intervalMs: length, ...fields } = e;
    assert.deepEqual([type, transport, length], ['interval', 'websocket', 1000]);
    assert.ok(k === 0 || elapsedMs >= live[k - 1]!.elapsedMs, 'sent in order');
    assert.deepEqual(Object.keys(fields).sort(), Object.keys(intervals[k]!).sort(), 'the same fields as the report');
    assert.ok(fields.fanoutLatencyMs.count <= intervals[k]!.fanoutLatencyMs.count, 'the report has everything, live what had arrived');
  }

  // HdrHistogram's own reader: one untagged (fan-out) line per interval, adding up to the run.
  const rows = await processLogRows(hlog, join(dir, 'processed'));
  assert.equal(rows.length, intervals.length, 'one line per interval');
  assert.deepEqual(
    rows.map((r) => r[1]),
    intervals.map((i) => i.fanoutLatencyMs.count),
  );
  assert.equal(rows.at(-1)![5], ws.fanoutLatencyMs.count);
  const page = await readFile(html, 'utf8');
  assert.ok(page.includes(report.run.id), 'the HTML report of the run');
});

test('a relay that stalls 300 ms every 2 s: the intervals the stalled messages were due in show it, the others do not', async () => {
  relay = await startStallRelay(redis.url, { stallMs: 300, everyMs: 2000 });
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${relay.url}"
  redisChannel: "stall:{channel}"
  readiness: { numsub: 1 }
clients: { connections: 20 }
publish: { rate: 200/s, duration: 9s }
warmup: 1s
drain: 2s
report: { interval: 500ms }
`,
    'stall.yaml',
  );
  // The run's axis on the shared clock: events carry ms since the run's start and are emitted synchronously.
  let originMs: number | null = null;
  const events: EngineEvent[] = [];
  const report = await runEngine(scenario, {
    workers: 1,
    onEvent: (e) => {
      if (e.type === 'phase' && originMs === null) originMs = monotonicMs() - e.elapsedMs;
      events.push(e);
    },
  });
  const stalls = relay.stalls().map((s) => ({ startMs: s.startMs - originMs!, endMs: s.endMs - originMs! }));
  await relay.close();
  relay = undefined;

  const ws = report.transports.websocket!;
  assert.equal(report.run.completed, true, report.run.stopReason);
  assert.equal(ws.timeline!.intervalMs, 500);
  assertAddsUp(ws);
  assert.equal(ws.delivery.lost, 0, 'a stall delays, it loses nothing');

  // (The warm-up keeps the first, cold messages of a fresh relay and workers out of the figures.)
  // Messages due during a stall [a, b) wait until b: those due in [a, b − 200 ms] are ≥ 200 ms late. An
  // interval holding ≥ 25 ms of that (≥ 5 % of its messages) has p99 ≥ 200 ms. An interval no stall
  // comes near (50 ms either side, for delivery and the relay catching up) holds none: its p99 stays
  // at the base latency, well under the stall's mark (on an idle machine a few ms; the bound leaves
  // room for a machine shared with other work).
  const length = ws.timeline!.intervalMs;
  const overlap = (from: number, to: number, i: TimelineInterval) =>
    Math.max(0, Math.min(to, i.startMs + length) - Math.max(from, i.startMs));
  // Intervals in which messages were due throughout (not the first or last of publishing).
  const full = (200 * length) / 1000;
  const measured = ws.timeline!.intervals.filter((i) => i.publishes === full && i.fanoutLatencyMs.count === full * 20);
  const stalled = measured.filter((i) => stalls.some((s) => overlap(s.startMs, s.endMs - 200, i) >= 25));
  const clean = measured.filter((i) => stalls.every((s) => overlap(s.startMs - 50, s.endMs + 50, i) === 0));
  const show = (list: TimelineInterval[]) => list.map((i) => `${i.startMs}: p99 ${i.fanoutLatencyMs.p99}`).join(', ');
  const context = `stalls ${JSON.stringify(stalls.map((s) => [Math.round(s.startMs), Math.round(s.endMs)]))}; stalled ${show(stalled)}; clean ${show(clean)}`;
  assert.ok(stalled.length >= 3, `several intervals hold a stall: ${context}`);
  assert.ok(clean.length >= 3, `several do not: ${context}`);
  for (const i of stalled) assert.ok(i.fanoutLatencyMs.p99 >= 200, `interval at ${i.startMs} ms holds a stall: ${context}`);
  for (const i of clean) assert.ok(i.fanoutLatencyMs.p99 < 200, `interval at ${i.startMs} ms holds none: ${context}`);

  // Live: the same intervals went out as events while the run went on.
  const live = events.filter((e): e is IntervalEvent => e.type === 'interval');
  assert.deepEqual(
    live.map((e) => e.startMs),
    ws.timeline!.intervals.map((i) => i.startMs),
  );
  assert.deepEqual(leftoverChildren([redis.pid]), [], 'no child process left');
});
