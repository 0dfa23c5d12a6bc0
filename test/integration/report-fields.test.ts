/**
 * The report's shape does not change by accident: the quickstart (through the real CLI) and a raw
 * target against the faulty relay (in-process) produce exactly the field paths recorded in
 * test/fixtures/report-fields/*.json, which were generated before issue 14's restructuring.
 *
 * A path is the keys from the root joined with dots; array elements are merged under `[]`. Maps
 * whose keys are measured data (errors by kind and their samples) are recorded as the map alone,
 * since which kinds occur is data, not shape.
 *
 * After an intended change to the report, regenerate with WSBENCH_WRITE_REPORT_FIELDS=1 and say
 * why in the commit (new report fields are documented in the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { runCli } from '../helpers/cli.js';
import { HEARTBEAT, startFaultyRelay, type FaultyRelay } from '../fixtures/faulty-relay.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'report-fields');
/** Keys under these names are data (error kinds, negotiated TLS suites and compression parameters), not fields. */
const DATA_MAPS = new Set(['errors', 'errorSamples', 'negotiated', 'parameters']);

/** Every field path of `value`, sorted. */
export function fieldPaths(value: unknown, prefix = '', out = new Set<string>()): string[] {
  if (Array.isArray(value)) {
    out.add(`${prefix}[]`);
    for (const item of value) fieldPaths(item, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      if (!DATA_MAPS.has(key)) fieldPaths(child, path, out);
    }
  }
  return [...out].sort();
}

function checkAgainstFixture(name: string, report: unknown): void {
  const file = join(FIXTURES, `${name}.json`);
  const paths = fieldPaths(report);
  if (process.env['WSBENCH_WRITE_REPORT_FIELDS'] === '1') {
    writeFileSync(file, JSON.stringify(paths, null, 2) + '\n');
    return;
  }
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as string[];
  const added = paths.filter((p) => !recorded.includes(p));
  const missing = recorded.filter((p) => !paths.includes(p));
  assert.deepEqual({ added, missing }, { added: [], missing: [] }, `report fields of ${name} differ from ${file}`);
}

test('field paths: maps are recorded without their data keys, arrays merged', () => {
  assert.deepEqual(fieldPaths({ a: { b: 1, errors: { 'connect.x': 1 } }, list: [{ x: 1 }, { y: [2] }] }), [
    'a',
    'a.b',
    'a.errors',
    'list',
    'list[]',
    'list[].x',
    'list[].y',
    'list[].y[]',
  ]);
});

let redis: EmbeddedRedis;
let relay: FaultyRelay;

before(async () => {
  redis = await startTestRedis();
  relay = await startFaultyRelay(redis.url);
});
after(async () => {
  await relay?.close();
  await redis?.stop();
});

test('the quickstart through the CLI reports the recorded fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-fields-'));
  try {
    const out = join(dir, 'report.json');
    const result = await runCli(['run', 'scenarios/quickstart.yaml', '-c', '20', '-d', '2s', '--quiet', '--out', out], {
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { run: { completed: boolean } };
    assert.equal(report.run.completed, true);
    checkAgainstFixture('quickstart', report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scenarios/chat.yaml (clients send, publish.via websocket) through the CLI reports the recorded fields, upstream and echo included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-fields-'));
  try {
    const out = join(dir, 'report.json');
    const args = ['run', 'scenarios/chat.yaml', '-c', '100', '-r', '20/s', '-d', '1s', '--warmup', '0', '--ramp-up', '0', '--drain', '1s'];
    const result = await runCli([...args, '--redis', redis.url, '--quiet', '--out', out], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      run: { completed: boolean };
      transports: { websocket: { upstream: { senders: number; sent: number; sendFailures: number }; delivery: { delivered: number } } };
    };
    assert.equal(report.run.completed, true);
    const ws = report.transports.websocket;
    // The scenario's 50 senders over its 10 rooms, now of 10 members each: 20 messages, each to its room's 10.
    assert.deepEqual(
      { ...ws.upstream, bufferedAmountBytes: undefined },
      { senders: 50, sent: 20, sendFailures: 0, unsent: 0, unexpectedEchoes: 0, bufferedAmountBytes: undefined },
    );
    assert.equal(ws.delivery.delivered, 20 * 10);
    assert.match(result.stdout, /^ {2}round trip {4}p50/m, 'the summary names the chat round trip');
    assert.match(result.stdout, /^ {2}senders {7}50 · 20 sent · bufferedAmount p50/m);
    checkAgainstFixture('chat', report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a raw target against the faulty relay reports the recorded fields', async () => {
  const scenario = parseScenarioText(
    `name: faulty
redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${relay.url}"
  redisChannel: "relay:{channel}"
  ignore: ["${HEARTBEAT}"]
clients: { connections: 4 }
publish: { rate: 300/s, duration: 200ms, channels: [faulty] }
drain: 1s
`,
    'faulty.yaml',
  );
  const report = await runEngine(scenario, { workers: 1, snapshotIntervalMs: 100 });
  assert.equal(report.run.completed, true);
  assert.ok(report.transports.websocket!.delivery.lost > 0, 'the relay dropped messages');
  checkAgainstFixture('raw-faulty-relay', report);
});
