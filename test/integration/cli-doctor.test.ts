import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

test('doctor reports limits and the reachable connection count', async () => {
  const result = await runCli(['doctor', '-c', '1000'], { timeoutMs: 20_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /open files: soft [\d,]+, hard [\d,]+ per process/);
  assert.match(result.stdout, /ephemeral ports \d+–\d+/);
  assert.match(result.stdout, /This machine can reach about [\d,]+ connections/);
  assert.match(result.stdout, /1,000 connections: fine\./);
});

test('doctor fails (exit 3) for a connection count the machine cannot hold, saying what to change', async () => {
  const result = await runCli(['doctor', '-c', '5000000', '--workers', '1', '--server-processes', '1'], { timeoutMs: 20_000 });
  assert.equal(result.code, 3);
  assert.match(result.stdout, /FAIL {2}client file descriptors .* — use more workers/);
  assert.match(result.stdout, /5,000,000 connections: not with these settings/);
});

test('doctor names an unreachable Redis', async () => {
  const result = await runCli(['doctor', '--redis', 'redis://127.0.0.1:1'], { timeoutMs: 20_000 });
  assert.equal(result.code, 3);
  assert.match(result.stdout, /FAIL {2}cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
});

test('run --find-capacity with a bad condition is a usage error pointing at the flag', async () => {
  const result = await runCli(['run', '-c', '2', '-r', '2', '-d', '1s', '--find-capacity', 'fanout.p99 <'], { timeoutMs: 20_000 });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--find-capacity: "fanout\.p99 <": .*at character/);
});
