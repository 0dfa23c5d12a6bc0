/**
 * The real CLI as a user runs it: bin/wsbench.js in a child process, embedded redis-server, the
 * reference server, workers — and what is left afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { descendantsOf, isAlive, waitFor } from '../helpers/processes.js';
import { withTempDir } from '../helpers/temp-dir.js';
import type { RunReport } from '../../src/results/types.js';

const SMALL = `name: cli-small
clients: { connections: 20 }
publish: { rate: 100/s, duration: 1s }
drain: 1s
`;

test('run: embedded Redis + builtin server, summary on stdout, report with every field', () =>
  withTempDir('test', async (dir) => {
    const file = join(dir, 'small.yaml');
    const out = join(dir, 'r.json');
    await writeFile(file, SMALL);
    const result = await runCli(['run', file, '--out', out], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /fan-out\s+p50 [\d.]+\s+p90 [\d.]+\s+p99 [\d.]+/);
    assert.match(result.stdout, /delivery\s+2,000\/2,000 \(100\.000%\)/);
    assert.match(result.stderr, /publishing \(websocket\)/);
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    const ws = report.transports.websocket!;
    for (const key of ['p50', 'p90', 'p99', 'p999', 'max', 'mean', 'count'] as const)
      assert.equal(typeof ws.fanoutLatencyMs[key], 'number');
    for (const key of ['expected', 'delivered', 'lost', 'duplicated', 'reordered', 'ignored'] as const)
      assert.equal(typeof ws.delivery[key], 'number');
    assert.equal(ws.delivery.delivered, ws.delivery.expected);
    assert.equal(ws.delivery.expected, 2000);
    assert.equal(typeof ws.throughput.deliveriesPerSec, 'number');
    assert.equal(typeof ws.throughput.publishesPerSec, 'number');
    assert.equal(typeof ws.throughput.publisherLagMs.p99, 'number');
    assert.equal(typeof ws.connectLatencyMs.p50, 'number');
    assert.equal(typeof ws.firstRecipientLatencyMs.p99, 'number');
    assert.equal(typeof ws.lastRecipientLatencyMs.p99, 'number');
    assert.deepEqual(ws.errors, {});
    assert.equal(typeof ws.tool.maxCpuPercent, 'number');
    assert.equal(typeof ws.tool.maxEventLoopDelayP99Ms, 'number');
    assert.deepEqual((report.scenario as { clients: unknown }).clients, { connections: 20 });
  }));

test('run: flags alone, and flags override the file', () =>
  withTempDir('test', async (dir) => {
    const out = join(dir, 'r.json');
    const result = await runCli(['run', '-c', '5', '-r', '50', '-d', '1s', '--drain', '1s', '--channels', '2', '-q', '--out', out], {
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '', 'quiet: no progress lines');
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    assert.equal(report.transports.websocket!.connections.opened, 5);
    assert.equal(report.transports.websocket!.delivery.expected, 25 * 3 + 25 * 2);
  }));

const brokenFiles: { name: string; text: string; says: RegExp }[] = [
  { name: 'bad YAML', text: 'clients: [\n', says: /^wsbench: error: .*bad\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'unknown key', text: SMALL + 'colour: blue\n', says: /^wsbench: error: .*bad\.yaml:5:1: colour: unknown key "colour"/ },
  {
    name: 'wrong type',
    text: SMALL.replace('connections: 20', 'connections: "20"'),
    says: /bad\.yaml:2:25: clients\.connections: expected number, got string "20"/,
  },
  { name: 'negative rate', text: SMALL.replace('100/s', '-100/s'), says: /bad\.yaml:3:18: publish\.rate: .*greater than zero/ },
  { name: 'bad URL', text: SMALL + 'target: { kind: raw, url: "ws://" }\n', says: /bad\.yaml:5:27: target\.url: is not a valid URL/ },
];

for (const c of brokenFiles) {
  test(`run: broken scenario (${c.name}) → exit 2, one line, no stack`, () =>
    withTempDir('test', async (dir) => {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, c.text);
      const result = await runCli(['run', file], { timeoutMs: 20_000 });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, c.says);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.equal(result.stdout, '');
    }));
}

test('run: a missing scenario file and an unknown flag are usage errors (exit 2)', async () => {
  const missing = await runCli(['run', '/nonexistent/scenario.yaml'], { timeoutMs: 20_000 });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\/scenario\.yaml: file not found/);
  const unknown = await runCli(['run', '--connectionz', '5'], { timeoutMs: 20_000 });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown argument: connectionz/);
});

test('run: redis-server binary missing → exit 3 with how to install or pass --redis', () =>
  withTempDir('test', async (dir) => {
    const file = join(dir, 's.yaml');
    await writeFile(file, SMALL + 'redis: { binary: /nonexistent/redis-server }\n');
    const result = await runCli(['run', file], { timeoutMs: 20_000 });
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /\/nonexistent\/redis-server not found: install it .* or pass --redis redis:\/\/host:port/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }));

test('run: Ctrl-C while publishing → partial report written, exit 130, one failed gate verdict, nothing left running', () =>
  withTempDir('test', async (dir) => {
    const file = join(dir, 'long.yaml');
    const out = join(dir, 'partial.json');
    const junit = join(dir, 'junit.xml');
    await writeFile(file, 'clients: { connections: 10 }\npublish: { rate: 50/s, duration: 60s }\n');
    let pid = 0;
    let children: number[] = [];
    let stderrSoFar = '';
    const result = await runCli(['run', file, '--out', out, '-t', 'delivery.lost == 0', '--junit', junit], {
      timeoutMs: 60_000,
      onSpawn: (child) => {
        pid = child.pid!;
        child.stderr!.on('data', (d: Buffer) => {
          stderrSoFar += d.toString();
          if (/publishing \(websocket\)/.test(stderrSoFar) && children.length === 0) {
            children = descendantsOf(pid);
            // Let a few messages flow, then interrupt.
            setTimeout(() => child.kill('SIGINT'), 500);
          }
        });
      },
    });
    assert.equal(result.code, 130, result.stderr);
    assert.ok(children.length >= 3, `expected redis, server and a worker under the CLI, saw ${children.length}`);
    assert.match(result.stdout, /NOT COMPLETED \(interrupted during publishing\)/);
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    assert.equal(report.run.completed, false);
    assert.equal(report.run.stopReason, 'interrupted during publishing');
    const ws = report.transports.websocket!;
    assert.ok(ws.delivery.delivered > 0, 'some messages were measured');
    assert.equal(ws.delivery.lost, 0, 'stopping early is not loss');
    // Its threshold held, yet an interrupted run does not pass: the terminal, the report and JUnit agree.
    assert.match(result.stdout, /gate: FAILED \(the run did not complete: interrupted during publishing\)/);
    assert.equal(report.gate?.passed, false);
    assert.equal(report.gate?.thresholds[0]?.passed, true);
    assert.match(await readFile(junit, 'utf8'), /<testsuites [^>]*failures="1"/);
    assert.ok(await waitFor(() => children.every((p) => !isAlive(p)), 5000), `left running: ${children.filter(isAlive).join(' ')}`);
  }));

test('--help and run --help show examples', async () => {
  const top = await runCli(['--help'], { timeoutMs: 20_000 });
  assert.equal(top.code, 0);
  assert.match(top.stdout, /wsbench run scenarios\/quickstart\.yaml/);
  assert.match(top.stdout, /Exit codes: 0 ok/);
  const run = await runCli(['run', '--help'], { timeoutMs: 20_000 });
  assert.equal(run.code, 0);
  assert.match(run.stdout, /Examples:/);
  assert.match(run.stdout, /--connections/);
});
