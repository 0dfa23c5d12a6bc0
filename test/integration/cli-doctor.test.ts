import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';

test('doctor reports limits and the reachable connection count', async () => {
  const result = await runCli(['doctor', '-c', '1000'], { timeoutMs: 20_000 });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /open files: soft [\d,]+, hard [\d,]+ per process/);
  assert.match(result.stdout, /ephemeral ports \d+–\d+/);
  assert.match(result.stdout, /This machine can reach about [\d,]+ connections/);
  // Without a rate it does not call the load fine: the CPU depends on the deliveries/s.
  assert.match(result.stdout, /^CPU \(\d+ cores?; costs measured on a 2-vCPU EPYC: BENCHMARKS\.md/m);
  assert.match(result.stdout, /1,000 connections: within the limits above; the CPU they need depends on the deliveries\/s \(--rate\)\./);
  assert.doesNotMatch(result.stdout, /fine/);
});

test('doctor with a rate estimates the CPU the deliveries need: fine, or FAIL (exit 3) beyond the cores', async () => {
  const light = await runCli(['doctor', '-c', '1000', '-r', '10'], { timeoutMs: 20_000 });
  assert.equal(light.code, 0, light.stdout + light.stderr);
  assert.match(light.stdout, /ok {4}10 publishes\/s × 1,000 clients per channel = 10,000 deliveries\/s ≈ [\d.]+–[\d.]+ cores/);
  assert.match(light.stdout, /1,000 connections at 10 publishes\/s: fine\./);
  const heavy = await runCli(['doctor', '-c', '1000', '-r', '100k'], { timeoutMs: 20_000 });
  assert.equal(heavy.code, 3, heavy.stdout + heavy.stderr);
  assert.match(
    heavy.stdout,
    /FAIL {2}100,000 publishes\/s × 1,000 clients per channel = 100,000,000 deliveries\/s .* more than this machine has/,
  );
  assert.match(heavy.stdout, /1,000 connections at 100,000 publishes\/s: not on this machine's CPU/);
  const bad = await runCli(['doctor', '-r', 'lots'], { timeoutMs: 20_000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^wsbench: error: --rate: "lots": expected publishes per second/m);
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
