/**
 * The CI gate through the real CLI: thresholds failing with JUnit/Markdown outputs, `compare`
 * against a run through a relay with injected latency, --abort-on-fail, --repeat with .hlog, and
 * bad gate input as config errors. Real redis-server, real relays, real child processes; the
 * latency check injects +20 ms on a sub-millisecond baseline so noise cannot flip it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis } from '../helpers/redis.js';
import { startDelayRelay, type DelayRelay } from '../fixtures/delay-relay.js';
import { startFaultyRelay, HEARTBEAT, type FaultyRelay } from '../fixtures/faulty-relay.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RunReport } from '../../src/results/types.js';

let redis: EmbeddedRedis;
let fast: DelayRelay;
let slow: DelayRelay;
let faulty: FaultyRelay;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsbench-gate-'));
  redis = await startTestRedis();
  fast = await startDelayRelay(redis.url, 0);
  slow = await startDelayRelay(redis.url, 20);
  faulty = await startFaultyRelay(redis.url);
});
after(async () => {
  await fast?.close();
  await slow?.close();
  await faulty?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

const SMALL = `name: gate-small
clients: { connections: 10 }
publish: { rate: 100/s, duration: 1s }
drain: 1s
`;

function relayScenario(url: string): string {
  return `name: relay
redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${url}"
  redisChannel: "delay:{channel}"
  readiness: { numsub: 1 }
clients: { connections: 10 }
publish: { rate: 100/s, duration: 1s }
warmup: 300ms
drain: 1s
`;
}

test('an impossible threshold: exit 1, one failing JUnit testcase with metric and value, listed in the Markdown and the step summary', async () => {
  const file = join(dir, 'impossible.yaml');
  await writeFile(
    file,
    SMALL +
      `thresholds:
  - fanout.p50 < 1us
  - delivery.lostRatio < 50%
  - fanout.p99 < 60s
`,
  );
  const junit = join(dir, 'impossible.xml');
  const markdown = join(dir, 'impossible.md');
  const out = join(dir, 'impossible.json');
  const stepSummary = join(dir, 'step-summary.md');
  await writeFile(stepSummary, '# earlier step\n');
  const result = await runCli(['run', file, '-q', '--junit', junit, '--markdown', markdown, '--out', out], {
    timeoutMs: 60_000,
    env: { GITHUB_STEP_SUMMARY: stepSummary },
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /FAIL {2}fanout\.p50 < 1us\s+fanout\.p50 = [\d.]+ ms, expected < 0\.001 ms/);
  assert.match(result.stdout, /gate: FAILED/);

  const xml = await readFile(junit, 'utf8');
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
  assert.match(xml, /<testsuite name="wsbench thresholds" tests="3" failures="1"/);
  const failures = [
    ...xml.matchAll(/<testcase classname="wsbench\.thresholds" name="([^"]*)"[^>]*>\s*<failure type="threshold" message="([^"]*)"/g),
  ];
  assert.equal(failures.length, 1, xml);
  assert.equal(failures[0]![1], 'fanout.p50 &lt; 1us');
  assert.match(failures[0]![2]!, /^fanout\.p50 = [\d.]+ ms, expected &lt; 0\.001 ms$/);
  assert.equal((xml.match(/<failure /g) ?? []).length, 1);

  const md = await readFile(markdown, 'utf8');
  assert.match(md, /## wsbench ❌ failed: gate-small/);
  assert.match(md, /\| ❌ \| `fanout\.p50 < 1us` \| fanout\.p50 = [\d.]+ ms, expected &lt; 0\.001 ms \|/);
  assert.match(md, /\| ✅ \| `fanout\.p99 < 60s` \|/);
  const summary = await readFile(stepSummary, 'utf8');
  assert.ok(summary.startsWith('# earlier step\n'), 'appended, not overwritten');
  assert.ok(summary.includes(md), 'the Markdown is appended to $GITHUB_STEP_SUMMARY');

  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  assert.equal(report.gate?.passed, false);
  assert.deepEqual(
    report.gate?.thresholds.map((t) => [t.expression, t.passed]),
    [
      ['fanout.p50 < 1us', false],
      ['delivery.lostRatio < 50%', true],
      ['fanout.p99 < 60s', true],
    ],
  );
});

test('compare: a report against itself passes; a run through a relay delaying +20 ms fails naming fan-out latency', async () => {
  const fastFile = join(dir, 'fast.yaml');
  const slowFile = join(dir, 'slow.yaml');
  await writeFile(fastFile, relayScenario(fast.url));
  await writeFile(slowFile, relayScenario(slow.url));
  const base = join(dir, 'base.json');
  const cur = join(dir, 'cur.json');
  const junit = join(dir, 'baseline.xml');

  const baseRun = await runCli(['run', fastFile, '-q', '--out', base], { timeoutMs: 60_000 });
  assert.equal(baseRun.code, 0, baseRun.stderr);
  // The delayed run gated by --baseline directly: exit 1.
  const slowRun = await runCli(['run', slowFile, '-q', '--out', cur, '--baseline', base, '--junit', junit], { timeoutMs: 60_000 });
  assert.equal(slowRun.code, 1, slowRun.stdout + slowRun.stderr);
  assert.match(slowRun.stdout, /! fanout\.p50 regressed: /);
  const xml = await readFile(junit, 'utf8');
  assert.match(
    xml,
    /<testcase classname="wsbench\.baseline" name="fanout\.p50" time="0">\s*<failure type="regression" message="fanout\.p50 regressed: [\d.]+ ms → [\d.]+ ms/,
  );

  const self = await runCli(['compare', base, base], { timeoutMs: 20_000 });
  assert.equal(self.code, 0, self.stdout + self.stderr);
  assert.match(self.stdout, /gate: passed/);
  assert.doesNotMatch(self.stdout, /regress/);

  const slower = await runCli(['compare', base, cur], { timeoutMs: 20_000 });
  assert.equal(slower.code, 1, slower.stdout + slower.stderr);
  assert.match(slower.stdout, /FAIL\s+fanout\.p50\s/);
  assert.match(
    slower.stdout,
    /! fanout\.p50 regressed: [\d.]+ ms → [\d.]+ ms \(\+[\d.]+% worse\), worse than the 10% tolerance and outside the noise of both sides/,
  );
  assert.match(slower.stdout, /gate: FAILED/);

  // The other way round the median is an improvement, which never fails the gate (tails are
  // left out here: a one-second run's p99 can hold a scheduling stall either way).
  const faster = await runCli(['compare', cur, base, '--max-regression', 'fanout.p99=off'], { timeoutMs: 20_000 });
  assert.equal(faster.code, 0, faster.stdout + faster.stderr);
  assert.match(faster.stdout, /fanout\.p50 .* improved/);
});

test('--abort-on-fail stops a run once a counter threshold is certainly broken (exit 1, partial report)', async () => {
  const file = join(dir, 'abort.yaml');
  const out = join(dir, 'abort.json');
  await writeFile(
    file,
    `redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${faulty.url}"
  redisChannel: "relay:{channel}"
  ignore: ["${HEARTBEAT}"]
clients: { connections: 4 }
publish: { rate: 100/s, duration: 60s, channels: [abort] }
thresholds:
  - delivery.duplicated == 0
`,
  );
  // Without the abort this run would publish for 60 s and hit the time limit.
  const result = await runCli(['run', file, '--abort-on-fail', '--out', out], { timeoutMs: 40_000 });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(
    result.stderr,
    /--abort-on-fail: threshold "delivery\.duplicated == 0" is broken: delivery\.duplicated reached \d+ and can only grow; stopping/,
  );
  assert.match(result.stdout, /NOT COMPLETED \(stopped by --abort-on-fail: threshold "delivery\.duplicated == 0" is broken/);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  assert.equal(report.run.completed, false);
  assert.match(report.gate?.abortedBy ?? '', /delivery\.duplicated/);
  assert.equal(report.gate?.passed, false);
});

test('--repeat 2 merges both runs from their histograms; the timeline and the HTML read as one run; the .hlog reads back with each run’s intervals in turn', async () => {
  const file = join(dir, 'repeat.yaml');
  const out = join(dir, 'repeat.json');
  const hlog = join(dir, 'repeat.hlog');
  const html = join(dir, 'repeat.html');
  await writeFile(file, SMALL.replace('duration: 1s', 'duration: 500ms') + `redis: { url: "${redis.url}" }\n`);
  const result = await runCli(['run', file, '--repeat', '2', '--out', out, '--hlog', hlog, '--html', html], { timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /run 1 of 2[\s\S]*run 2 of 2/);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  assert.equal(report.repeats?.length, 2);
  const ws = report.transports.websocket!;
  const perRun = report.repeats!.map((r) => r.transports.websocket!);
  assert.equal(ws.fanoutLatencyMs.count, perRun[0]!.fanoutLatencyMs.count + perRun[1]!.fanoutLatencyMs.count);
  // Counts read like one run of the scenario (per-run means), not the sum of both.
  assert.equal(ws.delivery.expected, (perRun[0]!.delivery.expected + perRun[1]!.delivery.expected) / 2);
  assert.equal(ws.connections.opened, 10);
  assert.equal(ws.connections.target, 10);
  // The merged timeline on the same scale: its counts add up to the merged (per-run mean) totals,
  // its histograms to every run's samples, and it never shows more than the 10 connections held.
  const intervals = ws.timeline!.intervals;
  const total = (f: (i: (typeof intervals)[number]) => number) => Math.round(intervals.reduce((a, i) => a + f(i), 0) * 1000) / 1000;
  assert.equal(
    total((i) => i.deliveries),
    ws.delivery.delivered,
  );
  assert.equal(
    total((i) => i.lost),
    ws.delivery.lost,
  );
  assert.equal(
    total((i) => i.fanoutLatencyMs.count),
    ws.fanoutLatencyMs.count,
  );
  assert.ok(Math.max(...intervals.map((i) => i.connectionsOpen)) <= 10);
  const page = await readFile(html, 'utf8');
  assert.match(page, /merged from 2 runs/);
  assert.match(page, /A report merged from several runs \(--repeat\) shows the runs’ mean/);

  const reader = new hdr.HistogramLogReader(await readFile(hlog, 'utf8'));
  const untagged: hdr.Histogram[] = [];
  const tags = new Set<string>();
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) {
    if (h.tag === 'NO TAG') untagged.push(h);
    else tags.add(h.tag);
  }
  // One untagged fan-out line per timeline interval of each run, the first run's first.
  const firstRun = perRun[0]!.timeline!.intervals.length;
  assert.equal(untagged.length, firstRun + perRun[1]!.timeline!.intervals.length, 'one untagged fan-out line per interval');
  const count = (lines: hdr.Histogram[]) => lines.reduce((a, h) => a + h.totalCount, 0);
  assert.deepEqual(
    [count(untagged.slice(0, firstRun)), count(untagged.slice(firstRun))],
    perRun.map((t) => t.fanoutLatencyMs.count),
  );
  // (A run's last interval may reach past its end, into the next run's first: they are in order by start.)
  assert.ok(untagged[firstRun - 1]!.startTimeStampMsec < untagged[firstRun]!.startTimeStampMsec, 'the second run comes after the first');
  assert.deepEqual([...tags].sort(), [
    'websocket.connect',
    'websocket.fanout',
    'websocket.firstRecipient',
    'websocket.lastRecipient',
    'websocket.publisherLag',
  ]);
});

test('bad gate input is a config error (exit 2) that points at it, before anything starts', async () => {
  const file = join(dir, 'bad-threshold.yaml');
  await writeFile(file, SMALL + 'thresholds:\n  - fanout.p99 < 50ms\n  - "fanout.p99 < 5 parsecs"\n');
  const inFile = await runCli(['run', file], { timeoutMs: 20_000 });
  assert.equal(inFile.code, 2, inFile.stderr);
  // Line 7: the string starts at column 6 (after `  - "`), the bad token at offset 15.
  assert.match(
    inFile.stderr,
    /^wsbench: error: .*bad-threshold\.yaml:7:21: thresholds\[1\]: unexpected "parsecs" after the comparison in "fanout\.p99 < 5 parsecs"\n$/,
  );

  const flag = await runCli(['run', '-c', '1', '-r', '1', '-d', '1s', '--threshold', 'fanout.p99 <'], { timeoutMs: 20_000 });
  assert.equal(flag.code, 2, flag.stderr);
  assert.match(
    flag.stderr,
    /^wsbench: error: --threshold: "fanout\.p99 <": expected a metric or a number but found the end \(at character 13\)\n$/,
  );

  const tolerance = await runCli(['run', '-c', '1', '-r', '1', '-d', '1s', '--max-regression', 'fanout.p99=lots'], { timeoutMs: 20_000 });
  assert.equal(tolerance.code, 2, tolerance.stderr);
  assert.match(tolerance.stderr, /--max-regression: "fanout\.p99=lots": expected a tolerance/);

  const missing = await runCli(['compare', join(dir, 'nope.json'), join(dir, 'nope2.json')], { timeoutMs: 20_000 });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: file not found/);
  await writeFile(join(dir, 'not-a-report.json'), '{"hello": 1}');
  const notReport = await runCli(['compare', join(dir, 'not-a-report.json'), join(dir, 'not-a-report.json')], { timeoutMs: 20_000 });
  assert.equal(notReport.code, 2);
  assert.match(notReport.stderr, /not-a-report\.json: not a wsbench report/);
});
