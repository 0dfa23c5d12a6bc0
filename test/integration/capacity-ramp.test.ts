/**
 * `wsbench run --find-capacity … --capacity-by ramp` through the real CLI (redis-server, the
 * reference server, a worker): one run along the stages, a line per measured interval and a
 * summary; the verdict depends on the machine, so what is checked is that every interval was
 * judged and the written search agrees with what was printed. Without stages it is bad input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RampCapacity } from '../../src/gate/ramp-capacity.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis } from '../helpers/redis.js';

let redis: EmbeddedRedis;
let dir: string;

before(async () => {
  redis = await startTestRedis();
  dir = await mkdtemp(join(tmpdir(), 'wsbench-ramp-'));
});

after(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('--capacity-by ramp: one run, every measured interval judged, the search written with the report', async () => {
  const file = join(dir, 'ramp.yaml');
  await writeFile(
    file,
    `redis: { url: "${redis.url}" }
clients: { connections: 20, workers: 1 }
publish: { rate: 50/s, channels: 2 }
warmup: 500ms
drain: 1s
stages:
  - { duration: 4s, connections: 120, rate: 150/s }
`,
  );
  const out = join(dir, 'search.json');
  const result = await runCli(
    ['run', file, '--find-capacity', 'delivery.lostRatio == 0', '--capacity-by', 'ramp', '--no-tui', '--out', out],
    {
      timeoutMs: 90_000,
    },
  );
  assert.ok(result.code === 0 || result.code === 1, `${result.code}: ${result.stderr}`);
  const written = JSON.parse(await readFile(out, 'utf8')) as { capacitySearch: RampCapacity & { by: string }; reports: unknown[] };
  assert.equal(written.capacitySearch.by, 'ramp');
  assert.equal(written.reports.length, 1, 'one run, not one per step');
  const steps = written.capacitySearch.steps;
  assert.ok(steps.length >= 1, 'the ramp was judged');
  // Every step held but the last, which ended the search when it broke or the tool was overloaded.
  const search = written.capacitySearch;
  const last = steps.at(-1)!;
  assert.ok(
    steps.slice(0, -1).every((s) => s.verdict === 'ok'),
    JSON.stringify(steps),
  );
  assert.equal(last.verdict === 'fail', search.firstBad !== null);
  assert.equal(last.verdict === 'tool-bound', search.inconclusive !== null);
  // The stages ramp 20 → 120 connections: no interval carried more.
  assert.ok(
    steps.every((s) => s.connections <= 120),
    JSON.stringify(steps),
  );
  assert.match(result.stdout + result.stderr, /capacity: /);
  // Exit 0 exactly when an interval held.
  assert.equal(result.code === 0, written.capacitySearch.lastGood !== null);
});

test('--capacity-by ramp without stages: one line naming the flag, exit 2, nothing run', async () => {
  const result = await runCli(
    ['run', '-c', '5', '-r', '10', '-d', '1s', '--redis', redis.url, '--find-capacity', 'fanout.p99 < 1s', '--capacity-by', 'ramp'],
    {
      timeoutMs: 30_000,
    },
  );
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--capacity-by: ramp checks the condition along the scenario's stages/);
});
